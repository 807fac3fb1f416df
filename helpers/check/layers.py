"""Checkers for notebook 02, "Layers, the forward pass, softmax and cost": a stable softmax, the
forward pass of a two-layer network, cross-entropy for a batch, and counting parameters.

Each checker calls the learner's function on several cases, compares with
:mod:`helpers.neuron`, and when an answer is wrong tries the usual mistakes (the wrong axis, a
missing bias or ReLU, a sum instead of a mean, ...) to say which one it is.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers import neuron as reference
from helpers.check import call_safely, compare_arrays
from helpers.check import report

EPSILON = 1e-7  # Keras's clipping of probabilities before the log


def _call_watching_numpy(func: Callable[..., Any], *args: Any) -> tuple[Any, str, list[str]]:
    """:func:`call_safely`, plus the texts of numpy's RuntimeWarnings raised during the call
    (overflow, invalid value, divide by zero; underflow to 0 is fine and stays ignored)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            result, problem = call_safely(func, *args)
    texts = sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})
    return result, problem, texts


def _matches(got: Any, candidate: np.ndarray, atol: float = 1e-6) -> bool:
    """True when ``got`` has ``candidate``'s shape and values (NaN never matches)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    candidate = np.asarray(candidate, dtype=float)
    return (got.shape == candidate.shape and bool(np.all(np.isfinite(got)))
            and bool(np.allclose(got, candidate, rtol=0, atol=atol)))


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _first_match(got: Any, candidates: Sequence[tuple[Callable[[], Any], str]]) -> str:
    """The message of the first candidate whose value ``got`` equals, or ""."""
    for make, message in candidates:
        with np.errstate(all="ignore"):
            try:
                value = make()
            except (ValueError, FloatingPointError):
                continue
        if _matches(got, value):
            return message
    return ""


# --------------------------------------------------------------------------------------------
# Exercise 2.1: a stable softmax over each row
# --------------------------------------------------------------------------------------------

SOFTMAX_CASES = [
    np.array([[2.0, 1.0, 0.1]]),
    np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 5.0, 2.0], [4.0, 4.0, -4.0]]),
    np.array([[0.5, -0.5], [3.0, 1.0], [-2.0, 2.0]]),
    np.array([[7.0]]),
]
STABILITY_CASES = [
    (np.array([[1000.0, 0.0, -1000.0]]), "scores [[1000, 0, −1000]]"),
    (np.array([[-1000.0, -1000.0]]), "scores [[−1000, −1000]]"),
    (np.array([[1000.0, 999.0], [-1000.0, -999.0]]), "the batch [[1000, 999], [−1000, −999]]"),
]


def _softmax_mistake(z: np.ndarray, got: Any) -> str:
    exp = np.exp
    return _first_match(got, [
        (lambda: reference.softmax(z, axis=0),
         "each column, not each row, sums to 1: you normalised over the batch (axis 0). "
         "Each row is one example: sum over axis=-1 (or 1) with keepdims=True."),
        (lambda: exp(z) / np.sum(exp(z)),
         "the whole batch sums to 1: you divided by the sum over all examples. Sum each row on "
         "its own: np.sum(e, axis=-1, keepdims=True)."),
        (lambda: z / np.sum(z, axis=-1, keepdims=True),
         "you divided the scores by their sum without taking e to their power first."),
        (lambda: exp(z),
         "the exponentials are not normalised: divide by their sum over each row."),
        (lambda: reference.softmax(-z),
         "that is softmax(−z): the largest score must get the largest probability."),
    ])


def softmax(answer: Callable[[np.ndarray], Any]) -> None:
    """Exercise 2.1: ``answer(z)`` = softmax of each row of ``z`` (batch, classes); rows sum to 1;
    scores of ±1000 give no warning and no NaN."""
    name = "Exercise 2.1 (a stable softmax)"
    problems: list[str] = []
    hints: list[str] = []
    for z in SOFTMAX_CASES:
        original = z.copy()
        got, problem, _ = _call_watching_numpy(answer, z)
        if problem:
            problems.append(problem)
            if "broadcast" in problem:
                hints.append("np.sum(e, axis=1) drops the summed axis, so (batch, k) / (batch,) "
                             "cannot broadcast: keep it with keepdims=True.")
            break
        expected = reference.softmax(original)
        difference = compare_arrays(f"softmax of the {z.shape} scores {original.tolist()}",
                                    got, expected)
        if difference:
            mistake = _softmax_mistake(original, got)
            problems.append(difference + (f" It looks like {mistake}" if mistake else ""))
            try:
                sums = np.sum(np.asarray(got, dtype=float), axis=-1)
                if sums.shape == (z.shape[0],) and not np.allclose(sums, 1.0):
                    problems.append(f"your rows sum to {np.round(sums, 4).tolist()}; each row "
                                    "of probabilities must sum to 1.")
            except (TypeError, ValueError):
                pass
            break
        if not np.array_equal(z, original):
            problems.append("your function changed the scores it was given; compute a new "
                            "array instead (z -= ... changes the caller's array).")
            break

    if not problems:
        for z, shown in STABILITY_CASES:
            original = z.copy()
            got, problem, numpy_warnings = _call_watching_numpy(answer, z)
            if problem:
                problems.append(problem)
            else:
                difference = compare_arrays(f"softmax for {shown}", got,
                                            reference.softmax(original))
                if difference:
                    problems.append(difference)
                if numpy_warnings:
                    problems.append(f"for {shown} numpy warned: {'; '.join(numpy_warnings)}.")
            if problems:
                if shown.startswith("the batch"):
                    hints.append("subtract each row's own maximum, "
                                 "np.max(z, axis=-1, keepdims=True), not the maximum of the "
                                 "whole batch: a row whose scores are all far below the batch's "
                                 "maximum becomes e^(−2000) / e^(−2000) = 0 / 0.")
                else:
                    hints.append("e^1000 overflows to infinity, and e^(−1000) underflows to 0 "
                                 "(so a row of them gives 0 / 0 = NaN). Subtract the row's "
                                 "maximum from every score first: the result is the same (the "
                                 "factor e^(−max) cancels), every power of e is at most 1, and "
                                 "the largest is exactly 1.")
                break
    report(name, problems,
           success="Each row sums to 1, and scores of ±1000 are no problem.",
           hint=" ".join(hints) or "subtract each row's maximum before np.exp, then divide "
                                   "each row by its own sum (axis=-1, keepdims=True).")


# --------------------------------------------------------------------------------------------
# Exercise 2.2: the forward pass of a two-layer network
# --------------------------------------------------------------------------------------------


def _forward_case(seed: int, batch: int, n_in: int, n_hidden: int, n_out: int) -> tuple:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, n_in)).round(2)
    W1 = rng.normal(size=(n_in, n_hidden)).round(2)
    b1 = rng.normal(size=n_hidden).round(2)
    W2 = rng.normal(size=(n_hidden, n_out)).round(2)
    b2 = rng.normal(size=n_out).round(2)
    return x, W1, b1, W2, b2


FORWARD_CASES = [
    _forward_case(seed=1, batch=3, n_in=4, n_hidden=5, n_out=3),
    _forward_case(seed=2, batch=1, n_in=2, n_hidden=3, n_out=2),
    _forward_case(seed=3, batch=6, n_in=7, n_hidden=4, n_out=5),
]


def _hidden_mistake(x, W1, b1, h) -> str:
    z1 = x @ W1 + b1
    return _first_match(h, [
        (lambda: z1, "ReLU is missing: h = relu(x @ W1 + b1)."),
        (lambda: reference.relu(x @ W1), "the bias b1 is missing."),
        (lambda: x @ W1, "both the bias b1 and ReLU are missing."),
        (lambda: reference.sigmoid(z1), "that is the sigmoid; this hidden layer uses ReLU."),
        (lambda: reference.relu(x @ W1 - b1), "b1 was subtracted instead of added."),
    ])


def _output_mistake(h, z1, W2, b2, scores) -> str:
    z2 = h @ W2 + b2
    return _first_match(scores, [
        (lambda: reference.relu(z2),
         "ReLU was applied to the output layer too; it gives raw scores (no activation)."),
        (lambda: reference.softmax(z2),
         "softmax was applied; return the raw scores (logits), before softmax."),
        (lambda: h @ W2, "the bias b2 is missing."),
        (lambda: z1 @ W2 + b2,
         "the output layer was fed z1 = x @ W1 + b1; it must take the hidden layer's "
         "activations h = relu(z1)."),
    ])


def forward(answer: Callable[..., Any]) -> None:
    """Exercise 2.2: ``answer(x, W1, b1, W2, b2)`` returns ``(h, scores)`` with
    h = relu(x @ W1 + b1) of shape (batch, n_hidden) and scores = h @ W2 + b2 of shape
    (batch, n_out); kernels in Keras's layout (n_in, n_out)."""
    name = "Exercise 2.2 (a forward pass)"
    problems: list[str] = []
    hint = ("each layer is a = f(x @ W + b) with W of shape (n_in, n_out), as in Keras; ReLU "
            "after the hidden layer only, no activation after the output layer.")
    for x, W1, b1, W2, b2 in FORWARD_CASES:
        sizes = (f"{x.shape[1]} inputs → {W1.shape[1]} hidden → {W2.shape[1]} outputs, "
                 f"batch of {x.shape[0]}")
        arguments = [a.copy() for a in (x, W1, b1, W2, b2)]
        got, problem = call_safely(answer, *arguments)
        if problem:
            problems.append(f"for a network of {sizes}: {problem}")
            if "matmul" in problem or "shapes" in problem or "aligned" in problem:
                problems.append("a matrix product's shapes do not fit: x is (batch, n_in) and "
                                "W1 is (n_in, n_hidden), so write x @ W1 (not W1 @ x or "
                                "x @ W1.T).")
            break
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            problems.append(f"your function returned {type(got).__name__}"
                            f"{'' if got is None else ' ' + repr(np.shape(got))}; return the "
                            "pair `h, scores` (the hidden activations and the output scores).")
            break
        h, scores = got
        z1 = x @ W1 + b1
        h_expected = reference.relu(z1)
        scores_expected = h_expected @ W2 + b2

        h_difference = compare_arrays("the hidden layer's output h", h, h_expected)
        if h_difference:
            mistake = _hidden_mistake(x, W1, b1, h)
            if not mistake and np.shape(h) == h_expected.shape[::-1]:
                mistake = ("h is transposed: keep one example per row, (batch, n_hidden).")
            problems.append(f"for a network of {sizes}, the hidden layer is off: {h_difference}"
                            + (f" {_capitalised(mistake)}" if mistake else ""))
        scores_difference = compare_arrays("the array of output scores", scores, scores_expected)
        if scores_difference:
            mistake = ""
            if h_difference:
                try:
                    if _matches(scores, np.asarray(h, dtype=float) @ W2 + b2):
                        mistake = ("given your h, the output layer is right: fix the hidden "
                                   "layer first.")
                except (TypeError, ValueError):
                    pass
            mistake = mistake or _output_mistake(h_expected, z1, W2, b2, scores)
            problems.append(f"for a network of {sizes}, the output layer is off: "
                            f"{scores_difference}"
                            + (f" {_capitalised(mistake)}" if mistake else ""))
        if problems:
            break
        if any(not np.array_equal(a, b) for a, b in zip(arguments, (x, W1, b1, W2, b2))):
            problems.append("your function changed one of the arrays it was given; compute new "
                            "arrays instead.")
            break
    report(name, problems,
           success="Two dense layers are two matrix products, each plus a bias; ReLU only "
                   "between them.",
           hint=hint)


