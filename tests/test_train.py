"""Tests of helpers.train: the run folder, checkpoints written atomically, resume after a kill,
the same numbers for the same seed, the recipes, early stopping, MirroredStrategy over two
logical CPUs, and one-line refusals.

Everything trains a tiny network (tests/_tiny_datasets.TINY_CONFIG) on 3 classes of coloured
shapes, 32x32 pixels, 12 per class, for 1 to 3 epochs: a few seconds per run."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import _imagefactory as factory
import _tiny_datasets as tiny
from helpers import data, model as M
from helpers import run
from helpers import train as T
from helpers.data import SkippedImageWarning

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CLASSES = list(tiny.CLASSES)

# Keras's .keras writer turns TensorFlow variables into numpy arrays with np.array(variable),
# which numpy 2 warns about (TensorFlow's __array__ has no copy keyword); nothing of ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def quick(**changes):
    """The keyword arguments of a quick training run, with changes."""
    return {"recipe": "original", "config": tiny.TINY_CONFIG, "epochs": 2, "batch_size": 8,
            "learning_rate": 1e-2, "verbose": 0, "precision": "float32", **changes}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    """12 images per class, plus one file that is no image (skipped with a warning)."""
    root = tiny.make_shapes(tmp_path_factory.mktemp("data") / "shapes")
    factory.write_text(root / "circles" / "broken.png")
    return root


@pytest.fixture(scope="module")
def first_run(shapes, tmp_path_factory) -> T.TrainingResult:
    out = tmp_path_factory.mktemp("runs") / "first"
    with pytest.warns(SkippedImageWarning, match="broken.png"):
        return T.train(shapes, out, **quick())


def validation_arrays(folder: Path, seed: int = 0) -> data.Arrays:
    """The validation images of a run with --val-split 0.2, loaded the tutorial's way."""
    usable = data.scan(folder).file_list()
    return data.load_numpy(data.split(usable, 0.2, seed)[1], tiny.SIZE)


# ---- the run folder ----------------------------------------------------------------------------


def test_run_folder_holds_everything_prediction_needs(first_run):
    out = first_run.run_dir
    for name in ("run.json", "model.keras", "last.keras", "history.json", "state.json"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*tmp*")), "no temporary file is left behind"
    info = json.loads((out / "run.json").read_text())
    assert info["class_names"] == CLASSES
    assert info["image_size"] == tiny.SIZE
    assert info["preprocessing"] == T.PREPROCESSING
    assert info["model_config"] == {**tiny.TINY_CONFIG.to_dict(), "num_classes": 3}
    assert M.ModelConfig.from_dict(info["model_config"]).num_classes == 3
    assert info["seed"] == 0 and info["recipe"]["name"] == "original"
    assert info["data"]["training_images"] == {"circles": 10, "squares": 10, "triangles": 10}
    assert info["data"]["validation_images"] == {"circles": 2, "squares": 2, "triangles": 2}
    assert info["status"] == "finished" and info["result"]["epochs_done"] == 2
    assert info["result"]["training_seconds"] > 0

    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    probabilities = model(np.zeros((1, tiny.SIZE, tiny.SIZE, 3), np.float32)).numpy()
    assert probabilities.shape == (1, 3) and np.isclose(probabilities.sum(), 1, atol=1e-5)


def test_history_has_every_epoch_with_the_metrics_and_images_per_second(first_run):
    history = json.loads((first_run.run_dir / "history.json").read_text())
    assert history == first_run.history
    assert history["epoch"] == [1, 2]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate",
                "train_seconds", "images_per_second"):
        assert len(history[key]) == 2, key
    assert all(0 <= a <= 1 for a in history["accuracy"] + history["val_accuracy"])
    assert all(speed > 0 for speed in history["images_per_second"])
    assert history["learning_rate"] == pytest.approx([1e-2, 1e-2])
    assert T.read_history(first_run.run_dir) == history


def test_last_checkpoint_holds_the_optimizer_state(first_run):
    last = keras.models.load_model(first_run.run_dir / "last.keras", safe_mode=True)
    steps_per_epoch = math.ceil(30 / 8)
    assert int(last.optimizer.iterations) == 2 * steps_per_epoch
    for saved, live in zip(last.optimizer.variables, first_run.model.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(live))


def test_model_keras_is_the_epoch_with_the_lowest_validation_loss(first_run, shapes):
    history = first_run.history
    best = int(np.argmin(history["val_loss"]))
    assert first_run.best_epoch == best + 1
    # The validation images as the tutorial's numpy loader reads them (images.preprocess):
    # the best model's loss on them is the loss recorded for its epoch by the tf.data pipeline.
    validation = validation_arrays(shapes)
    model = keras.models.load_model(first_run.run_dir / "model.keras", safe_mode=True)
    loss = keras.losses.CategoricalCrossentropy()(validation.labels, model(validation.images))
    assert float(loss) == pytest.approx(history["val_loss"][best], rel=1e-4)


