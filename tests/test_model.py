"""Tests of helpers.model: the tutorial's network from primitives and in Keras agree (names,
shapes, parameter counts with helpers.shapes, outputs with the weights copied across), and the
configurable builder gives the same network for ORIGINAL, any number of classes, augmentation
only in training, and .keras files that load in safe mode.

Small images (32x32) keep the file fast; 128x128 only for the parameter table and one forward
pass."""

import dataclasses
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import model as M
from helpers import shapes

TINY = 32  # three or four 2x2 poolings still leave 4x4 or 2x2
TUTORIAL_PARAMETERS = {"conv1": 896, "conv2": 9248, "conv3": 18496, "fc1": 2097280, "fc2": 258}


def images(batch: int, size: int = TINY, seed: int = 0) -> np.ndarray:
    """Random float32 images in [0, 1], what helpers.images.preprocess hands the network."""
    return np.random.default_rng(seed).random((batch, size, size, 3), dtype=np.float32)


def layer_summary(model: keras.Model) -> list[tuple[str, str, tuple, int]]:
    """What model.summary() shows: name, type, output shape (without batch) and parameters."""
    return [
        (layer.name, type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params())
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


# Keras's .keras writer turns TensorFlow variables into numpy arrays with np.array(variable),
# which numpy 2 warns about (TensorFlow's __array__ has no copy keyword); nothing of ours.
SAVING_WARNING = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def tiny(config: M.ModelConfig, **changes) -> M.ModelConfig:
    return dataclasses.replace(config, image_size=TINY, **changes)


@pytest.fixture(scope="module")
def net_128():
    return M.OriginalNetworkFromPrimitives(seed=1)


@pytest.fixture(scope="module")
def keras_128():
    return M.build_original_keras(seed=1)


# ---- the network from primitives ------------------------------------------------------------


def test_module_variables_are_named_and_shaped_like_the_keras_weights(net_128, keras_128):
    rows = net_128.weights_table()
    assert [row.name for row in rows] == [
        f"{layer}/{part}" for layer in TUTORIAL_PARAMETERS for part in ("kernel", "bias")
    ]
    assert rows == M.keras_weights_table(keras_128)
    assert sorted(v.name for v in net_128.trainable_variables) == sorted(
        f"{row.name}:0" for row in rows
    )
    assert net_128.conv1_kernel.shape == (3, 3, 3, 32)
    assert net_128.fc1_kernel.shape == (16 * 16 * 64, 128)


def test_parameters_at_128_match_the_layer_table_and_keras(net_128, keras_128):
    per_layer = {}
    for row in net_128.weights_table():
        layer = row.name.split("/")[0]
        per_layer[layer] = per_layer.get(layer, 0) + row.parameters
    assert per_layer == TUTORIAL_PARAMETERS

    table = net_128.layer_table()
    assert table == M.original_layer_table(128, 2)
    with_weights = {row.name: row.parameters for row in table if row.parameters}
    assert with_weights == TUTORIAL_PARAMETERS
    assert shapes.total_parameters(table) == sum(TUTORIAL_PARAMETERS.values()) == 2126178
    assert {name: keras_128.get_layer(name).count_params() for name in with_weights} == (
        TUTORIAL_PARAMETERS
    )
    assert keras_128.count_params() == 2126178
    # the table's arithmetic is helpers.shapes' own, rows renamed after the layers
    plain = shapes.layer_table((128, 128, 3), M.original_layers(2))
    assert [row.output_shape for row in plain] == [row.output_shape for row in table]


def test_keras_output_shapes_at_128_match_the_layer_table(keras_128):
    table = {row.name: row.output_shape for row in M.original_layer_table(128, 2)}
    keras_shapes = {name: tuple(keras_128.get_layer(name).output.shape[1:]) for name in table}
    assert keras_shapes == table
    assert table["pool3"] == (16, 16, 64) and table["flatten"] == (16384,)


def test_one_forward_pass_at_128_gives_one_probability_per_class(net_128, keras_128):
    x = images(2, 128)
    logits = net_128(x)
    probabilities = net_128.predict_proba(x)
    assert logits.shape == probabilities.shape == (2, 2)
    np.testing.assert_allclose(probabilities.numpy().sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(probabilities, tf.nn.softmax(logits), atol=1e-7)
    assert keras_128(x).shape == (2, 2)


def test_copied_weights_give_the_same_logits_and_probabilities():
    net = M.OriginalNetworkFromPrimitives(TINY, num_classes=3, seed=7)
    model = M.build_original_keras(TINY, num_classes=3, seed=8)
    x = images(4)
    assert not np.allclose(net.predict_proba(x), model(x), atol=1e-5)  # different start
    assert M.copy_weights(net, model) is model
    np.testing.assert_allclose(model(x), net.predict_proba(x), atol=1e-5)
    np.testing.assert_allclose(M.logits_model(model)(x), net(x), atol=1e-5)
    # and block by block: the same shapes and values after each conv → pool → ReLU
    block = x
    for i in (1, 2, 3):
        kernel, bias = getattr(net, f"conv{i}_kernel"), getattr(net, f"conv{i}_bias")
        block = net.conv_block(block, kernel, bias)
        keras_block = keras.Model(model.inputs[0], model.get_layer(f"relu{i}").output)(x)
        assert block.shape == keras_block.shape
        np.testing.assert_allclose(keras_block, block, atol=1e-5)


def test_copy_weights_refuses_a_network_of_another_size():
    net = M.OriginalNetworkFromPrimitives(TINY, seed=0)
    with pytest.raises(ValueError, match=r"fc1/kernel.*build_original_keras\(32, 2\)"):
        M.copy_weights(net, M.build_original_keras(64, seed=0))


def test_initial_weights_are_truncated_normal_005_and_biases_005():
    net = M.OriginalNetworkFromPrimitives(TINY, seed=3)
    model = M.build_original_keras(TINY, seed=3)
    for weights in (net.fc1_kernel.numpy(), model.get_layer("fc1").kernel.numpy()):
        assert np.abs(weights).max() <= 2 * 0.05 + 1e-6  # cut at two standard deviations
        assert 0.85 * 0.05 < weights.std() < 0.05  # a truncated normal is a bit narrower
        assert abs(weights.mean()) < 0.002
    for layer in TUTORIAL_PARAMETERS:
        np.testing.assert_array_equal(getattr(net, f"{layer}_bias").numpy(), np.float32(0.05))
        np.testing.assert_array_equal(model.get_layer(layer).bias.numpy(), np.float32(0.05))


def test_module_seed_gives_the_same_weights_and_another_seed_others():
    first, again, other = (M.OriginalNetworkFromPrimitives(TINY, seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(first.conv2_kernel.numpy(), again.conv2_kernel.numpy())
    assert not np.array_equal(first.conv2_kernel.numpy(), other.conv2_kernel.numpy())


def test_conv_block_is_conv_plus_bias_then_pool_then_relu():
    x = tf.constant(images(1, 6))
    kernel = tf.random.stateless_normal([3, 3, 3, 4], seed=[1, 2])
    bias = tf.constant([-1.0, 0.0, 0.5, 2.0])
    expected = tf.nn.relu(
        tf.nn.max_pool2d(tf.nn.conv2d(x, kernel, 1, "SAME") + bias, 2, 2, "SAME")
    )
    out = M.OriginalNetworkFromPrimitives.conv_block(x, kernel, bias)
    assert out.shape == (1, 3, 3, 4)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_forward_is_a_graph_function_with_an_image_signature(net_128):
    (spec,) = net_128.forward.input_signature
    assert spec.shape.as_list() == [None, None, None, 3] and spec.dtype == tf.float32


def test_gradients_reach_every_weight_of_the_module():
    net = M.OriginalNetworkFromPrimitives(TINY, seed=0)
    labels = tf.one_hot([0, 1], 2)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=net(images(2)))
        )
    gradients = tape.gradient(loss, net.trainable_variables)
    assert len(gradients) == 10
    assert all(g is not None and np.any(g.numpy() != 0) for g in gradients)


def test_module_accepts_float64_and_eager_tensors():
    net = M.OriginalNetworkFromPrimitives(TINY, seed=0)
    x = images(1)
    np.testing.assert_allclose(net(x.astype(np.float64)), net(tf.constant(x)), atol=1e-6)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((1, TINY, TINY, 3), np.uint8), r"floats in \[0, 1\].*uint8.*preprocess"),
        (np.zeros((TINY, TINY, 3), np.float32), r"one image.*image\[np.newaxis\]"),
        (np.zeros((1, 64, 64, 3), np.float32), r"\(batch, 32, 32, 3\).*32x32"),
        (np.zeros((1, TINY, TINY, 1), np.float32), r"\(batch, 32, 32, 3\)"),
    ],
)
def test_module_refuses_images_it_cannot_take(bad, message):
    net = M.OriginalNetworkFromPrimitives(TINY, seed=0)
    with pytest.raises(ValueError, match=message):
        net(bad)


