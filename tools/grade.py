"""Grade learners' notebooks with the checks of the course's own notebooks (``make grade``).

    python tools/grade.py SUBMISSIONS --out OUT          # SUBMISSIONS/<learner>/<NN_name>.ipynb
    python tools/grade.py SUBMISSIONS --out OUT --cell-timeout 60 --notebook-timeout 600
    python tools/grade.py SUBMISSIONS --out OUT --notebooks 01 02   # only these notebooks

For every learner folder and every course notebook with exercises it writes one row per exercise
to ``OUT/grades.csv`` (``learner,notebook,exercise,points,max_points,status``; status ``passed``,
``failed``, ``not attempted``, ``error``, ``timeout`` or ``missing``) and the checkers' messages
to ``OUT/feedback/<learner>.md``.

How a submission is graded, and why:

- **What runs is the instructor's notebook, not the learner's.** The graded notebook is built
  from the source notebook in ``notebooks/``: every cell is the instructor's, except that each
  exercise cell is replaced by the learner's cell with the same exercise id
  (``metadata.exercise.id``, which the learner edition keeps; a cell that lost it is found by
  the first line of the exercise, e.g. ``def my_sigmoid(z):``). So cells a learner moved,
  added or deleted change nothing, and an exercise cell that is gone counts as not attempted.
  This is nbgrader's autograde idea (the instructor's version of every test cell wins) applied
  to the whole notebook.
- **The checks come from the source notebook and never from the submission.** After each
  exercise cell the grader runs its own cell: it drops every ``helpers.check`` module from
  ``sys.modules`` (so a checker the learner redefined, patched or silenced is imported afresh
  from the course's files), then runs the check lines and hidden tests of the source cell, then
  prints a random token. An exercise passes only when that token comes back: printing a check
  mark, swallowing exceptions or redefining ``check`` in the learner's cells earns nothing.
  (Like otter-grader's per-question test results, the verdict is read per exercise; unlike it,
  no test code ships with the handout.)
- **Each notebook runs in a fresh kernel on a fresh copy of the course's ``helpers``** in a
  temporary folder, which is also the kernel's working directory and first on ``PYTHONPATH``:
  whatever a submission writes or deletes there is thrown away and reaches neither the course nor
  another learner. Cells have a time limit (``--cell-timeout``; the kernel is interrupted and the
  next cell runs), the notebook has one too (``--notebook-timeout``; the rest is ``timeout``),
  and a cell's outputs are cut at ``--max-output`` characters. A file that is not a notebook,
  a kernel that dies (``os._exit``, a crash) or a notebook that cannot start costs only that
  notebook's exercises their points (``error``); the next notebook and learner go on.
- Execution uses nbclient, cell by cell, so each exercise gets its own status.

This isolates submissions from the course and from each other, not from the machine: the learner's
code runs as the instructor's user. Grade untrusted submissions in a container or a throw-away
account (otter-grader's Docker mode exists for that).
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.notebooks import ROOT, course_notebooks, ensure_kernel  # noqa: E402
from tools.student import has_solution, marker, student_source  # noqa: E402

STATUSES = ("passed", "failed", "not attempted", "error", "timeout", "missing")
COLUMNS = ("learner", "notebook", "exercise", "points", "max_points", "status")
CHECK_IMPORT = re.compile(r"^\s*(from helpers\.check(\.\w+)* import .+|import helpers\.check.*)$")
NOT_WRITTEN = "is not written yet"
CUT = "[output cut by the grader]\n"


@dataclass
class Exercise:
    """One exercise of a source notebook: its id, points, cell and check code."""

    id: str
    points: float
    index: int
    stub: str
    checks: str


@dataclass
class Result:
    """The grade of one exercise of one learner."""

    learner: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    status: str
    message: str = ""

    def row(self) -> dict[str, str]:
        return {"learner": self.learner, "notebook": self.notebook, "exercise": self.exercise,
                "points": f"{self.points:g}", "max_points": f"{self.max_points:g}", "status": self.status}


@dataclass
class Limits:
    """Time and size limits for running one submitted notebook."""

    cell_timeout: float = 600
    notebook_timeout: float = 3600
    max_output: int = 100_000


def check_code(source: str) -> str:
    """The lines of an exercise cell that check it: top-level statements using ``check.``, and
    hidden-test regions. The learner's definitions (solution regions, signatures) are left out."""
    hidden, region = [], None
    for line in source.splitlines():
        found = marker(line)
        if found:
            edge, kind = found.split(" ", 1)
            region = kind if edge == "BEGIN" else None
        elif region == "HIDDEN TESTS":
            hidden.append(line)
    visible = student_source(source)
    tree = ast.parse(visible)
    statements = [ast.get_source_segment(visible, node) for node in tree.body
                  if any(isinstance(n, ast.Name) and n.id == "check" for n in ast.walk(node))
                  and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return "\n".join([s for s in statements if s] + hidden)


def exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """The exercises of a source notebook, in order."""
    found = []
    for index, cell in enumerate(notebook.cells):
        info = cell.get("metadata", {}).get("exercise", {})
        if cell.cell_type == "code" and info.get("id") and has_solution(cell.source):
            found.append(Exercise(str(info["id"]), float(info.get("points", 1)), index,
                                  student_source(cell.source), check_code(cell.source)))
    return found


def check_imports(notebook: nbformat.NotebookNode) -> list[str]:
    """The source notebook's lines that import checkers (``from helpers.check import ... as check``)."""
    lines = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            lines += [line.strip() for line in cell.source.splitlines() if CHECK_IMPORT.match(line)]
    return list(dict.fromkeys(lines))


def first_line(source: str) -> str:
    """The first line of code of a cell (a ``def ...:`` line for the course's exercises)."""
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    return ""


def learner_cell(submission: nbformat.NotebookNode | None, exercise: Exercise) -> str | None:
    """The source of the submission's cell for ``exercise``: by id, else by its first line."""
    if submission is None:
        return None
    code = [c for c in submission.get("cells", []) if c.get("cell_type") == "code"]
    for cell in code:
        if str(cell.get("metadata", {}).get("exercise", {}).get("id")) == exercise.id:
            return "".join(cell.get("source", ""))
    start = first_line(exercise.stub)
    for cell in code:
        source = "".join(cell.get("source", ""))
        if start and start in [line.strip() for line in source.splitlines()]:
            return source
    return None


def grading_cell(exercise: Exercise, imports: list[str], token: str) -> str:
    """The grader's own cell after an exercise: fresh checkers, the source's checks, the token."""
    return "\n".join([
        "import sys as _grader_sys",
        "for _grader_name in [n for n in list(_grader_sys.modules)",
        "                     if n == 'helpers.check' or n.startswith('helpers.check.')]:",
        "    del _grader_sys.modules[_grader_name]",
        "get_ipython().set_custom_exc((), lambda *args, **kwargs: None)",
        *imports,
        exercise.checks,
        f"print({token!r}, {exercise.id!r})",
    ])


def graded_notebook(source: nbformat.NotebookNode, submission: nbformat.NotebookNode | None,
                    token: str) -> tuple[nbformat.NotebookNode, dict[int, Exercise]]:
    """The notebook to execute and, for each grading cell's index, its exercise."""
    graded = nbformat.v4.new_notebook(metadata=source.metadata)
    imports = check_imports(source)
    by_index = {e.index: e for e in exercises(source)}
    grading: dict[int, Exercise] = {}
    for index, cell in enumerate(source.cells):
        if cell.cell_type != "code":
            continue
        exercise = by_index.get(index)
        if exercise is None:
            graded.cells.append(nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata)))
            continue
        answer = learner_cell(submission, exercise)
        graded.cells.append(nbformat.v4.new_code_cell(exercise.stub if answer is None else answer))
        grading[len(graded.cells)] = exercise
        graded.cells.append(nbformat.v4.new_code_cell(grading_cell(exercise, imports, token)))
    return graded, grading


