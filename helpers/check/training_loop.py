"""Checkers for the build-it exercises of notebook 08: a training step, a loop, ``fit``.

    from helpers.check import training_loop as check
    check.train_step(train_step)                  # Exercise 8.1
    check.train_loop(train_loop)                  # Exercise 8.2
    check.fit_with_callbacks(fit_with_callbacks)  # Exercise 8.3

Each checker runs the learner's function on a tiny network (a 3x3 convolution, batch norm, a
dense layer and a softmax on 6x6 images) and tiny data, and the course's reference
(:mod:`helpers.loop`) on an identical copy, then compares what came back and the weights after.
A few seconds each.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from helpers.check import NOT_WRITTEN, report
from helpers.check.training_run import early_stopping_problems

#: The shape of the checkers' images, and their number of classes.
IMAGE_SHAPE, CLASSES = (6, 6, 3), 2

#: Errors learners meet in these exercises, by a piece of their message, and what to do.
KNOWN_ERRORS = {
    "Creating variables on a non-first call":
        "a tf.function may only create variables on its first call: build the optimizer's "
        "variables before the first step (its build method takes the variables it will train)",
    "object has no attribute 'numpy'":
        "inside a tf.function the values are symbolic and have no .numpy(): keep to TensorFlow "
        "operations there (tf.reduce_mean, tf.argmax, ...)",
    "No gradients provided for any variable":
        "the tape saw no path from the weights to the loss: call the model and compute the loss "
        "inside the `with tf.GradientTape() ...` block",
}


def tiny_network(seed: int = 0) -> Any:
    """The checkers' network: conv 3x3 (4 filters) → batch norm → ReLU → flatten → dense 2 →
    softmax. Batch norm makes ``training=True`` and ``training=False`` give different outputs.
    The convolution has no bias: batch norm would cancel it, its gradient would be rounding
    noise, and Adam would turn that noise into full-size steps that differ between two runs."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = keras.layers
    return keras.Sequential([keras.Input(IMAGE_SHAPE), layers.Conv2D(4, 3, use_bias=False),
                             layers.BatchNormalization(),
                             layers.ReLU(), layers.Flatten(), layers.Dense(CLASSES), layers.Softmax()])


def tiny_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images and one-hot labels that a network can learn: class 1 is brighter."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % CLASSES
    images = rng.random((n, *IMAGE_SHAPE)).astype("float32") * 0.6 + 0.4 * labels[:, None, None, None]
    return images.astype("float32"), np.eye(CLASSES, dtype="float32")[labels]


def _twins(seed: int = 0) -> tuple[Any, Any]:
    """Two networks with the same weights: one for the learner's code, one for the reference."""
    first, second = tiny_network(seed), tiny_network(seed + 1)
    second.set_weights(first.get_weights())
    return first, second


def _built_adam(model: Any, learning_rate: float = 0.01) -> Any:
    import keras

    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build(model.trainable_variables)
    return optimizer


def _call(answer: Callable[..., Any], shown: str, *args: Any) -> tuple[Any, str]:
    """Call the learner's function; ``(result, "")`` or ``(None, one readable sentence)``.

    ``shown`` is the call as the message names it, e.g. "train_step(model, optimizer, images,
    labels)": the real arguments (a model, a dataset) have reprs too long to read.
    """
    try:
        return answer(*args), ""
    except NotImplementedError:
        return None, f"{shown} {NOT_WRITTEN}: replace `raise NotImplementedError` with your code."
    except Exception as error:  # the learner's code may raise anything; report it readably
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        for piece, fix in KNOWN_ERRORS.items():
            if piece in str(error):
                return None, f"{shown} raised {type(error).__name__}: {fix}."
        return None, f"{shown} raised {type(error).__name__}: {text}"


def _weights_differ(model: Any, reference: Any) -> float:
    return max(float(np.max(np.abs(a - b))) for a, b in zip(model.get_weights(), reference.get_weights()))


# --------------------------------------------------------------------------------------------
# Exercise 8.1: one training step with tf.GradientTape
# --------------------------------------------------------------------------------------------


