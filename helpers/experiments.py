"""Learning curves: test accuracy against the number of training images per class (notebook 12).

One point of a curve is one training run, on ``n`` images per class taken from a dataset
folder, evaluated on a separate test folder::

    results = learning_curve("cats-dogs/training_data", "cats-dogs/testing_data",
                             sizes=[50, 100, 250, 500], config=model.IMPROVED, epochs=30,
                             seed=0, work_dir="runs/learning-curve", min_steps=200)
    results[0]["per_class"], results[0]["test_accuracy"]

For each size ``n``:

1. ``data.link_subset`` links ``n`` files of each class into ``work_dir/subsets/n_per_class``,
   chosen with ``seed``: the same seed picks the same files, and a larger ``n`` keeps the
   smaller one's (the subsets nest), so the curve's points differ only in the added images,
   and two curves with the same seed (with and without augmentation) train on the same files.
2. ``helpers.train.train`` trains ``config`` on it with a recipe (the course's by default):
   ``val_split`` of the subset (0.2) is held out for validation, which picks the epoch kept
   (``model.keras``, the lowest validation loss, whatever the recipe keeps by default: with a
   few dozen photos and runs of different lengths, a rule that looks at each run). The test
   folder plays no part in training.
3. ``helpers.evaluate.evaluate_folder`` measures that model's accuracy on the test folder.

How long to train: ``epochs`` per run, but at least ``min_steps`` optimizer steps (batches), so
``epochs_run = max(epochs, ceil(min_steps / steps_per_epoch))``. A fixed number of epochs alone
gives a small subset few steps (50 per class: 80 training images, 3 batches per epoch, 90 steps
in 30 epochs) and so would measure under-training as much as a lack of data.

Each run lives in ``work_dir/<label>_<n>_per_class`` (the label is "augmented" or "plain" unless
given). Calling :func:`learning_curve` again continues an interrupted run and reuses a finished
one with the same settings; a run folder with other settings is replaced.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from helpers import data
from helpers.images import check_size
from helpers.model import ModelConfig

#: The keys of each result of :func:`learning_curve`.
RESULT_KEYS = ("label", "augment", "per_class", "train_images", "val_images", "epochs", "steps",
               "best_epoch", "kept_epoch", "val_accuracy", "test_accuracy", "test_images", "test_correct",
               "seconds", "reused", "run_dir")


@dataclass(frozen=True)
class RunPlan:
    """What one run of a learning curve will do: its images, batches and epochs."""

    per_class: int
    train_images: int
    val_images: int
    steps_per_epoch: int
    epochs: int

    @property
    def steps(self) -> int:
        """Optimizer steps (batches) of the whole run: ``epochs × steps_per_epoch``."""
        return self.epochs * self.steps_per_epoch

    @property
    def images_seen(self) -> int:
        """Training images the network processes in the whole run: ``epochs × train_images``."""
        return self.epochs * self.train_images


def epochs_for(train_images: int, batch_size: int, epochs: int, min_steps: int = 0) -> int:
    """``max(epochs, ceil(min_steps / steps_per_epoch))`` with
    ``steps_per_epoch = ceil(train_images / batch_size)``: at least ``epochs`` epochs and at
    least ``min_steps`` batches."""
    for name, value, low in (("train_images", train_images, 1), ("batch_size", batch_size, 1),
                             ("epochs", epochs, 1), ("min_steps", min_steps, 0)):
        check_size(value, name, low)
    steps_per_epoch = math.ceil(train_images / batch_size)
    return max(int(epochs), math.ceil(min_steps / steps_per_epoch))


def plan(sizes: Sequence[int], num_classes: int, epochs: int, min_steps: int = 0,
         batch_size: int = 32, val_split: float = 0.2) -> list[RunPlan]:
    """The runs :func:`learning_curve` makes for ``sizes`` images per class, before any training.

    The training and validation counts are those of ``data.split_indices`` (each class gives
    ``round(n × val_split)`` images, at least 1, to validation), so the plan matches the runs.
    """
    _check_sizes(sizes)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be a whole number of at least 2, got {num_classes!r}")
    plans = []
    for n in sizes:
        labels = np.repeat(np.arange(num_classes), n)
        training, validation = data.split_indices(labels, val_split)
        if len(training) == 0 or len(validation) == 0:
            raise ValueError(f"{n} per class is too few to hold out a validation split of "
                             f"{val_split:g} and still train")
        runs = epochs_for(len(training), batch_size, epochs, min_steps)
        plans.append(RunPlan(int(n), len(training), len(validation),
                             math.ceil(len(training) / batch_size), runs))
    return plans


def _check_sizes(sizes: Sequence[int]) -> None:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
        raise ValueError(f"sizes must be a non-empty list of images per class, e.g. "
                         f"[50, 100, 250, 500]; got {sizes!r}")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"each size must be a whole number of at least 2 images per class "
                             f"(one to train on, one to validate); got {n!r}")
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes must not repeat, got {list(sizes)}")


def learning_curve(train_dir: str | os.PathLike, test_dir: str | os.PathLike,
                   sizes: Sequence[int], config: ModelConfig, epochs: int, seed: int = 0,
                   work_dir: str | os.PathLike = "runs/learning-curve", *, min_steps: int = 0,
                   recipe: str = "improved", val_split: float = 0.2, label: str | None = None,
                   progress: bool = True, verbose: int = 0) -> list[dict[str, Any]]:
    """Train ``config`` on ``n`` images per class of ``train_dir`` for each ``n`` in ``sizes``
    and measure each run's accuracy on ``test_dir`` (see the module docstring).

    Returns one dict per size, in the order of ``sizes``, with :data:`RESULT_KEYS`: ``label``,
    ``augment`` (``config.augment``), ``per_class``, ``train_images``, ``val_images``,
    ``epochs`` and ``steps`` (as run), ``best_epoch`` (the lowest validation loss),
    ``kept_epoch`` (the epoch of ``model.keras``, see ``helpers.train.Recipe.keep``),
    ``val_accuracy`` (at the kept epoch), ``test_accuracy``, ``test_images``, ``test_correct`` (per
    test image in the folder's sorted order, 1 if the model got it right, else 0: what
    :func:`paired_difference` compares), ``seconds`` (the
    run's training time as its ``run.json`` records it, validation and checkpoints included, also
    for a run trained by an earlier call), ``reused`` (True when the run was finished before this
    call and only evaluated) and ``run_dir``.
    ``progress`` prints one line per run; ``verbose`` is Keras's (0: no line per epoch).

    Raises ``ValueError`` for sizes beyond the smallest class of ``train_dir``.
    """
    from helpers.evaluate import evaluate_folder  # TensorFlow is imported only when training
    from helpers.train import RUN_FILE, RunError, get_recipe, read_run, train

    _check_sizes(sizes)
    if not isinstance(config, ModelConfig):
        raise ValueError(f"config must be a helpers.model.ModelConfig, got {config!r}")
    train_dir, test_dir, work_dir = Path(train_dir), Path(test_dir), Path(work_dir)
    counts = data.list_files(train_dir).counts()
    smallest = min(counts, key=counts.get)
    if max(sizes) > counts[smallest]:
        raise ValueError(f"{train_dir}: class {smallest!r} has {counts[smallest]} images, fewer "
                         f"than the {max(sizes)} per class asked for")
    batch_size = get_recipe(recipe).batch_size
    label = label or ("augmented" if config.augment else "plain")
    plans = plan(sizes, len(counts), epochs, min_steps, batch_size, val_split)

    results = []
    for run_plan in plans:
        n = run_plan.per_class
        subset = work_dir / "subsets" / f"{n}_per_class"
        shutil.rmtree(subset, ignore_errors=True)  # links only: cheap to make again, never stale
        data.link_subset(train_dir, subset, n, seed=seed)
        run_dir = work_dir / f"{label}_{n}_per_class"
        settings = dict(config=config, epochs=run_plan.epochs, seed=seed, recipe=recipe,
                        val_split=val_split, verbose=verbose, keep="best")
        started = time.perf_counter()
        result, reused = None, False
        if (run_dir / RUN_FILE).exists():
            finished = read_run(run_dir).get("status") == "finished"
            try:  # continue it, or take it as it is when it is finished
                result = train(subset, run_dir, resume=True, **settings)
                reused = finished
            except RunError:  # made with other settings: start again
                shutil.rmtree(run_dir)
        if result is None:
            result = train(subset, run_dir, **settings)
        evaluation = evaluate_folder(run_dir, test_dir)
        info = read_run(run_dir)
        best, kept = result.best_epoch, result.kept_epoch
        history = result.history
        entry = {
            "label": label, "augment": bool(config.augment), "per_class": n,
            "train_images": sum(info["data"]["training_images"].values()),
            "val_images": sum(info["data"]["validation_images"].values()),
            "epochs": len(history["epoch"]), "steps": len(history["epoch"]) * run_plan.steps_per_epoch,
            "best_epoch": best, "kept_epoch": kept,
            "val_accuracy": history["val_accuracy"][kept - 1] if kept else None,
            "test_accuracy": float(evaluation.accuracy), "test_images": len(evaluation.paths),
            "test_correct": [int(right) for right in
                             evaluation.predicted_labels == evaluation.true_labels],
            "seconds": round(float(info["result"]["training_seconds"]), 1),
            "reused": reused, "run_dir": str(run_dir),
        }
        results.append(entry)
        if progress:
            took = time.perf_counter() - started
            validation = "n/a" if kept is None else f"{entry['val_accuracy']:.3f}"
            timing = (f"trained earlier in {entry['seconds']:.0f} s, reused" if reused
                      else f"{took:.0f} s")
            print(f"{label:>10}, {n:>4} per class: {entry['train_images']:>4} training images, "
                  f"{entry['epochs']:>3} epochs ({entry['steps']} steps), best epoch "
                  f"{kept}, validation {validation}, test {entry['test_accuracy']:.3f}  "
                  f"[{timing}]", flush=True)
    return results


@dataclass(frozen=True)
class PairedDifference:
    """Two classifiers on the same test images: how far apart, and how surely.

    only_a, only_b: images only the first (second) got right; n: all images;
    difference: accuracy of b minus accuracy of a, ``(only_b - only_a) / n``;
    standard_error: of that difference, from the per-image differences (each -1, 0 or +1);
    p_value: McNemar's exact two-sided test, the chance of a split of the ``only_a + only_b``
    disagreements at least this uneven if both were equally good.
    """

    only_a: int
    only_b: int
    n: int
    difference: float
    standard_error: float
    p_value: float


def paired_difference(correct_a: Sequence[int], correct_b: Sequence[int]) -> PairedDifference:
    """Compare two classifiers by their right (1) and wrong (0) answers on the same images.

    Images both get right, or both get wrong, say nothing about which is better; only the
    disagreements do. Treating the two accuracies as independent measurements overstates the
    noise of their difference, because both were measured on the same photos: the easy photos
    are easy for both.
    """
    a, b = np.asarray(correct_a, dtype=int), np.asarray(correct_b, dtype=int)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError("correct_a and correct_b must be two lists of the same length (at least 2)")
    only_a, only_b, n = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1))), len(a)
    per_image = b - a
    standard_error = float(np.std(per_image, ddof=1) / math.sqrt(n))
    disagreements, fewer = only_a + only_b, min(only_a, only_b)
    tail = sum(math.comb(disagreements, k) for k in range(fewer + 1)) / 2 ** disagreements
    return PairedDifference(only_a, only_b, n, float(per_image.mean()), standard_error,
                            min(1.0, 2 * tail))


def images_needed(sizes: Sequence[float], accuracies: Sequence[float],
                  target: float) -> float | None:
    """The images per class at which a learning curve first reaches ``target`` accuracy.

    Between two measured points the curve is taken as a straight line in ``log(size)`` (each
    doubling of the data buys about the same gain), so between ``(n0, a0)`` and ``(n1, a1)``
    with ``a0 < target <= a1``: ``n = n0 · (n1 / n0) ** ((target - a0) / (a1 - a0))``.
    Returns the smallest measured size when it already reaches ``target``, and None when no
    measured point does (the curve would have to be extrapolated).
    """
    points = sorted(zip(sizes, accuracies))
    if len(points) == 0:
        raise ValueError("the curve has no points")
    if any(n <= 0 for n, _ in points):
        raise ValueError("sizes must be positive")
    if points[0][1] >= target:
        return float(points[0][0])
    for (n0, a0), (n1, a1) in zip(points, points[1:]):
        if a0 < target <= a1:
            return float(n0 * (n1 / n0) ** ((target - a0) / (a1 - a0)))
    return None


def results_table(results: Sequence[dict[str, Any]], key: str = "test_accuracy") -> str:
    """The results as a text table: one row per size, one column per label, ``key`` in each
    cell (4 decimals), e.g.::

        per class    plain  augmented
               50   0.5650     0.6000
    """
    labels = list(dict.fromkeys(r["label"] for r in results))
    sizes = sorted({r["per_class"] for r in results})
    cell = {(r["label"], r["per_class"]): r[key] for r in results}
    width = max(9, *(len(name) for name in labels))
    lines = ["per class" + "".join(f"  {name:>{width}}" for name in labels)]
    for n in sizes:
        values = [cell.get((name, n)) for name in labels]
        lines.append(f"{n:>9}" + "".join(f"  {'-' if v is None else format(v, '.4f'):>{width}}"
                                          for v in values))
    return "\n".join(lines)
