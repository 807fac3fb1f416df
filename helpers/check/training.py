"""Checkers for notebook 05, "Training": a gradient-descent step, the gradients of the mean
squared error, iterations per epoch, and choosing a learning rate.

All four work on the line fit of the notebook: a prediction ŷ = w·x + b, the cost
C(w, b) = (1/N)·Σ (ŷ_i − y_i)² (the mean squared error), and gradient descent
w ← w − η·∂C/∂w, b ← b − η·∂C/∂b. Only numpy is needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np

from helpers.check import call_safely, compare_arrays, report

# --------------------------------------------------------------------------------------------
# The line fit the checkers use
# --------------------------------------------------------------------------------------------


def mse(w: float, b: float, x: np.ndarray, y: np.ndarray) -> float:
    """The mean squared error C(w, b) = (1/N)·Σ (w·x_i + b − y_i)² of the line fit."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.mean((w * x + b - y) ** 2))


def finite_difference_gradients(
    w: float, b: float, x: np.ndarray, y: np.ndarray, h: float = 1e-6
) -> tuple[float, float]:
    """(∂C/∂w, ∂C/∂b) by central differences: (C(w + h) − C(w − h)) / 2h, same for b.

    For a quadratic cost such as the MSE, central differences are exact up to rounding.
    """
    dw = (mse(w + h, b, x, y) - mse(w - h, b, x, y)) / (2 * h)
    db = (mse(w, b + h, x, y) - mse(w, b - h, x, y)) / (2 * h)
    return dw, db


def _as_pair(got: Any, name: str) -> tuple[tuple[Any, Any] | None, str]:
    """``got`` as a pair of values, or (None, a sentence saying what came back instead)."""
    if got is None:
        return None, f"{name} returned None: did you forget `return`?"
    if isinstance(got, (tuple, list)) and len(got) == 2:
        return (got[0], got[1]), ""
    shown = f"a {type(got).__name__}"
    if isinstance(got, (tuple, list)):
        shown += f" of length {len(got)}"
    return None, f"{name} returned {shown}; return two values, e.g. `return w_new, b_new`."


def _number(value: Any) -> float | None:
    """A Python float from a number, a 0-d array or a one-element tensor; None if it is not one."""
    if value is None or isinstance(value, (str, bytes, bool)):
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.size != 1:
        return None
    return float(array.reshape(()))