def test_same_seed_and_data_give_the_same_metrics(first_run, shapes, tmp_path):
    with pytest.warns(SkippedImageWarning):
        again = T.train(shapes, tmp_path / "again", **quick())
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert again.history[key] == pytest.approx(first_run.history[key], rel=1e-5, abs=1e-6), key


class _Stop(Exception):
    pass


def test_training_pipeline_does_not_augment_the_images(shapes, tmp_path, monkeypatch):
    """The model carries its augmentation; the tf.data pipeline must not add a second one."""
    calls = []

    def spy(files, image_size, batch_size, **options):
        calls.append(options)
        raise _Stop  # enough: training need not start

    monkeypatch.setattr(data, "make_dataset", spy)
    with pytest.warns(SkippedImageWarning), pytest.raises(_Stop):
        T.train(shapes, tmp_path / "run", **quick(epochs=1))
    assert calls[0]["training"] is True and calls[0]["augment"] is False


# ---- the recipes -------------------------------------------------------------------------------


def test_the_default_recipe_is_the_improved_one():
    assert T.DEFAULT_RECIPE == "improved"
    assert "improved (the default)" in T.build_parser().format_help()


def test_original_recipe_is_the_tutorials():
    recipe = T.RECIPES["original"]
    assert recipe.config == M.ORIGINAL and recipe.image_size == 128
    assert (recipe.optimizer, recipe.learning_rate, recipe.schedule, recipe.batch_size) == (
        "adam", 1e-4, "constant", 32)
    optimizer = T.make_optimizer(recipe, 1e-4, total_steps=100)
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == pytest.approx(1e-4)


def test_improved_recipe_is_adamw_with_cosine_decay():
    recipe = T.RECIPES["improved"]
    assert recipe.config == M.IMPROVED and recipe.image_size == 96
    assert (recipe.optimizer, recipe.learning_rate, recipe.schedule, recipe.weight_decay,
            recipe.epochs, recipe.batch_size) == ("adamw", 2e-3, "cosine", 1e-2, 100, 32)
    optimizer = T.make_optimizer(recipe, 2e-3, total_steps=100)
    assert isinstance(optimizer, keras.optimizers.AdamW)
    assert optimizer.weight_decay == pytest.approx(1e-2)
    schedule = optimizer._learning_rate  # the schedule object: lr(step)
    for step, expected in ((0, 2e-3), (50, 1e-3), (100, 0.0)):
        assert float(schedule(step)) == pytest.approx(expected, abs=1e-9)
    assert "cosine" in recipe.describe() and "weight decay 0.01" in recipe.describe()


def test_improved_recipe_trains_with_its_schedule_and_in_model_augmentation(shapes, tmp_path):
    config = dataclasses.replace(tiny.TINY_CONFIG, batch_norm=True, augment=True)
    with pytest.warns(SkippedImageWarning):
        result = T.train(shapes, tmp_path / "improved",
                         **quick(recipe="improved", config=config, learning_rate=None))
    info = T.read_run(result.run_dir)
    assert info["recipe"]["optimizer"] == "adamw" and info["recipe"]["schedule"] == "cosine"
    assert info["model_config"]["augment"] is True
    # 4 steps an epoch, 8 in all: after epoch 1 the cosine is half way down, after epoch 2 at 0.
    assert result.history["learning_rate"] == pytest.approx([1e-3, 0.0], abs=1e-9)
    model = keras.models.load_model(result.run_dir / "model.keras", safe_mode=True)
    assert "augmentation" in [layer.name for layer in model.layers]


def test_the_tutorial_recipe_keeps_the_lowest_validation_loss_the_course_s_the_last_epoch():
    # The course's cosine ends at a learning rate of 0: its last epoch is the settled one.
    assert T.RECIPES["original"].keep == "best" and T.RECIPES["improved"].keep == "last"
    assert T.RECIPES["improved"].schedule == "cosine"


