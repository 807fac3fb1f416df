"""Checkers for notebook 01, "The neuron": a stable sigmoid, one neuron's output, relu's
derivative, and weights that turn a sigmoid neuron into an AND gate.

Each checker calls the learner's function on several cases, compares with
:mod:`helpers.neuron`, and when an answer is wrong tries the usual mistakes (a sign error, a
missing bias, the activation forgotten, ...) to say which one it is.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from helpers import neuron as reference
from helpers.check import call_safely, compare_arrays
from helpers.check import report


def _call_watching_numpy(func: Callable[..., Any], *args: Any) -> tuple[Any, str, list[str]]:
    """:func:`call_safely`, plus the texts of numpy's RuntimeWarnings raised during the call.

    Overflow and invalid-value warnings are switched on whatever the learner's settings are;
    underflow stays ignored (e^(−1000) rounding to 0 is the right answer, not a problem).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            result, problem = call_safely(func, *args)
    texts = sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})
    return result, problem, texts


def _one_number(got: Any) -> tuple[float | None, str]:
    """``(value, "")`` when ``got`` is one number (a 1-element array is fine), else a reason."""
    if got is None:
        return None, "returned None: did you forget `return`?"
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None, f"returned {got!r}, which is not a number."
    if array.size != 1:
        return None, f"returned an array of shape {array.shape}; expected a single number."
    return float(array.reshape(-1)[0]), ""


def _close(a: float, b: float, atol: float = 1e-6) -> bool:
    return bool(np.isfinite(a) and abs(a - b) <= atol)


# --------------------------------------------------------------------------------------------
# Exercise 1.1: a numerically stable sigmoid
# --------------------------------------------------------------------------------------------


def _sigmoid_mistake(z: float, value: float) -> str:
    """Name the usual mistake that gives ``value`` for ``sigmoid(z)``, or ""."""
    if _close(value, reference.sigmoid(-z)):
        return ("that is σ(−z): the sign of the exponent is flipped. "
                "σ(z) = 1 / (1 + e^(−z)) is above 0.5 for positive z.")
    if _close(value, float(np.tanh(z))):
        return "that is tanh(z), not the sigmoid."
    if _close(value, float(np.exp(-z))):
        return "that is e^(−z) alone: the sigmoid is 1 / (1 + e^(−z))."
    if _close(value, 1.0 + float(np.exp(-z))):
        return "that is 1 + e^(−z): take its reciprocal, 1 / (1 + e^(−z))."
    return ""


