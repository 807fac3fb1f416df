"""make lab / make workspace / make progress: the learner's own copies in workspace/."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.student import RAISES, SOLUTIONS_FILE
from tools.workspace import UPDATES, VERSIONS, main, progress, update


def source(tmp_path, name="01_tiny.ipynb", extra=""):
    """A tiny course notebook with one exercise, in ``tmp_path/course``."""
    folder = tmp_path / "course"
    folder.mkdir(exist_ok=True)
    exercise = new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\n\ncheck.f(f)",
                             metadata={"exercise": {"id": "1.1", "points": 1}})
    exercise.outputs = [nbformat.v4.new_output("stream", text="\N{CHECK MARK} Exercise 1.1: correct.\n")]
    notebook = new_notebook(cells=[new_markdown_cell("# Tiny" + extra), exercise, new_code_cell("print('after')")])
    nbformat.write(notebook, folder / name)
    return folder / name


def test_first_use_writes_the_learner_edition_and_solutions(tmp_path):
    path = source(tmp_path)
    workspace = tmp_path / "workspace"
    done = update(workspace, [path], only_missing=True)
    assert done["new"] == [path.name]
    copy = nbformat.read(workspace / path.name, as_version=4)
    exercise = copy.cells[1]
    assert "raise NotImplementedError()" in exercise.source and "2 * x" not in exercise.source
    assert RAISES in exercise.metadata["tags"] and exercise.outputs == []
    solutions = json.loads((workspace / SOLUTIONS_FILE).read_text())
    assert solutions["1.1"]["code"].splitlines()[:2] == ["def f(x):", "    return 2 * x"]
    assert json.loads((workspace / VERSIONS).read_text()).keys() == {path.name}


def test_running_cells_is_not_a_change_and_an_unchanged_copy_takes_the_courses_update(tmp_path):
    path = source(tmp_path)
    workspace = tmp_path / "workspace"
    update(workspace, [path])
    copy = nbformat.read(workspace / path.name, as_version=4)
    copy.cells[2].outputs = [nbformat.v4.new_output("stream", text="after\n")]  # the learner ran it
    copy.metadata["kernelspec"] = {"name": "cnn-course", "display_name": "x", "language": "python"}
    nbformat.write(copy, workspace / path.name)
    assert update(workspace, [path])["unchanged"] == [path.name]
    source(tmp_path, extra=" (revised)")
    assert update(workspace, [path])["updated"] == [path.name]
    assert "(revised)" in nbformat.read(workspace / path.name, as_version=4).cells[0].source


def test_a_notebook_the_learner_changed_is_left_alone_and_the_new_version_put_beside_it(tmp_path, capsys):
    path = source(tmp_path)
    workspace = tmp_path / "workspace"
    update(workspace, [path])
    copy = nbformat.read(workspace / path.name, as_version=4)
    copy.cells[1].source = "def f(x):\n    return x + x  # my answer\n\n\ncheck.f(f)"
    nbformat.write(copy, workspace / path.name)
    mine = (workspace / path.name).read_text()
    source(tmp_path, extra=" (revised)")
    done = update(workspace, [path])
    assert done["left alone"] == [path.name]
    assert (workspace / path.name).read_text() == mine
    assert "(revised)" in nbformat.read(workspace / UPDATES / path.name, as_version=4).cells[0].source
    # Again: still left alone, and the command says so.
    assert update(workspace, [path])["left alone"] == [path.name]


def test_an_edited_notebook_without_a_course_update_is_simply_unchanged(tmp_path, capsys, monkeypatch):
    import tools.workspace as workspace_tool

    path = source(tmp_path)
    monkeypatch.setattr(workspace_tool, "course_notebooks", lambda folder=None: [path])
    workspace = tmp_path / "workspace"
    update(workspace, [path])
    (workspace / path.name).write_text((workspace / path.name).read_text().replace("YOUR CODE HERE", "mine"))
    assert main(["update", "--workspace", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "left alone" not in out and "up to date" in out
    assert not (workspace / UPDATES).exists()


def test_only_missing_never_touches_an_existing_notebook(tmp_path):
    path = source(tmp_path)
    workspace = tmp_path / "workspace"
    update(workspace, [path])
    (workspace / path.name).write_text("not even json")
    assert update(workspace, [path], only_missing=True)["new"] == []
    assert (workspace / path.name).read_text() == "not even json"


def test_the_command_says_which_notebooks_it_left_alone(tmp_path, capsys, monkeypatch):
    import tools.workspace as workspace_tool

    path = source(tmp_path)
    monkeypatch.setattr(workspace_tool, "course_notebooks", lambda folder=None: [path] if folder is None
                        else sorted(folder.glob("*.ipynb")))
    workspace = tmp_path / "workspace"
    assert main(["create", "--workspace", str(workspace)]) == 0
    assert "1 notebooks copied" in capsys.readouterr().out
    (workspace / path.name).write_text((workspace / path.name).read_text().replace("YOUR CODE HERE", "mine"))
    source(tmp_path, extra=" (revised)")
    assert main(["update", "--workspace", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert f"left alone, since you changed it: {path.name}" in out and UPDATES in out
    assert main(["progress", "--workspace", str(workspace)]) == 0
    assert "01_tiny: 0 of 1 exercises passed" in capsys.readouterr().out


def test_progress_over_a_workspace_reads_the_saved_outputs(tmp_path):
    path = source(tmp_path)
    workspace = tmp_path / "workspace"
    update(workspace, [path])
    copy = nbformat.read(workspace / path.name, as_version=4)
    copy.cells[1].outputs = [nbformat.v4.new_output("stream", text="\N{CHECK MARK} Exercise 1.1: correct.\n")]
    nbformat.write(copy, workspace / path.name)
    assert progress(workspace).splitlines() == ["01_tiny: 1 of 1 exercises passed", "  \N{CHECK MARK} 1.1   passed"]


def test_progress_into_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys

    from tools.notebooks import ROOT

    workspace = tmp_path / "workspace"
    update(workspace, [source(tmp_path)])
    reader = subprocess.Popen([sys.executable, str(ROOT / "tools" / "workspace.py"), "progress",
                               "--workspace", str(workspace)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()  # like `| head` that has read enough before the command prints
    assert reader.wait(timeout=60) in (0, 141)
    assert reader.stderr.read() == b""


def test_progress_without_a_workspace_is_one_line(tmp_path, capsys):
    assert main(["progress", "--workspace", str(tmp_path / "none")]) == 1
    assert "make lab creates it" in capsys.readouterr().err


@pytest.mark.parametrize("line", ["/workspace/"])
def test_the_workspace_is_git_ignored(line):
    from tools.notebooks import ROOT
    assert line in (ROOT / ".gitignore").read_text().splitlines()