def test_a_run_that_keeps_the_last_epoch_saves_it_as_model_keras(shapes, tmp_path, capsys):
    # A rate of 3e-2 makes the validation loss jump about: its lowest is not at the end.
    with pytest.warns(SkippedImageWarning):
        result = T.train(shapes, tmp_path / "last", keep="last",
                         **quick(recipe="improved", epochs=4, learning_rate=3e-2, verbose=2))
    assert result.kept_epoch == 4 and result.best_epoch == 1 + int(np.argmin(result.history["val_loss"]))
    saved = keras.models.load_model(result.run_dir / "model.keras", safe_mode=True)
    last = keras.models.load_model(result.run_dir / "last.keras", safe_mode=True)
    for a, b in zip(saved.get_weights(), last.get_weights()):
        np.testing.assert_array_equal(a, b)
    info = T.read_run(result.run_dir)
    assert info["settings"]["keep"] == "last" and info["result"]["kept_epoch"] == 4
    assert info["result"]["kept_val_accuracy"] == result.history["val_accuracy"][3]
    printed = capsys.readouterr().out
    assert "training on 30 images (circles 10, squares 10, triangles 10), validating on 6" in printed
    assert "recipe improved: 32x32 px, batches of 8, 4 epochs" in printed
    assert "model.keras (the last epoch), last.keras (every epoch)" in printed
    assert "kept epoch 4 (the last" in printed
    # Early stopping stops on the validation loss, so such a run keeps its lowest.
    with pytest.warns(SkippedImageWarning):
        stopped = T.train(shapes, tmp_path / "stopped", early_stopping=1, keep="last",
                          **quick(recipe="improved", epochs=4, learning_rate=3e-2))
    assert stopped.kept_epoch == stopped.best_epoch


def test_a_run_without_validation_trains_on_every_image_and_keeps_the_last_epoch(shapes, tmp_path,
                                                                                 capsys):
    with pytest.warns(SkippedImageWarning):
        result = T.train(shapes, tmp_path / "all", val_split=0, **quick(epochs=3, verbose=2))
    printed = capsys.readouterr().out
    assert "training on all 36 images (circles 12, squares 12, triangles 12), without validation" \
        in printed
    assert "model.keras (the last epoch)" in printed
    assert "recipe original: 32x32 px, batches of 8, 3 epochs" in printed
    assert "kept epoch 3 (the last, without validation): loss " in printed
    assert result.best_epoch is None and result.kept_epoch == 3
    history = result.history
    assert history["val_loss"] == history["val_accuracy"] == [None] * 3
    assert all(0 <= a <= 1 for a in history["accuracy"]) and all(s > 0 for s in history["images_per_second"])
    # 36 images in batches of 8: 5 steps per epoch, every image in every epoch
    assert int(result.model.optimizer.iterations) == 3 * 5
    info = T.read_run(result.run_dir)
    assert info["settings"]["val_split"] == 0 and info["settings"]["keep"] == "last"
    assert info["data"]["validation_images"] == {name: 0 for name in CLASSES}
    assert info["result"]["kept_epoch"] == 3 and info["result"]["best_epoch"] is None
    assert info["result"]["kept_val_accuracy"] is None
    saved = keras.models.load_model(result.run_dir / "model.keras", safe_mode=True)
    last = keras.models.load_model(result.run_dir / "last.keras", safe_mode=True)
    for a, b in zip(saved.get_weights(), last.get_weights()):
        np.testing.assert_array_equal(a, b)
    plt = pytest.importorskip("matplotlib.pyplot")
    from helpers import plots
    figure = plots.plot_training_history(history)  # the training curves alone
    assert [len(ax.lines) for ax in figure.axes] == [1, 1]
    plt.close(figure)


