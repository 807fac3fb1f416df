"""Every notebook in notebooks/ is a well-formed lesson: numbered, one parameters cell, goals,
exercises, committed outputs without errors.

Notebooks are collected by glob, so a new notebook is tested without touching this file. That each
runs top to bottom in quick mode is nbval's part of `make test` (`pytest notebooks --nbval-lax`):
it executes every notebook once with COURSE_QUICK=1, fails on any error outside a cell tagged
`raises-exception`, and compares the outputs of the cells marked NBVAL_CHECK_OUTPUT. Running them
once more here with papermill would prove nothing more (`tests/test_tools_notebooks.py` checks
that papermill injects parameters) and cost minutes.
"""

from __future__ import annotations

import nbformat
import pytest

import re

from tools.notebooks import course_notebooks, parameters_cells

NOTEBOOKS = course_notebooks()
IDS = [p.stem for p in NOTEBOOKS]


def test_the_course_has_notebooks():
    assert len(NOTEBOOKS) >= 6, f"expected the course's notebooks, found {IDS}"


def test_notebooks_are_numbered_without_gaps():
    # Lessons are 00_..., 01_..., ...; appendices after them A1_..., A2_....
    lessons = [p.name for p in NOTEBOOKS if re.match(r"\d\d_", p.name)]
    appendices = [p.name for p in NOTEBOOKS if re.match(r"A\d+_", p.name)]
    assert sorted(lessons + appendices) == sorted(p.name for p in NOTEBOOKS), (
        f"every notebook is NN_name or An_name: {IDS}")
    numbers = [int(name[:2]) for name in lessons]
    assert numbers == list(range(len(numbers))), f"notebook numbers {numbers} have a gap or a repeat"
    appendix_numbers = [int(name[1:name.index("_")]) for name in appendices]
    assert appendix_numbers == list(range(1, len(appendices) + 1)), f"appendices {appendices} have a gap"
    assert [p.name for p in NOTEBOOKS] == lessons + appendices, "the appendices come after the lessons"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_has_exactly_one_parameters_cell_that_sets_quick(path):
    cells = parameters_cells(path)
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters'; papermill needs exactly one"
    source = nbformat.read(path, as_version=4).cells[cells[0]].source
    assert "QUICK = quick_mode()" in source, f"{path.name}: the parameters cell must set QUICK = quick_mode()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_is_a_lesson_with_goals_exercises_and_a_course_kernel(path):
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and "Learning goals" in first.source, (
        f"{path.name}: the first cell must be Markdown with the learning goals")
    headings = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert any(h.lstrip().startswith("## Exercises") for h in headings), f"{path.name}: no '## Exercises' section"
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "helpers.check" in code, f"{path.name}: exercises must be checked by helpers.check"
    assert notebook.metadata.get("kernelspec", {}).get("name") == "cnn-course", f"{path.name}: kernel is not cnn-course"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_are_not_hidden_by_a_trailing_semicolon(path):
    # helpers.plots returns the figure it drew and lets the cell's value show it (see the module
    # docstring); a trailing ';' suppresses that value, so the figure would silently vanish.
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        last = cell.source.rstrip().splitlines()[-1:] if cell.cell_type == "code" else []
        assert not (last and "plots." in cell.source and last[0].endswith(";")), (
            f"{path.name}: cell {index} ends with ';', which hides the figure helpers.plots returns")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_outputs_have_no_errors(path):
    notebook = nbformat.read(path, as_version=4)
    assert any(c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        f"{path.name}: no outputs committed; run it so readers see the results")
    for index, cell in enumerate(notebook.cells):
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", f"{path.name}: cell {index} has an error output"

