"""One neuron, one layer: activations, their derivatives, softmax and costs (numpy only).

Conventions used throughout the course:

- An activation takes a number or an array ``z`` and works element by element. A number in
  gives a Python ``float`` out; an array in gives a float64 array of the same shape out.
- A layer follows Keras's ``Dense`` layout, so notebooks can compare numbers with TensorFlow:
  ``x`` is ``(batch, n_in)``, the kernel ``W`` is ``(n_in, n_out)``, the bias ``b`` is ``(n_out,)``
  and ``z = x @ W + b`` is ``(batch, n_out)``.
- Labels for classification are one-hot rows, ``y`` of shape ``(batch, classes)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

Activation = Callable[[ArrayLike], ArrayLike]  # e.g. sigmoid, tanh, relu


def _as_floats(z: ArrayLike) -> np.ndarray:
    """The input as a float64 array (a number becomes a 0-d array)."""
    return np.asarray(z, dtype=np.float64)


def _like_input(values: np.ndarray, z: ArrayLike) -> float | np.ndarray:
    """A Python float when the caller passed a number, otherwise the array itself."""
    if np.ndim(z) == 0:
        return float(values)
    return values


# --------------------------------------------------------------------------------------------
# Activations and their derivatives
# --------------------------------------------------------------------------------------------


def sigmoid(z: ArrayLike) -> float | np.ndarray:
    """Logistic function σ(z) = 1 / (1 + e^(−z)), values in (0, 1), element by element.

    Computed without overflow: for z >= 0 we use 1 / (1 + e^(−z)) and for z < 0 the equal
    form e^z / (1 + e^z); both only ever take e to a negative power, so z = ±1000 is fine.
    (For z = −1000 the true value is below the smallest float and rounds to 0.0.)
    """
    z_arr = _as_floats(z)
    e = np.exp(-np.abs(z_arr))  # e^(−|z|) is in (0, 1]: it cannot overflow
    values = np.where(z_arr >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return _like_input(values, z)


def sigmoid_derivative(z: ArrayLike) -> float | np.ndarray:
    """dσ/dz = σ(z)·(1 − σ(z)); at most 0.25 (at z = 0) and close to 0 for large |z|."""
    s = _as_floats(sigmoid(z))
    return _like_input(s * (1.0 - s), z)


def tanh(z: ArrayLike) -> float | np.ndarray:
    """Hyperbolic tangent tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)), values in (−1, 1).

    It is a shifted and stretched sigmoid: tanh(z) = 2σ(2z) − 1.
    """
    return _like_input(np.tanh(_as_floats(z)), z)


def tanh_derivative(z: ArrayLike) -> float | np.ndarray:
    """d tanh/dz = 1 − tanh(z)²; equal to 1 at z = 0 and close to 0 for large |z|."""
    t = np.tanh(_as_floats(z))
    return _like_input(1.0 - t**2, z)


def relu(z: ArrayLike) -> float | np.ndarray:
    """Rectified linear unit relu(z) = max(0, z), element by element."""
    return _like_input(np.maximum(0.0, _as_floats(z)), z)


def relu_derivative(z: ArrayLike) -> float | np.ndarray:
    """d relu/dz = 1 where z > 0, else 0.

    relu has a corner at z = 0 where no derivative exists; we define it as 0 there, which is
    also what TensorFlow's gradient of tf.nn.relu returns.
    """
    return _like_input((_as_floats(z) > 0).astype(np.float64), z)


# --------------------------------------------------------------------------------------------
# A neuron and a layer
# --------------------------------------------------------------------------------------------


def neuron_output(
    x: ArrayLike, w: ArrayLike, b: float, activation: Activation | None = sigmoid
) -> float:
    """Output of one neuron: a = f(w·x + b) = f(w_1·x_1 + ... + w_n·x_n + b).

    x: the n inputs, shape (n,). w: one weight per incoming connection, shape (n,).
    b: the neuron's single bias (a number). activation: f; None means no activation (f(z) = z).
    Returns a float.
    """
    x_arr = _as_floats(x)
    w_arr = _as_floats(w)
    if x_arr.ndim != 1 or w_arr.ndim != 1:
        raise ValueError(
            f"x and w must be 1-D vectors (one value per input), got shapes {x_arr.shape} "
            f"and {w_arr.shape}; for a whole layer or a batch use dense_forward"
        )
    if x_arr.shape != w_arr.shape:
        raise ValueError(
            f"w has {w_arr.size} weights but x has {x_arr.size} inputs: "
            "each input needs exactly one weight"
        )
    if np.ndim(b) != 0:
        raise ValueError(f"b must be one number (a neuron has one bias), got shape {np.shape(b)}")
    z = float(np.dot(w_arr, x_arr) + b)
    if activation is None:
        return z
    return float(activation(z))


def dense_forward(
    x: ArrayLike, W: ArrayLike, b: ArrayLike, activation: Activation | None = None
) -> np.ndarray:
    """A fully connected layer: a = f(z) with z = x @ W + b.

    x: (batch, n_in), one example per row. W: (n_in, n_out), Keras's Dense kernel layout,
    column j holds the weights into neuron j. b: (n_out,), one bias per neuron.
    activation: f applied element by element; None means none (f(z) = z).
    Returns a float64 array of shape (batch, n_out).
    """
    x_arr = _as_floats(x)
    W_arr = _as_floats(W)
    b_arr = _as_floats(b)
    if x_arr.ndim != 2:
        raise ValueError(
            f"x must be 2-D (batch, n_in), got shape {x_arr.shape}; "
            "for a single example use x.reshape(1, -1)"
        )
    if W_arr.ndim != 2:
        raise ValueError(f"W must be 2-D (n_in, n_out), got shape {W_arr.shape}")
    if W_arr.shape[0] != x_arr.shape[1]:
        raise ValueError(
            f"W has {W_arr.shape[0]} rows but x has {x_arr.shape[1]} features: "
            "W needs one row per input feature (shape (n_in, n_out), as in Keras)"
        )
    if b_arr.shape != (W_arr.shape[1],):
        raise ValueError(
            f"b has shape {b_arr.shape} but W has {W_arr.shape[1]} columns (neurons): "
            f"b must have shape ({W_arr.shape[1]},), one bias per neuron"
        )
    z = x_arr @ W_arr + b_arr
    if activation is None:
        return z
    return _as_floats(activation(z))


# --------------------------------------------------------------------------------------------
# Softmax and costs
# --------------------------------------------------------------------------------------------


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j) along `axis`; each slice sums to 1.

    Subtracting the largest score first does not change the result (the factor e^(−max)
    cancels) but keeps every power of e at most 1, so scores of ±1000 do not overflow.
    z: any shape, usually (batch, classes). Returns a float64 array of the same shape.
    """
    z_arr = _as_floats(z)
    if z_arr.ndim == 0:
        raise ValueError("softmax needs at least one axis of scores, got a single number")
    shifted = z_arr - np.max(z_arr, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def squared_error(y: ArrayLike, y_hat: ArrayLike) -> float:
    """E = 0.5·Σ (y − ŷ)², summed over every element (all examples and all outputs).

    The 0.5 makes the derivative clean: dE/dŷ = ŷ − y. This is a sum, not a mean, so it
    grows with the batch size (Keras's MeanSquaredError divides by the count instead).
    y and y_hat must have the same shape.
    """
    y_arr = _as_floats(y)
    y_hat_arr = _as_floats(y_hat)
    if y_arr.shape != y_hat_arr.shape:
        raise ValueError(
            f"y has shape {y_arr.shape} but y_hat has shape {y_hat_arr.shape}: "
            "targets and predictions must match element for element"
        )
    return float(0.5 * np.sum((y_arr - y_hat_arr) ** 2))


def _check_one_hot_pair(y_true: np.ndarray, scores: np.ndarray, scores_name: str) -> None:
    """Shared shape check of the cross-entropy functions."""
    if scores.ndim not in (1, 2):
        raise ValueError(
            f"{scores_name} must be (classes,) or (batch, classes), got shape {scores.shape}"
        )
    if y_true.shape != scores.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but {scores_name} has shape {scores.shape}: "
            f"y_true must be one-hot with the same shape (from integer labels: "
            f"np.eye({scores.shape[-1]})[labels])"
        )