def sigmoid(answer: Callable[[Any], Any]) -> None:
    """Exercise 1.1: ``answer(z)`` = 1 / (1 + e^(−z)) for a number or an array of any shape,
    without overflow warnings or NaN at z = ±1000."""
    name = "Exercise 1.1 (a stable sigmoid)"
    problems: list[str] = []
    hints: list[str] = []

    # 1. Single numbers.
    for z in [0.0, 2.0, -3.0, 0.5]:
        got, problem, _ = _call_watching_numpy(answer, z)
        if problem:
            problems.append(problem)
            break
        value, reason = _one_number(got)
        if reason:
            problems.append(f"sigmoid({z}) {reason}")
            break
        expected = reference.sigmoid(z)
        if not _close(value, expected):
            mistake = _sigmoid_mistake(z, value)
            problems.append(f"sigmoid({z}) returned {value:.6g}; expected {expected:.6g}"
                            + (f": {mistake}" if mistake else "."))
            break

    # 2. An array keeps its shape, every element is transformed, the input is left alone.
    if not problems:
        z = np.array([[-1.0, 0.0, 1.0], [2.0, -2.0, 4.0]])
        original = z.copy()
        got, problem, _ = _call_watching_numpy(answer, z)
        if problem:
            problems.append(problem)
            if "length-1" in problem or "only 0-dimensional" in problem or "math" in problem:
                hints.append("math.exp works on one number only; np.exp works element by "
                             "element on whole arrays.")
        else:
            problems.append(compare_arrays("sigmoid(z) for the (2, 3) array z", got,
                                           reference.sigmoid(original)))
        if not np.array_equal(z, original):
            problems.append("your function changed the array it was given; compute a new "
                            "array instead (avoid in-place operations like z *= -1).")

    # 3. Stability: e^1000 does not fit in a float (the largest is about 1.8e308).
    problems = [p for p in problems if p]
    if not problems:
        for z in [-1000.0, np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])]:
            shown = "z = −1000" if np.ndim(z) == 0 else "z = [−1000, −50, 0, 50, 1000]"
            got, problem, numpy_warnings = _call_watching_numpy(answer, z)
            if problem:
                problems.append(problem)
                if "Overflow" in problem or "overflow" in problem:
                    hints.append("math.exp(1000) raises OverflowError; use np.exp on "
                                 "non-positive powers only.")
                break
            if np.ndim(z) == 0:
                value, reason = _one_number(got)
                wrong = reason or ("" if value is not None and _close(value, 0.0)
                                   else f"returned {value!r}; expected 0.0.")
                if wrong:
                    problems.append(f"for {shown} your sigmoid {wrong}")
            else:
                difference = compare_arrays(f"sigmoid for {shown}", got, reference.sigmoid(z))
                if difference:
                    problems.append(difference)
            if numpy_warnings:
                problems.append(f"for {shown} numpy warned: {'; '.join(numpy_warnings)}. "
                                "The naive formula computes e^1000, which overflows.")
            if problems:
                hints.append(
                    "only ever take e to a non-positive power, e^(−|z|): for z < 0 multiply "
                    "the top and bottom of 1 / (1 + e^(−z)) by e^z. Beware: np.where evaluates *both* branches, so "
                    "np.exp(-z) inside it still overflows at z = −1000.")
                break

    report(name, problems,
           success="σ(0) = 0.5, arrays keep their shape, and z = ±1000 gives 0 and 1 "
                   "without a warning.",
           hint=" ".join(hints) or "σ(z) = 1 / (1 + e^(−z)), with np.exp so that arrays work "
                                   "(section 2); then make sure e is never raised to a large "
                                   "positive power (section 5).")


# --------------------------------------------------------------------------------------------
# Exercise 1.2: the output of one neuron
# --------------------------------------------------------------------------------------------

# (x, w, b): the first case tells every usual mistake apart (z = −0.5, w·x = −0.7).
NEURON_CASES = [
    ([1.0, 2.0, -1.0], [0.4, -0.3, 0.5], 0.2),
    ([2.0, 0.5], [1.5, -2.0], -0.25),
    ([3.0], [-1.5], 2.0),
    ([1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 0.0, 0.0, 0.0, 0.0], 0.7),
    ([0.1, -0.2, 0.3, 0.9], [2.0, 1.0, -1.0, 0.5], 0.0),
]


def _neuron_mistake(x: np.ndarray, w: np.ndarray, b: float, value: float) -> str:
    """Name the usual mistake that gives ``value`` as the neuron's output, or ""."""
    weighted = float(np.dot(w, x))
    z = weighted + b
    candidates = [
        (z, "that is z = w·x + b itself: the activation is missing, apply neuron.sigmoid to z."),
        (reference.sigmoid(weighted), "the bias is missing: z = w·x + b."),
        (reference.sigmoid(weighted) + b,
         "b was added after the sigmoid; it belongs inside: σ(w·x + b)."),
        (reference.sigmoid(weighted - b), "b was subtracted; z = w·x + b."),
        (reference.relu(z), "that is relu(z); this neuron uses the sigmoid."),
        (reference.tanh(z), "that is tanh(z); this neuron uses the sigmoid."),
        (reference.sigmoid(float(np.sum(w)) * float(np.sum(x)) + b),
         "(Σw)·(Σx) is not the weighted sum: multiply each input by its own weight, then add."),
    ]
    for candidate, message in candidates:
        if _close(value, candidate):
            return message
    return ""


