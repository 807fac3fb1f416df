"""Evaluating a trained run on a folder of labelled photos (notebook 10).

From the command line::

    python -m helpers.evaluate --model RUN_DIR DIR [--json] [--tta | --tta-crops]

``DIR`` holds one sub-folder per class, with the class names of the run (``testing_data``).
The report gives the accuracy, each class's precision and recall, the confusion matrix and
the misclassified files. In a notebook::

    evaluation = evaluate_folder("runs/first", "data/testing_data")
    evaluation.accuracy, evaluation.confusion
    plots.plot_confusion_matrix(evaluation.confusion, evaluation.class_names)

The measures, from the confusion matrix ``C`` (``C[i, j]``: images of true class i predicted
as class j; rows are true classes, columns predicted ones)::

    accuracy     = trace(C) / sum(C)             the fraction of images predicted right
    precision[j] = C[j, j] / sum(C[:, j])        of the images predicted j, the fraction that are j
    recall[i]    = C[i, i] / sum(C[i, :])        of the images of class i, the fraction found

A precision whose class was never predicted (0 / 0) is ``nan`` (``null`` in JSON, "n/a" in
text): undefined, not 0. The images are predicted by :func:`helpers.predict.predict_files`, so
they are prepared as in training and prediction; ``--tta`` averages each image's
probabilities with those of its mirror image, ``--tta-crops`` also with the centre crops of
both (``helpers.predict.TTA_MODES``). Unusable files are skipped with a warning naming
each, as the training pipeline skips them.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":  # the command line reads its arguments before TensorFlow loads
    from helpers.cli import evaluate_command

    sys.exit(evaluate_command())

import json
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helpers import data
from helpers.data import DatasetError, check_same_classes
from helpers.predict import Run, load_run, predict_files, tta_mode

# ---- the measures, in numpy -------------------------------------------------------------------


def confusion_matrix(true_labels: Sequence[int], predicted_labels: Sequence[int],
                     num_classes: int) -> np.ndarray:
    """``C`` (num_classes, num_classes) int64: ``C[i, j]`` counts class i images predicted j."""
    true = np.asarray(true_labels, dtype=np.int64).ravel()
    predicted = np.asarray(predicted_labels, dtype=np.int64).ravel()
    if true.shape != predicted.shape:
        raise ValueError(f"got {true.size} true labels but {predicted.size} predicted ones")
    for name, labels in (("true_labels", true), ("predicted_labels", predicted)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} must be class indices in [0, {num_classes - 1}], "
                             f"got values from {labels.min()} to {labels.max()}")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)  # one count per (true, predicted) pair
    return matrix


def accuracy_of(matrix: np.ndarray) -> float:
    """``trace(C) / sum(C)``: the fraction predicted right (nan without any image)."""
    total = matrix.sum()
    return float(np.trace(matrix) / total) if total else math.nan


def precision_recall(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)``, each (num_classes,) float64; nan where the division is 0 / 0.

    precision[j] = C[j, j] / (column j's sum: all images predicted j);
    recall[i] = C[i, i] / (row i's sum: all images of class i).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    right = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, right / predicted, np.nan)
        recall = np.where(actual > 0, right / actual, np.nan)
    return precision, recall


# ---- the evaluation ---------------------------------------------------------------------------


#: How the first line of the report names each test-time augmentation.
TTA_WORDS = {"none": "", "flip": " with flipped-image averaging (TTA)",
             "crops": " averaged over each image, its mirror image and their centre crops (TTA)"}


@dataclass(frozen=True)
class Misclassified:
    """A file predicted wrong: its true class, the predicted one and that one's probability."""

    path: Path
    true_class: str
    predicted_class: str
    probability: float


