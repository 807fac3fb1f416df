"""Hints, solutions, progress and the way a wrong answer looks (helpers.check and .learner)."""

from __future__ import annotations

import ast
import json
import re

import nbformat
import numpy as np
import pytest

import helpers.check as check
from helpers.check import ExerciseError, RESULTS, report
from helpers.check.hints import HINTS, exercises_of
from helpers.check.learner import output_status, saved_status, statuses, summary
from tools.notebooks import ROOT, course_notebooks
from tools.student import marker

CHECK_MODULES = sorted(p for p in (ROOT / "helpers" / "check").glob("*.py") if p.name != "hints.py")


def squeeze(text: str) -> str:
    """``text`` without whitespace, with one kind of quote: how a line is compared with messages."""
    return re.sub(r"\s+", "", text).replace("'", '"')


def solution_lines() -> dict[str, set[str]]:
    """{exercise id: the squeezed code lines of its solution} from the course's source notebooks.

    Comments and lines shorter than 12 characters (``return None``, ``])``)
    are left out: they are too short to give a solution away.
    """
    found: dict[str, set[str]] = {}
    for path in course_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            exercise = cell.metadata.get("exercise", {}).get("id")
            if cell.cell_type != "code" or not exercise:
                continue
            inside = False
            found.setdefault(exercise, set())
            for line in cell.source.splitlines():
                kind = marker(line)
                if kind:
                    inside = kind == "BEGIN SOLUTION"
                    continue
                code = line.split("#")[0].strip()
                if inside and len(code) >= 12:
                    found[exercise].add(squeeze(code))
    return found


SOLUTIONS = solution_lines()


# --- hints ------------------------------------------------------------------------------------

def test_every_exercise_of_the_course_has_at_least_two_hints():
    assert sorted(SOLUTIONS) == sorted(HINTS)
    assert all(len(HINTS[key]) >= 2 for key in HINTS)
    assert len(HINTS) >= 50


@pytest.mark.parametrize("exercise", sorted(HINTS))
def test_the_first_hint_never_contains_a_line_of_the_solution(exercise):
    first = squeeze(HINTS[exercise][0])
    leaked = sorted(line for line in SOLUTIONS[exercise] if line in first)
    assert not leaked, f"hint 1 of {exercise} shows {leaked}"


def test_the_leak_test_can_fail():
    assert "return(n-f+2*p)//s+1" in SOLUTIONS["3.1"]
    assert "return(n-f+2*p)//s+1" in squeeze("try return (n - f + 2 * p) // s + 1")


def test_hint_prints_one_level_at_a_time_and_points_to_the_next(capsys):
    check.hint("5.2")
    first = capsys.readouterr().out
    check.hint("5.2", 2)
    second = capsys.readouterr().out
    assert first.startswith("Hint 1 of 2 for exercise 5.2: ") and HINTS["5.2"][0] in first
    assert 'More: hint("5.2", 2)' in first
    assert HINTS["5.2"][1] in second and HINTS["5.2"][0] not in second
    assert 'from helpers.check import solution; solution("5.2")' in second


def test_hint_for_a_level_or_exercise_that_does_not_exist(capsys):
    check.hint("5.2", 9)
    assert "has hints 1 to 2" in capsys.readouterr().out
    check.hint("99.9")
    assert capsys.readouterr().out.startswith("There is no exercise '99.9'; exercises are numbered like '5.2'")
    check.solution("7.7.7")
    assert "no exercise '7.7.7'" in capsys.readouterr().out
    check.hint(" a1.1 ")
    assert capsys.readouterr().out.startswith("Hint 1 of 2 for exercise A1.1: ")


def test_exercises_of_a_notebook_are_in_order():
    assert exercises_of(13) == ["13.1", "13.2", "13.3", "13.4"]
    assert exercises_of(1) == ["1.1", "1.2", "1.3", "1.4"]
    assert exercises_of("A1") == ["A1.1", "A1.2", "A1.3"]


def test_an_appendix_has_exercise_ids_and_progress_of_its_own(capsys):
    from helpers.check import exercise_id, progress

    assert exercise_id("Exercise A1.2 (TF_CONFIG)") == "A1.2"
    assert exercise_id("Exercise 11.3") == "11.3"
    progress("A1")
    assert capsys.readouterr().out.splitlines()[0].startswith("Appendix A1: ")


# --- no solution code in any checker message ----------------------------------------------------

