"""Tests of helpers.check.network: right answers pass, typical mistakes are named, stubs get
"not written yet"."""

import dataclasses
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import model
from helpers.check import NOT_WRITTEN
from helpers.check import network as check

from _checking import fails_with, not_written


def passes(checker, answer, capsys, exercise):
    checker(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"\N{CHECK MARK} {exercise}"), out
    return out


@pytest.mark.parametrize("checker", [check.block_shapes, check.count_parameters, check.conv_block,
                                     check.forward_pass, check.keras_network, check.small_model])
def test_a_stub_gets_not_written_yet_and_no_hint(checker):
    message = fails_with(checker, not_written, NOT_WRITTEN)
    assert "Hint" not in message
    assert message.count(NOT_WRITTEN) == 1, "one line for a stub, not one per case"


# ---- Exercise 7.1: shapes after each block --------------------------------------------------


def right_shapes(size):
    shapes = []
    for filters in (32, 32, 64):
        size = math.ceil(size / 2)
        shapes.append((size, size, filters))
    shapes.append((size * size * 64,))
    return shapes + [(128,), (2,)]


def test_block_shapes_accepts_a_right_answer(capsys):
    out = passes(check.block_shapes, right_shapes, capsys, "Exercise 7.1")
    assert "48x48x32" in out


def test_block_shapes_accepts_lists_and_plain_ints_for_flat_shapes(capsys):
    def as_lists(size):
        shapes = right_shapes(size)
        return [list(s) for s in shapes[:3]] + [s[0] for s in shapes[3:]]

    passes(check.block_shapes, as_lists, capsys, "Exercise 7.1")


def test_block_shapes_matches_the_tutorial_at_128():
    assert check.expected_block_shapes(128) == [(64, 64, 32), (32, 32, 32), (16, 16, 64),
                                                (16384,), (128,), (2,)]


def test_block_shapes_names_pooling_that_rounds_down():
    def floor_pooling(size):
        shapes = []
        for filters in (32, 32, 64):
            size //= 2
            shapes.append((size, size, filters))
        return shapes + [(size * size * 64,), (128,), (2,)]

    fails_with(check.block_shapes, floor_pooling, "image_size=100",
               "first wrong shape is block 3", "rounds up", "ceil(25/2) = 13")


def test_block_shapes_names_a_convolution_that_shrinks():
    def valid_conv(size):
        shapes = []
        for filters in (32, 32, 64):
            size = math.ceil((size - 2) / 2)
            shapes.append((size, size, filters))
        return shapes + [(size * size * 64,), (128,), (2,)]

    fails_with(check.block_shapes, valid_conv, "block 1", "'SAME' padding")


def test_block_shapes_names_wrong_channels():
    def three_channels(size):
        shapes = right_shapes(size)
        return [(s[0], s[1], 3) for s in shapes[:3]] + shapes[3:]

    fails_with(check.block_shapes, three_channels, "block 1", "filters, 32")


def test_block_shapes_names_a_flatten_without_channels():
    def no_channels(size):
        shapes = right_shapes(size)
        h = shapes[2][0]
        return shapes[:3] + [(h * h,)] + shapes[4:]

    fails_with(check.block_shapes, no_channels, "first wrong shape is flatten", "every channel")


def test_block_shapes_names_a_batch_axis():
    def with_batch(size):
        shapes = right_shapes(size)
        return [(None, *s) for s in shapes]

    fails_with(check.block_shapes, with_batch, "is not a shape")

    def with_batch_one(size):
        return [(1, *s) for s in right_shapes(size)]

    fails_with(check.block_shapes, with_batch_one, "leave out the batch axis")


def test_block_shapes_names_a_missing_pooling():
    def no_pooling(size):
        shapes = [(size, size, f) for f in (32, 32, 64)]
        return shapes + [(size * size * 64,), (128,), (2,)]

    fails_with(check.block_shapes, no_pooling, "halves height and width")


def test_block_shapes_names_a_wrong_length_and_a_wrong_head():
    fails_with(check.block_shapes, lambda size: right_shapes(size)[:3], "returned 3 shapes",
               "expected 6")
    fails_with(check.block_shapes, lambda size: right_shapes(size)[:5] + [(10,)],
               "fc2", "one output per class")
    fails_with(check.block_shapes, lambda size: None, "returned None")