def _show(value: Any) -> str:
    """A number or a small array, rounded to 4 significant digits, without numpy's dtype clutter."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return repr(value)
    if array.ndim == 0:
        return f"{float(array):.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in array.ravel()) + "]"


def _close(a: Any, b: Any, atol: float = 1e-6) -> bool:
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a_arr.shape == b_arr.shape and bool(np.allclose(a_arr, b_arr, atol=atol, rtol=1e-6))


# --------------------------------------------------------------------------------------------
# Exercise 5.1: one gradient-descent step
# --------------------------------------------------------------------------------------------

#: (w, b, dw, db, learning rate) for exercise 5.1; the last case updates a vector of weights.
STEP_CASES: list[tuple[Any, float, Any, float, float]] = [
    (1.0, 0.0, 2.0, -4.0, 0.1),
    (-1.0, 4.0, -3.2, 1.5, 0.3),
    (0.5, -0.5, 0.0, 0.0, 0.1),
    (2.0, 1.0, 0.5, 0.25, 1.0),
    (np.array([1.0, 2.0, -0.5]), 0.2, np.array([0.5, -1.0, 2.0]), -0.4, 0.05),
]


def _step_mistake(w, b, dw, db, lr, got_w, got_b) -> str:
    """Name the usual mistake that produces (got_w, got_b), or "" if none matches."""
    candidates = [
        ((w + lr * dw, b + lr * db),
         "the parameters moved *up* the slope: the step is w − η·∂C/∂w, with a minus sign "
         "(the gradient points to where the cost grows)."),
        ((w - dw, b - db),
         "the learning rate is missing: the step is η·∂C/∂w, not ∂C/∂w."),
        ((-lr * dw, -lr * db),
         "you returned the change −η·∂C/∂w only; add it to the old value: w − η·∂C/∂w."),
        ((lr * dw, lr * db),
         "you returned η·∂C/∂w only; the new value is the old one minus it: w − η·∂C/∂w."),
        ((w - lr * db, b - lr * dw),
         "the gradients are swapped: w moves with dw = ∂C/∂w and b with db = ∂C/∂b."),
        ((w - lr * dw, b),
         "b did not move: the bias takes a step too, b − η·∂C/∂b."),
        ((w, b - lr * db),
         "w did not move: the weight takes a step too, w − η·∂C/∂w."),
    ]
    for (expected_w, expected_b), message in candidates:
        if _close(got_w, expected_w) and _close(got_b, expected_b):
            return message
    return ""


def gradient_step(answer: Callable[..., Any]) -> None:
    """Exercise 5.1: ``answer(w, b, dw, db, learning_rate)`` returns ``(w_new, b_new)``.

    Expected: w_new = w − η·dw and b_new = b − η·db, for numbers and for an array of weights,
    without changing the arrays it was given.
    """
    problems: list[str] = []
    for w, b, dw, db, lr in STEP_CASES:
        w_given = np.copy(w) if isinstance(w, np.ndarray) else w
        got, problem = call_safely(answer, w_given, b, dw, db, lr)
        if problem:
            problems.append(problem)
            break
        pair, problem = _as_pair(got, getattr(answer, "__name__", "your function"))
        if problem:
            problems.append(problem)
            break
        got_w, got_b = pair
        expected_w, expected_b = w - lr * dw, b - lr * db
        case = f"for w={_show(w)}, b={b}, dw={_show(dw)}, db={db}, learning_rate={lr}"
        if isinstance(w, np.ndarray) and not np.array_equal(w_given, w):
            problems.append(
                f"{case} your function changed the array w it was given (`w -= ...` works in "
                "place on numpy arrays, so the caller's weights change too); "
                "write `w_new = w - learning_rate * dw` instead.")
            break
        wrong = [compare_arrays("w_new", got_w, np.asarray(expected_w)),
                 compare_arrays("b_new", got_b, np.asarray(expected_b))]
        if any(wrong):
            mistake = _step_mistake(w, b, dw, db, lr, got_w, got_b)
            if mistake:
                problems.append(f"{case}: {mistake}")
            elif all(np.shape(v) == np.shape(e) for v, e in [(got_w, expected_w), (got_b, expected_b)]):
                problems.append(f"{case} you returned (w_new, b_new) = ({_show(got_w)}, "
                                f"{_show(got_b)}); expected ({_show(expected_w)}, {_show(expected_b)}).")
            else:
                problems.append(f"{case}: " + " ".join(p for p in wrong if p))
            break
    report("Exercise 5.1", problems,
           success="w ← w − η·∂C/∂w is all gradient descent does, for every parameter.",
           hint="each parameter moves against its own gradient, by the learning rate times it.")


# --------------------------------------------------------------------------------------------
# Exercise 5.2: the gradient of the mean squared error
# --------------------------------------------------------------------------------------------


def _gradient_cases() -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """(w, b, x, y) for exercise 5.2: a few points, one point, negative inputs, a perfect fit."""
    rng = np.random.default_rng(5)
    x_many = rng.uniform(0, 2, 20)
    return [
        (0.5, -1.0, np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 3.0, 5.0, 7.0])),
        (2.0, 0.5, x_many, 2 * x_many + 1 + rng.normal(0, 0.3, 20)),
        (-1.5, 2.0, np.array([-2.0]), np.array([4.0])),
        (1.0, 0.0, np.array([-1.0, -0.5, 0.5, 4.0]), np.array([2.0, 0.0, -1.0, 1.0])),
        (2.0, 1.0, np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])),  # a perfect fit: (0, 0)
    ]


def _gradient_mistake(got: tuple[float, float], expected: tuple[float, float],
                      w: float, b: float, x: np.ndarray, y: np.ndarray) -> str:
    """Name the usual mistake behind a wrong (dw, db), or "" if none matches."""
    n = len(x)
    dw, db = expected
    residual = w * x + b - y
    candidates = [
        ((dw / 2, db / 2),
         "both are half the right value: the derivative of (ŷ − y)² is 2·(ŷ − y), keep the 2."),
        ((n * dw, n * db),
         f"both are {n} times too large: C is a *mean*, so divide the sum by N = {n}."),
        ((n * dw / 2, n * db / 2),
         f"you summed instead of averaging (divide by N = {n}) and dropped the 2 of the power rule."),
        ((-dw, -db),
         "the signs are flipped: differentiate (ŷ − y)², whose inner derivative is +x for w "
         "and +1 for b; with (y − ŷ) you need an extra minus sign."),
        ((db, db),
         "∂C/∂w came out equal to ∂C/∂b: the chain rule gives ∂ŷ/∂w = x_i, so multiply "
         "each residual (ŷ_i − y_i) by x_i before averaging."),
        ((db, dw),
         "the two are swapped: return (∂C/∂w, ∂C/∂b) in that order."),
        ((2 * float(np.mean(residual)) * float(np.mean(x)), db),
         "∂C/∂w multiplies the mean residual by the mean x; average the products "
         "(ŷ_i − y_i)·x_i instead."),
    ]
    for candidate, message in candidates:
        if np.allclose(got, candidate, atol=1e-6, rtol=1e-6) and not np.allclose(got, expected):
            return message
    return ""


def mse_gradients(answer: Callable[..., Any]) -> None:
    """Exercise 5.2: ``answer(w, b, x, y)`` returns ``(∂C/∂w, ∂C/∂b)`` of the mean squared error.

    The expected values come from central finite differences of C(w, b), not from a formula,
    so any correct way of writing the gradient passes.
    """
    problems: list[str] = []
    for w, b, x, y in _gradient_cases():
        got, problem = call_safely(answer, w, b, x.copy(), y.copy())
        if problem:
            problems.append(problem)
            break
        pair, problem = _as_pair(got, getattr(answer, "__name__", "your function"))
        if problem:
            problems.append(problem)
            break
        values = (_number(pair[0]), _number(pair[1]))
        if None in values:
            problems.append(
                f"for w={w}, b={b} and {len(x)} points you returned ({pair[0]!r}, {pair[1]!r}); "
                "each gradient is a single number (average over the points, e.g. np.mean).")
            break
        expected = finite_difference_gradients(w, b, x, y)
        if not np.allclose(values, expected, atol=1e-5, rtol=1e-5):
            data = f"x={np.round(x, 3).tolist()}, y={np.round(y, 3).tolist()}" if len(x) <= 4 \
                else f"{len(x)} points"
            case = (f"for w={w}, b={b}, {data} you returned (∂C/∂w, ∂C/∂b) = "
                    f"({values[0]:.4f}, {values[1]:.4f}); finite differences give "
                    f"({expected[0]:.4f}, {expected[1]:.4f})")
            mistake = _gradient_mistake(values, expected, w, b, x, y)
            problems.append(case + (f": {mistake}" if mistake else "."))
            break
    report("Exercise 5.2", problems,
           success="∂C/∂w = (2/N)·Σ(ŷ−y)·x and ∂C/∂b = (2/N)·Σ(ŷ−y) match finite differences.",
           hint="the chain rule on the mean of (w·x + b − y)²: the square gives 2·(ŷ − y), "
                "the inner part x for w and 1 for b.")


# --------------------------------------------------------------------------------------------
# Exercise 5.3: iterations per epoch
# --------------------------------------------------------------------------------------------

#: (number of examples, batch size) for exercise 5.3: the tutorial's 1600/16 and 1600/32,
#: sizes that do not divide, a batch larger than the data set, a batch of one.
EPOCH_CASES: list[tuple[int, int]] = [
    (1600, 16), (1600, 32), (1000, 32), (100, 3), (10, 20), (16, 16), (7, 1),
]


def iterations_per_epoch(answer: Callable[[int, int], Any]) -> None:
    """Exercise 5.3: ``answer(n_examples, batch_size)`` returns the iterations in one epoch.

    Expected: ⌈n_examples / batch_size⌉ as an int: the last, smaller batch counts.
    """
    problems: list[str] = []
    for n, size in EPOCH_CASES:
        got, problem = call_safely(answer, n, size)
        if problem:
            problems.append(problem)
            break
        expected = math.ceil(n / size)
        case = f"for {n} examples in batches of {size} you returned {got!r}"
        remainder = n % size
        if isinstance(got, bool) or not isinstance(got, Real):
            problems.append(f"{case}; return a whole number (an int).")
        elif got != expected:
            if remainder and got == n // size:
                problems.append(
                    f"{case}; expected {expected}. {n} = {n // size}·{size} + {remainder}: you "
                    f"dropped the last partial batch of {remainder} example"
                    f"{'s' if remainder > 1 else ''}, which is one more iteration.")
            elif remainder and math.isclose(got, n / size):
                problems.append(f"{case}; expected {expected}: iterations are counted in whole "
                                f"batches, and the last, smaller batch of {remainder} is one of them.")
            elif remainder == 0 and got == n // size + 1:
                problems.append(f"{case}; expected {expected}: {size} divides {n} exactly, so there "
                                "is no partial batch left over (you counted an empty one).")
            elif got == math.ceil(size / n) or (n % size == 0 and got == size // n):
                problems.append(f"{case}; expected {expected}: the arguments are swapped, it is "
                                "examples divided by batch size.")
            else:
                problems.append(f"{case}; expected {expected}.")
        elif not isinstance(got, Integral):
            problems.append(f"{case}: the right value, but as a {type(got).__name__}; return an int "
                            "(n / b is always a float; math.ceil returns an int).")
    if len(problems) > 3:
        problems = problems[:3] + [f"... and {len(problems) - 3} more case(s) like these."]
    report("Exercise 5.3", problems,
           success="1600 images in batches of 16 take 100 iterations per epoch; 1000 in 32s take 32.",
           hint="an epoch shows every example once, so the last, smaller batch counts as an "
                "iteration: math.ceil(n_examples / batch_size).")


# --------------------------------------------------------------------------------------------
# Exercise 5.4: a learning rate that converges within K steps
# --------------------------------------------------------------------------------------------

#: Gradient-descent steps allowed in exercise 5.4, and how close to the best (w, b) they must end.
LEARNING_RATE_STEPS = 30
LEARNING_RATE_TOLERANCE = 0.01
_NOISE = np.array([0.3, -0.2, 0.1, 0.4, -0.3, 0.0, -0.1, 0.2, -0.4])


def learning_rate_problem() -> tuple[np.ndarray, np.ndarray, tuple[float, float], int]:
    """The line fit of exercise 5.4: ``(x, y, (w0, b0), steps)``.

    Nine points on y = 3 − 0.5·x plus fixed noise, x from −1 to 3; gradient descent starts at
    (w0, b0) = (0, 0) and may take ``steps`` steps.
    """
    x = np.linspace(-1.0, 3.0, 9)
    return x, 3.0 - 0.5 * x + _NOISE, (0.0, 0.0), LEARNING_RATE_STEPS


def _descend(lr: float, x: np.ndarray, y: np.ndarray, start: tuple[float, float],
             steps: int) -> np.ndarray:
    """Gradient descent on the MSE; returns the path (steps + 1, 2) of (w, b)."""
    w, b = start
    path = [(w, b)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            residual = w * x + b - y
            w, b = w - lr * 2 * np.mean(residual * x), b - lr * 2 * np.mean(residual)
            path.append((w, b))
    return np.array(path)


def learning_rate(answer: Callable[[], Any]) -> None:
    """Exercise 5.4: ``answer()`` returns a learning rate with which gradient descent on
    :func:`learning_rate_problem` ends within ``LEARNING_RATE_TOLERANCE`` of the best (w, b)
    after ``LEARNING_RATE_STEPS`` steps.

    When it does not, the message says whether the run diverged, zigzagged (too large) or
    crawled (too small), with the numbers.
    """
    x, y, start, steps = learning_rate_problem()
    best = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)[0]
    got, problem = call_safely(answer)
    problems = [problem] if problem else []
    if not problem:
        lr = _number(got)
        if got is None:
            problems.append("your function returned None: did you forget `return`? "
                            "Return one number, e.g. 0.01.")
        elif lr is None:
            problems.append(f"you returned {got!r}; return one number, e.g. 0.01.")
        elif not math.isfinite(lr) or lr <= 0:
            problems.append(f"you returned {lr}; a learning rate must be a positive number "
                            "(with 0 nothing moves, with a negative one the cost climbs).")
        else:
            path = _descend(lr, x, y, start, steps)
            costs = [mse(w, b, x, y) for w, b in path]
            distance = np.abs(path[-1] - best)
            where = (f"after {steps} steps with learning rate {lr:g}, (w, b) = "
                     f"({path[-1, 0]:.4g}, {path[-1, 1]:.4g}); the best is ({best[0]:.4f}, "
                     f"{best[1]:.4f})")
            if not np.all(np.isfinite(path)) or costs[-1] > costs[0]:
                problems.append(
                    f"{where}, and the cost grew from {costs[0]:.4g} to {costs[-1]:.4g}: each "
                    "step overshoots the minimum and lands further away. Take a smaller learning rate.")
            elif distance.max() > LEARNING_RATE_TOLERANCE:
                steps_taken = np.diff(path[-4:], axis=0)
                zigzag = bool(np.all(np.sum(steps_taken[1:] * steps_taken[:-1], axis=1) < 0))
                if zigzag:
                    problems.append(
                        f"{where}: not there yet. The last steps zigzag back and forth across "
                        "the valley, a sign that the learning rate is a little too large.")
                else:
                    problems.append(
                        f"{where}: still {distance.max():.3f} away. The cost falls "
                        f"({costs[0]:.4f} → {costs[-1]:.4f}) but too slowly: take a larger "
                        "learning rate.")
    report("Exercise 5.4", problems,
           success=f"gradient descent reaches the best line within {steps} steps.",
           hint="run the notebook's gradient descent on check.learning_rate_problem() with a few "
                "values (1, 0.3, 0.1, 0.03, ...) and plot or print the final cost of each; "
                "then narrow down between the last that zigzags and the first that crawls.")
