"""No noise: TensorFlow's C++ start-up lines reach neither a notebook nor make course's terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from helpers import quiet
from tools.notebooks import KERNEL_ENV, ROOT, ensure_kernel, kernel_argv

TENSORFLOW_FIRST = "import tensorflow as tf\nprint(float(tf.constant(1.0) + 1))"


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_importing_the_helpers_first_makes_tensorflow_silent():
    run = run_python("import helpers\n" + TENSORFLOW_FIRST)
    assert run.returncode == 0 and run.stdout.strip() == "2.0"
    assert run.stderr == ""


def test_the_kernel_launcher_makes_tensorflow_silent_even_when_imported_first():
    launcher = kernel_argv()[kernel_argv().index("-c") + 1]
    run = run_python(launcher.split("from ipykernel")[0] + TENSORFLOW_FIRST)
    assert run.returncode == 0 and run.stderr == ""


def test_python_errors_during_a_quiet_import_still_raise(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # as if TensorFlow were missing
    quiet.install()
    quiet.uninstall()
    with pytest.raises(ImportError):
        import tensorflow  # noqa: F401


def test_install_sets_the_log_level_unless_the_user_chose_one(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    quiet.install()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "1"
    quiet.uninstall()
    assert not quiet.installed()


def test_the_kernel_spec_starts_through_the_launcher_with_the_environment():
    argv = kernel_argv("/some/python")
    assert argv[0] == "/some/python" and "helpers.quiet" in argv[argv.index("-c") + 1]
    assert argv[-2:] == ["-f", "{connection_file}"]
    assert KERNEL_ENV == {"TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.mark.notebook
def test_a_fresh_course_kernel_prints_nothing_to_stderr_when_a_cell_imports_tensorflow(tmp_path):
    notebook = new_notebook(cells=[new_code_cell(TENSORFLOW_FIRST), new_code_cell("import keras\nprint(keras.ops.ones(2).shape)")])
    NotebookClient(notebook, kernel_name=ensure_kernel(), timeout=300,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    streams = [o for c in notebook.cells for o in c.outputs if o.output_type == "stream"]
    assert [o.text for o in streams if o.name == "stdout"] == ["2.0\n", "(2,)\n"]
    assert [o.text for o in streams if o.name == "stderr"] == []


# --- make course / make quick: one line per notebook ---------------------------------------------

def tiny(folder, name, source):
    folder.mkdir(exist_ok=True)
    notebook = new_notebook(cells=[new_code_cell("QUICK = False", metadata={"tags": ["parameters"]}),
                                   new_code_cell(source)],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, folder / name)


@pytest.mark.notebook
def test_run_notebooks_prints_one_line_per_notebook_and_nothing_else(tmp_path, capfd):
    from tools.run_notebooks import main

    tiny(tmp_path / "src", "01_a.ipynb", TENSORFLOW_FIRST + "\nimport sys\nprint('to stderr', file=sys.stderr)")
    assert main(["--quick", "--source", str(tmp_path / "src"), "--out", str(tmp_path / "out")]) == 0
    out, err = capfd.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith(" s  01_a.ipynb") and "in all" in lines[1]
    assert "to stderr" not in out and (tmp_path / "out" / "01_a.log").is_file()


@pytest.mark.notebook
def test_a_failing_notebook_is_one_clear_line_with_where_to_look(tmp_path, capfd):
    from tools.run_notebooks import main

    tiny(tmp_path / "src", "02_b.ipynb", "raise ValueError('the photos are missing')")
    assert main(["--source", str(tmp_path / "src"), "--out", str(tmp_path / "out")]) == 1
    out, err = capfd.readouterr()
    assert err == ""
    first, second = out.splitlines()
    assert first.startswith("FAILED  02_b.ipynb in cell [") and "ValueError: the photos are missing" in first
    assert str(tmp_path / "out" / "02_b.ipynb") in second and "02_b.log" in second


def test_without_the_quiet_import_tensorflow_prints_its_start_up_lines_here():
    """The tests above can fail: on this machine TensorFlow alone does write to stderr."""
    run = run_python(TENSORFLOW_FIRST)
    if not run.stderr:
        pytest.skip("this TensorFlow build prints nothing at start-up here")
    assert run.returncode == 0
