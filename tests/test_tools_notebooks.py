"""tools.notebooks: how make course and the test suite execute notebooks."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from papermill import PapermillExecutionError

from tools.notebooks import parameters_cells, read_metric, run_notebook


def write_notebook(path, *cells):
    notebook = new_notebook(cells=list(cells))
    notebook.metadata["kernelspec"] = {"name": "cnn-course", "display_name": "Python (cnn-course)",
                                       "language": "python"}
    nbformat.write(notebook, path)
    return path


def test_parameters_are_injected_after_the_parameters_cell(tmp_path):
    source = write_notebook(tmp_path / "p.ipynb",
                            new_code_cell("QUICK = False", metadata={"tags": ["parameters"]}),
                            new_code_cell("print(f'quick = {QUICK}')"))
    assert parameters_cells(source) == [0]
    run = run_notebook(source, tmp_path / "out", parameters={"QUICK": True})
    assert read_metric(run.output, "quick") == "True"


def test_a_cell_tagged_raises_exception_may_fail_on_purpose(tmp_path):
    source = write_notebook(tmp_path / "ok.ipynb",
                            new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
                            new_code_cell("print('test_accuracy = 0.75')"))
    run = run_notebook(source, tmp_path / "out")
    assert read_metric(run.output, "test_accuracy") == "0.75"
    tags = [t for c in nbformat.read(run.output, as_version=4).cells for t in c.metadata.get("tags", [])]
    assert "papermill-error-cell-tag" not in tags


def test_any_other_failing_cell_fails_the_run(tmp_path):
    source = write_notebook(tmp_path / "bad.ipynb",
                            new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
                            new_code_cell("raise ValueError('broken helper')"))
    with pytest.raises(PapermillExecutionError, match="broken helper"):
        run_notebook(source, tmp_path / "out")