def message_texts(path) -> list[str]:
    """Every string a checker module can put into a message: constants and f-string parts, not
    docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            texts.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            texts.append("".join(v.value for v in node.values if isinstance(v, ast.Constant)))
    return texts


@pytest.mark.parametrize("path", CHECK_MODULES, ids=[p.stem for p in CHECK_MODULES])
def test_no_checker_message_contains_a_line_of_any_solution(path):
    every_line = set().union(*SOLUTIONS.values())
    leaked = sorted({line for text in message_texts(path) for line in every_line if line in squeeze(text)})
    assert not leaked, f"{path.name} can print {leaked}"


# --- the error a learner sees --------------------------------------------------------------------

def test_an_exercise_error_renders_as_its_message_alone():
    error = ExerciseError("Exercise 1.1 is not right yet:\n  - sigmoid(0) returned 0\nHint: look")
    lines = error._render_traceback_()
    assert "\N{BALLOT X} Exercise 1.1 is not right yet:" in lines[0] and lines[0].startswith("\x1b[1;31m")
    assert lines[1:] == ["  - sigmoid(0) returned 0", "Hint: look"]


def test_in_ipython_a_wrong_answer_shows_no_traceback_through_the_checker(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("from helpers.check import neuron as check\ncheck.sigmoid(lambda z: z)")
        shown = capsys.readouterr().out
    finally:
        InteractiveShell.clear_instance()
    assert "Exercise 1.1 (a stable sigmoid) is not right yet" in shown
    assert "returned 0; expected 0.5" in shown
    assert "Traceback" not in shown and "helpers/check" not in shown and "File " not in shown
    assert not [line for line in SOLUTIONS["1.1"] if line in squeeze(shown)]


def test_report_remembers_each_result_and_progress_lists_them(capsys):
    RESULTS.clear()
    report("Exercise 1.1 (a stable sigmoid)", [])
    with pytest.raises(ExerciseError, match='from helpers.check import hint; hint\\("1.2"\\)'):
        report("Exercise 1.2", ["wrong"], hint="an idea")
    with pytest.raises(ExerciseError) as stub:
        report("Exercise 1.3", [f"f(1) {check.NOT_WRITTEN}"], hint="an idea")
    assert "Hint" not in str(stub.value)
    assert statuses(1) == {"1.1": "passed", "1.2": "failed", "1.3": "not attempted", "1.4": "not attempted"}
    capsys.readouterr()
    check.progress(1)
    shown = capsys.readouterr().out
    RESULTS.clear()
    assert shown.splitlines()[0] == "Notebook 01: 1 of 4 exercises passed"
    assert "\N{CHECK MARK} 1.1   passed" in shown and "\N{BALLOT X} 1.2   failed" in shown
    assert "1.4   not attempted" in shown


# --- solutions ----------------------------------------------------------------------------------

def test_solution_prints_the_code_from_solutions_json_beside_the_notebook(tmp_path, capsys):
    (tmp_path / "solutions.json").write_text(json.dumps({"5.2": {"notebook": "05.ipynb", "code": "def f():\n    return 1"}}))
    check.solution("5.2", folder=tmp_path)
    assert "def f():\n    return 1" in capsys.readouterr().out
    check.solution("5.1", folder=tmp_path)
    assert "no solution for exercise 5.1" in capsys.readouterr().out


def test_without_solutions_json_solution_says_they_are_not_part_of_this_copy(tmp_path, capsys):
    check.solution("5.2", folder=tmp_path)
    assert "not part of this copy" in capsys.readouterr().out


# --- progress from saved notebooks --------------------------------------------------------------

@pytest.mark.parametrize("outputs, status", [
    ([], "not attempted"),
    ([{"output_type": "stream", "text": "\N{CHECK MARK} Exercise 1.1: correct.\n"}], "passed"),
    ([{"output_type": "error", "ename": "ExerciseError", "evalue": "f(1) is not written yet: replace"}],
     "not attempted"),
    ([{"output_type": "error", "ename": "NotImplementedError", "evalue": ""}], "not attempted"),
    ([{"output_type": "error", "ename": "ExerciseError", "evalue": "Exercise 1.1 is not right yet"}], "failed"),
    ([{"output_type": "error", "ename": "NameError", "evalue": "np"}], "failed"),
])
def test_a_saved_cell_shows_its_status(outputs, status):
    assert output_status(outputs) == status


def test_saved_status_reads_the_exercise_cells_of_a_notebook(tmp_path):
    cells = [nbformat.v4.new_code_cell("x", metadata={"exercise": {"id": "1.1"}}),
             nbformat.v4.new_code_cell("y"),
             nbformat.v4.new_code_cell("z", metadata={"exercise": {"id": "1.2"}})]
    cells[0].outputs = [nbformat.v4.new_output("stream", text="\N{CHECK MARK} Exercise 1.1: correct.\n")]
    path = tmp_path / "01.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    assert saved_status(path) == {"1.1": "passed", "1.2": "not attempted"}
    assert summary("01", saved_status(path)).splitlines()[0] == "01: 1 of 2 exercises passed"


# --- the course's notebooks ---------------------------------------------------------------------

@pytest.mark.parametrize("path", course_notebooks(), ids=[p.stem for p in course_notebooks()])
def test_exercise_cells_are_numbered_in_order_and_the_notebook_ends_with_its_progress(path):
    notebook = nbformat.read(path, as_version=4)
    prefix = path.name.split("_")[0]  # "01", or "A1" for an appendix
    number = int(prefix) if prefix.isdigit() else prefix
    found = [c.metadata["exercise"] for c in notebook.cells if c.cell_type == "code" and "exercise" in c.metadata]
    assert [e["id"] for e in found] == [f"{number}.{k}" for k in range(1, len(found) + 1)] == exercises_of(number)
    assert all(isinstance(e.get("points", 1), (int, float)) and e.get("points", 1) > 0 for e in found)
    last = notebook.cells[-1]
    assert last.cell_type == "code" and f"progress({json.dumps(number)})" in last.source
    assert "exercises passed" in "".join(o.get("text", "") for o in last.outputs), "commit its output"


def test_a_failing_call_names_small_arrays_by_their_values_and_big_ones_by_their_shape():
    def broken(*args):
        raise IndexError("index 5 is out of bounds")

    _, problem = check.call_safely(broken, np.array([1.0, 2.0, 3.0]), np.zeros((2, 3)), 0.2)
    assert problem == ("broken(np.array([1., 2., 3.]), <an array of shape (2, 3)>, 0.2) raised "
                       "IndexError: index 5 is out of bounds")
