"""Checkers for the exercise of appendix A3 (robust files and commands).

    from helpers.check import robustness as check
    check.write_json_atomically(write_json_atomically)   # Exercise A3.1

The checker writes into a temporary folder of its own: a new file, a file written over, and a
value that cannot be written as JSON while the file already holds something. It says when the
old content was lost, when a temporary file was left behind and when an error was swallowed.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.check import NOT_WRITTEN, call_safely, listed, report

#: The file the checker asks for, and what it already holds in the last two cases.
NAME = "state.json"
OLD = {"epochs_done": 3, "best_epoch": 2}
NEW = {"epochs_done": 4, "best_epoch": 4, "history": [0.7, 0.6, 0.55, 0.5]}
#: A value json cannot write: the learner's function meets the error part-way through.
UNWRITABLE = {"epochs_done": 5, "history": [0.7, 0.6], "model": object()}


def _left_over(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != NAME)


def _content(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unreadable"


def _problems(answer: Callable[[Any, Any], Any]) -> list[str]:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="check-atomic-") as root:
        folder = Path(root)
        path = folder / NAME
        # 1. a new file, the path given as a str
        _, error = call_safely(answer, str(path), OLD)
        if error:
            return [error.replace(str(folder), "FOLDER")]
        if _content(path) != OLD:
            problems.append(f"a new {NAME} should hold {OLD}; it holds {_content(path)!r}.")
        # 2. over an existing file, the path given as a Path
        _, error = call_safely(answer, path, NEW)
        if error:
            return [error.replace(str(folder), "FOLDER")]
        if _content(path) != NEW:
            problems.append(f"writing {NEW} over the file left {_content(path)!r}.")
        if _left_over(folder):
            problems.append(f"files were left beside {NAME}: {_left_over(folder)}; rename the "
                            "temporary file over the target (os.replace).")
        # 3. a value that cannot be written: the old file must stay whole
        _, error = call_safely(answer, path, UNWRITABLE)
        content = _content(path)
        if content != NEW:
            problems.append(f"when the value cannot be written as JSON, {NAME} must keep its old "
                            f"content; it now holds {content!r}: the old file was lost. Write "
                            "to a temporary file first and replace the target only at the end.")
        if not error:
            problems.append("a value json cannot write came back without an error: let the "
                            "error through, so that the caller knows nothing was written.")
        if _left_over(folder):
            problems.append(f"after the failed write, {_left_over(folder)} was left beside "
                            f"{NAME}: delete the temporary file when anything goes wrong.")
    return problems


def write_json_atomically(answer: Callable[[Any, Any], Any]) -> None:
    """Exercise A3.1: ``answer(path, value)`` must write ``value`` as JSON to ``path`` so that
    the file is always either the old one or the whole new one: through a temporary file beside
    it and ``os.replace``, the temporary file removed and the error raised when writing fails."""
    problems = _problems(answer)
    stub = [p for p in problems if NOT_WRITTEN in p]
    report("Exercise A3.1", listed(stub[:1] or problems, 3),
           success="Whatever happens while writing, the file is the old one or the whole new one.",
           hint="write into a temporary file in the same folder, then os.replace it over the "
                "target; on any error remove the temporary file and raise again.")
