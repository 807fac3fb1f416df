"""Training a network on a folder of photos, with checkpoints and resume (notebook 08).

From the command line::

    python -m helpers.train --train DIR [--val DIR | --val-split 0.2] [--epochs N]
        [--image-size N] [--batch-size N] [--lr LR] [--recipe original|improved] [--seed S]
        --out RUN_DIR [--resume] [--early-stopping PATIENCE] [--tensorboard] [--strict]

and from a notebook, the same with :func:`train`::

    result = train("data/training_data", "runs/first")          # the improved recipe
    plots.plot_training_history(result.history)

The two recipes (:data:`RECIPES`), ``improved`` unless ``--recipe`` says otherwise;
``--image-size``, ``--lr``, ``--epochs`` and ``--batch-size`` default to the recipe's values:

- ``original``, the tutorial's: ``model.ORIGINAL`` at 128×128, Adam with a constant
  learning rate of 1e-4, batches of 32, 40 epochs.
- ``improved``, the course's: ``model.IMPROVED`` (five conv → batch norm → ReLU → pool blocks,
  augmentation inside the model) at 96×96, AdamW (decoupled weight decay 0.01) whose learning
  rate starts at 2e-3 and follows a cosine down to 0 over all the training steps, batches of
  32, 60 epochs. Images smaller than the tutorial's 128 px buy more epochs in the same minutes.

What ``RUN_DIR`` holds, so that ``helpers.predict`` and ``helpers.evaluate`` are never told
anything again::

    run.json       class names, image size, preprocessing, recipe, ModelConfig, seed, data, times
    model.keras    the best model so far (lowest validation loss): the one to predict with
    last.keras     the model after the last finished epoch, with its optimizer state (resume)
    state.json     where the run is: finished epochs, best epoch, early stopping (resume)
    history.json   per epoch: loss, accuracy, val_loss, val_accuracy, learning rate, images/s
    logs/          TensorBoard logs (with --tensorboard)

Every file is written to a temporary file in ``RUN_DIR`` and then renamed over the old one
(``os.replace``, atomic): a crash or a power cut during a write leaves the previous version
whole. (Keras's own ``ModelCheckpoint`` and ``BackupAndRestore`` open the target file and write
into it, so a crash there leaves half a file; ``BackupAndRestore`` also keeps neither the
history nor the best validation loss. Hence the small :class:`RunCheckpoint` callback here.)
After an epoch the files are replaced in this order: the next state is written to
``state.json.next``, then ``model.keras`` (if the epoch was the best), then ``last.keras``,
and last ``state.json.next`` is renamed to ``state.json``: that rename commits the epoch.
``--resume`` loads ``last.keras`` and takes the state whose optimizer step count matches it,
so a crash between two renames costs at most that epoch, and the weights, the optimizer state,
the epoch count and the history always belong together.

Reproducibility: ``keras.utils.set_random_seed(seed)`` (Python, numpy and TensorFlow) and
``tf.config.experimental.enable_op_determinism()``, which on this CPU costs no measurable
speed; the same seed on the same data then gives the same numbers (a test runs twice).
A resumed run goes on from the same weights and optimizer state, but its shuffling restarts,
so its later epochs differ a little from those of an uninterrupted run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from helpers import data
from helpers import model as M
from helpers.data import DatasetError
from helpers.model import ModelConfig

# ---- the run directory ------------------------------------------------------------------------

RUN_FILE = "run.json"
MODEL_FILE = "model.keras"      # the best epoch (lowest validation loss)
LAST_FILE = "last.keras"        # the last finished epoch, with the optimizer state
STATE_FILE = "state.json"
NEXT_STATE_FILE = "state.json.next"
HISTORY_FILE = "history.json"
LOG_FOLDER = "logs"

#: The preprocessing every run is trained with, recorded in run.json and checked by
#: ``helpers.predict``: change the version when ``helpers.images.preprocess`` changes.
PREPROCESSING = {
    "function": "helpers.images.load_for_model",
    "version": 1,
    "steps": "read_rgb (RGB) -> resize to image_size x image_size (INTER_AREA shrinking, "
             "INTER_LINEAR enlarging, aspect ratio not kept) -> float32 / 255 in [0, 1]",
}

#: Keep the decoded, resized training and validation images in memory after the first epoch
#: when they take at most this many bytes (uint8); beyond it they are streamed from disk.
CACHE_LIMIT_BYTES = 512 * 2**20


class RunError(ValueError):
    """A run directory that cannot be used as asked; the message is one line saying why."""


# ---- recipes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """How to train: the network, the optimizer and its learning rate, the epochs and batches.

    optimizer: "adam", or "adamw" (Adam with decoupled weight decay: every step also shrinks
    each weight by ``learning_rate × weight_decay`` of itself).
    schedule: "constant", or "cosine": ``lr(step) = learning_rate × (1 + cos(π · step /
    total_steps)) / 2``, from ``learning_rate`` at the first step down to 0 after the last.
    """

    name: str
    config: ModelConfig
    optimizer: str
    learning_rate: float
    schedule: str
    weight_decay: float
    epochs: int
    batch_size: int

    @property
    def image_size(self) -> int:
        return self.config.image_size

    def describe(self, learning_rate: float | None = None) -> str:
        """One line, e.g. "AdamW, lr 0.002 with cosine decay to 0, weight decay 0.01"."""
        lr = self.learning_rate if learning_rate is None else learning_rate
        text = f"{'AdamW' if self.optimizer == 'adamw' else 'Adam'}, lr {lr:g}"
        if self.schedule == "cosine":
            text += " with cosine decay to 0"
        if self.optimizer == "adamw":
            text += f", weight decay {self.weight_decay:g}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The training settings as JSON-ready values (the network is in ``config.to_dict()``)."""
        return {"name": self.name, "optimizer": self.optimizer, "learning_rate": self.learning_rate,
                "schedule": self.schedule, "weight_decay": self.weight_decay,
                "epochs": self.epochs, "batch_size": self.batch_size, "image_size": self.image_size}


