"""tools.clean_outputs: TensorFlow's C++ log lines leave committed notebooks, nothing else does."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tools.clean_outputs import clean_notebook, clean_text, main
from tools.notebooks import course_notebooks

NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795896312.091959    2672 port.cc:153] oneDNN custom operations are on.\n"
    "E0000 00:00:1795896312.091959    2672 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n"
    "I0000 00:00:1795896990.660326   12406 cpu_feature_guard.cc:227] This TensorFlow binary is optimized.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
)


def test_runtime_log_lines_and_their_continuations_go():
    assert clean_text(NOISE) == ""


def test_python_warnings_and_other_text_stay():
    text = "/x/y.py:3: UserWarning: skipped broken.jpg\n  warnings.warn(message)\n"
    assert clean_text(NOISE + text) == text


def test_a_notebook_is_cleaned_in_place_and_empty_streams_dropped(tmp_path):
    path = tmp_path / "n.ipynb"
    cell = new_code_cell("import tensorflow", outputs=[
        new_output("stream", name="stderr", text=NOISE), new_output("stream", name="stdout", text="ok\n")])
    nbformat.write(new_notebook(cells=[cell]), path)
    assert clean_notebook(path) == 5
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert [o.name for o in outputs] == ["stdout"]


@pytest.mark.parametrize("path", course_notebooks(), ids=[p.stem for p in course_notebooks()])
def test_committed_notebooks_carry_no_runtime_log_lines(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                assert clean_text(output["text"]) == output["text"], (
                    f"{path.name}: cell {index} keeps TensorFlow log lines; run tools/clean_outputs.py")


def test_the_command_line_explains_itself_and_names_a_missing_notebook(tmp_path, capsys):
    with pytest.raises(SystemExit) as shown:
        main(["--help"])
    assert shown.value.code == 0 and "notebooks" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main([str(tmp_path / "missing.ipynb")])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert refused.value.code == 2 and error.endswith(f"no such notebook: {tmp_path / 'missing.ipynb'}")