# --------------------------------------------------------------------------------------------
# Exercise 2.3: cross-entropy for a batch
# --------------------------------------------------------------------------------------------

CROSS_ENTROPY_CASES = [
    (np.array([[0.0, 1.0, 0.0]]), np.array([[0.2, 0.7, 0.1]])),
    (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
     np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]])),
    (np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
     np.array([[0.4, 0.6], [0.9, 0.1], [0.3, 0.7], [0.5, 0.5]])),
]
# The true class gets probability 0 in the first example: log(0) = −∞ unless clipped.
CLIPPING_CASE = (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [0.0, 1.0]]))


def _cross_entropy_mistake(y: np.ndarray, p: np.ndarray, got: Any) -> str:
    log = np.log
    per_example = -np.sum(y * log(p), axis=-1)
    batch, classes = y.shape
    return _first_match(got, [
        (lambda: -np.mean(per_example),
         "the minus sign is missing: log p is negative for p < 1, and a loss must be >= 0."),
        (lambda: np.sum(per_example) if batch > 1 else np.nan,
         f"you summed over the batch ({batch} examples) instead of taking the mean: the cost is "
         "the average loss per example (that is what Keras reports)."),
        (lambda: per_example if batch > 1 else np.array([np.nan]),
         "you returned one loss per example; average them into one number with np.mean."),
        (lambda: -np.mean(y * log(p)),
         f"you averaged over classes too (dividing by {batch}×{classes}): sum over the classes "
         "of each example, then average over the batch."),
        (lambda: -np.mean(np.sum((1 - y) * log(p), axis=-1)),
         "you took the log of the wrong classes: y is 1 only at the true class, so −Σ y·log p "
         "picks −log(probability of the true class)."),
        (lambda: -np.mean(log(np.max(p, axis=-1))),
         "you used the most probable class, not the true one: multiply by y (or index with the "
         "label) to pick the probability of the true class."),
        (lambda: -np.mean(log(p[:, 0])),
         "you always took class 0's probability: y picks the true class of each example."),
        (lambda: -np.mean(np.sum(y * log(p) + (1 - y) * log(1 - p), axis=-1)),
         "that is binary cross-entropy over every output; categorical cross-entropy is "
         "−Σ y·log p, the true class only."),
        (lambda: -np.mean(np.sum(y * np.log10(p), axis=-1)),
         "you used log10; cross-entropy uses the natural log, np.log."),
        (lambda: -np.mean(np.sum(y * np.log2(p), axis=-1)),
         "you used log2; cross-entropy uses the natural log, np.log (as Keras does)."),
    ])