def test_describe_lists_every_weight_and_the_total(net_128):
    text = net_128.describe()
    assert "conv1/kernel" in text and "(3, 3, 3, 32)" in text and "864" in text
    assert "fc1/kernel" in text and "(16384, 128)" in text and "2097152" in text
    assert text.splitlines()[-1] == "Total parameters: 2126178"


@pytest.mark.parametrize("bad", [1, 0, 2.0, True])
def test_module_refuses_fewer_than_two_classes(bad):
    with pytest.raises(ValueError, match="num_classes"):
        M.OriginalNetworkFromPrimitives(TINY, num_classes=bad)


# ---- the configurable builder ----------------------------------------------------------------


def test_original_config_builds_the_tutorial_network_at_128(keras_128):
    built = M.build_model(M.ORIGINAL, seed=1)
    assert layer_summary(built) == layer_summary(keras_128)
    assert built.count_params() == 2126178


def test_original_config_with_the_same_seed_gives_the_same_predictions():
    built = M.build_model(tiny(M.ORIGINAL, num_classes=3), seed=11)
    original = M.build_original_keras(TINY, 3, seed=11)
    np.testing.assert_array_equal(built(images(3)), original(images(3)))


@pytest.mark.parametrize("num_classes", [3, 5])
@pytest.mark.parametrize("name", ["ORIGINAL", "IMPROVED"])
def test_any_number_of_classes_gives_probabilities_summing_to_one(name, num_classes):
    model = M.build_model(tiny(getattr(M, name), num_classes=num_classes), seed=0)
    out = model(images(4)).numpy()
    assert out.shape == (4, num_classes)
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(out, tf.nn.softmax(M.logits_model(model)(images(4))), atol=1e-6)


