"""Build the student versions of the course notebooks into build/student/ (``make student``).

    python tools/student.py                 # every notebook in notebooks/ -> build/student/
    python tools/student.py --out handout   # somewhere else
    python tools/student.py --no-solutions  # without solutions.json: helpers.check.solution has none

In the source notebooks each exercise's solution sits between nbgrader's markers, and checks that
learners should not see between the hidden-test markers::

    def conv_output_size(n, f, p, s):
        ### BEGIN SOLUTION
        return (n - f + 2 * p) // s + 1
        ### END SOLUTION

    check.output_size(conv_output_size)

The student version replaces each solution region by nbgrader's own stub, indented like the
marker line it replaces, so a solution inside a function body leaves the function defined::

    def conv_output_size(n, f, p, s):
        # YOUR CODE HERE
        raise NotImplementedError()

    check.output_size(conv_output_size)

It also deletes hidden-test regions (markers included), clears every output and execution
count, and tags each exercise cell ``raises-exception``, so that Run All in JupyterLab (and nbval,
and nbclient) carries on past an exercise not answered yet while its cell still shows the
checker's message. Unless ``--no-solutions`` is given, the solutions go into ``solutions.json``
beside the notebooks, where ``helpers.check.solution("5.2")`` finds them. Only code cells are transformed, and only whole marker lines count (``### BEGIN SOLUTION``
alone on its line), so Markdown that *explains* the markers is left as it is. (nbgrader's
ClearSolutions matches the marker text anywhere, Markdown included, and would stop at such a
sentence; its package would also add its database and JupyterLab extensions to the learners'
environment, which is why these few lines do the same job with nbformat.)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.notebooks import BUILD, course_notebooks  # noqa: E402

#: What a solution region becomes: nbgrader's own Python stub.
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

#: A marker line: only the marker comment on its line, e.g. ``    ### BEGIN SOLUTION``.
MARKER = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")

#: The tag JupyterLab's Run All, nbclient and nbval honour: an error here does not stop the run.
RAISES = "raises-exception"

#: The learner edition's file of solutions, read by ``helpers.check.solution``.
SOLUTIONS_FILE = "solutions.json"

#: Cell and notebook metadata that only describes a past run (timings, papermill's records).
RUN_METADATA = ("execution", "papermill", "collapsed", "scrolled")

README = """\
# Course notebooks: your copy

These are the course's notebooks with the exercise solutions taken out. Open them in JupyterLab
with the kernel **Python (cnn-course)**, the environment the course installs (`make setup` in
the course repository); the notebooks import its `helpers` package.

Work through them in order:

{lessons}

Each notebook ends with exercises. In each exercise cell, replace

```python
# YOUR CODE HERE
raise NotImplementedError()
```

with your code and run the cell. Its last line calls a checker from `helpers.check`, which tries
your answer on several cases: a line starting with a check mark means it is right; otherwise the
cell shows a red message that says which input went wrong, what came back and what was
expected.

