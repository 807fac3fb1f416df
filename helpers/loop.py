"""A training loop written out by hand: the course's reference for notebook 08's exercises.

TensorFlow 1 trained with ``session.run(optimizer, feed_dict={x: images, y_true: labels})``: one
call ran the graph forward, computed the gradients and changed the weights. TensorFlow 2 spells
the same three things out:

    with tf.GradientTape() as tape:               # record the forward pass
        probabilities = model(images, training=True)
        loss = mean cross-entropy(labels, probabilities)
    gradients = tape.gradient(loss, model.trainable_variables)            # backward pass
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))  # one Adam step

:func:`train_step` is that step, compiled into a graph by ``tf.function`` (what TF1's graph was,
without the session); :func:`evaluate` measures a model on a data set without changing it;
:func:`train_loop` runs epochs of steps and prints the tutorial's line after each one.
``model.fit`` does all of this and more; :func:`fit_with_callbacks` is the same training with
``compile``, ``fit`` and three Keras callbacks: the best checkpoint, early stopping, and a
backup that lets an interrupted ``fit`` go on where it stopped.

Labels are one-hot, shape (batch, classes), and models end with a softmax, as everywhere in the
course.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import keras
import tensorflow as tf

#: The keys of the history :func:`train_loop` returns, the same names as Keras's ``fit``.
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@tf.function
def train_step(model: keras.Model, optimizer: keras.optimizers.Optimizer,
               images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """One optimizer step on one batch; returns (the batch's mean cross-entropy before the step,
    the number of its photos the model got right before the step).

    Build the optimizer first (``optimizer.build(model.trainable_variables)``): a ``tf.function``
    may not create its variables on a later call.
    """
    with tf.GradientTape() as tape:
        probabilities = model(images, training=True)
        loss = tf.reduce_mean(keras.losses.categorical_crossentropy(labels, probabilities))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss, count_correct(labels, probabilities)


def count_correct(labels: tf.Tensor, probabilities: tf.Tensor) -> tf.Tensor:
    """How many rows of ``probabilities`` have their largest value at the one-hot label's class."""
    right = tf.argmax(probabilities, axis=1) == tf.argmax(labels, axis=1)
    return tf.reduce_sum(tf.cast(right, tf.float32))


def evaluate(model: keras.Model, dataset: tf.data.Dataset) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` over every photo of ``dataset``, in
    inference mode (no dropout, batch norm's running statistics, no augmentation)."""
    total_loss = correct = seen = 0.0
    for images, labels in dataset:
        probabilities = model(images, training=False)
        total_loss += float(tf.reduce_sum(keras.losses.categorical_crossentropy(labels, probabilities)))
        correct += float(count_correct(labels, probabilities))
        seen += int(images.shape[0])
    return total_loss / seen, correct / seen


def train_loop(model: keras.Model, optimizer: keras.optimizers.Optimizer,
               train_ds: tf.data.Dataset, val_ds: tf.data.Dataset, epochs: int,
               verbose: bool = True) -> dict[str, list[float]]:
    """Train for ``epochs`` epochs; after each, print and record the training loss and accuracy
    (averaged over the epoch's photos while the weights changed) and the validation loss and
    accuracy (of the weights at the epoch's end). Returns {key: one value per epoch}."""
    optimizer.build(model.trainable_variables)
    history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
    for epoch in range(1, epochs + 1):
        total_loss = correct = seen = 0.0
        for images, labels in train_ds:
            loss, right = train_step(model, optimizer, images, labels)
            batch = int(images.shape[0])
            total_loss += float(loss) * batch
            correct += float(right)
            seen += batch
        val_loss, val_accuracy = evaluate(model, val_ds)
        for key, value in zip(HISTORY_KEYS, (total_loss / seen, correct / seen, val_loss, val_accuracy)):
            history[key].append(value)
        if verbose:
            print(f"epoch {epoch}/{epochs}: training accuracy {correct / seen:.3f}, "
                  f"validation accuracy {val_accuracy:.3f}, validation loss {val_loss:.4f}")
    return history


#: The tutorial's learning rate, for Adam.
LEARNING_RATE = 1e-4


def make_callbacks(folder: str | os.PathLike, patience: int) -> list[keras.callbacks.Callback]:
    """The three callbacks of :func:`fit_with_callbacks`, writing into ``folder``:
    ``best.keras`` (the model of the lowest validation loss so far), early stopping after
    ``patience`` epochs without a lower one (the best weights put back), and ``backup/`` (the
    state after the last finished epoch; ``fit`` starts from it and removes it when done)."""
    folder = Path(folder)
    return [
        keras.callbacks.ModelCheckpoint(str(folder / "best.keras"), monitor="val_loss",
                                        save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                      restore_best_weights=True),
        keras.callbacks.BackupAndRestore(str(folder / "backup")),
    ]


def fit_with_callbacks(model: keras.Model, train_ds: tf.data.Dataset, val_ds: tf.data.Dataset,
                       epochs: int, folder: str | os.PathLike, patience: int = 5,
                       more_callbacks: Sequence[keras.callbacks.Callback] = (),
                       verbose: int = 2) -> keras.callbacks.History:
    """The tutorial's recipe with ``compile`` and ``fit``: Adam at 1e-4, cross-entropy, accuracy,
    :func:`make_callbacks` (plus ``more_callbacks``); one line per epoch with ``verbose=2``."""
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.CategoricalCrossentropy(), metrics=["accuracy"])
    callbacks = make_callbacks(folder, patience) + list(more_callbacks)
    # shuffle=False: the pipeline shuffles (notebook 06); fit cannot shuffle a tf.data.Dataset
    return model.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks,
                     shuffle=False, verbose=verbose)
