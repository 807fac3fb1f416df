"""Reference convolution and pooling in numpy, on images stored as NHWC arrays.

Every array of images here has the shape (batch, height, width, channels), TensorFlow's
default layout; a single RGB photo of 128x128 pixels is x[np.newaxis] with shape
(1, 128, 128, 3). Filters use TensorFlow's (and Keras's Conv2D kernel) layout:
(filter_height, filter_width, in_channels, filters).

All three operations slide a window over the image. numpy's sliding_window_view gives every
window at once without copying, so the sums and maxima below are one line each. The results
are the same as tf.nn.conv2d, tf.nn.max_pool2d and tf.nn.avg_pool2d (see tests/test_ops.py).

Dtypes: the work is done in float64; the result has x's dtype when x holds floats
(float32 in, float32 out) and is float64 otherwise (e.g. for uint8 pixels).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from helpers.shapes import same_padding

Pair = int | tuple[int, int]


# --------------------------------------------------------------------------------------------
# Checking the arguments
# --------------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _pair(name: str, value: Pair) -> tuple[int, int]:
    """(vertical, horizontal) from an int or a pair of ints, each at least 1."""
    pair = (value, value) if _is_int(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(_is_int(v) for v in pair):
        raise ValueError(f"{name} must be an int or a pair (vertical, horizontal), got {value!r}")
    if pair[0] < 1 or pair[1] < 1:
        raise ValueError(f"{name} must be at least 1, got {value!r}")
    return int(pair[0]), int(pair[1])


def _images(x: ArrayLike) -> np.ndarray:
    """x as an array of shape (batch, height, width, channels), or a ValueError saying how."""
    x_arr = np.asarray(x)
    if x_arr.ndim != 4:
        hint = " (for one image use x[np.newaxis])" if x_arr.ndim == 3 else ""
        raise ValueError(
            f"x must be 4-D (batch, height, width, channels), got shape {x_arr.shape}{hint}"
        )
    if not (np.issubdtype(x_arr.dtype, np.number) or x_arr.dtype == bool):
        raise ValueError(f"x must hold numbers, got dtype {x_arr.dtype}")
    return x_arr


def _result_dtype(x: np.ndarray) -> np.dtype:
    """x's dtype when it is a float type, float64 otherwise."""
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)


