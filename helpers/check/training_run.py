"""Checkers for the end-of-notebook exercises of notebook 08 (training the classifier) and of
appendix A4 (run folders: early stopping).

Each checker calls the learner's answer on several cases, compares it with the reference rule
written out below and either prints one line with a check mark or raises
:class:`~helpers.check.ExerciseError` naming the case, what came back, what was expected and,
where it can tell, which slip gives that answer.

    from helpers.check import training_run as check
    check.checkpoint_epoch(checkpoint_epoch)        # Exercise 8.4
    check.overfitting_start(overfitting_start)      # Exercise 8.5
    check.iterations(iterations)                    # Exercise 8.6
    check.early_stopping(make_early_stopping)       # Exercise A4.1

A history is a dict of lists, one entry per epoch, as ``helpers.train`` writes ``history.json``:
``{"epoch": [1, 2, ...], "loss": [...], "accuracy": [...], "val_loss": [...],
"val_accuracy": [...]}``. Epochs are counted from 1.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers.check import call_safely, listed, report

#: How many wrong cases a message lists before it says "and N more".
MAX_LISTED = 3


def _integer(value: Any) -> int | None:
    """``value`` as an int when it is an integer type (4, np.int64(4)), else None (4.0 too)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def _shown(values: Sequence[float]) -> str:
    return "[" + ", ".join("nan" if not math.isfinite(v) else f"{v:g}" for v in values) + "]"


def make_history(val_loss: Sequence[float], val_accuracy: Sequence[float] | None = None,
                 loss: Sequence[float] | None = None,
                 accuracy: Sequence[float] | None = None) -> dict[str, list]:
    """A history dict like ``history.json``'s from the validation losses (the rest made up
    plausibly when not given: a training loss that keeps falling, accuracies that keep rising)."""
    n = len(val_loss)
    loss = list(loss) if loss is not None else [round(0.7 * 0.8 ** i, 4) for i in range(n)]
    accuracy = (list(accuracy) if accuracy is not None
                else [round(min(0.5 + 0.08 * i, 1.0), 4) for i in range(n)])
    val_accuracy = (list(val_accuracy) if val_accuracy is not None
                    else [round(0.5 + 0.02 * i, 4) for i in range(n)])
    return {"epoch": list(range(1, n + 1)), "loss": loss, "accuracy": accuracy,
            "val_loss": [float(v) for v in val_loss], "val_accuracy": val_accuracy}


# --------------------------------------------------------------------------------------------
# Exercise 8.4: which epoch model.keras holds
# --------------------------------------------------------------------------------------------


def reference_checkpoint_epoch(history: dict[str, list]) -> int | None:
    """The epoch (from 1) whose weights ``model.keras`` holds: the first epoch with the lowest
    finite validation loss (a later epoch replaces it only with a strictly lower loss; NaN never
    counts). None when no epoch has a finite validation loss."""
    best, best_loss = None, math.inf
    for epoch, value in zip(history["epoch"], history["val_loss"]):
        if value is not None and math.isfinite(value) and value < best_loss:
            best, best_loss = epoch, value
    return best


#: (val_loss, val_accuracy, what the case is about). The training loss falls throughout.
CHECKPOINT_CASES: list[tuple[list[float], list[float] | None, str]] = [
    ([0.69, 0.66, 0.62, 0.60, 0.61, 0.65, 0.72], [0.50, 0.58, 0.63, 0.66, 0.70, 0.69, 0.68],
     "a run that overfits after epoch 4"),
    ([0.52, 0.58, 0.66, 0.75], [0.74, 0.73, 0.75, 0.76], "a run whose best epoch is the first"),
    ([0.70, 0.64, 0.61, 0.57], [0.50, 0.61, 0.66, 0.70], "a run whose loss falls to the end"),
    ([0.70, 0.55, 0.60, 0.55, 0.58], [0.50, 0.72, 0.74, 0.70, 0.71],
     "a run where two epochs share the lowest loss"),
    ([0.68, 0.64, math.nan, math.nan], [0.55, 0.61, 0.50, 0.50],
     "a run whose loss became NaN (training diverged)"),
]


