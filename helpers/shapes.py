"""Output sizes of convolution and pooling, layer tables and parameter counts (pure Python).

Sizes are for one spatial axis: the same formula gives the height and the width.

    n  input size (height or width)       f  filter or pooling window size
    p  zeros added on each side            s  stride (step between two windows)

The lecture formula is (n − f + 2p)/s + 1 (conv_output_size). TensorFlow and Keras name two
paddings instead of a number p, and round rather than refuse when the stride does not fit:

    'VALID'  no padding               output = ceil((n − f + 1)/s)   (= floor((n − f)/s) + 1)
    'SAME'   pad just enough zeros    output = ceil(n/s)             (= n when s = 1)

Layer shapes are written without the batch axis: (height, width, channels) or (features,).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

# --------------------------------------------------------------------------------------------
# One axis: output sizes and padding
# --------------------------------------------------------------------------------------------


def _check_int(name: str, value: object, minimum: int) -> None:
    """Raise ValueError unless `value` is an int (not a bool) that is at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be a whole number (int), got {value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def _last_rows_or_columns(count: int) -> str:
    """'the last row or column', 'the last 2 rows or columns', ... for error messages."""
    return "the last row or column" if count == 1 else f"the last {count} rows or columns"


def conv_output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """Output size of a convolution along one axis: (n − f + 2p)/s + 1.

    n: input size, f: filter size, p: zeros added on each side, s: stride.
    Example: a 32x32 image and a 5x5 filter give conv_output_size(32, 5) = 28; with p = 2 the
    output stays 32. Raises ValueError when the filter does not fit in the padded input, or
    when the stride does not tile it exactly (the message says what TensorFlow would do).
    """
    _check_int("n (the input size)", n, 1)
    _check_int("f (the filter size)", f, 1)
    _check_int("p (the padding on each side)", p, 0)
    _check_int("s (the stride)", s, 1)
    if f > n + 2 * p:
        raise ValueError(
            f"filter {f} is larger than the padded input {n + 2 * p} "
            f"(n + 2p = {n} + 2·{p}): the filter must fit inside the input at least once"
        )
    steps, leftover = divmod(n - f + 2 * p, s)
    if leftover != 0:
        tensorflow = "TensorFlow's 'VALID'" if p == 0 else f"TensorFlow with padding {p}"
        raise ValueError(
            f"({n} - {f} + {2 * p})/{s} + 1 = {(n - f + 2 * p) / s + 1:g} is not a whole "
            "number: this filter, stride and padding do not tile the input; "
            f"{tensorflow} would drop {_last_rows_or_columns(leftover)} ({steps + 1}), "
            f"'SAME' would pad ({same_output_size(n, s)})"
        )
    return int(steps + 1)


def pool_output_size(w: int, f: int, s: int) -> int:
    """Output size of pooling along one axis (no padding): (w − f)/s + 1.

    w: input size, f: pooling window size, s: stride.
    Example: a 2x2 window with stride 2 halves the input: pool_output_size(128, 2, 2) = 64.
    Raises ValueError when the window does not fit, or when the windows do not tile the input
    exactly (the message says what TensorFlow would do).
    """
    _check_int("w (the input size)", w, 1)
    _check_int("f (the pooling window size)", f, 1)
    _check_int("s (the stride)", s, 1)
    if f > w:
        raise ValueError(
            f"pooling window {f} is larger than the input {w}: "
            "the window must fit inside the input at least once"
        )
    steps, leftover = divmod(w - f, s)
    if leftover != 0:
        raise ValueError(
            f"({w} - {f})/{s} + 1 = {(w - f) / s + 1:g} is not a whole number: these pooling "
            "windows do not tile the input; TensorFlow's 'VALID' pooling would drop "
            f"{_last_rows_or_columns(leftover)} ({steps + 1}), "
            f"'SAME' would pad ({same_output_size(w, s)})"
        )
    return int(steps + 1)


def same_output_size(n: int, s: int) -> int:
    """Output size with TensorFlow's 'SAME' padding: ceil(n/s), whatever the filter size."""
    _check_int("n (the input size)", n, 1)
    _check_int("s (the stride)", s, 1)
    return math.ceil(n / s)


def valid_output_size(n: int, f: int, s: int) -> int:
    """Output size with TensorFlow's 'VALID' padding: ceil((n − f + 1)/s).

    Windows that would stick out past the end are dropped, so this equals floor((n − f)/s) + 1.
    Raises ValueError when f > n.
    """
    _check_int("n (the input size)", n, 1)
    _check_int("f (the filter or window size)", f, 1)
    _check_int("s (the stride)", s, 1)
    if f > n:
        raise ValueError(
            f"filter or window {f} is larger than the input {n}: 'VALID' adds no padding, so "
            "the window must fit inside the input; use 'SAME' padding or a smaller window"
        )
    return math.ceil((n - f + 1) / s)


def _padding_mode(padding: object) -> str:
    """'SAME' or 'VALID' from any capitalisation, or ValueError."""
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID' (any case), got {padding!r}")
    return padding.upper()


def tf_output_size(n: int, f: int, s: int, padding: str) -> int:
    """Output size TensorFlow computes for padding 'SAME' (ceil(n/s)) or 'VALID'
    (ceil((n − f + 1)/s)); `padding` may be written in any case ('same', 'Valid', ...)."""
    if _padding_mode(padding) == "SAME":
        _check_int("f (the filter or window size)", f, 1)
        return same_output_size(n, s)
    return valid_output_size(n, f, s)


def same_padding(n: int, f: int, s: int) -> tuple[int, int]:
    """Zeros TensorFlow adds (before, after) along one axis for 'SAME' padding.

    total = max((ceil(n/s) − 1)·s + f − n, 0), before = total // 2, after = total − before.
    Examples: n = 128, f = 3, s = 1 gives (1, 1). When total is odd the extra zero goes
    after (at the bottom or right): n = 4, f = 3, s = 2 gives (0, 1).
    """
    _check_int("f (the filter or window size)", f, 1)
    total = max((same_output_size(n, s) - 1) * s + f - n, 0)
    before = total // 2
    return before, total - before


# --------------------------------------------------------------------------------------------
# Layers and the layer table
# --------------------------------------------------------------------------------------------


def _check_padding(layer: str, padding: object, allow_int: bool) -> None:
    if isinstance(padding, str) and padding.lower() in ("valid", "same"):
        return
    if allow_int and isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        _check_int(f"{layer} padding", padding, 0)
        return
    allowed = "'valid', 'same' or a number of zeros p >= 0" if allow_int else "'valid' or 'same'"
    raise ValueError(f"{layer} padding must be {allowed}, got {padding!r}")


@dataclass(frozen=True)
class Conv2D:
    """A convolution layer: `filters` filters of kernel_size x kernel_size x (input channels).

    padding: 'valid', 'same' (TensorFlow's rules, any case) or an int p of zeros on every side
    (the lecture formula, which must tile the input exactly).
    """

    filters: int
    kernel_size: int
    stride: int = 1
    padding: str | int = "valid"

    def __post_init__(self) -> None:
        _check_int("Conv2D filters", self.filters, 1)
        _check_int("Conv2D kernel_size", self.kernel_size, 1)
        _check_int("Conv2D stride", self.stride, 1)
        _check_padding("Conv2D", self.padding, allow_int=True)


@dataclass(frozen=True)
class MaxPool2D:
    """Max pooling: the largest value of each pool_size x pool_size window, channel by channel."""

    pool_size: int = 2
    stride: int = 2
    padding: str = "valid"

    def __post_init__(self) -> None:
        _check_int("MaxPool2D pool_size", self.pool_size, 1)
        _check_int("MaxPool2D stride", self.stride, 1)
        _check_padding("MaxPool2D", self.padding, allow_int=False)


@dataclass(frozen=True)
class AvgPool2D:
    """Average pooling: the mean of each pool_size x pool_size window, channel by channel."""

    pool_size: int = 2
    stride: int = 2
    padding: str = "valid"

    def __post_init__(self) -> None:
        _check_int("AvgPool2D pool_size", self.pool_size, 1)
        _check_int("AvgPool2D stride", self.stride, 1)
        _check_padding("AvgPool2D", self.padding, allow_int=False)


@dataclass(frozen=True)
class Flatten:
    """Unrolls (height, width, channels) into one vector of height·width·channels values."""


@dataclass(frozen=True)
class Dense:
    """A fully connected layer of `units` neurons, each connected to every input."""

    units: int

    def __post_init__(self) -> None:
        _check_int("Dense units", self.units, 1)


Layer = Conv2D | MaxPool2D | AvgPool2D | Flatten | Dense

# The names Keras gives these layers, so a table reads like model.summary().
_KERAS_NAMES = {
    Conv2D: "conv2d",
    MaxPool2D: "max_pooling2d",
    AvgPool2D: "average_pooling2d",
    Flatten: "flatten",
    Dense: "dense",
}


@dataclass(frozen=True)
class LayerRow:
    """One line of a layer table.

    name: Keras-style name numbered from 1 per kind ("conv2d_1", "dense_2").
    description: what the layer is ("Conv2D 3x3, 32 filters, same").
    output_shape: without the batch axis, (height, width, channels) or (features,).
    parameters: number of weights and biases; formula: how it is counted,
    e.g. "(3·3·3 + 1)·32 = 896".
    """

    name: str
    description: str
    output_shape: tuple[int, ...]
    parameters: int
    formula: str


def _describe(layer: Layer) -> str:
    """A short human description, e.g. 'Conv2D 3x3, 32 filters, same'."""
    if isinstance(layer, Conv2D):
        f = layer.kernel_size
        if isinstance(layer.padding, str):
            padding = layer.padding.lower()
        else:
            padding = f"padding {layer.padding}"
        text = f"Conv2D {f}x{f}, {layer.filters} filters, {padding}"
    elif isinstance(layer, (MaxPool2D, AvgPool2D)):
        f = layer.pool_size
        text = f"{type(layer).__name__} {f}x{f}, {layer.padding.lower()}"
    elif isinstance(layer, Dense):
        return f"Dense {layer.units}"
    else:
        return type(layer).__name__
    return text if layer.stride == 1 else f"{text}, stride {layer.stride}"


def _spatial_size(n: int, f: int, s: int, padding: str | int) -> int:
    """Output size along one axis for a layer's padding: TensorFlow's rule for 'valid'/'same',
    the lecture formula (n − f + 2p)/s + 1 for an int p."""
    if isinstance(padding, str):
        return tf_output_size(n, f, s, padding)
    return conv_output_size(n, f, padding, s)


def _format_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(size) for size in shape)


