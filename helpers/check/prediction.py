"""Checkers for the exercises of notebook 09 (saving, restoring and predicting).

    from helpers.check import prediction as check
    check.save_and_restore(save_and_restore)        # Exercise 9.1
    check.prepare(prepare)                          # Exercise 9.2
    check.predict_photos(predict_photos, RUN, PHOTOS)  # Exercise 9.3
    check.predicted_classes(predicted_classes)      # Exercise 9.4
    predict_photos = check.chosen("9.3", predict_photos, predict.class_probabilities, ...)

Each checker makes its own small cases in a temporary folder (generated photos, run folders
with a ``run.json`` and a tiny untrained ``model.keras``), compares the learner's answer with
the course's helpers (``helpers.images.load_for_model``, ``helpers.predict``) and, when it
differs, says which case, what came back, what was expected and which slip it looks like:
no ``/ 255``, BGR left as it is, no batch axis, another size, float64, ``argmin``, the wrong
axis, the class order, probabilities that do not sum to 1 or went through a second softmax.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
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


#: The photos of Exercise 9.2: (file name, height, width). All are larger than the sizes
#: asked for, as photos are, so every resize shrinks (INTER_AREA).
PREPARE_PHOTOS = (("striped.png", 150, 110), ("wide photo.jpg", 104, 140), ("tall.png", 150, 100))
#: The image size of the course's run: ``helpers.model.IMPROVED.image_size`` (a test checks).
COURSE_IMAGE_SIZE = 96
#: The image sizes asked for: the course's, then two others (a hard-coded course size shows).
PREPARE_SIZES = (COURSE_IMAGE_SIZE, 64, 48)


# --------------------------------------------------------------------------------------------
# Exercise 9.2: prepare a photo the way training did
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
    """Exercise 9.2: ``answer(path, image_size)`` must return the photo as the network takes it:
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
    report("Exercise 9.2", listed(_not_written(texts), MAX_LISTED),
           success="Your photos are prepared exactly as the training photos were: RGB, "
                   "INTER_AREA, float32 / 255, one batch axis.",
           hint="read -> BGR to RGB -> resize with INTER_AREA -> float32 in [0, 1] -> a "
                "batch axis in front; compare with images.load_for_model(path, size).")


# --------------------------------------------------------------------------------------------
# Exercise 9.4: from probabilities to class names
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
    """Exercise 9.4: ``answer(probabilities, class_names)`` must return the list of predicted
    class names, one per row of ``probabilities`` (num_images, num_classes): the class of the
    largest probability."""
    problems = []
    for rows, names in CLASS_CASES:
        probabilities = np.asarray(rows, dtype=np.float32)
        got, error = call_safely(answer, probabilities.copy(), list(names))
        problem = error or _classes_problem(got, probabilities, names)
        if problem:
            problems.append(problem)
    report("Exercise 9.4", listed(_not_written(problems), MAX_LISTED),
           success="One class name per image, the most probable one.",
           hint="the largest probability of each row is the prediction; look its index up "
                "in class_names.")


# --------------------------------------------------------------------------------------------
# Run folders for the checkers: run.json and a tiny untrained network
# --------------------------------------------------------------------------------------------

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


def make_tiny_run(folder: Path, class_names: Sequence[str], image_size: int,
                  seed: int = 0, scale: float = 25.0) -> Path:
    """A run folder that ``helpers.predict.load_run`` accepts: run.json and a small untrained
    network (one conv block, global average, softmax) as model.keras, with the last weights
    multiplied by ``scale`` so that its probabilities are far apart."""
    import dataclasses

    from helpers import model as M

    config = dataclasses.replace(M.ORIGINAL, image_size=image_size,
                                 num_classes=len(class_names), filters=(4,),
                                 head="global_average", dense_units=(), initializer="he")
    network = M.build_model(config, seed=seed)
    fc = network.get_layer("fc1")
    fc.kernel.assign(fc.kernel.numpy() * scale)
    write_run_json(folder, class_names, image_size)
    network.save(folder / "model.keras")
    return folder


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



# --------------------------------------------------------------------------------------------
# Exercise 9.1: save a model and load it back
# --------------------------------------------------------------------------------------------