class InterruptAt(keras.callbacks.Callback):
    """Ctrl-C as an epoch (from 1) begins."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise KeyboardInterrupt


def test_a_run_without_validation_resumes_without_validation(shapes, tmp_path):
    out = tmp_path / "all"
    with pytest.warns(SkippedImageWarning), pytest.raises(KeyboardInterrupt):
        T.train(shapes, out, val_split=0, callbacks=[InterruptAt(2)], **quick(epochs=2))
    assert T.read_run(out)["status"] == "interrupted"
    with pytest.warns(SkippedImageWarning):
        result = T.train(None, out, resume=True, verbose=0)
    assert result.history["epoch"] == [1, 2] and result.history["val_loss"] == [None, None]
    assert result.kept_epoch == 2 and result.best_epoch is None
    assert int(result.model.optimizer.iterations) == 2 * 5


def test_a_run_without_validation_refuses_what_needs_validation(shapes, tmp_path):
    with pytest.raises(ValueError, match="early stopping watches the validation loss, and a "
                                         "validation split of 0 leaves none"):
        T.train(shapes, tmp_path / "run", val_split=0, early_stopping=2)
    with pytest.raises(ValueError, match="keeping the best epoch needs validation"):
        T.train(shapes, tmp_path / "run", val_split=0, keep="best")
    assert not (tmp_path / "run").exists()


def test_runs_of_the_original_recipe_keep_the_lowest_validation_loss(first_run):
    assert first_run.kept_epoch == first_run.best_epoch
    assert T.read_run(first_run.run_dir)["result"]["kept_epoch"] == first_run.best_epoch


def test_recipe_defaults_apply_unless_given(shapes):
    keys = ("image_size", "learning_rate", "epochs", "batch_size", "seed", "val_split", "keep")
    settings = T._new_settings(shapes, None, None, T.RECIPES["improved"], None, None, None,
                               None, None, None, None)
    assert [getattr(settings, key) for key in keys] == [96, 2e-3, 100, 32, 0, 0.2, "last"]
    settings = T._new_settings(shapes, None, 0.3, T.RECIPES["original"], 3, 64, 16, 1e-3, 7, None,
                               None)
    assert [getattr(settings, key) for key in keys] == [64, 1e-3, 3, 16, 7, 0.3, "best"]
    settings = T._new_settings(shapes, None, None, T.RECIPES["original"], None, None, None,
                               None, None, None, tiny.TINY_CONFIG)
    assert [getattr(settings, key) for key in keys] == [tiny.SIZE, 1e-4, 40, 32, 0, 0.2, "best"]


# ---- writing files atomically -------------------------------------------------------------------


def test_a_crash_while_saving_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    model = M.build_model(tiny.TINY_CONFIG, seed=0)
    path = tmp_path / "last.keras"
    T.save_model_atomically(model, path)
    before = path.read_bytes()

    def crash_halfway(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", crash_halfway)
    with pytest.raises(OSError, match="disk full"):
        T.save_model_atomically(model, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.keras"]
    monkeypatch.undo()
    keras.models.load_model(path, safe_mode=True)


def test_json_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    T.write_json_atomically(path, {"epochs_done": 1})
    monkeypatch.setattr(json, "dump", lambda *a, **k: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(OSError):
        T.write_json_atomically(path, {"epochs_done": 2})
    assert json.loads(path.read_text()) == {"epochs_done": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_resume_takes_the_state_that_matches_last_keras(tmp_path):
    """A crash between replacing last.keras and committing state.json leaves the epoch's state
    in state.json.next: resume takes whichever state has the optimizer step count of last.keras."""
    committed = {"epochs_done": 1, "optimizer_iterations": 4, "history": {"epoch": [1]}}
    journal = {"epochs_done": 2, "optimizer_iterations": 8, "history": {"epoch": [1, 2]}}
    T.write_json_atomically(tmp_path / "state.json", committed)
    T.write_json_atomically(tmp_path / "state.json.next", journal)
    assert run.resume_state(tmp_path, 4) == committed  # crash before last.keras was replaced
    with pytest.raises(T.RunError, match="matches no saved state"):
        run.resume_state(tmp_path, 5)
    assert run.resume_state(tmp_path, 8) == journal  # after: the journal is committed now
    assert json.loads((tmp_path / "state.json").read_text()) == journal
    assert not (tmp_path / "state.json.next").exists()
    assert json.loads((tmp_path / "history.json").read_text()) == {"epoch": [1, 2]}


def test_a_crash_while_committing_the_last_epoch_resumes_to_a_finished_run(shapes, tmp_path, capsys):
    out = tmp_path / "crashed"
    with pytest.warns(SkippedImageWarning):
        T.train(shapes, out, **quick(epochs=1))
    # As if the process died after last.keras was replaced and before state.json was committed.
    final = json.loads((out / "state.json").read_text())
    (out / "state.json").rename(out / "state.json.next")
    T.write_json_atomically(out / "state.json", {**final, "epochs_done": 0, "optimizer_iterations": 0,
                                                 "history": {key: [] for key in final["history"]}})
    with pytest.warns(SkippedImageWarning):
        result = T.train(None, out, resume=True, verbose=2)
    printed = capsys.readouterr().out
    assert "the interruption came after the last of its 1 epochs; recording the run as finished" in printed
    assert "resuming" not in printed
    assert result.history["epoch"] == [1] and T.read_run(out)["status"] == "finished"
    assert not (out / "state.json.next").exists()


class FakeResolver:
    """What a multi-worker strategy's cluster_resolver tells: the cluster and this task."""

    def __init__(self, jobs: dict, task_type: str | None, task_id: int | None) -> None:
        self.jobs, self.task_type, self.task_id = jobs, task_type, task_id

    def cluster_spec(self):
        return type("ClusterSpec", (), {"as_dict": lambda _: self.jobs})()


@pytest.mark.parametrize("jobs, task_type, task_id, chief", [
    ({}, None, None, True),                                            # one machine
    ({"worker": ["a:1", "b:1"]}, "worker", 0, True),                   # worker 0 leads
    ({"worker": ["a:1", "b:1"]}, "worker", 1, False),
    ({"chief": ["a:1"], "worker": ["b:1"]}, "chief", 0, True),
    ({"chief": ["a:1"], "worker": ["b:1"]}, "worker", 0, False),
])
def test_only_the_chief_writes_the_run_folder(jobs, task_type, task_id, chief):
    strategy = type("Strategy", (), {"cluster_resolver": FakeResolver(jobs, task_type, task_id)})()
    assert T.is_chief(strategy) is chief
    assert T.is_chief(None) is True


# ---- early stopping ---------------------------------------------------------------------------