#: The tutorial's recipe, and the course's (see the module docstring for why these values).
RECIPES = {
    "original": Recipe("original", M.ORIGINAL, optimizer="adam", learning_rate=1e-4,
                       schedule="constant", weight_decay=0.0, epochs=40, batch_size=32),
    "improved": Recipe("improved", M.IMPROVED, optimizer="adamw", learning_rate=2e-3,
                       schedule="cosine", weight_decay=1e-2, epochs=60, batch_size=32),
}


#: What ``train`` and ``python -m helpers.train`` use unless told: the course's recipe.
DEFAULT_RECIPE = "improved"


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name`` ("original" or "improved")."""
    if name not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(RECIPES)}; got {name!r}")
    return RECIPES[name]


def make_optimizer(recipe: Recipe, learning_rate: float,
                   total_steps: int) -> keras.optimizers.Optimizer:
    """The recipe's optimizer; a cosine schedule runs over ``total_steps`` (epochs × batches)."""
    rate: Any = learning_rate
    if recipe.schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(learning_rate,
                                                      decay_steps=max(total_steps, 1))
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=recipe.weight_decay)
    return keras.optimizers.Adam(rate)


# ---- writing files so that a crash never leaves half of one ------------------------------------


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; elsewhere a rename is as good as it gets)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomically(path: str | os.PathLike, value: Any) -> None:
    """Write ``value`` as JSON to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as file:
            json.dump(value, file, indent=1)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def save_model_atomically(model: keras.Model, path: str | os.PathLike) -> None:
    """``model.save(path)`` through a temporary ``.keras`` file beside it and ``os.replace``.

    Until the rename, ``path`` keeps its previous content: an exception (or a kill) during the
    save leaves it whole. The file holds the architecture, the weights and, for a compiled
    model, the optimizer with its state (step count, moments).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")  # Keras wants the .keras suffix
    try:
        model.save(tmp)
        with open(tmp, "rb") as file:
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _remove_stale_temporaries(run_dir: Path) -> None:
    """Temporary files left by a run that was killed while writing."""
    for path in run_dir.glob(".*.tmp*"):
        path.unlink(missing_ok=True)


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def read_run(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The run's ``run.json`` as a dict; :class:`RunError` when there is none or it is broken."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: no such run folder")
    try:
        info = _read_json(run_dir / RUN_FILE)
    except FileNotFoundError:
        raise RunError(f"{run_dir}: not a run folder (no {RUN_FILE}); make one with "
                       f"python -m helpers.train --train DIR --out {run_dir}") from None
    except (OSError, ValueError) as error:
        raise RunError(f"{run_dir / RUN_FILE}: unreadable ({error})") from None
    needed = {"class_names", "image_size", "preprocessing", "settings"}
    if not isinstance(info, dict) or not needed <= set(info):
        raise RunError(f"{run_dir / RUN_FILE}: not a run description (it lacks "
                       f"{', '.join(sorted(needed - set(info or {})))})")
    return info


def read_history(run_dir: str | os.PathLike) -> dict[str, list]:
    """The per-epoch metrics of a run (``history.json``) for ``plots.plot_training_history``."""
    path = Path(run_dir) / HISTORY_FILE
    try:
        return _read_json(path)
    except FileNotFoundError:
        raise RunError(f"{path}: no history yet (the run has not finished an epoch)") from None


# ---- the callbacks ----------------------------------------------------------------------------


def _number_of(value: Any) -> float:
    """A scalar variable or tensor as a Python number (also a MirroredVariable's)."""
    return float(keras.ops.convert_to_numpy(value))


def _new_state(epochs: int) -> dict[str, Any]:
    history = {key: [] for key in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy",
                                   "learning_rate", "train_seconds", "images_per_second")}
    return {"epochs_done": 0, "epochs": epochs, "optimizer_iterations": 0, "best_epoch": None,
            "best_val_loss": None, "early_stopping": {"wait": 0, "best": None},
            "stopped_early": False, "training_seconds": 0.0, "history": history}


