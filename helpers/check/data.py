"""Checkers for notebook 06, "Reading the data" (the photo reader, the tf.data pipeline, one-hot
labels, the memory of a float32 dataset, a stratified train/validation split), and for appendix
A2, "Broken and odd image files" (listing a class folder).

The reader and the pipeline are compared with the course's own functions on real photos the
notebook passes in: ``images.preprocess(images.read_rgb(path), size)`` and
``data.make_dataset``. The other checkers build what they need on the fly (a temporary class
folder with junk in it, label lists), so they need no course data, and compare with the rules
of :mod:`helpers.data`:

- an image file sits directly in its class folder, is not hidden (``.DS_Store``, ``._x.jpg``)
  and has an image extension in any case (``.JPG``);
- one-hot labels are float32 ``(n, num_classes)`` with a single 1 per row, in the column of the
  label id (ids start at 0);
- a float32 dataset of ``n`` images of ``size`` × ``size`` × ``channels`` takes
  ``n · size² · channels · 4`` bytes;
- a stratified split holds out ``round(n_c · fraction)`` of each class ``c``, chosen at random
  from a generator seeded with ``seed``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from helpers.check import call_safely, compare_arrays, listed, report

# --------------------------------------------------------------------------------------------
# Exercise A2.1: the image files of a class folder
# --------------------------------------------------------------------------------------------

#: The image files of the checker's class folder, and why a learner might drop each.
KEEP: dict[str, str] = {
    "cat.0.jpg": "an ordinary JPEG",
    "cat.1.JPG": "its extension is upper case: compare the extension in lower case",
    "cat.2.jpeg": ".jpeg is a JPEG too (look in images.IMAGE_EXTENSIONS)",
    "cat.3.png": "PNG is an image format too (look in images.IMAGE_EXTENSIONS)",
    "cat.4.Jpg": "its extension is in mixed case: compare the extension in lower case",
}
#: What else is in the folder, and why it must be left out.
DROP: dict[str, str] = {
    ".DS_Store": "a hidden macOS file (its name starts with '.')",
    "._cat.0.jpg": "macOS metadata, not a photo: a name starting with '.' is a hidden file, "
                   "whatever its extension",
    "Thumbs.db": "a Windows thumbnail cache, not an image",
    "notes.txt": ".txt is not an image extension",
    "more": "a sub-folder, not a file",
    "more/cat.9.jpg": "it sits in a sub-folder: only files directly in the class folder count "
                      "(the scan reports nested folders instead of reading them)",
}


def _tiny_jpeg(seed: int) -> bytes:
    """The bytes of a real 8×8 JPEG, so that answers which decode the files work too."""
    import cv2

    pixels = np.random.default_rng(seed).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    return cv2.imencode(".jpg", pixels)[1].tobytes()


def _tiny_png(seed: int) -> bytes:
    import cv2

    pixels = np.random.default_rng(seed).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    return cv2.imencode(".png", pixels)[1].tobytes()


def _build_class_folder(folder: Path) -> None:
    """``folder`` with the files of :data:`KEEP` and :data:`DROP`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(KEEP):
        (folder / name).write_bytes(_tiny_png(i) if name.endswith(".png") else _tiny_jpeg(i))
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00")
    (folder / "._cat.0.jpg").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    (folder / "notes.txt").write_text("the cat photos from the holiday\n")
    (folder / "more").mkdir()
    (folder / "more" / "cat.9.jpg").write_bytes(_tiny_jpeg(9))


def _relative_name(item: Any, folder: Path) -> str:
    """``item`` (a Path or str) as a name relative to ``folder``, e.g. ``cat.0.jpg``, ``more/cat.9.jpg``."""
    path = Path(item)
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.name if not path.is_absolute() else str(path)