def test_module_takes_any_number_of_classes():
    assert M.OriginalNetworkFromPrimitives(TINY, num_classes=5, seed=0)(images(2)).shape == (2, 5)


def test_no_model_rescales_its_input_and_every_model_ends_in_softmax():
    assert M.FROM_LOGITS is False
    for model in (M.build_model(tiny(M.ORIGINAL)), M.build_model(tiny(M.IMPROVED)),
                  M.build_original_keras(TINY)):
        names = [type(layer).__name__ for layer in model._flatten_layers()]
        assert "Rescaling" not in names and "Normalization" not in names
        assert model.layers[-1].name == "softmax"
        assert tuple(model.inputs[0].shape[1:]) == (TINY, TINY, 3)


def test_improved_is_five_batch_norm_blocks_with_augmentation_dropout_and_global_average():
    config = M.IMPROVED
    assert config.image_size == 96
    assert config.filters == (32, 64, 128, 256, 512) and config.batch_norm and config.augment
    assert config.head == "global_average" and config.dropout > 0
    model = M.build_model(config, seed=0)
    augmentation = model.get_layer("augmentation")
    assert [type(layer).__name__ for layer in augmentation.layers] == [
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
    ]
    assert augmentation.get_layer("flip").mode == "horizontal"
    assert tuple(augmentation.get_layer("contrast").value_range) == (0.0, 1.0)
    names = [layer.name for layer in model.layers]
    assert names[:6] == ["images", "augmentation", "conv1", "bn1", "relu1", "pool1"]
    assert names[-4:] == ["global_average_pooling", "dropout1", "fc1", "softmax"]
    assert model.get_layer("pool5").output.shape[1:] == (3, 3, 512)