# ---- Exercise 7.2: parameters per layer -----------------------------------------------------


def right_counts(image_size, num_classes):
    side = image_size
    for _ in range(3):
        side = math.ceil(side / 2)
    return [(9 * 3 + 1) * 32, (9 * 32 + 1) * 32, (9 * 32 + 1) * 64,
            (side * side * 64 + 1) * 128, (128 + 1) * num_classes]


def test_count_parameters_accepts_a_right_answer(capsys):
    out = passes(check.count_parameters, right_counts, capsys, "Exercise 7.2")
    assert "2,126,178" in out


def test_count_parameters_knows_the_tutorials_numbers():
    assert check.expected_parameters(128, 2) == [896, 9248, 18496, 2097280, 258]


def test_count_parameters_names_missing_biases():
    def no_bias(size, classes):
        counts = right_counts(size, classes)
        return [counts[0] - 32] + counts[1:]

    fails_with(check.count_parameters, no_bias, "first wrong count is conv1", "biases are missing")


def test_count_parameters_names_three_input_channels_everywhere():
    def colours_only(size, classes):
        counts = right_counts(size, classes)
        return [counts[0], 896, (27 + 1) * 64] + counts[3:]

    fails_with(check.count_parameters, colours_only, "conv2", "not the 3 colours")


def test_count_parameters_names_fc1_counted_for_128_pixels():
    def fixed_fc1(size, classes):
        return right_counts(size, classes)[:3] + [2097280, right_counts(size, classes)[4]]

    fails_with(check.count_parameters, fixed_fc1, "image_size=96", "first wrong count is fc1",
               "16384 inputs is the 128-pixel network", "12x12x64 = 9216")


def test_count_parameters_names_pooling_that_rounds_down():
    def floor_side(size, classes):
        side = size // 8
        return right_counts(size, classes)[:3] + [(side * side * 64 + 1) * 128,
                                                  (128 + 1) * classes]

    fails_with(check.count_parameters, floor_side, "image_size=100", "rounds up", "13x13x64")


def test_count_parameters_names_fc2_fixed_at_two_classes():
    fails_with(check.count_parameters, lambda s, c: right_counts(s, 2), "num_classes=10",
               "first wrong count is fc2", "one output per class")


def test_count_parameters_names_a_list_with_pooling_layers():
    def nine(size, classes):
        c = right_counts(size, classes)
        return [c[0], 0, c[1], 0, c[2], 0, 0, c[3], c[4]]

    fails_with(check.count_parameters, nine, "returned 9 counts", "Leave out pooling and flatten")


def test_count_parameters_names_a_total_instead_of_a_list():
    fails_with(check.count_parameters, lambda s, c: sum(right_counts(s, c)), "expected a list of 5")


# ---- Exercise 7.3: the conv block from tf.nn ------------------------------------------------


def right_block(x, kernel, bias):
    z = tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + bias
    z = tf.nn.max_pool2d(z, ksize=2, strides=2, padding="SAME")
    return tf.nn.relu(z)


def relu_first(x, kernel, bias):
    z = tf.nn.relu(tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + bias)
    return tf.nn.max_pool2d(z, ksize=2, strides=2, padding="SAME")


def numpy_relu_first(x, kernel, bias):
    z = tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + bias
    z = np.maximum(z.numpy(), 0)  # numpy in the middle: no graph can be traced
    return tf.nn.max_pool2d(z, ksize=2, strides=2, padding="SAME").numpy()


def test_conv_block_accepts_the_tutorials_order_without_a_note(capsys):
    out = passes(check.conv_block, right_block, capsys, "Exercise 7.3")
    assert "ReLU before pooling" not in out


def test_conv_block_accepts_relu_before_pooling_and_says_why(capsys):
    out = passes(check.conv_block, relu_first, capsys, "Exercise 7.3")
    assert "ReLU before pooling" in out and "equivalent" in out


def test_conv_block_reads_the_order_from_the_source_when_it_cannot_trace(capsys):
    out = passes(check.conv_block, numpy_relu_first, capsys, "Exercise 7.3")
    assert "ReLU before pooling" in out