class RunCheckpoint(keras.callbacks.Callback):
    """After every epoch: add its metrics to the history, save ``model.keras`` when its
    validation loss is the lowest so far, save ``last.keras``, then commit ``state.json`` and
    ``history.json``. Every file is written atomically; the module docstring gives the order.

    ``state`` (a dict, see :func:`_new_state`) is updated in place once an epoch is committed.
    ``train_images``: images per training epoch, for the images per second.
    """

    def __init__(self, run_dir: Path, state: dict[str, Any], train_images: int,
                 early_stopping: keras.callbacks.EarlyStopping | None = None) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.state = state
        self.train_images = train_images
        self.early_stopping = early_stopping
        self._started: float | None = None
        self._train_seconds: float | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._started, self._train_seconds = time.perf_counter(), None

    def on_test_begin(self, logs=None):  # fit's validation begins: the epoch's training is over
        if self._started is not None and self._train_seconds is None:
            self._train_seconds = time.perf_counter() - self._started

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = time.perf_counter() - self._started
        train_seconds = self._train_seconds or seconds
        state = json.loads(json.dumps(self.state))  # a copy: self.state changes only at the commit
        history = state["history"]
        history["epoch"].append(epoch + 1)
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            history[key].append(float(logs[key]) if key in logs else None)
        history["learning_rate"].append(_number_of(self.model.optimizer.learning_rate))
        history["train_seconds"].append(round(train_seconds, 3))
        history["images_per_second"].append(round(self.train_images / train_seconds, 1))
        val_loss = history["val_loss"][-1]
        improved = val_loss is not None and math.isfinite(val_loss) and (
            state["best_val_loss"] is None or val_loss < state["best_val_loss"])
        if improved:
            state["best_epoch"], state["best_val_loss"] = epoch + 1, val_loss
        if self.early_stopping is not None:
            best = self.early_stopping.best
            state["early_stopping"] = {"wait": int(self.early_stopping.wait),
                                       "best": None if best is None else float(best)}
        state["stopped_early"] = bool(self.model.stop_training) and epoch + 1 < state["epochs"]
        state["epochs_done"] = epoch + 1
        state["optimizer_iterations"] = int(_number_of(self.model.optimizer.iterations))
        state["training_seconds"] = round(state["training_seconds"] + seconds, 3)

        write_json_atomically(self.run_dir / NEXT_STATE_FILE, state)  # this epoch's journal
        if improved:
            save_model_atomically(self.model, self.run_dir / MODEL_FILE)
        save_model_atomically(self.model, self.run_dir / LAST_FILE)
        os.replace(self.run_dir / NEXT_STATE_FILE, self.run_dir / STATE_FILE)  # the commit
        _fsync_dir(self.run_dir)
        write_json_atomically(self.run_dir / HISTORY_FILE, history)
        self.state.clear()
        self.state.update(state)


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's ``EarlyStopping`` on the validation loss, starting from a saved count of epochs
    without improvement (``wait``) and best value, so that a resumed run keeps its patience."""

    def __init__(self, patience: int, wait: int = 0, best: float | None = None) -> None:
        super().__init__(monitor="val_loss", mode="min", patience=patience, verbose=1)
        self._resumed_wait, self._resumed_best = wait, best

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)  # resets wait and best
        self.wait, self.best = self._resumed_wait, self._resumed_best


def _resume_state(run_dir: Path, iterations: int, commit: bool = True) -> dict[str, Any]:
    """The state that belongs to ``last.keras``, whose optimizer has taken ``iterations`` steps:
    ``state.json``, or ``state.json.next`` when a crash came after ``last.keras`` was replaced
    but before the state was (that state is then committed now, unless ``commit`` is False)."""
    for name in (NEXT_STATE_FILE, STATE_FILE):
        try:
            state = _read_json(run_dir / name)
        except (OSError, ValueError):  # missing, or a journal cut short by the crash
            continue
        if isinstance(state, dict) and state.get("optimizer_iterations") == iterations:
            if name == NEXT_STATE_FILE and commit:
                os.replace(run_dir / NEXT_STATE_FILE, run_dir / STATE_FILE)
                write_json_atomically(run_dir / HISTORY_FILE, state["history"])
            return state
    raise RunError(f"{run_dir}: {LAST_FILE} (after {iterations} steps) matches no saved state; "
                   "it cannot be resumed, start a new run")


def _finished_run(out: Path, info: dict[str, Any], verbose: int) -> TrainingResult | None:
    """The result of the finished run in ``out`` (read, not changed), or None if it is not."""
    try:
        state = _read_json(out / STATE_FILE)
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    if not (state["stopped_early"] or state["epochs_done"] >= state["epochs"]):
        return None
    if verbose:
        print(f"{shown_path(out)}: the run is already finished ({state['epochs_done']} epochs"
              + (", stopped early)" if state["stopped_early"] else ")"))
    model = keras.models.load_model(out / LAST_FILE, safe_mode=True)
    return TrainingResult(state["history"], out, model, list(info["class_names"]),
                          state["best_epoch"], state["stopped_early"])


LOCK_FILE = ".train.lock"


@contextlib.contextmanager
def run_lock(run_dir: Path):
    """Hold an exclusive lock on ``run_dir`` (the file ``.train.lock`` in it) while training.

    Two processes training one run folder at once would overwrite each other's checkpoints
    and history; the second one is refused with a one-line :class:`RunError`. The operating
    system releases the lock when the process ends, even when it is killed, so a crash never
    leaves a stale lock. (``fcntl`` locks; on Windows, which lacks them, the file is made but
    nothing is locked.)
    """
    try:
        import fcntl
    except ImportError:  # Windows
        (run_dir / LOCK_FILE).touch()
        yield
        return
    with open(run_dir / LOCK_FILE, "a+", encoding="utf-8") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            raise RunError(f"{run_dir}: {holder} is training this run right now; wait for it "
                           "to finish, or choose another --out") from None
        file.seek(0)
        file.truncate()
        file.write(f"process {os.getpid()}")
        file.flush()
        try:
            yield
        finally:
            file.seek(0)
            file.truncate()
            fcntl.flock(file, fcntl.LOCK_UN)


def shown_path(path: Path) -> str:
    """``path`` as messages show it: relative to the working folder when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return relative if len(relative) < len(str(path)) else str(path)


