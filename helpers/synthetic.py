"""A multi-class dataset made offline in seconds: shapes drawn with OpenCV (notebook 11).

``make_shapes_dataset`` writes the course's folder layout, so everything that works on the
cats-vs-dogs photos (the scan report, ``helpers.train``, ``helpers.evaluate``) works on it::

    make_shapes_dataset("build/shapes", per_class=500)
    build/shapes/
      training_data/  circle/ circle_0000.png ...   square/ ...   star/ ...   triangle/ ...
      testing_data/   circle/ circle_0000.png ...   (round(split × per_class) per class)

Each picture is one shape on a plain background, drawn by :func:`draw_shape`::

    placement   the radius of the shape's circumscribed circle (a fraction of the image side,
                drawn from ``style.size``), a centre that keeps the shape inside the picture and
                a rotation angle
    mask        the shape's coverage in [0, 1] per pixel, anti-aliased: ``cv2.circle`` for a
                circle, ``cv2.fillPoly`` for the polygons (square, triangle, star, pentagon,
                hexagon, each turned by the angle)
    paint       a random background colour and a random shape colour (by default a light
                background and a dark shape, any hue), optional distractors (thin lines and
                dots), the shape blended in by its mask, then Gaussian noise of standard
                deviation ``style.noise``, clipped to 0..255

The drawing happens in RGB: OpenCV's drawing functions do not care about channel order, they
write the three numbers they are given. Only writing a file does: ``cv2.imencode`` expects
BGR, so :func:`write_rgb` reverses the channels on the way out (the mirror image of
``helpers.images.read_rgb``, the one place BGR becomes RGB on the way in). A PNG written here
and read back with ``read_rgb`` gives the very same array.

Every picture has its own random generator, seeded with ``(seed, split, kind, index)``: the same
seed gives the same files byte for byte, and a class's pictures do not change when other
classes are added or removed.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from helpers.images import check_size

#: The shapes :func:`draw_shape` knows, and the number of corners of each polygon.
CORNERS = {"circle": 0, "square": 4, "triangle": 3, "star": 10, "pentagon": 5, "hexagon": 6}
KINDS = tuple(CORNERS)

#: The classes of :func:`make_shapes_dataset` unless told otherwise.
DEFAULT_CLASSES = ("circle", "square", "triangle", "star")

#: The folders of a dataset, as in ``cats-dogs``; their index is part of each picture's seed.
SPLITS = ("training_data", "testing_data")

#: File formats :func:`write_rgb` and :func:`make_shapes_dataset` write.
FORMATS = {"png": ".png", "jpg": ".jpg"}

# The drawing is done on a grid SUBPIXEL times finer than the pixels (OpenCV's `shift`
# argument), so a shape's corners do not snap to whole pixels.
_SHIFT = 4
_SUBPIXEL = 1 << _SHIFT
_CIRCLE_POINTS = 0  # a circle is drawn by cv2.circle, not as a polygon


@dataclass(frozen=True)
class Style:
    """How a picture is drawn; every field makes the problem easier or harder.

    size: (smallest, largest) radius of the shape's circumscribed circle, as a fraction of the
        image side (0.45 nearly fills the picture; 0.1 is a small shape far away).
    background, foreground: each of the three channels (red, green, blue) of the background's
        colour, and of the shape's, is drawn from this range of 0..255. The default, a light
        background (150..255) and a dark shape (0..110), gives every hue but always a dark shape
        on a light ground; (0, 255) for both allows any colour on any colour.
    min_contrast, max_contrast: the distance between the two colours,
        ``sqrt(dr² + dg² + db²)`` in 0..255 units, must lie between these (max None: no upper
        limit); colours are drawn again until it does. A small max_contrast gives shapes that
        barely stand out.
    noise: standard deviation of the Gaussian noise added to every pixel (0..255 units).
    distractors: thin lines and dots in random colours drawn under the shape.
    star_inner: a star's inner corners sit at this fraction of its outer radius.
    """

    size: tuple[float, float] = (0.25, 0.45)
    background: tuple[float, float] = (150.0, 255.0)
    foreground: tuple[float, float] = (0.0, 110.0)
    min_contrast: float = 0.0
    max_contrast: float | None = None
    noise: float = 8.0
    distractors: int = 0
    star_inner: float = 0.45

    def __post_init__(self) -> None:
        low, high = self.size
        if not 0 < low <= high <= 0.5:
            raise ValueError(f"size must be (smallest, largest) with 0 < smallest <= largest "
                             f"<= 0.5 (a fraction of the image side); got {self.size}")
        for name in ("background", "foreground"):
            low, high = getattr(self, name)
            if not 0 <= low <= high <= 255:
                raise ValueError(f"{name} must be a channel range (low, high) with "
                                 f"0 <= low <= high <= 255; got {getattr(self, name)}")
        top = math.sqrt(3) * 255
        if not 0 <= self.min_contrast < top:
            raise ValueError(f"min_contrast must be in [0, {top:.0f}), got {self.min_contrast}")
        if self.max_contrast is not None and not self.min_contrast < self.max_contrast:
            raise ValueError(f"max_contrast ({self.max_contrast}) must be above min_contrast "
                             f"({self.min_contrast})")
        if self.noise < 0:
            raise ValueError(f"noise must be at least 0, got {self.noise}")
        if self.distractors < 0:
            raise ValueError(f"distractors must be at least 0, got {self.distractors}")
        if not 0 < self.star_inner < 1:
            raise ValueError(f"star_inner must be between 0 and 1, got {self.star_inner}")


#: Big, clean, dark shapes of any hue on light backgrounds of any hue: the easy problem.
EASY = Style()
#: The same shapes in any colour on any background (dark on light or light on dark), the two
#: colours at least 120 apart: the network must now learn to ignore colour entirely.
ANY_COLOUR = Style(background=(0.0, 255.0), foreground=(0.0, 255.0), min_contrast=120.0)
#: The easy colours, but small shapes (a third of the size), heavy noise and distractors:
#: less signal in each picture.
SMALL_NOISY = Style(size=(0.15, 0.3), noise=30.0, distractors=3)
#: Both at once: any colours, small shapes, heavy noise, distractors.
HARD = Style(size=(0.15, 0.3), background=(0.0, 255.0), foreground=(0.0, 255.0),
             min_contrast=120.0, noise=30.0, distractors=3)


def _check_kind(kind: str) -> None:
    if kind not in CORNERS:
        raise ValueError(f"unknown shape {kind!r}; choose from {', '.join(KINDS)}")


def _check_image_size(image_size: int) -> int:
    return check_size(image_size, "image_size", low=16)


# --------------------------------------------------------------------------------------------
# Geometry: where the shape goes and its corners
# --------------------------------------------------------------------------------------------


def polygon_points(kind: str, center: tuple[float, float], radius: float,
                   angle: float, star_inner: float = EASY.star_inner) -> np.ndarray:
    """The corners of a polygon shape as float64 ``(corners, 2)`` (x, y) pixel positions.

    The corners lie on the circle of ``radius`` around ``center`` (a star's inner corners on
    one of ``star_inner × radius``), the first one at ``angle`` radians from straight up,
    the rest evenly spaced. A square is the 4-corner regular polygon (a diamond before it is
    turned). Returns an empty ``(0, 2)`` array for a circle.
    """
    _check_kind(kind)
    corners = CORNERS[kind]
    if corners == _CIRCLE_POINTS:
        return np.zeros((0, 2))
    steps = np.arange(corners)
    angles = angle + 2 * np.pi * steps / corners
    radii = np.full(corners, float(radius))
    if kind == "star":  # 5 outer points, 5 inner ones between them
        radii[1::2] *= star_inner
    x = center[0] + radii * np.sin(angles)
    y = center[1] - radii * np.cos(angles)  # image rows grow downwards
    return np.stack([x, y], axis=1)


def polygon_mask(points: np.ndarray, image_size: int) -> np.ndarray:
    """The coverage of a filled polygon, float32 ``(image_size, image_size)`` in [0, 1].

    ``points`` (corners, 2) are (x, y) pixel positions, fractions allowed. Edge pixels get the
    fraction of them the polygon covers (anti-aliased, ``cv2.LINE_AA``).
    """
    image_size = _check_image_size(image_size)
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
        raise ValueError(f"points must be (corners, 2) with at least 3 corners, got shape "
                         f"{points.shape}")
    canvas = np.zeros((image_size, image_size), np.uint8)
    fixed = np.round(points * _SUBPIXEL).astype(np.int32)
    cv2.fillPoly(canvas, [fixed], 255, lineType=cv2.LINE_AA, shift=_SHIFT)
    return canvas.astype(np.float32) / 255


def circle_mask(center: tuple[float, float], radius: float, image_size: int) -> np.ndarray:
    """The coverage of a filled circle, float32 ``(image_size, image_size)`` in [0, 1]."""
    image_size = _check_image_size(image_size)
    canvas = np.zeros((image_size, image_size), np.uint8)
    fixed_center = (int(round(center[0] * _SUBPIXEL)), int(round(center[1] * _SUBPIXEL)))
    cv2.circle(canvas, fixed_center, int(round(radius * _SUBPIXEL)), 255, thickness=-1,
               lineType=cv2.LINE_AA, shift=_SHIFT)
    return canvas.astype(np.float32) / 255


def shape_mask(kind: str, image_size: int, center: tuple[float, float], radius: float,
               angle: float = 0.0, style: Style = EASY) -> np.ndarray:
    """The coverage of one shape, float32 ``(image_size, image_size)`` in [0, 1]."""
    _check_kind(kind)
    if kind == "circle":
        return circle_mask(center, radius, image_size)
    return polygon_mask(polygon_points(kind, center, radius, angle, style.star_inner), image_size)


@dataclass(frozen=True)
class Placement:
    """Where a shape goes: its centre (x, y) and circumscribed radius in pixels, its angle."""

    center: tuple[float, float]
    radius: float
    angle: float


def random_placement(image_size: int, rng: np.random.Generator,
                     style: Style = EASY) -> Placement:
    """A random radius (``style.size`` × image side), a centre that keeps the whole shape
    inside the picture, and an angle in [0, 2π)."""
    image_size = _check_image_size(image_size)
    radius = rng.uniform(*style.size) * image_size
    margin = radius + 1.0
    x, y = rng.uniform(margin, image_size - margin, size=2)
    return Placement((float(x), float(y)), float(radius), float(rng.uniform(0, 2 * np.pi)))


# --------------------------------------------------------------------------------------------
# Colour: background, shape, distractors, noise
# --------------------------------------------------------------------------------------------


def random_colours(rng: np.random.Generator, style: Style = EASY) -> tuple[np.ndarray, np.ndarray]:
    """``(background, foreground)``: two RGB colours (float64, 0..255), each channel drawn from
    ``style.background`` and ``style.foreground``, whose distance ``sqrt(dr² + dg² + db²)``
    lies between ``style.min_contrast`` and ``style.max_contrast``.

    Drawn again until it does (rejection sampling): a few draws on average.
    """
    top = style.max_contrast if style.max_contrast is not None else np.inf
    for _ in range(10_000):
        background = rng.uniform(*style.background, size=3)
        foreground = rng.uniform(*style.foreground, size=3)
        distance = float(np.linalg.norm(foreground - background))
        if style.min_contrast <= distance <= top:
            return background, foreground
    raise ValueError(f"no pair of colours from the ranges {style.background} and "
                     f"{style.foreground} is {style.min_contrast}..{top} apart")


def _draw_distractors(image: np.ndarray, count: int, rng: np.random.Generator) -> None:
    """Thin lines and small dots in random colours, drawn into ``image`` (float RGB) in place."""
    size = image.shape[0]
    for _ in range(count):
        colour = tuple(float(c) for c in rng.uniform(0, 255, size=3))
        if rng.random() < 0.5:
            start, end = (tuple(int(v) for v in rng.integers(0, size, size=2)) for _ in range(2))
            cv2.line(image, start, end, colour, thickness=1, lineType=cv2.LINE_AA)
        else:
            center = tuple(int(v) for v in rng.integers(0, size, size=2))
            cv2.circle(image, center, int(rng.integers(1, max(2, size // 32) + 1)), colour,
                       thickness=-1, lineType=cv2.LINE_AA)


def paint(mask: np.ndarray, rng: np.random.Generator, style: Style = EASY) -> np.ndarray:
    """A picture of ``mask`` (coverage (size, size) in [0, 1]): RGB uint8 ``(size, size, 3)``.

    A background colour and a shape colour from :func:`random_colours`, ``style.distractors``
    lines and dots under the shape, the shape blended in by its coverage
    (``pixel = (1 - m) · background + m · shape``), then Gaussian noise of standard deviation
    ``style.noise``, rounded and clipped to 0..255.
    """
    mask = np.asarray(mask, dtype=np.float32)
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        raise ValueError(f"mask must be a square (size, size) array of coverage, got {mask.shape}")
    background, foreground = random_colours(rng, style)
    image = np.empty((*mask.shape, 3), np.float32)
    image[:] = background
    _draw_distractors(image, style.distractors, rng)
    coverage = mask[..., np.newaxis]
    image = (1 - coverage) * image + coverage * foreground.astype(np.float32)
    if style.noise:
        image += rng.normal(0, style.noise, size=image.shape).astype(np.float32)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def draw_shape(kind: str, image_size: int, rng: np.random.Generator,
               style: Style = EASY) -> np.ndarray:
    """One picture of a ``kind`` shape: RGB uint8 ``(image_size, image_size, 3)``.

    ``kind`` is one of :data:`KINDS`. The size, position, rotation, colours, distractors and
    noise are drawn from ``rng`` within the limits of ``style``; the same generator state gives
    the same picture.
    """
    _check_kind(kind)
    image_size = _check_image_size(image_size)
    where = random_placement(image_size, rng, style)
    mask = shape_mask(kind, image_size, where.center, where.radius, where.angle, style)
    return paint(mask, rng, style)


# --------------------------------------------------------------------------------------------
# Files and folders
# --------------------------------------------------------------------------------------------


def write_rgb(path: str | os.PathLike, image: np.ndarray, quality: int = 95) -> Path:
    """Write an RGB uint8 image ``(height, width, 3)`` as PNG or JPEG (by the file's extension).

    OpenCV's encoder expects BGR, so the channels are reversed here, on the way out:
    ``helpers.images.read_rgb`` reverses them back on the way in. (Handing the RGB array to
    ``cv2.imwrite`` directly would swap red and blue in the file.) The bytes are encoded in
    memory and written with Python, so any path works, accents included. ``quality``: JPEG's,
    0..100.
    """
    path = Path(path)
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 image (height, width, 3), got {image.dtype} "
                         f"{image.shape}")
    extension = path.suffix.lower()
    if extension not in (".png", ".jpg", ".jpeg"):
        raise ValueError(f"{path}: write .png, .jpg or .jpeg files, not {extension or 'no extension'}")
    bgr = np.ascontiguousarray(image[..., ::-1])  # RGB -> BGR for OpenCV's encoder
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if extension != ".png" else []
    ok, encoded = cv2.imencode(extension, bgr, params)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image to PNG or JPEG
        raise ValueError(f"{path}: OpenCV could not encode the image")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded.tobytes())
    return path


def picture_rng(seed: int, split: int, kind: str, index: int) -> np.random.Generator:
    """The random generator of one picture of a dataset: seeded with (seed, split, kind, index),
    where ``split`` is 0 for training_data and 1 for testing_data and ``kind`` counts by its
    position in :data:`KINDS` (so a class's pictures do not depend on the other classes)."""
    _check_kind(kind)
    return np.random.default_rng([seed, split, KINDS.index(kind), index])


def make_shapes_dataset(destination: str | os.PathLike,
                        classes: Sequence[str] = DEFAULT_CLASSES, per_class: int = 500,
                        image_size: int = 64, seed: int = 0, split: float = 0.2, *,
                        style: Style = EASY, image_format: str = "png",
                        overwrite: bool = False) -> Path:
    """Draw a shapes dataset in the course's layout and return ``destination``.

    ``destination/training_data/<class>/<class>_0000.png``: ``per_class`` pictures of each class
    (each class is a kind of :data:`KINDS`); ``destination/testing_data/<class>/``:
    ``round(split × per_class)`` more, drawn with other seeds (0.2: 100 beside 500, the
    proportions of the cats-vs-dogs photos; 0: no test folder). ``image_format``: "png"
    (lossless, the default) or "jpg". The same arguments give the same files byte for byte.

    A destination that already holds ``training_data`` or ``testing_data`` is refused
    (``FileExistsError``), unless ``overwrite=True``, which deletes those two folders first.
    """
    destination = Path(destination)
    classes = tuple(classes)
    for kind in classes:
        _check_kind(kind)
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be at least 2 different shapes, got {list(classes)}")
    check_size(per_class, "per_class")
    image_size = _check_image_size(image_size)
    if not 0 <= split <= 1:
        raise ValueError(f"split must be in [0, 1] (test pictures per training picture), got {split}")
    if image_format not in FORMATS:
        raise ValueError(f"image_format must be one of {', '.join(FORMATS)}, got {image_format!r}")
    existing = [destination / name for name in SPLITS if (destination / name).exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} already exists; pass overwrite=True to draw the "
                              "dataset again, or choose another destination")
    for folder in existing:
        shutil.rmtree(folder)

    counts = (int(per_class), int(round(split * per_class)))
    for split_index, (name, count) in enumerate(zip(SPLITS, counts)):
        if count == 0:
            continue
        for kind in classes:
            folder = destination / name / kind
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                rng = picture_rng(seed, split_index, kind, index)
                picture = draw_shape(kind, image_size, rng, style)
                write_rgb(folder / f"{kind}_{index:04d}{FORMATS[image_format]}", picture)
    return destination
