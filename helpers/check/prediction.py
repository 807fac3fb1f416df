"""Checkers for the exercises of notebook 09 (saving, restoring and predicting).

    from helpers.check import prediction as check
    check.prepare(prepare)                          # Exercise 9.1
    check.predicted_classes(predicted_classes)      # Exercise 9.2
    check.read_run_settings(read_run_settings)      # Exercise 9.3
    check.predict_photo(predict_photo, prepare)     # Exercise 9.4

Each checker makes its own small cases in a temporary folder (generated photos, run folders
with a ``run.json`` and a tiny untrained ``model.keras``), compares the learner's answer with
the course's helpers (``helpers.images.load_for_model``, ``helpers.predict``) and, when it
differs, says which case, what came back, what was expected and which slip it looks like:
no ``/ 255``, BGR left as it is, no batch axis, another size, float64, ``argmin``, the wrong
axis, values copied from the course's run instead of read from ``run.json``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from helpers import images
from helpers.check import NOT_WRITTEN, call_safely, compare_arrays, listed, report

#: How many wrong cases a message lists before it says "and N more".
MAX_LISTED = 3


def _grouped(problems: list[tuple[str, str]]) -> list[str]:
    """``(kind of slip, sentence)`` pairs as one sentence per kind: the first case that shows
    it, and how many more cases show the same."""
    seen: dict[str, list[str]] = {}
    for kind, sentence in problems:
        seen.setdefault(kind, []).append(sentence)
    texts = []
    for sentences in seen.values():
        more = len(sentences) - 1
        also = f" (The same in {more} more case{'s' if more > 1 else ''}.)" if more else ""
        texts.append(sentences[0] + also)
    return texts


def _not_written(problems: list[str]) -> list[str]:
    """Only the first "not written yet" sentence, when the answer is still a stub."""
    stub = [p for p in problems if NOT_WRITTEN in p]
    return stub[:1] if stub else problems


# --------------------------------------------------------------------------------------------
# Generated photos
# --------------------------------------------------------------------------------------------


def generated_photo(height: int, width: int, seed: int) -> np.ndarray:
    """An RGB uint8 (height, width, 3) picture whose channels differ everywhere: red grows to the
    right, blue grows downwards, green is noise. BGR read as RGB is then unmistakable."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, height)[:, np.newaxis]
    cols = np.linspace(0, 1, width)[np.newaxis, :]
    red = 30 + 200 * cols + 0 * rows
    blue = 20 + 180 * rows + 0 * cols
    green = rng.uniform(60, 160, size=(height, width))
    noise = rng.normal(0, 12, size=(height, width, 3))
    rgb = np.stack([red, green, blue], axis=-1) + noise
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def write_photo(path: Path, rgb: np.ndarray) -> Path:
    """Write an RGB picture as the file ``path`` (format from its suffix) with OpenCV."""
    ok, encoded = cv2.imencode(path.suffix, rgb[..., ::-1])  # OpenCV writes BGR
    if not ok:
        raise RuntimeError(f"could not encode {path.name}")
    path.write_bytes(encoded.tobytes())
    return path


#: The photos of Exercise 9.1: (file name, height, width). All are larger than the sizes
#: asked for, as photos are, so every resize shrinks (INTER_AREA).
PREPARE_PHOTOS = (("striped.png", 150, 110), ("wide photo.jpg", 104, 140), ("tall.png", 150, 100))
#: The image size of the course's run: ``helpers.model.IMPROVED.image_size`` (a test checks).
COURSE_IMAGE_SIZE = 96
#: The image sizes asked for: the course's, then two others (a hard-coded course size shows).
PREPARE_SIZES = (COURSE_IMAGE_SIZE, 64, 48)


# --------------------------------------------------------------------------------------------
# Exercise 9.1: prepare a photo the way training did
# --------------------------------------------------------------------------------------------


def _prepare_variants(path: Path, size: int) -> dict[str, np.ndarray]:
    """What the usual slips give, as float arrays (1, size, size, 3), to recognise them."""
    rgb = images.read_rgb(path)
    right = images.load_for_model(path, size)[np.newaxis]
    linear = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR)
    return {
        "right": right,
        "no /255": right * 255,
        "BGR": right[..., ::-1],
        "BGR and no /255": right[..., ::-1] * 255,
        "INTER_LINEAR": (linear.astype(np.float32) / 255)[np.newaxis],
        "transposed": np.transpose(right, (0, 2, 1, 3)),
    }