def test_early_stopping_ends_the_run_and_resume_leaves_it_finished(shapes, tmp_path, capsys):
    # A learning rate of 1e-30 leaves the weights as they are: the validation loss never goes
    # down again, so patience 1 stops the run after its second epoch.
    out = tmp_path / "stopped"
    with pytest.warns(SkippedImageWarning):
        result = T.train(shapes, out, early_stopping=1, **quick(epochs=5, learning_rate=1e-30))
    assert result.stopped_early and result.history["epoch"] == [1, 2]
    assert T.read_run(out)["status"] == "stopped early"
    again = T.train(None, out, resume=True, verbose=2)  # the data is not even scanned again
    assert "already finished (2 epochs, stopped early)" in capsys.readouterr().out
    assert again.history["epoch"] == [1, 2]


def test_resumed_early_stopping_keeps_its_patience():
    stopper = T.ResumableEarlyStopping(patience=3, wait=2, best=0.5)
    stopper.on_train_begin()
    assert (stopper.wait, stopper.best) == (2, 0.5)


# ---- refusals ----------------------------------------------------------------------------------


def one_class_of_single_images(root: Path) -> Path:
    for name in ("cats", "dogs"):
        factory.write_png(root / name / f"{name}.png")
    return root


@pytest.mark.parametrize("case, message", [
    ("missing", r"nowhere: no such folder"),
    ("one class", r"at least 2 classes"),
    ("no usable image", r"class 'dogs' has no usable image"),
    ("empty split", r"a class has only 1 usable image, too few to hold one out for validation"),
    ("other classes", r"are not the training classes \(circles, squares, triangles\): "
                      r"no triangles; birds unknown"),
    ("one class to validate", r"its classes \(circles\) are not the training classes "
                              r"\(circles, squares, triangles\): no squares, triangles$"),
    ("strict", r"strict mode: 1 unusable image file"),
    ("taken", r"already holds a run; continue it with --resume"),
    ("nothing to resume", r"not a run folder \(no run.json\)"),
    ("no train", None),
])
def test_refusals_are_one_line_with_exit_status_2(case, message, shapes, first_run, tmp_path,
                                                  capsys):
    out = tmp_path / "run"
    args = ["--train", str(shapes), "--out", str(out), "--epochs", "1"]
    if case == "missing":
        args[1] = str(tmp_path / "nowhere")
    elif case == "one class":
        factory.write_png(tmp_path / "one" / "cats" / "a.png")
        args[1] = str(tmp_path / "one")
    elif case == "no usable image":
        factory.write_png(tmp_path / "bad" / "cats" / "a.png")
        factory.write_empty(tmp_path / "bad" / "dogs" / "b.jpg")
        args[1] = str(tmp_path / "bad")
    elif case == "empty split":
        args[1] = str(one_class_of_single_images(tmp_path / "single"))
    elif case == "other classes":
        tiny.make_shapes(tmp_path / "val", per_class=1, classes=("birds", "circles", "squares"))
        args += ["--val", str(tmp_path / "val")]
    elif case == "one class to validate":
        tiny.make_shapes(tmp_path / "val", per_class=1, classes=("circles",))
        args += ["--val", str(tmp_path / "val")]
    elif case == "strict":
        args += ["--strict"]
    elif case == "taken":
        args[3] = str(first_run.run_dir)
    elif case == "nothing to resume":
        out.mkdir()
        args = ["--out", str(out), "--resume"]
    elif case == "no train":
        args = ["--out", str(out)]
    if message is None:  # argparse: the usage and one error line
        with pytest.raises(SystemExit) as exit_:
            T.main(args)
        assert exit_.value.code == 2 and "--train DIR is needed" in capsys.readouterr().err
        return
    assert T.main(args) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in err, err
    assert re.search(message, lines[-1]), lines[-1]
    assert not (out / "run.json").exists()
    if case != "nothing to resume":  # the folder made for the run is gone again, lock and all
        assert not out.exists()


def test_resume_refuses_other_settings(first_run):
    with pytest.raises(T.RunError, match="not with epochs 5; start a new run"):
        T.train(None, first_run.run_dir, resume=True, epochs=5)