# ---- the data ---------------------------------------------------------------------------------


def usable_files(folder: str | os.PathLike, classes: Sequence[str] | None = None, *,
                 strict: bool = False) -> data.FileList:
    """The usable image files of a dataset folder, every file decoded once (``data.scan``).

    Refuses (``DatasetError``, one line) a missing folder, fewer than 2 classes, a class
    without a usable image and, with ``strict``, any unusable file; otherwise each unusable
    file is skipped with a ``data.SkippedImageWarning`` naming it.
    """
    report = data.scan(folder, classes)
    if report.problems:
        raise DatasetError(report.problems[0])
    bad = report.unusable
    if bad and strict:
        listed = "; ".join(str(u) for u in bad[:5]) + ("; ..." if len(bad) > 5 else "")
        raise DatasetError(f"strict mode: {len(bad)} unusable image file(s): {listed}")
    for problem in bad:
        warnings.warn(f"skipping {problem}", data.SkippedImageWarning, stacklevel=2)
    return report.file_list()


def check_same_classes(expected: Sequence[str], found: Sequence[str], what: str) -> None:
    """Refuse (``DatasetError``, one line) when ``found`` are not the class names ``expected``."""
    if list(expected) == list(found):
        return
    missing = [name for name in expected if name not in found]
    extra = [name for name in found if name not in expected]
    why = "; ".join(filter(None, [f"no {', '.join(missing)}" if missing else "",
                                  f"{', '.join(extra)} unknown" if extra else ""]))
    raise DatasetError(f"{what}: its classes ({', '.join(found)}) are not the training classes "
                       f"({', '.join(expected)}): {why}")


def _counts(files: data.FileList) -> str:
    return ", ".join(f"{name} {n}" for name, n in files.counts().items())


# ---- train ------------------------------------------------------------------------------------


@dataclass
class TrainingResult:
    """What :func:`train` returns.

    history: per epoch since the run began, resumed sessions included: ``epoch`` (from 1),
        ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``learning_rate`` (at the
        epoch's end), ``train_seconds`` (the training part, without validation and saving) and
        ``images_per_second`` (training images / train_seconds);
        ``plots.plot_training_history(history)`` draws it.
    run_dir: the run folder; its ``model.keras`` is the best epoch's model.
    model: the model after the last epoch, in memory.
    best_epoch: the epoch (from 1) with the lowest validation loss, the one in ``model.keras``.
    stopped_early: True when early stopping ended the run before its last epoch.
    """

    history: dict[str, list]
    run_dir: Path
    model: keras.Model
    class_names: list[str]
    best_epoch: int | None
    stopped_early: bool


