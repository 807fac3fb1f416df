"""Tests of helpers.shapes: the syllabus numbers, the error messages, and agreement with
TensorFlow's output shapes and Keras's parameter counts."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers.shapes import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    LayerRow,
    MaxPool2D,
    conv_output_size,
    format_layer_table,
    layer_table,
    pool_output_size,
    same_output_size,
    same_padding,
    tf_output_size,
    total_parameters,
    valid_output_size,
)

# The network of the original tutorial: 128x128 RGB photos, two classes.
TUTORIAL_INPUT = (128, 128, 3)
TUTORIAL_LAYERS = [
    Conv2D(32, 3, padding="same"),
    MaxPool2D(2, 2),
    Conv2D(32, 3, padding="same"),
    MaxPool2D(2, 2),
    Conv2D(64, 3, padding="same"),
    MaxPool2D(2, 2),
    Flatten(),
    Dense(128),
    Dense(2),
]


def keras_model(input_shape, layers) -> keras.Model:
    """The same network built with Keras layers."""
    keras_layers = []
    for layer in layers:
        if isinstance(layer, Conv2D):
            keras_layers.append(
                keras.layers.Conv2D(
                    layer.filters, layer.kernel_size, strides=layer.stride, padding=layer.padding
                )
            )
        elif isinstance(layer, MaxPool2D):
            keras_layers.append(
                keras.layers.MaxPooling2D(layer.pool_size, layer.stride, padding=layer.padding)
            )
        elif isinstance(layer, AvgPool2D):
            keras_layers.append(
                keras.layers.AveragePooling2D(layer.pool_size, layer.stride, padding=layer.padding)
            )
        elif isinstance(layer, Flatten):
            keras_layers.append(keras.layers.Flatten())
        else:
            keras_layers.append(keras.layers.Dense(layer.units))
    return keras.Sequential([keras.Input(input_shape), *keras_layers])


# ---- the syllabus numbers -------------------------------------------------------------------


def test_5x5_filter_on_32x32x3_gives_28x28():
    assert conv_output_size(32, 5) == 28


def test_six_5x5x3_filters_on_32x32x3_give_28x28x6():
    (row,) = layer_table((32, 32, 3), [Conv2D(6, 5)])
    assert row.output_shape == (28, 28, 6)
    assert row.parameters == (5 * 5 * 3 + 1) * 6


def test_padding_two_keeps_32x32():
    assert conv_output_size(32, 5, p=2) == 32
    (row,) = layer_table((32, 32, 3), [Conv2D(6, 5, padding=2)])
    assert row.output_shape == (32, 32, 6)


def test_2x2_pool_with_stride_2_halves_128_to_64():
    assert pool_output_size(128, 2, 2) == 64


def test_flatten_16x16x64_gives_16384():
    (row,) = layer_table((16, 16, 64), [Flatten()])
    assert row.output_shape == (16384,)
    assert row.parameters == 0


def test_tutorial_network_output_shapes():
    shapes = [row.output_shape for row in layer_table(TUTORIAL_INPUT, TUTORIAL_LAYERS)]
    assert shapes == [
        (128, 128, 32),
        (64, 64, 32),
        (64, 64, 32),
        (32, 32, 32),
        (32, 32, 64),
        (16, 16, 64),
        (16384,),
        (128,),
        (2,),
    ]


def test_tutorial_network_parameter_counts():
    rows = layer_table(TUTORIAL_INPUT, TUTORIAL_LAYERS)
    assert [row.parameters for row in rows] == [896, 0, 9248, 0, 18496, 0, 0, 2097280, 258]
    assert total_parameters(rows) == 896 + 9248 + 18496 + 2097280 + 258


def test_tutorial_network_formulas_show_how_each_count_is_made():
    rows = layer_table(TUTORIAL_INPUT, TUTORIAL_LAYERS)
    assert rows[0].formula == "(3·3·3 + 1)·32 = 896"
    assert rows[2].formula == "(3·3·32 + 1)·32 = 9248"
    assert rows[7].formula == "(16384 + 1)·128 = 2097280"
    assert rows[8].formula == "(128 + 1)·2 = 258"


def test_layer_names_are_numbered_from_one_per_kind():
    rows = layer_table(TUTORIAL_INPUT, TUTORIAL_LAYERS)
    assert [row.name for row in rows] == [
        "conv2d_1",
        "max_pooling2d_1",
        "conv2d_2",
        "max_pooling2d_2",
        "conv2d_3",
        "max_pooling2d_3",
        "flatten_1",
        "dense_1",
        "dense_2",
    ]
    assert rows[0].description == "Conv2D 3x3, 32 filters, same"


# ---- agreement with Keras ---------------------------------------------------------------------


def assert_table_matches_keras(input_shape, layers):
    rows = layer_table(input_shape, layers)
    model = keras_model(input_shape, layers)
    assert len(model.layers) == len(rows)
    for row, keras_layer in zip(rows, model.layers):
        assert row.output_shape == tuple(keras_layer.output.shape[1:]), row.name
        assert row.parameters == keras_layer.count_params(), row.name
    assert total_parameters(rows) == model.count_params()


def test_tutorial_network_table_agrees_with_keras():
    assert_table_matches_keras(TUTORIAL_INPUT, TUTORIAL_LAYERS)


def test_strided_valid_network_with_average_pooling_agrees_with_keras():
    """Strides that do not tile the input: Keras rounds down for 'valid', up for 'same'."""
    layers = [
        Conv2D(8, 5, stride=2, padding="valid"),
        AvgPool2D(3, 2, padding="same"),
        Conv2D(4, 3, stride=3, padding="same"),
        MaxPool2D(2, 1),
        Flatten(),
        Dense(10),
    ]
    assert_table_matches_keras((37, 45, 1), layers)


# ---- error messages ---------------------------------------------------------------------------


def test_stride_that_does_not_tile_says_what_tensorflow_would_do():
    message = (
        r"\(32 - 5 \+ 0\)/2 \+ 1 = 14.5 is not a whole number: this filter, stride and "
        r"padding do not tile the input; TensorFlow's 'VALID' would drop the last row or "
        r"column \(14\), 'SAME' would pad \(16\)"
    )
    with pytest.raises(ValueError, match=message):
        conv_output_size(32, 5, 0, 2)


def test_conv_output_size_agrees_with_its_message_about_valid_and_same():
    assert valid_output_size(32, 5, 2) == 14
    assert same_output_size(32, 2) == 16


def test_filter_larger_than_padded_input_is_refused():
    with pytest.raises(ValueError, match="filter 7 is larger than the padded input 5"):
        conv_output_size(5, 7)
    assert conv_output_size(5, 7, p=1) == 1


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n=0, f=1), "n"),
        (dict(n=5, f=0), "f"),
        (dict(n=5, f=3, s=0), "s"),
        (dict(n=5, f=3, s=-1), "s"),
        (dict(n=5, f=3, p=-1), "p"),
    ],
)
def test_out_of_range_argument_is_named(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} \(.*must be at least"):
        conv_output_size(**kwargs)


@pytest.mark.parametrize("bad", [32.0, "32", True, None])
def test_non_integer_sizes_are_refused_including_bools(bad):
    with pytest.raises(ValueError, match="whole number"):
        conv_output_size(bad, 3)
    with pytest.raises(ValueError, match="whole number"):
        pool_output_size(32, 2, bad)


def test_numpy_integers_are_accepted():
    assert conv_output_size(np.int64(32), np.int32(5)) == 28
    assert type(conv_output_size(np.int64(32), 5)) is int


def test_pool_messages_talk_about_pooling_windows():
    with pytest.raises(ValueError, match="pooling window 3 is larger than the input 2"):
        pool_output_size(2, 3, 1)
    with pytest.raises(ValueError, match=r"pooling windows do not tile.*'VALID' pooling.*\(2\)"):
        pool_output_size(5, 2, 2)


def test_valid_output_size_refuses_a_filter_larger_than_the_input():
    with pytest.raises(ValueError, match="'SAME'"):
        valid_output_size(3, 4, 1)


def test_tf_output_size_accepts_padding_in_any_case():
    assert tf_output_size(7, 3, 2, "same") == tf_output_size(7, 3, 2, "SAME") == 4
    assert tf_output_size(7, 3, 2, "Valid") == 3
    with pytest.raises(ValueError, match="'SAME' or 'VALID'"):
        tf_output_size(7, 3, 2, "full")


def test_same_padding_puts_the_odd_zero_after():
    assert same_padding(128, 3, 1) == (1, 1)
    assert same_padding(4, 3, 2) == (0, 1)
    assert same_padding(6, 2, 2) == (0, 0)


def test_dense_after_a_3d_output_asks_for_flatten_and_names_the_layer():
    with pytest.raises(ValueError, match=r"layers\[1\] \(Dense 10\).*\(28, 28, 6\).*Flatten"):
        layer_table((32, 32, 3), [Conv2D(6, 5), Dense(10)])


def test_filter_bigger_than_its_input_names_the_layer():
    with pytest.raises(ValueError, match=r"layers\[2\] \(Conv2D 5x5.*on input 4x4x8"):
        layer_table((8, 8, 3), [Conv2D(8, 1), MaxPool2D(), Conv2D(4, 5)])


def test_pooling_after_flatten_is_refused():
    with pytest.raises(ValueError, match=r"layers\[1\].*before Flatten"):
        layer_table((4, 4, 3), [Flatten(), MaxPool2D()])


def test_something_that_is_not_a_layer_is_named():
    with pytest.raises(ValueError, match=r"layers\[0\] is 'conv'"):
        layer_table((4, 4, 3), ["conv"])


def test_input_shape_must_be_height_width_channels():
    with pytest.raises(ValueError, match="without the batch axis"):
        layer_table((1, 28, 28, 1), [Flatten()])
    with pytest.raises(ValueError, match="channels"):
        layer_table((28, 28, 0), [Flatten()])


def test_layers_check_their_own_arguments():
    with pytest.raises(ValueError, match="Conv2D filters"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="Conv2D padding"):
        Conv2D(8, 3, padding="full")
    with pytest.raises(ValueError, match="MaxPool2D padding must be 'valid' or 'same'"):
        MaxPool2D(2, 2, padding=1)
    with pytest.raises(ValueError, match="Dense units"):
        Dense(2.5)


def test_layers_are_frozen():
    with pytest.raises(AttributeError):
        Dense(3).units = 4


# ---- the printed table ------------------------------------------------------------------------


def test_format_layer_table_has_one_line_per_layer_and_a_total():
    rows = layer_table(TUTORIAL_INPUT, TUTORIAL_LAYERS)
    text = format_layer_table(rows)
    lines = text.splitlines()
    assert lines[0].startswith("Layer")
    assert lines[0].split()[-3:] == ["Parameters", "Counted", "as"]
    assert len(lines) == 1 + 1 + len(rows) + 1 + 1
    assert "dense_1" in lines[2 + 7] and "16384" in lines[2 + 6]
    assert lines[-1] == "Total parameters: 2126178"


def test_format_layer_table_of_a_handmade_row():
    rows = [LayerRow("dense_1", "Dense 2", (2,), 6, "(2 + 1)·2 = 6")]
    assert format_layer_table(rows).splitlines()[2].split() == [
        "dense_1",
        "Dense",
        "2",
        "2",
        "6",
        "(2",
        "+",
        "1)·2",
        "=",
        "6",
    ]


# ---- properties against TensorFlow ------------------------------------------------------------


@st.composite
def sizes_and_padding(draw):
    n = draw(st.integers(1, 16))
    s = draw(st.integers(1, 4))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    f = draw(st.integers(1, n if padding == "VALID" else n + 3))
    return n, f, s, padding


@settings(deadline=None, max_examples=60)
@given(sizes_and_padding())
def test_tf_output_size_matches_tf_nn_conv2d(case):
    n, f, s, padding = case
    out = tf.nn.conv2d(tf.zeros((1, n, n, 1)), tf.zeros((f, f, 1, 1)), s, padding)
    assert out.shape[1] == tf_output_size(n, f, s, padding)


@settings(deadline=None, max_examples=60)
@given(sizes_and_padding())
def test_tf_output_size_matches_tf_nn_max_pool2d(case):
    n, f, s, padding = case
    out = tf.nn.max_pool2d(tf.zeros((1, n, n, 1)), f, s, padding)
    assert out.shape[1] == tf_output_size(n, f, s, padding)


@settings(deadline=None, max_examples=60)
@given(sizes_and_padding())
def test_same_padding_reproduces_tensorflows_same_convolution(case):
    n, f, s, _ = case
    x = tf.random.stateless_uniform((1, n, n, 1), seed=(n, f))
    w = tf.random.stateless_uniform((f, f, 1, 1), seed=(f, s))
    before, after = same_padding(n, f, s)
    padded = tf.pad(x, [[0, 0], [before, after], [before, after], [0, 0]])
    np.testing.assert_allclose(
        tf.nn.conv2d(padded, w, s, "VALID").numpy(),
        tf.nn.conv2d(x, w, s, "SAME").numpy(),
        rtol=1e-5,  # float32 sums of up to 19·19 products; a wrong padding is off by ~1
    )


@given(
    f=st.integers(1, 12), s=st.integers(1, 5), p=st.integers(0, 4), steps=st.integers(0, 10)
)
def test_conv_output_size_equals_valid_size_when_the_stride_tiles(f, s, p, steps):
    n = f - 2 * p + steps * s  # chosen so that (n − f + 2p) = steps·s, a multiple of s
    assume(n >= 1)
    assert conv_output_size(n, f, p, s) == tf_output_size(n + 2 * p, f, s, "VALID")
    if p == 0:
        assert conv_output_size(n, f, p, s) == tf_output_size(n, f, s, "VALID")
        assert pool_output_size(n, f, s) == conv_output_size(n, f, 0, s)


@given(n=st.integers(1, 40), f=st.integers(1, 12), p=st.integers(0, 4), s=st.integers(1, 5))
def test_conv_output_size_either_answers_tensorflows_value_or_explains(n, f, p, s):
    if f > n + 2 * p or (n - f + 2 * p) % s != 0:
        with pytest.raises(ValueError):
            conv_output_size(n, f, p, s)
    else:
        assert conv_output_size(n, f, p, s) == valid_output_size(n + 2 * p, f, s)