def test_tensorboard_without_its_package_is_a_clear_refusal(shapes, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorboard" else real(name, *a))
    with pytest.raises(T.RunError, match="needs the tensorboard package: pip install tensorboard"):
        T.train(shapes, tmp_path / "run", tensorboard=True, **quick())


@pytest.mark.skipif(__import__("importlib").util.find_spec("tensorboard") is None,
                    reason="tensorboard is not installed")
def test_tensorboard_logs_are_written(shapes, tmp_path):
    with pytest.warns(SkippedImageWarning):
        result = T.train(shapes, tmp_path / "run", tensorboard=True, **quick(epochs=1))
    assert list((result.run_dir / "logs").rglob("events.out.tfevents.*"))


def test_bad_arguments_are_value_errors(shapes, tmp_path):
    with pytest.raises(ValueError, match="epochs must be a whole number of at least 1"):
        T.train(shapes, tmp_path / "run", epochs=0)
    with pytest.raises(ValueError, match="val_split must be in"):
        T.train(shapes, tmp_path / "run", val_split=1.5)
    with pytest.raises(ValueError, match="recipe must be one of original, improved"):
        T.train(shapes, tmp_path / "run", recipe="better")
    with pytest.raises(ValueError, match="keep must be one of best, last; got 'middle'"):
        T.train(shapes, tmp_path / "run", keep="middle")


# ---- in other processes: a kill and a resume, no traceback, MirroredStrategy -----------------


def run_python(code: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)


SLOW_RUN = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[3])
    import keras
    import _tiny_datasets as tiny
    from helpers import train as T

    class SlowFromEpochTwo(keras.callbacks.Callback):
        '''Half a second a batch from the second epoch on: time to kill the run mid-epoch.'''
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch >= 1:
                time.sleep(0.5)

    T.train(sys.argv[1], sys.argv[2], config=tiny.TINY_CONFIG, epochs=3, batch_size=8,
            learning_rate=1e-2, verbose=2, callbacks=[SlowFromEpochTwo()])
""")


def test_a_killed_run_resumes_after_its_last_finished_epoch(shapes, tmp_path):
    out = tmp_path / "killed"
    log = tmp_path / "killed.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", SLOW_RUN, str(shapes), str(out), str(TESTS)],
            cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not (out / "state.json").exists():  # the first epoch is committed
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint after 180 s"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    before = json.loads((out / "state.json").read_text())
    assert before["epochs_done"] == 1

    finished = subprocess.run(
        [sys.executable, "-m", "helpers.train", "--out", str(out), "--resume"],
        capture_output=True, text=True, cwd=REPO, timeout=240)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "resuming" in finished.stdout and "after epoch 1 of 3" in finished.stdout
    assert "Epoch 2/3" in finished.stdout and "Epoch 3/3" in finished.stdout
    assert "Epoch 1/3" not in finished.stdout
    # Not a terminal: one line per epoch with the training and validation numbers, no bar.
    epoch_lines = [line for line in finished.stdout.splitlines() if "val_loss:" in line]
    assert len(epoch_lines) == 2 and all("accuracy" in line and "val_accuracy" in line
                                         for line in epoch_lines)
    assert "━" not in finished.stdout
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2, 3]
    assert history["loss"][0] == before["history"]["loss"][0]
    last = keras.models.load_model(out / "last.keras", safe_mode=True)
    assert int(last.optimizer.iterations) == 3 * math.ceil(30 / 8)
    info = T.read_run(out)
    assert info["status"] == "finished" and [s["from_epoch"] for s in info["sessions"]] == [1, 2]
    assert info["recipe"]["name"] == "improved"  # the default
    assert not list(out.glob(".*tmp*"))


MIRRORED = textwrap.dedent("""
    import json, sys
    import keras
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    sys.path.insert(0, sys.argv[3])
    import _tiny_datasets as tiny
    from helpers import train as T

    result = T.train(sys.argv[1], sys.argv[2], config=tiny.TINY_CONFIG, epochs=1, batch_size=8,
                     learning_rate=1e-2, verbose=0, strategy=strategy)
    variable = result.model.trainable_variables[0]
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "variable": type(variable.value).__name__,
                      "steps": int(keras.ops.convert_to_numpy(result.model.optimizer.iterations)),
                      "epochs": result.history["epoch"]}))
