"""Checkers for the exercises of notebook 10 (evaluation and what the network learned).

    from helpers.check import evaluation as check
    check.confusion_matrix(confusion_matrix)                    # Exercise 10.1
    check.measures(measures)                                    # Exercise 10.2
    check.most_confident_mistakes(most_confident_mistakes)      # Exercise 10.3

The truth is ``helpers.evaluate`` (``confusion_matrix``, ``accuracy_of``, ``precision_recall``)
and, for the mistakes, ``Evaluation.misclassified``'s order. The conventions, as in the notebook::

    C[i, j]      = number of images of true class i predicted as class j  (rows: true classes)
    accuracy     = trace(C) / sum(C)
    precision[j] = C[j, j] / sum(C[:, j])      (nan when class j was never predicted)
    recall[i]    = C[i, i] / sum(C[i, :])      (nan when class i has no image)

Each checker names the usual slips: rows and columns swapped, a matrix sized by the classes
that happen to occur, precision and recall swapped, 0 instead of nan, correct predictions among
the mistakes, least confident first, confidence measured on the true class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers import evaluate
from helpers.check import NOT_WRITTEN, call_safely, listed, report

MAX_LISTED = 3


def _listed(problems: list[str]) -> list[str]:
    """The stub's one sentence while the answer is not written, else :func:`listed`'s."""
    stub = [p for p in problems if NOT_WRITTEN in p]
    return stub[:1] if stub else listed(problems, MAX_LISTED)


def _text(values: Any) -> str:
    """A list or matrix of numbers as Python lists, floats to 4 decimals, nan as nan."""
    array = np.asarray(values, dtype=float)

    def one(v: float) -> str:
        return "nan" if math.isnan(v) else (str(int(v)) if v == int(v) else f"{v:.4f}")

    if array.ndim == 0:
        return one(float(array))
    if array.ndim == 1:
        return "[" + ", ".join(one(v) for v in array) + "]"
    return "[" + ", ".join(_text(row) for row in array) + "]"


def _same(got: np.ndarray, expected: np.ndarray, atol: float = 1e-9) -> bool:
    """Same shape and values, nan where the other has nan."""
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=atol,
                                                            equal_nan=True))


# --------------------------------------------------------------------------------------------
# Exercise 10.1: the confusion matrix
# --------------------------------------------------------------------------------------------

#: (true labels, predicted labels, number of classes): a small 2-class case, 3 classes with
#: one never predicted, a class that never occurs at all, and one where every answer is wrong.
CONFUSION_CASES: tuple[tuple[list[int], list[int], int], ...] = (
    ([0, 0, 0, 1, 1, 1, 1, 0], [0, 1, 0, 1, 1, 0, 1, 0], 2),
    ([0, 1, 2, 2, 1, 0, 2, 2, 1], [0, 1, 1, 0, 1, 0, 1, 1, 1], 3),
    ([0, 0, 1, 1, 0], [1, 0, 1, 1, 0], 3),
    ([1, 1, 0, 2], [0, 2, 1, 0], 3),
)


def _confusion_problem(got: Any, true: list[int], predicted: list[int], n: int) -> str:
    case = f"confusion_matrix({true}, {predicted}, {n})"
    expected = evaluate.confusion_matrix(true, predicted, n)
    if got is None:
        return f"{case} returned None: did you forget `return`?"
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"{case} returned a {type(got).__name__}, not a matrix of counts."
    if array.shape != expected.shape:
        hint = ""
        occurring = len(set(true) | set(predicted))
        if array.shape == (occurring, occurring) and occurring != n:
            hint = (f": it is sized by the {occurring} classes that occur; a class that never "
                    f"occurs still has its row and column of zeros ({n} x {n}, from num_classes)")
        return f"{case} has shape {array.shape}; expected {expected.shape}{hint}."
    if _same(array, expected):
        return ""
    shown = f"{case} returned {_text(array)}; expected {_text(expected)}"
    if _same(array, expected.T):
        return (f"{shown}: rows and columns are swapped. Rows are the TRUE classes: "
                f"C[true, predicted] += 1.")
    if array.sum() != len(true):
        return f"{shown}: the counts should add up to the {len(true)} images."
    return f"{shown}."


def confusion_matrix(answer: Callable[[Sequence[int], Sequence[int], int], Any]) -> None:
    """Exercise 10.1: ``answer(true_labels, predicted_labels, num_classes)`` must return the
    (num_classes, num_classes) matrix ``C`` with ``C[i, j]`` the number of images of true class
    i predicted as j, as ``helpers.evaluate.confusion_matrix`` does."""
    problems = []
    for true, predicted, n in CONFUSION_CASES:
        got, error = call_safely(answer, list(true), list(predicted), n)
        problem = error or _confusion_problem(got, true, predicted, n)
        if problem:
            problems.append(problem)
    report("Exercise 10.1", _listed(problems),
           success="Rows are the true classes, columns the predicted ones; the diagonal counts "
                   "the right answers.",
           hint="rows are true classes, columns predicted ones; each image adds 1 to one cell.")


# --------------------------------------------------------------------------------------------
# Exercise 10.2: accuracy, precision and recall from the matrix
# --------------------------------------------------------------------------------------------

#: Confusion matrices: a 2-class one, a 3-class one where precision and recall differ for every
#: class, one with a class never predicted (precision 0/0) and one with a class without images
#: (recall 0/0).
MEASURE_CASES: tuple[list[list[int]], ...] = (
    [[40, 10], [5, 45]],
    [[30, 5, 5], [10, 20, 0], [2, 8, 20]],
    [[8, 2, 0], [1, 9, 0], [3, 2, 0]],
    [[12, 3], [0, 0]],
)


def _as_three(got: Any) -> tuple[Any, Any, Any] | None:
    if isinstance(got, (tuple, list)) and len(got) == 3:
        return got[0], got[1], got[2]
    return None


def _measures_problems(got: Any, matrix: list[list[int]]) -> list[str]:
    case = f"measures({matrix})"
    c = np.asarray(matrix)
    accuracy = evaluate.accuracy_of(c)
    precision, recall = evaluate.precision_recall(c)
    if got is None:
        return [f"{case} returned None: did you forget `return`?"]
    three = _as_three(got)
    if three is None:
        return [f"{case} returned {got!r}; return three values: accuracy, precision, recall."]
    try:
        got_accuracy = float(np.asarray(three[0], dtype=float).reshape(()))
        got_precision = np.asarray(three[1], dtype=float)
        got_recall = np.asarray(three[2], dtype=float)
    except (TypeError, ValueError):
        return [f"{case}: accuracy must be one number, precision and recall one number per "
                f"class; got {got!r}."]
    problems = []
    if not math.isclose(got_accuracy, accuracy, abs_tol=1e-9):
        slip = ""
        if math.isclose(got_accuracy, float(np.trace(c)), abs_tol=1e-9):
            slip = ": that is the number right; divide by the number of images, sum(C)"
        elif math.isclose(got_accuracy, float(np.nanmean(recall)), abs_tol=1e-9):
            slip = (": that is the mean of the recalls (the 'balanced accuracy'); accuracy "
                    "counts every image once, trace(C) / sum(C)")
        problems.append(f"{case}: accuracy {got_accuracy:.4f}, expected {accuracy:.4f}{slip}.")
    if _same(got_precision, recall) and _same(got_recall, precision) and not _same(
            precision, recall):
        problems.append(f"{case}: precision and recall are swapped (you gave precision "
                        f"{_text(got_precision)}, recall {_text(got_recall)}). Precision "
                        "divides by a COLUMN sum (all images predicted j), recall by a ROW sum "
                        "(all images of class i).")
        return problems
    for name, got_values, expected, other, divide in (
            ("precision", got_precision, precision, recall, "column j's sum, sum(C[:, j])"),
            ("recall", got_recall, recall, precision, "row i's sum, sum(C[i, :])")):
        if _same(got_values, expected):
            continue
        shown = f"{case}: {name} {_text(got_values)}, expected {_text(expected)}"
        if got_values.shape != expected.shape:
            problems.append(f"{shown}: one value per class.")
        elif _same(got_values, other):
            problems.append(f"{shown}: that is the {'recall' if name == 'precision' else 'precision'}"
                            f"; the {name} of class j divides C[j, j] by {divide}.")
        elif _same(got_values, np.nan_to_num(expected, nan=0.0)):
            problems.append(f"{shown}: where the division is 0 / 0 the {name} is undefined; "
                            "return nan (np.nan), not 0.")
        else:
            problems.append(f"{shown}; C[j, j] / {divide}.")
    return problems


def measures(answer: Callable[[np.ndarray], Any]) -> None:
    """Exercise 10.2: ``answer(C)`` must return ``(accuracy, precision, recall)`` of a confusion
    matrix (rows: true classes): a float and two arrays of one value per class, nan where a
    division is 0 / 0, as ``helpers.evaluate.accuracy_of`` and ``precision_recall``."""
    problems = []
    for matrix in MEASURE_CASES:
        with np.errstate(invalid="ignore", divide="ignore"):
            got, error = call_safely(answer, np.asarray(matrix))
        problems += [error] if error else _measures_problems(got, matrix)
    report("Exercise 10.2", _listed(problems),
           success="Accuracy counts every image, precision looks down a column (of the images "
                   "predicted j), recall along a row (of the images of class i).",
           hint="accuracy is the diagonal's share of all images; precision divides the "
                "diagonal by the column sums, recall by the row sums (0 / 0 gives nan with a "
                "warning, which np.errstate can silence).")


# --------------------------------------------------------------------------------------------
# Exercise 10.3: the most confident mistakes
# --------------------------------------------------------------------------------------------

#: (probabilities, true labels, k). The 3-class cases are built so that "lowest probability
#: of the true class" and "highest probability of the predicted class" give different orders.
MISTAKE_CASES: tuple[tuple[list[list[float]], list[int], int], ...] = (
    ([[0.9, 0.1], [0.3, 0.7], [0.55, 0.45], [0.2, 0.8], [0.6, 0.4], [0.95, 0.05]],
     [0, 0, 1, 1, 1, 1], 2),
    ([[0.5, 0.3, 0.2], [0.12, 0.46, 0.42], [0.05, 0.9, 0.05], [0.6, 0.05, 0.35],
      [0.2, 0.7, 0.1], [0.34, 0.33, 0.33], [0.1, 0.1, 0.8]],
     [1, 0, 1, 2, 2, 1, 2], 3),
    ([[0.5, 0.3, 0.2], [0.12, 0.46, 0.42], [0.05, 0.9, 0.05], [0.6, 0.05, 0.35],
      [0.2, 0.7, 0.1], [0.34, 0.33, 0.33], [0.1, 0.1, 0.8]],
     [1, 0, 1, 2, 2, 1, 2], 10),
    ([[0.8, 0.2], [0.3, 0.7]], [0, 1], 3),
)


def expected_mistakes(probabilities: np.ndarray, true_labels: Sequence[int], k: int) -> list[int]:
    """Indices of the misclassified images, highest predicted-class probability first; k at most."""
    probabilities = np.asarray(probabilities)
    predicted = probabilities.argmax(axis=1)
    wrong = [i for i in range(len(predicted)) if predicted[i] != true_labels[i]]
    wrong.sort(key=lambda i: -probabilities[i, predicted[i]])
    return wrong[:k]


def _mistakes_problem(got: Any, rows: list[list[float]], true: list[int], k: int) -> str:
    case = f"most_confident_mistakes({rows}, {true}, {k})"
    probabilities = np.asarray(rows)
    expected = expected_mistakes(probabilities, true, k)
    if got is None:
        return f"{case} returned None: did you forget `return`?"
    try:
        indices = [int(i) for i in np.asarray(got).ravel()]
    except (TypeError, ValueError):
        return f"{case} returned {got!r}; return a list of image indices."
    if indices == expected:
        return ""
    shown = f"{case} returned {indices}; expected {expected}"
    predicted = probabilities.argmax(axis=1)
    right = [i for i in indices if 0 <= i < len(true) and predicted[i] == true[i]]
    if right:
        return (f"{shown}: image {right[0]} was predicted right (class {predicted[right[0]]}, "
                f"true class {true[right[0]]}); only misclassified images count.")
    everything = expected_mistakes(probabilities, true, len(true))
    if indices == everything[::-1][:k] or indices == expected[::-1]:
        return f"{shown}: that is the least confident first; sort by decreasing probability."
    by_true = sorted(everything, key=lambda i: probabilities[i, true[i]])[:k]
    if indices == by_true and by_true != expected:
        return (f"{shown}: you ranked by the lowest probability of the TRUE class; rank by the "
                "probability of the PREDICTED class, the network's confidence in its answer.")
    if len(indices) > min(k, len(everything)):
        return f"{shown}: at most k = {k} indices."
    if sorted(indices) == sorted(expected):
        return f"{shown}: the right images in another order; the most confident first."
    if len(indices) < len(expected):
        return (f"{shown}: there are {len(everything)} mistakes; return the k most confident "
                "(all of them when there are fewer than k).")
    return f"{shown}."


def most_confident_mistakes(answer: Callable[[np.ndarray, np.ndarray, int], Any]) -> None:
    """Exercise 10.3: ``answer(probabilities, true_labels, k)`` must return the indices of the
    (at most) k misclassified images whose predicted class had the highest probability, most
    confident first: the order of ``Evaluation.misclassified``."""
    problems = []
    for rows, true, k in MISTAKE_CASES:
        got, error = call_safely(answer, np.asarray(rows), np.asarray(true), k)
        problem = error or _mistakes_problem(got, rows, true, k)
        if problem:
            problems.append(problem)
    report("Exercise 10.3", _listed(problems),
           success="These are the photos to look at first: where the network was sure and wrong.",
           hint="a mistake is an image whose most probable class is not its true class; "
                "order the mistakes by that largest probability, highest first.")
