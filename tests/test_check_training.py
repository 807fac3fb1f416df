"""Tests of helpers.check.training: right answers pass, each usual mistake is named."""

import math

import numpy as np
import pytest
import tensorflow as tf

from helpers.check import ExerciseError
from helpers.check import training as check


def stub(*args):
    raise NotImplementedError


# --------------------------------------------------------------------------------------------
# The line-fit helpers the checkers stand on
# --------------------------------------------------------------------------------------------


def test_finite_difference_gradients_match_gradient_tape():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 2, 50)
    y = 2 * x + 1 + rng.normal(0, 0.5, 50)
    w = tf.Variable(0.3, dtype=tf.float64)
    b = tf.Variable(-0.7, dtype=tf.float64)
    with tf.GradientTape() as tape:
        cost = tf.reduce_mean((w * x + b - y) ** 2)
    tape_dw, tape_db = tape.gradient(cost, [w, b])
    assert np.allclose(check.finite_difference_gradients(0.3, -0.7, x, y),
                       [tape_dw.numpy(), tape_db.numpy()], atol=1e-7)


def test_mse_is_the_mean_of_squared_residuals():
    assert check.mse(1.0, 0.0, np.array([1.0, 2.0]), np.array([0.0, 0.0])) == pytest.approx(2.5)


def test_learning_rate_problem_has_the_documented_shape():
    x, y, start, steps = check.learning_rate_problem()
    assert x.shape == y.shape == (9,) and start == (0.0, 0.0) and steps == check.LEARNING_RATE_STEPS


# --------------------------------------------------------------------------------------------
# Exercise 5.1: one gradient-descent step
# --------------------------------------------------------------------------------------------


def right_step(w, b, dw, db, learning_rate):
    return w - learning_rate * dw, b - learning_rate * db


def test_gradient_step_right_answer_passes(capsys):
    check.gradient_step(right_step)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 5.1")


@pytest.mark.parametrize("wrong, words", [
    (lambda w, b, dw, db, lr: (w + lr * dw, b + lr * db), "minus sign"),
    (lambda w, b, dw, db, lr: (w - dw, b - db), "learning rate is missing"),
    (lambda w, b, dw, db, lr: (-lr * dw, -lr * db), "change −η·∂C/∂w only"),
    (lambda w, b, dw, db, lr: (w - lr * db, b - lr * dw), "swapped"),
    (lambda w, b, dw, db, lr: (w - lr * dw, b), "b did not move"),
    (lambda w, b, dw, db, lr: w - lr * dw, "return two values"),
    (lambda w, b, dw, db, lr: None, "forget `return`"),
    (lambda w, b, dw, db, lr: (w * lr, b * lr), "expected"),
], ids=["sign", "no-eta", "change-only", "swapped", "b-frozen", "one-value", "none", "other"])
def test_gradient_step_mistakes_are_named(wrong, words):
    with pytest.raises(ExerciseError, match="Exercise 5.1") as error:
        check.gradient_step(wrong)
    assert words in str(error.value)


def test_gradient_step_in_place_update_is_caught():
    def in_place(w, b, dw, db, learning_rate):
        w -= learning_rate * dw
        b -= learning_rate * db
        return w, b

    with pytest.raises(ExerciseError, match="changed the array w"):
        check.gradient_step(in_place)


def test_gradient_step_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.gradient_step(stub)


# --------------------------------------------------------------------------------------------
# Exercise 5.2: gradients of the mean squared error
# --------------------------------------------------------------------------------------------


def right_gradients(w, b, x, y):
    residual = w * x + b - y
    return 2 * np.mean(residual * x), 2 * np.mean(residual)


def tape_gradients(w, b, x, y):
    w, b = tf.Variable(w, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)
    with tf.GradientTape() as tape:
        cost = tf.reduce_mean((w * x + b - y) ** 2)
    return tape.gradient(cost, [w, b])