""")


def test_training_under_mirrored_strategy_on_two_logical_cpus(shapes, tmp_path):
    out = tmp_path / "mirrored"
    result = run_python(MIRRORED, str(shapes), str(out), str(TESTS))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert "Mirrored" in report["variable"]
    assert report["steps"] == math.ceil(30 / 8) and report["epochs"] == [1]
    model = keras.models.load_model(out / "model.keras", safe_mode=True)  # no strategy needed
    assert model(np.zeros((2, tiny.SIZE, tiny.SIZE, 3), np.float32)).shape == (2, 3)


def test_ensure_trained_trains_once_then_leaves_a_finished_run(shapes, tmp_path, capsys,
                                                               monkeypatch):
    out = tmp_path / "course"
    with pytest.warns(SkippedImageWarning):
        assert T.ensure_trained(shapes, out, **quick(epochs=1)) == out
    files = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    monkeypatch.chdir(tmp_path)
    T.ensure_trained(shapes, out, **quick(epochs=1, verbose=2))
    # Nothing is written again (not even run.json), and the message shows the path as given
    # relative to the working folder.
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == files
    assert capsys.readouterr().out == "course: the run is already finished (1 epochs)\n"
    assert T.read_history(out)["epoch"] == [1]


def test_a_second_process_cannot_train_a_run_folder_being_trained(shapes, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    with T.run_lock(out):  # as another process training it would hold it
        with pytest.raises(T.RunError) as refused:
            T.train(shapes, out, **quick(epochs=1))
        message = str(refused.value)
        assert "is training this run right now" in message and "\n" not in message
        assert not (out / "run.json").exists()
    with pytest.warns(SkippedImageWarning):  # released: the run goes ahead
        assert T.train(shapes, out, **quick(epochs=1)).history["epoch"] == [1]


def test_course_runs_of_quick_and_full_notebooks_live_apart():
    assert T.course_run_dir(quick=True) != T.course_run_dir(quick=False)
    assert T.course_run_dir().parts[-2:] == ("runs", "course")


def test_course_classifier_quick_run_trains_on_a_linked_subset(shapes, tmp_path, monkeypatch):
    root = tmp_path / "data"
    (root / "cats-dogs").mkdir(parents=True)
    (root / "cats-dogs" / "training_data").symlink_to(shapes)
    monkeypatch.setattr(T, "course_run_dir", lambda quick=False: tmp_path / "quick-runs" / "course")
    monkeypatch.setattr(T, "QUICK_PER_CLASS", 6)
    out = T.train_course_classifier(quick=True, data_root=root, verbose=0)
    info = T.read_run(out)
    assert out == tmp_path / "quick-runs" / "course"
    assert info["recipe"]["name"] == T.DEFAULT_RECIPE
    assert info["settings"]["precision"] == "float32"  # on every machine: 09 and 10 compare digits
    assert T.read_history(out)["epoch"] == list(range(1, T.QUICK_EPOCHS + 1))
    subset = tmp_path / "quick-runs" / "training_data_6_per_class"
    assert data.list_files(subset).counts() == {name: 6 for name in tiny.SHAPES}

    assert T.train_course_classifier(quick=True, data_root=root, verbose=0) == out   # reused
    # A run kept from an earlier version of the course (another network) is refused, not used.
    run_json = out / "run.json"
    saved = json.loads(run_json.read_text())
    before_config = json.loads(json.dumps(saved["model_config"]))
    saved["model_config"].update(filters=[32, 64, 128, 256], image_size=80)
    run_json.write_text(json.dumps(saved))
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    with pytest.raises(T.RunError) as refused:
        T.train_course_classifier(quick=True, data_root=root, verbose=0)
    message = str(refused.value)
    assert "earlier version of the course's network" in message and "\n" not in message
    assert ("(image_size 80 (today's: 96); filters (32, 64, 128, 256) (today's: (32, 64, 128, "
            "256, 512)))" in message and "delete or rename" in message)
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before
    # So is one of today's network made with another recipe (here: one that kept the lowest
    # validation loss).
    saved = json.loads(run_json.read_text())
    saved["model_config"] = json.loads(json.dumps(before_config))
    saved["settings"]["keep"] = "best"
    run_json.write_text(json.dumps(saved))
    with pytest.raises(T.RunError, match=r"earlier version of the course's recipe \(2 epochs, "
                       r"keeping the lowest validation loss; today's: 2 epochs, keeping the last "
                       r"epoch\); delete or rename"):
        T.train_course_classifier(quick=True, data_root=root, verbose=0)


# ---- divergence ---------------------------------------------------------------------------------


class PoisonFromEpochTwo(keras.callbacks.Callback):
    """Make every weight NaN when the second epoch begins, as a far too large step would."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            for weight in self.model.trainable_weights:
                weight.assign(weight * float("nan"))


def test_a_nan_loss_stops_the_run_keeps_the_good_epochs_and_says_what_to_do(shapes, tmp_path):
    out = tmp_path / "diverged"
    with pytest.warns(SkippedImageWarning), pytest.raises(T.TrainingDiverged) as stopped:
        T.train(shapes, out, callbacks=[PoisonFromEpochTwo()], **quick(epochs=4))
    message = str(stopped.value)
    assert isinstance(stopped.value, T.RunError) and "\n" not in message
    assert "the loss became nan in epoch 2 (epoch 1 is saved)" in message
    assert "smaller learning rate, e.g. --lr 0.001" in message
    info = T.read_run(out)
    assert info["status"] == "diverged" and info["sessions"][-1]["diverged_in_epoch"] == 2
    assert T.read_history(out)["epoch"] == [1]  # the NaN epoch was not saved
    last = keras.models.load_model(out / "last.keras", safe_mode=True)
    assert all(np.isfinite(np.asarray(w)).all() for w in last.trainable_weights)