_PREPARE_SLIPS = {
    "no /255": "the values go up to 255: training divided the pixels by 255 (float32 in [0, 1])",
    "BGR": ("the colour channels are in BGR order: cv2.imread gives blue, green, red; "
            "convert with cv2.cvtColor(image, cv2.COLOR_BGR2RGB) (images.read_rgb does it)"),
    "BGR and no /255": ("the channels are in BGR order and the values go up to 255: convert "
                        "BGR to RGB and divide by 255"),
    "INTER_LINEAR": ("the photo was shrunk with INTER_LINEAR (cv2.resize's default); training "
                     "shrinks with interpolation=cv2.INTER_AREA"),
    "transposed": ("the image is transposed (rows and columns swapped): cv2.resize takes "
                   "(width, height), numpy shapes are (height, width)"),
}


def _prepare_problem(got: Any, path: Path, size: int) -> tuple[str, str]:
    """``(kind of slip, sentence starting with prepare('name', size))``, or ("", "") when the
    answer is right. The kind groups the cases that show the same slip."""
    case = f"prepare({path.name!r}, {size})"
    if got is None:
        return "none", f"{case} returned None: did you forget `return`?"
    try:
        array = np.asarray(got)
    except Exception:  # a learner's object that numpy cannot take
        return "type", f"{case} returned a {type(got).__name__}, not an array."
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        return "type", f"{case} returned an array of {array.dtype}, not of numbers."
    expected_shape = (1, size, size, 3)
    if array.shape != expected_shape:
        if array.shape == expected_shape[1:]:
            return "batch", (f"{case} has shape {array.shape}, without the batch axis: the "
                             f"network takes a batch, {expected_shape}; add one with "
                             "image[np.newaxis].")
        if array.ndim in (3, 4) and array.shape[-3:-1] != (size, size):
            got_size = "x".join(str(n) for n in array.shape[-3:-1])
            return "size", (f"{case} is {got_size} pixels, not {size}x{size}: resize to "
                            f"(image_size, image_size), the size given as the argument.")
        return "shape", f"{case} has shape {array.shape}; expected {expected_shape}."
    if array.dtype != np.float32:
        why = {np.dtype(np.float64): "float64 (uint8 / 255 in numpy gives float64): convert "
                                     "with .astype(np.float32) first, as training does",
               np.dtype(np.uint8): "uint8: the pixels were not converted to float32 and divided "
                                   "by 255"}.get(array.dtype, f"{array.dtype}, not float32")
        if array.dtype != np.uint8:
            values = compare_arrays(case, array, _prepare_variants(path, size)["right"], atol=1e-6)
            if values:
                return f"dtype {array.dtype} and values", f"{case} is {why}; also, {values}"
        return f"dtype {array.dtype}", f"{case} is {why}."
    variants = _prepare_variants(path, size)
    difference = compare_arrays(case, array, variants["right"], atol=1e-6)
    if not difference:
        return "", ""
    for name, variant in variants.items():
        if name != "right" and np.allclose(array, variant, atol=1e-4 if "255" not in name else 0.02):
            return name, f"{case}: {_PREPARE_SLIPS[name]}."
    return "values", difference