def neuron_output(answer: Callable[[np.ndarray, np.ndarray, float], Any]) -> None:
    """Exercise 1.2: ``answer(x, w, b)`` = σ(w·x + b), one number, for 1-D ``x`` and ``w``."""
    name = "Exercise 1.2 (a neuron's output)"
    problems: list[str] = []
    for x_list, w_list, b in NEURON_CASES:
        x, w = np.array(x_list), np.array(w_list)
        got, problem = call_safely(answer, x.copy(), w.copy(), b)
        if problem:
            problems.append(problem)
            break
        shown = f"x={x_list}, w={w_list}, b={b}"
        expected = reference.neuron_output(x, w, b)
        if got is not None and np.asarray(got).size == x.size and x.size > 1:
            problems.append(f"for {shown} you returned {x.size} numbers (shape "
                            f"{np.asarray(got).shape}), one per input; a neuron outputs one "
                            "number: add up the weighted inputs (np.dot(w, x)) before the "
                            "activation.")
            break
        value, reason = _one_number(got)
        if reason:
            problems.append(f"for {shown} your function {reason}")
            break
        if not _close(value, expected):
            mistake = _neuron_mistake(x, w, b, value)
            problems.append(f"for {shown} you returned {value:.6g}; expected σ(w·x + b) = "
                            f"σ({np.dot(w, x) + b:.4g}) = {expected:.6g}"
                            + (f": {mistake}" if mistake else "."))
            break
    report(name, problems,
           success="a = σ(w·x + b): one weight per input, one bias per neuron.",
           hint="first the weighted sum z = w·x + b (np.dot), then the activation "
                "neuron.sigmoid (section 4).")


# --------------------------------------------------------------------------------------------
# Exercise 1.3: the derivative of relu
# --------------------------------------------------------------------------------------------


def relu_derivative(answer: Callable[[Any], Any]) -> None:
    """Exercise 1.3: ``answer(z)`` = 1 where z > 0, else 0 (0 at z = 0 too), numbers and arrays."""
    name = "Exercise 1.3 (relu's derivative)"
    problems: list[str] = []
    hints: list[str] = []
    for z in [3.0, 0.25, -2.0, 0.0]:
        got, problem = call_safely(answer, z)
        if problem:
            problems.append(problem)
            break
        value, reason = _one_number(got)
        if reason:
            problems.append(f"relu_derivative({z}) {reason}")
            break
        expected = reference.relu_derivative(z)
        if not _close(value, expected):
            if z == 0.0 and _close(value, 1.0):
                problems.append("at z = 0 you returned 1; relu has a corner there, and the "
                                "course (like TensorFlow) uses 0: the slope is 1 only where "
                                "z > 0 (use >, not >=).")
            elif z > 0 and _close(value, z) and z != 1.0:
                problems.append(f"relu_derivative({z}) returned {value:g}, which is relu({z}) "
                                "itself: the derivative is the slope, 1 for every z > 0.")
            else:
                problems.append(f"relu_derivative({z}) returned {value:g}; expected "
                                f"{expected:g} (the slope of max(0, z) at z = {z}).")
            break
    if not problems:
        z = np.array([[-1.5, 0.0, 2.0], [0.1, -0.1, 7.0]])
        original = z.copy()
        got, problem = call_safely(answer, z)
        if problem:
            problems.append(problem)
            if "truth value" in problem:
                hints.append("`if z > 0:` works for one number only; for a whole array use "
                             "(z > 0).astype(float) or np.where(z > 0, 1.0, 0.0).")
        else:
            got_array = None if got is None else np.asarray(got, dtype=float)
            problems.append(compare_arrays("relu_derivative(z) for the (2, 3) array z",
                                           got_array, reference.relu_derivative(original)))
        if not np.array_equal(z, original):
            problems.append("your function changed the array it was given; return a new array.")
    report(name, problems,
           success="relu'(z) is 1 where z > 0 and 0 elsewhere: it never saturates for z > 0.",
           hint=" ".join(hints) or "the slope of max(0, z) is 0 left of 0 and 1 right of it: "
                                   "(z > 0) as floats.")


