"""Where a trained network looks: gradient saliency maps and Grad-CAM (notebook 10).

Both answer "which pixels made the network say class c?" with a gradient. The score they
differentiate is the class's **logit** :math:`y_c`, the input of the final softmax (the
softmax couples the classes: a probability near 1 has a gradient near 0 everywhere).

**Saliency map** (Simonyan, Vedaldi and Zisserman, 2014): how much a tiny change of each pixel
changes the score, the largest over the three colour channels::

    M[i, j] = max over ch of | ∂y_c / ∂x[i, j, ch] |            (H, W), like the image

Sharp but noisy: it is the network's sensitivity, pixel by pixel.

**Grad-CAM** (Selvaraju et al., 2017): take the feature maps ``A`` of a convolutional layer,
(h, w, K), and weigh each map by how much the score rises with it on average::

    α_k = (1 / (h·w)) · Σ_i Σ_j  ∂y_c / ∂A^k[i, j]              one weight per map k
    L   = ReLU( Σ_k  α_k · A^k )                                 (h, w), the layer's grid

ReLU keeps the places that speak *for* class c. The map is as coarse as the layer (6×6 for
the last convolution of the course's network on 96×96 photos) and is stretched over the photo
to be drawn (``helpers.plots.overlay_heatmap``).

Which maps ``A``: by default those of the last convolution *after* the batch normalisation and
ReLU that directly follow it (:func:`grad_cam_layer_name`: ``relu5`` in the course's network,
``conv3`` in the tutorial's, whose pooling comes before its ReLU). The paper used the rectified
maps of the last convolution too (VGG's conv5_3 includes its ReLU). The raw convolution output
of a batch-norm network is a poor choice: batch norm subtracts a different mean from each map,
so the raw maps carry large per-map offsets that dominate ``Σ_k α_k A^k``. When the layer is followed only by a global
average and one dense layer, ``α_k`` is that layer's weight ``w[k, c] / (h·w)`` and Grad-CAM is
the class activation map of Zhou et al. (2016); notebook 10 checks this in numpy.

The models are the course's (``helpers.model.build_model``): their augmentation block runs only
in training, and every call here passes ``training=False``, so batch normalisation uses its
moving averages, dropout keeps everything and no photo is flipped or rotated: the same image
always gives the same map.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

__all__ = ["last_conv_layer_name", "grad_cam_layer_name", "saliency_map", "grad_cam"]

#: Layers that keep a convolution's grid and follow it within its block: Grad-CAM's default maps
#: are taken after them.
_SAME_GRID = (keras.layers.BatchNormalization, keras.layers.ReLU, keras.layers.Activation,
              keras.layers.LeakyReLU, keras.layers.ELU, keras.layers.PReLU)


def last_conv_layer_name(model: keras.Model) -> str:
    """The name of the model's last ``Conv2D`` layer (in the order of ``model.layers``), e.g.
    "conv5" for the course's network; ValueError when it has none."""
    names = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if not names:
        raise ValueError(f"model {model.name!r} has no Conv2D layer for Grad-CAM; its layers are "
                         f"{', '.join(layer.name for layer in model.layers)}")
    return names[-1]


def grad_cam_layer_name(model: keras.Model) -> str:
    """The layer whose maps :func:`grad_cam` uses by default: the last ``Conv2D``, or the last
    of the batch normalisation and activation layers that directly follow it (same grid), e.g.
    "relu5" for the course's network (conv5 → bn5 → relu5 → pool5) and "conv3" for the
    tutorial's (conv3 → pool3 → relu3)."""
    layers = list(model.layers)
    index = [layer.name for layer in layers].index(last_conv_layer_name(model))
    while index + 1 < len(layers) and isinstance(layers[index + 1], _SAME_GRID):
        index += 1
    return layers[index].name


def _score_tensor(model: keras.Model):
    """The symbolic tensor whose entries are the class scores: the input of the layer named
    "softmax" (the logits) when there is one, else the model's output."""
    try:
        return model.get_layer("softmax").input
    except ValueError:
        return model.outputs[0]


