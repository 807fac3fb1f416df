"""What a learner calls beside the checkers: hints, solutions and progress.

    from helpers.check import hint, solution   # the notebooks import checkers, not these
    hint("5.2")        # the first hint of exercise 5.2: the idea
    hint("5.2", 2)     # the second: closer to the code
    solution("5.2")    # the solution, where this edition of the course has them
    helpers.check.progress(5)        # notebook 05's exercises: passed, failed or not attempted
    helpers.check.progress("A1")     # the same for appendix A1

Solutions come from ``solutions.json`` in the notebook's folder, which the learner edition
(``make workspace``, ``make student``) writes beside the notebooks unless the instructor leaves
solutions out (``make student SOLUTIONS=no``).

:func:`saved_status` reads the same statuses from a saved notebook's outputs, for
``python tools/workspace.py progress``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import linecache
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.check.hints import HINTS, exercises_of

#: The file of the learner edition that holds the solutions, beside its notebooks.
SOLUTIONS_FILE = "solutions.json"

#: The mark shown before each status.
MARKS = {"passed": "\N{CHECK MARK}", "failed": "\N{BALLOT X}", "not attempted": "\N{WHITE CIRCLE}"}


def _known(exercise: str) -> str | None:
    """``exercise`` as a string id ("a1.2" read as "A1.2"); None, after saying so, if there is none.

    A mistyped id in a notebook gets one line that names the known forms, not a traceback.
    """
    exercise = str(exercise).strip().upper()
    if exercise not in HINTS:
        print(f"There is no exercise {exercise!r}; exercises are numbered like '5.2' (notebook 05, "
              f"exercise 2) or 'A1.2' (appendix A1).")
        return None
    return exercise


def hint(exercise: str, level: int = 1) -> None:
    """Print hint number ``level`` of ``exercise`` ("5.2"), and say whether more follow."""
    exercise = _known(exercise)
    if exercise is None:
        return
    hints = HINTS[exercise]
    if not 1 <= level <= len(hints):
        print(f"Exercise {exercise} has hints 1 to {len(hints)}.")
        return
    more = (f' More: hint("{exercise}", {level + 1}).' if level < len(hints)
            else f' Still stuck? from helpers.check import solution; solution("{exercise}") shows a solution.')
    print(f"Hint {level} of {len(hints)} for exercise {exercise}: {hints[level - 1]}{more}")


def solution(exercise: str, folder: Path | str = ".") -> None:
    """Print the solution of ``exercise`` from ``folder/solutions.json`` (the notebook's folder)."""
    exercise = _known(exercise)
    if exercise is None:
        return
    path = Path(folder) / SOLUTIONS_FILE
    try:
        solutions = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print("The solutions are not part of this copy of the course (no solutions.json beside "
              "the notebooks). Ask your instructor.")
        return
    except (OSError, ValueError) as error:
        print(f"cannot read {path}: {error}")
        return
    found = solutions.get(exercise)
    if found is None:
        print(f"{path} holds no solution for exercise {exercise}.")
        return
    print(f"A solution of exercise {exercise} (one of many that pass the checker):\n")
    print(found["code"])


def statuses(notebook: int | str, results: dict[str, str] | None = None) -> dict[str, str]:
    """``{exercise id: status}`` of notebook ``notebook`` from ``results`` (default: this kernel's).

    An exercise whose checker has not run since the kernel started is "not attempted".
    """
    if results is None:
        from helpers.check import RESULTS as results
    return {key: results.get(key, "not attempted") for key in exercises_of(notebook)}


def progress(notebook: int | str) -> None:
    """Print each exercise of notebook ``notebook`` (5, or "A1" for an appendix): passed, failed
    or not attempted here."""
    title = f"Notebook {notebook:02d}" if isinstance(notebook, int) else f"Appendix {notebook}"
    print(summary(title, statuses(notebook)))


def summary(title: str, statuses: dict[str, str]) -> str:
    """``title: 2 of 4 exercises passed`` and one line per exercise with its status."""
    passed = sum(status == "passed" for status in statuses.values())
    lines = [f"{title}: {passed} of {len(statuses)} exercises passed"]
    lines += [f"  {MARKS.get(status, '?')} {key:<5} {status}" for key, status in statuses.items()]
    return "\n".join(lines)


def output_status(outputs: list[dict]) -> str:
    """The status a saved exercise cell's outputs show: passed, failed or not attempted."""
    for output in outputs:
        if output.get("output_type") == "error":
            text = str(output.get("evalue", ""))
            if output.get("ename") == "NotImplementedError" or "is not written yet" in text:
                return "not attempted"
            return "failed"
    text = "".join(str(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
    return "passed" if "\N{CHECK MARK} Exercise" in text else "not attempted"


def saved_status(path: Path) -> dict[str, str]:
    """``{exercise id: status}`` for the exercise cells of a saved notebook, from its outputs.

    Exercise cells carry ``metadata.exercise.id``; a cell never run counts as not attempted.
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    statuses = {}
    for cell in notebook.get("cells", []):
        exercise = cell.get("metadata", {}).get("exercise", {}).get("id")
        if exercise and cell.get("cell_type") == "code":
            statuses[exercise] = output_status(cell.get("outputs", []))
    return statuses


def _python_of(source: str) -> str:
    """A cell's source as plain Python: IPython's magics (``%time``, ``!ls``, ``f?``) become the
    calls IPython would make, or are dropped when IPython is not there."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return TransformerManager().transform_cell(source)


def _definitions(tree: ast.Module) -> list[ast.stmt]:
    """The statements of a cell that only define things: imports, functions, classes, and names
    bound to plain constants (``FILTERS = (32, 32, 64)``). Calls, loops and checks are left out."""
    def constant(node: ast.expr) -> bool:
        return isinstance(node, ast.Constant) or (
            isinstance(node, (ast.Tuple, ast.List)) and all(constant(e) for e in node.elts))

    return [node for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
            or (isinstance(node, ast.Assign) and constant(node.value))]


def _run_imports(cells: list[dict], scope: dict[str, Any]) -> None:
    """Run every top-level import of the notebook's code cells in ``scope``; skip what fails."""
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(_python_of("".join(cell.get("source", ""))))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                try:
                    exec(compile(ast.Module(body=[node], type_ignores=[]), "<imports>", "exec"), scope)
                except Exception:  # a module this kernel lacks: the function may not need it
                    pass


def _passes(found: Any, checker: Callable[[Any], None]) -> bool:
    """Whether ``checker`` accepts ``found``, run silently, leaving this kernel's RESULTS as it was."""
    from helpers.check import RESULTS

    before = dict(RESULTS)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            checker(found)
        return True
    except Exception:  # ExerciseError, or anything the learner's code raised
        return False
    finally:
        RESULTS.clear()
        RESULTS.update(before)


def from_notebook(notebook: str, exercise: str, name: str, checker: Callable[[Any], None],
                  namespace: dict[str, Any] | None = None, folder: Path | str = ".") -> Any:
    """``name`` as the learner wrote it in exercise ``exercise`` of ``notebook`` (a file in
    ``folder``, the notebooks' folder, as last saved), if the exercise's ``checker`` passes it
    now; else None.

    Only the definitions of the exercise's cell run (imports, functions, classes, constants; its
    ``check...`` line does not), in a fresh namespace: a copy of ``namespace`` (names the cell
    uses from its notebook that are not imports, e.g. ``{"reader": reader}``) plus every import
    of the notebook's code cells. When several cells carry the exercise's id, the last one that
    passes wins. The checker runs silently. This is how a later notebook goes on with the network
    or the loop the learner wrote in an earlier one, like d2l's saved functions.
    """
    path = Path(folder) / notebook
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    sources = ["".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code"
               and c.get("metadata", {}).get("exercise", {}).get("id") == exercise]
    imports: dict[str, Any] = {}
    _run_imports(cells, imports)  # the names the notebook imported elsewhere, e.g. in its set-up
    for number, source in reversed(list(enumerate(sources))):
        text = _python_of(source)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        scope = {**imports, **(namespace or {})}
        # Give the code a file name of its own and its text in linecache, as IPython does for a
        # cell: tf.function (AutoGraph) and tracebacks read a function's source from there.
        filename = f"<{notebook}, exercise {exercise}, cell {number + 1}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        try:
            exec(compile(ast.Module(body=_definitions(tree), type_ignores=[]), filename, "exec"), scope)
        except Exception:  # the learner's cell may fail in any way; then it is simply not used
            continue
        found = scope.get(name)
        if found is not None and _passes(found, checker):
            return found
    return None
