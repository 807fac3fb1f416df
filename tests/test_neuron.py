"""Tests of helpers.neuron: formulas, numerical stability, and agreement with TensorFlow."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.neuron import (
    cross_entropy,
    cross_entropy_from_logits,
    dense_forward,
    neuron_output,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    squared_error,
    tanh,
    tanh_derivative,
)

ACTIVATIONS = [
    (sigmoid, sigmoid_derivative, tf.sigmoid),
    (tanh, tanh_derivative, tf.tanh),
    (relu, relu_derivative, tf.nn.relu),
]
IDS = ["sigmoid", "tanh", "relu"]

# Points away from relu's corner at 0, where the finite difference is meaningless.
Z = np.array([-6.0, -2.5, -1.0, -0.3, 0.2, 0.7, 1.5, 4.0])


@pytest.fixture
def strict_floats():
    """Turn every warning into an error and every numpy floating-point problem into an
    exception, except underflow: sigmoid(-1000) or e^(-2000) are smaller than the smallest
    float, so rounding them to 0 is the correct answer (numpy ignores underflow by default)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            yield


# ---- activations ----------------------------------------------------------------------------


def test_sigmoid_of_zero_is_one_half():
    assert sigmoid(0) == 0.5


def test_number_in_gives_float_out_and_array_in_gives_array_out():
    for f in [sigmoid, sigmoid_derivative, tanh, tanh_derivative, relu, relu_derivative]:
        assert type(f(1.5)) is float
        out = f([[1.0, -2.0, 0.5]])
        assert isinstance(out, np.ndarray)
        assert out.shape == (1, 3)
        assert out.dtype == np.float64


def test_integer_input_gives_float_output():
    assert relu(np.array([-2, 3])).dtype == np.float64
    assert relu(3) == 3.0 and type(relu(3)) is float


@pytest.mark.parametrize("f, _, tf_f", ACTIVATIONS, ids=IDS)
def test_activation_matches_tensorflow(f, _, tf_f):
    z = np.linspace(-8, 8, 41)
    np.testing.assert_allclose(f(z), tf_f(tf.constant(z)).numpy(), rtol=1e-12, atol=1e-15)


def test_sigmoid_of_plus_minus_1000_has_no_warning_and_no_nan(strict_floats):
    out = sigmoid(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    assert not np.any(np.isnan(out))
    assert out[0] == 0.0 and out[-1] == 1.0
    assert sigmoid(1000) == 1.0 and sigmoid(-1000) == 0.0


def test_sigmoid_derivative_of_plus_minus_1000_is_zero_without_warning(strict_floats):
    np.testing.assert_array_equal(sigmoid_derivative(np.array([-1000.0, 1000.0])), [0.0, 0.0])


def test_sigmoid_is_symmetric_around_one_half():
    np.testing.assert_allclose(sigmoid(-Z), 1.0 - sigmoid(Z), atol=1e-15)


def test_tanh_is_a_rescaled_sigmoid():
    """tanh(z) = 2σ(2z) − 1."""
    z = np.linspace(-10, 10, 101)
    np.testing.assert_allclose(tanh(z), 2 * sigmoid(2 * z) - 1, atol=1e-14)


def test_sigmoid_saturates_at_plus_minus_10():
    assert sigmoid_derivative(10.0) < 1e-4
    assert sigmoid_derivative(-10.0) < 1e-4


def test_sigmoid_derivative_is_largest_at_zero_with_value_one_quarter():
    assert sigmoid_derivative(0.0) == 0.25
    assert np.all(sigmoid_derivative(Z) < 0.25)


def test_tanh_derivative_at_zero_is_one():
    assert tanh_derivative(0.0) == 1.0


def test_relu_clips_negatives_and_keeps_positives():
    np.testing.assert_array_equal(relu([-3.0, -0.0, 0.0, 2.5]), [0.0, 0.0, 0.0, 2.5])


def test_relu_derivative_is_zero_at_zero_by_definition():
    assert relu_derivative(0.0) == 0.0
    np.testing.assert_array_equal(relu_derivative([-1.0, 0.0, 1e-9, 3.0]), [0, 0, 1, 1])


def test_relu_derivative_at_zero_matches_tensorflow_gradient():
    z = tf.constant([0.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = tf.nn.relu(z)
    assert tape.gradient(y, z).numpy()[0] == relu_derivative(0.0)


@pytest.mark.parametrize("f, f_prime, _", ACTIVATIONS, ids=IDS)
def test_derivative_matches_central_finite_difference(f, f_prime, _):
    h = 1e-6
    numeric = (f(Z + h) - f(Z - h)) / (2 * h)
    np.testing.assert_allclose(f_prime(Z), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("f, f_prime, tf_f", ACTIVATIONS, ids=IDS)
def test_derivative_matches_tensorflow_gradient_tape(f, f_prime, tf_f):
    z = tf.constant(Z)
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = tf_f(z)
    np.testing.assert_allclose(f_prime(Z), tape.gradient(y, z).numpy(), rtol=1e-12, atol=1e-15)


# ---- one neuron, one layer ------------------------------------------------------------------


def test_neuron_output_is_activation_of_weighted_sum_plus_bias():
    x = [1.0, 2.0, 3.0]
    w = [0.5, -1.0, 0.25]
    b = 0.5
    z = 0.5 * 1 - 1.0 * 2 + 0.25 * 3 + 0.5  # = -0.25
    assert neuron_output(x, w, b) == pytest.approx(1 / (1 + np.exp(-z)))
    assert neuron_output(x, w, b, activation=None) == pytest.approx(z)
    assert neuron_output(x, w, b, activation=relu) == 0.0


def test_neuron_output_rejects_a_weight_count_that_differs_from_the_inputs():
    with pytest.raises(ValueError, match="w has 2 weights but x has 3 inputs"):
        neuron_output([1.0, 2.0, 3.0], [0.1, 0.2], 0.0)


def test_neuron_output_rejects_one_bias_per_input():
    with pytest.raises(ValueError, match="one bias"):
        neuron_output([1.0, 2.0], [0.1, 0.2], [0.0, 0.0])


def test_dense_forward_matches_keras_dense_layer():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    layer = keras.layers.Dense(3, activation="sigmoid")
    expected = layer(x).numpy()
    W, b = (v.numpy() for v in layer.weights)
    assert W.shape == (4, 3) and b.shape == (3,)
    np.testing.assert_allclose(dense_forward(x, W, b, activation=sigmoid), expected, atol=1e-6)


def test_dense_forward_without_activation_is_x_times_W_plus_b():
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
    b = np.array([0.0, 1.0, -1.0])
    np.testing.assert_allclose(dense_forward(x, W, b), [[2.0, 5.0, 0.0]])


def test_dense_forward_names_the_mismatch_between_W_rows_and_x_features():
    with pytest.raises(ValueError, match="W has 4 rows but x has 3 features"):
        dense_forward(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(5))


def test_dense_forward_rejects_a_bias_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"b must have shape \(5,\)"):
        dense_forward(np.zeros((2, 3)), np.zeros((3, 5)), np.zeros(3))


def test_dense_forward_asks_for_a_batch_axis_on_a_single_example():
    with pytest.raises(ValueError, match="reshape"):
        dense_forward(np.zeros(3), np.zeros((3, 5)), np.zeros(5))


# ---- softmax and costs -----------------------------------------------------------------------


def test_softmax_rows_sum_to_one_and_match_tensorflow():
    z = np.random.default_rng(1).normal(size=(6, 4)) * 5
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p, tf.nn.softmax(z).numpy(), atol=1e-12)


def test_softmax_along_axis_zero_makes_columns_sum_to_one():
    z = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(softmax(z, axis=0).sum(axis=0), [1.0, 1.0])


def test_softmax_of_plus_minus_1000_has_no_warning_and_no_nan(strict_floats):
    p = softmax(np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0]]))
    assert not np.any(np.isnan(p))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