def prepare(answer: Callable[[Any, int], Any]) -> None:
    """Exercise 9.1: ``answer(path, image_size)`` must return the photo as the network takes it:
    float32 (1, image_size, image_size, 3), RGB, in [0, 1], resized with INTER_AREA, exactly
    ``images.load_for_model(path, image_size)[np.newaxis]``. Tried on generated PNG and JPEG
    photos at three sizes; paths are given as strings and as ``Path`` objects."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="check-prepare-") as folder:
        paths = [write_photo(Path(folder) / name, generated_photo(h, w, seed))
                 for seed, (name, h, w) in enumerate(PREPARE_PHOTOS)]
        for index, path in enumerate(paths):
            for size in PREPARE_SIZES:
                argument = str(path) if index % 2 == 0 else path
                got, error = call_safely(answer, argument, size)
                if error:  # name the photo, not the temporary folder, in one line
                    _, _, what = error.partition(") ")
                    kind = "stub" if NOT_WRITTEN in error else "error " + what
                    problems.append((kind, " ".join(f"prepare({path.name!r}, {size}) {what}"
                                                    .split())))
                else:
                    kind, sentence = _prepare_problem(got, path, size)
                    if kind:
                        problems.append((kind, sentence))
    texts = _grouped(problems)
    report("Exercise 9.1", listed(_not_written(texts), MAX_LISTED),
           success="Your photos are prepared exactly as the training photos were: RGB, "
                   "INTER_AREA, float32 / 255, one batch axis.",
           hint="read -> BGR to RGB -> resize with INTER_AREA -> float32 in [0, 1] -> a "
                "batch axis in front; compare with images.load_for_model(path, size).")


# --------------------------------------------------------------------------------------------
# Exercise 9.2: from probabilities to class names
# --------------------------------------------------------------------------------------------

#: (probabilities, class names): the tutorial's example, a batch, a square case (where the
#: wrong axis still gives the right number of answers) and three classes.
CLASS_CASES: tuple[tuple[list[list[float]], tuple[str, ...]], ...] = (
    ([[0.994, 0.006]], ("cats", "dogs")),
    ([[0.2, 0.8], [0.7, 0.3], [0.45, 0.55], [0.9, 0.1]], ("cats", "dogs")),
    ([[0.6, 0.3, 0.1], [0.5, 0.1, 0.4], [0.2, 0.2, 0.6]], ("bikes", "cars", "planes")),
    ([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4], [0.8, 0.15, 0.05], [0.25, 0.5, 0.25], [0.3, 0.6, 0.1]],
     ("bikes", "cars", "planes")),
)


def _names(got: Any) -> list[Any] | None:
    if isinstance(got, (str, bytes)):
        return [got]
    try:
        return list(np.asarray(got, dtype=object).ravel())
    except Exception:
        return None


def _classes_problem(got: Any, probabilities: np.ndarray, class_names: Sequence[str]) -> str:
    rows = [[round(float(v), 3) for v in row] for row in probabilities]
    case = f"predicted_classes({rows}, {list(class_names)})"
    expected = [class_names[i] for i in np.argmax(probabilities, axis=1)]
    if got is None:
        return f"{case} returned None: did you forget `return`?"
    names = _names(got)
    if names is None:
        return f"{case} returned a {type(got).__name__}; return a list of class names."
    if names == expected:
        return ""
    if len(names) == len(expected) and all(isinstance(n, (int, np.integer)) for n in names):
        if [int(n) for n in names] == list(np.argmax(probabilities, axis=1)):
            return (f"{case} returned the indices {[int(n) for n in names]}; return the names: "
                    f"class_names[index].")
    shown = f"{case} returned {[str(n) for n in names]}; expected {expected}"
    if [str(n) for n in names] == [class_names[i] for i in np.argmin(probabilities, axis=1)]:
        return f"{shown}: that is the LEAST probable class of each row (argmin); use argmax."
    by_column = [class_names[i] for i in np.argmax(probabilities, axis=0)
                 if i < len(class_names)]
    by_column_raw = list(np.argmax(probabilities, axis=0))
    if [str(n) for n in names] == by_column or names == by_column_raw:
        return (f"{shown}: argmax over axis 0 looks down each column (which image is most "
                f"confident for each class); one answer per image needs axis=1 (or -1).")
    if len(names) != len(expected):
        return f"{shown}: one name per row (image), {len(expected)} here."
    return f"{shown}."


def predicted_classes(answer: Callable[[np.ndarray, Sequence[str]], Any]) -> None:
    """Exercise 9.2: ``answer(probabilities, class_names)`` must return the list of predicted
    class names, one per row of ``probabilities`` (num_images, num_classes): the class of the
    largest probability."""
    problems = []
    for rows, names in CLASS_CASES:
        probabilities = np.asarray(rows, dtype=np.float32)
        got, error = call_safely(answer, probabilities.copy(), list(names))
        problem = error or _classes_problem(got, probabilities, names)
        if problem:
            problems.append(problem)
    report("Exercise 9.2", listed(_not_written(problems), MAX_LISTED),
           success="One class name per image, the most probable one.",
           hint="the largest probability of each row is the prediction; look its index up "
                "in class_names.")


# --------------------------------------------------------------------------------------------
# Exercise 9.3: what a run folder says
# --------------------------------------------------------------------------------------------

#: run.json contents of the checker's run folders: the course's, and two others.
RUN_CASES = (
    {"class_names": ["cats", "dogs"], "image_size": COURSE_IMAGE_SIZE},
    {"class_names": ["bikes", "cars", "planes"], "image_size": 80},
    {"class_names": ["daisy", "rose", "sunflower", "tulip"], "image_size": 128},
)


def write_run_json(folder: Path, class_names: Sequence[str], image_size: int) -> Path:
    """A run folder whose run.json looks like ``helpers.train``'s (the fields prediction needs,
    plus a few others), so that answers must pick the right keys."""
    from helpers.train import PREPROCESSING

    folder.mkdir(parents=True, exist_ok=True)
    info = {"class_names": list(class_names), "image_size": image_size,
            "preprocessing": PREPROCESSING,
            "recipe": {"name": "improved", "epochs": 50, "batch_size": 32,
                       "image_size": image_size},
            "settings": {"epochs": 50, "image_size": image_size, "batch_size": 32, "seed": 0},
            "status": "finished"}
    (folder / "run.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return folder


def _settings_problem(got: Any, folder: Path, case: dict[str, Any], shown: str) -> str:
    call = f"read_run_settings({shown})"
    names, size = case["class_names"], case["image_size"]
    if got is None:
        return f"{call} returned None: did you forget `return`?"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return (f"{call} returned {got!r}; return two values, "
                "`return class_names, image_size`.")
    got_names, got_size = got
    problems = []
    if isinstance(got_names, (int, np.integer)) and isinstance(got_size, (list, tuple)):
        return f"{call} returned (image_size, class_names); the order is (class_names, image_size)."
    try:
        listed = [str(n) for n in got_names] if not isinstance(got_names, str) else None
    except TypeError:
        listed = None
    if listed != names:
        hint = ""
        if listed == ["cats", "dogs"] and names != ["cats", "dogs"]:
            hint = (" (those are the course run's classes: read them from run_dir/run.json, "
                    "the folder given as the argument)")
        elif listed is not None and sorted(listed) == sorted(names):
            hint = " (keep the order of run.json: it is the order of the probabilities)"
        problems.append(f"class names {got_names!r} instead of {names}{hint}")
    if isinstance(got_size, (bool, np.bool_)) or not isinstance(got_size, (int, np.integer)):
        problems.append(f"image size {got_size!r} is a {type(got_size).__name__}; "
                        f"expected the whole number {size}")
    elif got_size != size:
        hint = (" (the course run's size: read the size from run.json)"
                if got_size == COURSE_IMAGE_SIZE and size != COURSE_IMAGE_SIZE else "")
        problems.append(f"image size {got_size} instead of {size}{hint}")
    return f"{call}: " + "; ".join(problems) + "." if problems else ""


def read_run_settings(answer: Callable[[Any], Any]) -> None:
    """Exercise 9.3: ``answer(run_dir)`` must return ``(class_names, image_size)`` read from
    ``run_dir/run.json``: a list of str in the file's order, and an int. Tried on three run
    folders (two and more classes, several sizes), given as str and as Path."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="check-run-") as root:
        for index, case in enumerate(RUN_CASES):
            folder = write_run_json(Path(root) / f"run{index + 1}", **case)
            argument = folder if index % 2 == 0 else str(folder)
            got, error = call_safely(answer, argument)
            problem = error or _settings_problem(got, folder, case, f"'run{index + 1}'")
            if problem:
                problems.append(problem.replace(str(Path(root)) + os.sep, ""))
    report("Exercise 9.3", listed(_not_written(problems), MAX_LISTED),
           success="The run folder tells you the classes and the image size: prediction never "
                   "needs to be told them again.",
           hint="run.json in the run folder is JSON; take its 'class_names' and 'image_size'.")


