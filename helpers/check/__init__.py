"""Exercise checkers: automatic feedback that says *what* is wrong, not only "wrong".

Every exercise in a notebook ends with one call into this package, for example::

    from helpers.check import convolution as check
    check.output_size(my_conv_output_size)

A checker compares the learner's answer with the course's own helpers. When the answer is right
it prints one line starting with a check mark; when it is not, it raises :class:`ExerciseError`,
whose message lists each problem it found and, where it helps, a hint. Raising (rather than
printing) makes the cell turn red, so a wrong answer cannot be missed, and lets CI prove that
every solution in the source notebooks passes. In a notebook the error shows the message alone,
without a traceback through the checker's code (:meth:`ExerciseError._render_traceback_`).

Each result is remembered in :data:`RESULTS`, so :func:`progress` can list where a learner
stands. :func:`hint` gives an exercise's hints one at a time and :func:`solution` its solution
(both in :mod:`helpers.check.learner`).

One module per notebook topic holds that notebook's checkers; this module holds what they share.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np


#: The phrase :func:`call_safely` uses for a function that still raises NotImplementedError.
NOT_WRITTEN = "is not written yet"


#: The status of every exercise checked in this Python process: {"1.1": "passed", ...}.
#: "not attempted" while the answer is still the stub, "failed" for any other problem.
RESULTS: dict[str, str] = {}

#: An exercise's id in a checker's name: "Exercise 1.1 (a stable sigmoid)" -> "1.1"; an
#: appendix's exercises are "A1.1", "A1.2", ...
EXERCISE_ID = re.compile(r"Exercise ((?:A\d+|\d+)\.\d+)")


class ExerciseError(AssertionError):
    """An exercise answer is not right yet; the message says what is wrong and how to look."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message alone, marked in red.

        A traceback would walk through the checker's own source lines, which say nothing about
        the learner's answer and could show how the reference computes it.
        """
        first, *rest = str(self).splitlines() or [""]
        return [f"\x1b[1;31m\N{BALLOT X} {first}\x1b[0m", *rest]


def exercise_id(exercise: str) -> str:
    """``"1.1"`` from ``"Exercise 1.1 (a stable sigmoid)"``; the text itself when it has no id."""
    match = EXERCISE_ID.search(exercise)
    return match[1] if match else exercise


def report(exercise: str, problems: Iterable[str], success: str = "", hint: str = "") -> None:
    """Print a success line, or raise :class:`ExerciseError` listing every problem found.

    ``exercise`` names the exercise as the notebook does ("Exercise 3.1"); ``problems`` holds one
    sentence per thing that is wrong; ``hint`` is added once, after the problems. While the answer
    is still a stub, no hint is given: a hint should not hand the solution to someone who has not
    tried yet.
    """
    problems = [p for p in problems if p]
    number = exercise_id(exercise)
    stub = any(NOT_WRITTEN in p for p in problems)
    if stub:
        hint = ""
    if problems:
        RESULTS[number] = "not attempted" if stub else "failed"
        lines = [f"{exercise} is not right yet:"] + [f"  - {p}" for p in problems]
        if hint:
            lines.append(f"Hint: {hint}")
        if number != exercise:
            lines.append(f'Stuck? from helpers.check import hint; hint("{number}") gives hints one at a time.')
        raise ExerciseError("\n".join(lines))
    RESULTS[number] = "passed"
    print(f"\N{CHECK MARK} {exercise}: correct. {success}".rstrip())


def shown_argument(value: Any) -> str:
    """``value`` as a learner can read (and retype) it: short 1-D arrays in full, others by shape."""
    if not isinstance(value, np.ndarray):
        return repr(value)
    if value.ndim <= 1 and value.size <= 6:
        return "np.array(" + np.array2string(value, separator=", ") + ")"
    return f"<an array of shape {value.shape}>"


def call_safely(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str]:
    """Call a learner's function; return ``(result, "")`` or ``(None, problem sentence)``.

    A ``NotImplementedError`` (the stub of a student notebook) and any other exception become a
    sentence that names the arguments, so the learner sees which case failed.
    """
    shown = ", ".join([shown_argument(a) for a in args]
                      + [f"{k}={v!r}" for k, v in kwargs.items()])
    try:
        return func(*args, **kwargs), ""
    except NotImplementedError:
        return None, (f"{getattr(func, '__name__', 'your function')}({shown}) {NOT_WRITTEN}: "
                      "replace `raise NotImplementedError` with your code, then run the cell again.")
    except Exception as error:  # the learner's code may raise anything; report it readably
        return None, (f"{getattr(func, '__name__', 'your function')}({shown}) raised "
                      f"{type(error).__name__}: {error}")


def compare_arrays(name: str, got: Any, expected: np.ndarray, atol: float = 1e-6) -> str:
    """Return "" when ``got`` matches ``expected`` in shape and values, else one sentence why not."""
    if got is None:
        return f"{name} is None: did you forget to return it?"
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}; expected {expected.shape}."
    if not np.all(np.isfinite(got)):
        return f"{name} contains NaN or infinity."
    worst = float(np.max(np.abs(got.astype(float) - expected.astype(float)))) if got.size else 0.0
    if worst > atol:
        index = np.unravel_index(np.argmax(np.abs(got.astype(float) - expected)), got.shape)
        return (f"{name} differs from the expected values by up to {worst:.4g} "
                f"(at index {tuple(int(i) for i in index)}: got {got[index].item()!r}, "
                f"expected {expected[index].item()!r}).")
    return ""


#: How many wrong cases a message lists before it says "and N more".
MAX_LISTED = 4


def listed(problems: list[str], limit: int = MAX_LISTED) -> list[str]:
    """At most ``limit`` problems, then one line saying how many more there were."""
    if len(problems) <= limit:
        return problems
    more = len(problems) - limit
    return problems[:limit] + [f"... and {more} more case{'s' if more > 1 else ''} like these."]


def as_whole_number(value: Any) -> tuple[int | None, str]:
    """``(int, "")`` when ``value`` is a whole number (28, 28.0, np.int64(28)), else
    ``(None, why not)``: a learner's size or count may come back as a float from ``/``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None, f"{value!r} (a {type(value).__name__}, not a number)"
    if not np.isfinite(float(value)) or float(value) != int(value):
        return None, f"{value!r}, which is not a whole number"
    return int(value), ""



from helpers.check.learner import hint, progress, solution  # noqa: E402  (they use RESULTS above)

__all__ = ["ExerciseError", "NOT_WRITTEN", "RESULTS", "report", "call_safely", "compare_arrays", "listed",
           "as_whole_number", "exercise_id", "hint", "solution", "progress"]
