"""Tests of helpers.check.evaluation (notebook 10): right answers pass, the typical slips are
named (rows and columns swapped, a matrix sized by the classes that occur, precision and recall
swapped, 0 instead of nan, the balanced accuracy, correct images among the mistakes, least
confident first, confidence of the true class; for Grad-CAM the wrong class, the probability
instead of the logit, no ReLU, no division by the maximum, the wrong size), stubs get "not written
yet" without a hint."""

from __future__ import annotations

import dataclasses
import functools

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from _checking import fails_with, not_written, passes
from helpers import evaluate, explain
from helpers import model as M
from helpers.check import NOT_WRITTEN
from helpers.check import evaluation as check


@pytest.mark.parametrize("checker", [check.confusion_matrix, check.measures,
                                     check.most_confident_mistakes, "grad_cam"])
def test_a_stub_gets_not_written_yet_and_no_hint(checker, request):
    if checker == "grad_cam":
        checker = request.getfixturevalue("grad_cam_checker")
    message = fails_with(checker, not_written, NOT_WRITTEN)
    assert "Hint" not in message and message.count(NOT_WRITTEN) == 1


# ---- Exercise 10.1 ---------------------------------------------------------------------------------


def confusion_right(true, predicted, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(true, predicted):
        matrix[t, p] += 1
    return matrix


def test_confusion_right_answers_pass(capsys):
    passes(check.confusion_matrix, confusion_right, capsys, "Exercise 10.1")
    passes(check.confusion_matrix, evaluate.confusion_matrix, capsys, "Exercise 10.1")
    passes(check.confusion_matrix, lambda t, p, n: confusion_right(t, p, n).tolist(), capsys,
           "Exercise 10.1")


def test_confusion_swapped_rows_and_columns():
    fails_with(check.confusion_matrix, lambda t, p, n: confusion_right(p, t, n),
               "rows and columns are swapped", "C[true, predicted]")


def test_confusion_float_counts():
    fails_with(check.confusion_matrix,
               lambda t, p, n: confusion_right(t, p, n).astype(float),
               "not integers", "dtype=int")


def test_confusion_one_class_too_few():
    fails_with(check.confusion_matrix,
               lambda t, p, n: confusion_right(t, p, n)[:-1, :-1], "expected (2, 2)")


def test_confusion_sized_by_the_classes_that_occur():
    def occurring(true, predicted, num_classes):
        n = len(set(true) | set(predicted))
        return confusion_right(true, predicted, n)
    fails_with(check.confusion_matrix, occurring, "sized by the 2 classes that occur",
               "(3, 3)")


def test_confusion_counts_only_the_right_ones():
    def diagonal_only(true, predicted, num_classes):
        matrix = np.zeros((num_classes, num_classes), dtype=int)
        for t, p in zip(true, predicted):
            if t == p:
                matrix[t, t] += 1
        return matrix
    fails_with(check.confusion_matrix, diagonal_only, "add up to the 8 images")


# ---- Exercise 10.2 ---------------------------------------------------------------------------------


def measures_right(matrix):
    matrix = np.asarray(matrix, dtype=float)
    right = np.diag(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        return right.sum() / matrix.sum(), right / matrix.sum(axis=0), right / matrix.sum(axis=1)


def test_measures_right_answers_pass(capsys):
    passes(check.measures, measures_right, capsys, "Exercise 10.2")

    def with_helpers(matrix):
        return (evaluate.accuracy_of(matrix), *evaluate.precision_recall(matrix))
    passes(check.measures, with_helpers, capsys, "Exercise 10.2")


def test_measures_swapped_precision_and_recall():
    def swapped(matrix):
        accuracy, precision, recall = measures_right(matrix)
        return accuracy, recall, precision
    fails_with(check.measures, swapped, "precision and recall are swapped", "COLUMN sum")


def test_measures_rows_and_columns_mixed_up_for_precision_only():
    def precision_by_rows(matrix):
        accuracy, _, recall = measures_right(matrix)
        return accuracy, recall, recall
    fails_with(check.measures, precision_by_rows, "precision", "that is the recall",
               "column j's sum")


def test_measures_zero_instead_of_nan():
    def zeros(matrix):
        accuracy, precision, recall = measures_right(matrix)
        return accuracy, np.nan_to_num(precision), np.nan_to_num(recall)
    message = fails_with(check.measures, zeros, "return nan (np.nan), not 0")
    assert "precision" in message and "recall" in message


def test_measures_accuracy_slips():
    def count(matrix):
        _, precision, recall = measures_right(matrix)
        return float(np.trace(matrix)), precision, recall
    fails_with(check.measures, count, "that is the number right")

    def balanced(matrix):
        _, precision, recall = measures_right(matrix)
        return float(np.nanmean(recall)), precision, recall
    fails_with(check.measures, balanced, "balanced accuracy")


def test_measures_two_values_only():
    fails_with(check.measures, lambda m: measures_right(m)[1:], "return three values")


# ---- Exercise 10.3 ---------------------------------------------------------------------------------


def mistakes_right(probabilities, true_labels, k):
    predicted = probabilities.argmax(axis=1)
    wrong = [i for i in range(len(true_labels)) if predicted[i] != true_labels[i]]
    return sorted(wrong, key=lambda i: -probabilities[i, predicted[i]])[:k]


def test_mistakes_right_answers_pass(capsys):
    passes(check.most_confident_mistakes, mistakes_right, capsys, "Exercise 10.3")

    def vectorised(probabilities, true_labels, k):
        predicted = probabilities.argmax(axis=1)
        wrong = np.flatnonzero(predicted != true_labels)
        confidence = probabilities[wrong, predicted[wrong]]
        return wrong[np.argsort(-confidence, kind="stable")][:k]
    passes(check.most_confident_mistakes, vectorised, capsys, "Exercise 10.3")


def test_mistakes_the_evaluation_helper_agrees_with_the_checker():
    probabilities, true, k = (np.asarray(x) if i < 2 else x
                              for i, x in enumerate(check.MISTAKE_CASES[1]))
    assert check.expected_mistakes(probabilities, list(true), k) == [4, 3, 0]


def test_mistakes_with_correct_images_among_them():
    def all_images(probabilities, true_labels, k):
        predicted = probabilities.argmax(axis=1)
        return list(np.argsort(-probabilities[np.arange(len(predicted)), predicted]))[:k]
    fails_with(check.most_confident_mistakes, all_images, "was predicted right")


def test_mistakes_least_confident_first():
    def ascending(probabilities, true_labels, k):
        predicted = probabilities.argmax(axis=1)
        wrong = [i for i in range(len(true_labels)) if predicted[i] != true_labels[i]]
        return sorted(wrong, key=lambda i: probabilities[i, predicted[i]])[:k]
    fails_with(check.most_confident_mistakes, ascending, "least confident first")


def test_mistakes_ranked_by_the_true_class():
    def by_true(probabilities, true_labels, k):
        predicted = probabilities.argmax(axis=1)
        wrong = [i for i in range(len(true_labels)) if predicted[i] != true_labels[i]]
        return sorted(wrong, key=lambda i: probabilities[i, true_labels[i]])[:k]
    fails_with(check.most_confident_mistakes, by_true, "lowest probability of the TRUE class")


def test_mistakes_without_the_limit():
    def no_limit(probabilities, true_labels, k):
        return mistakes_right(probabilities, true_labels, len(true_labels))
    fails_with(check.most_confident_mistakes, no_limit, "at most k = 2")


# ---- Exercise 10.4 ---------------------------------------------------------------------------------

SIZE = 64  # the course's network on 64-pixel photos: relu5, the default layer, is 4 x 4


@pytest.fixture(scope="module")
def course_model() -> keras.Model:
    """The course's network (batch norm, augmentation inside, softmax), untrained, 64 px."""
    return M.build_model(dataclasses.replace(M.IMPROVED, image_size=SIZE), seed=3)


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    """Two prepared photos with structure: a bright disc on a gradient, and stripes."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    disc = np.stack([x, y, ((x - 0.3) ** 2 + (y - 0.6) ** 2 < 0.05) * 1.0], -1)
    stripes = np.stack([np.sin(12 * x) * 0.5 + 0.5, y, 1 - x], -1)
    return [disc.astype(np.float32), stripes.astype(np.float32)]


@pytest.fixture(scope="module")
def grad_cam_checker(course_model, photos):
    return functools.partial(check.grad_cam, model=course_model, photos=photos)


def grad_cam_right(model, image, layer_name, class_index, *, relu=True, normalise=True,
                   output="logits", cls=None, batch_axis=False, resize=False):
    """The learner's answer, with switches that make each classic slip."""
    scores = model.get_layer("softmax").input if output == "logits" else model.outputs[0]
    sub = keras.Model(model.inputs[0], [model.get_layer(layer_name).output, scores])
    with tf.GradientTape() as tape:
        maps, values = sub(image[np.newaxis], training=False)
        c = class_index if cls is None else cls(values, class_index)
        score = values[0, c]
    gradients = tape.gradient(score, maps)[0]
    alpha = tf.reduce_mean(gradients, axis=(0, 1))
    heatmap = tf.reduce_sum(maps[0] * alpha, axis=-1).numpy()
    if relu:
        heatmap = np.maximum(heatmap, 0)
    if normalise and heatmap.max() > 0:
        heatmap = heatmap / heatmap.max()
    if resize:
        heatmap = cv2.resize(heatmap, image.shape[1::-1])
    return heatmap[np.newaxis] if batch_axis else heatmap


def test_grad_cam_right_answer_passes(grad_cam_checker, capsys):
    passes(grad_cam_checker, grad_cam_right, capsys, "Exercise 10.4")


def test_grad_cam_the_course_function_over_its_maximum_passes(grad_cam_checker, capsys):
    def course(model, image, layer_name, class_index):
        return check.normalised(explain.grad_cam(model, image, layer_name, class_index))
    passes(grad_cam_checker, course, capsys, "Exercise 10.4")


def test_grad_cam_is_tried_on_the_default_layer_and_every_class(course_model, photos):
    calls = []

    def record(model, image, layer_name, class_index):
        calls.append((layer_name, class_index))
        return grad_cam_right(model, image, layer_name, class_index)
    check.grad_cam(record, course_model, photos)
    assert calls == [("relu5", 0), ("relu5", 1)] * len(photos)


@pytest.mark.parametrize("slip, words", [
    (dict(cls=lambda values, c: 1 - c), "gradients are of the wrong class"),
    (dict(relu=False), "apply the ReLU"),
    (dict(normalise=False), "divide the map by its largest value"),
    (dict(output="probabilities"), "gradients of the class's probability"),
    (dict(batch_axis=True), "drop the batch axis"),
    (dict(resize=True), "that is the photo's size"),
])
def test_grad_cam_mistakes_are_named(grad_cam_checker, slip, words):
    fails_with(grad_cam_checker, functools.partial(grad_cam_right, **slip), words)


def test_grad_cam_per_map_values_are_named(grad_cam_checker):
    def per_map(model, image, layer_name, class_index):
        sub = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
        return np.asarray(sub(image[np.newaxis]))[0]
    fails_with(grad_cam_checker, per_map, "one value per feature map")


def test_grad_cam_nan_from_dividing_by_zero_is_named(grad_cam_checker):
    def nan(model, image, layer_name, class_index):
        return grad_cam_right(model, image, layer_name, class_index) * np.nan
    fails_with(grad_cam_checker, nan, "NaN")


def test_grad_cam_needs_photos(course_model):
    with pytest.raises(ValueError, match="at least one prepared photo"):
        check.grad_cam(grad_cam_right, course_model, [])