def _listing_problems(got: Any, folder: Path, expected: list[str]) -> list[str]:
    """What is wrong with ``got`` as the sorted image files of ``folder`` ([] when right)."""
    name = "list_image_files"
    if got is None:
        return [f"{name}({folder.name!r}) returned None: did you forget `return`?"]
    if isinstance(got, (str, bytes, Path)) or not isinstance(got, (list, tuple)):
        return [f"{name} returned a {type(got).__name__}; return a list of paths."]
    items = list(got)
    not_paths = [item for item in items if not isinstance(item, (str, Path))]
    if not_paths:
        return [f"{name} returned a list holding a {type(not_paths[0]).__name__}; "
                "return the files as pathlib.Path objects (folder / name)."]
    bare = [item for item in items if not Path(item).is_absolute()]
    if bare:
        return [f"{name} returned bare file names such as {str(bare[0])!r}; return full paths "
                "(folder / name), so that the files can be opened from anywhere."]
    names = [_relative_name(item, folder) for item in items]
    problems = []
    for kept in [n for n in names if n not in expected]:
        why = DROP.get(kept, "it is not an image file of this folder")
        problems.append(f"you kept {kept!r}: {why}.")
    for dropped in [n for n in expected if n not in names]:
        problems.append(f"you left out {dropped!r}: {KEEP[dropped]}.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"{duplicates[0]!r} is in the list {names.count(duplicates[0])} times.")
    if not problems and names != expected:
        problems.append(f"the files are not sorted by name: you returned {names}; expected "
                        f"{expected}. Sorting makes the order (and so the label ids and the "
                        "split) the same on every computer.")
    return problems


def list_image_files(answer: Callable[[Path], Sequence[Path]]) -> None:
    """Exercise A2.1: ``answer(folder)`` returns the image files directly in ``folder``, sorted.

    The checker's folder holds five images (``.jpg``, ``.JPG``, ``.jpeg``, ``.png``, ``.Jpg``)
    and junk: ``.DS_Store``, ``._cat.0.jpg``, ``Thumbs.db``, ``notes.txt`` and a sub-folder
    ``more/`` with a photo in it. An empty folder must give an empty list.
    """
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cats"
        _build_class_folder(folder)
        got, problem = call_safely(answer, folder)
        problems.append(problem or "")
        if not problem:
            problems += _listing_problems(got, folder, sorted(KEEP))
        if not any(problems):
            empty = Path(tmp) / "dogs"
            empty.mkdir()
            (empty / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
            got, problem = call_safely(answer, empty)
            if problem:
                problems.append(f"for a folder holding only .DS_Store: {problem}")
            elif got is None or len(got) != 0:
                problems.append(f"for a folder holding only .DS_Store you returned {got!r}; "
                                "expected an empty list.")
    report("Exercise A2.1", problems,
           success="hidden files, OS junk, other extensions and sub-folders are left out; "
                   ".JPG counts.",
           hint="look at each entry of the folder once: is it a file, is it hidden (its name "
                "starts with '.'), and is its extension, in lower case, one of "
                "images.IMAGE_EXTENSIONS? Then sort.")


# --------------------------------------------------------------------------------------------
# Exercise 6.3: one-hot labels
# --------------------------------------------------------------------------------------------

#: (labels, num_classes) for exercise 6.3: the tutorial's two classes, three classes in any
#: order, classes absent from the labels, numpy input, and a single class.
ONE_HOT_CASES: list[tuple[Any, int]] = [
    ([0, 1, 1], 2),
    ([2, 0, 1, 2], 3),
    ([0, 0, 1], 4),
    (np.array([3, 1, 0, 2, 3]), 4),
    ([0, 0, 0], 1),
]


def _one_hot_mistake(got: np.ndarray, labels: np.ndarray, num_classes: int) -> str:
    """Name the usual mistake behind a wrong one-hot array, or "" if none matches."""
    n = len(labels)
    expected = np.eye(num_classes)[labels]
    if got.shape == (num_classes, n) and num_classes != n and np.array_equal(got, expected.T):
        return (f"your array has shape {got.shape}, the transpose of the expected {expected.shape}: "
                "one row per image, one column per class.")
    if got.shape == (n, int(labels.max()) + 1) and got.shape != expected.shape \
            and np.array_equal(got, np.eye(int(labels.max()) + 1)[labels]):
        return (f"you made {got.shape[1]} columns (the largest label + 1); use num_classes = "
                f"{num_classes}: a batch need not hold every class, and the network always has "
                "one output per class.")
    if got.shape == expected.shape and num_classes > 1:
        for shift, direction in ((-1, "left"), (1, "right")):
            if np.array_equal(got, np.roll(expected, shift, axis=1)):
                return (f"each 1 is one column too far {direction}: label ids start at 0, so label 0 "
                        "is the first column (index 0) and label k is column k.")
    if got.shape == (n, num_classes + 1) and np.array_equal(got[:, 1:], expected):
        return (f"you made {num_classes + 1} columns and put label k in column k + 1: label ids "
                "start at 0, so label k goes in column k of num_classes columns.")
    if got.shape == (n,):
        return f"you returned shape {got.shape}; one-hot labels are a matrix (n, num_classes)."
    return ""


def one_hot(answer: Callable[[Sequence[int], int], np.ndarray]) -> None:
    """Exercise 6.3: ``answer(labels, num_classes)`` returns float32 ``(n, num_classes)`` one-hot."""
    problems: list[str] = []
    for labels, num_classes in ONE_HOT_CASES:
        given = labels.copy() if isinstance(labels, (list, np.ndarray)) else labels
        got, problem = call_safely(answer, given, num_classes)
        if problem:
            problems.append(problem)
            break
        case = f"for labels={list(np.asarray(labels).tolist())}, num_classes={num_classes}"
        label_ids = np.asarray(labels, dtype=np.int64)
        expected = np.eye(num_classes, dtype=np.float32)[label_ids]
        if got is None:
            problems.append(f"{case} your function returned None: did you forget `return`?")
            break
        try:
            got_array = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            problems.append(f"{case} you returned {type(got).__name__}, which is not an array of numbers.")
            break
        mistake = _one_hot_mistake(got_array, label_ids, num_classes)
        if mistake:
            problems.append(f"{case}: {mistake}")
            break
        mismatch = compare_arrays("your one-hot array", got_array, expected)
        if mismatch:
            problems.append(f"{case}: {mismatch}")
            break
        dtype = getattr(got, "dtype", None)
        if dtype != np.float32:
            shown = dtype if dtype is not None else f"a {type(got).__name__}"
            problems.append(f"{case} the values are right but the dtype is {shown}; make it float32 "
                            "(dtype=np.float32), the type the network computes in.")
            break
        if isinstance(labels, np.ndarray) and not np.array_equal(given, labels):
            problems.append(f"{case} your function changed the labels it was given.")
            break
    report("Exercise 6.3", problems,
           success="label k becomes a row of zeros with a 1 in column k, as float32.",
           hint="start from a float32 array of zeros of shape (len(labels), num_classes) and put "
                "a 1 in each row, in the column its label names; np.eye(num_classes) holds every "
                "possible row.")


# --------------------------------------------------------------------------------------------
# Exercise 6.4: the memory of a float32 dataset
# --------------------------------------------------------------------------------------------

#: (n_images, image_size, channels) for exercise 6.4.
MEMORY_CASES: list[tuple[int, int, int]] = [
    (1, 128, 3),
    (1000, 128, 3),
    (25_000, 128, 3),
    (10, 64, 1),
    (7, 32, 3),
]


def float32_bytes(n_images: int, image_size: int, channels: int = 3) -> int:
    """Bytes of a float32 array (n_images, image_size, image_size, channels): n·size²·channels·4."""
    return n_images * image_size * image_size * channels * 4


def _memory_mistake(got: float, n: int, size: int, channels: int) -> str:
    expected = float32_bytes(n, size, channels)
    candidates = [
        (expected / channels if channels > 1 else None,
         f"the {channels} colour channels are missing: each pixel holds {channels} numbers (R, G, B)."),
        (expected * 3 / channels if channels != 3 else None,
         f"you counted 3 channels, but this case has channels={channels}: use the argument."),
        (expected / 4, "you counted one byte per number (that is uint8); a float32 takes 4 bytes."),
        (expected * 2, "you counted 8 bytes per number (that is float64); a float32 takes 4 bytes."),
        (expected * 8, "that is bits, not bytes: a float32 is 32 bits = 4 bytes."),
        (expected / size, f"an image has size × size = {size}² pixels; you multiplied by {size} once."),
        (expected / 2**20, "return bytes, not megabytes (the notebook converts afterwards)."),
        (expected / 1e6, "return bytes, not megabytes (the notebook converts afterwards)."),
        (expected / 2**30, "return bytes, not gigabytes (the notebook converts afterwards)."),
        (expected / 1e9, "return bytes, not gigabytes (the notebook converts afterwards)."),
        (expected / n if n > 1 else None, f"that is the memory of one image; there are {n}."),
    ]
    for value, message in candidates:
        if value is not None and np.isclose(got, value, rtol=1e-9):
            return message
    return ""


def dataset_bytes(answer: Callable[[int, int, int], int]) -> None:
    """Exercise 6.4: ``answer(n_images, image_size, channels)`` returns bytes as float32."""
    problems: list[str] = []
    for n, size, channels in MEMORY_CASES:
        got, problem = call_safely(answer, n, size, channels)
        if problem:
            problems.append(problem)
            break
        case = f"for n_images={n}, image_size={size}, channels={channels}"
        expected = float32_bytes(n, size, channels)
        if got is None:
            problems.append(f"{case} your function returned None: did you forget `return`?")
            break
        if isinstance(got, bool) or not isinstance(got, (Real, np.number)):
            problems.append(f"{case} you returned a {type(got).__name__}; return a number of bytes.")
            break
        if not np.isclose(float(got), expected, rtol=1e-9):
            mistake = _memory_mistake(float(got), n, size, channels)
            shown = f"{got:,}" if float(got).is_integer() else f"{float(got):,.4g}"
            problems.append(f"{case} you returned {shown}; expected {expected:,}."
                            + (f" It looks like {mistake}" if mistake else ""))
            break
    report("Exercise 6.4", problems,
           success="n × size² × channels × 4 bytes: 128×128 RGB float32 is 196,608 bytes per image.",
           hint="count the numbers in the array (one per image, row, column and channel), then "
                "multiply by the bytes each float32 takes.")


# --------------------------------------------------------------------------------------------
# Exercise 6.5: a stratified split by hand
# --------------------------------------------------------------------------------------------


def _split_cases() -> list[tuple[np.ndarray, float]]:
    """(labels, validation fraction) for exercise 6.5; no class size makes n·fraction end in .5."""
    rng = np.random.default_rng(6)
    three = rng.permutation(np.repeat([0, 1, 2], [10, 30, 5]))  # unbalanced, mixed order
    return [
        (np.array([0, 1] * 20), 0.25),              # 20 + 20, interleaved: 5 + 5
        (three, 0.2),                               # 10, 30, 5: 2, 6, 1
        (np.repeat([1, 0], [13, 7]), 0.3),          # 7 and 13: 2.1 -> 2, 3.9 -> 4
        (np.repeat([0, 1], 500), 0.2),              # the tutorial's folder: 100 + 100
    ]


def expected_validation_counts(labels: np.ndarray, fraction: float) -> dict[int, int]:
    """``{label: round(n_label · fraction)}``: how many of each class go to validation."""
    return {int(c): int(round(np.sum(labels == c) * fraction)) for c in np.unique(labels)}


def _as_index_array(value: Any, n: int, name: str) -> tuple[np.ndarray | None, str]:
    """``value`` as a 1-D int array of indices into n items, or (None, why not)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None, f"the {name} indices are a {type(value).__name__}, not a list or array of integers."
    if array.dtype == bool:
        return None, (f"the {name} indices are booleans (a mask); return the positions instead, "
                      "e.g. np.flatnonzero(mask).")
    if array.ndim != 1:
        return None, f"the {name} indices have shape {array.shape}; return a 1-D array of positions."
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            return None, f"the {name} indices are {array.dtype}, not integers (positions 0..n-1)."
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= n):
        return None, (f"the {name} indices run from {array.min()} to {array.max()}, but there are "
                      f"only {n} labels (positions 0..{n - 1}): return positions, not labels or values.")
    return array, ""


def _call_split(answer: Callable, labels: np.ndarray, fraction: float, seed: int
                ) -> tuple[tuple[np.ndarray, np.ndarray] | None, str]:
    given = labels.copy()
    got, problem = call_safely(answer, given, fraction, seed)
    if problem:
        return None, problem
    case = f"for {len(labels)} labels, validation_fraction={fraction}, seed={seed}"
    if not np.array_equal(given, labels):
        return None, f"{case} your function changed the labels it was given (shuffle a copy or indices)."
    if got is None:
        return None, f"{case} your function returned None: did you forget `return`?"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, f"{case} you returned a {type(got).__name__}; return two arrays: (training indices, validation indices)."
    arrays = []
    for value, name in zip(got, ("training", "validation")):
        array, why = _as_index_array(value, len(labels), name)
        if why:
            return None, f"{case}: {why}"
        arrays.append(array)
    return (arrays[0], arrays[1]), ""


def _split_problems(train: np.ndarray, val: np.ndarray, labels: np.ndarray, fraction: float,
                    case: str) -> list[str]:
    n = len(labels)
    both = np.intersect1d(train, val)
    if both.size:
        return [f"{case}: {both.size} indices are in both sets, e.g. {both[:5].tolist()}: "
                "a validation image must never be trained on."]
    for array, name in ((train, "training"), (val, "validation")):
        values, counts = np.unique(array, return_counts=True)
        if np.any(counts > 1):
            return [f"{case}: the {name} set holds index {int(values[counts > 1][0])} more than once."]
    missing = np.setdiff1d(np.arange(n), np.concatenate([train, val]))
    if missing.size:
        return [f"{case}: {missing.size} of the {n} indices are in neither set, e.g. "
                f"{missing[:5].tolist()}: every image goes to training or to validation."]
    expected = expected_validation_counts(labels, fraction)
    got = {c: int(np.sum(labels[val] == c)) for c in expected}
    if got == expected:
        return []
    class_sizes = {c: int(np.sum(labels == c)) for c in expected}
    if got == {c: class_sizes[c] - expected[c] for c in expected}:
        return [f"{case}: the two sets are swapped: validation holds {len(val)} indices, training "
                f"{len(train)}; validation gets the fraction {fraction}."]
    if got == {c: int(class_sizes[c] * fraction) for c in expected}:
        return [f"{case}: validation holds {got} per class; expected {expected}: "
                "int() cuts 3.9 down to 3, round to the nearest whole number instead."]
    wrong = [c for c in expected if got[c] != expected[c]]
    c = wrong[0]
    message = (f"{case}: validation holds {got[c]} of the {class_sizes[c]} images of class {c}; "
               f"expected round({class_sizes[c]} × {fraction}) = {expected[c]}")
    if len(val) == sum(expected.values()):
        message += (" (the total is right, but the classes are not: split each class separately, "
                    "so that both sets keep the class balance)")
    return [message + "."]


def stratified_split(answer: Callable[[np.ndarray, float, int], tuple]) -> None:
    """Exercise 6.5: ``answer(labels, validation_fraction, seed)`` returns ``(train_idx, val_idx)``.

    Checked: no index in both sets, none missing, ``round(n_c · fraction)`` of each class ``c``
    in validation, the same split for the same seed, and different splits for different seeds.
    """
    problems: list[str] = []
    for labels, fraction in _split_cases():
        case = f"for {len(labels)} labels (class sizes {np.bincount(labels).tolist()}), validation_fraction={fraction}"
        result, problem = _call_split(answer, labels, fraction, 0)
        if problem:
            problems.append(problem)
            break
        problems += _split_problems(*result, labels, fraction, case)
        if problems:
            break
        again, problem = _call_split(answer, labels, fraction, 0)
        if problem:
            problems.append(problem)
            break
        if not np.array_equal(np.sort(result[1]), np.sort(again[1])):
            problems.append(f"{case}: two calls with seed=0 gave different validation sets: draw the "
                            "random numbers from a generator made from the seed "
                            "(np.random.default_rng(seed)), so a split can be repeated.")
            break
        others = [_call_split(answer, labels, fraction, seed) for seed in (1, 2, 3)]
        if any(p for _, p in others):
            problems.append(next(p for _, p in others if p))
            break
        if all(np.array_equal(np.sort(r[1]), np.sort(result[1])) for r, _ in others):
            problems.append(f"{case}: seeds 0, 1, 2 and 3 all gave the same validation set: the "
                            "choice must be random, drawn from a generator seeded with `seed`.")
            break
    report("Exercise 6.5", problems,
           success="each class gives round(n × fraction) of its images to validation, the same "
                   "ones for the same seed.",
           hint="for each class, find the positions of its labels, shuffle them with a generator "
                "seeded with `seed`, and send the first round(n × fraction) to validation.")


# --------------------------------------------------------------------------------------------
# Exercise 6.1: the photo reader
# --------------------------------------------------------------------------------------------

#: The sizes exercise 6.1 asks for: the tutorial's 128, the course's 96, and a small 32.
READ_SIZES: tuple[int, ...] = (128, 96, 32)


def reference_photo(path: str | Path, size: int) -> np.ndarray:
    """The course's reading of one photo: ``images.preprocess(images.read_rgb(path), size)``."""
    from helpers import images

    return images.preprocess(images.read_rgb(path), size)


def _small_photo(folder: Path) -> Path:
    """A real 40×60 JPEG (smaller than every size asked for, so the reader must enlarge it)."""
    import cv2

    rows, cols = np.mgrid[:40, :60]
    pixels = np.stack([rows * 6, cols * 4, 255 - rows * 3], axis=-1).astype(np.uint8)
    path = folder / "small.jpg"
    cv2.imwrite(str(path), pixels)
    return path


def _photo_mistake(got: np.ndarray, path: Path, size: int) -> str:
    """Name the usual mistake behind a wrong reading of ``path``, or "" if none matches."""
    import cv2

    from helpers import images

    rgb = images.read_rgb(path)
    expected = reference_photo(path, size)
    if got.shape == expected.shape and np.allclose(got, expected[..., ::-1], atol=1e-6):
        return ("the red and blue channels are swapped: OpenCV decodes in BGR order; convert with "
                "cv2.cvtColor(..., cv2.COLOR_BGR2RGB) right after reading.")
    if got.shape == expected.shape and np.allclose(got, expected * 255, atol=1e-3):
        return "the pixels run from 0 to 255; divide by 255 so that they lie in [0, 1]."
    if got.shape == expected.shape and np.allclose(got, expected[..., ::-1] * 255, atol=1e-3):
        return "the channels are in BGR order and the pixels are not divided by 255."
    for flag, name in ((cv2.INTER_LINEAR, "INTER_LINEAR"), (cv2.INTER_AREA, "INTER_AREA"),
                       (cv2.INTER_NEAREST, "INTER_NEAREST"), (cv2.INTER_CUBIC, "INTER_CUBIC")):
        shrinking = min(rgb.shape[:2]) >= size
        if name == ("INTER_AREA" if shrinking else "INTER_LINEAR"):
            continue  # the right interpolation: the difference lies elsewhere
        other = cv2.resize(rgb, (size, size), interpolation=flag).astype(np.float32) / 255
        if got.shape == other.shape and np.allclose(got, other, atol=1e-6):
            wanted = "INTER_AREA (the photo shrinks)" if shrinking else "INTER_LINEAR (the photo grows)"
            return f"you resized with {name}; for this {rgb.shape[0]}×{rgb.shape[1]} photo use {wanted}."
    return ""


def read_photo(answer: Callable[[str | Path, int], np.ndarray], paths: Sequence[str | Path]) -> None:
    """Exercise 6.1: ``answer(path, size)`` reads a photo as the network sees it.

    Compared with :func:`reference_photo` on ``paths`` (real photos) and on a small JPEG the
    checker writes itself, at each size of :data:`READ_SIZES`: shape ``(size, size, 3)``,
    dtype float32, values in [0, 1], RGB order, ``INTER_AREA`` when shrinking.
    """
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [Path(p) for p in paths] + [_small_photo(Path(tmp))]
        for path in cases:
            for size in READ_SIZES:
                case = f"for {path.name} at size={size}"
                got, problem = call_safely(answer, str(path), size)
                if problem:
                    problems.append(problem)
                    break
                if got is None:
                    problems.append(f"{case} your function returned None: did you forget `return`?")
                    break
                if not isinstance(got, np.ndarray):
                    problems.append(f"{case} you returned a {type(got).__name__}; return a numpy array.")
                    break
                mismatch = compare_arrays("your image", got, reference_photo(path, size))
                if mismatch:
                    mistake = _photo_mistake(got.astype(np.float32), path, size) if got.dtype != object else ""
                    problems.append(f"{case}: {mistake or mismatch}")
                    break
                if got.dtype != np.float32:
                    problems.append(f"{case} the values are right but the dtype is {got.dtype}; make "
                                    "it float32, the type the network computes in.")
                    break
            if problems:
                break
    report("Exercise 6.1", problems,
           success="read, BGR → RGB, resized (INTER_AREA when shrinking) and scaled to [0, 1] "
                   "float32: the same numbers as the course's read_rgb followed by preprocess.",
           hint="four steps, in this order: decode the file with OpenCV, turn BGR into RGB, "
                "resize to size × size (the interpolation depends on whether the photo shrinks), "
                "then convert to float32 and divide by 255.")


# --------------------------------------------------------------------------------------------
# Exercise 6.2: a tf.data pipeline
# --------------------------------------------------------------------------------------------

#: The settings exercise 6.2 calls the learner's pipeline with.
PIPELINE_SIZE, PIPELINE_BATCH = 32, 5


def _pipeline_batches(dataset: Any) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Every ``(images, labels)`` batch of ``dataset`` as numpy arrays, or ([], why not)."""
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        return [], (f"make_pipeline returned a {type(dataset).__name__}; return the "
                    "tf.data.Dataset you built.")
    batches = []
    try:
        for element in dataset:
            if not isinstance(element, (tuple, list)) or len(element) != 2:
                return [], ("each element of your dataset must be a pair (images, labels); "
                            "map each (path, label) to (image, one-hot label).")
            batches.append((np.asarray(element[0]), np.asarray(element[1])))
    except Exception as error:  # the learner's map function may raise anything
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return [], f"iterating over your dataset raised {type(error).__name__}: {first}"
    return batches, ""


def _pipeline_problems(dataset: Any, files: Any, num_classes: int) -> list[str]:
    """What is wrong with ``dataset`` as the shuffled, batched, prefetched pipeline of ``files``."""
    from helpers import data

    batches, problem = _pipeline_batches(dataset)
    if problem:
        return [problem]
    n = len(files)
    sizes = [len(images_) for images_, _ in batches]
    expected_sizes = [PIPELINE_BATCH] * (n // PIPELINE_BATCH) + ([n % PIPELINE_BATCH] if n % PIPELINE_BATCH else [])
    if batches and batches[0][0].ndim == 3:
        return [f"your dataset gives single images of shape {batches[0][0].shape}, not batches: "
                f"add .batch(batch_size) after the map."]
    if sizes != expected_sizes:
        return [f"for {n} photos and batch_size={PIPELINE_BATCH} your batches hold {sizes} photos; "
                f"expected {expected_sizes} (every photo once, the last batch smaller)."]
    images_ = np.concatenate([b[0] for b in batches])
    labels_ = np.concatenate([b[1] for b in batches])
    if images_.shape[1:] != (PIPELINE_SIZE, PIPELINE_SIZE, 3):
        return [f"your images have shape {images_.shape[1:]}; expected ({PIPELINE_SIZE}, {PIPELINE_SIZE}, 3): "
                "read each photo with the reader and the image_size you were given."]
    if images_.dtype != np.float32 or labels_.dtype != np.float32:
        return [f"your images are {images_.dtype} and your labels {labels_.dtype}; both must be float32."]
    if labels_.shape[1:] != (num_classes,):
        return [f"your labels have shape {labels_.shape[1:]} per photo; expected ({num_classes},): a "
                "one-hot row per photo (tf.one_hot(label, num_classes))."]
    reference = next(iter(data.make_dataset(files, image_size=PIPELINE_SIZE, batch_size=n)))
    ref_images, ref_labels = np.asarray(reference[0]), np.asarray(reference[1])
    order = []
    for image in images_:
        distances = np.abs(ref_images - image).reshape(n, -1).max(axis=1)
        order.append(int(np.argmin(distances)))
        if distances.min() > 1e-5:
            return ["an image of your pipeline matches none of the photos as data.make_dataset reads "
                    "them: use the reader (read_rgb, BGR → RGB, resize, / 255) inside the map."]
    if sorted(order) != list(range(n)):
        return ["some photos come more than once and others never: every path must be read once per epoch."]
    if not np.array_equal(labels_, ref_labels[order]):
        return ["the labels do not go with their photos: zip the paths and the labels into one "
                "dataset (from_tensor_slices((paths, labels))) before shuffling, so they move together."]
    if order == list(range(n)):
        return ["the photos come in the order of the file list: shuffle the (path, label) pairs "
                "(.shuffle(len(paths), seed=seed)) before the map."]
    if "Prefetch" not in type(dataset).__name__:
        return [f"the last stage of your pipeline is a {type(dataset).__name__}; end with "
                ".prefetch(tf.data.AUTOTUNE), so the next batch is ready before it is asked for."]
    return []


def make_pipeline(answer: Callable[..., Any], files: Any) -> None:
    """Exercise 6.2: ``answer(paths, labels, num_classes, image_size, batch_size, seed)`` returns a
    ``tf.data.Dataset`` of shuffled ``(images, one-hot labels)`` batches, prefetched.

    ``files`` (a :class:`helpers.data.FileList` of real photos) is read by the learner's pipeline
    at 32 px in batches of 5 and compared, photo by photo, with ``data.make_dataset``.
    """
    num_classes = len(files.class_names)
    dataset, problem = call_safely(answer, [str(p) for p in files.paths], list(files.labels), num_classes,
                                   image_size=PIPELINE_SIZE, batch_size=PIPELINE_BATCH, seed=0)
    problems = [problem] if problem else _pipeline_problems(dataset, files, num_classes)
    if not problem and dataset is None:
        problems = ["make_pipeline returned None: did you forget `return`?"]
    report("Exercise 6.2", problems,
           success="shuffled (path, label) pairs, read in parallel, batched and prefetched: the "
                   "same photos and labels as data.make_dataset.",
           hint="start from the pairs (paths, labels) with tf.data.Dataset.from_tensor_slices, then "
                "chain the stages in the order the section lists them; the reader is plain "
                "Python, so wrap it in tf.numpy_function inside the map.")


# --------------------------------------------------------------------------------------------
# Exercise A2.2: what the first bytes say
# --------------------------------------------------------------------------------------------


def _format_cases() -> list[tuple[str, bytes]]:
    """(description, bytes) for exercise A2.2: real JPEG and PNG bytes, cut or not, and others."""
    import cv2

    pixels = np.random.default_rng(2).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    jpeg = cv2.imencode(".jpg", pixels)[1].tobytes()
    png = cv2.imencode(".png", pixels)[1].tobytes()
    bmp = cv2.imencode(".bmp", pixels)[1].tobytes()
    return [
        ("a JPEG", jpeg),
        ("a PNG", png),
        ("the first half of a JPEG", jpeg[: len(jpeg) // 2]),
        ("an empty file", b""),
        ("a text file", b"remember to buy cat food\n"),
        ("a BMP", bmp),
        ("the two bytes FF D8 alone", b"\xff\xd8"),
        ("a PNG signature without its last byte", png[:7]),
    ]


def expected_format(data: bytes) -> str | None:
    """``"JPEG"`` or ``"PNG"`` as :func:`helpers.images.sniff_format` names them, else None."""
    from helpers import images

    kind = images.sniff_format(data)
    return kind if kind in ("JPEG", "PNG") else None


def image_format(answer: Callable[[bytes], str | None]) -> None:
    """Exercise A2.2: ``answer(data)`` names a file's format from its first bytes: "JPEG", "PNG" or None."""
    problems: list[str] = []
    for description, data in _format_cases():
        got, problem = call_safely(answer, data)
        if problem:
            problems.append(problem)
            break
        expected = expected_format(data)
        if got != expected:
            why = ""
            if expected == "JPEG" and "half" in description:
                why = (" The first bytes name the format even when the file is cut short; "
                       "whether it is complete is another question (data.scan asks it).")
            elif expected is None and got is not None:
                why = " Only the signature at the very start counts, byte for byte."
            problems.append(f"for {description} you returned {got!r}; expected {expected!r}.{why}")
    report("Exercise A2.2", listed(problems),
           success="a JPEG starts with FF D8 FF, a PNG with its 8-byte signature, whatever the file's name.",
           hint="compare the start of the bytes with each signature (bytes.startswith works); "
                "anything else is None.")


# --------------------------------------------------------------------------------------------
# Exercise A2.3: skip, but say so
# --------------------------------------------------------------------------------------------


def _mixed_files(folder: Path) -> list[Path]:
    """Real good, odd and broken image files in ``folder``, sorted by name."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    bgr = np.random.default_rng(3).integers(0, 256, size=(120, 160, 3), dtype=np.uint8)
    jpeg = cv2.imencode(".jpg", bgr)[1].tobytes()
    files = {
        "cat.0.jpg": jpeg,
        "cat.1.jpg": cv2.imencode(".jpg", bgr[::-1])[1].tobytes(),
        "really_a_png.jpg": cv2.imencode(".png", bgr)[1].tobytes(),
        "grayscale.jpg": cv2.imencode(".jpg", bgr[..., 0])[1].tobytes(),
        "cut_short.jpg": jpeg[: len(jpeg) * 3 // 4],  # enough left for cv2.imread to decode
        "empty.jpg": b"",
        "notes.jpg": b"remember to buy cat food\n",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return sorted(folder / name for name in files)


def expected_usable(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """``(usable, unusable)``: the paths ``images.read_rgb`` decodes, and the others."""
    from helpers import images

    usable, unusable = [], []
    for path in paths:
        try:
            images.read_rgb(path)
        except images.UnreadableImageError:
            unusable.append(path)
        else:
            usable.append(path)
    return usable, unusable


def read_usable(answer: Callable[[list[Path]], tuple[list, list[str]]]) -> None:
    """Exercise A2.3: ``answer(paths)`` returns ``(usable paths, one message per skipped file)``.

    The checker's files: two JPEGs, a PNG named ``.jpg`` and a grayscale JPEG (usable), half a
    JPEG, an empty file and text named ``.jpg`` (not usable). Each message must name its file.
    """
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = _mixed_files(Path(tmp) / "cats")
        usable, unusable = expected_usable(paths)
        got, problem = call_safely(answer, list(paths))
        if problem:
            problems.append(problem)
        elif got is None:
            problems.append("read_usable returned None: did you forget `return`?")
        elif not isinstance(got, (tuple, list)) or len(got) != 2:
            problems.append(f"read_usable returned a {type(got).__name__}; return two lists: "
                            "(usable paths, messages of the skipped files).")
        else:
            kept, messages = got
            kept_names = [Path(p).name for p in kept]
            for path in usable:
                if path.name not in kept_names:
                    problems.append(f"you left out {path.name}, which images.read_rgb decodes: an odd "
                                    "format is not a broken file, and the loader must lose nothing usable.")
            for path in unusable:
                if path.name in kept_names:
                    why = (" cv2.imread decodes half a JPEG without raising; images.read_rgb "
                           "checks that the file is complete." if "cut" in path.name else "")
                    problems.append(f"you kept {path.name}, which cannot be used.{why}")
            if kept_names != [p.name for p in usable] and not problems:
                problems.append(f"you returned {kept_names}; keep the usable paths in the order given.")
            texts = [str(m) for m in messages] if isinstance(messages, (list, tuple)) else []
            if not isinstance(messages, (list, tuple)):
                problems.append(f"the messages are a {type(messages).__name__}; return a list of strings.")
            elif len(texts) != len(unusable):
                problems.append(f"you returned {len(texts)} message(s) for {len(unusable)} skipped "
                                "files; give one per skipped file, so that nothing is lost silently.")
            else:
                for path in unusable:
                    if not any(path.name in text for text in texts):
                        problems.append(f"no message names {path.name}: each message must say which "
                                        "file was skipped (str() of read_rgb's error does).")
    report("Exercise A2.3", listed(problems),
           success="every usable file kept, odd formats included, and every skipped file named once.",
           hint="try to read each file with images.read_rgb; the error it raises for an unusable "
                "file is images.UnreadableImageError, and its text names the file and the reason.")