class LimitedClient(NotebookClient):
    """nbclient's client with a cap on the characters of output kept per cell."""

    max_output_chars = 100_000

    def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001 (nbclient's signature)
        out = super().output(outs, msg, display_id, cell_index)
        sizes = self.__dict__.setdefault("_output_sizes", {})
        if out is not None and outs and outs[-1] is out:
            before = sizes.get(cell_index, 0)
            sizes[cell_index] = before + len(json.dumps(out))
            if sizes[cell_index] > self.max_output_chars:
                outs.pop()
                if before <= self.max_output_chars:
                    outs.append(nbformat.v4.new_output("stream", name="stdout", text=CUT))
        return out


def verdict(outputs: list, token: str, answer_outputs: list = ()) -> tuple[str, str]:
    """(status, message) from a grading cell's outputs (and those of the learner's cell before it).

    When the learner's own cell stopped with an error of its own (a syntax error, a name that
    does not exist), that error is the message: the grading cell's error is only its consequence
    (e.g. ``NameError: name 'my_sigmoid' is not defined``).
    """
    text = "".join(str(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
    for output in outputs:
        if output.get("output_type") == "error":
            ename, evalue = output.get("ename", ""), str(output.get("evalue", ""))
            if ename == "NotImplementedError" or NOT_WRITTEN in evalue:
                return "not attempted", evalue or "not written yet"
            own = [o for o in answer_outputs if o.get("output_type") == "error"
                   and o.get("ename") not in ("ExerciseError", "NotImplementedError")]
            if own:
                where = re.sub(r"\(\d+\.py, (line \d+)\)", r"(\1 of the cell)", str(own[0].get("evalue", "")))
                return "failed", f"your exercise cell stopped with {own[0].get('ename')}: {where}"
            return "failed", evalue if ename == "ExerciseError" else f"{ename}: {evalue}"
    if token in text:
        return "passed", ""
    return "error", "the check did not finish"


def copy_course(folder: Path, course: Path = ROOT) -> Path:
    """A fresh copy of the course's ``helpers`` package in ``folder``; returns the working folder."""
    shutil.copytree(course / "helpers", folder / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    work = folder / "notebooks"
    work.mkdir()
    return work


def run_graded(graded: nbformat.NotebookNode, grading: dict[int, Exercise], work: Path,
               limits: Limits, token: str) -> dict[str, tuple[str, str]]:
    """Execute ``graded`` in a fresh kernel in ``work``; (status, message) per exercise id.

    The kernel's own output streams (its start-up warnings, whatever a submission writes to the
    process's file descriptors) go to ``work/../kernel.log``, not to the instructor's terminal.
    """
    results: dict[str, tuple[str, str]] = {}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(work.parent)] + [
        p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    client = LimitedClient(graded, kernel_name=ensure_kernel(), timeout=int(limits.cell_timeout),
                           allow_errors=True, interrupt_on_timeout=True,
                           error_on_timeout={"ename": "CellTimeoutError", "evalue": "the cell ran too long",
                                             "traceback": []},
                           resources={"metadata": {"path": str(work)}})
    client.max_output_chars = limits.max_output
    deadline = time.monotonic() + limits.notebook_timeout
    timed_out_cells: set[int] = set()
    stopped = ""
    log = open(work.parent / "kernel.log", "wb")  # noqa: SIM115 (closed below, after the kernel)
    try:
        with client.setup_kernel(env=env, cwd=str(work), stdout=log, stderr=log):
            for index, cell in enumerate(graded.cells):
                left = deadline - time.monotonic()
                if left <= 0:
                    stopped = stopped or "timeout"
                    break
                client.timeout = int(max(1, min(limits.cell_timeout, left)))
                # On a timeout nbclient interrupts the kernel, waits for the cell to end and goes
                # on (interrupt_on_timeout); the cell then took at least the time limit.
                started = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:  # the kernel did not answer the interrupt
                    timed_out_cells.add(index)
                except DeadKernelError:
                    stopped = "error"
                    break
                if time.monotonic() - started >= client.timeout:
                    timed_out_cells.add(index)
                if index in grading:
                    exercise = grading[index]
                    if index in timed_out_cells or index - 1 in timed_out_cells:
                        results[exercise.id] = ("timeout", f"a cell ran longer than {client.timeout} s")
                    else:
                        results[exercise.id] = verdict(cell.outputs, token, graded.cells[index - 1].outputs)
    except (DeadKernelError, RuntimeError, OSError) as error:
        stopped = stopped or "error"
        results.setdefault("", ("error", f"the kernel stopped: {error}"))
    finally:
        log.close()
    for exercise in grading.values():
        if exercise.id not in results:
            results[exercise.id] = (("timeout", "the notebook ran out of time before this exercise")
                                    if stopped == "timeout" else
                                    ("error", "the kernel died (a crash or an exit) before this "
                                              "exercise was checked"))
    results.pop("", None)
    return results


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """(notebook, "") or (None, why it cannot be used)."""
    try:
        return nbformat.from_dict(json.loads(path.read_text(encoding="utf-8"))), ""
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return None, f"{path.name} is not a notebook (not JSON: {error})"


def grade_notebook(learner: str, source_path: Path, folder: Path, limits: Limits) -> list[Result]:
    """Grade one learner's copy of one source notebook."""
    source = nbformat.read(source_path, as_version=4)
    found = exercises(source)
    submitted = folder / source_path.name

    def rows(status: str, message: str = "", statuses: dict | None = None) -> list[Result]:
        out = []
        for exercise in found:
            st, msg = (statuses or {}).get(exercise.id, (status, message))
            out.append(Result(learner, source_path.name, exercise.id,
                              exercise.points if st == "passed" else 0, exercise.points, st, msg))
        return out

    if not submitted.is_file():
        return rows("missing", f"no {source_path.name} in the submission")
    submission, problem = read_submission(submitted)
    if submission is None:
        return rows("error", problem)
    token = f"graded-{secrets.token_hex(16)}"
    graded, grading = graded_notebook(source, submission, token)
    with tempfile.TemporaryDirectory(prefix="grade-") as temporary:
        work = copy_course(Path(temporary))
        try:
            statuses = run_graded(graded, grading, work, limits, token)
        except Exception as error:  # a kernel that cannot start must not stop the other learners
            return rows("error", f"could not run the notebook: {type(error).__name__}: {error}")
    return rows("error", "", statuses)


def feedback(learner: str, results: list[Result]) -> str:
    """The Markdown feedback of one learner: points, and each exercise with its message."""
    total = sum(r.points for r in results)
    possible = sum(r.max_points for r in results)
    lines = [f"# Feedback for {learner}", "", f"{total:g} of {possible:g} points.", ""]
    notebook, said = None, ""
    for result in results:
        if result.notebook != notebook:
            notebook, said = result.notebook, ""
            lines += ["", f"## {notebook}", ""]
        lines.append(f"- Exercise {result.exercise}: **{result.status}** "
                     f"({result.points:g}/{result.max_points:g})")
        if result.message and result.message != said and result.status in ("missing", "error", "timeout"):
            said = result.message
        elif result.message == said:
            continue
        if result.message:
            lines += ["", "  ```", *[f"  {line}" for line in result.message.splitlines()], "  ```"]
    return "\n".join(lines) + "\n"


def safe_name(name: str) -> str:
    """A learner folder's name usable as a file name."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "learner"


def grade(submissions: Path, out: Path, sources: list[Path] | None = None, limits: Limits | None = None,
          log=print) -> list[Result]:  # noqa: ANN001
    """Grade every learner folder in ``submissions``; write grades.csv and feedback/ into ``out``."""
    limits = limits or Limits()
    sources = [p for p in (sources or course_notebooks())
               if exercises(nbformat.read(p, as_version=4))]
    learners = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    every: list[Result] = []
    for folder in learners:
        results: list[Result] = []
        for source in sources:
            start = time.monotonic()
            graded = grade_notebook(folder.name, source, folder, limits)
            results += graded
            got = sum(r.points for r in graded)
            log(f"{folder.name:<20} {source.name:<45} {got:g}/{sum(r.max_points for r in graded):g}"
                f"  ({time.monotonic() - start:.0f} s)")
        (out / "feedback" / f"{safe_name(folder.name)}.md").write_text(feedback(folder.name, results),
                                                                       encoding="utf-8")
        every += results
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(r.row() for r in every)
    return every


def chosen(sources: list[Path], numbers: list[str]) -> list[Path]:
    """The notebooks of ``sources`` whose number (``01``, ``A1``) is in ``numbers``, in course order."""
    known = {p.name.split("_")[0]: p for p in sources}
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise ValueError(f"no notebook numbered {', '.join(unknown)} (there are {', '.join(known)})")
    return [p for number, p in known.items() if number in numbers]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="one folder per learner with their notebooks")
    parser.add_argument("--out", type=Path, required=True, help="where grades.csv and feedback/ go")
    parser.add_argument("--source", type=Path, default=None,
                        help="the instructor's notebooks (default: notebooks/ of the course)")
    parser.add_argument("--notebooks", nargs="+", metavar="NN", default=None,
                        help="grade only these notebooks, by number, e.g. --notebooks 01 02 (default: all)")
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, help="seconds per cell")
    parser.add_argument("--notebook-timeout", type=float, default=Limits.notebook_timeout,
                        help="seconds per notebook")
    parser.add_argument("--max-output", type=int, default=Limits.max_output, help="characters of output kept per cell")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"{args.submissions}: no such folder (it should hold one folder per learner)", file=sys.stderr)
        return 2
    sources = course_notebooks(args.source) if args.source else None
    if args.notebooks:
        try:
            sources = chosen(sources or course_notebooks(), args.notebooks)
        except ValueError as error:
            print(f"--notebooks: {error}", file=sys.stderr)
            return 2
    limits = Limits(args.cell_timeout, args.notebook_timeout, args.max_output)
    results = grade(args.submissions, args.out, sources, limits)
    learners = len({r.learner for r in results})
    print(f"{len(results)} grades of {learners} learners in {args.out / 'grades.csv'}, "
          f"feedback in {args.out / 'feedback'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