def _checkpoint_mistake(got: int, history: dict[str, list], expected: int) -> str:
    """What the wrong answer ``got`` looks like, or ""."""
    val_loss = np.asarray(history["val_loss"], dtype=float)
    n = len(val_loss)
    finite = np.where(np.isfinite(val_loss), val_loss, np.inf)
    lowest = [i + 1 for i, v in enumerate(finite) if v == finite.min()]
    if got == expected - 1:
        return ("that is the 0-based position of the epoch in the list; epochs are counted from 1 "
                "(history['epoch'] holds the numbers), so add 1.")
    if len(lowest) > 1 and got == lowest[-1]:
        return ("two epochs share the lowest loss, and only a *strictly* lower loss replaces "
                "model.keras: it keeps the first of them.")
    if got == int(np.argmax(history["val_accuracy"])) + 1:
        return ("that is the epoch with the highest val_accuracy, but model.keras is saved when "
                "the validation *loss* reaches a new low.")
    last, lowest_training = got == n, got == int(np.argmin(history["loss"])) + 1
    if last:
        also = ", which here also has the lowest training loss" if lowest_training else ""
        return (f"that is the last epoch{also}: its weights are in last.keras; model.keras keeps "
                "the epoch with the lowest validation loss.")
    if lowest_training:
        return ("that is the epoch with the lowest *training* loss, which keeps falling while the "
                "network overfits; model.keras follows val_loss.")
    if not np.all(np.isfinite(val_loss)) and got - 1 < n and not math.isfinite(val_loss[got - 1]):
        return ("the validation loss of that epoch is NaN, and np.argmin returns the position of "
                "a NaN; NaN is never the lowest loss (use np.nanargmin, or skip values that are "
                "not math.isfinite).")
    return ""


def checkpoint_epoch(answer: Callable[[dict[str, list]], Any]) -> None:
    """Exercise 8.4: ``answer(history)`` returns the epoch (from 1) whose weights model.keras
    holds: the first epoch with the lowest finite validation loss."""
    problems: list[str] = []
    for val_loss, val_accuracy, about in CHECKPOINT_CASES:
        history = make_history(val_loss, val_accuracy)
        got, problem = call_safely(answer, copy.deepcopy(history))
        if problem:
            problems.append(problem)
            break
        expected = reference_checkpoint_epoch(history)
        case = f"for {about} (val_loss {_shown(val_loss)}) you returned {got!r}"
        number = _integer(got)
        if number is None:
            problems.append(f"{case}; return the epoch as an int (e.g. {expected}), not "
                            f"{type(got).__name__}.")
        elif number != expected:
            mistake = _checkpoint_mistake(number, history, expected)
            problems.append(f"{case}; expected epoch {expected}" + (f": {mistake}" if mistake
                                                                    else "."))
    report("Exercise 8.4", listed(problems, MAX_LISTED),
           success="model.keras holds the first epoch with the lowest validation loss.",
           hint="walk through history['epoch'] and history['val_loss'] together and remember the "
                "epoch whenever the loss is strictly lower than the lowest so far (and finite).")


# --------------------------------------------------------------------------------------------
# Exercise 8.5: where overfitting starts
# --------------------------------------------------------------------------------------------


def reference_overfitting_start(history: dict[str, list], k: int) -> int | None:
    """The first epoch e (from 1) after which the next ``k`` epochs all have a validation loss
    that is not lower than val_loss[e] (an equal loss is not lower); None when there is none.

    Such an epoch is always the lowest so far. It is the epoch whose weights
    ``EarlyStopping(monitor="val_loss", patience=k, restore_best_weights=True)`` restores; it
    stops training after epoch e + k.
    """
    val_loss = list(history["val_loss"])
    for i, value in enumerate(val_loss):
        following = val_loss[i + 1:i + 1 + k]
        if len(following) == k and all(later >= value for later in following):
            return history["epoch"][i]
    return None


#: (val_loss, k, what the case is about).
OVERFITTING_CASES: list[tuple[list[float], int, str]] = [
    ([0.69, 0.66, 0.62, 0.60, 0.61, 0.65, 0.72], 3, "a run that overfits"),
    ([0.69, 0.66, 0.62, 0.60, 0.61, 0.65, 0.72], 4, "the same run, which ends too soon for k=4"),
    ([0.70, 0.60, 0.50, 0.40], 2, "a loss that is still falling"),
    ([0.70, 0.62, 0.64, 0.60, 0.58, 0.63, 0.66, 0.70], 2, "a one-epoch bump before the real rise"),
    ([0.70, 0.62, 0.64, 0.60, 0.58, 0.63, 0.66, 0.70], 1, "the same run"),
    ([0.70, 0.60, 0.65, 0.68, 0.55, 0.50], 2, "a loss that rises, then falls lower still"),
    ([0.70, 0.60, 0.65, 0.62, 0.70], 3, "a loss that stays above its low without rising steadily"),
    ([0.70, 0.60, 0.60, 0.60, 0.50], 2, "equal losses after the low"),
]


