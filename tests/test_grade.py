"""make grade: made-up submissions of every kind, graded against a tiny source notebook.

The source notebook holds two exercises of notebook 01 (1.1 and 1.3, numpy only), so each kernel
starts in a second or two; the learner editions are built from it with tools/student.py.
"""

from __future__ import annotations

import csv

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.grade import (COLUMNS, Limits, check_code, exercises, feedback, first_line, grade,
                         graded_notebook, learner_cell, verdict)
from tools.notebooks import NOTEBOOKS, ROOT
from tools.student import student_notebook

NAME = "01_the_neuron.ipynb"


def course_exercise(exercise_id: str) -> nbformat.NotebookNode:
    """The exercise cell ``exercise_id`` of the course's notebook 01, solution and metadata."""
    notebook = nbformat.read(NOTEBOOKS / NAME, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("exercise", {}).get("id") == exercise_id)
    return new_code_cell(cell.source, metadata={"exercise": dict(cell.metadata["exercise"])})


def source_notebook() -> nbformat.NotebookNode:
    two = course_exercise("1.3")
    two.metadata["exercise"]["points"] = 2
    return new_notebook(cells=[
        new_markdown_cell("# A tiny notebook"),
        new_code_cell("import numpy as np\n\nfrom helpers import neuron\nfrom helpers.check import neuron as check"),
        course_exercise("1.1"),
        new_code_cell("print('between the exercises')"),
        two,
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


RIGHT_11 = ("def my_sigmoid(z):\n    z = np.asarray(z, dtype=float)\n    e = np.exp(-np.abs(z))\n"
            "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n\n\ncheck.sigmoid(my_sigmoid)")
WRONG_11 = "def my_sigmoid(z):\n    return z\n\n\ncheck.sigmoid(my_sigmoid)"
RIGHT_13 = ("def my_relu_derivative(z):\n    return (np.asarray(z) > 0).astype(float)\n\n\n"
            "check.relu_derivative(my_relu_derivative)")


def edition() -> nbformat.NotebookNode:
    return student_notebook(source_notebook())


def with_answers(answer_11: str | None = RIGHT_11, answer_13: str | None = RIGHT_13) -> nbformat.NotebookNode:
    """The learner edition with the exercise cells' sources replaced (None: left as the stub)."""
    notebook = edition()
    for cell in notebook.cells:
        exercise = cell.metadata.get("exercise", {}).get("id")
        if exercise == "1.1" and answer_11 is not None:
            cell.source = answer_11
        if exercise == "1.3" and answer_13 is not None:
            cell.source = answer_13
    return notebook


def moved_and_deleted() -> nbformat.NotebookNode:
    """1.3 moved to the top without its metadata, 1.1 deleted, a cell of the learner's own added."""
    notebook = with_answers()
    cells = notebook.cells
    thirteen = next(c for c in cells if c.metadata.get("exercise", {}).get("id") == "1.3")
    thirteen.metadata = {}
    thirteen.source = "import numpy as np\n" + thirteen.source
    rest = [c for c in cells if c is not thirteen and c.metadata.get("exercise", {}).get("id") != "1.1"]
    notebook.cells = [thirteen, new_code_cell("print('my own notes')"), *rest]
    return notebook


SILENCER = ("import helpers.check\nimport helpers.check.neuron\n"
            "helpers.check.neuron.sigmoid = lambda answer: print('\\N{CHECK MARK} Exercise 1.1: correct.')\n"
            "helpers.check.report = lambda *args, **kwargs: None\n"
            "check.sigmoid = helpers.check.neuron.sigmoid\n"
            "get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)\n"
            "print('\\N{CHECK MARK} Exercise 1.1: correct.')\n")

SUBMISSIONS = {
    "right": with_answers(),
    "stub": edition(),
    "wrong": with_answers(WRONG_11),
    "silencer": with_answers(SILENCER + WRONG_11.replace("\n\n\ncheck.sigmoid(my_sigmoid)", "")),
    "loops": with_answers("while True:\n    pass"),
    "moved": moved_and_deleted(),
    "crashes": with_answers("import os\nos._exit(1)"),
    "exits": with_answers("import sys\nsys.exit(3)\n" + RIGHT_11),
    "floods": with_answers("for i in range(200_000):\n    print('x' * 50)\n" + RIGHT_11),
    "deletes": with_answers("import shutil\nfrom pathlib import Path\nimport helpers\n"
                            "print('HELPERS AT', Path(helpers.__file__).parent)\n"
                            "shutil.rmtree(Path(helpers.__file__).parent)\n" + RIGHT_11),
}

EXPECTED = {
    "right": ("passed", "passed"),
    "stub": ("not attempted", "not attempted"),
    "wrong": ("failed", "passed"),
    "silencer": ("failed", "passed"),
    "loops": ("timeout", "passed"),
    "moved": ("not attempted", "passed"),
    "crashes": ("error", "error"),
    "exits": ("failed", "passed"),
    "floods": ("passed", "passed"),
    "deletes": None,  # it deleted its own copy of helpers: whatever that costs it, only it
    "notjson": ("error", "error"),
    "missing": ("missing", "missing"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    source = root / "source" / NAME
    source.parent.mkdir()
    nbformat.write(source_notebook(), source)
    submissions = root / "submissions"
    for learner, notebook in SUBMISSIONS.items():
        (submissions / learner).mkdir(parents=True)
        nbformat.write(notebook, submissions / learner / NAME)
    (submissions / "notjson").mkdir()
    (submissions / "notjson" / NAME).write_text("this is not a notebook {")
    (submissions / "missing").mkdir()
    (submissions / "missing" / "02_something_else.ipynb").write_text("{}")
    out = root / "out"
    course_files = sorted(p.relative_to(ROOT) for p in (ROOT / "helpers").rglob("*.py"))
    results = grade(submissions, out, [source], Limits(cell_timeout=8, notebook_timeout=120, max_output=20_000),
                    log=lambda line: None)
    return out, results, course_files


# --- the pieces, without a kernel ---------------------------------------------------------------

def test_check_code_keeps_the_check_lines_and_hidden_tests_but_not_the_solution():
    source = ("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\n\ncheck.f(f)\n"
              "print(f(3))\n### BEGIN HIDDEN TESTS\nassert f(4) == 8\n### END HIDDEN TESTS")
    assert check_code(source) == "check.f(f)\nassert f(4) == 8"


def test_exercises_carry_their_ids_and_points_from_the_source_notebook():
    found = exercises(source_notebook())
    assert [(e.id, e.points) for e in found] == [("1.1", 1.0), ("1.3", 2.0)]
    assert first_line(found[0].stub) == "def my_sigmoid(z):"


def test_a_cell_is_found_by_id_and_else_by_its_first_line():
    one, three = exercises(source_notebook())
    moved = moved_and_deleted()
    assert learner_cell(moved, one) is None
    assert "my_relu_derivative" in learner_cell(moved, three)


def test_the_graded_notebook_is_the_source_with_the_learners_exercise_cells_and_grading_cells():
    submission = with_answers(WRONG_11)
    submission.cells.insert(0, new_code_cell("check = None  # the learner's own cell"))
    graded, grading = graded_notebook(source_notebook(), submission, "TOKEN")
    sources = [c.source for c in graded.cells]
    assert not any("the learner's own cell" in s for s in sources)
    assert WRONG_11 in sources and sum("TOKEN" in s for s in sources) == 2
    assert [e.id for e in grading.values()] == ["1.1", "1.3"]
    assert all("del _grader_sys.modules" in sources[i] for i in grading)


@pytest.mark.parametrize("outputs, status", [
    ([{"output_type": "stream", "name": "stdout", "text": "✓ fine\nTOKEN 1.1\n"}], "passed"),
    ([{"output_type": "stream", "name": "stdout", "text": "✓ Exercise 1.1: correct.\n"}], "error"),
    ([{"output_type": "error", "ename": "ExerciseError", "evalue": "f(1) is not written yet", "traceback": []}],
     "not attempted"),
    ([{"output_type": "error", "ename": "ExerciseError", "evalue": "wrong", "traceback": []}], "failed"),
])
def test_the_verdict_needs_the_token_and_reads_the_error(outputs, status):
    assert verdict(outputs, "TOKEN")[0] == status


def test_an_error_in_the_learners_own_cell_is_the_message_not_its_consequence():
    answer = [{"output_type": "error", "ename": "SyntaxError", "evalue": "expected ':' (3006524643.py, line 1)",
               "traceback": []}]
    check = [{"output_type": "error", "ename": "NameError", "evalue": "name 'f' is not defined", "traceback": []}]
    assert verdict(check, "TOKEN", answer) == ("failed", "your exercise cell stopped with "
                                                 "SyntaxError: expected ':' (line 1 of the cell)")
    assert verdict(check, "TOKEN") == ("failed", "NameError: name 'f' is not defined")
    wrong = [{"output_type": "error", "ename": "ExerciseError", "evalue": "f(1) returned 3", "traceback": []}]
    assert verdict(wrong, "TOKEN", wrong) == ("failed", "f(1) returned 3")


# --- grading made-up submissions in kernels ------------------------------------------------------

@pytest.mark.notebook
def test_every_kind_of_submission_gets_its_status(graded):
    out, results, _ = graded
    got = {}
    for r in results:
        got.setdefault(r.learner, {})[r.exercise] = r.status
    statuses = {learner: (s["1.1"], s["1.3"]) for learner, s in got.items()}
    assert set(statuses) == set(EXPECTED)
    assert {k: v for k, v in statuses.items() if EXPECTED[k]} == {k: v for k, v in EXPECTED.items() if v}


@pytest.mark.notebook
def test_grades_csv_has_the_columns_and_points_from_the_source(graded):
    out, _, _ = graded
    with open(out / "grades.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == COLUMNS
    right = {r["exercise"]: r for r in rows if r["learner"] == "right"}
    assert (right["1.1"]["points"], right["1.1"]["max_points"]) == ("1", "1")
    assert (right["1.3"]["points"], right["1.3"]["max_points"]) == ("2", "2")
    wrong = {r["exercise"]: r for r in rows if r["learner"] == "wrong"}
    assert wrong["1.1"]["points"] == "0" and wrong["1.3"]["points"] == "2"
    assert {r["notebook"] for r in rows} == {NAME} and len(rows) == 2 * len(EXPECTED)


@pytest.mark.notebook
def test_each_learner_gets_feedback_with_the_checkers_messages(graded):
    out, _, _ = graded
    assert sorted(p.stem for p in (out / "feedback").glob("*.md")) == sorted(EXPECTED)
    wrong = (out / "feedback" / "wrong.md").read_text()
    assert "2 of 3 points" in wrong and "Exercise 1.1" in wrong and "expected 0.5" in wrong
    assert "not a notebook" in (out / "feedback" / "notjson.md").read_text()


@pytest.mark.notebook
def test_a_submission_that_deletes_files_only_deletes_its_own_copy(graded):
    _, results, course_files = graded
    assert course_files == sorted(p.relative_to(ROOT) for p in (ROOT / "helpers").rglob("*.py"))
    # "right" is graded after "deletes" and "crashes" and still passes: each notebook has its copy.
    assert [r.status for r in results if r.learner == "right"] == ["passed", "passed"]


def test_feedback_lists_points_and_messages():
    from tools.grade import Result
    text = feedback("ada", [Result("ada", NAME, "1.1", 0, 1, "failed", "sigmoid(0.0) returned 0")])
    assert "0 of 1 points" in text and "sigmoid(0.0) returned 0" in text and "**failed**" in text


def test_no_submissions_folder_is_one_line(tmp_path, capsys):
    from tools.grade import main
    assert main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_notebooks_can_be_chosen_by_number_and_an_unknown_number_is_one_line(tmp_path, capsys):
    from tools.grade import chosen, main
    sources = [tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb", tmp_path / "A1_c.ipynb"]
    assert chosen(sources, ["A1", "01"]) == [sources[0], sources[2]]
    (tmp_path / "subs").mkdir()
    assert main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--notebooks", "01", "77"]) == 2
    assert capsys.readouterr().err.startswith("--notebooks: no notebook numbered 77 (there are 00, 01")
