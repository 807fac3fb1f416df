"""Tests of helpers.check.evaluation (notebook 10): right answers pass, the typical slips are
named (rows and columns swapped, a matrix sized by the classes that occur, precision and recall
swapped, 0 instead of nan, the balanced accuracy, correct images among the mistakes, least
confident first, confidence of the true class), stubs get "not written yet" without a hint."""

from __future__ import annotations

import numpy as np
import pytest

from _checking import fails_with, not_written, passes
from helpers import evaluate
from helpers.check import NOT_WRITTEN
from helpers.check import evaluation as check


@pytest.mark.parametrize("checker", [check.confusion_matrix, check.measures,
                                     check.most_confident_mistakes])
def test_a_stub_gets_not_written_yet_and_no_hint(checker):
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