def _strictly_higher(history: dict[str, list], k: int) -> int | None:
    val_loss = history["val_loss"]
    for i, value in enumerate(val_loss):
        following = val_loss[i + 1:i + 1 + k]
        if len(following) == k and all(later > value for later in following):
            return i + 1
    return None


def _rising(history: dict[str, list], k: int) -> int | None:
    val_loss = history["val_loss"]
    for i in range(len(val_loss) - k):
        steps = val_loss[i:i + k + 1]
        if all(b > a for a, b in zip(steps, steps[1:])):
            return i + 1
    return None


def _overfitting_mistake(got: int | None, history: dict[str, list], k: int,
                         expected: int | None) -> str:
    n = len(history["val_loss"])
    if expected is None:
        if got is not None and 1 <= got <= n and got == int(np.argmin(history["val_loss"])) + 1:
            return (f"no epoch is followed by {_epochs(k)} without a lower loss (the history ends "
                    "too soon or the loss still falls), so there is no such epoch yet: return None.")
        return f"no epoch is followed by {_epochs(k)} whose loss is not lower, so return None."
    if got is None:
        if _strictly_higher(history, k) is None:
            return ("an equal validation loss is not an improvement (Keras needs a strictly "
                    "lower one), so equal epochs count as 'not lower' too.")
        if _rising(history, k) is None:
            return (f"the {_epochs(k)} after the low need not rise every time; they only must not "
                    "go below it.")
        return "there is such an epoch."
    if got == expected + k:
        return (f"epoch {got} is where early stopping with patience {k} would *stop*; overfitting "
                f"starts {_epochs(k)} earlier, at the low whose weights it restores.")
    if got == expected - 1:
        return "that is the 0-based position in the list; epochs are counted from 1."
    if got == int(np.argmin(history["val_loss"])) + 1:
        return ("that is the lowest validation loss of the whole run; the question is the first "
                f"low that {_epochs(k)} in a row fail to beat (early stopping would have ended the "
                "run there, before the later low).")
    for other in (k - 1, k + 1):
        if other >= 1 and got == reference_overfitting_start(history, other):
            return (f"that answer follows from k={other}; look at exactly {_epochs(k)} after the "
                    "low.")
    return ""


def overfitting_start(answer: Callable[[dict[str, list], int], Any]) -> None:
    """Exercise 8.5: ``answer(history, k)`` returns the first epoch (from 1) after which ``k``
    epochs in a row bring no lower validation loss, or None."""
    problems: list[str] = []
    for val_loss, k, about in OVERFITTING_CASES:
        history = make_history(val_loss)
        got, problem = call_safely(answer, copy.deepcopy(history), k)
        if problem:
            problems.append(problem)
            break
        expected = reference_overfitting_start(history, k)
        case = f"for {about} (val_loss {_shown(val_loss)}) and k={k} you returned {got!r}"
        number = None if got is None else _integer(got)
        if got is not None and number is None:
            problems.append(f"{case}; return an epoch number (an int) or None.")
        elif number != expected:
            mistake = _overfitting_mistake(number, history, k, expected)
            problems.append(f"{case}; expected {expected}" + (f": {mistake}" if mistake else "."))
    report("Exercise 8.5", listed(problems, MAX_LISTED),
           success="You find the epoch that early stopping with patience k would restore.",
           hint="for each epoch i, look at val_loss[i+1 : i+1+k]: if there are k of them and none "
                "is lower than val_loss[i], the answer is epoch i + 1; if no epoch passes, None.")


# --------------------------------------------------------------------------------------------
# Exercise 8.6: iterations per epoch and in all
# --------------------------------------------------------------------------------------------


def reference_iterations(n_images: int, batch_size: int, epochs: int,
                         validation_fraction: float = 0.2) -> tuple[int, int]:
    """``(per epoch, in total)``: the training images are n_images − round(n_images ·
    validation_fraction); each epoch takes ⌈training / batch_size⌉ steps (the last, smaller
    batch is one too)."""
    training = n_images - round(n_images * validation_fraction)
    per_epoch = math.ceil(training / batch_size)
    return per_epoch, per_epoch * epochs