def test_squared_error_is_half_the_sum_over_everything():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    y_hat = np.array([[0.5, 0.5], [0.0, 0.0]])
    assert squared_error(y, y_hat) == pytest.approx(0.5 * (0.25 + 0.25 + 0 + 1))


def test_squared_error_refuses_to_broadcast_different_shapes():
    with pytest.raises(ValueError, match="same shape|must match"):
        squared_error(np.zeros((3, 1)), np.zeros(3))


def _one_hot_and_logits(seed: int, batch: int = 8, classes: int = 5):
    rng = np.random.default_rng(seed)
    y = np.eye(classes)[rng.integers(0, classes, size=batch)].astype(np.float32)
    logits = (rng.normal(size=(batch, classes)) * 3).astype(np.float32)
    return y, logits


def test_cross_entropy_matches_keras_categorical_crossentropy():
    y, logits = _one_hot_and_logits(2)
    probs = tf.nn.softmax(logits).numpy()
    expected = np.mean(keras.losses.categorical_crossentropy(y, probs, from_logits=False))
    assert cross_entropy(y, probs) == pytest.approx(float(expected), abs=1e-5)


def test_cross_entropy_clips_a_zero_probability_like_keras():
    y = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    probs = np.array([[1.0, 0.0], [0.9, 0.1]], dtype=np.float32)
    expected = np.mean(keras.losses.categorical_crossentropy(y, probs, from_logits=False))
    loss = cross_entropy(y, probs)
    assert np.isfinite(loss)
    assert loss == pytest.approx(float(expected), abs=1e-5)
    assert loss == pytest.approx((-np.log(1e-7) - np.log(0.9)) / 2, rel=1e-6)


def test_cross_entropy_from_logits_matches_keras():
    y, logits = _one_hot_and_logits(3)
    expected = np.mean(keras.losses.categorical_crossentropy(y, logits, from_logits=True))
    assert cross_entropy_from_logits(y, logits) == pytest.approx(float(expected), abs=1e-5)


def test_cross_entropy_from_logits_equals_cross_entropy_of_softmax():
    y, logits = _one_hot_and_logits(4)
    assert cross_entropy_from_logits(y, logits) == pytest.approx(
        cross_entropy(y, softmax(logits)), abs=1e-6
    )


def test_cross_entropy_from_logits_of_plus_minus_1000_is_exact_and_finite(strict_floats):
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    logits = np.array([[1000.0, -1000.0], [1000.0, -1000.0]])
    # first example: right with certainty (loss 0); second: wrong by 2000 (loss 2000)
    assert cross_entropy_from_logits(y, logits) == pytest.approx(1000.0)


def test_cross_entropy_accepts_a_single_example():
    assert cross_entropy([0.0, 1.0], [0.25, 0.75]) == pytest.approx(-np.log(0.75))


def test_cross_entropy_suggests_from_logits_when_given_raw_scores():
    y, logits = _one_hot_and_logits(5)
    with pytest.raises(ValueError, match="cross_entropy_from_logits"):
        cross_entropy(y, logits)


def test_cross_entropy_explains_how_to_one_hot_integer_labels():
    with pytest.raises(ValueError, match=r"np\.eye\(3\)\[labels\]"):
        cross_entropy(np.array([0, 2]), np.full((2, 3), 1 / 3))
