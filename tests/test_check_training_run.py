"""Tests of helpers.check.training_run (notebook 08): right answers pass, each usual mistake is
named, and a stub gets the "not written yet" message."""

import math

import keras
import numpy as np
import pytest

from _checking import fails_with
from helpers.check import NOT_WRITTEN
from helpers.check import training_run as check


def stub(*args):
    raise NotImplementedError


def passes(checker, answer, capsys, exercise):
    checker(answer)
    assert capsys.readouterr().out.startswith(f"\N{CHECK MARK} {exercise}: correct.")


# --------------------------------------------------------------------------------------------
# The reference rules themselves, on the real training code and on Keras
# --------------------------------------------------------------------------------------------


def test_reference_checkpoint_epoch_agrees_with_the_run_checkpoint_rule():
    # helpers.train.RunCheckpoint replaces model.keras only on a strictly lower, finite loss.
    history = check.make_history([0.7, 0.5, 0.5, math.nan, 0.4, 0.45])
    assert check.reference_checkpoint_epoch(history) == 5
    assert check.reference_checkpoint_epoch(check.make_history([math.nan, math.nan])) is None


@pytest.mark.parametrize("val_loss, k", [(case[0], case[1]) for case in check.OVERFITTING_CASES])
def test_overfitting_start_is_the_epoch_keras_early_stopping_restores(val_loss, k):
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=k,
                                             restore_best_weights=True)
    epochs_run, restored = check.simulate_early_stopping(callback, val_loss)
    expected = check.reference_overfitting_start(check.make_history(val_loss), k)
    if expected is None:
        assert epochs_run == len(val_loss)  # Keras never stopped
    else:
        assert (epochs_run, restored) == (expected + k, expected)


def test_reference_iterations_match_the_split_of_helpers_data():
    from helpers import data

    labels = [0] * 500 + [1] * 500
    training, _ = data.split_indices(labels, 0.2, seed=0)
    assert check.reference_iterations(1000, 32, 40) == (math.ceil(len(training) / 32), 25 * 40)


# --------------------------------------------------------------------------------------------
# Exercise 8.4: the epoch model.keras holds
# --------------------------------------------------------------------------------------------


def right_checkpoint(history):
    best, lowest = None, math.inf
    for epoch, value in zip(history["epoch"], history["val_loss"]):
        if math.isfinite(value) and value < lowest:
            best, lowest = epoch, value
    return best


def test_checkpoint_epoch_right_answers_pass(capsys):
    passes(check.checkpoint_epoch, right_checkpoint, capsys, "Exercise 8.4")
    passes(check.checkpoint_epoch, lambda h: int(np.nanargmin(h["val_loss"])) + 1, capsys,
           "Exercise 8.4")


@pytest.mark.parametrize("wrong, words", [
    (lambda h: int(np.argmax(h["val_accuracy"])) + 1, ["highest val_accuracy"]),
    (lambda h: h["epoch"][-1], ["last epoch", "last.keras"]),
    (lambda h: int(np.nanargmin(h["val_loss"])), ["0-based", "add 1"]),
    (lambda h: int(np.argmin(h["val_loss"])) + 1, ["NaN", "np.nanargmin"]),
    (lambda h: max(e for e, v in zip(h["epoch"], h["val_loss"])
                   if v == np.nanmin(h["val_loss"])), ["strictly", "first of them"]),
    (lambda h: float(np.nanargmin(h["val_loss"]) + 1), ["as an int"]),
])
def test_checkpoint_epoch_mistakes_are_named(wrong, words):
    fails_with(check.checkpoint_epoch, wrong, *words)


def test_checkpoint_epoch_names_the_training_loss_when_that_is_the_slip():
    message = fails_with(check.checkpoint_epoch,
                         lambda h: int(np.argmin(h["loss"])) + 1, "expected epoch")
    assert "training loss" in message


def test_checkpoint_epoch_stub_is_not_written_yet():
    message = fails_with(check.checkpoint_epoch, stub, NOT_WRITTEN)
    assert "Hint" not in message


# --------------------------------------------------------------------------------------------
# Exercise 8.5: where overfitting starts
# --------------------------------------------------------------------------------------------


def right_overfitting_start(history, k):
    val_loss = history["val_loss"]
    for i, value in enumerate(val_loss):
        following = val_loss[i + 1:i + 1 + k]
        if len(following) == k and min(following) >= value:
            return i + 1
    return None


def with_early_stopping(history, k):
    best, wait, best_epoch = math.inf, 0, None
    for epoch, value in zip(history["epoch"], history["val_loss"]):
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait == k:
                return best_epoch
    return None


def test_overfitting_start_right_answers_pass(capsys):
    passes(check.overfitting_start, right_overfitting_start, capsys, "Exercise 8.5")
    passes(check.overfitting_start, with_early_stopping, capsys, "Exercise 8.5")


def stop_epoch(history, k):
    start = right_overfitting_start(history, k)
    return None if start is None else start + k


def global_minimum(history, k):
    return int(np.argmin(history["val_loss"])) + 1


def strictly_higher(history, k):
    val_loss = history["val_loss"]
    for i, value in enumerate(val_loss):
        following = val_loss[i + 1:i + 1 + k]
        if len(following) == k and min(following) > value:
            return i + 1
    return None


def rising_every_epoch(history, k):
    val_loss = history["val_loss"]
    for i in range(len(val_loss) - k):
        steps = val_loss[i:i + k + 1]
        if all(b > a for a, b in zip(steps, steps[1:])):
            return i + 1
    return None