#: (images, batch size, epochs, validation fraction): the recipes on our 1000 photos, the
#: tutorial's 2000 photos in batches of 16, quick runs, partial batches, no validation.
ITERATION_CASES: list[tuple[int, int, int, float]] = [
    (1000, 32, 40, 0.2), (1000, 32, 50, 0.2), (2000, 16, 1, 0.2), (80, 32, 2, 0.2),
    (100, 32, 3, 0.2), (60, 32, 4, 0.2), (1000, 32, 10, 0.0), (150, 8, 5, 0.2),
]


def _iterations_mistake(got: tuple[int, int], case: tuple[int, int, int, float],
                        expected: tuple[int, int]) -> str:
    n, batch, epochs, fraction = case
    validation = round(n * fraction)
    training = n - validation
    per_epoch, total = got
    if per_epoch == expected[0] and total != expected[1]:
        if total == per_epoch:
            return "the total is the iterations of one epoch; multiply by the epochs."
        return f"the total should be {expected[0]} per epoch × {_epochs(epochs)}."
    if fraction and per_epoch == math.ceil(n / batch):
        return (f"you batched all {n} images, but the validation split holds out "
                f"round({n} × {fraction:g}) = {validation}: only {training} are trained on.")
    if training % batch and per_epoch == training // batch:
        return (f"{training} = {training // batch}·{batch} + {training % batch}: the last, smaller "
                f"batch of {training % batch} is one more iteration (round up).")
    if fraction and per_epoch == math.ceil(validation / batch):
        return (f"that is the batches of the {validation} validation images; training uses the "
                f"other {training}.")
    return ""


def iterations(answer: Callable[[int, int, int, float], Any]) -> None:
    """Exercise 8.6: ``answer(n_images, batch_size, epochs, validation_fraction)`` returns
    ``(iterations per epoch, iterations in total)``."""
    problems: list[str] = []
    only_type: list[str] = []  # right values, wrong type: listed after the wrong values
    for case in ITERATION_CASES:
        n, batch, epochs, fraction = case
        got, problem = call_safely(answer, n, batch, epochs, fraction)
        if problem:
            problems.append(problem)
            break
        expected = reference_iterations(n, batch, epochs, fraction)
        shown = (f"for {n} images, batches of {batch}, {_epochs(epochs)} and a validation fraction "
                 f"of {fraction:g} you returned {got!r}")
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            problems.append(f"{shown}; return two numbers, (per_epoch, total).")
            break
        numbers_ = (_integer(got[0]), _integer(got[1]))
        if None in numbers_:
            if all(isinstance(v, numbers.Real) for v in got) and \
                    np.allclose(np.asarray(got, dtype=float), expected):
                only_type.append(f"{shown}: the right values but not as ints; iterations are "
                                 "whole steps (math.ceil returns an int; `/` always gives a float).")
            elif all(isinstance(v, numbers.Real) for v in got) and \
                    any(float(v) != int(v) for v in got if math.isfinite(float(v))):
                problems.append(f"{shown}; expected {expected}: a fraction of an iteration does "
                                "not exist; the last, smaller batch is one whole step (round up).")
            else:
                problems.append(f"{shown}; return two ints, e.g. {expected}.")
        elif numbers_ != expected:
            mistake = _iterations_mistake(numbers_, case, expected)
            problems.append(f"{shown}; expected {expected}" + (f": {mistake}" if mistake else "."))
    report("Exercise 8.6", listed(problems + only_type, MAX_LISTED),  # wrong values first
           success="Training images after the split, batches rounded up, times the epochs.",
           hint="only the images not held out for validation are trained on; the last, "
                "smaller batch of an epoch still counts.")


# --------------------------------------------------------------------------------------------
# Exercise A4.1: an EarlyStopping callback for a requirement
# --------------------------------------------------------------------------------------------

#: The patience values the checker asks for.
PATIENCE_CASES = (5, 3, 1, 10)


