"""Augmentation: random changes of the training images, as Keras preprocessing layers (notebook 12).

The one table of the course's augmentation, :data:`STRENGTHS`: each change and how strong it
is. :func:`make_augmenter` turns strengths into layers; ``helpers.model.ModelConfig`` takes its
default strengths from the table and puts the block inside a model, so that it is saved with
the model and runs only while training; ``helpers.data`` offers the same block for tf.data.
TensorFlow is imported only when a block is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

#: The course's augmentation, one entry per layer (0 or False leaves a change out):
#:
#: - ``flip``: ``RandomFlip("horizontal")``: a cat looking left is still a cat (no upside-down flips);
#: - ``rotation``: ``RandomRotation``: up to ± rotation × 360° (0.05: ± 18°);
#: - ``zoom``: ``RandomZoom``: in or out by up to this fraction (0.2: 20 %);
#: - ``translation``: ``RandomTranslation``: shifts by up to this fraction of height and width
#:   (0.15: 15 %); with the zoom, each epoch shows a differently framed crop of every photo;
#: - ``contrast``: ``RandomContrast`` with ``value_range=(0, 1)``, as our pixels are in [0, 1].
#:   Keras 3.15 draws a single-number factor from [1, 1 + contrast] only (its documentation says
#:   [1 - contrast, 1 + contrast]; ``(contrast, contrast)`` gives that), so this block only ever
#:   raises contrast. The course's recipe was chosen and measured with it as it is; changing it
#:   needs the recipe measured again (benchmarks/train.py).
STRENGTHS: dict[str, bool | float] = {
    "flip": True,
    "rotation": 0.05,
    "zoom": 0.2,
    "translation": 0.15,
    "contrast": 0.2,
}


def make_augmenter(seed: int | None = None, *, flip: bool = STRENGTHS["flip"],
                   rotation: float = STRENGTHS["rotation"], zoom: float = STRENGTHS["zoom"],
                   translation: float = STRENGTHS["translation"],
                   contrast: float = STRENGTHS["contrast"]) -> keras.Sequential:
    """Random changes of a batch of images in [0, 1]: a ``keras.Sequential`` named "augmentation"
    with one layer per change that is not 0 (see :data:`STRENGTHS`), each seeded on its own.

    Call it with ``training=True`` to change images; with ``training=False`` it passes them
    through unchanged. Set a factor to 0 (or ``flip=False``) to leave that change out.
    """
    import keras

    def layer_seed(i: int) -> int | None:
        return None if seed is None else seed + i  # a different stream for each layer

    layers = []
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=layer_seed(0), name="flip"))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, seed=layer_seed(1), name="rotation"))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, seed=layer_seed(2), name="zoom"))
    if translation:
        layers.append(keras.layers.RandomTranslation(translation, translation, seed=layer_seed(3),
                                                     name="translation"))
    if contrast:
        layers.append(keras.layers.RandomContrast(contrast, value_range=(0, 1), seed=layer_seed(4),
                                                  name="contrast"))
    return keras.Sequential(layers, name="augmentation")
