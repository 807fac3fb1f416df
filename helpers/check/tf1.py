"""Checkers for notebook 13, "From TF1 to TF2": translate TF1 code, and know its files.

The reference answers are TF1 code run for real: each checker builds the TF1 version in its own
``tf.Graph`` and runs it in a ``tf.compat.v1.Session`` (eager execution stays on for the rest of
the process), then compares the learner's TF2 code with it.

    from helpers.check import tf1 as check
    check.forward_pass(forward)                    # Exercise 13.1: placeholder + sess.run -> a function
    check.checkpoint_files(checkpoint_contents)    # Exercise 13.2: what each saved file holds
    check.predict_from_file(predict_probabilities) # Exercise 13.3: load a .keras file and predict
    check.train_step(train_step)                   # Exercise 13.4: minimize + feed_dict -> GradientTape
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers.check import NOT_WRITTEN, call_safely, compare_arrays, report

#: Sizes of the small dense network of exercises 13.1 and 13.4: 4 inputs, 5 hidden units, 3 classes.
N_INPUTS, N_HIDDEN, N_CLASSES = 4, 5, 3

#: Training batches: (x, one-hot y) pairs.
Batches = Sequence[tuple[np.ndarray, np.ndarray]]


def snippet_weights() -> dict[str, np.ndarray]:
    """The weights of the TF1 snippet of exercises 13.1 and 13.4, always the same numbers.

    ``W1`` (4, 5), ``b1`` (5,), ``W2`` (5, 3), ``b2`` (3,), float32. The biases are not zero,
    so forgetting one changes the output.
    """
    rng = np.random.default_rng(13)
    return {
        "W1": rng.normal(0, 0.8, (N_INPUTS, N_HIDDEN)).astype(np.float32),
        "b1": rng.normal(0.1, 0.3, N_HIDDEN).astype(np.float32),
        "W2": rng.normal(0, 0.8, (N_HIDDEN, N_CLASSES)).astype(np.float32),
        "b2": rng.normal(0.0, 0.5, N_CLASSES).astype(np.float32),
    }


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def _problem_hint(problem: str) -> str:
    """A sentence for the TF1 habits that raise in TF2, "" for anything else."""
    if "placeholder" in problem or "eager execution" in problem:
        return (" In TF2 there is no placeholder to feed: the function's argument `x` *is* the "
                "input, so compute with it directly.")
    if "Session" in problem or "feed_dict" in problem:
        return " In TF2 nothing needs a session: operations run as soon as they are called."
    return ""


def _call(answer: Callable[..., Any], shown: str, *args: Any) -> tuple[Any, str]:
    """:func:`~helpers.check.call_safely`, with the arguments shown as ``shown`` in its message
    (a model, an optimizer or a tensor would otherwise be printed in full)."""
    got, problem = call_safely(answer, *args)
    if problem:
        name = getattr(answer, "__name__", "your function")
        for marker in (f") {NOT_WRITTEN}", ") raised "):
            at = problem.find(marker)
            if at >= 0:
                problem = f"{name}({shown}" + problem[at:]
                break
    return got, problem


def _to_array(value: Any, name: str) -> tuple[np.ndarray | None, str]:
    """``value`` (numpy array, tf.Tensor, list) as a float array, or (None, why not)."""
    if value is None:
        return None, f"{name} returned None: did you forget `return`?"
    if callable(value) and not isinstance(value, (np.ndarray, tf.Tensor)):
        return None, (f"{name} returned {type(value).__name__} object, not numbers: call it, "
                      "and return what it gives.")
    try:
        return np.asarray(value, dtype=float), ""
    except (TypeError, ValueError) as error:
        return None, (f"{name} returned a {type(value).__name__} that is not an array of numbers "
                      f"({error}).")


# --------------------------------------------------------------------------------------------
# Exercise 13.1: placeholder + sess.run(feed_dict) -> a TF2 function
# --------------------------------------------------------------------------------------------

#: The TF1 code of exercise 13.1, as the checker runs it (with tf.compat.v1 names).
FORWARD_TF1 = """\
x = tf.placeholder(tf.float32, shape=[None, 4], name="x")
W1 = tf.Variable(weights["W1"]); b1 = tf.Variable(weights["b1"])
W2 = tf.Variable(weights["W2"]); b2 = tf.Variable(weights["b2"])
hidden = tf.nn.relu(tf.matmul(x, W1) + b1)
y_pred = tf.nn.softmax(tf.matmul(hidden, W2) + b2, name="y_pred")
sess = tf.Session()
sess.run(tf.global_variables_initializer())
probabilities = sess.run(y_pred, feed_dict={x: batch})
"""


def run_tf1_forward(batch: np.ndarray, weights: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Run :data:`FORWARD_TF1` for real in its own graph and session; (n, 3) probabilities.

    ``batch`` is (n, 4); ``weights`` default to :func:`snippet_weights`.
    """
    weights = snippet_weights() if weights is None else weights
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, shape=[None, N_INPUTS], name="x")
        w1, b1 = tf.Variable(weights["W1"]), tf.Variable(weights["b1"])
        w2, b2 = tf.Variable(weights["W2"]), tf.Variable(weights["b2"])
        hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
        y_pred = tf.nn.softmax(tf.matmul(hidden, w2) + b2, name="y_pred")
        init = tf.compat.v1.global_variables_initializer()
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(init)
        return sess.run(y_pred, feed_dict={x: np.asarray(batch, dtype=np.float32)})