def early_stopping_problems(callback: Any, patience: int, name: str | None = None) -> list[str]:
    """What is wrong with ``callback`` for the requirement with ``patience``; ``name`` is how the
    messages call it (default: the call of Exercise A4.1, ``make_early_stopping(patience)``)."""
    import keras

    name = name or f"make_early_stopping({patience})"
    if callback is None:
        return [f"{name} returned None: did you forget `return`?"]
    if isinstance(callback, type):
        return [f"{name} returned the class {callback.__name__} itself; create one: "
                "keras.callbacks.EarlyStopping(...)."]
    if not isinstance(callback, keras.callbacks.EarlyStopping):
        return [f"{name} returned a {type(callback).__name__}; return a "
                "keras.callbacks.EarlyStopping."]
    problems = []
    if callback.monitor != "val_loss":
        why = {
            "loss": "the training loss keeps falling while the network overfits, so it would "
                    "hardly ever stop",
            "val_accuracy": "the requirement is about the validation loss (accuracy moves in "
                            "steps of one photo and misses growing over-confidence)",
            "accuracy": "the training accuracy keeps rising while the network overfits",
        }.get(callback.monitor, "the requirement watches the validation loss")
        problems.append(f"{name} monitors {callback.monitor!r}: {why}; use monitor='val_loss'.")
    if callback.mode == "max":
        problems.append(f"{name} has mode='max', which takes a *higher* loss as an improvement; "
                        "use mode='min' (or leave the default 'auto', which knows a loss falls).")
    if callback.patience != patience:
        problems.append(f"{name} has patience={callback.patience!r}; expected {patience}: use the "
                        "argument, not a fixed number.")
    if not callback.restore_best_weights:
        problems.append(f"{name} has restore_best_weights={callback.restore_best_weights!r}: the "
                        f"model would end with the weights of the last epoch, {_epochs(patience)} "
                        "past the best; set restore_best_weights=True.")
    if callback.min_delta != 0:
        problems.append(f"{name} has min_delta={callback.min_delta!r}; any lower loss counts as an "
                        "improvement here, so leave min_delta at 0.")
    if callback.baseline is not None:
        problems.append(f"{name} has baseline={callback.baseline!r}; the requirement sets none.")
    if getattr(callback, "start_from_epoch", 0):
        problems.append(f"{name} has start_from_epoch={callback.start_from_epoch!r}; the "
                        "requirement watches from the first epoch.")
    return problems


def simulate_early_stopping(callback: Any, val_losses: Sequence[float]) -> tuple[int, int | None]:
    """Feed ``val_losses`` to ``callback`` epoch by epoch, as ``fit`` would, on a one-weight
    model whose weight is set to the epoch number before each epoch ends. Returns
    ``(epochs run, epoch whose weight the model ends with)`` (epochs from 1)."""
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(val_losses):
        model.set_weights([np.full((1, 1), epoch + 1, dtype="float32")])
        callback.on_epoch_end(epoch, {"val_loss": float(value), "loss": 0.1})
        epochs_run = epoch + 1
        if model.stop_training:
            break
    with contextlib.redirect_stdout(io.StringIO()):  # "Restoring model weights ..." if verbose
        callback.on_train_end()
    return epochs_run, int(round(float(model.get_weights()[0][0, 0])))


def early_stopping(answer: Callable[[int], Any]) -> None:
    """Exercise A4.1: ``answer(patience)`` returns ``keras.callbacks.EarlyStopping`` watching
    the validation loss with that patience, restoring the best epoch's weights."""
    problems: list[str] = []
    for patience in PATIENCE_CASES:
        callback, problem = call_safely(answer, patience)
        if problem:
            problems.append(problem)
            break
        found = early_stopping_problems(callback, patience)
        if found:
            problems.extend(found)
            break
    if not problems:  # configured right: it must then behave right on a run that overfits
        val_losses = [0.69, 0.66, 0.62, 0.60, 0.61, 0.65, 0.72, 0.70, 0.69, 0.75, 0.80, 0.85]
        patience = PATIENCE_CASES[1]
        callback, _ = call_safely(answer, patience)
        try:
            epochs_run, restored = simulate_early_stopping(callback, val_losses)
        except Exception as error:  # a subclass of the learner's that misbehaves
            problems.append(f"replaying a run through your callback raised "
                            f"{type(error).__name__}: {error}")
        else:
            if (epochs_run, restored) != (4 + patience, 4):
                problems.append(f"replaying val_loss {_shown(val_losses)} with patience "
                                f"{patience}, your callback stopped after epoch {epochs_run} with "
                                f"the weights of epoch {restored}; expected to stop after epoch "
                                f"{4 + patience} with the weights of epoch 4.")
    report("Exercise A4.1", problems,
           success="EarlyStopping(monitor='val_loss', patience=..., restore_best_weights=True).",
           hint="Keras has a ready-made callback for this; watch the validation loss and "
                "keep the best weights.")