Until you have written an exercise its cell shows "... is not written yet"; Run All carries on
past it (exercise cells are tagged `raises-exception`), so you can run the whole notebook at any
time. Stuck? `from helpers.check import hint, solution`, then `hint("5.2")` prints the first hint
of exercise 5.2, `hint("5.2", 2)` the next; `solution("5.2")` shows a solution{solutions}.
The last cell of each notebook, `progress(5)`, lists its exercises as passed, failed or not
attempted.
"""


def marker(line: str) -> str | None:
    """``"BEGIN SOLUTION"``, ``"END HIDDEN TESTS"``... when ``line`` is a marker line, else None."""
    match = MARKER.match(line)
    return f"{match[1]} {match[2]}" if match else None


def student_source(source: str) -> str:
    """``source`` with each solution region replaced by :data:`STUB` and hidden tests removed.

    Raises ``ValueError`` for a region that is not closed, closed twice or nested, since a
    half-removed solution would leak into the handout.
    """
    lines: list[str] = []
    region = None  # "SOLUTION" or "HIDDEN TESTS" while inside one
    for number, line in enumerate(source.splitlines(), start=1):
        found = marker(line)
        if found is None:
            if region is None:
                lines.append(line)
            continue
        edge, kind = found.split(" ", 1)
        if edge == "BEGIN":
            if region is not None:
                raise ValueError(f"line {number}: BEGIN {kind} inside an open {region} region")
            region = kind
            if kind == "SOLUTION":
                indent = line[: len(line) - len(line.lstrip())]
                lines.extend(indent + stub for stub in STUB.splitlines())
        else:
            if region != kind:
                raise ValueError(f"line {number}: END {kind} without a BEGIN {kind} before it")
            region = None
    if region is not None:
        raise ValueError(f"a {region} region is not closed (no END {region})")
    return "\n".join(lines)


def has_solution(source: str) -> bool:
    """True when ``source`` holds a solution region (the cell is an exercise)."""
    return any(marker(line) == "BEGIN SOLUTION" for line in source.splitlines())


def solution_code(source: str) -> str:
    """The exercise cell ``source`` as the solution: hidden tests removed, solution markers dropped."""
    lines, region = [], None
    for line in source.splitlines():
        found = marker(line)
        if found:
            edge, kind = found.split(" ", 1)
            region = kind if edge == "BEGIN" else None
        elif region != "HIDDEN TESTS":
            lines.append(line)
    return "\n".join(lines)


def solutions(notebook: nbformat.NotebookNode, name: str) -> dict[str, dict[str, str]]:
    """``{exercise id: {"notebook": name, "code": solution}}`` for the exercise cells of ``notebook``."""
    found = {}
    for cell in notebook.cells:
        exercise = cell.metadata.get("exercise", {}).get("id")
        if cell.cell_type == "code" and exercise and has_solution(cell.source):
            found[exercise] = {"notebook": name, "code": solution_code(cell.source)}
    return found


def student_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with solutions stubbed, hidden tests removed and outputs cleared.

    Cells keep their order and ids, so cell ``i`` of the student version is cell ``i`` of the
    source.
    """
    student = nbformat.from_dict(notebook)  # a deep copy
    student, _ = ClearOutputPreprocessor().preprocess(student, {})
    for key in RUN_METADATA:
        student.metadata.pop(key, None)
    for index, cell in enumerate(student.cells):
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            if has_solution(cell.source):
                cell.metadata["tags"] = sorted(set(cell.metadata.get("tags", [])) | {RAISES})
            try:
                cell.source = student_source(cell.source)
            except ValueError as error:
                raise ValueError(f"cell {index}: {error}") from None
    return student


def build(out: Path = BUILD / "student", sources: list[Path] | None = None,
          with_solutions: bool = True) -> list[Path]:
    """Write the student version of every course notebook, and a README.md, into ``out``.

    With ``with_solutions`` the solutions go into ``out/solutions.json``; without, any
    ``solutions.json`` this build wrote earlier is removed, so none is handed out by mistake.
    """
    from tools.site import lesson_title  # the site's index and this README name lessons alike

    out.mkdir(parents=True, exist_ok=True)
    written = []
    lessons = []
    answers: dict[str, dict[str, str]] = {}
    for path in sources or course_notebooks():
        notebook = nbformat.read(path, as_version=4)
        try:
            student = student_notebook(notebook)
        except ValueError as error:
            raise ValueError(f"{path.name}: {error}") from None
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
        answers.update(solutions(notebook, path.name))
        exercises = sum(has_solution(c.source) for c in notebook.cells if c.cell_type == "code")
        lessons.append(f"- `{path.name}`: {lesson_title(notebook, path)} ({exercises} exercises)")
    solutions_path = out / SOLUTIONS_FILE
    if with_solutions:
        solutions_path.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        solutions_path.unlink(missing_ok=True)
    text = README.format(lessons="\n".join(lessons),
                         solutions="" if with_solutions else " where your instructor provides them")
    (out / "README.md").write_text(text, encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=BUILD / "student", help="where the student notebooks go")
    parser.add_argument("--no-solutions", action="store_true",
                        help="leave the solutions out entirely (no solutions.json)")
    args = parser.parse_args(argv)
    try:
        written = build(args.out, with_solutions=not args.no_solutions)
    except ValueError as error:
        print(f"cannot build the student version: {error}", file=sys.stderr)
        return 1
    extra = "" if args.no_solutions else f" and {SOLUTIONS_FILE}"
    print(f"{len(written)} student notebooks, README.md{extra} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
