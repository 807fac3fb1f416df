"""Tests of helpers.check.training_loop (notebook 08's build-it exercises 8.1-8.3) and of the
reference they compare with, helpers.loop: right answers pass, the usual mistakes are named,
a stub gets the "not written yet" message; the reference trains, checkpoints and resumes."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from _checking import fails_with, not_written, passes
from helpers import loop
from helpers.check import NOT_WRITTEN, RESULTS, network
from helpers.check import training_loop as check
from helpers.check.learner import from_notebook

REPO = Path(__file__).resolve().parent.parent

# Keras's .keras writer turns TensorFlow variables into numpy arrays with np.array(variable),
# which numpy 2 warns about (TensorFlow's __array__ has no copy keyword); nothing of ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


# --------------------------------------------------------------------------------------------
# The reference, helpers.loop
# --------------------------------------------------------------------------------------------


def data(n, seed, batch=8):
    return tf.data.Dataset.from_tensor_slices(check.tiny_data(n, seed)).batch(batch)


def test_the_reference_loop_learns_the_tiny_problem_and_prints_one_line_per_epoch(capsys):
    model = check.tiny_network(0)
    history = loop.train_loop(model, keras.optimizers.Adam(0.01), data(48, 1), data(16, 2), 4)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("epoch 1/4: training accuracy")
    assert sorted(history) == sorted(loop.HISTORY_KEYS)
    assert history["loss"][-1] < history["loss"][0]
    # the validation figures are those of the final weights, measured without training
    assert (history["val_loss"][-1], history["val_accuracy"][-1]) == pytest.approx(
        loop.evaluate(model, data(16, 2)), abs=1e-6)


def test_the_reference_fit_keeps_the_best_model_and_resumes_after_an_interruption(tmp_path):
    class Cut(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("cut")

    with pytest.raises(RuntimeError, match="cut"):
        loop.fit_with_callbacks(check.tiny_network(0), data(24, 3), data(16, 4), 4, tmp_path,
                                more_callbacks=[Cut()], verbose=0)
    assert (tmp_path / "backup").is_dir() and (tmp_path / "best.keras").is_file()
    resumed = loop.fit_with_callbacks(check.tiny_network(0), data(24, 3), data(16, 4), 4,
                                      tmp_path, verbose=0)
    assert resumed.epoch == [2, 3]  # epochs 3 and 4, counted from 0
    assert not (tmp_path / "backup").exists()
    assert keras.models.load_model(tmp_path / "best.keras").count_params() > 0


# --------------------------------------------------------------------------------------------
# Exercise 8.1: one training step
# --------------------------------------------------------------------------------------------


def right_step(model, optimizer, images, labels):
    with tf.GradientTape() as tape:
        probabilities = model(images, training=True)
        loss = tf.reduce_mean(keras.losses.categorical_crossentropy(labels, probabilities))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    right = tf.argmax(probabilities, axis=1) == tf.argmax(labels, axis=1)
    return loss, tf.reduce_sum(tf.cast(right, tf.float32))


def test_a_right_step_passes_with_and_without_tf_function(capsys):
    passes(check.train_step, right_step, capsys, "Exercise 8.1")
    passes(check.train_step, tf.function(right_step), capsys, "Exercise 8.1")
    passes(check.train_step, loop.train_step, capsys, "Exercise 8.1")


def test_a_step_that_sums_the_loss_is_told_to_take_the_mean():
    def summed(model, optimizer, images, labels):
        loss, right = right_step(model, optimizer, images, labels)
        return loss * len(images), right

    fails_with(check.train_step, summed, "That is the sum over the batch")


def test_a_step_that_forgets_to_apply_the_gradients_is_told_so():
    def no_update(model, optimizer, images, labels):
        probabilities = model(images, training=True)
        loss = tf.reduce_mean(keras.losses.categorical_crossentropy(labels, probabilities))
        right = tf.argmax(probabilities, axis=1) == tf.argmax(labels, axis=1)
        return loss, tf.reduce_sum(tf.cast(right, tf.float32))

    fails_with(check.train_step, no_update, "the weights did not change", "apply_gradients")


def test_a_step_in_inference_mode_or_returning_accuracy_is_caught():
    def inference_mode(model, optimizer, images, labels):
        with tf.GradientTape() as tape:
            probabilities = model(images, training=False)
            loss = tf.reduce_mean(keras.losses.categorical_crossentropy(labels, probabilities))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, 0

    fails_with(check.train_step, inference_mode, "training=True")

    def fraction(model, optimizer, images, labels):
        loss, right = right_step(model, optimizer, images, labels)
        return loss, right / len(images)

    fails_with(check.train_step, fraction, "looks like a fraction")


def test_known_errors_are_explained_with_their_fix_in_one_short_line():
    def raises(message):
        def answer(*args):
            raise ValueError(message)
        return answer

    _, problem = check._call(raises("Creating variables on a non-first call to a function "
                                    "decorated with tf.function."), "train_step(...)")
    assert problem.startswith("train_step(...) raised ValueError: a tf.function may only create")
    _, problem = check._call(raises("No gradients provided for any variable: ..."), "train_step(...)")
    assert "inside the `with tf.GradientTape() ...` block" in problem
    _, problem = check._call(raises("x\ny"), "f()")
    assert problem == "f() raised ValueError: x"


def test_a_loop_is_judged_on_its_own_even_when_the_step_is_a_stub(capsys):
    def train_step(*args):
        raise NotImplementedError

    namespace = {"train_step": train_step, "loop": loop}
    # a right loop, written in a module whose train_step is still the stub
    exec("def train_loop(model, optimizer, train_ds, val_ds, epochs):\n"
         "    import helpers.loop as L\n"
         "    L_step = train_step\n"
         "    history = {k: [] for k in L.HISTORY_KEYS}\n"
         "    optimizer.build(model.trainable_variables)\n"
         "    for epoch in range(epochs):\n"
         "        total = right = seen = 0.0\n"
         "        for x, y in train_ds:\n"
         "            loss, r = L_step(model, optimizer, x, y)\n"
         "            total += float(loss) * len(x); right += float(r); seen += len(x)\n"
         "        val_loss, val_acc = L.evaluate(model, val_ds)\n"
         "        for k, v in zip(L.HISTORY_KEYS, (total / seen, right / seen, val_loss, val_acc)):\n"
         "            history[k].append(v)\n"
         "        print('epoch', epoch)\n"
         "    return history\n", namespace)
    passes(check.train_loop, namespace["train_loop"], capsys, "Exercise 8.2")
    assert namespace["train_step"] is train_step  # put back afterwards


def test_a_stub_step_is_not_attempted():
    fails_with(check.train_step, not_written, NOT_WRITTEN)
    assert RESULTS["8.1"] == "not attempted"


# --------------------------------------------------------------------------------------------
# Exercise 8.2: the epoch loop
# --------------------------------------------------------------------------------------------


def test_the_reference_loop_passes(capsys):
    passes(check.train_loop, loop.train_loop, capsys, "Exercise 8.2")


def test_a_loop_that_validates_in_training_mode_is_told_where():
    def val_in_training_mode(model, optimizer, train_ds, val_ds, epochs):
        history = loop.train_loop(model, optimizer, train_ds, val_ds, epochs)
        history["val_loss"] = [value + 0.01 for value in history["val_loss"]]
        return history

    fails_with(check.train_loop, val_in_training_mode, "history['val_loss'] at epoch 1",
               "training=False")


def test_a_loop_without_a_key_or_without_printing_is_caught():
    def no_val_accuracy(model, optimizer, train_ds, val_ds, epochs):
        history = loop.train_loop(model, optimizer, train_ds, val_ds, epochs)
        del history["val_accuracy"]
        return history

    fails_with(check.train_loop, no_val_accuracy, "no key 'val_accuracy'")

    def silent(model, optimizer, train_ds, val_ds, epochs):
        return loop.train_loop(model, optimizer, train_ds, val_ds, epochs, verbose=False)

    fails_with(check.train_loop, silent, "print one per epoch")


def test_a_loop_that_averages_batches_instead_of_photos_is_caught():
    def per_batch_mean(model, optimizer, train_ds, val_ds, epochs):
        optimizer.build(model.trainable_variables)
        history = {key: [] for key in loop.HISTORY_KEYS}
        for _ in range(epochs):
            losses, accs = [], []
            for images, labels in train_ds:
                loss, right = loop.train_step(model, optimizer, images, labels)
                losses.append(float(loss))
                accs.append(float(right) / len(images))
            val_batches = [(model(x, training=False), y) for x, y in val_ds]
            val_losses = [float(tf.reduce_mean(keras.losses.categorical_crossentropy(y, p))) for p, y in val_batches]
            history["loss"].append(np.mean(losses))
            history["accuracy"].append(np.mean(accs))
            history["val_loss"].append(np.mean(val_losses))  # the last batch is smaller: wrong
            history["val_accuracy"].append(loop.evaluate(model, val_ds)[1])
            print("epoch")
        return history

    fails_with(check.train_loop, per_batch_mean, "history['val_loss']", "weighting each batch by its size")


# --------------------------------------------------------------------------------------------
# Exercise 8.3: fit with callbacks
# --------------------------------------------------------------------------------------------


def test_the_reference_fit_passes(capsys):
    passes(check.fit_with_callbacks, loop.fit_with_callbacks, capsys, "Exercise 8.3")


def test_a_fit_without_callbacks_or_with_the_wrong_recipe_lists_every_problem():
    def bare(model, train_ds, val_ds, epochs, folder, patience=5, more_callbacks=()):
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        return model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0)

    fails_with(check.fit_with_callbacks, bare, "the optimizer is SGD", "0 ModelCheckpoint",
               "0 EarlyStopping", "0 BackupAndRestore", "more_callbacks did not reach fit")


def test_a_fit_with_misconfigured_callbacks_is_told_which_setting():
    def loose(model, train_ds, val_ds, epochs, folder, patience=5, more_callbacks=()):
        model.compile(optimizer=keras.optimizers.Adam(1e-4),
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        callbacks = [keras.callbacks.ModelCheckpoint(str(Path(folder) / "model.keras")),
                     keras.callbacks.EarlyStopping(monitor="loss", patience=patience),
                     keras.callbacks.BackupAndRestore(str(Path(folder) / "backup")), *more_callbacks]
        return model.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks, verbose=0)

    fails_with(check.fit_with_callbacks, loose, "from_logits=True", "folder / 'best.keras'",
               "save_best_only=True", "monitors 'loss'", "restore_best_weights")


def test_a_stub_fit_is_not_attempted():
    fails_with(check.fit_with_callbacks, not_written, NOT_WRITTEN)


# --------------------------------------------------------------------------------------------
# from_notebook: a learner's function from an earlier notebook
# --------------------------------------------------------------------------------------------


def notebook_with(tmp_path, source, exercise="7.5"):
    cell = {"cell_type": "code", "metadata": {"exercise": {"id": exercise, "points": 3}},
            "source": source, "outputs": [], "execution_count": None}
    path = tmp_path / "07_building_the_network.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path.name


def test_from_notebook_takes_a_passing_network_from_the_course_notebook_and_keeps_results():
    RESULTS.pop("7.5", None)
    found = from_notebook("07_building_the_network.ipynb", "7.5", "build_network",
                          network.keras_network, {"keras": keras}, folder=REPO / "notebooks")
    assert callable(found) and found(32, 2, 0).count_params() > 0
    assert "7.5" not in RESULTS  # the silent check leaves no trace in this kernel's progress


def test_from_notebook_runs_only_definitions_and_refuses_what_fails(tmp_path):
    marker = tmp_path / "ran"
    source = (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('top-level code ran')\n"
              "def build_network(image_size, num_classes, seed):\n    raise NotImplementedError\n")
    name = notebook_with(tmp_path, source)
    assert from_notebook(name, "7.5", "build_network", network.keras_network,
                         {"keras": keras}, folder=tmp_path) is None
    assert not marker.exists()
    broken = notebook_with(tmp_path, "def build_network(:\n")
    assert from_notebook(broken, "7.5", "build_network", network.keras_network, folder=tmp_path) is None
    assert from_notebook("missing.ipynb", "7.5", "build_network", network.keras_network,
                         folder=tmp_path) is None


def test_from_notebook_brings_the_imports_of_the_other_cells(tmp_path):
    setup = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": "%config InlineBackend.figure_formats = ['png']\nimport keras as K\nfrom helpers import model as course_model\n"}
    exercise = {"cell_type": "code", "metadata": {"exercise": {"id": "7.5", "points": 3}},
                "outputs": [], "execution_count": None,
                "source": "def build_network(image_size, num_classes, seed):\n"
                          "    return course_model.build_original_keras(image_size, num_classes=num_classes, seed=seed)\n"
                          "check.keras_network(build_network)\n"}
    path = tmp_path / "07_building_the_network.ipynb"
    path.write_text(json.dumps({"cells": [setup, exercise], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    found = from_notebook(path.name, "7.5", "build_network", network.keras_network, folder=tmp_path)
    assert callable(found)


def test_fit_accepts_the_loss_function_and_catches_ignored_arguments(capsys):
    def with_function(model, train_ds, val_ds, epochs, folder, patience=5, more_callbacks=()):
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=keras.losses.categorical_crossentropy,
                      metrics=["accuracy"])
        return model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0,
                         callbacks=[*loop.make_callbacks(folder, patience), *more_callbacks])

    passes(check.fit_with_callbacks, with_function, capsys, "Exercise 8.3")

    def careless(model, train_ds, val_ds, epochs, folder, patience=5, more_callbacks=()):
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        return model.fit(train_ds, validation_data=train_ds, epochs=2, verbose=0,
                         callbacks=[*loop.make_callbacks(folder, patience), *more_callbacks])

    fails_with(check.fit_with_callbacks, careless, "epochs=2", "validation_data=val_ds")


def test_from_notebook_reads_magics_constants_and_takes_the_last_passing_cell(tmp_path):
    draft = "def build_network(image_size, num_classes, seed):\n    return None\n"
    final = ("%time FILTERS = (32, 32, 64)\nFILTERS = (32, 32, 64)\n"
             "def build_network(image_size, num_classes, seed):\n"
             "    assert FILTERS == (32, 32, 64)\n"
             "    from helpers import model as course_model\n"
             "    return course_model.build_original_keras(image_size, num_classes=num_classes, seed=seed)\n")
    cells = [{"cell_type": "code", "metadata": {"exercise": {"id": "7.5", "points": 3}}, "outputs": [],
              "execution_count": None, "source": source} for source in (draft, final)]
    path = tmp_path / "07_building_the_network.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    found = from_notebook(path.name, "7.5", "build_network", network.keras_network, folder=tmp_path)
    assert callable(found) and found(32, 2, 0).count_params() > 0