def test_small_data_is_decoded_once_and_large_data_streams(shapes, tmp_path, monkeypatch):
    with pytest.warns(SkippedImageWarning):
        T.train(shapes, tmp_path / "memory", **quick(epochs=1))
    assert T.read_run(tmp_path / "memory")["data"]["decoded_once"] is True
    monkeypatch.setattr(T, "DECODED_LIMIT_BYTES", 100)  # as if the photos were too many
    with pytest.warns(SkippedImageWarning):
        T.train(shapes, tmp_path / "stream", **quick(epochs=1))
    info = T.read_run(tmp_path / "stream")["data"]
    assert info["decoded_once"] is False and info["cached"] is False


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_fused_adam_gives_the_same_weights_as_keras_adam_and_saves_as_adam(name, tmp_path):
    # use_fused_adam swaps Adam's fifteen tensor operations per weight for TensorFlow's one
    # ResourceApplyAdam kernel: the same arithmetic, so the same weights after a few steps.
    recipe = T.RECIPES["original" if name == "adam" else "improved"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 48)]

    def trained(optimizer):
        keras.utils.set_random_seed(1)
        net = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                                keras.layers.Dense(2), keras.layers.Softmax()])
        net.compile(optimizer=optimizer, loss="categorical_crossentropy")
        net.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        return net

    plain_cls = keras.optimizers.Adam if name == "adam" else keras.optimizers.AdamW
    kwargs = {} if name == "adam" else {"weight_decay": recipe.weight_decay}
    plain = trained(plain_cls(1e-2, **kwargs))
    fused = trained(T.use_fused_adam(plain_cls(1e-2, **kwargs)))
    for a, b in zip(plain.get_weights(), fused.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert T.make_optimizer(recipe, 1e-3, 10).update_step.__func__ is T._fused_adam_update_step
    fused.save(tmp_path / "fused.keras")
    loaded = keras.models.load_model(tmp_path / "fused.keras")
    assert type(loaded.optimizer) is plain_cls and int(loaded.optimizer.iterations) == 9


# ---- precision ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cpuinfo, expected", [
    ("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_tile\n", True),
    ("flags\t\t: fpu avx512f amx_bf16 amx_tile\n", True),
    ("flags\t\t: fpu sse avx2 fma\n", False),
    ("model name\t: Apple M2\n", False),
    ("", False),
])
def test_cpu_bfloat16_is_read_from_the_cpu_flags(cpuinfo, expected):
    assert T.cpu_has_bfloat16(cpuinfo) is expected


def test_auto_precision_is_bfloat16_only_where_the_cpu_has_it(monkeypatch):
    monkeypatch.setattr(T.tf.config, "list_physical_devices", lambda kind=None: [])
    monkeypatch.setattr(T, "cpu_has_bfloat16", lambda cpuinfo=None: True)
    assert T.choose_precision("auto") == T.choose_precision(None) == "mixed_bfloat16"
    assert T.choose_precision("float32") == "float32"
    monkeypatch.setattr(T, "cpu_has_bfloat16", lambda cpuinfo=None: False)
    assert T.choose_precision("auto") == "float32"
    assert T.choose_precision("mixed_bfloat16") == "mixed_bfloat16"
    with pytest.raises(ValueError, match="precision must be one of auto, float32, mixed_bfloat16"):
        T.choose_precision("half")


def test_a_bfloat16_run_computes_in_bfloat16_and_predicts_float32_probabilities(shapes, tmp_path):
    with pytest.warns(SkippedImageWarning):
        result = T.train(shapes, tmp_path / "run", **quick(precision="mixed_bfloat16"))
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    assert T.read_run(result.run_dir)["settings"]["precision"] == "mixed_bfloat16"
    model = keras.models.load_model(result.run_dir / T.MODEL_FILE, safe_mode=True)
    assert model.get_layer("conv1").dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("conv1").kernel.dtype == "float32"  # the weights stay float32
    probabilities = model.predict(validation_arrays(shapes).images, verbose=0)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert np.isfinite(result.history["loss"]).all()
    # Prediction rebuilds it in float32 with the same weights: close to the bfloat16 answers,
    # and the same for one photo as in a batch.
    from helpers import predict as P
    from helpers.run import in_float32

    loaded = P.load_run(result.run_dir).model
    assert {layer.dtype_policy.name for layer in loaded.layers} == {"float32"}
    images = validation_arrays(shapes).images
    in_float = loaded.predict(images, verbose=0)
    np.testing.assert_allclose(in_float, probabilities, atol=0.02)
    np.testing.assert_allclose(loaded.predict(images[:1], verbose=0), in_float[:1], atol=1e-6)
    assert in_float32(loaded) is loaded  # a float32 model is left as it is
    with pytest.raises(T.RunError, match="not with precision float32"):
        T.train(None, result.run_dir, resume=True, precision="float32", verbose=0)


def test_a_float32_run_says_so_and_older_runs_read_as_float32(first_run):
    settings = T.read_run(first_run.run_dir)["settings"]
    assert settings["precision"] == "float32"
    del settings["precision"]  # a run folder written before precision was a setting
    assert T.Settings.from_dict(settings).precision == "float32"
