"""Checkers for the exercises of notebook 10 (evaluation and what the network learned).

    from helpers.check import evaluation as check
    check.confusion_matrix(confusion_matrix)                    # Exercise 10.1
    check.measures(measures)                                    # Exercise 10.2
    check.most_confident_mistakes(most_confident_mistakes)      # Exercise 10.3
    check.grad_cam(grad_cam, run.model, photos)                 # Exercise 10.4

The truth is ``helpers.evaluate`` (``confusion_matrix``, ``accuracy_of``, ``precision_recall``),
``Evaluation.misclassified``'s order for the mistakes, and ``helpers.explain.grad_cam`` divided
by its largest value for the heat map. The conventions, as in the notebook::

    C[i, j]      = number of images of true class i predicted as class j  (rows: true classes)
    accuracy     = trace(C) / sum(C)
    precision[j] = C[j, j] / sum(C[:, j])      (nan when class j was never predicted)
    recall[i]    = C[i, i] / sum(C[i, :])      (nan when class i has no image)

    Grad-CAM     = ReLU(sum_k alpha_k A^k) / its maximum,  alpha_k = mean_ij dy_c / dA^k_ij

Each checker names the usual slips: rows and columns swapped, counts that are not integers, a
matrix sized by the classes that happen to occur, precision and recall swapped, 0 instead of
nan, correct predictions among the mistakes, least confident first, confidence measured on the
true class; for Grad-CAM the gradients of the wrong class or of the probability, no ReLU, a map
not divided by its maximum, a map of the wrong size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers import evaluate, explain
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
        if np.asarray(got).dtype.kind not in "iu":
            return (f"{case} returned counts of dtype {np.asarray(got).dtype}, not integers: "
                    "make the matrix with np.zeros(..., dtype=int).")
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
           hint="rows are true classes, columns predicted ones; each image adds 1 to one cell "
                "of an integer matrix.")


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


# --------------------------------------------------------------------------------------------
# Exercise 10.4: Grad-CAM with tf.GradientTape
# --------------------------------------------------------------------------------------------

#: Tolerance on heat maps in [0, 1]: float32 gradients computed in another order differ a little.
CAM_ATOL = 1e-3


def normalised(heatmap: np.ndarray) -> np.ndarray:
    """``heatmap`` divided by its largest value, so that it runs from 0 to 1 (zeros stay zeros)."""
    heatmap = np.asarray(heatmap, dtype=np.float64)
    top = float(heatmap.max()) if heatmap.size else 0.0
    return heatmap / top if top > 0 else heatmap


def expected_grad_cam(model: keras.Model, image: np.ndarray, layer_name: str,
                      class_index: int) -> np.ndarray:
    """The course's Grad-CAM (``helpers.explain.grad_cam``) divided by its maximum: (h, w)."""
    return normalised(explain.grad_cam(model, image, layer_name=layer_name,
                                       class_index=class_index))


def grad_cam_of_probability(model: keras.Model, image: np.ndarray, layer_name: str,
                            class_index: int) -> np.ndarray:
    """A classic slip, divided by its maximum: Grad-CAM with the gradients of the class's
    probability (the model's softmax output) instead of its score (the logit)."""
    maps_and_outputs = keras.Model(model.inputs[0], [model.get_layer(layer_name).output,
                                                     model.outputs[0]])
    x = tf.convert_to_tensor(np.asarray(image, dtype=np.float32)[np.newaxis])
    with tf.GradientTape() as tape:
        maps, probabilities = maps_and_outputs(x, training=False)
        tape.watch(maps)
        probability = probabilities[0, class_index]
    alpha = tf.reduce_mean(tape.gradient(probability, maps)[0], axis=(0, 1))
    return normalised(tf.nn.relu(tf.tensordot(maps[0], alpha, 1)).numpy())


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=CAM_ATOL))