def test_conv_block_accepts_a_bias_added_after_pooling_and_says_so(capsys):
    def bias_late(x, kernel, bias):
        z = tf.nn.max_pool2d(tf.nn.conv2d(x, kernel, 1, "SAME"), 2, 2, "SAME")
        return tf.nn.relu(z + bias)

    out = passes(check.conv_block, bias_late, capsys, "Exercise 7.3")
    assert "bias after pooling" in out


def test_conv_block_names_a_missing_bias():
    def no_bias(x, kernel, bias):
        return right_block(x, kernel, tf.zeros_like(bias))

    fails_with(check.conv_block, no_bias, "the bias is missing")


def test_conv_block_names_valid_convolution_padding():
    def valid(x, kernel, bias):
        z = tf.nn.conv2d(x, kernel, strides=1, padding="VALID") + bias
        return tf.nn.relu(tf.nn.max_pool2d(z, 2, 2, "SAME"))

    fails_with(check.conv_block, valid, "your block returned shape (2, 3, 3, 4)",
               "expected (2, 4, 4, 4)", "'VALID' padding", "padding='SAME'")


def test_conv_block_names_a_pool_stride_of_one():
    def stride_one(x, kernel, bias):
        z = tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + bias
        return tf.nn.relu(tf.nn.max_pool2d(z, ksize=2, strides=1, padding="SAME"))

    fails_with(check.conv_block, stride_one, "moves 1 pixel at a time", "strides=2")


def test_conv_block_names_valid_pooling_on_odd_sizes():
    def valid_pool(x, kernel, bias):
        z = tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + bias
        return tf.nn.relu(tf.nn.max_pool2d(z, 2, 2, "VALID"))

    message = fails_with(check.conv_block, valid_pool, "7x7x2", "drops the last row and column")
    assert "8x8x3" not in message, "even sizes pool the same with 'VALID'"


def test_conv_block_names_a_missing_relu_average_pooling_and_no_pooling():
    def no_relu(x, kernel, bias):
        return tf.nn.max_pool2d(tf.nn.conv2d(x, kernel, 1, "SAME") + bias, 2, 2, "SAME")

    def average(x, kernel, bias):
        return tf.nn.relu(tf.nn.avg_pool2d(tf.nn.conv2d(x, kernel, 1, "SAME") + bias, 2, 2, "SAME"))

    def no_pool(x, kernel, bias):
        return tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME") + bias)

    fails_with(check.conv_block, no_relu, "there is no ReLU")
    fails_with(check.conv_block, average, "average pooling")
    fails_with(check.conv_block, no_pool, "there is no pooling")


def test_conv_block_names_a_bias_added_after_the_relu():
    def late_bias(x, kernel, bias):
        z = tf.nn.max_pool2d(tf.nn.conv2d(x, kernel, 1, "SAME"), 2, 2, "SAME")
        return tf.nn.relu(z) + bias

    fails_with(check.conv_block, late_bias, "added after the ReLU")


def test_conv_block_reports_none_and_exceptions():
    fails_with(check.conv_block, lambda x, k, b: None, "returned None")
    fails_with(check.conv_block, lambda x, k, b: tf.nn.conv2d(x, k, 1, "SAMEISH"), "raised")


# ---- Exercise 7.4: the forward pass from tf.nn ---------------------------------------------


def right_forward(net, images):
    x = images
    for block in (1, 2, 3):
        x = right_block(x, getattr(net, f"conv{block}_kernel"), getattr(net, f"conv{block}_bias"))
    x = tf.reshape(x, [x.shape[0], -1])
    x = tf.nn.relu(tf.matmul(x, net.fc1_kernel) + net.fc1_bias)
    return tf.matmul(x, net.fc2_kernel) + net.fc2_bias


def test_forward_pass_accepts_a_right_answer(capsys):
    passes(check.forward_pass, right_forward, capsys, "Exercise 7.4")


def test_forward_pass_names_softmaxed_outputs():
    fails_with(check.forward_pass, lambda net, images: tf.nn.softmax(right_forward(net, images)),
               "differ from net(images)", "you return probabilities")


