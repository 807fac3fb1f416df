"""Tiny generated datasets and a tiny network for the train, predict and evaluate tests.

Each class is a shape of its own colour on a noisy grey background, at a random place and size:
a small network tells them apart after a couple of epochs. Nothing is committed: the images are
PNG files written into ``tmp_path``. Import as ``import _tiny_datasets as tiny``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

import _imagefactory as factory
from helpers.model import ModelConfig

#: The class names, sorted as the label ids are, and the colour (RGB) of each class's shape.
CLASSES = {"circles": (220, 40, 40), "squares": (40, 200, 60), "triangles": (50, 70, 230)}
SHAPES = ("circles", "squares", "triangles")

#: The side of the test images and of the tiny network's input.
SIZE = 32

#: A network small enough to train two epochs in a few seconds.
TINY_CONFIG = ModelConfig(image_size=SIZE, filters=(4, 8), dense_units=(16,),
                          order="conv-relu-pool", initializer="he")


def shape_image(name: str, seed: int, size: int = SIZE) -> np.ndarray:
    """An RGB uint8 (size, size, 3) picture of ``name``: circles, squares or triangles."""
    rng = np.random.default_rng(seed)
    image = rng.integers(90, 150, size=(size, size, 3)).astype(np.uint8)
    colour = tuple(int(c) for c in CLASSES[name])
    radius = int(rng.integers(size // 5, size // 3))
    cx, cy = (int(v) for v in rng.integers(radius, size - radius, size=2))
    if name == "circles":
        cv2.circle(image, (cx, cy), radius, colour, thickness=-1)
    elif name == "squares":
        cv2.rectangle(image, (cx - radius, cy - radius), (cx + radius, cy + radius), colour, -1)
    else:
        points = np.array([[cx, cy - radius], [cx - radius, cy + radius],
                           [cx + radius, cy + radius]])
        cv2.fillPoly(image, [points.astype(np.int32)], colour)
    return image


def make_shapes(root: Path, per_class: int = 12, classes=tuple(CLASSES), seed: int = 0,
                size: int = SIZE) -> Path:
    """``root/<class>/<class>_<i>.png`` for each class; returns ``root``. Other class names
    than the three shapes get the shapes in turn (the first a circle, and so on)."""
    for class_index, name in enumerate(classes):
        shape = name if name in CLASSES else SHAPES[class_index % len(SHAPES)]
        for i in range(per_class):
            image = shape_image(shape, seed=seed * 10_000 + class_index * 1000 + i, size=size)
            factory.write(root / name / f"{name}_{i:02d}.png", factory.png_bytes(image))
    return root