# --------------------------------------------------------------------------------------------
# Exercise 9.4: restore a run and predict one photo
# --------------------------------------------------------------------------------------------

#: The checker's runs: (class names, image size); each gets a tiny untrained network.
PREDICT_RUNS = ((("bikes", "cars", "planes"), 24), (("cats", "dogs"), 32))


def make_tiny_run(folder: Path, class_names: Sequence[str], image_size: int,
                  seed: int = 0) -> Path:
    """A run folder that ``helpers.predict.load_run`` accepts: run.json and a small untrained
    network (one conv block, global average, softmax) as model.keras, with weights scaled up so
    that its probabilities are far apart."""
    import dataclasses

    from helpers import model as M

    config = dataclasses.replace(M.ORIGINAL, image_size=image_size,
                                 num_classes=len(class_names), filters=(4,),
                                 head="global_average", dense_units=(), initializer="he")
    network = M.build_model(config, seed=seed)
    fc = network.get_layer("fc1")
    fc.kernel.assign(fc.kernel.numpy() * 25.0)
    write_run_json(folder, class_names, image_size)
    network.save(folder / "model.keras")
    return folder


def _photo_problem(got: Any, expected_name: str, expected_p: float, probabilities: np.ndarray,
                   class_names: Sequence[str], call: str) -> str:
    if got is None:
        return f"{call} returned None: did you forget `return`?"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"{call} returned {got!r}; return two values, `return class_name, probability`."
    name, p = got
    if isinstance(name, (int, np.integer)):
        return (f"{call} returned the index {name}; return the class name "
                f"(class_names[{name}]) and its probability.")
    try:
        p = float(np.asarray(p).reshape(()))
    except (TypeError, ValueError):
        return f"{call}: the probability {p!r} is not one number."
    problems = []
    if str(name) != expected_name:
        problems.append(f"class {name!r} instead of {expected_name!r}")
    if not np.isclose(p, expected_p, atol=1e-4):
        others = {class_names[i]: round(float(q), 4) for i, q in enumerate(probabilities)}
        slip = (" (the probability of another class: give that of the predicted one)"
                if any(np.isclose(p, q, atol=1e-4) for q in probabilities) else
                " (not a probability of any class: did the photo go through your prepare, "
                "with the run's image size?)")
        problems.append(f"probability {p:.4f} instead of {expected_p:.4f}{slip}; the network "
                        f"gives {others}")
    return f"{call}: " + "; ".join(problems) + "." if problems else ""


