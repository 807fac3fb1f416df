"""Checkers for the exercises of notebook 04 (pooling, flattening, fully connected layers).

Each checker calls the learner's function on several cases, compares with the course's own
helpers (``helpers.ops.max_pool`` for values, ``helpers.shapes`` for sizes and parameter counts)
and either prints one line with a check mark or raises :class:`~helpers.check.ExerciseError`
saying which case is off, what came back, what was expected and what the mistake looks like.

    from helpers.check import pooling as check
    check.max_pool_2x2(max_pool_2x2)          # Exercise 4.1
    check.pooled_size(pooled_size)            # Exercise 4.2
    check.stack_parameters(stack_parameters)  # Exercise 4.3
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from helpers import ops, shapes
from helpers.check import NOT_WRITTEN, as_whole_number, call_safely, listed, report


# --------------------------------------------------------------------------------------------
# Exercise 4.1: 2x2 max pooling with stride 2 on a 2-D array
# --------------------------------------------------------------------------------------------

#: The 4x4 example of the notebook.
EXAMPLE_4X4 = np.array([[1, 3, 2, 1],
                        [4, 6, 5, 0],
                        [7, 2, 9, 8],
                        [1, 0, 3, 4]], dtype=float)


def _pool_cases() -> list[tuple[str, np.ndarray]]:
    """(description, 2-D array with even height and width) for the checker to pool."""
    rng = np.random.default_rng(4)
    return [
        ("the 4x4 example", EXAMPLE_4X4),
        ("a 6x8 array of random values", rng.normal(size=(6, 8)).round(2)),
        ("a 2x4 array of negative numbers", -1.0 - rng.random(size=(2, 4)).round(2)),
        ("a 2x2 array", np.array([[0.5, -2.0], [3.0, 1.0]])),
    ]


def _pool2d(x: np.ndarray, how: str, size: int = 2, stride: int = 2) -> np.ndarray:
    """ops.max_pool / ops.avg_pool on a 2-D array (one image, one channel)."""
    pool = ops.max_pool if how == "max" else ops.avg_pool
    return pool(x[np.newaxis, :, :, np.newaxis], size, stride)[0, :, :, 0]


def _pool_mistake(x: np.ndarray, got: np.ndarray) -> str:
    """A guess at the slip behind wrong pooled values of the right shape ("" if no guess)."""
    blocks = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2)
    guesses = [
        (_pool2d(x, "avg"), "this is average pooling: take the largest value of each window, np.max"),
        (blocks.min(axis=(1, 3)), "this is the smallest value of each window; take the largest"),
        (np.maximum(_pool2d(x, "max"), 0.0),
         "negative windows come out as 0: do not start the maximum at 0, start from the "
         "window's own values (np.max of the window)"),
        (x[::2, ::2], "this is the top-left value of each window, not its maximum"),
    ]
    expected = _pool2d(x, "max")
    for value, why in guesses:
        if value.shape == got.shape and not np.allclose(value, expected) and np.allclose(got, value):
            return f" ({why})"
    return ""


def max_pool_2x2(max_pool: Callable[[np.ndarray], Any]) -> None:
    """Exercise 4.1: ``max_pool(x)`` must max-pool a 2-D array (height and width even) with a
    2x2 window and stride 2, giving an array (height/2, width/2).

    Compared with ``helpers.ops.max_pool`` on the notebook's 4x4 example, a 6x8 random array, an
    all-negative array and a 2x2 array. Recognises a wrong output shape (no stride, or a
    transposed result), average or min instead of max, a maximum started at 0 and picking the
    top-left value of each window.
    """
    problems = []
    for description, x in _pool_cases():
        expected = _pool2d(x, "max")
        got, error = call_safely(max_pool, x.copy())
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for {description} {x.shape}"
        if got is None:
            problems.append(f"{case} you returned None: did you forget `return`?")
            continue
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            problems.append(f"{case} you returned {type(got).__name__}, not an array of numbers.")
            continue
        if got.shape != expected.shape:
            if got.shape == x.shape:
                why = "the same shape as the input: the window moves 2 pixels at a time"
            elif got.shape == (x.shape[0] - 1, x.shape[1] - 1):
                why = "that is stride 1: with stride 2 the windows do not overlap"
            elif got.shape == expected.shape[::-1]:
                why = "height and width are swapped"
            elif got.size == expected.size:
                why = "the right number of values in the wrong shape"
            else:
                why = "2x2 windows with stride 2 halve height and width"
            problems.append(f"{case} your result has shape {got.shape}; expected "
                            f"{expected.shape} ({why}).")
            continue
        if not np.allclose(got, expected):
            index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
            index = tuple(int(i) for i in index)
            problems.append(f"{case} the value at {index} is {got[index]:.4g}; expected "
                            f"{expected[index]:.4g}{_pool_mistake(x, got)}.")
    report(
        "Exercise 4.1",
        listed(problems),
        success="Your max pooling matches helpers.ops.max_pool on every array tried.",
        hint="each output value is the largest value of one 2x2 block of x; block (i, j) starts "
             "at row 2i, column 2j, and there are height/2 x width/2 blocks.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 4.2: the pooled output size
# --------------------------------------------------------------------------------------------

#: (w, f, s): the 4x4 example, the classifier's 128 -> 64, stride 1, windows larger than strides.
POOLED_SIZE_CASES = [
    (4, 2, 2),
    (128, 2, 2),
    (28, 2, 2),
    (32, 3, 1),
    (13, 3, 2),
    (55, 3, 2),
    (2, 2, 2),
    (16, 4, 4),
]


def _pooled_size_mistake(w: int, f: int, s: int, got: int) -> str:
    """A guess at the slip behind a wrong pooled size, as a short clause ("" if no guess)."""
    guesses = [
        ((w - f) / s, "the +1 is missing: the window's first position counts too"),
        (w / s, "the window size f is not used: (w - f)/s + 1"),
        ((w - f) / f + 1, "you divide by f; divide by the stride s"),
        (w - f + 1, "the stride is not used: the window jumps s pixels, so divide by s"),
        (w - f / s + 1, "check the brackets: the whole (w - f) is divided by s"),
    ]
    expected = shapes.pool_output_size(w, f, s)
    for value, why in guesses:  # `/` or `//`: the learner's slip may be rounded down
        if got != expected and got in (value, math.floor(value)):
            return f" ({why})"
    return ""


def pooled_size(pooled_size: Callable[[int, int, int], Any]) -> None:
    """Exercise 4.2: ``pooled_size(w, f, s)`` must return (w - f)/s + 1.

    Tries POOLED_SIZE_CASES (windows equal to and larger than the stride, stride 1, a window as
    large as the input) and names, where it can tell, the slip: a missing +1, an unused f or s,
    dividing by f instead of s.
    """
    problems = []
    for w, f, s in POOLED_SIZE_CASES:
        expected = shapes.pool_output_size(w, f, s)
        got, error = call_safely(pooled_size, w, f, s)
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for w={w}, f={f}, s={s}"
        value, why_not = as_whole_number(got)
        if value is None:
            problems.append(f"{case} you returned {why_not}; expected {expected}.")
        elif value != expected:
            problems.append(f"{case} you returned {value}; expected {expected}"
                            f"{_pooled_size_mistake(w, f, s, value)}.")
    report(
        "Exercise 4.2",
        listed(problems),
        success=f"Your formula gives the right size in all {len(POOLED_SIZE_CASES)} cases, "
                "e.g. 64 for w=128, f=2, s=2.",
        hint="count the positions of the window's left edge: 0, s, 2s, ... as long as the whole "
             "window (f wide) still fits into w.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 4.3: parameter counts of a conv + dense stack
# --------------------------------------------------------------------------------------------

#: The stack of Exercise 4.3, on an input of STACK_INPUT.
STACK_INPUT = (64, 64, 3)
STACK_LAYERS = [
    shapes.Conv2D(filters=16, kernel_size=5, padding="valid"),
    shapes.MaxPool2D(pool_size=2, stride=2),
    shapes.Conv2D(filters=32, kernel_size=3, padding="same"),
    shapes.MaxPool2D(pool_size=2, stride=2),
    shapes.Flatten(),
    shapes.Dense(64),
    shapes.Dense(10),
]


def _parameter_mistake(layer: Any, input_shape: tuple[int, ...], got: int,
                       seen_shapes: list[tuple[int, ...]]) -> str:
    """A guess at the slip behind a wrong parameter count for one layer ("" if no guess).

    seen_shapes: the stack's input shape and the output shapes of the layers so far, to name
    the shape a wrong dense count was computed from (layer 0 is the input)."""
    if isinstance(layer, shapes.Conv2D):
        f, k, c = layer.kernel_size, layer.filters, input_shape[-1]
        guesses = [
            (f * f * c * k, "the biases are missing: one per filter"),
            ((f * f + 1) * k, "the input channels are missing: each filter is f x f x c_in"),
            (f * f * c + 1, "that is one filter; the layer has k of them"),
        ]
    elif isinstance(layer, shapes.Dense):
        n_in, units = int(np.prod(input_shape)), layer.units
        guesses = [
            (n_in * units, "the biases are missing: one per neuron"),
            (n_in + units, "every input is connected to every neuron: n_in·units weights"),
        ]
    elif isinstance(layer, shapes.Flatten) and got == int(np.prod(input_shape)):
        return (f" ({got} is how many numbers Flatten puts out; it only reorders them and has no "
                "weights)")
    else:
        return " (pooling and flattening have nothing to learn: 0)"
    for value, why in guesses:
        if got == value:
            return f" ({why})"
    if isinstance(layer, shapes.Dense) and got % layer.units == 0 and got // layer.units > 1:
        inputs = got // layer.units - 1
        known = {int(np.prod(shape)): (f" (the {_shape_text(shape)} output of layer {i})" if i
                                       else f" (the {_shape_text(shape)} input)")
                 for i, shape in enumerate(seen_shapes) if len(shape) == 3}
        return (f" (that is ({inputs} + 1)·{layer.units}, as if {inputs} numbers came in"
                f"{known.get(inputs, '')}; this layer gets the {int(np.prod(input_shape))} "
                "numbers of the layer just before it)")
    return ""


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(size) for size in shape)


def stack_parameters(stack_parameters: Callable[[], Any]) -> None:
    """Exercise 4.3: ``stack_parameters()`` must return the list of parameter counts, one per
    layer, of STACK_LAYERS on a STACK_INPUT input (pooling and Flatten count 0).

    Compared layer by layer with ``helpers.shapes.layer_table``; a wrong count is reported with
    the layer's position and description and, where it can tell, the slip: a forgotten bias,
    forgotten input channels, one filter instead of k, a dense layer fed the wrong size.
    """
    rows = shapes.layer_table(STACK_INPUT, STACK_LAYERS)
    got, error = call_safely(stack_parameters)
    if error:
        report("Exercise 4.3", [error])
    if got is None:
        report("Exercise 4.3", ["you returned None: did you forget `return`?"])
    try:
        counts = list(got)
    except TypeError:
        report("Exercise 4.3", [f"you returned {got!r}; expected a list of {len(rows)} numbers, "
                                "one per layer."])
    if len(counts) != len(rows):
        report("Exercise 4.3", [f"you returned {len(counts)} counts; expected {len(rows)}, one per "
                                "layer (0 for pooling and Flatten)."])
    problems = []
    input_shapes = [STACK_INPUT] + [row.output_shape for row in rows[:-1]]
    for position, (layer, row, before, value) in enumerate(zip(STACK_LAYERS, rows, input_shapes, counts),
                                                           start=1):
        number, why_not = as_whole_number(value)
        where = f"layer {position} ({row.description}, input {_shape_text(before)})"
        if number is None:
            problems.append(f"{where}: you returned {why_not}.")
        elif number != row.parameters:
            problems.append(f"{where}: you counted {number}; expected {row.parameters}"
                            f"{_parameter_mistake(layer, before, number, input_shapes[:position])}.")
    report(
        "Exercise 4.3",
        problems,
        success=f"{shapes.total_parameters(rows)} parameters in all, "
                f"{rows[5].parameters} of them in the first dense layer.",
        hint="Conv2D: (f·f·c_in + 1)·k; Dense: (n_in + 1)·units; pooling and Flatten: 0. Work "
             "out each layer's output shape first: it is the next layer's input.",
    )