def _check_positive_int(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


def is_chief(strategy: tf.distribute.Strategy | None) -> bool:
    """True unless this process is a worker other than the chief of a multi-worker strategy
    (only the chief writes the run folder; the others write to a temporary folder)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    jobs = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not jobs:
        return True
    if "chief" in jobs:
        return resolver.task_type == "chief"
    return resolver.task_type in (None, "worker") and (resolver.task_id or 0) == 0


def _new_settings(train_dir, val_dir, val_split, recipe: Recipe, epochs, image_size, batch_size,
                  learning_rate, seed, early_stopping,
                  config: ModelConfig | None) -> dict[str, Any]:
    """The settings of a new run: what is given, else the recipe's (and the seed 0)."""
    if train_dir is None:
        raise ValueError("train_dir is needed to start a run (only resume=True does without)")
    return {
        "train_dir": str(Path(train_dir).resolve()),
        "val_dir": None if val_dir is None else str(Path(val_dir).resolve()),
        "val_split": None if val_dir is not None else (0.2 if val_split is None else val_split),
        "recipe": recipe.name,
        "epochs": epochs or recipe.epochs,
        "image_size": image_size or (config or recipe.config).image_size,
        "batch_size": batch_size or recipe.batch_size,
        "learning_rate": learning_rate or recipe.learning_rate,
        "seed": 0 if seed is None else seed,
        "early_stopping": early_stopping,
        "config": (config or recipe.config).to_dict(),  # image size and classes set later
    }


def _resumed_settings(info: dict[str, Any], run_dir: Path, given: dict[str, Any],
                      config: ModelConfig | None) -> dict[str, Any]:
    """--resume: the settings the run was started with; one given explicitly that differs is
    refused (changing them halfway would make a run that no command line describes)."""
    saved = info["settings"]
    if config is not None:
        given["config"] = dataclasses.replace(
            config, image_size=saved["image_size"],
            num_classes=saved["config"]["num_classes"]).to_dict()
    for name, value in given.items():
        if value is None:
            continue
        if name in ("train_dir", "val_dir"):
            value = str(Path(value).resolve())
        old = saved.get(name)
        if isinstance(value, float) and old is not None:
            same = math.isclose(old, value)
        else:
            same = old == value
        if not same:
            shown = "another network" if name == "config" else f"{name} {value}"
            raise RunError(f"{run_dir}: --resume continues the run as it was started, not with "
                           f"{shown}; start a new run (another --out) to change it")
    return saved


def train(train_dir: str | os.PathLike | None, out: str | os.PathLike, *,
          val_dir: str | os.PathLike | None = None, val_split: float | None = None,
          recipe: str | None = None, epochs: int | None = None, image_size: int | None = None,
          batch_size: int | None = None, learning_rate: float | None = None,
          seed: int | None = None, resume: bool = False, early_stopping: int | None = None,
          tensorboard: bool = False, strict: bool = False, config: ModelConfig | None = None,
          strategy: tf.distribute.Strategy | None = None,
          callbacks: Sequence[keras.callbacks.Callback] = (), verbose: int | None = None,
          cache: bool | None = None, deterministic: bool = True) -> TrainingResult:
    """Train a recipe's network on ``train_dir`` (one sub-folder per class) into run folder ``out``.

    - Validation: the images of ``val_dir`` (the same class folders), or else a stratified,
      seeded ``val_split`` of ``train_dir`` (default 0.2).
    - ``recipe``: "improved" (the default) or "original" (see :data:`RECIPES`); ``epochs``,
      ``image_size``, ``batch_size`` and ``learning_rate`` (the peak, with a schedule) default
      to the recipe's; ``seed`` defaults to 0.
    - ``config`` replaces the recipe's ``ModelConfig`` (a tiny network for a quick run); its
      ``num_classes`` always comes from the data, its ``image_size`` unless ``image_size`` is given.
    - ``early_stopping``: stop after that many epochs without a lower validation loss.
      ``tensorboard``: logs in ``out/logs``. ``strict``: refuse a folder with any unusable file
      instead of skipping it with a warning.
    - ``resume=True`` continues the run in ``out`` after its last finished epoch, with the
      settings it was started with (``train_dir`` may be None; a setting given that differs is
      refused). A finished run is left as it is.
    - ``strategy``: a ``tf.distribute.Strategy`` (e.g. ``MirroredStrategy()``); the model and
      its optimizer are made in its scope, and ``batch_size`` is the global batch, split over
      the replicas.
    - ``callbacks``: more Keras callbacks for ``fit``. ``verbose``: Keras's (None: a progress
      bar on a terminal, one line per epoch otherwise; 0: silent). ``cache``: keep the decoded
      images in memory after the first epoch (None: when they take at most
      :data:`CACHE_LIMIT_BYTES`). ``deterministic``: turn on TensorFlow's op determinism, a
      switch for the whole process.

    Raises ``DatasetError`` (a missing or unusable folder, class names that differ, an empty
    validation split), :class:`RunError` (``out`` already holds a run, nothing to resume,
    settings that differ from the resumed run's) or ``ValueError`` (a bad argument); each
    message is one line.
    """
    out = Path(out)
    for name, value in (("epochs", epochs), ("image_size", image_size),
                        ("batch_size", batch_size), ("early_stopping", early_stopping)):
        _check_positive_int(name, value)
    if learning_rate is not None and not learning_rate > 0:
        raise ValueError(f"learning_rate must be above 0, got {learning_rate!r}")
    if val_split is not None and not 0 <= val_split < 1:
        raise ValueError(f"val_split must be in [0, 1), got {val_split!r}")
    if val_dir is not None and val_split is not None:
        raise ValueError("give val_dir or val_split, not both")
    if config is not None and not isinstance(config, ModelConfig):
        raise ValueError(f"config must be a helpers.model.ModelConfig, got {config!r}")
    if tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise RunError("--tensorboard needs the tensorboard package: pip install tensorboard")

    if out.exists() and not out.is_dir():
        raise RunError(f"{out}: exists and is not a folder")
    if resume:
        read_run(out)  # a missing or broken run is refused before anything is touched
    out.mkdir(parents=True, exist_ok=True)
    verbose = (1 if sys.stdout.isatty() else 2) if verbose is None else verbose
    # One process at a time trains a run folder (of a multi-worker strategy, the chief: the
    # others write elsewhere).
    with run_lock(out) if is_chief(strategy) else contextlib.nullcontext():
        # -- the settings: new ones, or those of the run to resume
        if resume:
            info = read_run(out)
            given = {"train_dir": train_dir, "val_dir": val_dir, "val_split": val_split,
                     "recipe": recipe, "epochs": epochs, "image_size": image_size,
                     "batch_size": batch_size, "learning_rate": learning_rate, "seed": seed,
                     "early_stopping": early_stopping}
            settings = _resumed_settings(info, out, given, config)
            finished = _finished_run(out, info, verbose)
            if finished is not None:  # nothing to do, and nothing is written
                return finished
        else:
            if any((out / name).exists() for name in (RUN_FILE, LAST_FILE, MODEL_FILE)):
                raise RunError(f"{out}: already holds a run; continue it with --resume or choose "
                               "another --out")
            settings = _new_settings(train_dir, val_dir, val_split, get_recipe(recipe or DEFAULT_RECIPE),
                                     epochs, image_size, batch_size, learning_rate, seed,
                                     early_stopping, config)
        the_recipe = get_recipe(settings["recipe"])

        # -- the data, scanned once: unusable files and empty classes are known before training
        started = time.perf_counter()
        train_folder = Path(settings["train_dir"])
        files = usable_files(train_folder, strict=strict)
        class_names = list(files.class_names)
        if resume:
            check_same_classes(info["class_names"], class_names, str(train_folder))
        if settings["val_dir"] is not None:
            val_folder = Path(settings["val_dir"])
            check_same_classes(class_names, data.find_classes(val_folder), str(val_folder))
            training, validation = files, usable_files(val_folder, class_names, strict=strict)
        else:
            training, validation = data.split(files, settings["val_split"], settings["seed"])
            if len(validation) == 0:
                raise DatasetError(
                    f"{train_folder}: a validation split of {settings['val_split']:g} leaves no "
                    "validation image; use a split above 0 (e.g. 0.2) or --val DIR")
        scan_seconds = time.perf_counter() - started
        size, batch, seed = settings["image_size"], settings["batch_size"], settings["seed"]
        settings["config"].update(image_size=size, num_classes=len(class_names))

        # -- the pipelines; the model augments its training images itself, so they do not
        steps_per_epoch = math.ceil(len(training) / batch)
        keras.utils.set_random_seed(seed)
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        if cache is None:
            cache = (len(training) + len(validation)) * size * size * 3 <= CACHE_LIMIT_BYTES
        train_ds = data.make_dataset(training, size, batch, training=True, augment=False,
                                     cache=cache, seed=seed)
        val_ds = data.make_dataset(validation, size, batch, cache=cache, seed=seed)
        # Tell Keras how many batches one pass over the validation images makes (the scan above
        # left no unusable file to drop): it then never warns "your input ran out of data".
        validation_batches = math.ceil(len(validation) / batch)
        val_ds = val_ds.apply(tf.data.experimental.assert_cardinality(validation_batches))
        if strategy is not None:  # the file names are one tensor: shard the batches, not files
            options = tf.data.Options()
            policy = tf.data.experimental.AutoShardPolicy.DATA
            options.experimental_distribute.auto_shard_policy = policy
            train_ds, val_ds = train_ds.with_options(options), val_ds.with_options(options)

        # -- the model: new, or last.keras with its optimizer state
        chief = is_chief(strategy)
        write_dir = out if chief else Path(tempfile.mkdtemp(prefix="helpers-train-worker-"))
        _remove_stale_temporaries(write_dir)
        state = _new_state(settings["epochs"])
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            if resume and (out / LAST_FILE).exists():
                model = keras.models.load_model(out / LAST_FILE, safe_mode=True)
                state = _resume_state(out, int(_number_of(model.optimizer.iterations)), chief)
            else:
                model = M.build_model(ModelConfig.from_dict(settings["config"]), seed=seed)
                model.compile(optimizer=make_optimizer(the_recipe, settings["learning_rate"],
                                                       settings["epochs"] * steps_per_epoch),
                              loss=keras.losses.CategoricalCrossentropy(from_logits=M.FROM_LOGITS),
                              metrics=["accuracy"])

        # -- run.json: everything prediction needs, and how the run was made
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if resume:
            info["sessions"].append({"started": now, "from_epoch": state["epochs_done"] + 1})
        else:
            info = {
                "class_names": class_names, "image_size": size, "preprocessing": PREPROCESSING,
                "recipe": {**the_recipe.to_dict(), "learning_rate": settings["learning_rate"],
                           "epochs": settings["epochs"], "batch_size": batch, "image_size": size,
                           "description": the_recipe.describe(settings["learning_rate"])},
                "model_config": settings["config"], "seed": seed, "settings": settings,
                "created": now, "sessions": [{"started": now, "from_epoch": 1}],
                "versions": _versions(),
            }
        info["status"] = "running"
        info["data"] = {
            "train_dir": settings["train_dir"], "val_dir": settings["val_dir"],
            "val_split": settings["val_split"], "training_images": training.counts(),
            "validation_images": validation.counts(), "steps_per_epoch": steps_per_epoch,
            "cached": bool(cache), "scan_seconds": round(scan_seconds, 2)}
        if chief:
            write_json_atomically(out / RUN_FILE, info)

        if verbose:
            print(f"training on {len(training)} images ({_counts(training)}), validating on "
                  f"{len(validation)} ({_counts(validation)})")
            print(f"recipe {the_recipe.name}: {size}x{size} px, batches of {batch}, "
                  f"{settings['epochs']} epochs, {the_recipe.describe(settings['learning_rate'])}; "
                  f"seed {seed}")
            if resume and state["epochs_done"] >= settings["epochs"]:  # crashed after its last epoch
                print(f"{shown_path(out)}: the interruption came after the last of its "
                      f"{settings['epochs']} epochs; recording the run as finished")
            elif resume:
                print(f"resuming {shown_path(out)} after epoch {state['epochs_done']} of {settings['epochs']}")
            else:
                print(f"writing to {shown_path(out)}: model.keras (lowest validation loss), "
                      "last.keras (every epoch)")

        # -- fit, with a checkpoint every epoch
        stopper = None
        if settings["early_stopping"]:
            stopper = ResumableEarlyStopping(settings["early_stopping"], **state["early_stopping"])
        fit_callbacks: list[keras.callbacks.Callback] = [stopper] if stopper else []  # before the
        fit_callbacks.append(RunCheckpoint(write_dir, state, len(training), stopper))  # checkpoint
        if tensorboard:
            fit_callbacks.append(keras.callbacks.TensorBoard(str(write_dir / LOG_FOLDER)))
        fit_callbacks += list(callbacks)
        # The training pipeline repeats and fit takes steps_per_epoch batches from it per epoch:
        # Keras then knows the epoch's length from the start (no "ran out of data" at epoch 1).
        model.fit(train_ds.repeat(), steps_per_epoch=steps_per_epoch, validation_data=val_ds,
                  epochs=settings["epochs"], initial_epoch=state["epochs_done"], shuffle=False,
                  callbacks=fit_callbacks, verbose=verbose)

        result = _finish(out, info, state, model, class_names, chief)
        if verbose and result.best_epoch:
            history, best = state["history"], result.best_epoch - 1
            print(f"best epoch {result.best_epoch}: val_loss {history['val_loss'][best]:.4f}, "
                  f"val_accuracy {history['val_accuracy'][best]:.4f}; saved as "
                      f"{shown_path(out / MODEL_FILE)}")
        return result


def _versions() -> dict[str, str]:
    import cv2
    import numpy

    import helpers

    return {"helpers": helpers.__version__, "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": numpy.__version__, "opencv": cv2.__version__}


def _finish(out: Path, info: dict[str, Any], state: dict[str, Any], model: keras.Model,
            class_names: list[str], chief: bool) -> TrainingResult:
    """Record the outcome in run.json and make the result."""
    done, best = state["epochs_done"], state["best_epoch"]
    info["status"] = ("stopped early" if state["stopped_early"]
                      else "finished" if done >= state["epochs"] else "running")
    info["sessions"][-1].update(to_epoch=done,
                                finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    speeds = state["history"]["images_per_second"]
    info["result"] = {
        "epochs_done": done, "best_epoch": best, "best_val_loss": state["best_val_loss"],
        "best_val_accuracy": state["history"]["val_accuracy"][best - 1] if best else None,
        "training_seconds": state["training_seconds"],
        "mean_images_per_second": round(sum(speeds) / len(speeds), 1) if speeds else None,
    }
    if chief:
        write_json_atomically(out / RUN_FILE, info)
    return TrainingResult(state["history"], out, model, class_names, best, state["stopped_early"])


# ---- the course's own run, shared by notebooks 08-10 ------------------------------------------


def course_run_dir(quick: bool = False) -> Path:
    """Where the notebooks keep the course's classifier: ``runs/course`` in the repository, or
    ``build/quick-runs/course`` for quick runs, so a quick run never replaces the real one."""
    root = Path(__file__).resolve().parent.parent
    return root / ("build/quick-runs" if quick else "runs") / "course"


def ensure_trained(train_dir: str | os.PathLike, out: str | os.PathLike, **settings: Any) -> Path:
    """Make sure ``out`` holds a trained run: train it with ``settings`` (those of :func:`train`)
    when it holds none, continue it when it was interrupted, leave it when it is finished.

    Notebook 08 trains the course's classifier; notebooks 09 and 10 call this with the same
    settings, so each of them also runs on its own in a fresh kernel. Returns ``out``.
    """
    out = Path(out)
    if (out / RUN_FILE).exists():
        train(None, out, resume=True, verbose=settings.get("verbose"))
    else:
        train(train_dir, out, **settings)
    return out


#: A quick run of the course's classifier: this many photos per class, this many epochs.
QUICK_PER_CLASS = 40
QUICK_EPOCHS = 2


def train_course_classifier(quick: bool = False, data_root: str | os.PathLike | None = None,
                            verbose: int | None = None) -> Path:
    """Train (or reuse) the course's classifier: the default recipe on ``cats-dogs/training_data``.

    The one place that says how notebooks 08, 09 and 10 get their model, so all three use the
    same run. ``quick``: :data:`QUICK_PER_CLASS` photos per class (linked, not copied) and
    :data:`QUICK_EPOCHS` epochs, in :func:`course_run_dir` ``(quick=True)``. Returns the run folder.
    """
    from helpers.datasets import dataset_dir

    train_dir = dataset_dir("cats-dogs", data_root) / "training_data"
    out = course_run_dir(quick)
    settings: dict[str, Any] = {"recipe": DEFAULT_RECIPE, "seed": 0, "verbose": verbose}
    if quick:
        subset = out.parent / f"training_data_{QUICK_PER_CLASS}_per_class"
        if not subset.exists():
            data.link_subset(train_dir, subset, QUICK_PER_CLASS, seed=0)
        train_dir, settings["epochs"] = subset, QUICK_EPOCHS
    if (out / RUN_FILE).exists():
        _refuse_an_earlier_network(out)
    return ensure_trained(train_dir, out, **settings)


def _refuse_an_earlier_network(out: Path) -> None:
    """RunError when the course run in ``out`` was trained with another network than today's
    recipe (a run kept from an earlier version of the course): notebooks 09 and 10 would then
    explain one network with another's model. Nothing is deleted; the learner chooses."""
    saved = ModelConfig.from_dict(read_run(out).get("model_config", {}))
    current = dataclasses.replace(get_recipe(DEFAULT_RECIPE).config, num_classes=saved.num_classes)
    if saved == current:
        return
    differ = [field.name for field in dataclasses.fields(saved)
              if getattr(saved, field.name) != getattr(current, field.name)]
    raise RunError(
        f"{shown_path(out)}: trained with an earlier version of the course's network "
        f"({_blocks(saved)}; today's has {_blocks(current)}, and {', '.join(differ)} differ); "
        "delete or rename that folder and run this again to train the current one"
    )


def _blocks(config: ModelConfig) -> str:
    """E.g. "5 blocks of (32, 64, 128, 256, 512) filters at 96 px"."""
    return f"{len(config.filters)} blocks of {config.filters} filters at {config.image_size} px"


# ---- command line -----------------------------------------------------------------------------


def _number(kind: type, low: float, low_included: bool, high: float | None = None):
    """An argparse type: a number of ``kind`` in the given range, else a usage error."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {'whole ' if kind is int else ''}"
                                             f"number, got {text!r}") from None
        if (value < low if low_included else value <= low) or (high is not None and value >= high):
            limits = f"{'at least' if low_included else 'above'} {low:g}" + (
                f" and below {high:g}" if high is not None else "")
            raise argparse.ArgumentTypeError(f"expected a number {limits}, got {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.train",
        description="Train a classifier on a folder with one sub-folder of photos per class. "
                    "RUN_DIR receives model.keras (the best epoch), last.keras, run.json and "
                    "history.json: all that python -m helpers.predict needs.")
    parser.add_argument("--train", type=Path, metavar="DIR",
                        help="training images, one sub-folder per class (not needed with --resume)")
    val = parser.add_mutually_exclusive_group()
    val.add_argument("--val", type=Path, metavar="DIR",
                     help="validation images, the same class folders")
    val.add_argument("--val-split", type=_number(float, 0, False, 1), metavar="F",
                     help="hold out this fraction of --train for validation (default 0.2)")
    parser.add_argument("--epochs", type=_number(int, 1, True), metavar="N",
                        help="default: the recipe's (original 40, improved 60)")
    parser.add_argument("--image-size", type=_number(int, 1, True), metavar="N",
                        help="images are N x N pixels; default: the recipe's "
                             "(original 128, improved 96)")
    parser.add_argument("--batch-size", type=_number(int, 1, True), metavar="N", help="default: 32")
    parser.add_argument("--lr", type=_number(float, 0, False), metavar="LR",
                        help="learning rate (the peak of a schedule); default: the recipe's "
                             "(original 1e-4, improved 2e-3)")
    parser.add_argument("--recipe", choices=tuple(RECIPES),
                        help="improved (the default): the course's recipe (batch norm, "
                             "augmentation, AdamW, cosine decay); original: the tutorial's "
                             "(Adam, constant learning rate)")
    parser.add_argument("--seed", type=int, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, metavar="RUN_DIR",
                        help="the run folder to write (or to continue with --resume)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in RUN_DIR after its last finished epoch")
    parser.add_argument("--early-stopping", type=_number(int, 1, True), metavar="PATIENCE",
                        help="stop after PATIENCE epochs without a lower validation loss")
    parser.add_argument("--tensorboard", action="store_true",
                        help="write TensorBoard logs to RUN_DIR/logs")
    parser.add_argument("--strict", action="store_true",
                        help="refuse a folder with unusable image files instead of skipping them")
    return parser


def _show_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of the command (a skipped file) as one line: ``warning: skipping a.jpg: ...``."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.train is None and not args.resume:
        parser.error("--train DIR is needed (only --resume continues a run without it)")
    with warnings.catch_warnings():  # restores the usual display when main returns
        warnings.showwarning = _show_one_line
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        train(args.train, args.out, val_dir=args.val, val_split=args.val_split,
              recipe=args.recipe, epochs=args.epochs, image_size=args.image_size,
              batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed,
              resume=args.resume, early_stopping=args.early_stopping,
              tensorboard=args.tensorboard, strict=args.strict)
    except (DatasetError, RunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: python -m helpers.train --out {args.out} --resume",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