@pytest.mark.parametrize("answer", [right_gradients, tape_gradients], ids=["numpy", "gradient-tape"])
def test_mse_gradients_right_answers_pass(answer, capsys):
    check.mse_gradients(answer)
    assert "\N{CHECK MARK} Exercise 5.2" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (lambda w, b, x, y: tuple(g / 2 for g in right_gradients(w, b, x, y)), "keep the 2"),
    (lambda w, b, x, y: tuple(g * len(x) for g in right_gradients(w, b, x, y)), "*mean*"),
    (lambda w, b, x, y: tuple(-g for g in right_gradients(w, b, x, y)), "signs are flipped"),
    (lambda w, b, x, y: (right_gradients(w, b, x, y)[1],) * 2, "multiply each residual"),
    (lambda w, b, x, y: right_gradients(w, b, x, y)[::-1], "swapped"),
    (lambda w, b, x, y: (2 * (w * x + b - y) * x, 2 * (w * x + b - y)), "single number"),
    (lambda w, b, x, y: right_gradients(w, b, x, y)[0], "return two values"),
], ids=["half", "sum", "sign", "no-x", "swapped", "per-point", "one-value"])
def test_mse_gradients_mistakes_are_named(wrong, words):
    with pytest.raises(ExerciseError, match="Exercise 5.2") as error:
        check.mse_gradients(wrong)
    assert words in str(error.value)


def test_mse_gradients_wrong_answer_shows_both_numbers():
    with pytest.raises(ExerciseError, match=r"finite differences give \(") as error:
        check.mse_gradients(lambda w, b, x, y: (1.0, 1.0))
    assert "you returned (∂C/∂w, ∂C/∂b) = (1.0000, 1.0000)" in str(error.value)


def test_mse_gradients_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.mse_gradients(stub)


# --------------------------------------------------------------------------------------------
# Exercise 5.3: iterations per epoch
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [
    lambda n, b: math.ceil(n / b),
    lambda n, b: (n + b - 1) // b,
    lambda n, b: n // b + (1 if n % b else 0),
    lambda n, b: len(range(0, n, b)),
], ids=["ceil", "integer-ceil", "remainder", "range"])
def test_iterations_per_epoch_right_answers_pass(answer, capsys):
    check.iterations_per_epoch(answer)
    assert "\N{CHECK MARK} Exercise 5.3" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (lambda n, b: n // b, "dropped the last partial batch of 8 examples"),
    (lambda n, b: n / b, "the last, smaller batch of 8"),
    (lambda n, b: n // b + 1, "no partial batch left over"),
    (lambda n, b: math.ceil(b / n), "arguments are swapped"),
    (lambda n, b: float(math.ceil(n / b)), "as a float"),
    (lambda n, b: str(math.ceil(n / b)), "whole number"),
    (lambda n, b: n * b, "expected 100"),
], ids=["floor", "float-division", "always-plus-one", "swapped", "float-type", "string", "other"])
def test_iterations_per_epoch_mistakes_are_named(wrong, words):
    with pytest.raises(ExerciseError, match="Exercise 5.3") as error:
        check.iterations_per_epoch(wrong)
    assert words in str(error.value)


def test_iterations_per_epoch_floor_names_the_non_divisible_case():
    with pytest.raises(ExerciseError) as error:
        check.iterations_per_epoch(lambda n, b: n // b)
    assert "for 1000 examples in batches of 32 you returned 31; expected 32" in str(error.value)
    assert "math.ceil" in str(error.value)


def test_iterations_per_epoch_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.iterations_per_epoch(stub)


# --------------------------------------------------------------------------------------------
# Exercise 5.4: a learning rate that converges
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [0.18, 0.2, 0.25, 0.28])
def test_learning_rate_in_the_window_passes(lr, capsys):
    check.learning_rate(lambda: lr)
    assert "\N{CHECK MARK} Exercise 5.4" in capsys.readouterr().out


@pytest.mark.parametrize("lr, words", [
    (0.001, "too slowly"),
    (0.1, "too slowly"),
    (0.3, "zigzag"),
    (0.5, "cost grew"),
    (10.0, "cost grew"),
    (0.0, "positive"),
    (-0.1, "positive"),
    ("0.2", "one number"),
    (None, "forget `return`"),
], ids=["tiny", "small", "slightly-large", "large", "huge", "zero", "negative", "string", "none"])
def test_learning_rate_mistakes_are_named(lr, words):
    with pytest.raises(ExerciseError, match="Exercise 5.4") as error:
        check.learning_rate(lambda: lr)
    assert words in str(error.value)


def test_learning_rate_accepts_numpy_and_tensor_numbers(capsys):
    check.learning_rate(lambda: np.float32(0.2))
    check.learning_rate(lambda: tf.constant(0.2))
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 2


def test_learning_rate_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.learning_rate(stub)