def _grad_cam_problem(got: Any, model: keras.Model, image: np.ndarray, layer_name: str,
                      class_index: int, photo: str) -> str:
    case = f"grad_cam(model, {photo}, {layer_name!r}, class_index={class_index})"
    expected = expected_grad_cam(model, image, layer_name, class_index)
    h, w = expected.shape
    if got is None:
        return f"{case} returned None: did you forget `return`?"
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{case} returned a {type(got).__name__}, not a heat map of numbers."
    if array.shape != expected.shape:
        why = ""
        if array.shape in ((1, h, w), (h, w, 1), (1, h, w, 1)):
            why = ": drop the batch axis, maps[0], so that one (h, w) map comes back"
        elif array.ndim == 3 and array.shape[:2] == (h, w):
            why = (": that is one value per feature map; sum the maps weighted by alpha over "
                   "the last axis")
        elif array.shape[:2] == tuple(image.shape[:2]):
            why = (": that is the photo's size; return the map on the layer's grid, the "
                   "drawing stretches it over the photo")
        return f"{case} has shape {array.shape}; expected {expected.shape}, the grid of {layer_name!r}{why}."
    if not np.all(np.isfinite(array)):
        return (f"{case} contains NaN or infinity: divide by the maximum only when it is above 0 "
                "(a map of zeros stays zeros).")
    if _close(array, expected):
        return ""
    if array.min() < -CAM_ATOL:
        return (f"{case} has negative values (down to {array.min():.3g}): apply the ReLU to the "
                "weighted sum, keeping only the places that speak for the class.")
    if array.max() > 0 and not math.isclose(float(array.max()), 1.0, abs_tol=CAM_ATOL):
        if _close(normalised(array), expected):
            return (f"{case} runs from 0 to {array.max():.4g}: divide the map by its largest "
                    "value, so that it runs from 0 to 1.")
    others = [c for c in range(int(model.outputs[0].shape[-1])) if c != class_index]
    for other in others:
        if _close(normalised(array), expected_grad_cam(model, image, layer_name, other)):
            return (f"{case} is the heat map of class {other}: the gradients are of the wrong "
                    "class; differentiate scores[0, class_index], not the predicted class.")
    if _close(normalised(array), grad_cam_of_probability(model, image, layer_name, class_index)):
        return (f"{case}: those are the gradients of the class's probability, the model's "
                "output; differentiate its score, the logit, the input of the layer named "
                "'softmax'.")
    worst = np.unravel_index(np.argmax(np.abs(array - expected)), expected.shape)
    return (f"{case} differs from the course's Grad-CAM by up to "
            f"{float(np.abs(array - expected).max()):.3g} (at {tuple(int(i) for i in worst)}: "
            f"got {array[worst]:.4f}, expected {expected[worst]:.4f}).")


def grad_cam(answer: Callable[[keras.Model, np.ndarray, str, int], Any], model: keras.Model,
             photos: Sequence[np.ndarray], layer_name: str | None = None) -> None:
    """Exercise 10.4: ``answer(model, image, layer_name, class_index)`` must return Grad-CAM's
    heat map on the grid of ``layer_name``, divided by its maximum: ``helpers.explain.grad_cam``
    over its largest value. Tried on each prepared photo (H, W, 3) and for every class, with
    ``layer_name`` None meaning ``explain.grad_cam_layer_name(model)``."""
    if not photos:
        raise ValueError("grad_cam needs at least one prepared photo (H, W, 3) to try the answer on")
    layer = layer_name or explain.grad_cam_layer_name(model)
    num_classes = int(model.outputs[0].shape[-1])
    problems = []
    for number, photo in enumerate(photos):
        image = np.asarray(photo, dtype=np.float32)
        for class_index in range(num_classes):
            got, error = call_safely(answer, model, image, layer, class_index)
            problem = error or _grad_cam_problem(got, model, image, layer, class_index,
                                                 f"photos[{number}]")
            if problem:
                problems.append(problem)
    report("Exercise 10.4", _listed(problems),
           success=f"Your heat maps match the course's on {len(photos)} photos, for every class.",
           hint="record the layer's maps and the scores under one tf.GradientTape, take the "
                "gradient of scores[0, class_index] with respect to the maps, average it over "
                "the grid, weigh the maps, apply the ReLU, divide by the maximum.")