def test_batch_norm_replaces_the_convolution_bias():
    model = M.build_model(tiny(M.ORIGINAL, batch_norm=True))
    assert model.get_layer("conv1").bias is None
    assert model.get_layer("conv1").count_params() == 3 * 3 * 3 * 32
    assert model.get_layer("bn1").count_params() == 4 * 32  # gamma, beta, moving mean, variance


def test_relu_and_max_pool_commute_so_both_orders_give_the_same_outputs():
    pool_first = M.build_model(tiny(M.ORIGINAL, order="conv-pool-relu"), seed=4)
    relu_first = M.build_model(tiny(M.ORIGINAL, order="conv-relu-pool"), seed=4)
    assert [layer.name for layer in relu_first.layers][1:4] == ["conv1", "relu1", "pool1"]
    np.testing.assert_allclose(pool_first(images(2)), relu_first(images(2)), atol=1e-6)


def test_global_average_head_needs_far_fewer_weights_than_flatten():
    flat = M.build_model(tiny(M.ORIGINAL))
    average = M.build_model(tiny(M.ORIGINAL, head="global_average"))
    assert flat.get_layer("fc1").count_params() == (4 * 4 * 64 + 1) * 128
    assert average.get_layer("fc1").count_params() == (64 + 1) * 128


def test_without_pooling_the_size_stays_and_dense_layers_are_named_in_order():
    model = M.build_model(tiny(M.ORIGINAL, filters=(8, 8), pool=False,
                               dense_units=(16, 8), dropout=0.5))
    assert model.get_layer("relu2").output.shape[1:] == (TINY, TINY, 8)
    assert [layer.name for layer in model.layers][-8:] == [
        "flatten", "dropout1", "fc1", "dropout2", "fc2", "dropout3", "fc3", "softmax",
    ]
    assert model.get_layer("fc3").units == 2


def test_he_initializer_starts_biases_at_zero():
    model = M.build_model(tiny(M.ORIGINAL, initializer="he"), seed=0)
    assert np.all(model.get_layer("conv1").bias.numpy() == 0)
    assert np.all(model.get_layer("fc2").bias.numpy() == 0)


def test_augmentation_changes_images_only_in_training_and_keeps_them_in_0_1():
    augmentation = M.build_augmentation(M.IMPROVED, seed=0)
    x = images(4)
    np.testing.assert_array_equal(augmentation(x, training=False), x)
    changed = augmentation(x, training=True).numpy()
    assert changed.shape == x.shape and not np.allclose(changed, x)
    assert changed.min() >= 0.0 and changed.max() <= 1.0


def test_augmented_model_augments_only_when_told_it_is_training():
    x = images(4)
    augmented = M.build_model(tiny(M.IMPROVED), seed=9)
    plain = M.build_model(tiny(M.IMPROVED, augment=False), seed=9)
    # same weights, and a plain call, predict and a sub-model leave the images alone
    np.testing.assert_array_equal(augmented(x), plain(x))
    np.testing.assert_array_equal(augmented.predict(x, verbose=0), augmented(x))
    seen = keras.Model(augmented.inputs[0], augmented.get_layer("augmentation").output)
    np.testing.assert_array_equal(seen(x), x)
    # fit calls the model with training=True: then the images change
    assert not np.allclose(seen(x, training=True), x)
    assert not np.allclose(augmented(x, training=True), plain(x, training=True))


def test_no_strength_means_no_augmentation_layer():
    config = tiny(M.ORIGINAL, augment=True, flip=False, rotation=0, zoom=0, translation=0,
                  contrast=0)
    assert "augmentation" not in [layer.name for layer in M.build_model(config).layers]


def test_zero_strengths_leave_out_their_layers():
    config = dataclasses.replace(M.IMPROVED, rotation=0, contrast=0.0, flip=False)
    names = [layer.name for layer in M.build_augmentation(config).layers]
    assert names == ["zoom", "translation"]


