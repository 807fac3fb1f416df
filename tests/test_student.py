"""make student: the handed-out notebooks hold no solutions and fail only where an exercise waits.

Every notebook in notebooks/ is collected by glob. That each *source* notebook passes all its
checks is proved by the papermill run in tests/test_notebooks.py
(test_runs_top_to_bottom_with_quick_parameters): every exercise cell calls its checker, which
raises on a wrong answer. This module checks the other side, the student versions.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.check import NOT_WRITTEN
from tools.notebooks import CELL_TIMEOUT, course_notebooks, ensure_kernel
from tools.student import (RAISES, SOLUTIONS_FILE, STUB, build, has_solution, marker, solution_code,
                           student_notebook, student_source)

NOTEBOOKS = course_notebooks()
IDS = [p.stem for p in NOTEBOOKS]


# --- the transformation -------------------------------------------------------------------------

def test_a_solution_in_a_function_body_becomes_an_indented_stub_under_the_signature():
    source = ("def f(x):\n    # double it\n    ### BEGIN SOLUTION\n    y = 2 * x\n    return y\n"
              "    ### END SOLUTION\n\n\ncheck.f(f)")
    assert student_source(source) == (
        "def f(x):\n    # double it\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n\ncheck.f(f)")


def test_hidden_tests_are_removed_with_their_markers():
    source = "check.f(f)\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS\nprint('done')"
    assert student_source(source) == "check.f(f)\nprint('done')"


def test_markdown_that_explains_the_markers_is_left_alone():
    text = "Write your code between `### BEGIN SOLUTION` and `### END SOLUTION`."
    notebook = new_notebook(cells=[new_markdown_cell(text), new_code_cell("x = 1  # BEGIN SOLUTION is a phrase")])
    student = student_notebook(notebook)
    assert [c.source for c in student.cells] == [text, "x = 1  # BEGIN SOLUTION is a phrase"]


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1", "not closed"),
    ("x = 1\n### END SOLUTION", "without a BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION", "inside an open"),
])
def test_a_broken_region_is_an_error_rather_than_a_leak(source, problem):
    with pytest.raises(ValueError, match=problem):
        student_source(source)


def test_outputs_execution_counts_and_run_metadata_are_cleared():
    cell = new_code_cell("print(1)", execution_count=3, outputs=[nbformat.v4.new_output("stream", text="1\n")],
                         metadata={"execution": {"iopub.status.idle": "2025-01-01"}, "tags": ["keep"]})
    student = student_notebook(new_notebook(cells=[cell]))
    assert student.cells[0].outputs == [] and student.cells[0].execution_count is None
    assert student.cells[0].metadata == {"tags": ["keep"]}
    assert cell.outputs, "the source notebook must not be changed"


def test_an_exercise_cell_is_tagged_raises_exception_so_run_all_goes_on():
    exercise = new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\ncheck.f(f)",
                             metadata={"tags": ["mine"], "exercise": {"id": "1.1", "points": 2}})
    student = student_notebook(new_notebook(cells=[exercise, new_code_cell("print(1)")]))
    assert student.cells[0].metadata == {"tags": ["mine", RAISES], "exercise": {"id": "1.1", "points": 2}}
    assert "tags" not in student.cells[1].metadata


def test_solution_code_drops_the_markers_and_hidden_tests():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n### BEGIN HIDDEN TESTS\nassert f(1)\n### END HIDDEN TESTS\ncheck.f(f)"
    assert solution_code(source) == "def f(x):\n    return x\ncheck.f(f)"


def test_no_solutions_leaves_solutions_json_out_and_the_readme_says_so(tmp_path):
    build(tmp_path, NOTEBOOKS[:1])
    assert (tmp_path / SOLUTIONS_FILE).is_file()
    build(tmp_path, NOTEBOOKS[:1], with_solutions=False)
    assert not (tmp_path / SOLUTIONS_FILE).exists()
    assert "where your instructor provides them" in (tmp_path / "README.md").read_text()


# --- the course's student versions --------------------------------------------------------------

@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    """The student versions of every course notebook, built the way make student builds them."""
    out = tmp_path_factory.mktemp("student")
    build(out)
    return out


def regions(source: str) -> dict[str, list[str]]:
    """Lines strictly inside solution / hidden-test regions, and all lines outside any region."""
    found: dict[str, list[str]] = {"SOLUTION": [], "HIDDEN TESTS": [], "outside": []}
    region = None
    for line in source.splitlines():
        kind = marker(line)
        if kind:
            region = kind.split(" ", 1)[1] if kind.startswith("BEGIN") else None
        else:
            found[region or "outside"].append(line.strip())
    return found


def secret_lines(notebook: nbformat.NotebookNode) -> set[str]:
    """Solution and hidden-test lines that appear nowhere else in the source notebook.

    A line such as ``return out`` may also stand, on purpose, in a worked example outside any
    region; such a line rightly stays in the student version and cannot count as a leak.
    """
    inside, outside = set(), set()
    for cell in notebook.cells:
        parts = regions(cell.source) if cell.cell_type == "code" else {"outside": cell.source.splitlines()}
        inside.update(parts.get("SOLUTION", []) + parts.get("HIDDEN TESTS", []))
        outside.update(line.strip() for line in parts["outside"])
    return {line for line in inside - outside if line}


def test_make_student_writes_every_notebook_and_a_readme(student_dir):
    assert sorted(p.name for p in student_dir.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    readme = (student_dir / "README.md").read_text()
    assert "raise NotImplementedError()" in readme and all(p.name in readme for p in NOTEBOOKS)
    assert "from helpers.check import hint, solution" in readme and 'hint("5.2")' in readme


def test_solutions_json_holds_every_exercise_of_the_course(student_dir):
    solutions = json.loads((student_dir / SOLUTIONS_FILE).read_text())
    ids = [c.metadata["exercise"]["id"] for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells
           if c.cell_type == "code" and has_solution(c.source)]
    assert sorted(solutions) == sorted(ids) and len(ids) >= 50
    assert all(marker(line) is None for s in solutions.values() for line in s["code"].splitlines())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_solution_or_hidden_test_survives(path, student_dir):
    source = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    assert len(student.cells) == len(source.cells)
    secrets = secret_lines(source)
    for index, cell in enumerate(student.cells):
        lines = cell.source.splitlines()
        if cell.cell_type == "code":
            assert not [line for line in lines if marker(line)], f"{path.name}: cell {index} keeps a marker line"
        leaked = sorted(secrets & {line.strip() for line in lines})
        assert not leaked, f"{path.name}: cell {index} of the student version still shows {leaked}"
    stubs = sum(cell.source.count(STUB.splitlines()[-1]) for cell in student.cells)
    assert stubs >= sum(has_solution(c.source) for c in source.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_are_cleared(path, student_dir):
    student = nbformat.read(student_dir / path.name, as_version=4)
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: cell {index} keeps its outputs"


def is_exercise(cell) -> bool:
    """An exercise cell: it held a solution in the source, or it calls a checker."""
    return cell.cell_type == "code" and (has_solution(cell.source) or "check." in cell.source)


def not_written(output) -> bool:
    """The error a stub should give: NotImplementedError itself, or the checker saying so."""
    return output.ename == "NotImplementedError" or (
        output.ename == "ExerciseError" and NOT_WRITTEN in output.evalue)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_student_notebook_fails_only_in_its_exercise_cells(path, student_dir, monkeypatch):
    # Run it top to bottom as a learner would who wrote no answer, in quick mode, past errors.
    monkeypatch.setenv("COURSE_QUICK", "1")
    source = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    # No allow_errors: Run All must carry on past the exercise cells by their raises-exception tag.
    try:
        NotebookClient(student, kernel_name=ensure_kernel(), timeout=CELL_TIMEOUT,
                       resources={"metadata": {"path": str(student_dir)}}).execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} (student version): Run All stopped at a cell that is not an exercise: "
                    f"{error.ename}: {error.evalue}. If an exercise's stub above left a name undefined, keep "
                    "each solution inside a function body, so the function still exists.")
    assert all(c.execution_count for c in student.cells if c.cell_type == "code"), "Run All stopped early"
    secrets = secret_lines(source)
    for index, (original, cell) in enumerate(zip(source.cells, student.cells)):
        committed = [o for o in original.get("outputs", []) if o.get("name") == "stderr"]
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr" and not committed:
                raise AssertionError(f"{path.name}: cell {index} wrote to stderr: {output.text[:300]}")
            if output.output_type == "error" and output.ename == "ExerciseError":
                shown = "\n".join(output.traceback)
                assert "helpers/check" not in shown and "Traceback" not in shown, shown
                leaked = [line for line in secrets if len(line) >= 12 and line in shown]
                assert not leaked, f"{path.name}: cell {index}'s message shows the solution's {leaked}"
    wrong = []
    for index, (original, cell) in enumerate(zip(source.cells, student.cells)):
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            if not is_exercise(original):
                # The first such NameError after the stubs is the stub design's fault; later ones
                # usually follow from the first failure.
                blame = not wrong and output.ename == "NameError"
                wrong.append(f"cell {index} is not an exercise but raised {output.ename}: {output.evalue}"
                             + (" (an exercise's stub above left this name undefined: keep each solution "
                                "inside a function body, so the function still exists)" if blame else ""))
            elif not not_written(output):
                wrong.append(f"exercise cell {index} raised {output.ename}: {output.evalue} "
                             f"instead of NotImplementedError or ExerciseError('... {NOT_WRITTEN}')")
    assert not wrong, f"{path.name} (student version):\n" + "\n".join(wrong)
    if any(has_solution(c.source) for c in source.cells if c.cell_type == "code"):
        assert any(o.output_type == "error" for c in student.cells for o in c.get("outputs", [])), (
            f"{path.name}: the student version ran without stopping at any exercise; do the checkers accept a stub?")