def _forward_cases() -> list[tuple[str, np.ndarray]]:
    """(description, batch) for exercise 13.1: batch sizes 1, 2 and 6, zeros, large values."""
    rng = np.random.default_rng(131)
    return [
        ("a batch of 1 image-vector", rng.normal(0, 1, (1, N_INPUTS)).astype(np.float32)),
        ("a batch of 6", rng.normal(0, 1, (6, N_INPUTS)).astype(np.float32)),
        ("a batch of 2 rows of zeros", np.zeros((2, N_INPUTS), np.float32)),
        ("a batch of 3 with large values", rng.normal(0, 6, (3, N_INPUTS)).astype(np.float32)),
    ]


def _forward_mistake(x: np.ndarray, got: np.ndarray) -> str:
    """Name the usual mistake behind a wrong forward pass, or "" if none matches."""
    w = snippet_weights()
    z1 = x @ w["W1"] + w["b1"]
    hidden = _relu(z1)
    logits = hidden @ w["W2"] + w["b2"]
    candidates = [
        (logits, "these are the logits, the scores before tf.nn.softmax: y_pred is their softmax."),
        (_softmax(z1 @ w["W2"] + w["b2"]), "the ReLU of the hidden layer is missing."),
        (_softmax(_relu(x @ w["W1"]) @ w["W2"] + w["b2"]), "the hidden layer's bias b1 is missing."),
        (_softmax(hidden @ w["W2"]), "the output layer's bias b2 is missing."),
        (_softmax(logits, axis=0), "the softmax runs down the batch (axis 0); each row (one input) "
                                   "must sum to 1, so it runs along the last axis."),
        (1 / (1 + np.exp(-logits)), "that is a sigmoid per class; tf.nn.softmax makes the scores of "
                                    "one input compete and sum to 1."),
        (np.argmax(logits, axis=1).astype(float), "these are class indices (an argmax); return the "
                                                  "probabilities, one row per input."),
    ]
    for candidate, message in candidates:
        if candidate.shape == got.shape and np.allclose(candidate, got, atol=1e-5):
            return message
    return ""


