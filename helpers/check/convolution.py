"""Checkers for the exercises of notebook 03 (convolution).

Each checker calls the learner's function on several cases, compares with the course's own
helpers (``helpers.shapes`` for sizes, ``helpers.ops.conv2d`` for values) and either prints one
line with a check mark or raises :class:`~helpers.check.ExerciseError` saying which case is off,
what came back, what was expected and what the mistake looks like.

    from helpers.check import convolution as check
    check.output_size(conv_output_size)            # Exercise 3.1
    check.value_at(conv_value_at)                  # Exercise 3.2
    check.horizontal_edge_filter(horizontal_edge)  # Exercise 3.3
    check.keep_size_padding(keep_size_padding)     # Exercise 3.4
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from helpers import ops, shapes
from helpers.check import NOT_WRITTEN, as_whole_number, call_safely, listed, report

# --------------------------------------------------------------------------------------------
# Exercise 3.1: the output-size formula
# --------------------------------------------------------------------------------------------

#: (n, f, p, s): the lecture's 32/5 cases, padding, strides 2 and 4, a filter as large as the input.
OUTPUT_SIZE_CASES = [
    (32, 5, 0, 1),
    (32, 5, 2, 1),
    (64, 7, 3, 1),
    (7, 3, 0, 2),
    (9, 3, 1, 2),
    (227, 11, 0, 4),
    (5, 5, 0, 1),
    (128, 3, 1, 1),
]


def _output_size_mistake(n: int, f: int, p: int, s: int, got: int) -> str:
    """A guess at the slip behind a wrong output size, as a short clause ("" if no guess)."""
    guesses = [
        ((n - f) / s + 1, "the 2p is missing: padding adds p zeros on *each* side"),
        ((n - f + p) / s + 1, "p is added once; padding adds p zeros on each side, so 2p"),
        ((n - f + 2 * p) / s, "the +1 is missing: the window's first position counts too"),
        (n - f + 2 * p + 1, "the stride is not used: the window jumps s pixels, so divide by s"),
        ((n - f + 2 * p) / (s + 1), "check the brackets: (n - f + 2p)/s + 1"),
        (n - f + 2 * p / s + 1, "check the brackets: the whole (n - f + 2p) is divided by s"),
        ((n + f + 2 * p) / s + 1, "f is added; the filter's size is subtracted: n - f"),
    ]
    expected = shapes.conv_output_size(n, f, p, s)
    for value, why in guesses:  # `/` or `//`: the learner's slip may be rounded down
        if got != expected and got in (value, math.floor(value)):
            return f" ({why})"
    return ""


def output_size(conv_output_size: Callable[[int, int, int, int], Any]) -> None:
    """Exercise 3.1: ``conv_output_size(n, f, p, s)`` must return (n - f + 2p)/s + 1.

    Tries the cases in OUTPUT_SIZE_CASES (stride 1, 2 and 4, padding 0 to 3). For each wrong
    case the message names n, f, p, s, what came back and what was expected, and where it can
    tell, the slip (a forgotten 2p, a missing +1, an unused stride).
    """
    problems = []
    for n, f, p, s in OUTPUT_SIZE_CASES:
        expected = shapes.conv_output_size(n, f, p, s)
        got, error = call_safely(conv_output_size, n, f, p, s)
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for n={n}, f={f}, p={p}, s={s}"
        value, why_not = as_whole_number(got)
        if value is None:
            problems.append(f"{case} you returned {why_not}; expected {expected}.")
        elif value != expected:
            problems.append(f"{case} you returned {value}; expected {expected}"
                            f"{_output_size_mistake(n, f, p, s, value)}.")
    report(
        "Exercise 3.1",
        listed(problems),
        success=f"Your formula gives the right size in all {len(OUTPUT_SIZE_CASES)} cases, "
                "e.g. 32 with n=32, f=5, p=2, s=1.",
        hint="count the positions of the window's left edge: the padded input is n + 2p wide, "
             "the window f wide, and it moves s pixels at a time, starting at 0.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 3.2: one output value by hand
# --------------------------------------------------------------------------------------------


def _value_cases() -> list[tuple[np.ndarray, np.ndarray, float, int, int]]:
    """(image (H, W, C), kernel (f, f, C), bias, row, col): corners, the middle, a tall image."""
    rng = np.random.default_rng(3)
    image = rng.normal(size=(32, 32, 3)).round(2)
    kernel = rng.normal(size=(5, 5, 3)).round(2)
    tall = rng.normal(size=(9, 6, 2)).round(2)
    small_kernel = rng.normal(size=(3, 3, 2)).round(2)
    return [
        (image, kernel, 0.5, 0, 0),
        (image, kernel, 0.5, 12, 7),
        (image, kernel, -1.0, 27, 27),
        (tall, small_kernel, 0.25, 5, 2),
        (tall, small_kernel, 0.0, 2, 3),
    ]


def _reference_value(image: np.ndarray, kernel: np.ndarray, bias: float, row: int, col: int) -> float:
    """The value ops.conv2d (stride 1, no padding) puts at (row, col) for one filter."""
    out = ops.conv2d(image[np.newaxis], kernel[..., np.newaxis], np.array([bias]), stride=1, padding=0)
    return float(out[0, row, col, 0])


def _window_value(image: np.ndarray, kernel: np.ndarray, bias: float, top: int, left: int) -> float | None:
    """sum(window * kernel) + bias for the window whose top-left corner is (top, left), or None."""
    f = kernel.shape[0]
    if top < 0 or left < 0 or top + f > image.shape[0] or left + f > image.shape[1]:
        return None
    return float(np.sum(image[top:top + f, left:left + f, :] * kernel) + bias)


def _value_mistake(image: np.ndarray, kernel: np.ndarray, bias: float, row: int, col: int,
                   got: float) -> str:
    """A guess at the slip behind a wrong output value, as a short clause ("" if no guess)."""
    f = kernel.shape[0]
    expected = _reference_value(image, kernel, bias, row, col)
    guesses = [
        (expected - bias, "the bias is missing: add it once, after the sum"),
        (expected + bias * (f * f * kernel.shape[2] - 1),
         "the bias is added to every product; add it once, after the sum"),
        (_window_value(image, kernel[::-1, ::-1, :], bias, row, col),
         "the kernel is flipped: deep-learning 'convolution' multiplies the window with the "
         "kernel as it is (cross-correlation), without flipping it"),
        (_window_value(image, kernel, bias, col, row),
         "row and column are swapped: row is the first axis of the image (height), col the second"),
        (_window_value(image, kernel, bias, row - f // 2, col - f // 2),
         "your window is centred on (row, col); output (row, col) comes from the window whose "
         "top-left corner is at (row, col)"),
        (float(np.sum(image[row:row + f, col:col + f, 0] * kernel[..., 0]) + bias),
         "only channel 0 is used: the dot product runs over all channels of the window"),
        (_window_value(image, kernel, bias, row + 1, col + 1),
         "the window is one pixel too far down and right: Python counts from 0"),
    ]
    for value, why in guesses:
        if value is not None and not np.isclose(value, expected) and np.isclose(got, value, atol=1e-6):
            return f" ({why})"
    return ""


def value_at(conv_value_at: Callable[[np.ndarray, np.ndarray, float, int, int], Any]) -> None:
    """Exercise 3.2: ``conv_value_at(image, kernel, bias, row, col)`` must return the output
    value at (row, col) of a stride-1 convolution without padding.

    image is (H, W, C), kernel (f, f, C) (one filter), bias a number. The checker compares with
    ``helpers.ops.conv2d`` at the top-left and bottom-right corners, in the middle and on an image
    taller than wide, and recognises a missing bias, a flipped kernel, swapped row/col, a centred
    window, a single channel and an off-by-one window.
    """
    problems = []
    for image, kernel, bias, row, col in _value_cases():
        expected = _reference_value(image, kernel, bias, row, col)
        got, error = call_safely(conv_value_at, image.copy(), kernel.copy(), bias, row, col)
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = (f"for an image {image.shape}, a kernel {kernel.shape}, bias={bias}, "
                f"row={row}, col={col}")
        if got is None:
            problems.append(f"{case} you returned None: did you forget `return`?")
            continue
        array = np.asarray(got)
        if array.size != 1:
            problems.append(f"{case} you returned an array of shape {array.shape}; expected one "
                            "number (sum the products with np.sum).")
            continue
        try:
            value = float(array.reshape(()))
        except (TypeError, ValueError):
            problems.append(f"{case} you returned {got!r}, which is not a number.")
            continue
        if not np.isclose(value, expected, atol=1e-6):
            problems.append(f"{case} you returned {value:.4f}; expected {expected:.4f}"
                            f"{_value_mistake(image, kernel, bias, row, col, value)}.")
    report(
        "Exercise 3.2",
        listed(problems),
        success="Your value matches helpers.ops.conv2d at every position tried.",
        hint="the window of output (row, col) has its top-left corner at pixel (row, col) and "
             "the kernel's shape f x f x C; multiply it element by element with the kernel, add "
             "up everything, then add the bias once.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 3.3: a 3x3 filter that finds horizontal edges
# --------------------------------------------------------------------------------------------


def edge_test_images(size: int = 12) -> dict[str, np.ndarray]:
    """Three synthetic grayscale images (size x size, values 0 and 1) the checker filters:
    'horizontal edge' (dark top half, bright bottom half), 'vertical edge' (dark left, bright
    right) and 'flat' (bright everywhere)."""
    horizontal = np.zeros((size, size))
    horizontal[size // 2:, :] = 1.0
    return {"horizontal edge": horizontal, "vertical edge": horizontal.T.copy(),
            "flat": np.ones((size, size))}


def filter_responses(kernel: np.ndarray) -> dict[str, float]:
    """The strongest response, max |output|, of a 2-D kernel on each of edge_test_images()."""
    kernel = np.asarray(kernel, dtype=float)
    responses = {}
    for name, image in edge_test_images().items():
        out = ops.conv2d(image[np.newaxis, :, :, np.newaxis], kernel[:, :, np.newaxis, np.newaxis])
        responses[name] = float(np.max(np.abs(out)))
    return responses


def horizontal_edge_filter(make_filter: Callable[[], Any]) -> None:
    """Exercise 3.3: ``make_filter()`` must return a 3x3 filter that detects horizontal edges.

    The filter is applied (stride 1, no padding) to an image with a horizontal edge, one with a
    vertical edge and a flat bright one. It must respond clearly to the first (max |output| at
    least half its largest weight) and at most a tenth as strongly to the other two.
    """
    kernel, error = call_safely(make_filter)
    if error:
        report("Exercise 3.3", [error])
    if kernel is None:
        report("Exercise 3.3", ["you returned None: did you forget `return`?"])
    try:
        kernel = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        report("Exercise 3.3", [f"you returned {kernel!r}, which is not an array of numbers."])
    if kernel.shape != (3, 3):
        report("Exercise 3.3", [f"your filter has shape {kernel.shape}; expected (3, 3)."],
               hint="np.array([[a, b, c], [d, e, f], [g, h, i]]) is a 3x3 filter.")
    if not np.all(np.isfinite(kernel)):
        report("Exercise 3.3", ["your filter contains NaN or infinity."])
    scale = float(np.max(np.abs(kernel)))
    if scale == 0:
        report("Exercise 3.3", ["your filter is all zeros: it responds to nothing."],
               hint="give the top row negative weights and the bottom row positive ones.")

    r = filter_responses(kernel)
    strong = r["horizontal edge"] >= 0.5 * scale
    problems = []
    if not strong:
        if r["vertical edge"] >= 0.5 * scale:
            problems.append(
                f"it responds to the vertical edge (max |output| {r['vertical edge']:.3g}) but "
                f"hardly to the horizontal one ({r['horizontal edge']:.3g}): this is a vertical "
                "edge detector; its transpose (kernel.T) finds horizontal edges.")
        else:
            problems.append(
                f"it hardly responds to the horizontal edge (max |output| "
                f"{r['horizontal edge']:.3g} for a largest weight of {scale:.3g}).")
    limit = 0.1 * max(r["horizontal edge"], 0.5 * scale)
    if r["flat"] > limit:
        problems.append(
            f"it responds to a flat bright area (max |output| {r['flat']:.3g}) because its weights "
            f"sum to {kernel.sum():.3g}, not 0: like a blur or a brightness filter it reacts to "
            "brightness, not to a change of brightness.")
    said_vertical = not strong and r["vertical edge"] >= 0.5 * scale
    if r["vertical edge"] > limit and not said_vertical:
        problems.append(
            f"it also responds to a vertical edge (max |output| {r['vertical edge']:.3g} against "
            f"{r['horizontal edge']:.3g} for the horizontal one): each column should sum to 0.")
    report(
        "Exercise 3.3",
        problems,
        success=f"Your filter answers the horizontal edge ({r['horizontal edge']:.3g}) and ignores "
                f"the vertical edge ({r['vertical edge']:.3g}) and flat areas ({r['flat']:.3g}).",
        hint="a horizontal edge is a change from top to bottom: make the top row negative, the "
             "bottom row positive (e.g. Sobel's [-1, -2, -1] and [1, 2, 1]) so that each "
             "column sums to 0.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 3.4: the padding that keeps the size
# --------------------------------------------------------------------------------------------

#: (n, f): the exercise's 64/7, the lecture's 32/5, the classifier's 128/3, 1x1 and 11x11 filters.
KEEP_SIZE_CASES = [(64, 7), (32, 5), (128, 3), (28, 1), (100, 11)]


def keep_size_padding(keep_size_padding: Callable[[int, int], Any]) -> None:
    """Exercise 3.4: ``keep_size_padding(n, f)`` must return the p (zeros on each side) that
    keeps an n x n input n x n with an f x f filter (f odd) and stride 1: p = (f - 1)/2.

    For a wrong p the message says what size the learner's p produces.
    """
    problems = []
    for n, f in KEEP_SIZE_CASES:
        expected = (f - 1) // 2
        got, error = call_safely(keep_size_padding, n, f)
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for n={n}, f={f}"
        p, why_not = as_whole_number(got)
        if p is None:
            problems.append(f"{case} you returned {why_not}; expected {expected}.")
        elif p != expected:
            if p < 0:
                effect = "padding cannot be negative"
            else:
                size = n - f + 2 * p + 1
                effect = f"with p={p} the output is {size}x{size}, not {n}x{n}"
            if p == f - 1 and f > 1:
                effect += "; f - 1 is the padding of both sides together, p counts one side"
            problems.append(f"{case} you returned {p}; expected {expected} ({effect}).")
    report(
        "Exercise 3.4",
        listed(problems),
        success="e.g. a 7x7 filter keeps 64x64 with p = 3 zeros on each side.",
        hint="set (n - f + 2p)/1 + 1 = n and solve for p.",
    )
