"""Predicting the class of photos with a trained run (notebook 09).

From the command line::

    python -m helpers.predict --model RUN_DIR IMAGE_OR_DIR... [--json]

prints, for each image, its path, the predicted class and the probability of every class::

    my_cat.jpg: cats  [cats 0.994, dogs 0.006]

A folder stands for the image files directly in it, sorted by name; its sub-folders are not
read (each gets a warning line), and hidden files, operating-system junk, FIFOs, devices and
files whose name is not an image's are left out, by the rules of ``helpers.data``. A missing, unreadable or non-image file gets one line on stderr
naming it (``error: notes.txt: not an image``), the other images are still predicted, and
the exit status is then 1. The run folder says everything else: the class names, the image
size and the preprocessing (``run.json``) and the model (``model.keras``, the kept epoch),
which loads in Keras's safe mode (no code in the file is ever run); a corrupt model file is
named as such. An image whose header declares more than ``helpers.images.MAX_PIXELS`` pixels
is refused before it is decoded, so memory stays bounded whatever the photo.

In a notebook::

    predictions = predict_files("runs/first", ["my_cat.jpg"])
    predictions[0].class_name, predictions[0].probabilities     # "cats", array([0.994, 0.006])

Every image is prepared by ``helpers.images.load_for_model`` with the run's image size:
the very function the training pipeline's images went through (``read_rgb``, ``resize``,
``/ 255``), so the network sees a photo at prediction time exactly as it saw photos in training.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":  # the command line reads its arguments before TensorFlow loads
    from helpers.cli import predict_command

    sys.exit(predict_command())

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from helpers import data, images, run
from helpers.run import RunError


@dataclass(frozen=True)
class Run:
    """A trained run, ready to predict: its folder, model, class names and image size."""

    run_dir: Path
    model: keras.Model
    class_names: tuple[str, ...]
    image_size: int
    info: dict[str, Any]


def load_run(run_dir: str | os.PathLike) -> Run:
    """Load ``run_dir/model.keras`` in safe mode, with the class names and image size of run.json.

    Raises :class:`helpers.run.RunError` (one line) when the folder is no run, has no model yet,
    has a corrupt one, or was trained with a preprocessing that this code does not do.
    """
    run_dir = Path(run_dir)
    info = run.read_run(run_dir)
    run.check_preprocessing(run_dir, info)
    path = run.best_model_path(run_dir)
    model = run.in_float32(run.load_model(path, compile=False))
    class_names = tuple(info["class_names"])
    size = int(info["image_size"])
    expected_in, expected_out = (None, size, size, 3), (None, len(class_names))
    if tuple(model.input_shape) != expected_in or tuple(model.output_shape) != expected_out:
        raise RunError(f"{path}: takes {model.input_shape} and gives {model.output_shape}, but "
                       f"run.json says {size}x{size} images and {len(class_names)} classes")
    return Run(run_dir, model, class_names, size, info)


@dataclass(frozen=True)
class Prediction:
    """The prediction for one file, or why there is none.

    probabilities: (num_classes,) float32 in [0, 1] summing to 1, in the order of
    ``class_names``; None when the file could not be used, and ``error`` then says why.
    """

    path: Path
    class_names: tuple[str, ...]
    probabilities: np.ndarray | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def label(self) -> int | None:
        """The index of the most probable class."""
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    @property
    def class_name(self) -> str | None:
        """The most probable class ("cats")."""
        return None if self.label is None else self.class_names[self.label]

    @property
    def probability(self) -> float | None:
        """The probability of the predicted class."""
        return None if self.label is None else float(self.probabilities[self.label])

    def to_dict(self) -> dict[str, Any]:
        probabilities = None if self.probabilities is None else {
            name: round(float(p), 6) for name, p in zip(self.class_names, self.probabilities)}
        return {"path": str(self.path), "class": self.class_name,
                "probabilities": probabilities, "error": self.error}

    def __str__(self) -> str:
        if not self.ok:
            return f"{self.path}: error: {self.error}"
        every = ", ".join(f"{name} {p:.3f}"
                          for name, p in zip(self.class_names, self.probabilities))
        return f"{self.path}: {self.class_name}  [{every}]"


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, str | None]]:
    """Each argument as ``(file, None)``, a folder as the image files directly in it (sorted,
    junk and non-image names left out, as ``helpers.data`` lists a class folder; each
    sub-folder and special file gets a ``data.SkippedImageWarning``), and
    ``(folder, "no image files")`` for a folder without any."""
    expanded: list[tuple[Path, str | None]] = []
    for path in map(Path, paths):
        if not path.is_dir():
            expanded.append((path, None))  # a missing or bad file shows when it is read
            continue
        listing = data.list_class_folder(path)
        data.warn_not_read(listing)
        expanded += ([(file, None) for file in listing.images]
                     or [(path, "no image files directly in this folder")])
    return expanded


def _load(path: Path, image_size: int) -> tuple[np.ndarray | None, str | None]:
    """``images.load_for_model`` that reports instead of raising: (image, None) or (None, why)."""
    try:
        return images.load_for_model(path, image_size), None
    except FileNotFoundError:
        return None, "no such file"
    except images.UnreadableImageError as error:
        return None, error.reason + (f" ({error.detail})" if error.detail else "")
    except OSError as error:
        return None, f"cannot be opened ({error.strerror or error})"


#: Test-time augmentation (TTA): the views of each image whose probabilities are averaged.
#: "none": the image alone; "flip": the image and its mirror image (flipped left-right), the one
#: change the training augmentation always includes; "crops": those two and the centre
#: :data:`CROP_FRACTION` of each, enlarged back to the full size: a zoom in, as training's
#: ``RandomZoom`` makes them.
TTA_MODES = ("none", "flip", "crops")
CROP_FRACTION = 0.85


def tta_mode(tta: bool | str | None) -> str:
    """``tta`` as one of :data:`TTA_MODES`: False or None mean "none", True means "flip"."""
    mode = "flip" if tta is True else "none" if tta is None or tta is False else tta
    if mode not in TTA_MODES:
        raise ValueError(f"tta must be one of {', '.join(TTA_MODES)}, True or False; got {tta!r}")
    return mode


def centre_crop(batch: np.ndarray, fraction: float = CROP_FRACTION) -> np.ndarray:
    """The centre ``fraction`` of each image of ``batch`` (n, height, width, 3), enlarged back
    to (height, width) with bilinear interpolation."""
    height, width = batch.shape[1:3]
    crop_height, crop_width = round(height * fraction), round(width * fraction)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    crop = batch[:, top:top + crop_height, left:left + crop_width, :]
    return np.asarray(keras.ops.image.resize(crop, (height, width), interpolation="bilinear"))


def tta_views(batch: np.ndarray, tta: bool | str | None = "none") -> list[np.ndarray]:
    """The views of ``batch`` that ``tta`` averages (see :data:`TTA_MODES`); the first is
    ``batch`` itself."""
    mode = tta_mode(tta)
    views = [batch]
    if mode in ("flip", "crops"):
        views.append(np.ascontiguousarray(batch[:, :, ::-1, :]))  # (batch, height, WIDTH, channels)
    if mode == "crops":
        views += [centre_crop(view) for view in views]
    return views


def predict_batch(model: keras.Model, batch: np.ndarray, tta: bool | str = False) -> np.ndarray:
    """Probabilities (n, num_classes) for prepared images (n, size, size, 3) in [0, 1].

    ``tta`` (test-time augmentation, :data:`TTA_MODES`): "flip" (or True) averages the
    probabilities of each image and of its mirror image; "crops" adds the centre crop of both.
    """
    views = tta_views(batch, tta)
    return np.mean([np.asarray(model(view, training=False)) for view in views], axis=0)


def predict_files(run: str | os.PathLike | Run, paths: Iterable[str | os.PathLike], *,
                  batch_size: int = 32, tta: bool | str = False) -> list[Prediction]:
    """Predict the class of each image file (folders stand for their image files).

    ``run``: a run folder or a :class:`Run` from :func:`load_run`. Returns one
    :class:`Prediction` per file, in order; a file that cannot be used gets one whose ``error``
    says why (``ok`` is False), and the others are predicted all the same. Images are prepared
    with ``helpers.images.load_for_model(path, run.image_size)`` and go through the network
    ``batch_size`` at a time; ``tta``: see :func:`predict_batch`.
    """
    run = run if isinstance(run, Run) else load_run(run)
    expanded = expand_paths(paths)
    predictions: list[Prediction] = []
    for start in range(0, len(expanded), batch_size):
        chunk = expanded[start:start + batch_size]
        loaded = [(path, *_load(path, run.image_size)) if why is None else (path, None, why)
                  for path, why in chunk]
        good = [image for _, image, _ in loaded if image is not None]
        probabilities = iter(predict_batch(run.model, np.stack(good), tta) if good else [])
        for path, image, why in loaded:
            predictions.append(Prediction(path, run.class_names,
                                          None if image is None else next(probabilities), why))
    return predictions


# ---- command line: helpers.cli reads the arguments, then calls print_predictions ---------------


def class_probabilities(run: str | os.PathLike | Run,
                        paths: Sequence[str | os.PathLike]) -> list[dict[str, float]]:
    """One ``{class name: probability}`` per photo, classes in run.json's order: the prediction
    function notebook 09's learner writes (Exercise 9.3). Raises ``ValueError`` naming the first
    file that could not be predicted."""
    predictions = predict_files(run, paths)
    for prediction in predictions:
        if not prediction.ok:
            raise ValueError(f"{prediction.path}: {prediction.error}")
    return [{name: float(p) for name, p in zip(prediction.class_names, prediction.probabilities)}
            for prediction in predictions]


def print_predictions(run_dir: str | os.PathLike, paths: Sequence[str | os.PathLike],
                      as_json: bool = False) -> int:
    """Print one line per file (errors on stderr) or the JSON; 0 if all were predicted, else 1."""
    loaded = load_run(run_dir)
    predictions = predict_files(loaded, paths)
    for prediction in predictions:  # in the order of the arguments, errors on stderr
        if not prediction.ok:
            print(f"error: {prediction.path}: {prediction.error}", file=sys.stderr, flush=True)
        elif not as_json:
            print(prediction, flush=True)
    if as_json:
        print(json.dumps({"model": str(run_dir), "class_names": list(loaded.class_names),
                          "predictions": [p.to_dict() for p in predictions]}, indent=1))
    return 0 if all(p.ok for p in predictions) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.predict`` with ``argv``; returns the exit status."""
    from helpers.cli import predict_command

    return predict_command(argv)