def zero_based(history, k):
    start = right_overfitting_start(history, k)
    return None if start is None else start - 1


def patience_off_by_one(history, k):
    return right_overfitting_start(history, k - 1) if k > 1 else right_overfitting_start(history, 1)


def last_epoch_when_none(history, k):
    return right_overfitting_start(history, k) or len(history["val_loss"])


@pytest.mark.parametrize("wrong, words", [
    (stop_epoch, ["would *stop*", "restores"]),
    (global_minimum, ["lowest validation loss of the whole run"]),
    (strictly_higher, ["equal validation loss is not an improvement"]),
    (rising_every_epoch, ["need not rise every time"]),
    (zero_based, ["0-based"]),
    (patience_off_by_one, ["follows from k="]),
    (last_epoch_when_none, ["return None"]),
])
def test_overfitting_start_mistakes_are_named(wrong, words):
    fails_with(check.overfitting_start, wrong, *words)


def test_overfitting_start_stub_is_not_written_yet():
    fails_with(check.overfitting_start, stub, NOT_WRITTEN)


# --------------------------------------------------------------------------------------------
# Exercise 8.6: iterations
# --------------------------------------------------------------------------------------------


def right_iterations(n_images, batch_size, epochs, validation_fraction=0.2):
    training = n_images - round(n_images * validation_fraction)
    per_epoch = math.ceil(training / batch_size)
    return per_epoch, per_epoch * epochs


def test_iterations_right_answers_pass(capsys):
    passes(check.iterations, right_iterations, capsys, "Exercise 8.6")
    passes(check.iterations,
           lambda n, b, e, f: (-(-int(n * (1 - f)) // b), -(-int(n * (1 - f)) // b) * e),
           capsys, "Exercise 8.6")


@pytest.mark.parametrize("wrong, words", [
    (lambda n, b, e, f: (math.ceil(n / b), math.ceil(n / b) * e), ["validation split holds out"]),
    (lambda n, b, e, f: ((n - round(n * f)) // b, (n - round(n * f)) // b * e),
     ["smaller batch", "round up"]),
    (lambda n, b, e, f: right_iterations(n, b, e, f)[:1] * 2, ["multiply by the epochs"]),
    (lambda n, b, e, f: (math.ceil(round(n * f) / b), math.ceil(round(n * f) / b) * e),
     ["validation images"]),
    (lambda n, b, e, f: ((n - round(n * f)) / b, (n - round(n * f)) / b * e),
     ["fraction of an iteration"]),
    (lambda n, b, e, f: tuple(float(v) for v in right_iterations(n, b, e, f)), ["not as ints"]),
    (lambda n, b, e, f: right_iterations(n, b, e, f)[0], ["return two numbers"]),
])
def test_iterations_mistakes_are_named(wrong, words):
    fails_with(check.iterations, wrong, *words)


def test_iterations_stub_is_not_written_yet():
    fails_with(check.iterations, stub, NOT_WRITTEN)


# --------------------------------------------------------------------------------------------
# Exercise A4.1: EarlyStopping
# --------------------------------------------------------------------------------------------


def test_early_stopping_right_answers_pass(capsys):
    passes(check.early_stopping,
           lambda p: keras.callbacks.EarlyStopping(monitor="val_loss", patience=p,
                                                   restore_best_weights=True),
           capsys, "Exercise A4.1")
    passes(check.early_stopping,  # mode="min" and verbose are fine; verbose prints nothing here
           lambda p: keras.callbacks.EarlyStopping(patience=p, mode="min", verbose=1,
                                                   restore_best_weights=True),
           capsys, "Exercise A4.1")


@pytest.mark.parametrize("wrong, words", [
    (lambda p: keras.callbacks.EarlyStopping(monitor="loss", patience=p, restore_best_weights=True),
     ["monitors 'loss'", "training loss"]),
    (lambda p: keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=p,
                                             restore_best_weights=True),
     ["monitors 'val_accuracy'", "monitor='val_loss'"]),
    (lambda p: keras.callbacks.EarlyStopping(patience=p), ["restore_best_weights=True"]),
    (lambda p: keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True),
     ["patience=5", "expected 3"]),
    (lambda p: keras.callbacks.EarlyStopping(patience=p, mode="max", restore_best_weights=True),
     ["mode='max'"]),
    (lambda p: keras.callbacks.EarlyStopping(patience=p, min_delta=0.01,
                                             restore_best_weights=True), ["min_delta"]),
    (lambda p: keras.callbacks.EarlyStopping(patience=p, start_from_epoch=2,
                                             restore_best_weights=True), ["start_from_epoch"]),
    (lambda p: keras.callbacks.EarlyStopping, ["the class EarlyStopping itself"]),
    (lambda p: keras.callbacks.ModelCheckpoint("best.keras"), ["a ModelCheckpoint"]),
    (lambda p: None, ["forget `return`"]),
])
def test_early_stopping_mistakes_are_named(wrong, words):
    fails_with(check.early_stopping, wrong, *words)


def test_early_stopping_that_misbehaves_when_replayed_is_caught():
    class StopsLate(keras.callbacks.EarlyStopping):
        def on_epoch_end(self, epoch, logs=None):
            pass  # never stops

    fails_with(check.early_stopping,
               lambda p: StopsLate(monitor="val_loss", patience=p, restore_best_weights=True),
               "replaying", "expected to stop after epoch 7")


def test_early_stopping_stub_is_not_written_yet():
    message = fails_with(check.early_stopping, stub, NOT_WRITTEN)
    assert "Hint" not in message