def cross_entropy(y_true: ArrayLike, probs: ArrayLike, eps: float = 1e-7) -> float:
    """Mean over the batch of L = −Σ_k y_k·log(p_k), like Keras's categorical cross-entropy.

    y_true: one-hot labels, (batch, classes) or (classes,) for one example.
    probs: predicted probabilities of the same shape, each row summing to 1 (softmax outputs).
    Probabilities are clipped to [eps, 1 − eps] first, as Keras does, so that a p of 0 gives a
    large finite loss instead of log(0) = −inf. eps = 1e-7 is Keras's default.
    """
    y_arr = _as_floats(y_true)
    p_arr = _as_floats(probs)
    _check_one_hot_pair(y_arr, p_arr, "probs")
    if np.any(p_arr < 0) or np.any(p_arr > 1):
        raise ValueError(
            "probs must lie in [0, 1]; these look like raw scores (logits): "
            "use cross_entropy_from_logits, or apply softmax first"
        )
    if not np.allclose(np.sum(p_arr, axis=-1), 1.0, atol=1e-3):
        raise ValueError(
            "each row of probs must sum to 1; got sums "
            f"{np.round(np.sum(p_arr, axis=-1), 4)}. Apply softmax first, "
            "or use cross_entropy_from_logits on the raw scores"
        )
    p_clipped = np.clip(p_arr, eps, 1.0 - eps)
    per_example = -np.sum(y_arr * np.log(p_clipped), axis=-1)
    return float(np.mean(per_example))


def cross_entropy_from_logits(y_true: ArrayLike, logits: ArrayLike) -> float:
    """Mean over the batch of L = −Σ_k y_k·log softmax(z)_k, computed from raw scores z.

    Uses log softmax(z)_k = (z_k − m) − log Σ_j e^(z_j − m) with m = max_j z_j, which never
    takes the log of 0 and never overflows, so no clipping is needed and logits of ±1000 work.
    y_true: one-hot labels and logits: raw scores, both (batch, classes) or (classes,).
    Same value as keras.losses.categorical_crossentropy(..., from_logits=True), averaged.
    """
    y_arr = _as_floats(y_true)
    z_arr = _as_floats(logits)
    _check_one_hot_pair(y_arr, z_arr, "logits")
    shifted = z_arr - np.max(z_arr, axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    per_example = -np.sum(y_arr * log_probs, axis=-1)
    return float(np.mean(per_example))
