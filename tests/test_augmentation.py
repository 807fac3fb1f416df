"""Tests of helpers.augmentation: the one table of strengths, and the layers made from it."""

from __future__ import annotations

import numpy as np

from helpers import augmentation, data
from helpers import model as M


def test_one_table_gives_the_layers_and_the_models_defaults():
    block = augmentation.make_augmenter(seed=0)
    assert [layer.name for layer in block.layers] == list(augmentation.STRENGTHS)
    assert block.get_layer("rotation").factor == (-0.05, 0.05)
    for name, strength in augmentation.STRENGTHS.items():
        assert getattr(M.ModelConfig(), name) == strength and getattr(M.IMPROVED, name) == strength
    assert data.make_augmenter is augmentation.make_augmenter


def test_a_zero_strength_leaves_its_layer_out_and_training_false_changes_nothing():
    block = augmentation.make_augmenter(flip=False, zoom=0, contrast=0)
    assert [layer.name for layer in block.layers] == ["rotation", "translation"]
    images = np.random.default_rng(0).random((2, 16, 16, 3)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(block(images, training=False)), images)
    assert not np.allclose(np.asarray(augmentation.make_augmenter(seed=1)(images, training=True)),
                           images)