@contextlib.contextmanager
def _quiet_tensorflow():
    """Silence TensorFlow's Python warnings for a while (a learner's ``model.predict`` on a
    freshly loaded model per call makes it warn about retracing, which is not their mistake)."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def predict_photo(answer: Callable[[Any, Any], Any],
                  prepare_answer: Callable[[Any, int], Any] | None = None) -> None:
    """Exercise 9.4: ``answer(run_dir, path)`` must restore the run (run.json and model.keras,
    in safe mode) and return ``(class_name, probability)`` for the photo: the most probable
    class and its probability, as ``helpers.predict.predict_files`` gives them. Tried on two
    tiny runs (3 classes at 24 px, 2 at 32 px) and two photos each. ``prepare_answer``, the
    learner's Exercise 9.1, is only mentioned when it is the reason things go wrong."""
    from helpers import predict

    problems = []
    with tempfile.TemporaryDirectory(prefix="check-predict-") as root:
        root_path = Path(root)
        photos = [write_photo(root_path / name, generated_photo(h, w, seed))
                  for seed, (name, h, w) in enumerate(PREPARE_PHOTOS[:2])]
        for index, (names, size) in enumerate(PREDICT_RUNS):
            run_dir = make_tiny_run(root_path / f"run{index + 1}", names, size, seed=index)
            expected = predict.predict_files(run_dir, photos)
            for photo, prediction in zip(photos, expected):
                call = f"predict_photo('run{index + 1}', {photo.name!r})"
                with _quiet_tensorflow():  # model.predict on a new model per call: retracing notes
                    got, error = call_safely(answer, run_dir if index == 0 else str(run_dir), photo)
                problem = error or _photo_problem(got, prediction.class_name,
                                                  prediction.probability,
                                                  prediction.probabilities, names, call)
                if problem:
                    problems.append(problem.replace(str(root_path) + os.sep, ""))
        if problems and prepare_answer is not None and not any(NOT_WRITTEN in p for p in problems):
            got, error = call_safely(prepare_answer, photos[0], 24)
            if error or _prepare_problem(got, photos[0], 24)[0]:
                problems.append("your prepare (Exercise 9.1) is not right yet: fix it first.")
    report("Exercise 9.4", listed(_not_written(problems), MAX_LISTED),
           success="You restored a run in safe mode and predicted a photo with the training "
                   "preprocessing: what python -m helpers.predict does.",
           hint="use your read_run_settings and prepare, load the run's model.keras in "
                "safe mode, and return the most probable class with its probability.")