def _step_problems(got: Any, expected: tuple[float, float], batch: int) -> list[str]:
    """What is wrong with the (loss, correct) pair ``got``."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return [f"train_step returned {type(got).__name__ if got is not None else 'None'}; "
                "return two values: the batch's mean loss and its number of right answers."]
    problems = []
    try:
        loss, correct = float(got[0]), float(got[1])
    except (TypeError, ValueError):
        return ["train_step should return two numbers (or scalar tensors): the loss and the count."]
    want_loss, want_correct = expected
    if not math.isclose(loss, want_loss, rel_tol=1e-4, abs_tol=1e-5):
        if math.isclose(loss, want_loss * batch, rel_tol=1e-4):
            why = " That is the sum over the batch; return the mean (tf.reduce_mean)."
        else:
            why = (" Compute it inside the tape from model(images, training=True), before the "
                   "update, as the mean cross-entropy of the batch.")
        problems.append(f"the loss returned is {loss:.6f}; expected {want_loss:.6f}.{why}")
    if not math.isclose(correct, want_correct, abs_tol=1e-6):
        why = (" That looks like a fraction; return the number of photos right."
               if 0 < correct < 1 or math.isclose(correct * batch, want_correct) else "")
        problems.append(f"the number of right answers returned is {correct:g}; expected "
                        f"{want_correct:g} of {batch} (argmax of the probabilities = argmax of "
                        f"the one-hot label, counted before the update).{why}")
    return problems


def train_step(answer: Callable[..., Any]) -> None:
    """Exercise 8.1: ``answer(model, optimizer, images, labels)`` makes one optimizer step on
    the batch and returns (mean cross-entropy, number right), both before the step."""
    from helpers import loop

    import tensorflow as tf

    images, labels = map(tf.constant, tiny_data(8, seed=1))
    more_images, more_labels = map(tf.constant, tiny_data(8, seed=2))
    model, reference = _twins()
    optimizer, reference_optimizer = _built_adam(model), _built_adam(reference)
    problems: list[str] = []
    shown = "train_step(model, optimizer, images, labels)"
    got, problem = _call(answer, shown, model, optimizer, images, labels)
    expected = [float(v) for v in loop.train_step(reference, reference_optimizer, images, labels)]
    if problem:
        problems.append(problem)
    else:
        problems += _step_problems(got, (expected[0], expected[1]), len(images))
        untouched = [w.numpy() for w in tiny_network(0).trainable_weights]
        if all(np.array_equal(a.numpy(), b) for a, b in zip(model.trainable_weights, untouched)):
            problems.append("the weights did not change: after tape.gradient, apply the gradients "
                            "with optimizer.apply_gradients(zip(gradients, variables)).")
        elif _weights_differ(model, reference) > 1e-5:
            problems.append(
                "after one step the weights differ from the course's by up to "
                f"{_weights_differ(model, reference):.2g}: take the gradient of the mean loss "
                "with respect to model.trainable_variables, call the model with training=True, "
                "and apply the gradients once.")
    if not problems:  # a second step on a new batch must work too (a tf.function is reused)
        got, problem = _call(answer, shown, model, optimizer, more_images, more_labels)
        loop.train_step(reference, reference_optimizer, more_images, more_labels)
        if problem:
            problems.append("the first step was right, but on a second batch " + problem)
        elif _weights_differ(model, reference) > 1e-5:
            problems.append("the first step was right, but after a second step on another batch "
                            "the weights differ from the course's.")
    report("Exercise 8.1", problems,
           success="one step: forward pass on the tape, gradients, Adam's update.",
           hint="Record the forward pass and the loss on a tf.GradientTape, ask the tape for the "
                "gradients of the loss with respect to model.trainable_variables, and give "
                "them to the optimizer.")


# --------------------------------------------------------------------------------------------
# Exercise 8.2: the epoch loop
# --------------------------------------------------------------------------------------------

#: The history keys, in the order the exercise names them.
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")

#: What each key means, for the messages.
MEANING = {"loss": "the mean training loss over the epoch's photos",
           "accuracy": "the fraction of the epoch's training photos right (while it trained)",
           "val_loss": "the mean loss over the validation photos after the epoch",
           "val_accuracy": "the fraction of validation photos right after the epoch"}


def _loop_data() -> tuple[Any, Any]:
    """20 training images in batches of 8 and 12 validation images in batches of 8 (no
    shuffling, so both loops see the same batches; each last batch is smaller, so a mean of
    batch means differs from the mean over the photos)."""
    import tensorflow as tf

    train = tf.data.Dataset.from_tensor_slices(tiny_data(20, seed=3)).batch(8)
    val = tf.data.Dataset.from_tensor_slices(tiny_data(12, seed=4)).batch(8)
    return train, val


def _history_problems(history: Any, expected: dict[str, list[float]], epochs: int) -> list[str]:
    if not isinstance(history, dict):
        return [f"train_loop returned {type(history).__name__ if history is not None else 'None'}; "
                "return the history: a dict with the keys " + ", ".join(HISTORY_KEYS) + "."]
    missing = [key for key in HISTORY_KEYS if key not in history]
    if missing:
        return [f"the history has no key {', '.join(map(repr, missing))}; it needs "
                + ", ".join(map(repr, HISTORY_KEYS)) + ", one list each."]
    problems = []
    for key in HISTORY_KEYS:
        values = history[key]
        try:
            values = [float(v) for v in values]
        except (TypeError, ValueError):
            problems.append(f"history[{key!r}] should be a list of numbers, one per epoch.")
            continue
        if len(values) != epochs:
            problems.append(f"history[{key!r}] has {len(values)} values after {epochs} epochs; "
                            "append one per epoch.")
            continue
        worst = max(abs(a - b) for a, b in zip(values, expected[key]))
        if worst > 1e-4:
            first = next(i for i, (a, b) in enumerate(zip(values, expected[key])) if abs(a - b) > 1e-4)
            hint = ""
            if key.startswith("val"):
                hint = (" Measure the whole validation set after the epoch's steps, with "
                        "training=False, weighting each batch by its size.")
            problems.append(f"history[{key!r}] at epoch {first + 1} is {values[first]:.5f}; expected "
                            f"{expected[key][first]:.5f} ({MEANING[key]}).{hint}")
    return problems


def train_loop(answer: Callable[..., Any]) -> None:
    """Exercise 8.2: ``answer(model, optimizer, train_ds, val_ds, epochs)`` trains ``epochs``
    epochs with ``train_step``, prints one line per epoch and returns the history."""
    from helpers import loop

    epochs = 3
    model, reference = _twins(seed=5)
    train, val = _loop_data()
    import keras

    expected = loop.train_loop(reference, keras.optimizers.Adam(0.01), train, val, epochs,
                               verbose=False)
    printed = io.StringIO()
    # The loop is judged on its own: while it runs, the name train_step in its module means the
    # course's step, so a step that is not finished (Exercise 8.1) cannot fail this exercise.
    module = getattr(answer, "__globals__", {})
    had_step, own_step = "train_step" in module, module.get("train_step")
    module["train_step"] = loop.train_step
    try:
        with contextlib.redirect_stdout(printed):
            history, problem = _call(answer, "train_loop(model, optimizer, train_ds, val_ds, epochs)",
                                     model, keras.optimizers.Adam(0.01), train, val, epochs)
    finally:
        if had_step:
            module["train_step"] = own_step
        else:
            module.pop("train_step", None)
    problems = [problem] if problem else _history_problems(history, expected, epochs)
    lines = [line for line in printed.getvalue().splitlines() if line.strip()]
    if not problem and len(lines) < epochs:
        problems.append(f"it printed {len(lines)} line(s) in {epochs} epochs; print one per epoch "
                        "with the training accuracy, validation accuracy and validation loss, "
                        "with Python's print (tf.print writes to the error stream).")
    if not problems and _weights_differ(model, reference) > 1e-4:
        problems.append("the history is right but the final weights differ from the course's: "
                        "train with train_step on every batch of every epoch, and nothing else.")
    report("Exercise 8.2", problems,
           success=f"{epochs} epochs, the same history and weights as the course's loop.",
           hint="For each epoch: loop over the training batches calling train_step and add up "
                "the losses (times the batch size) and the right answers; then go once over the "
                "validation batches with training=False; append the four means and print them.")


# --------------------------------------------------------------------------------------------
# Exercise 8.3: the same with compile, fit and callbacks
# --------------------------------------------------------------------------------------------


def _callback_problems(callbacks: list[Any], folder: Path, patience: int, extra: Any) -> list[str]:
    import keras

    def of(kind: type) -> list[Any]:
        return [c for c in callbacks if isinstance(c, kind)]

    problems = []
    checkpoints = of(keras.callbacks.ModelCheckpoint)
    if len(checkpoints) != 1:
        problems.append(f"fit got {len(checkpoints)} ModelCheckpoint callbacks; give it one.")
    else:
        c = checkpoints[0]
        path = Path(str(c.filepath))
        if path.parent.resolve() != folder.resolve() or path.name != "best.keras":
            problems.append(f"the checkpoint is written to {str(c.filepath)!r}; write it to "
                            "folder / 'best.keras'.")
        if c.monitor != "val_loss" or not c.save_best_only:
            problems.append("the checkpoint should keep only the best model by validation loss: "
                            "monitor='val_loss', save_best_only=True.")
    stoppers = of(keras.callbacks.EarlyStopping)
    if len(stoppers) != 1:
        problems.append(f"fit got {len(stoppers)} EarlyStopping callbacks; give it one.")
    else:
        problems += early_stopping_problems(stoppers[0], patience, name="the EarlyStopping")
    backups = of(keras.callbacks.BackupAndRestore)
    if len(backups) != 1:
        problems.append(f"fit got {len(backups)} BackupAndRestore callbacks; give it one, so an "
                        "interrupted fit can go on from its last finished epoch.")
    elif Path(str(backups[0].backup_dir)).resolve() != (folder / "backup").resolve():
        problems.append(f"BackupAndRestore writes to {str(backups[0].backup_dir)!r}; use "
                        "folder / 'backup'.")
    if extra not in callbacks:
        problems.append("the callbacks in more_callbacks did not reach fit; add them to the list.")
    return problems


def _compile_problems(model: Any) -> list[str]:
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return ["the model was not compiled: call model.compile(optimizer=..., loss=..., metrics=...)."]
    problems = []
    if type(optimizer) is not keras.optimizers.Adam:
        problems.append(f"the optimizer is {type(optimizer).__name__}; the tutorial's is "
                        "keras.optimizers.Adam.")
    elif not math.isclose(float(optimizer.learning_rate), 1e-4, rel_tol=1e-6):
        problems.append(f"the learning rate is {float(optimizer.learning_rate):g}; the tutorial's "
                        "is 1e-4.")
    loss = model.loss
    name = (loss if isinstance(loss, str) else getattr(loss, "__name__", None)
            or type(loss).__name__)
    if name not in ("categorical_crossentropy", "CategoricalCrossentropy"):
        problems.append(f"the loss is {name!r}; use the cross-entropy for one-hot labels, e.g. "
                        "keras.losses.CategoricalCrossentropy().")
    elif getattr(loss, "from_logits", False):
        problems.append("the loss has from_logits=True, but the network ends with a softmax: "
                        "its outputs are probabilities.")
    return problems


class _Recorder:
    """Stands in for ``model.fit``: remembers the callbacks, then calls the real ``fit``."""

    def __init__(self, fit: Callable[..., Any]) -> None:
        self.fit, self.callbacks, self.calls, self.kwargs = fit, [], 0, {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.callbacks = list(kwargs.get("callbacks") or [])
        self.kwargs = dict(kwargs)
        kwargs["verbose"] = 0
        return self.fit(*args, **kwargs)


def fit_with_callbacks(answer: Callable[..., Any]) -> None:
    """Exercise 8.3: ``answer(model, train_ds, val_ds, epochs, folder, patience, more_callbacks)``
    compiles the tutorial's recipe, fits with a best-model checkpoint, early stopping and
    BackupAndRestore in ``folder``, and returns ``fit``'s History."""
    import keras

    model = tiny_network(seed=7)
    train, val = _loop_data()
    extra = keras.callbacks.History()
    recorder = _Recorder(model.fit)
    model.fit = recorder
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name) / "run"
        folder.mkdir()
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. Keras's note that a Dataset is not shuffled by fit
            history, problem = _call(answer, "fit_with_callbacks(model, train_ds, val_ds, 3, folder, "
                                     "2, more_callbacks)", model, train, val, 3, folder, 2, [extra])
        if problem:
            problems.append(problem)
        elif recorder.calls != 1:
            problems.append(f"model.fit was called {recorder.calls} times; call it once.")
        else:
            problems += _compile_problems(model)
            problems += _callback_problems(recorder.callbacks, folder, 2, extra)
            if recorder.kwargs.get("epochs") != 3:
                problems.append(f"fit got epochs={recorder.kwargs.get('epochs')!r}; pass the "
                                "argument `epochs` (3 here).")
            if recorder.kwargs.get("validation_data") is not val:
                problems.append("fit did not get validation_data=val_ds: the validation loss must "
                                "come from the validation photos.")
            if not isinstance(history, keras.callbacks.History):
                problems.append(f"it returned {type(history).__name__}; return what model.fit "
                                "returns (a History).")
            elif not {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history):
                problems.append(f"the history holds {sorted(history.history)}; pass "
                                "validation_data=val_ds and metrics=['accuracy'].")
            if not problems and not (folder / "best.keras").is_file():
                problems.append("fit ran, but folder / 'best.keras' was not written.")
    del model.fit
    report("Exercise 8.3", problems,
           success="compile and fit, with the best checkpoint, early stopping and a backup.",
           hint="Compile with the tutorial's optimizer, loss and metric; make the three "
                "callbacks from keras.callbacks with paths inside `folder`; pass them and "
                "more_callbacks to fit with validation_data.")