def save_and_restore(answer: Callable[[Any, Any], Any]) -> None:
    """Exercise 9.1: ``answer(model, path)`` must save ``model`` as the file ``path`` (a
    ``.keras`` name) with ``model.save`` and return the model that
    ``keras.models.load_model(path, safe_mode=True)`` rebuilds from it: a new object, whose
    outputs equal the original's."""
    import keras

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="check-save-") as root:
        run_dir = make_tiny_run(Path(root) / "run", ("dogs", "cats"), 24)
        original = keras.models.load_model(run_dir / "model.keras", safe_mode=True)
        path = Path(root) / "my_model.keras"
        with _quiet_tensorflow():
            got, error = call_safely(answer, original, path)
        x = np.random.default_rng(0).uniform(0, 1, (2, 24, 24, 3)).astype(np.float32)
        if error:
            problems.append(error.replace(str(Path(root)) + os.sep, ""))
        elif not path.is_file():
            problems.append("nothing was written as the file path: save the model there with its save method.")
        elif got is None:
            problems.append("the function returned None: return the model load_model gives.")
        elif got is original:
            problems.append("you returned the model you were given: return the one "
                            "keras.models.load_model rebuilt from the file.")
        elif not isinstance(got, keras.Model):
            problems.append(f"you returned a {type(got).__name__}, not a Keras model.")
        else:
            same = np.allclose(np.asarray(got(x)), np.asarray(original(x)), atol=1e-6)
            if not same:
                problems.append("the restored model's outputs differ from the original's.")
    report("Exercise 9.1", listed(_not_written(problems), MAX_LISTED),
           success="The file holds the whole network: a model rebuilt from it gives the same "
                   "outputs.",
           hint="two calls: the model's save method with the path, then Keras's load_model on "
                "the same path, in safe mode.")


# --------------------------------------------------------------------------------------------
# Exercise 9.3: the prediction function
# --------------------------------------------------------------------------------------------

#: The checker's runs: (class names, image size), each with a tiny untrained network. The first
#: lists its classes as the tutorial did, dogs first, so a hard-coded or sorted order shows.
PREDICT_RUNS = ((("dogs", "cats"), 24), (("bikes", "cars", "planes"), 32))
#: How much the tiny runs' last weights are scaled up: enough for clear answers, little enough
#: that the probabilities are not all 0 or 1, so each slip changes them in its own way.
SCALE = 4.0


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _slip_outputs(model: Any, paths: Sequence[Path], size: int) -> dict[str, np.ndarray]:
    """The network's outputs for the photos prepared as training did and with each classic slip."""
    right = np.stack([images.load_for_model(p, size) for p in paths])
    outputs = {"right": right, "BGR": right[..., ::-1], "no /255": right * 255}
    return {name: np.asarray(model(batch, training=False)) for name, batch in outputs.items()}


_PREDICT_SLIPS = {
    "BGR": ("the colour channels are in BGR order, as cv2.imread gives them: convert with "
            "cv2.cvtColor(image, cv2.COLOR_BGR2RGB) before resizing"),
    "no /255": "the pixels were not scaled to [0, 1]: training divided them by 255",
    "softmax twice": ("the probabilities went through a second softmax: the course's models "
                      "end with a Softmax layer, so their output already is the probabilities"),
    "order": ("the probabilities are under the wrong class names: take the names in the order "
              "of run.json's class_names (the order of the network's outputs), not sorted or "
              "typed in"),
}


def _prediction_problem(got: Any, expected: np.ndarray, slips: dict[str, np.ndarray],
                        class_names: Sequence[str], call: str) -> tuple[str, str]:
    """``(kind, sentence)`` for what is wrong with a learner's list of {class: probability}, or
    ("", "") when it is right."""
    if got is None:
        return "none", f"{call} returned None: did you forget `return`?"
    if isinstance(got, dict) or not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return "type", (f"{call} returned {type(got).__name__}; return a list with one "
                        f"dictionary {{class name: probability}} per photo ({len(expected)}).")
    if not all(isinstance(d, dict) for d in got):
        return "type", f"{call}: each item must be a dictionary {{class name: probability}}."
    keys = [list(d) for d in got]
    if any(sorted(map(str, k)) != sorted(class_names) for k in keys):
        return "names", (f"{call}: the dictionaries' keys are {keys[0]}; expected the run's "
                         f"classes {list(class_names)} (from run.json).")
    try:
        values = np.array([[float(d[name]) for name in class_names] for d in got])
    except (TypeError, ValueError):
        return "type", f"{call}: the probabilities must be numbers."
    sums = values.sum(axis=1)
    if not np.allclose(sums, 1, atol=1e-3):
        return "sum", (f"{call}: the probabilities of a photo add up to {sums[0]:.4f}, not 1: "
                       "return the network's whole output row for each photo, one probability "
                       "per class.")
    if np.allclose(values, expected, atol=1e-4):
        return "", ""
    candidates = dict(slips)
    candidates["softmax twice"] = _softmax(expected)
    for permutation in ([1, 0, *range(2, len(class_names))],
                        list(np.argsort(class_names))):
        if permutation != list(range(len(class_names))):
            candidates.setdefault("order", expected[:, permutation])
    distances = {name: float(np.abs(values - outputs).max())
                 for name, outputs in candidates.items() if name != "right"}
    closest = min(distances, key=distances.get)
    if distances[closest] < 1e-3:
        return closest, f"{call}: {_PREDICT_SLIPS[closest]}."
    first = {n: round(float(v), 4) for n, v in zip(class_names, values[0])}
    right = {n: round(float(v), 4) for n, v in zip(class_names, expected[0])}
    return "values", (f"{call}: for the first photo you gave {first}; the course's prediction "
                      f"is {right}. Prepare the photos exactly as training did (RGB, "
                      "INTER_AREA resize to the run's size, float32 / 255).")


