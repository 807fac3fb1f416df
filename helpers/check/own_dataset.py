"""Checkers for notebook 11, "Your own dataset": sorting labelled files into class folders,
drawing a new shape class (a cross), and the size of the output layer for N classes.

Each checker builds what it needs on the fly (a temporary folder of labelled photos, random
generators), so it needs no course data, and measures the answer against the course's rules:

- a dataset is one folder per class, named after the class, holding the image files directly;
  the source files stay where they were, and two files with the same name are both kept;
- a cross is a 12-cornered polygon, not convex (four inner corners), placed, turned, coloured
  and noised at random like the shapes of :mod:`helpers.synthetic`;
- the output layer has one unit per class and ``(features + 1) × num_classes`` parameters: a
  weight from every input to every unit, and one bias per unit.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helpers.check import call_safely, report

# --------------------------------------------------------------------------------------------
# Exercise 11.1: class folders from a list of labelled files
# --------------------------------------------------------------------------------------------

#: The checker's source files (relative to its source folder) and their labels. Two cameras
#: both wrote an ``img_001.jpg``, both of zebras; one file has an upper-case extension.
LABELLED: list[tuple[str, str]] = [
    ("camera1/img_001.jpg", "zebra"),
    ("camera1/img_002.jpg", "horse"),
    ("camera1/IMG_003.JPG", "zebra"),
    ("camera2/img_001.jpg", "zebra"),
    ("camera2/img_004.png", "horse"),
    ("camera2/img_005.jpg", "donkey"),
]


def _picture_bytes(index: int, extension: str) -> bytes:
    """A small real picture (PNG or JPEG bytes), different for every index."""
    import cv2

    rng = np.random.default_rng(index)
    pixels = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    return cv2.imencode(".png" if extension == ".png" else ".jpg", pixels)[1].tobytes()


def _digest(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _make_source(root: Path) -> dict[str, bytes]:
    """Write the :data:`LABELLED` files under ``root``; return their bytes by relative name."""
    written = {}
    for index, (name, _) in enumerate(LABELLED):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        written[name] = _picture_bytes(index, path.suffix.lower())
        path.write_bytes(written[name])
    return written


def _layout_problems(destination: Path, source: Path, written: dict[str, bytes],
                     labelled: list[tuple[str, str]]) -> list[str]:
    """What is wrong with ``destination`` as the class folders of ``labelled`` ([] if right)."""
    from helpers.images import has_image_extension

    problems = []
    classes = sorted({label for _, label in labelled})
    if not destination.is_dir():
        return [f"there is no folder {destination.name!r} after your function ran: create the "
                "destination folder and one folder per class inside it."]
    entries = sorted(destination.iterdir())
    folders = [p.name for p in entries if p.is_dir()]
    loose = [p.name for p in entries if not p.is_dir()]
    if loose:
        problems.append(f"the file(s) {loose[:3]} lie in the destination itself; every image goes "
                        "into the folder of its class (destination / label / file name).")
    numbered = [name for name in folders if name.isdigit()]
    if numbered and not set(classes) & set(folders):
        problems.append(f"your folders are called {folders}: name each folder after its class "
                        f"({', '.join(classes)}). The folder name is the label; the course sorts "
                        "the names to give the label ids itself.")
        return problems
    for name in classes:
        if name not in folders:
            problems.append(f"there is no folder for the class {name!r}.")
    for name in folders:
        if name not in classes:
            problems.append(f"the folder {name!r} is not a class of the list "
                            f"({', '.join(classes)}).")
    by_content = {_digest(written[name]): (name, label) for name, label in labelled}
    for name in [c for c in classes if c in folders]:
        folder = destination / name
        nested = [p.name for p in folder.iterdir() if p.is_dir()]
        if nested:
            problems.append(f"{name}/ holds the folder(s) {nested}: put the image files directly in "
                            f"the class folder (the course does not read sub-folders).")
        files = [p for p in folder.rglob("*") if p.is_file()]
        expected = [source_name for source_name, label in labelled if label == name]
        for file in files:
            if not has_image_extension(file.name):
                problems.append(f"{file.relative_to(destination).as_posix()} has no image "
                                "extension: keep each file's extension (.jpg, .png, ...), or the "
                                "course's listing will leave the file out.")
            origin = by_content.get(_digest(file.read_bytes()))
            if origin is not None and origin[1] != name:
                problems.append(f"{file.relative_to(destination).as_posix()} is "
                                f"{origin[0]}, which is labelled {origin[1]!r}, not {name!r}.")
        if len(files) < len(expected):
            same_names = sorted({Path(n).name for n in expected
                                 if [Path(m).name for m in expected].count(Path(n).name) > 1})
            why = (f": two source files are both called {same_names[0]} (from different folders) "
                   "and one overwrote the other. Give the copies distinct names, e.g. put a "
                   "number or the source folder's name in front."
                   if same_names else ".")
            problems.append(f"{name}/ holds {len(files)} file(s), expected {len(expected)} "
                            f"({', '.join(expected)}){why}")
        elif len(files) > len(expected):
            problems.append(f"{name}/ holds {len(files)} files, expected {len(expected)}.")
        found = sorted(_digest(f.read_bytes()) for f in files)
        wanted = sorted(_digest(written[n]) for n in expected)
        if len(files) == len(expected) and found != wanted and not problems:
            problems.append(f"the files in {name}/ do not hold the bytes of "
                            f"{', '.join(expected)}: copy the files as they are.")
    for name, content in written.items():
        path = source / name
        if not path.is_file():
            problems.append(f"the source file {name} is gone: copy the files (shutil.copy2), do "
                            "not move them; the original photos must stay where they were.")
            break
        if path.read_bytes() != content:
            problems.append(f"the source file {name} was changed.")
            break
    return problems


def class_folders(answer: Callable[[Sequence[tuple[Path, str]], Path], Any]) -> None:
    """Exercise 11.1: ``answer(labelled_files, destination)`` copies each ``(path, label)`` file
    into ``destination/<label>/``, keeping its extension and both of two same-named files, and
    leaves the source files where they are.

    The checker's source: :data:`LABELLED` (two folders that both hold an ``img_001.jpg`` of a
    zebra, an upper-case ``.JPG``, a ``.png``), then the same into a destination that already
    exists. The result must also be a dataset ``helpers.data.scan`` reads with nothing unusable.
    """
    from helpers import data

    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "downloads"
        written = _make_source(source)
        labelled = [(source / name, label) for name, label in LABELLED]
        destination = Path(tmp) / "my_dataset"
        _, problem = call_safely(answer, list(labelled), destination)
        if problem:
            problems.append(problem)
        else:
            problems += _layout_problems(destination, source, written, LABELLED)
        if not problems:
            report_ = data.scan(destination)
            counts = {c.name: len(c.usable) for c in report_.classes}
            expected = {label: sum(1 for _, lab in LABELLED if lab == label)
                        for label in sorted({lab for _, lab in LABELLED})}
            if counts != expected or report_.unusable:
                problems.append(f"helpers.data.scan found {counts} usable images and "
                                f"{len(report_.unusable)} unusable; expected {expected} and 0.")
        if not problems:  # a destination that exists already, e.g. made by an earlier try
            again = Path(tmp) / "existing"
            (again / "zebra").mkdir(parents=True)
            _, problem = call_safely(answer, list(labelled), again)
            if problem:
                problems.append(f"when the destination (and its zebra/ folder) already exist: "
                                f"{problem} Create folders with mkdir(parents=True, "
                                "exist_ok=True).")
            else:
                problems += [f"when the destination already exists: {p}"
                             for p in _layout_problems(again, source, written, LABELLED)]
    report("Exercise 11.1", problems,
           success="One folder per class, every file copied once with its extension, the source "
                   "left as it was.",
           hint="make one folder per label under the destination (it may exist already) and "
                "copy each file into it under a name that cannot collide with another photo's.")


# --------------------------------------------------------------------------------------------
# Exercise 11.2: a new shape class, the cross
# --------------------------------------------------------------------------------------------

#: (image_size, seed) of the pictures the checker asks for.
CROSS_CASES: list[tuple[int, int]] = [(128, 0), (128, 1), (128, 2), (128, 3), (128, 4),
                                      (128, 5), (96, 6), (64, 7)]


def _foreground(picture: np.ndarray) -> np.ndarray:
    """A boolean mask of the shape: the pixels far from the background colour (the median of
    the border), cleaned of single noisy pixels, largest connected blob only."""
    import cv2

    pixels = picture.astype(np.float32)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    background = np.median(border, axis=0)
    distance = np.linalg.norm(pixels - background, axis=2)
    scaled = np.clip(distance, 0, 255).astype(np.uint8)
    threshold, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = (scaled > max(threshold, 30)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count <= 1:
        return np.zeros(mask.shape, bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == largest


def describe_shape(picture: np.ndarray) -> dict[str, float]:
    """Measures of the shape in a picture: ``area`` (fraction of the picture), ``corners`` (of
    its outline, simplified to 2 % of the perimeter), ``solidity`` (area / area of the convex
    hull: 1 for convex shapes, 0.71 for the checker's cross, 0.56 for the star), ``angle`` (of
    its tightest bounding rectangle, in degrees, 0..90) and ``center`` (x, y)."""
    import cv2

    mask = _foreground(picture)
    if not mask.any():
        return {"area": 0.0, "corners": 0, "solidity": 0.0, "angle": 0.0, "center": (0.0, 0.0)}
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    hull_area = cv2.contourArea(cv2.convexHull(contour))
    simplified = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
    (x, y), _, angle = cv2.minAreaRect(contour)
    return {"area": float(mask.mean()), "corners": len(simplified),
            "solidity": float(cv2.contourArea(contour) / hull_area) if hull_area else 0.0,
            "angle": float(angle % 90), "center": (float(x), float(y))}


def _looks_like(measures: dict[str, float]) -> str:
    """What a shape with these measures looks like, for the message."""
    corners, solidity = measures["corners"], measures["solidity"]
    if solidity > 0.9:
        named = {3: "a triangle", 4: "a square or a rectangle", 5: "a pentagon", 6: "a hexagon"}
        return named.get(corners, "a circle" if corners > 6 else "a convex shape")
    if corners == 10 and solidity < 0.66:
        return "a star"
    return f"a shape with {corners} corners"


def _picture_problem(got: Any, image_size: int) -> str:
    if got is None:
        return "returned None: did you forget `return`?"
    if not isinstance(got, np.ndarray):
        return f"returned a {type(got).__name__}; return the picture as a numpy array."
    if got.shape != (image_size, image_size, 3):
        hint = (" (a grey or mask image: paint it with synthetic.paint to get colours)"
                if got.shape == (image_size, image_size) else "")
        return (f"returned shape {got.shape}; expected ({image_size}, {image_size}, 3): "
                f"image_size × image_size pixels, 3 colour channels{hint}.")
    if got.dtype != np.uint8:
        return (f"returned dtype {got.dtype}; expected uint8 (whole numbers 0..255), what "
                "synthetic.paint returns and image files hold.")
    return ""


def cross(answer: Callable[[int, np.random.Generator], np.ndarray]) -> None:
    """Exercise 11.2: ``answer(image_size, rng)`` draws a cross (a plus sign of two bars as wide
    as a third of their length) at a random place, size and angle, in random colours with noise,
    as RGB uint8 ``(image_size, image_size, 3)``, drawing every random number from ``rng``.

    The checker draws :data:`CROSS_CASES` and finds the shape in each picture (the pixels far
    from the border's colour): it must have 12 corners and be neither convex nor a star, and
    its place, size, angle and colours must vary from picture to picture.
    """
    problems: list[str] = []
    pictures = []
    for image_size, seed in CROSS_CASES:
        got, problem = call_safely(answer, image_size, np.random.default_rng(seed))
        if problem:
            problems.append(problem)
            break
        problem = _picture_problem(got, image_size)
        if problem:
            problems.append(f"for image_size={image_size}, rng=np.random.default_rng({seed}) "
                            f"your function {problem}")
            break
        pictures.append(got)
    if not problems:
        again, problem = call_safely(answer, 128, np.random.default_rng(0))
        if problem:
            problems.append(problem)
        elif not np.array_equal(again, pictures[0]):
            problems.append("two calls with generators seeded alike (np.random.default_rng(0)) "
                            "gave different pictures: draw every random number from rng, not "
                            "from np.random or random, so that a seed gives the same dataset.")
    if not problems:
        measures = [describe_shape(p) for p in pictures]
        first = measures[0]
        for (image_size, seed), m in zip(CROSS_CASES, measures):
            case = f"for image_size={image_size}, seed {seed}"
            if m["area"] < 0.01:
                problems.append(f"{case} no shape stands out from the background: is the cross "
                                "painted in a colour other than the background's?")
            elif m["area"] > 0.7:
                problems.append(f"{case} the shape covers {m['area']:.0%} of the picture: keep "
                                "it inside the circle of placement.radius around placement.center.")
            elif image_size >= 96 and m["solidity"] > 0.9:
                problems.append(f"{case} your shape is convex ({_looks_like(m)}, "
                                f"{m['corners']} corners): a cross has four inner corners where "
                                "its bars meet, 12 corners in all.")
            elif image_size >= 96 and m["corners"] == 10 and m["solidity"] < 0.66:
                problems.append(f"{case} your shape looks like a star (10 corners): the cross is "
                                "a new class, with 12 corners.")
            elif image_size >= 96 and not 11 <= m["corners"] <= 13:
                problems.append(f"{case} the outline has {m['corners']} corners; a plus sign has "
                                "12. List its corners in order around the outline.")
            elif image_size >= 96 and not 0.5 <= m["solidity"] <= 0.9:
                problems.append(f"{case} the bars look too thin: the shape fills only "
                                f"{m['solidity']:.0%} of its convex outline (a cross whose bars "
                                "are a third as wide as long fills about 71%).")
            if problems:
                break
        if not problems:
            big = measures[:6]  # the 128-pixel pictures
            if np.ptp([m["angle"] for m in big]) < 2:
                problems.append(f"all your crosses stand at the same angle ({first['angle']:.0f}° "
                                "from upright): turn the corners by placement.angle.")
            if np.ptp([m["center"][0] for m in big]) < 3 and np.ptp([m["center"][1] for m in big]) < 3:
                problems.append("all your crosses sit at the same place: centre them on "
                                "placement.center.")
            if np.ptp([m["area"] for m in big]) < 0.01:
                problems.append("all your crosses have the same size: scale them by "
                                "placement.radius.")
            corners = np.stack([p[0, 0].astype(float) for p in pictures[:6]])
            if np.ptp(corners, axis=0).max() < 20:
                problems.append("the background has the same colour in every picture: paint the "
                                "mask with synthetic.paint, which draws the colours at random.")
    report("Exercise 11.2", problems,
           success="A 12-cornered cross at a random place, size, angle and colour: a fifth class.",
           hint="start from the 12 corners of an upright plus sign around (0, 0), e.g. with "
                "L = 0.9·radius and w = L/3: (w, L), (w, w), (L, w), (L, -w), (w, -w), ...; turn "
                "each by the angle (x' = x cos a - y sin a, y' = x sin a + y cos a), add the "
                "centre, then synthetic.paint(synthetic.polygon_mask(points, image_size), rng).")


# --------------------------------------------------------------------------------------------
# Exercise 11.3: the output layer for N classes
# --------------------------------------------------------------------------------------------

#: (features, num_classes): the tutorial's fc2, the shapes network's, the course's network on
#: four and on 1000 classes, and ten digits.
OUTPUT_CASES: list[tuple[int, int]] = [(128, 2), (64, 4), (256, 4), (256, 1000), (128, 10)]


def _keras_dense_parameters(features: int, num_classes: int) -> int:
    """The parameters Keras counts for ``Dense(num_classes)`` on ``features`` inputs."""
    import keras

    layer = keras.layers.Dense(num_classes)
    layer.build((None, features))
    return int(layer.count_params())


def _parameters_mistake(features: int, classes: int, got: int) -> str:
    candidates = {
        features * classes: "You counted the weights only: each output unit also has a bias, "
                            "so add num_classes.",
        features * classes + 1: "You added one bias for the whole layer; every output unit has "
                                "its own bias: + num_classes.",
        (features + 1) * (classes - 1): "You counted num_classes - 1 units; the softmax layer "
                                        "needs one score per class.",
        features + classes: "You added the sizes; a dense layer connects every input to every "
                            "unit: features × num_classes weights.",
        (features + 1) * classes * 2: "You counted every connection twice.",
    }
    return candidates.get(got, "")


def output_layer(answer: Callable[[int, int], tuple[int, int]]) -> None:
    """Exercise 11.3: ``answer(features, num_classes)`` returns ``(units, parameters)`` of the
    last dense layer: ``num_classes`` units and ``(features + 1) × num_classes`` parameters,
    checked against Keras's count for each of :data:`OUTPUT_CASES`."""
    problems: list[str] = []
    for features, classes in OUTPUT_CASES:
        case = f"for features={features}, num_classes={classes}"
        got, problem = call_safely(answer, features, classes)
        if problem:
            problems.append(problem)
            break
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            problems.append(f"{case} you returned {got!r}; return two numbers, "
                            "(units, parameters).")
            break
        units, parameters = got
        expected = _keras_dense_parameters(features, classes)
        if units != classes:
            problems.append(f"{case} you returned units={units}; expected {classes}: one output "
                            "unit (one score, one probability) per class.")
            break
        if parameters != expected:
            why = _parameters_mistake(features, classes, parameters)
            problems.append(f"{case} you returned parameters={parameters}; expected {expected} "
                            f"= {features} × {classes} weights + {classes} biases. {why}".rstrip())
            break
    report("Exercise 11.3", problems,
           success="(features + 1) × num_classes, as Keras counts: only the last layer grows "
                   "with the number of classes.",
           hint="a dense layer has one weight per (input, unit) pair and one bias per unit.")