# --------------------------------------------------------------------------------------------
# Exercise 1.4: a sigmoid neuron that computes AND
# --------------------------------------------------------------------------------------------

GATE_INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
AND_TARGETS = [0, 0, 0, 1]
OR_TARGETS = [0, 1, 1, 1]
ON, OFF = 0.9, 0.1  # a gate's output must be above ON for 1 and below OFF for 0


def and_gate(answer: Callable[[], Any]) -> None:
    """Exercise 1.4: ``answer()`` returns ``(w, b)``, two weights and a bias, such that the
    sigmoid neuron σ(w·x + b) outputs > 0.9 for x = (1, 1) and < 0.1 for the other three
    inputs with 0/1 entries."""
    name = "Exercise 1.4 (an AND neuron)"
    problems: list[str] = []
    hint = ("with 0/1 inputs z is one of b, w1 + b, w2 + b, w1 + w2 + b. Make b clearly "
            "negative, w1 + b and w2 + b still negative (one input alone is not enough), and "
            "w1 + w2 + b positive; sizes around 10 keep σ near 0 or 1, e.g. |z| >= 5.")
    got, problem = call_safely(answer)
    if problem:
        report(name, [problem], hint=hint)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        report(name, [f"and_gate_parameters() returned {got!r}; return a pair (w, b), "
                      "e.g. return [5.0, 5.0], -7.0."], hint=hint)
    w, b = got
    try:
        w = np.asarray(w, dtype=float)
        b_array = np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        report(name, [f"w = {w!r} and b = {b!r} must be numbers."], hint=hint)
    if w.shape != (2,):
        problems.append(f"w has shape {w.shape}; the neuron has 2 inputs, so w needs exactly 2 "
                        "weights, one per connection.")
    if b_array.size != 1:
        problems.append(f"b has shape {b_array.shape}; a neuron has one bias, a single number.")
    if problems:
        report(name, problems, hint=hint)
    b = float(b_array.reshape(-1)[0])

    outputs = [reference.neuron_output(np.array(x, dtype=float), w, b) for x in GATE_INPUTS]
    table = ", ".join(f"{x} → {a:.4f}" for x, a in zip(GATE_INPUTS, outputs))
    wrong = []
    for x, a, target in zip(GATE_INPUTS, outputs, AND_TARGETS):
        if target == 1 and not a > ON:
            wrong.append(f"for x = {x} the neuron outputs {a:.4f}, but AND{x} = 1: the output "
                         f"must be above {ON}.")
        if target == 0 and not a < OFF:
            wrong.append(f"for x = {x} the neuron outputs {a:.4f}, but AND{x} = 0: the output "
                         f"must be below {OFF}.")
    if wrong:
        looks_like_or = all((a > 0.5) == bool(t) for a, t in zip(outputs, OR_TARGETS))
        right_side = all((a > 0.5) == bool(t) for a, t in zip(outputs, AND_TARGETS))
        undecided = all(0.2 < a < 0.8 for a in outputs)
        if right_side:
            wrong.append("the pattern is right (above 0.5 only for (1, 1)) but not clear enough: "
                         "multiply w and b by the same factor, e.g. 10, to push every z away "
                         "from 0 and σ(z) towards 0 or 1.")
        elif looks_like_or:
            wrong.append("these weights make an OR gate: one input alone already switches the "
                         "neuron on. Make b more negative.")
        elif undecided:
            wrong.append("every output is near 0.5 (undecided): the weights and bias are too "
                         "small; multiply them all by 10.")
        problems = [f"outputs: {table}."] + wrong
    report(name, problems, success=f"{table}.", hint=hint)