def _paddings(
    padding: str | int,
    height: int,
    width: int,
    window: tuple[int, int],
    stride: tuple[int, int],
    allow_int: bool,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zeros to add for padding 'VALID', 'SAME' or an int p."""
    if isinstance(padding, str) and padding.upper() == "VALID":
        return (0, 0), (0, 0)
    if isinstance(padding, str) and padding.upper() == "SAME":
        top_bottom = same_padding(height, window[0], stride[0])
        left_right = same_padding(width, window[1], stride[1])
        return top_bottom, left_right
    if allow_int and _is_int(padding) and padding >= 0:
        return (int(padding), int(padding)), (int(padding), int(padding))
    allowed = "'VALID', 'SAME' or an int p >= 0" if allow_int else "'VALID' or 'SAME'"
    raise ValueError(f"padding must be {allowed} (any case), got {padding!r}")


def _windows(
    x_padded: np.ndarray, window: tuple[int, int], stride: tuple[int, int], what: str
) -> np.ndarray:
    """Every window of the padded images, `stride` apart: shape (N, H', W', C, fh, fw).

    windows[n, i, j, c] is the fh x fw patch x_padded[n, i·sh : i·sh + fh, j·sw : j·sw + fw, c].
    It is a view into x_padded: nothing is copied. `what` names the window in errors.
    """
    _, height, width, _ = x_padded.shape
    if window[0] > height or window[1] > width:
        raise ValueError(
            f"the {what} is {window[0]}x{window[1]} but the padded input is only "
            f"{height}x{width}: use a smaller {what}, padding 'SAME', or more padding"
        )
    all_windows = sliding_window_view(x_padded, window, axis=(1, 2))
    return all_windows[:, :: stride[0], :: stride[1]]


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------


def conv2d(
    x: ArrayLike,
    w: ArrayLike,
    b: ArrayLike | None = None,
    stride: Pair = 1,
    padding: str | int = "VALID",
) -> np.ndarray:
    """2-D convolution of a batch of images with K filters, as tf.nn.conv2d computes it.

    x: (N, H, W, C) images. w: (fh, fw, C, K) filters, TensorFlow's layout.
    b: (K,) biases, one per filter, or None (no bias: b[k] = 0). stride: int or (sh, sw).
    padding: 'VALID' (none), 'SAME' (TensorFlow's rule, helpers.shapes.same_padding, any case)
    or an int p of zeros on every side.
    Returns (N, H', W', K) with

      out[n, i, j, k] = b[k] + Σ_u Σ_v Σ_c x_padded[n, i·sh + u, j·sw + v, c]·w[u, v, c, k]

    Like every deep-learning library this is, strictly, cross-correlation: the filter is not
    flipped. (A learned filter does not care: it would simply learn the flipped weights.)
    The same computation as plain loops, only much slower:

        for n in range(N):
            for i in range(H_out):
                for j in range(W_out):
                    patch = x_padded[n, i*sh : i*sh + fh, j*sw : j*sw + fw, :]  # (fh, fw, C)
                    for k in range(K):
                        out[n, i, j, k] = np.sum(patch * w[:, :, :, k]) + b[k]
    """
    x_arr = _images(x)
    w_arr = np.asarray(w)
    if w_arr.ndim != 4:
        raise ValueError(
            f"w must be 4-D (filter_height, filter_width, in_channels, filters), got shape "
            f"{w_arr.shape}; one 3x3 filter for grayscale images is w.reshape(3, 3, 1, 1)"
        )
    if 0 in w_arr.shape:
        raise ValueError(f"w has an empty dimension, shape {w_arr.shape}: every size must be >= 1")
    fh, fw, depth, filters = w_arr.shape
    channels = x_arr.shape[3]
    if depth != channels:
        raise ValueError(
            f"the filter has depth {depth} but the input has {channels} channels: "
            "a filter's third dimension must equal the input's channels"
        )
    if b is not None and np.shape(b) != (filters,):
        raise ValueError(
            f"b has shape {np.shape(b)} but there are {filters} filters: "
            f"b must have shape ({filters},), one bias per filter"
        )
    sh, sw = _pair("stride", stride)
    (top, bottom), (left, right) = _paddings(
        padding, x_arr.shape[1], x_arr.shape[2], (fh, fw), (sh, sw), allow_int=True
    )

    x_padded = np.pad(x_arr.astype(np.float64), ((0, 0), (top, bottom), (left, right), (0, 0)))
    windows = _windows(x_padded, (fh, fw), (sh, sw), "filter")  # (N, H', W', C, fh, fw)
    # For every window (n, i, j) and filter k: multiply over u, v, c and add up.
    out = np.einsum("nijcuv,uvck->nijk", windows, w_arr.astype(np.float64))
    if b is not None:
        out = out + np.asarray(b, dtype=np.float64)  # b[k] added once to each output of filter k
    return out.astype(_result_dtype(x_arr))


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------


def max_pool(
    x: ArrayLike, size: Pair = 2, stride: Pair = 2, padding: str = "VALID"
) -> np.ndarray:
    """Max pooling, channel by channel, as tf.nn.max_pool2d computes it.

    x: (N, H, W, C). size: window, int or (fh, fw). stride: int or (sh, sw).
    padding: 'VALID' or 'SAME' (any case); 'SAME' pads with −inf, so padding never wins the max.
    Returns (N, H', W', C) with out[n, i, j, c] = max over u < fh, v < fw of
    x_padded[n, i·sh + u, j·sw + v, c].
    """
    x_arr = _images(x)
    window = _pair("size", size)
    step = _pair("stride", stride)
    (top, bottom), (left, right) = _paddings(
        padding, x_arr.shape[1], x_arr.shape[2], window, step, allow_int=False
    )
    x_padded = np.pad(
        x_arr.astype(np.float64),
        ((0, 0), (top, bottom), (left, right), (0, 0)),
        constant_values=-np.inf,
    )
    windows = _windows(x_padded, window, step, "pooling window")  # (N, H', W', C, fh, fw)
    return windows.max(axis=(-2, -1)).astype(_result_dtype(x_arr))


def avg_pool(
    x: ArrayLike, size: Pair = 2, stride: Pair = 2, padding: str = "VALID"
) -> np.ndarray:
    """Average pooling, channel by channel, as tf.nn.avg_pool2d computes it.

    x: (N, H, W, C). size: window, int or (fh, fw). stride: int or (sh, sw).
    padding: 'VALID' or 'SAME' (any case). With 'SAME' a window at the border averages the real
    pixels it covers, not the padding: out = (sum of the real values) / (how many there are).
    Returns (N, H', W', C).
    """
    x_arr = _images(x)
    window = _pair("size", size)
    step = _pair("stride", stride)
    _, height, width, _ = x_arr.shape
    (top, bottom), (left, right) = _paddings(
        padding, height, width, window, step, allow_int=False
    )
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))

    x_padded = np.pad(x_arr.astype(np.float64), pads)  # zeros: they add nothing to the sums
    sums = _windows(x_padded, window, step, "pooling window").sum(axis=(-2, -1))
    is_real = np.pad(np.ones((1, height, width, 1)), pads)  # 1 on real pixels, 0 on padding
    counts = _windows(is_real, window, step, "pooling window").sum(axis=(-2, -1))  # >= 1
    return (sums / counts).astype(_result_dtype(x_arr))