def _error_problem(error: str, call: str) -> tuple[str, str]:
    """A crash, explained when Keras refused the input's shape (no batch axis, another size)."""
    found = re.search(r"expected shape=\(None, (\d+), (\d+), 3\), found shape=\(([\d, ]+)\)", error)
    if found:
        size = int(found[1])
        shape = tuple(int(n) for n in found[3].split(",") if n.strip())
        if len(shape) == 3:
            return "batch", (f"{call}: the network was given one photo of shape {shape} without "
                             "the batch axis; it takes a batch (photos, height, width, 3): "
                             "stack the photos, or add an axis with image[np.newaxis].")
        if len(shape) == 4 and shape[1:3] != (size, size):
            return "size", (f"{call}: the photos were resized to {shape[1]}x{shape[2]}, but this "
                            f"run's network takes {size}x{size}: use the image_size of run.json.")
    return "error", error


def predict_photos(answer: Callable[[Any, Any], Any], run_dir: Any = None,
                   photos: Sequence[Any] | None = None) -> None:
    """Exercise 9.3: ``answer(run_dir, paths)`` must load the run's model with
    ``keras.models.load_model``, prepare every photo exactly as training did and return one
    dictionary ``{class name: probability}`` per photo, classes in run.json's order, as
    ``helpers.predict.class_probabilities`` does. Tried on two tiny runs (dogs/cats listed dogs
    first, at 24 px; three classes at 32 px) and, when ``run_dir`` is given, on that run too;
    ``photos`` (real photos) are used when given, generated photos otherwise. The classic slips
    each get their own sentence: BGR, no /255, another size, no batch axis, probabilities that
    do not sum to 1 (or went through a second softmax), the class order."""
    from helpers import predict

    problems: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="check-predict-") as root:
        root_path = Path(root)
        if photos:
            paths = [Path(p) for p in photos]
        else:
            paths = [write_photo(root_path / name, generated_photo(h, w, seed))
                     for seed, (name, h, w) in enumerate(PREPARE_PHOTOS)]
        runs = [make_tiny_run(root_path / f"run{i + 1}", names, size, seed=i, scale=SCALE)
                for i, (names, size) in enumerate(PREDICT_RUNS)]
        if run_dir is not None:
            runs.append(Path(run_dir))
        for index, folder in enumerate(runs):
            loaded = predict.load_run(folder)
            shown = f"run{index + 1}" if folder.parent == root_path else folder.name
            call = f"predict_photos({shown!r}, {len(paths)} photos)"
            expected = np.array([[d[n] for n in loaded.class_names]
                                 for d in predict.class_probabilities(loaded, paths)])
            with _quiet_tensorflow():
                got, error = call_safely(answer, folder if index % 2 == 0 else str(folder),
                                         [str(p) for p in paths])
            if error:
                kind, sentence = _error_problem(error.replace(str(root_path) + os.sep, ""), call)
                kind = "stub" if NOT_WRITTEN in error else kind
                sentence = sentence if kind != "error" else " ".join(
                    f"{call} {error.partition(') ')[2]}".split())
                problems.append((kind, sentence))
                continue
            slips = _slip_outputs(loaded.model, paths, loaded.image_size)
            kind, sentence = _prediction_problem(got, expected, slips, loaded.class_names, call)
            if kind:
                problems.append((kind, sentence))
    report("Exercise 9.3", listed(_not_written(_grouped(problems)), MAX_LISTED),
           success="Your function predicts as the course's does: the run's model, training's "
                   "preprocessing, one probability per class in run.json's order.",
           hint="read class_names and image_size from run.json, load model.keras, prepare each "
                "photo as in Exercise 9.2, stack them into one batch, call the model, and pair "
                "each row with the class names.")


# --------------------------------------------------------------------------------------------
# The course's prediction function or the learner's
# --------------------------------------------------------------------------------------------


def chosen(exercise: str, learners: Callable[..., Any], courses: Callable[..., Any],
           name: str) -> Callable[..., Any]:
    """The learner's function when ``exercise``'s check passed in this kernel, the course's
    otherwise; prints which one the notebook goes on with."""
    from helpers.check import RESULTS

    if RESULTS.get(exercise) == "passed":
        print(f"Going on with your {name} (Exercise {exercise} passed).")
        return learners
    print(f"Going on with the course's {name}: Exercise {exercise} has not passed yet.")
    return courses