def cross_entropy(answer: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Exercise 2.3: ``answer(y_true, probs)`` = mean over the batch of −Σ_k y_k·log p_k, with
    ``probs`` clipped to [1e-7, 1 − 1e-7] first (as Keras), one number."""
    name = "Exercise 2.3 (cross-entropy for a batch)"
    problems: list[str] = []
    for y, p in CROSS_ENTROPY_CASES + [CLIPPING_CASE]:
        clipping = y is CLIPPING_CASE[0]
        shown = f"y_true={y.astype(int).tolist()}, probs={p.tolist()}"
        got, problem, numpy_warnings = _call_watching_numpy(answer, y.copy(), p.copy())
        if problem:
            problems.append(problem)
            break
        expected = reference.cross_entropy(y, p)
        try:
            value = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            value = None
        if value is None:
            problems.append(f"for {shown} you returned {got!r}; expected a number.")
            break
        if value.size == 1 and abs(float(value.reshape(-1)[0]) - expected) <= 1e-6:
            continue
        if clipping:
            if value.size == 1 and not np.isfinite(value.reshape(-1)[0]):
                problems.append(f"for {shown} you returned {float(value.reshape(-1)[0])}: the "
                                "true class of the first example has probability 0, and "
                                "log(0) = −∞. Clip the probabilities to [1e-7, 1 − 1e-7] "
                                "before the log, as Keras does; the loss is then "
                                f"{expected:.4f}.")
            elif value.size == 1:
                problems.append(f"for {shown} you returned {float(value.reshape(-1)[0]):.4f}; "
                                f"expected {expected:.4f}: clip to [1e-7, 1 − 1e-7] exactly "
                                "(Keras's epsilon), np.clip(probs, 1e-7, 1 - 1e-7).")
            else:
                problems.append(f"for {shown} you returned shape {value.shape}; expected one "
                                "number.")
            if numpy_warnings:
                problems.append(f"numpy warned: {'; '.join(numpy_warnings)}.")
            break
        mistake = _cross_entropy_mistake(y, p, value)
        shown_value = (f"{float(value.reshape(-1)[0]):.4f}" if value.size == 1
                       else f"an array of shape {value.shape}")
        problems.append(f"for {shown} you returned {shown_value}; expected {expected:.4f}."
                        + (f" It looks like {mistake}" if mistake else ""))
        break
    report(name, problems,
           success="The mean of −log(probability of the true class), clipped like Keras.",
           hint="clip the probabilities (np.clip), take np.log, keep the true class by "
                "multiplying with y_true, sum over the classes (axis=-1), then average over the "
                "batch.")


# --------------------------------------------------------------------------------------------
# Exercise 2.4: counting the parameters of a dense network
# --------------------------------------------------------------------------------------------

COUNT_CASES = [[4, 5, 3], [784, 128, 10], [2, 1], [10, 10, 10, 10], [16384, 128, 2], [3]]


def _count(sizes: Sequence[int], biases: bool = True) -> int:
    return sum(n_in * n_out + (n_out if biases else 0) for n_in, n_out in zip(sizes, sizes[1:]))


def count_parameters(answer: Callable[[list[int]], Any]) -> None:
    """Exercise 2.4: ``answer(layer_sizes)`` = number of weights and biases of a dense network
    with those layer sizes (input first): Σ (n_in·n_out + n_out) over consecutive layers."""
    name = "Exercise 2.4 (counting parameters)"
    problems: list[str] = []
    for sizes in COUNT_CASES:
        got, problem = call_safely(answer, list(sizes))
        if problem:
            problems.append(problem)
            break
        expected = _count(sizes)
        try:
            value = (float(np.asarray(got, dtype=float).reshape(-1)[0])
                     if np.size(got) == 1 else None)
        except (TypeError, ValueError):
            value = None
        if value is None:
            problems.append(f"for layer sizes {sizes} you returned {got!r}; expected one whole "
                            "number.")
            break
        if value == expected:
            continue
        if len(sizes) == 1:
            mistake = "a network with only an input layer has no weights and no biases."
        else:
            mistake = {
                _count(sizes, biases=False): "the biases are missing: every neuron after the "
                                             "input layer has one.",
                _count(sizes) + sizes[0]: "you gave the input layer biases too; the inputs are "
                                          "data, not neurons, and have none.",
                int(np.prod(sizes)): "weights connect consecutive layers only: add "
                                     "n_in·n_out for each pair of neighbours, not the product "
                                     "of all sizes.",
                sum(sizes): "that counts neurons, not parameters.",
                sizes[0] * sizes[1] + sizes[1]: "only the first layer is counted; add every "
                                                "layer.",
                sizes[0] * sizes[1]: "only the first layer's weights are counted.",
            }.get(int(value), "")
        problems.append(f"for layer sizes {sizes} you returned {got!r}; expected {expected:,}."
                        + (f" {_capitalised(mistake)}" if mistake else ""))
        break
    report(name, problems,
           success="[4, 5, 3] has 4·5 + 5 + 5·3 + 3 = 43 parameters, as Keras counts them.",
           hint="for each pair of neighbouring layers add n_in·n_out weights and n_out biases: "
                "zip(sizes, sizes[1:]) gives the pairs.")