def test_forward_pass_names_a_missing_relu_in_fc1():
    def no_relu(net, images):
        x = images
        for block in (1, 2, 3):
            x = right_block(x, getattr(net, f"conv{block}_kernel"), getattr(net, f"conv{block}_bias"))
        x = tf.matmul(tf.reshape(x, [x.shape[0], -1]), net.fc1_kernel) + net.fc1_bias
        return tf.matmul(x, net.fc2_kernel) + net.fc2_bias

    fails_with(check.forward_pass, no_relu, "fc1 has no ReLU")


def test_forward_pass_names_a_valid_padding_by_its_shape():
    def valid(net, images):
        x = images
        for block in (1, 2, 3):
            x = tf.nn.conv2d(x, getattr(net, f"conv{block}_kernel"), 1, "VALID")
            x = tf.nn.relu(tf.nn.max_pool2d(x + getattr(net, f"conv{block}_bias"), 2, 2, "SAME"))
        x = tf.reshape(x, [x.shape[0], -1])
        return tf.matmul(tf.nn.relu(tf.matmul(x, net.fc1_kernel) + net.fc1_bias), net.fc2_kernel)

    fails_with(check.forward_pass, valid, "raised")


def test_forward_pass_names_a_wrong_flatten():
    def one_row(net, images):
        return tf.reshape(right_forward(net, images), [1, -1])

    fails_with(check.forward_pass, one_row, "returned shape (1, 6)", "one row per photo")


# ---- Exercise 7.5: the tutorial's network in Keras ------------------------------------------


def keras_net(image_size, num_classes, seed, filters=(32, 32, 64), padding="same",
              relu=True, weights=None, biases=None, names=True):
    """The tutorial's network in Keras, with one thing changed by the arguments."""
    layers = keras.layers
    weights = weights or keras.initializers.TruncatedNormal(stddev=0.05, seed=seed)
    biases = biases or keras.initializers.Constant(0.05)
    stack = [keras.Input((image_size, image_size, 3))]
    for block, count in enumerate(filters, start=1):
        stack += [layers.Conv2D(count, 3, padding=padding, kernel_initializer=weights,
                                bias_initializer=biases, name=f"conv{block}" if names else None),
                  layers.MaxPooling2D(2, strides=2, padding="same", name=f"pool{block}")]
        stack += [layers.ReLU()] if relu else []
    stack += [layers.Flatten(name="flatten"),
              layers.Dense(128, activation="relu", kernel_initializer=weights,
                           bias_initializer=biases, name="fc1"),
              layers.Dense(num_classes, kernel_initializer=weights, bias_initializer=biases,
                           name="fc2"),
              layers.Softmax(name="softmax")]
    return keras.Sequential(stack)


def test_keras_network_accepts_a_right_answer_and_the_course_reference(capsys):
    passes(check.keras_network, keras_net, capsys, "Exercise 7.5")
    passes(check.keras_network, lambda s, c, seed: model.build_original_keras(s, c, seed),
           capsys, "Exercise 7.5")


def test_keras_network_names_a_wrong_filter_count():
    fails_with(check.keras_network, lambda s, c, seed: keras_net(s, c, seed, filters=(32, 64, 64)),
               "[32, 64, 64] filters", "expected [32, 32, 64]")


def test_keras_network_names_a_missing_relu():
    fails_with(check.keras_network, lambda s, c, seed: keras_net(s, c, seed, relu=False),
               "applies ReLU 1 times", "expected 4")


def test_keras_network_names_valid_padding():
    fails_with(check.keras_network, lambda s, c, seed: keras_net(s, c, seed, padding="valid"),
               "conv1 uses padding='valid'", "padding='same'")


def test_keras_network_names_a_wrong_initialiser():
    message = fails_with(check.keras_network, lambda s, c, seed: keras_net(
        s, c, seed, weights=keras.initializers.GlorotUniform(seed=seed)),
        "conv1's kernel starts with a spread of", "TruncatedNormal(stddev=0.05)")
    assert "0.044" in message
    fails_with(check.keras_network, lambda s, c, seed: keras_net(s, c, seed, biases="zeros"),
               "biases start at 0", "Constant(0.05)")


def test_keras_network_names_a_wrong_output_size():
    fails_with(check.keras_network, lambda s, c, seed: keras_net(s, 2, seed),
               "num_classes=3", "output shape is (None, 2)", "expected (None, 3)")