def test_improved_model_predicts_the_same_twice_and_trains():
    config = tiny(M.IMPROVED, num_classes=3)
    model = M.build_model(config, seed=0)
    x = images(8)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=M.FROM_LOGITS),
    )
    before = model.get_layer("conv1").kernel.numpy().copy()
    history = model.fit(x, tf.one_hot(np.arange(8) % 3, 3), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.array_equal(before, model.get_layer("conv1").kernel.numpy())


@SAVING_WARNING
@pytest.mark.parametrize("name", ["ORIGINAL", "IMPROVED"])
def test_keras_file_loads_in_safe_mode_with_the_same_predictions(name, tmp_path):
    model = M.build_model(tiny(getattr(M, name), num_classes=3), seed=2)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    x = images(3)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model(x), atol=1e-6)
    assert layer_summary(loaded) == layer_summary(model)
    if "augmentation" in [layer.name for layer in model.layers]:
        seen = keras.Model(loaded.inputs[0], loaded.get_layer("augmentation").output)
        np.testing.assert_array_equal(seen(x), x)
        assert not np.allclose(seen(x, training=True), x)


@SAVING_WARNING
def test_original_keras_model_loads_in_safe_mode(tmp_path):
    model = M.build_original_keras(TINY, seed=0)
    model.save(tmp_path / "original.keras")
    loaded = keras.models.load_model(tmp_path / "original.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(images(2)), model(images(2)), atol=1e-6)


def test_keras_weights_table_names_layers_and_skips_seed_states():
    rows = M.keras_weights_table(M.build_model(tiny(M.IMPROVED), seed=0))
    names = [row.name for row in rows]
    assert names[:5] == ["conv1/kernel", "bn1/gamma", "bn1/beta", "bn1/moving_mean",
                         "bn1/moving_variance"]
    assert names[-2:] == ["fc1/kernel", "fc1/bias"]
    assert not any("seed" in name for name in names)
    assert "Total parameters: 1572578" in M.format_weights_table(
        M.keras_weights_table(M.build_model(M.IMPROVED))
    )


def test_logits_model_refuses_a_model_without_softmax():
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="softmax"):
        M.logits_model(plain)


# ---- ModelConfig -----------------------------------------------------------------------------


def test_config_round_trips_through_json():
    for config in (M.ORIGINAL, M.IMPROVED):
        text = json.dumps(config.to_dict())
        assert M.ModelConfig.from_dict(json.loads(text)) == config


def test_config_turns_lists_into_tuples_and_is_hashable():
    config = M.ModelConfig(filters=[8, 16], dense_units=[])
    assert config.filters == (8, 16) and config.dense_units == ()
    assert hash(config) == hash(M.ModelConfig(filters=(8, 16), dense_units=()))


def test_config_from_dict_refuses_unknown_fields():
    with pytest.raises(ValueError, match="unknown ModelConfig field.*filter_count"):
        M.ModelConfig.from_dict({"filter_count": 3})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"num_classes": 1}, "num_classes must be at least 2"),
        ({"image_size": 0}, "image_size must be at least 1"),
        ({"image_size": 32.0}, "image_size must be a whole number"),
        ({"filters": ()}, "filters must hold at least one number"),
        ({"filters": 32}, "filters must be a tuple"),
        ({"filters": (32, 0)}, r"filters\[1\] must be at least 1"),
        ({"dense_units": (128, -1)}, r"dense_units\[1\] must be at least 1"),
        ({"dropout": 1.0}, "dropout must be between 0.0 and 0.95"),
        ({"order": "relu-conv-pool"}, "order must be one of 'conv-pool-relu', 'conv-relu-pool'"),
        ({"head": "average"}, "head must be one of 'flatten', 'global_average'"),
        ({"initializer": "glorot"}, "initializer must be one of"),
        ({"augment": "yes"}, "augment must be True or False"),
        ({"rotation": 45}, r"rotation must be between 0.0 and 0.5 \(a fraction of a full turn\)"),
        ({"contrast": -0.1}, "contrast must be between"),
    ],
)
def test_config_refuses_bad_values_with_a_message_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(M.ORIGINAL, **changes)


def test_build_model_refuses_something_else_than_a_config():
    with pytest.raises(ValueError, match="ModelConfig"):
        M.build_model({"image_size": 32})


def test_improved_batch_norm_uses_the_configured_momentum():
    model = M.build_model(dataclasses.replace(M.IMPROVED, image_size=32), seed=0)
    momenta = {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {M.IMPROVED.batch_norm_momentum} == {0.9}
    with pytest.raises(ValueError, match="batch_norm_momentum must be between"):
        dataclasses.replace(M.IMPROVED, batch_norm_momentum=1.5)
