"""Training a network on a folder of photos, with checkpoints and resume (notebook 08).

From the command line (``python -m helpers.train --help`` lists every option)::

    python -m helpers.train --train DIR [--val DIR | --val-split 0.2 | --val-split 0] [--epochs N]
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
  32, 100 epochs, the last epoch kept. Images smaller than the tutorial's 128 px buy more epochs
  in the same minutes.

Where the CPU multiplies bfloat16 in hardware the layers compute in bfloat16 (Keras's mixed
precision, about 1.3 times as fast here); elsewhere in float32 (:data:`PRECISIONS`).

The run folder ``RUN_DIR`` (its files, atomic writes, the lock, the state for resuming) is
:mod:`helpers.run`'s; this module is the training itself, in this order: the settings, the
data (scanned once; decoded once when it fits in :data:`DECODED_LIMIT_BYTES`), the model, and
``fit`` with a checkpoint after every epoch.

Reproducibility: ``keras.utils.set_random_seed(seed)`` (Python, numpy and TensorFlow) and
``tf.config.experimental.enable_op_determinism()``, which on this CPU costs no measurable
speed; the same seed on the same data then gives the same numbers (a test runs twice).
A resumed run goes on from the same weights and optimizer state, but its shuffling restarts,
so its later epochs differ a little from those of an uninterrupted run.

A loss that becomes NaN or infinite stops the run (:class:`TrainingDiverged`): its status
becomes "diverged", the epoch is not saved, and the message suggests a smaller learning rate.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":  # the command line reads its arguments before TensorFlow loads
    from helpers.cli import train_command

    sys.exit(train_command())

import contextlib
import dataclasses
import importlib.util
import math
import os
import tempfile
import time
import types
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
from helpers import run
from helpers.data import DatasetError, check_same_classes
from helpers.images import check_size
from helpers.model import ModelConfig
# The run folder's names, as notebooks and older code import them from here.
from helpers.run import (HISTORY_FILE, LAST_FILE, LOCK_FILE, LOG_FOLDER, MODEL_FILE,  # noqa: F401
                         NEXT_STATE_FILE, PREPROCESSING, RUN_FILE, STATE_FILE, RunError,
                         read_history, read_run, save_model_atomically, shown_path,
                         write_json_atomically)
from helpers.run import lock as run_lock  # noqa: F401

#: Keep the decoded, resized training and validation images in memory (decoded once, while
#: the folder is scanned) when they take at most this many bytes (uint8, size² × 3 each:
#: 27 KB at 96 px, so about 9,700 photos; 49 KB at 128 px, about 5,400); beyond it they are
#: streamed from disk every epoch with flat memory. While the pipelines are built the images
#: are briefly held three times over, so the process (TensorFlow itself takes about 700 MB)
#: stays under 1.5 GB.
DECODED_LIMIT_BYTES = 256 * 2**20
CACHE_LIMIT_BYTES = DECODED_LIMIT_BYTES  # its earlier name

#: The smallest image side training accepts: below it a photo is a few blotches.
MIN_IMAGE_SIZE = 16

#: How the layers compute. "float32": everything in 32-bit floats. "mixed_bfloat16": Keras's
#: mixed precision, the layers compute in bfloat16 (8 bits of mantissa) while the weights, the
#: batch norm statistics, the softmax and the loss stay in float32. "auto" (the default) takes
#: "mixed_bfloat16" on a CPU that multiplies bfloat16 in hardware (see :func:`cpu_has_bfloat16`)
#: and "float32" anywhere else, where bfloat16 would be emulated and slower.
PRECISIONS = ("auto", "float32", "mixed_bfloat16")

#: Which epoch ``model.keras`` holds (see :attr:`Recipe.keep`).
KEEPS = ("best", "last")


class TrainingDiverged(RunError):
    """The loss became NaN or infinite: the run stopped, its status is "diverged"."""


# ---- recipes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """How to train: the network, the optimizer and its learning rate, the epochs and batches.

    optimizer: "adam", or "adamw" (Adam with decoupled weight decay: every step also shrinks
    each weight by ``learning_rate × weight_decay`` of itself).
    schedule: "constant", or "cosine": ``lr(step) = learning_rate × (1 + cos(π · step /
    total_steps)) / 2``, from ``learning_rate`` at the first step down to 0 after the last.
    keep: the epoch ``model.keras`` holds. "best" (the tutorial's recipe): the one with the
    lowest validation loss. "last" (the course's): the last one, for a schedule that ends at a
    learning rate of 0, whose final weights are the settled ones (the validation loss, which
    punishes confident mistakes, often reaches its lowest halfway down such a schedule, before
    the accuracy has settled). A run with early stopping keeps the best epoch whatever is asked.
    """

    name: str
    config: ModelConfig
    optimizer: str
    learning_rate: float
    schedule: str
    weight_decay: float
    epochs: int
    batch_size: int
    keep: str = "best"

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
                "epochs": self.epochs, "batch_size": self.batch_size, "image_size": self.image_size,
                "keep": self.keep}


#: The tutorial's recipe, and the course's (see the module docstring for why these values).
RECIPES = {
    "original": Recipe("original", M.ORIGINAL, optimizer="adam", learning_rate=1e-4,
                       schedule="constant", weight_decay=0.0, epochs=40, batch_size=32),
    "improved": Recipe("improved", M.IMPROVED, optimizer="adamw", learning_rate=2e-3,
                       schedule="cosine", weight_decay=1e-2, epochs=100, batch_size=32,
                       keep="last"),
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
        optimizer = keras.optimizers.AdamW(rate, weight_decay=recipe.weight_decay)
    else:
        optimizer = keras.optimizers.Adam(rate)
    return use_fused_adam(optimizer)


def use_fused_adam(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """Let ``optimizer`` (Keras's Adam or AdamW) update each weight with one fused kernel.

    Keras 3 writes Adam's update as about fifteen separate tensor operations per weight;
    TensorFlow's ``ResourceApplyAdam`` kernel (the one TF1's ``AdamOptimizer`` ran) does the same
    arithmetic in one pass, which trains the tutorial's network about 8 % faster on a CPU. Only
    this instance's ``update_step`` changes: the optimizer stays a Keras ``Adam``, so a saved model
    loads anywhere, and weight decay (AdamW) is still applied by Keras before the update.
    """
    optimizer.update_step = types.MethodType(_fused_adam_update_step, optimizer)
    return optimizer


def _fused_adam_update_step(self: keras.optimizers.Adam, gradient: Any, variable: Any,
                            learning_rate: Any) -> None:
    """Adam's update of one weight, the same formula as Keras's, as one TensorFlow kernel."""
    if isinstance(variable, keras.Variable):
        variable = variable.value
    index = self._get_variable_index(variable)
    dtype = variable.dtype
    step = tf.cast(self.iterations + 1, dtype)
    beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
    tf.raw_ops.ResourceApplyAdam(
        var=variable.handle, m=self._momentums[index].value.handle,
        v=self._velocities[index].value.handle,
        beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
        lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
        epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))


# ---- precision ----------------------------------------------------------------------------------


def cpu_has_bfloat16(cpuinfo: str | None = None) -> bool:
    """Whether the CPU multiplies bfloat16 in hardware: the ``amx_bf16`` or ``avx512_bf16``
    flag of Linux's ``/proc/cpuinfo`` (or of the text ``cpuinfo``). False where that file does
    not exist (macOS, Windows): those machines train in float32."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return False
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def choose_precision(precision: str | None = "auto") -> str:
    """The precision a run uses: ``precision`` itself, or for "auto" (and None)
    "mixed_bfloat16" on a CPU-only machine whose CPU has bfloat16 arithmetic, else "float32"."""
    precision = precision or "auto"
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if precision != "auto":
        return precision
    if tf.config.list_physical_devices("GPU") or not cpu_has_bfloat16():
        return "float32"
    return "mixed_bfloat16"


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Layers made inside the ``with`` block compute with ``precision`` ("float32" or
    "mixed_bfloat16"); Keras's global policy is restored afterwards."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


# ---- the settings of a run --------------------------------------------------------------------


@dataclass
class Settings:
    """Everything a run is trained with; ``run.json`` keeps it under "settings", and
    ``--resume`` takes it from there. ``config.image_size`` and ``config.num_classes`` are
    set from ``image_size`` and the data."""

    train_dir: str
    val_dir: str | None
    val_split: float | None
    recipe: str
    epochs: int
    image_size: int
    batch_size: int
    learning_rate: float
    seed: int
    early_stopping: int | None
    config: ModelConfig
    precision: str = "float32"  # runs made before precision was a setting computed in float32
    keep: str = "best"  # and kept the lowest validation loss

    def to_dict(self) -> dict[str, Any]:
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return {**values, "config": self.config.to_dict()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        return cls(**{**values, "config": ModelConfig.from_dict(values["config"])})


def _new_settings(train_dir, val_dir, val_split, recipe: Recipe, epochs, image_size, batch_size,
                  learning_rate, seed, early_stopping, config: ModelConfig | None,
                  precision: str | None = None, keep: str | None = None) -> Settings:
    """The settings of a new run: what is given, else the recipe's (and the seed 0)."""
    if train_dir is None:
        raise ValueError("train_dir is needed to start a run (only resume=True does without)")
    settings = Settings(
        train_dir=str(Path(train_dir).resolve()),
        val_dir=None if val_dir is None else str(Path(val_dir).resolve()),
        val_split=None if val_dir is not None else (0.2 if val_split is None else val_split),
        recipe=recipe.name,
        epochs=epochs or recipe.epochs,
        image_size=image_size or (config or recipe.config).image_size,
        batch_size=batch_size or recipe.batch_size,
        learning_rate=learning_rate or recipe.learning_rate,
        seed=0 if seed is None else seed,
        early_stopping=early_stopping,
        config=config or recipe.config,  # image size and classes are set with the data
        precision=choose_precision(precision),
        keep=keep or recipe.keep,
    )
    if keep is None and not validates(settings):  # no validation loss to pick the best by
        settings = dataclasses.replace(settings, keep="last")
    return settings


def _resumed_settings(info: dict[str, Any], run_dir: Path, given: dict[str, Any],
                      config: ModelConfig | None) -> Settings:
    """--resume: the settings the run was started with; one given explicitly that differs is
    refused (changing them halfway would make a run that no command line describes)."""
    saved = Settings.from_dict(info["settings"])
    if config is not None:
        given["config"] = dataclasses.replace(config, image_size=saved.image_size,
                                              num_classes=saved.config.num_classes)
    for name, value in given.items():
        if value is None:
            continue
        if name in ("train_dir", "val_dir"):
            value = str(Path(value).resolve())
        old = getattr(saved, name)
        if isinstance(value, float) and old is not None:
            same = math.isclose(old, value)
        else:
            same = old == value
        if not same:
            shown = "another network" if name == "config" else f"{name} {value}"
            raise RunError(f"{run_dir}: --resume continues the run as it was started, not with "
                           f"{shown}; start a new run (another --out) to change it")
    return saved


def _check_arguments(epochs, image_size, batch_size, early_stopping, learning_rate, val_split,
                     val_dir, config, tensorboard, precision=None, keep=None) -> None:
    for name, value in (("epochs", epochs), ("image_size", image_size),
                        ("batch_size", batch_size), ("early_stopping", early_stopping)):
        if value is not None:
            check_size(value, name, low=MIN_IMAGE_SIZE if name == "image_size" else 1)
    if learning_rate is not None and not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise ValueError(f"learning_rate must be a finite number above 0, got {learning_rate!r}")
    if val_split is not None and not 0 <= val_split < 1:
        raise ValueError(f"val_split must be in [0, 1), got {val_split!r}")
    if val_dir is not None and val_split is not None:
        raise ValueError("give val_dir or val_split, not both")
    if val_split == 0 and early_stopping is not None:
        raise ValueError("early stopping watches the validation loss, and a validation split of "
                         "0 leaves none; give a split above 0, or leave out early stopping")
    if val_split == 0 and keep == "best":
        raise ValueError("keeping the best epoch needs validation (it picks the lowest validation "
                         "loss), and a validation split of 0 leaves none; a run without "
                         "validation keeps the last epoch")
    if config is not None and not isinstance(config, ModelConfig):
        raise ValueError(f"config must be a helpers.model.ModelConfig, got {config!r}")
    if keep is not None and keep not in KEEPS:
        raise ValueError(f"keep must be one of {', '.join(KEEPS)}; got {keep!r}")
    if precision is not None and precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise RunError("--tensorboard needs the tensorboard package: pip install tensorboard")


# ---- the data ---------------------------------------------------------------------------------


def usable_files(folder: str | os.PathLike, classes: Sequence[str] | None = None, *,
                 strict: bool = False, keep_size: int | None = None) -> data.ScanReport:
    """Scan a dataset folder (``data.scan``: every file decoded once) and refuse what cannot be
    trained on: a missing folder, fewer than 2 classes, a class without a usable image and, with
    ``strict``, any unusable file (``DatasetError``, one line). Otherwise each unusable file,
    sub-folder and special file is skipped with a ``data.SkippedImageWarning`` naming it.
    ``keep_size``: keep the resized images (see ``data.scan``) within the memory limit.
    """
    report = data.scan(folder, classes, keep_size=keep_size, keep_limit_bytes=DECODED_LIMIT_BYTES)
    if report.problems:
        raise DatasetError(report.problems[0])
    bad = report.unusable
    if bad and strict:
        listed = "; ".join(str(u) for u in bad[:5]) + ("; ..." if len(bad) > 5 else "")
        raise DatasetError(f"strict mode: {len(bad)} unusable image file(s): {listed}")
    for problem in bad:
        warnings.warn(f"skipping {problem}", data.SkippedImageWarning, stacklevel=2)
    for scanned in report.classes:
        data.warn_not_read(data.ClassListing([], [], scanned.nested, scanned.special))
    return report


def _counts(files: data.FileList) -> str:
    return ", ".join(f"{name} {n}" for name, n in files.counts().items())


@dataclass
class TrainingData:
    """The files to train and validate on; ``decoded``: their resized images (path -> uint8
    array) when they fit in :data:`DECODED_LIMIT_BYTES` (``in_memory``), else empty (the
    images are streamed from disk). ``seconds``: the time the scan took."""

    training: data.FileList
    validation: data.FileList
    decoded: dict[Path, Any]
    in_memory: bool
    seconds: float


def _read_data(settings: Settings, strict: bool, cache: bool | None,
               expected_classes: Sequence[str] | None) -> TrainingData:
    """Scan the training folder (and the validation folder, or split): refused in one line
    when it cannot be trained on; ``expected_classes``: a resumed run's class names."""
    started = time.perf_counter()
    keep = settings.image_size if cache is not False else None
    train_folder = Path(settings.train_dir)
    scanned = usable_files(train_folder, strict=strict, keep_size=keep)
    files, decoded = scanned.file_list(), dict(scanned.resized)
    class_names = list(files.class_names)
    if expected_classes is not None:
        check_same_classes(expected_classes, class_names, str(train_folder))
    if settings.val_dir is not None:
        val_folder = Path(settings.val_dir)
        check_same_classes(class_names, data.class_folders(val_folder), str(val_folder))
        val_scanned = usable_files(val_folder, class_names, strict=strict, keep_size=keep)
        training, validation = files, val_scanned.file_list()
        decoded.update(val_scanned.resized)
    else:
        training, validation = data.split(files, settings.val_split, settings.seed)
        if len(validation) == 0 and validates(settings):
            raise DatasetError(_split_advice(train_folder, settings, files))
    size = settings.image_size
    in_memory = (len(decoded) == len(training) + len(validation)
                 and len(decoded) * size * size * 3 <= DECODED_LIMIT_BYTES)
    return TrainingData(training, validation, decoded if in_memory else {}, in_memory,
                        time.perf_counter() - started)


def _pipelines(the_data: TrainingData, settings: Settings, cache: bool | None,
               strategy: tf.distribute.Strategy | None
               ) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """The training pipeline (shuffled, not augmented: the model augments) and the validation
    one (None without validation), from memory when the images were kept, else streaming
    (cached when ``cache``)."""
    size, batch, seed = settings.image_size, settings.batch_size, settings.seed
    source = {"decoded": the_data.decoded} if the_data.in_memory else {"cache": bool(cache)}
    train_ds = data.make_dataset(the_data.training, size, batch, training=True, augment=False,
                                 seed=seed, **source)
    val_ds = None
    if len(the_data.validation):
        val_ds = data.make_dataset(the_data.validation, size, batch, seed=seed, **source)
        # Tell Keras how many batches one pass over the validation images makes (the scan left
        # no unusable file to drop): it then never warns "your input ran out of data".
        validation_batches = math.ceil(len(the_data.validation) / batch)
        val_ds = val_ds.apply(tf.data.experimental.assert_cardinality(validation_batches))
    the_data.decoded.clear()  # the pipelines hold their own copy of the images
    if strategy is not None:  # the file names are one tensor: shard the batches, not files
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        train_ds = train_ds.with_options(options)
        val_ds = None if val_ds is None else val_ds.with_options(options)
    return train_ds, val_ds


def _split_advice(train_folder: Path, settings: Settings, files: data.FileList) -> str:
    """Why a split left no validation image, and what to do about it."""
    fewest = min(files.counts().values())
    if fewest < 2:
        return (f"{train_folder}: a class has only {fewest} usable image, too few to hold one "
                "out for validation; add images (at least 2 per class, better dozens) or give "
                "--val DIR")
    return (f"{train_folder}: a validation split of {settings.val_split:g} leaves no "
            "validation image; use a split above 0 (e.g. 0.2) or --val DIR")


# ---- the callbacks ----------------------------------------------------------------------------


def _number_of(value: Any) -> float:
    """A scalar variable or tensor as a Python number (also a MirroredVariable's)."""
    return float(keras.ops.convert_to_numpy(value))


class RunCheckpoint(keras.callbacks.Callback):
    """After every epoch: add its metrics to the history, then ``run.commit_epoch`` (``model.keras``
    when its validation loss is the lowest so far, or every epoch with ``keep_last``;
    ``last.keras``, ``state.json``, ``history.json``). An epoch whose loss is NaN or infinite is
    not saved: training stops and ``diverged`` says where.

    ``state`` (a dict, see ``run.new_state``) is updated in place once an epoch is committed.
    ``train_images``: images per training epoch, for the images per second.
    """

    def __init__(self, run_dir: Path, state: dict[str, Any], train_images: int,
                 early_stopping: keras.callbacks.EarlyStopping | None = None,
                 resume_hint: str = "", keep_last: bool = False) -> None:
        super().__init__()
        self.keep_last = keep_last
        self.run_dir = Path(run_dir)
        self.state = state
        self.train_images = train_images
        self.early_stopping = early_stopping
        self.resume_hint = resume_hint
        self.diverged: tuple[int, str, float] | None = None  # (epoch, "loss", value)
        self._started: float | None = None
        self._train_seconds: float | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._started, self._train_seconds = time.perf_counter(), None

    def on_test_begin(self, logs=None):  # fit's validation begins: the epoch's training is over
        if self._started is not None and self._train_seconds is None:
            self._train_seconds = time.perf_counter() - self._started

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key in ("loss", "val_loss"):
            if key in logs and not math.isfinite(float(logs[key])):
                self.diverged = (epoch + 1, key, float(logs[key]))
                self.model.stop_training = True
                return
        seconds = time.perf_counter() - self._started
        train_seconds = self._train_seconds or seconds
        state = json_copy(self.state)  # self.state changes only at the commit
        history = state["history"]
        history["epoch"].append(epoch + 1)
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            history[key].append(float(logs[key]) if key in logs else None)
        history["learning_rate"].append(_number_of(self.model.optimizer.learning_rate))
        history["train_seconds"].append(round(train_seconds, 3))
        history["images_per_second"].append(round(self.train_images / train_seconds, 1))
        val_loss = history["val_loss"][-1]
        improved = val_loss is not None and (state["best_val_loss"] is None
                                             or val_loss < state["best_val_loss"])
        if improved:
            state["best_epoch"], state["best_val_loss"] = epoch + 1, val_loss
        keep = improved or self.keep_last
        if keep:
            state["kept_epoch"] = epoch + 1
        if self.early_stopping is not None:
            best = self.early_stopping.best
            state["early_stopping"] = {"wait": int(self.early_stopping.wait),
                                       "best": None if best is None else float(best)}
        state["stopped_early"] = bool(self.model.stop_training) and epoch + 1 < state["epochs"]
        state["epochs_done"] = epoch + 1
        state["optimizer_iterations"] = int(_number_of(self.model.optimizer.iterations))
        state["training_seconds"] = round(state["training_seconds"] + seconds, 3)
        try:
            run.commit_epoch(self.run_dir, state, self.model, keep)
        except OSError as error:  # a full disk: the previous epoch's files are whole
            kept = self.state["epochs_done"]
            raise RunError(f"cannot save epoch {epoch + 1} ({run.os_error_text(error)}); "
                           f"the run is kept as it was after epoch {kept}"
                           + (f"; make room, then continue with {self.resume_hint}"
                              if kept and self.resume_hint else "")) from None
        self.state.clear()
        self.state.update(state)


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-ready values (dicts, lists, numbers, strings)."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's ``EarlyStopping`` on the validation loss, starting from a saved count of epochs
    without improvement (``wait``) and best value, so that a resumed run keeps its patience."""

    def __init__(self, patience: int, wait: int = 0, best: float | None = None) -> None:
        super().__init__(monitor="val_loss", mode="min", patience=patience, verbose=1)
        self._resumed_wait, self._resumed_best = wait, best

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)  # resets wait and best
        self.wait, self.best = self._resumed_wait, self._resumed_best


# ---- train ------------------------------------------------------------------------------------


@dataclass
class TrainingResult:
    """What :func:`train` returns.

    history: per epoch since the run began, resumed sessions included: ``epoch`` (from 1),
        ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``learning_rate`` (at the
        epoch's end), ``train_seconds`` (the training part, without validation and saving) and
        ``images_per_second`` (training images / train_seconds);
        ``plots.plot_training_history(history)`` draws it.
    run_dir: the run folder; its ``model.keras`` is the kept epoch's model.
    model: the model after the last epoch, in memory.
    best_epoch: the epoch (from 1) with the lowest validation loss (None without validation).
    stopped_early: True when early stopping ended the run before its last epoch.
    kept_epoch: the epoch in ``model.keras``: ``best_epoch``, or the last epoch in a run that
        keeps the last (``keep="last"``, without early stopping).
    """

    history: dict[str, list]
    run_dir: Path
    model: keras.Model
    class_names: list[str]
    best_epoch: int | None
    stopped_early: bool
    kept_epoch: int | None = None


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


def _finished_run(out: Path, info: dict[str, Any], verbose: int) -> TrainingResult | None:
    """The result of the finished run in ``out`` (read, not changed), or None if it is not."""
    state = run.finished_state(out)
    if state is None:
        return None
    if verbose:
        print(f"{shown_path(out)}: the run is already finished ({state['epochs_done']} epochs"
              + (", stopped early)" if state["stopped_early"] else ")"))
    model = run.load_model(out / LAST_FILE)
    return TrainingResult(state["history"], out, model, list(info["class_names"]),
                          state["best_epoch"], state["stopped_early"],
                          state.get("kept_epoch", state["best_epoch"]))


def train(train_dir: str | os.PathLike | None, out: str | os.PathLike, *,
          val_dir: str | os.PathLike | None = None, val_split: float | None = None,
          recipe: str | None = None, epochs: int | None = None, image_size: int | None = None,
          batch_size: int | None = None, learning_rate: float | None = None,
          seed: int | None = None, resume: bool = False, early_stopping: int | None = None,
          tensorboard: bool = False, strict: bool = False, config: ModelConfig | None = None,
          strategy: tf.distribute.Strategy | None = None,
          callbacks: Sequence[keras.callbacks.Callback] = (), verbose: int | None = None,
          cache: bool | None = None, deterministic: bool = True,
          precision: str | None = None, keep: str | None = None) -> TrainingResult:
    """Train a recipe's network on ``train_dir`` (one sub-folder per class) into run folder ``out``.

    - Validation: the images of ``val_dir`` (the same class folders), or else a stratified,
      seeded ``val_split`` of ``train_dir`` (default 0.2). ``val_split=0``: no validation, every
      image trains and ``model.keras`` is the last epoch (a final fit, once the recipe and its
      epochs were chosen on a validation split); early stopping and ``keep="best"`` need
      validation and are refused.
    - ``recipe``: "improved" (the default) or "original" (see :data:`RECIPES`); ``epochs``,
      ``image_size`` (at least :data:`MIN_IMAGE_SIZE`), ``batch_size`` and ``learning_rate``
      (the peak, with a schedule) default to the recipe's; ``seed`` defaults to 0.
    - ``config`` replaces the recipe's ``ModelConfig`` (a tiny network for a quick run); its
      ``num_classes`` always comes from the data, its ``image_size`` unless ``image_size`` is given.
    - ``early_stopping``: stop after that many epochs without a lower validation loss.
      ``tensorboard``: logs in ``out/logs``. ``strict``: refuse a folder with any unusable file
      instead of skipping it with a warning.
    - ``out`` must not exist or be empty (a folder holding anything else is refused and left
      untouched); ``resume=True`` continues the run in ``out`` after its last finished epoch,
      with the settings it was started with (``train_dir`` may be None; a setting given that
      differs is refused). A finished run is left as it is.
    - ``strategy``: a ``tf.distribute.Strategy`` (e.g. ``MirroredStrategy()``); the model and
      its optimizer are made in its scope, and ``batch_size`` is the global batch, split over
      the replicas. Only the chief of a multi-worker strategy writes ``out``.
    - ``callbacks``: more Keras callbacks for ``fit``. ``verbose``: Keras's (None: a progress
      bar on a terminal, one line per epoch otherwise; 0: silent). ``cache``: keep the decoded
      images in memory, decoded once while the folder is scanned (None: when they take at most
      :data:`DECODED_LIMIT_BYTES`; False: stream them from disk every epoch).
      ``deterministic``: turn on TensorFlow's op determinism, a switch for the whole process.
      ``precision``: "float32", "mixed_bfloat16" or "auto" (the default: bfloat16 where the
      CPU computes it in hardware, see :data:`PRECISIONS`); a resumed run keeps its own.
      ``keep``: which epoch ``model.keras`` holds, "best" or "last" (default: the recipe's, see
      :attr:`Recipe.keep`); with ``early_stopping`` always the best.

    Raises ``DatasetError`` (a missing or unusable folder, class names that differ, an empty
    validation split), :class:`RunError` (``out`` not usable, nothing to resume, settings that
    differ from the resumed run's, a full disk), :class:`TrainingDiverged` (a NaN or infinite
    loss) or ``ValueError`` (a bad argument); each message is one line.
    """
    out = Path(out)
    _check_arguments(epochs, image_size, batch_size, early_stopping, learning_rate, val_split,
                     val_dir, config, tensorboard, precision, keep)
    chief = is_chief(strategy)
    made: list[Path] = []
    if resume:
        run.check_folder(out)
        read_run(out)  # a missing or broken run is refused before anything is touched
    elif chief:
        made = run.prepare_new(out)
    verbose = (1 if sys.stdout.isatty() else 2) if verbose is None else verbose
    # One process at a time trains a run folder (of a multi-worker strategy, the chief: the
    # others write elsewhere).
    # A new run that fails before run.json is written leaves nothing behind (it holds the lock
    # while it cleans up, so another process's lock file is never removed).
    new_run = chief and not resume
    with run.lock(out) if chief else contextlib.nullcontext(), \
            run.removed_unless_started(out, made) if new_run else contextlib.nullcontext():
        # -- 1. the settings: new ones, or those of the run to resume
        if resume:
            info = read_run(out)
            given = {"train_dir": train_dir, "val_dir": val_dir, "val_split": val_split,
                     "recipe": recipe, "epochs": epochs, "image_size": image_size,
                     "batch_size": batch_size, "learning_rate": learning_rate, "seed": seed,
                     "early_stopping": early_stopping,
                     "precision": None if precision == "auto" else precision, "keep": keep}
            settings = _resumed_settings(info, out, given, config)
            finished = _finished_run(out, info, verbose)
            if finished is not None:  # nothing to do, and nothing is written
                return finished
        else:
            settings = _new_settings(train_dir, val_dir, val_split,
                                     get_recipe(recipe or DEFAULT_RECIPE), epochs, image_size,
                                     batch_size, learning_rate, seed, early_stopping, config,
                                     precision, keep)
        the_recipe = get_recipe(settings.recipe)
        size, batch, seed = settings.image_size, settings.batch_size, settings.seed

        # -- 2. the data, scanned once: unusable files and empty classes are known before
        # training, and the resized images are kept when they fit (decoded once, not per epoch)
        the_data = _read_data(settings, strict, cache, info["class_names"] if resume else None)
        training, validation = the_data.training, the_data.validation
        class_names = list(training.class_names)
        settings.config = dataclasses.replace(settings.config, image_size=size,
                                              num_classes=len(class_names))

        # -- 3. the pipelines; the model augments its training images itself, so they do not
        steps_per_epoch = math.ceil(len(training) / batch)
        keras.utils.set_random_seed(seed)
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        train_ds, val_ds = _pipelines(the_data, settings, cache, strategy)

        # -- 4. the model: new, or last.keras with its optimizer state
        # Only the chief writes the run folder. Another worker's checkpoints go to a temporary
        # folder of its own, removed when training ends (or when the process exits).
        scratch = None if chief else tempfile.TemporaryDirectory(prefix="helpers-train-worker-")
        write_dir = out if scratch is None else Path(scratch.name)
        run.remove_temporaries(write_dir)
        state = run.new_state(settings.epochs)
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            if resume and (out / LAST_FILE).exists():
                model = run.load_model(out / LAST_FILE)
                use_fused_adam(model.optimizer)
                state = run.resume_state(out, int(_number_of(model.optimizer.iterations)), chief)
            else:
                with dtype_policy(settings.precision):
                    model = M.build_model(settings.config, seed=seed)
                model.compile(optimizer=make_optimizer(the_recipe, settings.learning_rate,
                                                       settings.epochs * steps_per_epoch),
                              loss=keras.losses.CategoricalCrossentropy(from_logits=M.FROM_LOGITS),
                              metrics=["accuracy"])

        # -- run.json: everything prediction needs, and how the run was made
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if resume:
            info["sessions"].append({"started": now, "from_epoch": state["epochs_done"] + 1})
        else:
            info = _new_run_info(settings, the_recipe, class_names, now)
        info["status"] = "running"
        info["data"] = {
            "train_dir": settings.train_dir, "val_dir": settings.val_dir,
            "val_split": settings.val_split, "training_images": training.counts(),
            "validation_images": validation.counts(), "steps_per_epoch": steps_per_epoch,
            "cached": the_data.in_memory or bool(cache), "decoded_once": the_data.in_memory,
            "scan_seconds": round(the_data.seconds, 2)}
        if chief:
            write_json_atomically(out / RUN_FILE, info)

        if verbose:
            if validates(settings):
                print(f"training on {len(training)} images ({_counts(training)}), validating on "
                      f"{len(validation)} ({_counts(validation)})")
            else:
                print(f"training on all {len(training)} images ({_counts(training)}), without "
                      "validation (--val-split 0)")
            epochs_text = f"{settings.epochs} epoch{'s' if settings.epochs != 1 else ''}"
            print(f"recipe {the_recipe.name}: {size}x{size} px, batches of {batch}, {epochs_text}, "
                  f"{the_recipe.describe(settings.learning_rate)}; seed {seed}, "
                  f"{settings.precision}")
            if resume and state["epochs_done"] >= settings.epochs:  # crashed after its last epoch
                print(f"{shown_path(out)}: the interruption came after the last of its "
                      f"{settings.epochs} epochs; recording the run as finished")
            elif resume:
                print(f"resuming {shown_path(out)} after epoch {state['epochs_done']} of "
                      f"{settings.epochs}")
            elif chief:
                kept = "the last epoch" if keeps_last(settings) else "lowest validation loss"
                print(f"writing to {shown_path(out)}: model.keras ({kept}), "
                      "last.keras (every epoch)")
            else:
                print(f"training beside the chief worker, which writes {shown_path(out)}")

        # -- 5. fit, with a checkpoint every epoch
        stopper = None
        if settings.early_stopping:
            stopper = ResumableEarlyStopping(settings.early_stopping, **state["early_stopping"])
        checkpoint = RunCheckpoint(write_dir, state, len(training), stopper,
                                   resume_hint=resume_command(out),
                                   keep_last=keeps_last(settings))
        fit_callbacks: list[keras.callbacks.Callback] = [stopper] if stopper else []
        fit_callbacks.append(checkpoint)  # after early stopping, which it records
        if tensorboard:
            fit_callbacks.append(keras.callbacks.TensorBoard(str(write_dir / LOG_FOLDER)))
        fit_callbacks += list(callbacks)
        # The training pipeline repeats and fit takes steps_per_epoch batches from it per epoch:
        # Keras then knows the epoch's length from the start (no "ran out of data" at epoch 1).
        try:
            model.fit(train_ds.repeat(), steps_per_epoch=steps_per_epoch, validation_data=val_ds,
                      epochs=settings.epochs, initial_epoch=state["epochs_done"], shuffle=False,
                      callbacks=fit_callbacks, verbose=verbose)
        except KeyboardInterrupt:  # Ctrl-C: run.json says so, not "running"
            _record_interruption(out, info, state, chief)
            raise

        if checkpoint.diverged:
            _record_divergence(out, info, state, chief, checkpoint.diverged, settings)
        result = _finish(out, info, state, model, class_names, chief)
        if scratch is not None:
            scratch.cleanup()
        if verbose and result.kept_epoch and chief:
            _print_kept(result, state["history"], out, checkpoint.keep_last)
        return result


def _print_kept(result: TrainingResult, history: dict[str, list], out: Path,
                keep_last: bool) -> None:
    """The run's last line: which epoch ``model.keras`` holds, and its figures."""
    kept = result.kept_epoch - 1
    which = f"best epoch {result.kept_epoch}"  # the lowest validation loss
    if keep_last:
        which = f"kept epoch {result.kept_epoch} (the last" + (
            ", without validation)" if result.best_epoch is None else
            ")" if result.kept_epoch == result.best_epoch else
            f"; the lowest validation loss was at epoch {result.best_epoch})")
    if history["val_loss"][kept] is None:
        figures = f"loss {history['loss'][kept]:.4f}, accuracy {history['accuracy'][kept]:.4f}"
    else:
        figures = (f"val_loss {history['val_loss'][kept]:.4f}, "
                   f"val_accuracy {history['val_accuracy'][kept]:.4f}")
    print(f"{which}: {figures}; saved as {shown_path(out / MODEL_FILE)}")


def validates(settings: Settings) -> bool:
    """Whether the run holds out images for validation: a validation folder, or a split above 0
    (a split of 0 trains on every image, e.g. a final fit once the recipe is chosen)."""
    return settings.val_dir is not None or bool(settings.val_split)


def keeps_last(settings: Settings) -> bool:
    """Whether ``model.keras`` takes every epoch, so that it ends as the last: the run keeps the
    last, and no early stopping (which stops on the validation loss) is asked for."""
    return settings.keep == "last" and not settings.early_stopping


def resume_command(out: Path) -> str:
    """The command line that continues the run in ``out``."""
    return f"python -m helpers.train --out {shown_path(out)} --resume"


def _new_run_info(settings: Settings, recipe: Recipe, class_names: list[str],
                  now: str) -> dict[str, Any]:
    """A new run's ``run.json``: everything prediction needs, and how the run was made."""
    size = settings.image_size
    return {
        "class_names": class_names, "image_size": size, "preprocessing": PREPROCESSING,
        "recipe": {**recipe.to_dict(), "learning_rate": settings.learning_rate,
                   "epochs": settings.epochs, "batch_size": settings.batch_size,
                   "image_size": size, "description": recipe.describe(settings.learning_rate)},
        "model_config": settings.config.to_dict(), "seed": settings.seed,
        "settings": settings.to_dict(), "created": now,
        "sessions": [{"started": now, "from_epoch": 1}], "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    import cv2
    import numpy

    import helpers

    return {"helpers": helpers.__version__, "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": numpy.__version__, "opencv": cv2.__version__}


def _record_divergence(out: Path, info: dict[str, Any], state: dict[str, Any], chief: bool,
                       where: tuple[int, str, float], settings: Settings) -> None:
    """Status "diverged" in run.json, then :class:`TrainingDiverged` with what to do."""
    epoch, key, value = where
    info["status"] = "diverged"
    info["sessions"][-1].update(to_epoch=state["epochs_done"], diverged_in_epoch=epoch)
    if chief:
        write_json_atomically(out / RUN_FILE, info)
    done = state["epochs_done"]
    kept = ("no epoch was saved" if done == 0 else "epoch 1 is saved" if done == 1
            else f"epochs 1-{done} are saved")
    raise TrainingDiverged(
        f"{shown_path(out)}: training diverged: the {key.replace('_', ' ')} became {value} in "
        f"epoch {epoch} ({kept}); train a new run with a smaller learning rate, e.g. "
        f"--lr {settings.learning_rate / 10:g}")


def _record_interruption(out: Path, info: dict[str, Any], state: dict[str, Any],
                         chief: bool) -> None:
    """Status "interrupted" in run.json (``--resume`` continues after the last saved epoch)."""
    info["status"] = "interrupted"
    info["sessions"][-1].update(to_epoch=state["epochs_done"])
    if chief:
        write_json_atomically(out / RUN_FILE, info)


def _finish(out: Path, info: dict[str, Any], state: dict[str, Any], model: keras.Model,
            class_names: list[str], chief: bool) -> TrainingResult:
    """Record the outcome in run.json and make the result."""
    done, best = state["epochs_done"], state["best_epoch"]
    kept = state.get("kept_epoch", best)
    info["status"] = ("stopped early" if state["stopped_early"]
                      else "finished" if done >= state["epochs"] else "running")
    info["sessions"][-1].update(to_epoch=done,
                                finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    speeds = state["history"]["images_per_second"]
    info["result"] = {
        "epochs_done": done, "best_epoch": best, "best_val_loss": state["best_val_loss"],
        "best_val_accuracy": state["history"]["val_accuracy"][best - 1] if best else None,
        "kept_epoch": kept,
        "kept_val_accuracy": state["history"]["val_accuracy"][kept - 1] if kept else None,
        "training_seconds": state["training_seconds"],
        "mean_images_per_second": round(sum(speeds) / len(speeds), 1) if speeds else None,
    }
    if chief:
        write_json_atomically(out / RUN_FILE, info)
    return TrainingResult(state["history"], out, model, class_names, best, state["stopped_early"],
                          kept)


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
    same run, always in float32. ``quick``: :data:`QUICK_PER_CLASS` photos per class (linked, not
    copied) and :data:`QUICK_EPOCHS` epochs, in :func:`course_run_dir` ``(quick=True)``. Returns
    the run folder.
    """
    from helpers.datasets import dataset_dir

    train_dir = dataset_dir("cats-dogs", data_root) / "training_data"
    out = course_run_dir(quick)
    # float32 on every machine: notebooks 09 and 10 compare the model's answers by several paths
    # (keras.models.load_model, helpers.predict, Grad-CAM) to the last digits, which a model that
    # computes in bfloat16 does not reach.
    settings: dict[str, Any] = {"recipe": DEFAULT_RECIPE, "seed": 0, "verbose": verbose,
                                "precision": "float32"}
    if quick:
        subset = out.parent / f"training_data_{QUICK_PER_CLASS}_per_class"
        if not subset.exists():
            data.link_subset(train_dir, subset, QUICK_PER_CLASS, seed=0)
        train_dir, settings["epochs"] = subset, QUICK_EPOCHS
    if (out / RUN_FILE).exists():
        _refuse_an_earlier_network(out, settings.get("epochs"))
    return ensure_trained(train_dir, out, **settings)


def _refuse_an_earlier_network(out: Path, epochs: int | None = None) -> None:
    """RunError when the course run in ``out`` was trained with another network or recipe than
    today's (a run kept from an earlier version of the course): notebooks 09 and 10 would then
    explain one recipe with another's model. ``epochs``: the epochs asked for (None: the
    recipe's). Nothing is deleted; the learner chooses."""
    info = read_run(out)
    recipe = get_recipe(DEFAULT_RECIPE)
    saved = ModelConfig.from_dict(info.get("model_config", {}))
    current = dataclasses.replace(recipe.config, num_classes=saved.num_classes)
    if saved != current:
        differ = [f"{field.name} {getattr(saved, field.name)} (today's: {getattr(current, field.name)})"
                  for field in dataclasses.fields(saved)
                  if getattr(saved, field.name) != getattr(current, field.name)]
        raise RunError(
            f"{shown_path(out)}: trained with an earlier version of the course's network "
            f"({'; '.join(differ)}); delete or rename that folder and run this again to train "
            "the current one"
        )
    was = (info.get("recipe", {}).get("epochs"), info.get("settings", {}).get("keep", "best"))
    now = (epochs or recipe.epochs, recipe.keep)
    if was != now:
        raise RunError(
            f"{shown_path(out)}: trained with an earlier version of the course's recipe "
            f"({_schedule(*was)}; today's: {_schedule(*now)}); delete or rename that folder "
            "and run this again to train the current one"
        )


def _schedule(epochs: int | None, keep: str) -> str:
    """E.g. "60 epochs, keeping the lowest validation loss"."""
    kept = "the last epoch" if keep == "last" else "the lowest validation loss"
    return f"{epochs} epochs, keeping {kept}"


# ---- command line: helpers.cli reads the arguments, then calls train --------------------------


def build_parser():
    """The argument parser of ``python -m helpers.train`` (see ``helpers.cli``)."""
    from helpers.cli import train_parser

    return train_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.train`` with ``argv``; returns the exit status."""
    from helpers.cli import train_command

    return train_command(argv)