def test_keras_network_names_missing_names_and_outputs_that_differ():
    fails_with(check.keras_network, lambda s, c, seed: keras_net(s, c, seed, names=False),
               "no layer named conv1, conv2, conv3")

    def relu_on_logits(s, c, seed):
        net = keras_net(s, c, seed)
        return keras.Sequential([keras.Input((s, s, 3)), *net.layers[:-1],
                                 keras.layers.Lambda(tf.nn.relu6),
                                 keras.layers.Softmax(name="softmax")])

    fails_with(check.keras_network, relu_on_logits, "outputs differ from net.predict_proba")


def test_keras_network_refuses_something_else():
    fails_with(check.keras_network, lambda s, c, seed: None, "returned None")
    fails_with(check.keras_network, lambda s, c, seed: "model", "you returned str")
    fails_with(check.keras_network, lambda s, c, seed: keras.Sequential([keras.layers.Dense(2)]),
               "you returned Sequential", "keras.Input")


# ---- Exercise 7.6: a small network from a ModelConfig ---------------------------------------


def right_model():
    config = dataclasses.replace(model.ORIGINAL, image_size=64, num_classes=3,
                                 filters=(16, 32, 64), dense_units=(64,))
    return model.build_model(config)


def built(**changes):
    fields = dict(image_size=64, num_classes=3, filters=(16, 32, 64), dense_units=(64,))
    fields.update(changes)
    return lambda: model.build_model(dataclasses.replace(model.ORIGINAL, **fields))


def test_small_model_accepts_a_right_answer(capsys):
    out = passes(check.small_model, right_model, capsys, "Exercise 7.6")
    assert "285,987 parameters" in out


def test_small_model_accepts_the_other_block_order(capsys):
    passes(check.small_model, built(order="conv-relu-pool"), capsys, "Exercise 7.6")


def test_small_model_names_the_number_of_classes():
    fails_with(check.small_model, built(num_classes=2), "output shape is (None, 2)", "num_classes=3")


def test_small_model_names_the_image_size():
    fails_with(check.small_model, built(image_size=128), "input shape is (None, 128, 128, 3)",
               "image_size=64")


def test_small_model_names_the_filters():
    fails_with(check.small_model, built(filters=(32, 32, 64)), "[32, 32, 64] filters",
               "[16, 32, 64]")


def test_small_model_names_the_dense_layers():
    fails_with(check.small_model, built(dense_units=()), "dense layers have [3] units",
               "dense_units=(64,)")


def test_small_model_names_batch_norm_dropout_augmentation_and_the_head():
    fails_with(check.small_model, built(batch_norm=True), "batch normalizations", "batch_norm=False")
    fails_with(check.small_model, built(dropout=0.3), "dropout layers")
    fails_with(check.small_model, built(augment=True), "augments its images", "augment=False")
    fails_with(check.small_model, built(head="global_average"), "global average poolings",
               "head='flatten'")


def test_small_model_names_the_kernel_size():
    fails_with(check.small_model, built(kernel_size=5), "kernels [(5, 5)]", "3x3")


def test_small_model_names_outputs_that_are_not_probabilities():
    def no_softmax():
        return model.logits_model(right_model())

    fails_with(check.small_model, no_softmax, "Softmax layers")


def test_small_model_names_a_wrong_parameter_count():
    def no_biases():
        layers = keras.layers
        return keras.Sequential([
            keras.Input((64, 64, 3)),
            layers.Conv2D(16, 3, padding="same", use_bias=False), layers.MaxPooling2D(2), layers.ReLU(),
            layers.Conv2D(32, 3, padding="same"), layers.MaxPooling2D(2), layers.ReLU(),
            layers.Conv2D(64, 3, padding="same"), layers.MaxPooling2D(2), layers.ReLU(),
            layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(3), layers.Softmax(),
        ])

    fails_with(check.small_model, no_biases, "285,971 parameters", "expected 285,987")


def test_small_model_refuses_something_else():
    fails_with(check.small_model, lambda: None, "returned None")
    fails_with(check.small_model, lambda: check.SMALL_CONFIG, "you returned ModelConfig",
               "build_model")