def forward_pass(answer: Callable[[Any], Any]) -> None:
    """Exercise 13.1: ``answer(x)`` returns what :data:`FORWARD_TF1` gives for ``batch = x``.

    The checker runs the TF1 snippet itself (:func:`run_tf1_forward`) on batches of 1, 2, 3 and
    6 rows of 4 numbers and compares the probabilities, (n, 3), to 1e-5.
    """
    problems: list[str] = []
    name = getattr(answer, "__name__", "your function")
    for description, x in _forward_cases():
        got, problem = _call(answer, f"x of shape {x.shape}", x.copy())
        if problem:
            problems.append(problem + _problem_hint(problem))
            break
        got, problem = _to_array(got, name)
        if problem:
            problems.append(problem)
            break
        expected = run_tf1_forward(x)
        wrong = compare_arrays(f"{name}(x)", got, expected, atol=1e-5)
        if wrong:
            mistake = _forward_mistake(x, got)
            if not mistake and got.shape != expected.shape and got.size == expected.size:
                mistake = "the values are there but the shape is not: keep one row per input."
            problems.append(f"for {description} (x of shape {x.shape}): "
                            + (mistake or wrong + " The TF1 graph gives "
                               + np.array2string(expected, precision=4) + "."))
            break
    report("Exercise 13.1", problems,
           success="your function gives the TF1 graph's probabilities for every batch size.",
           hint="read the TF1 code from the bottom: y_pred is what sess.run fetched, and every "
                "tensor it was built from becomes one line of Python, with x as the argument.")


# --------------------------------------------------------------------------------------------
# Exercise 13.2: what each saved file holds
# --------------------------------------------------------------------------------------------

#: The descriptions to choose from in exercise 13.2, by letter.
FILE_DESCRIPTIONS: dict[str, str] = {
    "A": "the graph: every operation, what feeds it, and names such as 'x:0' and 'y_pred:0'",
    "B": "the values of the variables (weights, biases, the optimizer's moving averages)",
    "C": "a table of contents: each variable's name, shape and type, and where its bytes are",
    "D": "a small text file that says which checkpoint is the latest",
    "E": "the architecture as JSON: the layers, their settings and how they connect",
    "F": "the weights of every layer, in HDF5",
    "G": "the Keras version and the date the file was saved",
}

#: The saved files of exercise 13.2 (the four a tf.train.Saver writes for the prefix "model",
#: and the three members of a .keras zip file) and the letter of what each holds.
FILE_ANSWERS: dict[str, str] = {
    "model.meta": "A",
    "model.data-00000-of-00001": "B",
    "model.index": "C",
    "checkpoint": "D",
    "config.json": "E",
    "model.weights.h5": "F",
    "metadata.json": "G",
}

#: Where to look again, per file, when its letter is wrong (points to the notebook, does not tell).
_FILE_CLUES: dict[str, str] = {
    "model.meta": "it is the file import_meta_graph reads to rebuild the network without its code.",
    "model.data-00000-of-00001": "it is the largest file, about 4 bytes per number the "
                                 "network and Adam keep.",
    "model.index": "tf.train.list_variables printed what it holds: names and shapes, no values.",
    "checkpoint": "it is the one file you can open in a text editor; tf.train.latest_checkpoint "
                  "reads it.",
    "config.json": "a .json file is text; the notebook printed the layer names it lists.",
    "model.weights.h5": ".h5 is HDF5, a format for big arrays of numbers.",
    "metadata.json": "it is the smallest member of the zip; the notebook printed its keys.",
}


def checkpoint_files(answer: Callable[[], Any]) -> None:
    """Exercise 13.2: ``answer()`` returns ``{file name: letter}`` for the seven files of
    :data:`FILE_ANSWERS`, each letter a key of :data:`FILE_DESCRIPTIONS` (any case).

    The message names each wrong file and where to look again, every missing file, every file
    name that does not exist, and a letter given to two files.
    """
    got, problem = call_safely(answer)
    problems = [problem] if problem else []
    if not problem:
        if got is None:
            problems.append("your function returned None: did you forget `return`?")
        elif not isinstance(got, Mapping):
            problems.append(f"your function returned a {type(got).__name__}; return a dict such as "
                            "{file name: letter, ...}, one entry per file.")
        else:
            answers = {str(k).strip(): str(v).strip().upper() for k, v in got.items()}
            unknown = [k for k in answers if k not in FILE_ANSWERS]
            for name in unknown:
                problems.append(f"there is no file named {name!r} here; the seven names are "
                                f"{', '.join(FILE_ANSWERS)}.")
            missing = [k for k in FILE_ANSWERS if k not in answers]
            if missing:
                problems.append(f"no letter for {', '.join(missing)}.")
            for name, letter in answers.items():
                if name in FILE_ANSWERS and letter not in FILE_DESCRIPTIONS:
                    problems.append(f"{name}: {letter!r} is not one of the letters "
                                    f"{', '.join(FILE_DESCRIPTIONS)}.")
            known = {k: v for k, v in answers.items() if k in FILE_ANSWERS and v in FILE_DESCRIPTIONS}
            for letter in sorted(set(known.values())):
                files = [k for k, v in known.items() if v == letter]
                if len(files) > 1:
                    problems.append(f"letter {letter} is given to {' and '.join(files)}; each "
                                    "description fits exactly one file.")
            for name, letter in known.items():
                if letter != FILE_ANSWERS[name]:
                    problems.append(f"{name} does not hold {letter} ({FILE_DESCRIPTIONS[letter]}). "
                                    f"Look again: {_FILE_CLUES[name]}")
    report("Exercise 13.2", problems,
           success=".meta = graph, .index = table of contents, .data = values, checkpoint = "
                   "the latest; a .keras zip = config.json + model.weights.h5 + metadata.json.",
           hint="section 6 of the notebook listed each file with its size and printed what it holds.")