@dataclass
class Evaluation:
    """The predictions of a run on a labelled folder, and the measures made from them.

    paths, true_labels (n,), probabilities (n, num_classes): the usable images, in order.
    confusion (num_classes, num_classes); accuracy; precision and recall (num_classes,).
    skipped: the unusable files and why.
    """

    run_dir: Path
    folder: Path
    class_names: list[str]
    paths: list[Path]
    true_labels: np.ndarray
    probabilities: np.ndarray
    tta: str = "none"  # the views averaged, one of helpers.predict.TTA_MODES
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    confusion: np.ndarray = field(init=False)
    accuracy: float = field(init=False)
    precision: np.ndarray = field(init=False)
    recall: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.confusion = confusion_matrix(self.true_labels, self.predicted_labels,
                                          len(self.class_names))
        self.accuracy = accuracy_of(self.confusion)
        self.precision, self.recall = precision_recall(self.confusion)

    @property
    def predicted_labels(self) -> np.ndarray:
        return np.argmax(self.probabilities, axis=1) if len(self.paths) else np.zeros(0, np.int64)

    @property
    def misclassified(self) -> list[Misclassified]:
        """The files predicted wrong, most confidently wrong first."""
        predicted = self.predicted_labels
        wrong = [i for i in range(len(self.paths)) if predicted[i] != self.true_labels[i]]
        wrong.sort(key=lambda i: -self.probabilities[i, predicted[i]])
        return [Misclassified(self.paths[i], self.class_names[self.true_labels[i]],
                              self.class_names[predicted[i]],
                              float(self.probabilities[i, predicted[i]])) for i in wrong]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the measures, the matrix and the misclassified files (nan becomes None)."""
        def number(value: float) -> float | None:
            return None if math.isnan(value) else round(float(value), 6)

        return {
            "model": str(self.run_dir), "folder": str(self.folder), "tta": self.tta,
            "class_names": self.class_names, "images": len(self.paths),
            "accuracy": number(self.accuracy),
            "classes": [{"name": name, "precision": number(p), "recall": number(r),
                         "images": int(n)}
                        for name, p, r, n in zip(self.class_names, self.precision, self.recall,
                                                 self.confusion.sum(axis=1))],
            "confusion_matrix": self.confusion.tolist(),
            "misclassified": [{"path": str(m.path), "true": m.true_class,
                               "predicted": m.predicted_class,
                               "probability": round(m.probability, 6)}
                              for m in self.misclassified],
            "skipped": [{"path": str(path), "reason": why} for path, why in self.skipped],
        }

    def __str__(self) -> str:
        def number(value: float) -> str:
            return "n/a" if math.isnan(value) else f"{value:.4f}"

        names = self.class_names
        width = max(len("class"), *map(len, names))
        right = int(np.trace(self.confusion))
        lines = [f"{self.folder}: {len(self.paths)} images of {len(names)} classes, model "
                 f"{self.run_dir}" + TTA_WORDS[self.tta],
                 f"accuracy {number(self.accuracy)} ({right} of {len(self.paths)} right)", "",
                 f"{'class':<{width}}  precision  recall  images"]
        for name, p, r, n in zip(names, self.precision, self.recall, self.confusion.sum(axis=1)):
            lines.append(f"{name:<{width}}  {number(p):>9}  {number(r):>6}  {n:>6}")
        cell = max(5, *map(len, names), len(str(self.confusion.max())))
        lines += ["", "confusion matrix (rows: true class, columns: predicted class)",
                  " " * width + "".join(f"  {name:>{cell}}" for name in names)]
        for name, row in zip(names, self.confusion):
            lines.append(f"{name:<{width}}" + "".join(f"  {count:>{cell}}" for count in row))
        wrong = self.misclassified
        lines += ["", f"misclassified ({len(wrong)}):"]
        lines += [f"  {m.path}: {m.true_class} predicted as {m.predicted_class} "
                  f"({m.probability:.3f})" for m in wrong] or ["  none"]
        if self.skipped:
            lines += ["", f"skipped ({len(self.skipped)}, unusable):"]
            lines += [f"  {path}: {why}" for path, why in self.skipped]
        return "\n".join(lines)


def evaluate_folder(run: str | os.PathLike | Run, folder: str | os.PathLike, *,
                    tta: bool | str = False, batch_size: int = 32) -> Evaluation:
    """Predict every image of ``folder`` (one sub-folder per class) with the run and measure.

    The folder's class names must be the run's (``DatasetError``, one line, otherwise).
    Unusable files are skipped with a ``data.SkippedImageWarning`` and listed in ``skipped``.
    ``tta``: "flip" (or True) averages each image's probabilities with those of its mirror
    image, "crops" also with the centre crops of both (``helpers.predict.TTA_MODES``).
    """
    tta = tta_mode(tta)
    run = run if isinstance(run, Run) else load_run(run)
    folder = Path(folder)
    check_same_classes(run.class_names, data.class_folders(folder), str(folder))
    files = data.list_files(folder, run.class_names)
    for name in run.class_names:  # what is not read is said, as training says it
        data.warn_not_read(data.list_class_folder(folder / name))
    predictions = predict_files(run, files.paths, batch_size=batch_size, tta=tta)
    kept = [i for i, p in enumerate(predictions) if p.ok]
    skipped = [(p.path, p.error) for p in predictions if not p.ok]
    for path, why in skipped:
        warnings.warn(f"skipping {path}: {why}", data.SkippedImageWarning, stacklevel=2)
    if not kept:
        raise DatasetError(f"{folder}: none of its {len(files)} image files is usable")
    probabilities = np.stack([predictions[i].probabilities for i in kept])
    return Evaluation(run.run_dir, folder, list(run.class_names), [files.paths[i] for i in kept],
                      np.asarray([files.labels[i] for i in kept], dtype=np.int64),
                      probabilities, tta, skipped)


# ---- command line: helpers.cli reads the arguments, then calls print_evaluation ----------------


def print_evaluation(run_dir: str | os.PathLike, folder: str | os.PathLike,
                     tta: bool | str = False, as_json: bool = False) -> int:
    """Print the evaluation (as text or JSON); returns 0."""
    evaluation = evaluate_folder(run_dir, folder, tta=tta)
    print(json.dumps(evaluation.to_dict(), indent=1) if as_json else evaluation)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.evaluate`` with ``argv``; returns the exit status."""
    from helpers.cli import evaluate_command

    return evaluate_command(argv)