def _batch_of_one(model: keras.Model, image: np.ndarray) -> tf.Tensor:
    """``image`` (H, W, 3) or (1, H, W, 3) as a float32 batch of one the model accepts."""
    array = np.asarray(image)
    if array.ndim == 3:
        array = array[np.newaxis]
    expected = tuple(model.input_shape[1:])
    if array.ndim != 4 or array.shape[0] != 1 or any(
            e is not None and e != g for e, g in zip(expected, array.shape[1:])):
        raise ValueError(f"image must be one prepared image of shape {expected} (or a batch of "
                         f"one), got shape {np.asarray(image).shape}; prepare it with "
                         "helpers.images.load_for_model(path, image_size)")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"image must hold floats in [0, 1] (images.load_for_model), got "
                         f"{array.dtype}")
    return tf.convert_to_tensor(array, dtype=tf.float32)


def _class_of(scores: tf.Tensor, class_index: int | None) -> int:
    num_classes = int(scores.shape[-1])
    if class_index is None:
        return int(tf.argmax(scores[0]))
    if isinstance(class_index, bool) or not 0 <= int(class_index) < num_classes:
        raise ValueError(f"class_index must be in [0, {num_classes - 1}], got {class_index!r}")
    return int(class_index)


def saliency_map(model: keras.Model, image: np.ndarray,
                 class_index: int | None = None) -> np.ndarray:
    """``M[i, j] = max_ch |∂y_c / ∂x[i, j, ch]|``: float32 (H, W), at least 0.

    ``image``: one prepared image (H, W, 3) in [0, 1] (or a batch of one), as
    ``helpers.images.load_for_model`` returns it. ``class_index``: the class c whose logit
    ``y_c`` is differentiated; None for the predicted class.
    """
    x = _batch_of_one(model, image)
    score_model = keras.Model(model.inputs[0], _score_tensor(model))
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = score_model(x, training=False)
        c = _class_of(scores, class_index)
        score = scores[0, c]
    gradient = tape.gradient(score, x)[0]  # (H, W, 3)
    return tf.reduce_max(tf.abs(gradient), axis=-1).numpy().astype(np.float32)


def grad_cam(model: keras.Model, image: np.ndarray, layer_name: str | None = None,
             class_index: int | None = None) -> np.ndarray:
    """Grad-CAM: ``α_k = mean_ij ∂y_c/∂A^k[i, j]``, ``L = ReLU(Σ_k α_k A^k)``; float32 (h, w) ≥ 0.

    ``A`` is the output (1, h, w, K) of the layer ``layer_name`` (None: the last convolution
    after its batch norm and ReLU, :func:`grad_cam_layer_name`); ``y_c`` the logit of class
    ``class_index`` (None: the predicted class). ``image``: one prepared image (H, W, 3) in [0, 1] (or a batch of one).
    The map is on the layer's grid (h, w); ``plots.overlay_heatmap`` stretches it over a photo.
    """
    x = _batch_of_one(model, image)
    name = layer_name or grad_cam_layer_name(model)
    try:
        layer = model.get_layer(name)
    except ValueError:
        raise ValueError(f"model {model.name!r} has no layer {name!r}; its layers are "
                         f"{', '.join(item.name for item in model.layers)}") from None
    if len(layer.output.shape) != 4:
        raise ValueError(f"layer {name!r} gives {tuple(layer.output.shape)}, not feature maps "
                         "(batch, h, w, K): choose a convolution, ReLU or pooling layer")
    maps_and_scores = keras.Model(model.inputs[0], [layer.output, _score_tensor(model)])
    with tf.GradientTape() as tape:
        maps, scores = maps_and_scores(x, training=False)  # the tape watches maps: an output
        tape.watch(maps)
        c = _class_of(scores, class_index)
        score = scores[0, c]
    gradients = tape.gradient(score, maps)[0]               # (h, w, K): ∂y_c / ∂A^k[i, j]
    alpha = tf.reduce_mean(gradients, axis=(0, 1))          # (K,)
    heatmap = tf.nn.relu(tf.tensordot(maps[0], alpha, axes=([2], [0])))  # (h, w)
    return heatmap.numpy().astype(np.float32)
