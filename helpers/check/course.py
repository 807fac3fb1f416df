"""Checkers for notebook 00, "How to use this course": warm-up exercises with photos and arrays."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from helpers.check import call_safely, compare_arrays, report


def _write_image(path: Path, height: int, width: int, seed: int) -> None:
    """Write a small random colour PNG (made on the fly, so the checker needs no data)."""
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format="PNG")


def image_shape(answer: Callable[[Path], tuple]) -> None:
    """Exercise 0.1: ``answer(path)`` returns ``(height, width, channels)`` of the photo at path."""
    problems = []
    with tempfile.TemporaryDirectory() as folder:
        for height, width in [(30, 40), (64, 64), (17, 5)]:
            path = Path(folder) / f"photo_{height}x{width}.png"
            _write_image(path, height, width, seed=height)
            got, problem = call_safely(answer, path)
            if problem:
                problems.append(problem)
                break
            expected = (height, width, 3)
            got = tuple(got) if isinstance(got, (tuple, list)) else got
            if got != expected:
                if got == (width, height, 3):
                    problems.append(f"for a {height}-pixel-high, {width}-pixel-wide image you returned "
                                    f"{got}: width and height are swapped.")
                else:
                    problems.append(f"for a {height}x{width} colour image you returned {got!r}; "
                                    f"expected {expected}.")
    report("Exercise 0.1", problems,
           success="numpy arrays of images are (height, width, channels).",
           hint="read the photo with helpers.images.read_rgb and look at the array's .shape.")


def bgr_to_rgb(answer: Callable[[np.ndarray], np.ndarray]) -> None:
    """Exercise 0.2: ``answer(image)`` turns a BGR image of shape (H, W, 3) into RGB."""
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    bgr[0, 0] = (255, 0, 0)  # pure blue in BGR order
    original = bgr.copy()
    got, problem = call_safely(answer, bgr)
    problems = [problem] if problem else []
    if not problem:
        got_array = np.asarray(got) if got is not None else None
        if got_array is not None and got_array.shape == bgr.shape and np.array_equal(got_array, original):
            problems.append("the image came back unchanged: the first and the last channel must swap.")
        else:
            problems.append(compare_arrays("your RGB image", got, original[..., ::-1]))
            if got_array is not None and got_array.dtype != np.uint8 and not problems[-1]:
                problems.append(f"the result has dtype {got_array.dtype}; keep uint8 (values 0-255).")
        if not np.array_equal(bgr, original):
            problems.append("your function changed the image it was given; return a new array instead.")
    report("Exercise 0.2", problems,
           success="a pure-blue BGR pixel (255, 0, 0) is (0, 0, 255) in RGB.",
           hint="the channels are the last axis; only their order changes.")


def count_images(answer: Callable[[Path], dict]) -> None:
    """Exercise 0.3: ``answer(folder)`` returns ``{class name: number of .jpg files}``."""
    expected = {"birds": 1, "cats": 3, "dogs": 2}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, count in expected.items():
            (root / name).mkdir()
            for i in range(count):
                (root / name / f"{name}.{i}.jpg").write_bytes(b"not really a photo")
        (root / "cats" / "notes.txt").write_text("not an image")
        got, problem = call_safely(answer, root)
    problems = [problem] if problem else []
    if not problem:
        if not isinstance(got, dict):
            problems.append(f"you returned a {type(got).__name__}; return a dict {{class name: count}}.")
        elif got != expected:
            if sorted(got) != sorted(expected):
                problems.append(f"the classes are {sorted(got)}; expected {sorted(expected)} "
                                f"(one per sub-folder).")
            for name in sorted(set(got) & set(expected)):
                if got[name] != expected[name]:
                    extra = " (did you count notes.txt too?)" if name == "cats" and got[name] == 4 else ""
                    problems.append(f"class {name!r}: you counted {got[name]}, expected {expected[name]}{extra}.")
    report("Exercise 0.3", problems,
           success="a dataset is one folder per class; the folder name is the label.",
           hint="one sub-folder per class; count only the .jpg files inside each.")