# --------------------------------------------------------------------------------------------
# Exercise 13.3: load a .keras file and predict
# --------------------------------------------------------------------------------------------

#: Input size of the small models saved for exercise 13.3: (8, 8, 3) images in [0, 1].
SMALL_IMAGE_SIZE = 8


def make_small_model(num_classes: int, seed: int) -> keras.Model:
    """A small convnet for (8, 8, 3) images ending in a softmax, same weights for the same seed."""
    init = keras.initializers.RandomNormal(stddev=0.5, seed=seed)
    bias = keras.initializers.RandomNormal(stddev=0.3, seed=seed + 1)
    return keras.Sequential([
        keras.Input((SMALL_IMAGE_SIZE, SMALL_IMAGE_SIZE, 3)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer=init,
                            bias_initializer=bias, name="conv"),
        keras.layers.MaxPooling2D(2, name="pool"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(num_classes, kernel_initializer=init, bias_initializer=bias, name="fc"),
        keras.layers.Softmax(name="y_pred"),
    ], name=f"small_{num_classes}_classes")


def _prediction_cases(folder: Path) -> list[tuple[str, Path, np.ndarray, keras.Model]]:
    """(description, .keras path, images, the model saved there) for exercise 13.3."""
    rng = np.random.default_rng(133)
    cases = []
    for num_classes, seed, n in [(2, 1, 3), (3, 2, 1), (5, 3, 4)]:
        model = make_small_model(num_classes, seed)
        path = folder / f"model_{num_classes}_classes.keras"
        model.save(path)
        images = rng.uniform(0, 1, (n, SMALL_IMAGE_SIZE, SMALL_IMAGE_SIZE, 3)).astype(np.float32)
        cases.append((f"a {num_classes}-class model and a batch of {n}", path, images, model))
    return cases


def _prediction_mistake(got: np.ndarray, model: keras.Model, images: np.ndarray,
                        expected: np.ndarray) -> str:
    """Name the usual mistake behind a wrong prediction ``got``, or "" if none matches."""
    if got.shape == expected.shape[:1] and np.array_equal(got, np.argmax(expected, axis=1)):
        return "these are class indices (an argmax); return the probabilities, one row per image."
    if got.shape == expected.shape[1:] and np.allclose(got, expected[0], atol=1e-5):
        return "the batch axis is gone (a squeeze or [0]); return shape (number of images, classes)."
    rescaled = model(images / np.float32(255), training=False).numpy()
    if got.shape == rescaled.shape and np.allclose(got, rescaled, atol=1e-5):
        return ("the images were divided by 255 again: they are already in [0, 1]. Use exactly the "
                "preprocessing the model was trained with, no more.")
    if got.shape == expected.shape and np.allclose(got.sum(axis=-1), 1, atol=1e-4):
        return ("valid probabilities, but not this model's: load the file at `path` (the checker "
                "passes a different file each time) instead of building or reusing a model.")
    return ""


def predict_from_file(answer: Callable[[Any, np.ndarray], Any]) -> None:
    """Exercise 13.3: ``answer(path, images)`` loads the ``.keras`` file at ``path`` and returns
    its class probabilities for ``images`` (n, 8, 8, 3) in [0, 1]: an array (n, num_classes).

    The checker saves three different small models (2, 3 and 5 classes) and compares with each
    model's own ``predict``, to 1e-5.
    """
    problems: list[str] = []
    name = getattr(answer, "__name__", "your function")
    with tempfile.TemporaryDirectory(prefix="check_tf1_") as folder:
        for description, path, images, model in _prediction_cases(Path(folder)):
            got, problem = call_safely(answer, str(path), images.copy())
            if problem:
                problems.append(problem.replace(str(folder), "<folder>"))
                break
            expected = model(images, training=False).numpy()
            if isinstance(got, keras.Model):
                problems.append(f"for {description}: you returned the model itself; call its "
                                "predict on the images and return what it gives.")
                break
            array, problem = _to_array(got, name)
            if problem:
                problems.append(f"for {description}: {problem}")
                break
            wrong = compare_arrays(f"{name}(path, images)", array, expected, atol=1e-5)
            if wrong:
                mistake = _prediction_mistake(array, model, images, expected)
                problems.append(f"for {description}: {mistake or wrong}")
                break
    report("Exercise 13.3", problems,
           success="load_model + predict give the saved model's probabilities, whatever the file.",
           hint="keras.models.load_model(path, safe_mode=True) returns the model; its predict "
                "method takes the batch of images.")


# --------------------------------------------------------------------------------------------
# Exercise 13.4: AdamOptimizer(...).minimize(cost) + sess.run(feed_dict) -> GradientTape
# --------------------------------------------------------------------------------------------

#: The TF1 training code of exercise 13.4 (the checker runs it with tf.compat.v1 names).
TRAIN_STEP_TF1 = """\
x = tf.placeholder(tf.float32, shape=[None, 4], name="x")
y_true = tf.placeholder(tf.float32, shape=[None, 3], name="y_true")
hidden = tf.nn.relu(tf.matmul(x, W1) + b1)
logits = tf.matmul(hidden, W2) + b2
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=logits))
train_op = tf.train.AdamOptimizer(learning_rate=0.05).minimize(cost)
...
for x_batch, y_batch in batches:
    _, batch_cost = sess.run([train_op, cost], feed_dict={x: x_batch, y_true: y_batch})
"""

#: (name, TF1 optimizer, Keras optimizer) pairs the checker trains with. Keras's Adam takes
#: epsilon=1e-8, TF1's default (Keras's own default is 1e-7), so both take the same steps.
_OPTIMIZERS: list[tuple[str, Callable[[], Any], Callable[[], keras.optimizers.Optimizer]]] = [
    ("Adam(learning_rate=0.05)",
     lambda: tf.compat.v1.train.AdamOptimizer(learning_rate=0.05),
     lambda: keras.optimizers.Adam(learning_rate=0.05, epsilon=1e-8)),
    ("SGD(learning_rate=0.5)",
     lambda: tf.compat.v1.train.GradientDescentOptimizer(learning_rate=0.5),
     lambda: keras.optimizers.SGD(learning_rate=0.5)),
]

#: Names of the model's variables, in the order of ``model.trainable_variables``.
_VARIABLE_NAMES = ["fc1 kernel (W1)", "fc1 bias (b1)", "fc2 kernel (W2)", "fc2 bias (b2)"]


def training_batches(steps: int = 3, batch_size: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (x, one-hot y) batches exercise 13.4 trains on: (8, 4) and (8, 3) float32 each."""
    rng = np.random.default_rng(134)
    batches = []
    for _ in range(steps):
        x = rng.normal(0, 1, (batch_size, N_INPUTS)).astype(np.float32)
        y = np.eye(N_CLASSES, dtype=np.float32)[rng.integers(0, N_CLASSES, batch_size)]
        batches.append((x, y))
    return batches


def make_logits_model(weights: Mapping[str, np.ndarray] | None = None) -> keras.Model:
    """The network of :data:`TRAIN_STEP_TF1` in Keras, starting from :func:`snippet_weights`.

    4 inputs → Dense(5, ReLU) "fc1" → Dense(3) "fc2": it returns the **logits**, like ``logits``
    in the TF1 code (no softmax layer).
    """
    weights = snippet_weights() if weights is None else weights
    model = keras.Sequential([
        keras.Input((N_INPUTS,)),
        keras.layers.Dense(N_HIDDEN, activation="relu", name="fc1"),
        keras.layers.Dense(N_CLASSES, name="fc2"),
    ], name="logits_model")
    model.set_weights([weights["W1"], weights["b1"], weights["W2"], weights["b2"]])
    return model


def run_tf1_training(optimizer: Callable[[], Any],
                     batches: Batches) -> tuple[list[float], list[list[np.ndarray]]]:
    """Run :data:`TRAIN_STEP_TF1` for real: ``(costs, weights)``, one entry per step.

    ``costs[i]`` is the cost ``sess.run([train_op, cost])`` returns at step i, computed *before*
    that step's update; ``weights[i]`` the four variables after it.
    """
    w = snippet_weights()
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, shape=[None, N_INPUTS], name="x")
        y_true = tf.compat.v1.placeholder(tf.float32, shape=[None, N_CLASSES], name="y_true")
        variables = [tf.compat.v1.get_variable(k, initializer=w[k]) for k in ("W1", "b1", "W2", "b2")]
        w1, b1, w2, b2 = variables
        hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
        logits = tf.matmul(hidden, w2) + b2
        cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=logits))
        train_op = optimizer().minimize(cost)
        init = tf.compat.v1.global_variables_initializer()
    costs, weights = [], []
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(init)
        for x_batch, y_batch in batches:
            _, batch_cost = sess.run([train_op, cost], feed_dict={x: x_batch, y_true: y_batch})
            costs.append(float(batch_cost))
            weights.append(sess.run(variables))
    return costs, weights


def _variant_run(make_optimizer: Callable[[], keras.optimizers.Optimizer], batches: Batches,
                 mistake: str) -> list[tuple[float, list[np.ndarray]]]:
    """A GradientTape training run with one typical mistake: (loss returned, weights) per step."""
    model = make_logits_model()
    optimizer = make_optimizer()
    out = []
    for x, y in batches:
        if mistake == "new optimizer":
            optimizer = make_optimizer()
        with tf.GradientTape() as tape:
            logits = model(x)
            if mistake == "from_logits=False":
                losses = keras.losses.categorical_crossentropy(y, logits, from_logits=False)
            else:
                losses = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)
            loss = tf.reduce_sum(losses) if mistake == "sum" else tf.reduce_mean(losses)
        grads = tape.gradient(loss, model.trainable_variables)
        if mistake == "ascent":
            grads = [-g for g in grads]
        if mistake != "no update":
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        out.append((float(loss), [v.numpy() for v in model.trainable_variables]))
    return out


_VARIANT_MESSAGES = {
    "no update": "the weights did not change: the step must hand the gradients, paired with "
                 "the model's trainable variables, to the optimizer passed in.",
    "new optimizer": "the first step is right but a later one is not: Adam keeps moving averages "
                     "of the gradients from step to step, so use the optimizer passed in instead "
                     "of creating a new one inside train_step.",
    "sum": "the loss is summed over the batch; TF1's cost is tf.reduce_mean of the per-example "
           "cross-entropies.",
    "from_logits=False": "the model returns logits, but the loss treated them as probabilities: "
                         "use from_logits=True (or tf.nn.softmax_cross_entropy_with_logits).",
    "ascent": "the weights moved uphill: apply the gradients of the loss as they are, the "
              "optimizer subtracts them itself.",
}


def _same_weights(a: Sequence[np.ndarray], b: Sequence[np.ndarray], atol: float = 1e-5) -> bool:
    return len(a) == len(b) and all(np.shape(u) == np.shape(v) and np.allclose(u, v, atol=atol)
                                    for u, v in zip(a, b))


def _diagnose_step(optimizer_name: str, make_optimizer: Callable[[], keras.optimizers.Optimizer],
                   batches: Batches, step: int, got_loss: float | None,
                   got_weights: list[np.ndarray]) -> str:
    """Which typical mistake gives the learner's loss and weights after ``step``, or ""."""
    for mistake in _VARIANT_MESSAGES:
        if mistake == "new optimizer" and not optimizer_name.startswith("Adam"):
            continue
        loss, weights = _variant_run(make_optimizer, batches, mistake)[step]
        if _same_weights(got_weights, weights) and (
                got_loss is None or mistake in ("no update", "new optimizer", "ascent")
                or np.isclose(got_loss, loss, atol=1e-5)):
            return _VARIANT_MESSAGES[mistake]
    return ""


def train_step(answer: Callable[..., Any]) -> None:
    """Exercise 13.4: ``answer(model, optimizer, x, y)`` takes one training step and returns the
    loss computed before it, as :data:`TRAIN_STEP_TF1` does with ``sess.run([train_op, cost])``.

    ``model`` is :func:`make_logits_model` (it returns logits), ``optimizer`` a Keras Adam or SGD,
    ``x`` (8, 4) and ``y`` (8, 3) one-hot. The checker takes three steps with each optimizer and
    compares the loss and the four variables after every step with the TF1 graph's, to 1e-5.
    """
    problems: list[str] = []
    batches = training_batches()
    for optimizer_name, tf1_optimizer, keras_optimizer in _OPTIMIZERS:
        costs, tf1_weights = run_tf1_training(tf1_optimizer, batches)
        model, optimizer = make_logits_model(), keras_optimizer()
        for step, (x, y) in enumerate(batches):
            case = f"with {optimizer_name}, step {step + 1}"
            got, problem = _call(answer, "model, optimizer, x, y", model, optimizer, x.copy(),
                                 y.copy())
            if problem:
                if "No gradients provided" in problem or "NoneType" in problem:
                    problem += (" The gradients were None: compute the loss *inside* the "
                                "GradientTape block, from model(x).")
                problems.append(f"{case}: {problem}")
                break
            got_loss = None
            if got is None:
                problems.append(f"{case}: your function returned None; return the loss (the "
                                "cost TF1's sess.run([train_op, cost]) gives).")
            else:
                try:
                    loss_array = np.asarray(got, dtype=float) if not callable(got) else np.array([])
                except (TypeError, ValueError):
                    loss_array = np.array([])
                if loss_array.size != 1:
                    problems.append(f"{case}: your function returned {type(got).__name__} "
                                    f"{loss_array.shape if loss_array.size else ''}; return the "
                                    "loss, one number (the mean over the batch).")
                else:
                    got_loss = float(loss_array.reshape(()))
            got_weights = [v.numpy() for v in model.trainable_variables]
            if not _same_weights(got_weights, tf1_weights[step]):
                mistake = _diagnose_step(optimizer_name, keras_optimizer, batches, step, got_loss,
                                         got_weights)
                if mistake:
                    problems.append(f"{case}: {mistake}")
                else:
                    wrong = [n for n, a, b in zip(_VARIABLE_NAMES, got_weights, tf1_weights[step])
                             if not np.allclose(a, b, atol=1e-5)]
                    problems.append(f"{case}: after your step {', '.join(wrong)} differ from "
                                    "the TF1 graph's (cost before the step: "
                                    f"{costs[step]:.4f}, yours: "
                                    f"{'none' if got_loss is None else f'{got_loss:.4f}'}).")
                break
            if got_loss is not None and np.isclose(got_loss, len(x) * costs[step], rtol=1e-5):
                problems.append(f"{case}: you returned the loss {got_loss:.4f}, {len(x)} times "
                                f"TF1's cost {costs[step]:.4f}: {_VARIANT_MESSAGES['sum']}")
            elif got_loss is not None and not np.isclose(got_loss, costs[step], atol=1e-5):
                problems.append(f"{case}: the weights are right but you returned the loss "
                                f"{got_loss:.4f}; TF1's cost for this batch is {costs[step]:.4f}. "
                                "Return the loss computed in the tape, before the update.")
            if problems:
                break
        if problems:
            break
    report("Exercise 13.4", problems,
           success="your GradientTape step takes exactly the TF1 graph's steps, with Adam and SGD.",
           hint="three steps do the work: the loss computed while a GradientTape records, "
                "then the tape's gradients, then the optimizer applies them.")
