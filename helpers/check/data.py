"""Checkers for notebook 06, "Reading the data": listing a class folder, one-hot labels, the
memory of a float32 dataset, and a stratified train/validation split.

The checkers build what they need on the fly (a temporary class folder with junk in it, label
lists), so they need no course data, and compare with the rules of :mod:`helpers.data`:

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

from helpers.check import call_safely, compare_arrays, report

# --------------------------------------------------------------------------------------------
# Exercise 6.1: the image files of a class folder
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
    """Exercise 6.1: ``answer(folder)`` returns the image files directly in ``folder``, sorted.

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
    report("Exercise 6.1", problems,
           success="hidden files, OS junk, other extensions and sub-folders are left out; "
                   ".JPG counts.",
           hint="look at each entry of the folder once: is it a file, is it hidden (its name "
                "starts with '.'), and is its extension, in lower case, one of "
                "images.IMAGE_EXTENSIONS? Then sort.")


# --------------------------------------------------------------------------------------------
# Exercise 6.2: one-hot labels
# --------------------------------------------------------------------------------------------

#: (labels, num_classes) for exercise 6.2: the tutorial's two classes, three classes in any
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
    """Exercise 6.2: ``answer(labels, num_classes)`` returns float32 ``(n, num_classes)`` one-hot."""
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
    report("Exercise 6.2", problems,
           success="label k becomes a row of zeros with a 1 in column k, as float32.",
           hint="start from a float32 array of zeros of shape (len(labels), num_classes) and put "
                "a 1 in each row, in the column its label names; np.eye(num_classes) holds every "
                "possible row.")


# --------------------------------------------------------------------------------------------
# Exercise 6.3: the memory of a float32 dataset
# --------------------------------------------------------------------------------------------

#: (n_images, image_size, channels) for exercise 6.3.
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
    """Exercise 6.3: ``answer(n_images, image_size, channels)`` returns bytes as float32."""
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
    report("Exercise 6.3", problems,
           success="n × size² × channels × 4 bytes: 128×128 RGB float32 is 196,608 bytes per image.",
           hint="count the numbers in the array (one per image, row, column and channel), then "
                "multiply by the bytes each float32 takes.")


# --------------------------------------------------------------------------------------------
# Exercise 6.4: a stratified split by hand
# --------------------------------------------------------------------------------------------


def _split_cases() -> list[tuple[np.ndarray, float]]:
    """(labels, validation fraction) for exercise 6.4; no class size makes n·fraction end in .5."""
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
    """Exercise 6.4: ``answer(labels, validation_fraction, seed)`` returns ``(train_idx, val_idx)``.

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
    report("Exercise 6.4", problems,
           success="each class gives round(n × fraction) of its images to validation, the same "
                   "ones for the same seed.",
           hint="for each class, find the positions of its labels, shuffle them with a generator "
                "seeded with `seed`, and send the first round(n × fraction) to validation.")
