"""Tests of helpers.explain: saliency maps and Grad-CAM on tiny models whose answers are known
by hand (a linear model, a global-average head, a model blind to the right half of the image),
and on the course's configurations (the tutorial's, and the improved one with batch norm and
augmentation inside the model)."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from helpers import explain
from helpers import model as M

SIZE = 16


def image(seed: int = 0, size: int = SIZE) -> np.ndarray:
    return np.random.default_rng(seed).random((size, size, 3), dtype=np.float32)


@pytest.fixture(scope="module")
def cam_model() -> keras.Model:
    """images → conv (8 maps) → ReLU → global average → dense (3 logits) → softmax."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="conv")(inputs)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(3, name="fc")(x)
    outputs = keras.layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def left_half_model() -> keras.Model:
    """A model that only looks at the left half: the right half is cut off and replaced by
    zeros before the convolution (no bias), so nothing on the right can change its answer."""
    keras.utils.set_random_seed(2)
    half = SIZE // 2
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Cropping2D(((0, 0), (0, half)))(inputs)          # keep columns 0..half-1
    x = keras.layers.ZeroPadding2D(((0, 0), (0, half)))(x)            # zeros on the right
    x = keras.layers.Conv2D(6, 3, padding="same", use_bias=False, name="conv")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(2, name="fc")(x)
    outputs = keras.layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs)


# ---- last_conv_layer_name ------------------------------------------------------------------------


def test_last_conv_layer_of_the_course_networks():
    assert explain.last_conv_layer_name(M.build_model(M.ORIGINAL)) == "conv3"
    improved = dataclasses.replace(M.IMPROVED, image_size=32)
    assert explain.last_conv_layer_name(M.build_model(improved)) == "conv5"


def test_grad_cam_layer_is_the_last_convolution_after_its_batch_norm_and_relu():
    improved = M.build_model(dataclasses.replace(M.IMPROVED, image_size=32))
    assert explain.grad_cam_layer_name(improved) == "relu5"            # conv5 → bn5 → relu5 → pool5
    assert explain.grad_cam_layer_name(M.build_model(M.ORIGINAL)) == "conv3"   # conv3 → pool3 → relu3


def test_a_model_without_convolution_is_refused_with_its_layers_named():
    inputs = keras.Input((4,))
    dense = keras.Model(inputs, keras.layers.Dense(2, name="only_dense")(inputs))
    with pytest.raises(ValueError, match="no Conv2D layer.*only_dense"):
        explain.last_conv_layer_name(dense)


# ---- saliency ------------------------------------------------------------------------------------


def test_saliency_of_a_linear_model_is_the_largest_weight_per_pixel():
    # y = Σ x·w + b: ∂y_c/∂x[i, j, ch] = w[i, j, ch, c], so M = max over ch of |w|
    keras.utils.set_random_seed(3)
    inputs = keras.Input((SIZE, SIZE, 3))
    logits = keras.layers.Dense(2, name="fc")(keras.layers.Flatten()(inputs))
    linear = keras.Model(inputs, keras.layers.Softmax(name="softmax")(logits))
    weights = linear.get_layer("fc").kernel.numpy().reshape(SIZE, SIZE, 3, 2)
    for c in (0, 1):
        expected = np.abs(weights[..., c]).max(axis=-1)
        np.testing.assert_allclose(explain.saliency_map(linear, image(), class_index=c), expected,
                                   rtol=1e-5, atol=1e-7)


def test_saliency_has_the_image_shape_and_is_not_negative(cam_model):
    saliency = explain.saliency_map(cam_model, image())
    assert saliency.shape == (SIZE, SIZE) and saliency.dtype == np.float32
    assert (saliency >= 0).all() and saliency.max() > 0