def layer_table(
    input_shape: tuple[int, int, int], layers: Sequence[Layer]
) -> list[LayerRow]:
    """Walk `layers` from an input of shape (height, width, channels); one LayerRow per layer.

    Conv2D: output (h', w', filters), parameters (f·f·c_in + 1)·filters.
    MaxPool2D / AvgPool2D: output (h', w', c), 0 parameters.
    Flatten: output (h·w·c,), 0 parameters.   Dense: output (units,), (n_in + 1)·units.
    Raises ValueError naming the layer (its index in `layers`) and what is wrong.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(
            "input_shape must be a tuple (height, width, channels) without the batch axis, "
            f"e.g. (128, 128, 3); got {input_shape!r}"
        )
    for axis, size in zip(("height", "width", "channels"), input_shape):
        _check_int(f"input_shape {axis}", size, 1)
    shape: tuple[int, ...] = tuple(int(v) for v in input_shape)
    rows: list[LayerRow] = []
    counts: dict[str, int] = {}
    for index, layer in enumerate(layers):
        if type(layer) not in _KERAS_NAMES:
            raise ValueError(
                f"layers[{index}] is {layer!r}; expected Conv2D, MaxPool2D, AvgPool2D, "
                "Flatten or Dense from helpers.shapes"
            )
        where = f"layers[{index}] ({_describe(layer)})"
        if isinstance(layer, (Conv2D, MaxPool2D, AvgPool2D)) and len(shape) != 3:
            raise ValueError(
                f"{where} needs a (height, width, channels) input but gets {shape}: "
                "convolution and pooling layers must come before Flatten"
            )

        if isinstance(layer, Conv2D):
            h, w, c = shape
            try:
                out_h = _spatial_size(h, layer.kernel_size, layer.stride, layer.padding)
                out_w = _spatial_size(w, layer.kernel_size, layer.stride, layer.padding)
            except ValueError as err:
                raise ValueError(f"{where} on input {_format_shape(shape)}: {err}") from None
            f = layer.kernel_size
            parameters = (f * f * c + 1) * layer.filters
            formula = f"({f}·{f}·{c} + 1)·{layer.filters} = {parameters}"
            shape = (out_h, out_w, layer.filters)
        elif isinstance(layer, (MaxPool2D, AvgPool2D)):
            h, w, c = shape
            try:
                out_h = tf_output_size(h, layer.pool_size, layer.stride, layer.padding)
                out_w = tf_output_size(w, layer.pool_size, layer.stride, layer.padding)
            except ValueError as err:
                raise ValueError(f"{where} on input {_format_shape(shape)}: {err}") from None
            parameters, formula = 0, "0 (no weights)"
            shape = (out_h, out_w, c)
        elif isinstance(layer, Flatten):
            parameters, formula = 0, "0 (no weights)"
            shape = (math.prod(shape),)
        else:  # Dense
            if len(shape) != 1:
                raise ValueError(
                    f"{where} needs a flat input but gets {shape}: "
                    "add Flatten() between the last convolution or pooling layer and Dense"
                )
            (n_in,) = shape
            parameters = (n_in + 1) * layer.units
            formula = f"({n_in} + 1)·{layer.units} = {parameters}"
            shape = (layer.units,)

        kind = _KERAS_NAMES[type(layer)]
        counts[kind] = counts.get(kind, 0) + 1
        rows.append(
            LayerRow(f"{kind}_{counts[kind]}", _describe(layer), shape, parameters, formula)
        )
    return rows


def total_parameters(rows: Sequence[LayerRow]) -> int:
    """Sum of the parameter counts of all rows (what Keras calls 'Total params')."""
    return sum(row.parameters for row in rows)


def format_layer_table(rows: Sequence[LayerRow]) -> str:
    """A plain-text table of the rows with a total line, ready to print in a notebook."""
    header = ("Layer", "Description", "Output shape", "Parameters", "Counted as")
    lines = [
        (
            row.name,
            row.description,
            _format_shape(row.output_shape),
            str(row.parameters),
            row.formula,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def render(cells: tuple[str, ...]) -> str:
        name, description, shape, parameters, formula = cells
        return "  ".join(
            [
                name.ljust(widths[0]),
                description.ljust(widths[1]),
                shape.ljust(widths[2]),
                parameters.rjust(widths[3]),
                formula,
            ]
        ).rstrip()

    rule = "-" * len(render(header))
    total = f"Total parameters: {total_parameters(rows)}"
    return "\n".join([render(header), rule, *(render(line) for line in lines), rule, total])