def test_saliency_is_zero_where_the_model_does_not_look(left_half_model):
    saliency = explain.saliency_map(left_half_model, image(4))
    assert np.all(saliency[:, SIZE // 2:] == 0)
    assert saliency[:, :SIZE // 2].sum() > 0


def test_saliency_accepts_a_batch_of_one(cam_model):
    x = image(5)
    np.testing.assert_array_equal(explain.saliency_map(cam_model, x),
                                  explain.saliency_map(cam_model, x[np.newaxis]))


# ---- Grad-CAM ------------------------------------------------------------------------------------


def test_grad_cam_after_a_global_average_and_one_dense_layer_is_the_class_activation_map(cam_model):
    # y_c = Σ_k w[k, c] · mean_ij A^k[i, j] + b_c  ⇒  α_k = w[k, c] / (h·w)
    # ⇒  L = ReLU(Σ_k w[k, c] A^k) / (h·w)   (Zhou et al.'s CAM, scaled)
    x = image(6)
    maps = keras.Model(cam_model.inputs[0], cam_model.get_layer("relu").output)(x[np.newaxis])
    maps = np.asarray(maps)[0]                                    # (h, w, K)
    w = cam_model.get_layer("fc").kernel.numpy()                 # (K, classes)
    for c in range(3):
        expected = np.maximum(maps @ w[:, c], 0) / (SIZE * SIZE)
        got = explain.grad_cam(cam_model, x, layer_name="relu", class_index=c)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7)


def test_grad_cam_default_layer_is_the_last_convolution_after_its_relu(cam_model):
    x = image(7)
    assert explain.grad_cam_layer_name(cam_model) == "relu"
    np.testing.assert_array_equal(explain.grad_cam(cam_model, x),
                                  explain.grad_cam(cam_model, x, layer_name="relu"))


def test_grad_cam_default_class_is_the_predicted_one(cam_model):
    x = image(8)
    predicted = int(np.argmax(cam_model(x[np.newaxis])))
    np.testing.assert_array_equal(explain.grad_cam(cam_model, x),
                                  explain.grad_cam(cam_model, x, class_index=predicted))


def test_grad_cam_is_concentrated_where_the_model_looks(left_half_model):
    lit = 0
    for seed in range(3):
        x = image(10 + seed)
        predicted = int(np.argmax(left_half_model(x[np.newaxis])))
        for c in {predicted, 1 - predicted}:
            heatmap = explain.grad_cam(left_half_model, x, class_index=c)
            assert heatmap.shape == (SIZE, SIZE)
            assert (heatmap >= 0).all()
            # nothing right of the middle, except the first column there, which still sees
            # the last left pixels through the 3x3 filter
            assert np.all(heatmap[:, SIZE // 2 + 1:] == 0)
            lit += heatmap[:, :SIZE // 2].sum() > 0
    assert lit >= 3  # most maps are not all zero: the test is not passing vacuously


def test_grad_cam_on_the_tutorial_network_has_the_grid_of_its_last_convolution():
    original = M.build_model(dataclasses.replace(M.ORIGINAL, image_size=32), seed=0)
    heatmap = explain.grad_cam(original, image(20, 32))
    assert heatmap.shape == (8, 8) and heatmap.dtype == np.float32   # conv3 sees 32/4 = 8
    assert (heatmap >= 0).all()
    assert explain.saliency_map(original, image(20, 32)).shape == (32, 32)


def test_the_improved_network_gives_the_same_maps_every_time():
    # batch norm and augmentation inside the model: inference mode, no random flips or zooms
    config = dataclasses.replace(M.IMPROVED, image_size=32)
    improved = M.build_model(config, seed=0)
    x = image(21, 32)
    first, second = explain.grad_cam(improved, x), explain.grad_cam(improved, x)
    assert first.shape == (2, 2)                                        # relu5 sees 32/16 = 2
    np.testing.assert_array_equal(first, second)
    assert (first >= 0).all()
    np.testing.assert_array_equal(explain.saliency_map(improved, x),
                                  explain.saliency_map(improved, x))
    assert explain.grad_cam(improved, x, layer_name="relu4").shape == (4, 4)
    pooled = explain.grad_cam(improved, x, layer_name="pool5")
    assert pooled.shape == (1, 1)


def test_bad_arguments_say_what_is_wrong(cam_model):
    with pytest.raises(ValueError, match=r"shape \(16, 16, 3\).*got shape \(8, 8, 3\)"):
        explain.grad_cam(cam_model, image(size=8))
    with pytest.raises(ValueError, match="floats in \\[0, 1\\]"):
        explain.saliency_map(cam_model, (image() * 255).astype(np.uint8))
    with pytest.raises(ValueError, match="no layer 'conv9'"):
        explain.grad_cam(cam_model, image(), layer_name="conv9")
    with pytest.raises(ValueError, match="not feature maps"):
        explain.grad_cam(cam_model, image(), layer_name="fc")
    with pytest.raises(ValueError, match=r"class_index must be in \[0, 2\]"):
        explain.grad_cam(cam_model, image(), class_index=3)
