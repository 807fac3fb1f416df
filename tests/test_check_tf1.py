"""Tests of helpers.check.tf1: right answers pass, typical mistakes are named, stubs are
"not written yet". The checkers run TF1 code under tf.compat.v1 in their own graphs; the first
tests check those references.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.check import NOT_WRITTEN
from helpers.check import tf1 as check

from _checking import fails_with, not_written

W = check.snippet_weights()


# ---- The TF1 references the checkers stand on ------------------------------------------------


def test_snippet_weights_are_the_same_numbers_every_time():
    again = check.snippet_weights()
    assert all(np.array_equal(W[k], again[k]) for k in W)
    assert {k: v.shape for k, v in W.items()} == {"W1": (4, 5), "b1": (5,), "W2": (5, 3), "b2": (3,)}


def test_tf1_forward_graph_matches_numpy_and_leaves_eager_on():
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    hidden = np.maximum(x @ W["W1"] + W["b1"], 0)
    logits = hidden @ W["W2"] + W["b2"]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(check.run_tf1_forward(x), expected, atol=1e-6)
    assert tf.executing_eagerly()


def test_tf1_training_run_returns_the_cost_before_each_step():
    batches = check.training_batches()
    costs, weights = check.run_tf1_training(check._OPTIMIZERS[1][1], batches)  # SGD
    model = check.make_logits_model()
    x, y = batches[0]
    first_cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=model(x)))
    assert costs[0] == pytest.approx(float(first_cost), abs=1e-6)
    assert len(costs) == len(weights) == len(batches)
    assert not np.allclose(weights[0][0], W["W1"])  # the variables moved


def test_keras_adam_with_tf1_epsilon_takes_the_same_steps_as_tf1_adam():
    def step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = keras.losses.CategoricalCrossentropy(from_logits=True)(y, model(x))
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    batches = check.training_batches()
    _, tf1_weights = check.run_tf1_training(check._OPTIMIZERS[0][1], batches)
    model, optimizer = check.make_logits_model(), check._OPTIMIZERS[0][2]()
    for x, y in batches:
        step(model, optimizer, x, y)
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(model.get_weights(), tf1_weights[-1]))


def test_small_models_for_prediction_are_reproducible_and_end_in_softmax():
    a, b = check.make_small_model(3, seed=2), check.make_small_model(3, seed=2)
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype(np.float32)
    assert np.array_equal(a.predict(images, verbose=0), b.predict(images, verbose=0))
    assert np.allclose(a.predict(images, verbose=0).sum(axis=1), 1, atol=1e-6)


# ---- Exercise 13.1: placeholder + feed_dict -> a function --------------------------------------


def right_forward(x):
    hidden = tf.nn.relu(tf.matmul(x, W["W1"]) + W["b1"])
    return tf.nn.softmax(tf.matmul(hidden, W["W2"]) + W["b2"])


@tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
def traced_forward(x):
    return right_forward(x)


def numpy_forward(x):
    hidden = np.maximum(x @ W["W1"] + W["b1"], 0)
    logits = hidden @ W["W2"] + W["b2"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("answer", [right_forward, traced_forward, numpy_forward],
                         ids=["eager", "tf.function", "numpy"])
def test_forward_pass_right_answers_pass(answer, capsys):
    check.forward_pass(answer)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 13.1")


@pytest.mark.parametrize("wrong, words", [
    (lambda x: tf.matmul(tf.nn.relu(tf.matmul(x, W["W1"]) + W["b1"]), W["W2"]) + W["b2"], "logits"),
    (lambda x: tf.nn.softmax(tf.matmul(tf.matmul(x, W["W1"]) + W["b1"], W["W2"]) + W["b2"]), "ReLU"),
    (lambda x: tf.nn.softmax(tf.matmul(tf.nn.relu(tf.matmul(x, W["W1"])), W["W2"]) + W["b2"]), "b1"),
    (lambda x: tf.nn.softmax(tf.matmul(tf.nn.relu(tf.matmul(x, W["W1"]) + W["b1"]), W["W2"])), "b2"),
    (lambda x: tf.nn.softmax(tf.matmul(tf.nn.relu(tf.matmul(x, W["W1"]) + W["b1"]), W["W2"]) + W["b2"],
                             axis=0), "axis 0"),
    (lambda x: tf.sigmoid(tf.matmul(tf.nn.relu(tf.matmul(x, W["W1"]) + W["b1"]), W["W2"]) + W["b2"]),
     "sigmoid"),
    (lambda x: tf.argmax(right_forward(x), axis=1), "class indices"),
    (lambda x: tf.reshape(right_forward(x), [-1]), "shape"),
    (lambda x: None, "forget `return`"),
    (lambda x: right_forward, "call it"),
], ids=["logits", "no-relu", "no-b1", "no-b2", "axis0", "sigmoid", "argmax", "flat", "none", "function"])
def test_forward_pass_mistakes_are_named(wrong, words):
    fails_with(check.forward_pass, wrong, "Exercise 13.1", words)


def test_forward_pass_with_a_placeholder_explains_that_the_argument_is_the_input():
    def with_placeholder(x):
        x = tf.compat.v1.placeholder(tf.float32, [None, 4])
        return right_forward(x)

    fails_with(check.forward_pass, with_placeholder, "not compatible with eager execution",
               "argument `x` *is* the input")


def test_forward_pass_fixed_batch_size_is_caught_on_another_batch_size():
    def fixed(x):
        return right_forward(tf.reshape(x, [1, 4]))

    fails_with(check.forward_pass, fixed, "x of shape (6, 4)", "raised")


def test_forward_pass_stub_is_not_written_yet_without_a_hint():
    message = fails_with(check.forward_pass, not_written, NOT_WRITTEN)
    assert "Hint" not in message


# ---- Exercise 13.2: what each file holds -------------------------------------------------------


def right_files():
    return dict(check.FILE_ANSWERS)


def test_checkpoint_files_right_answer_passes(capsys):
    check.checkpoint_files(right_files)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 13.2")


def test_checkpoint_files_accepts_lower_case_letters_and_spaces(capsys):
    check.checkpoint_files(lambda: {f" {k} ": f"{v.lower()} " for k, v in check.FILE_ANSWERS.items()})
    assert "\N{CHECK MARK}" in capsys.readouterr().out


def test_checkpoint_files_swapped_index_and_data_names_both_files():
    answer = right_files()
    answer["model.index"], answer["model.data-00000-of-00001"] = "B", "C"
    message = fails_with(check.checkpoint_files, lambda: answer, "model.index does not hold B",
                         "model.data-00000-of-00001 does not hold C", "list_variables")
    assert "model.meta" not in message.split("Hint")[0].replace("the seven names are", "")


def test_checkpoint_files_names_missing_unknown_and_duplicate_letters():
    answer = {"model.meta": "A", "model.data": "B", "model.index": "A", "checkpoint": "Z"}
    fails_with(check.checkpoint_files, lambda: answer,
               "no file named 'model.data'", "no letter for model.data-00000-of-00001",
               "'Z' is not one of the letters", "letter A is given to model.meta and model.index")


@pytest.mark.parametrize("wrong, words", [
    (lambda: None, "forget `return`"),
    (lambda: ["A", "B"], "return a dict"),
], ids=["none", "list"])
def test_checkpoint_files_wrong_types_are_named(wrong, words):
    fails_with(check.checkpoint_files, wrong, words)


def test_checkpoint_files_stub_is_not_written_yet():
    message = fails_with(check.checkpoint_files, not_written, NOT_WRITTEN)
    assert "Hint" not in message


# ---- Exercise 13.3: load a .keras file and predict ---------------------------------------------


def right_predict(path, images):
    return keras.models.load_model(path, safe_mode=True).predict(images, verbose=0)


def test_predict_from_file_right_answer_passes(capsys):
    check.predict_from_file(right_predict)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 13.3")


def test_predict_from_file_calling_the_model_directly_passes(capsys):
    check.predict_from_file(lambda path, images: keras.models.load_model(path)(images))
    assert "\N{CHECK MARK}" in capsys.readouterr().out


def wrong_model(path, images):
    return check.make_small_model(2, seed=99).predict(images, verbose=0)


@pytest.mark.parametrize("wrong, words", [
    (lambda path, images: np.argmax(right_predict(path, images), axis=1), "class indices"),
    (lambda path, images: right_predict(path, images / 255.0), "divided by 255 again"),
    (lambda path, images: right_predict(path, images)[0], "batch axis is gone"),
    (lambda path, images: keras.models.load_model(path), "the model itself"),
    (wrong_model, "load the file at `path`"),
    (lambda path, images: None, "forget `return`"),
    (lambda path, images: "cat", "not an array of numbers"),
], ids=["argmax", "rescaled", "squeezed", "model", "other-model", "none", "string"])
def test_predict_from_file_mistakes_are_named(wrong, words):
    fails_with(check.predict_from_file, wrong, "Exercise 13.3", words)


def test_predict_from_file_hard_coded_file_is_caught_on_the_second_model():
    first = {}

    def remembers_first_path(path, images):
        first.setdefault("path", path)
        return right_predict(first["path"], images)

    fails_with(check.predict_from_file, remembers_first_path, "3-class model", "shape")


def test_predict_from_file_error_message_hides_the_temporary_folder():
    message = fails_with(check.predict_from_file,
                         lambda path, images: keras.models.load_model(path + ".h5"), "raised")
    assert "<folder>/model_2_classes.keras" in message and "check_tf1_" not in message


def test_predict_from_file_stub_is_not_written_yet():
    message = fails_with(check.predict_from_file, not_written, NOT_WRITTEN)
    assert "Hint" not in message


# ---- Exercise 13.4: a TF1 training step with GradientTape ---------------------------------------


def right_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def keras_loss_step(model, optimizer, x, y):
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return float(loss)


@pytest.mark.parametrize("answer", [right_step, keras_loss_step], ids=["tf.nn", "keras-loss"])
def test_train_step_right_answers_pass(answer, capsys):
    check.train_step(answer)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 13.4")


def step_with(loss_of, apply=True, sign=1.0, new_optimizer=False, returned="before"):
    """A training step with one mistake switched on."""
    def step(model, optimizer, x, y):
        if new_optimizer:
            optimizer = keras.optimizers.Adam(learning_rate=0.05, epsilon=1e-8)
        with tf.GradientTape() as tape:
            loss = loss_of(y, model(x))
        gradients = tape.gradient(loss, model.trainable_variables)
        if apply:
            optimizer.apply_gradients(zip([sign * g for g in gradients], model.trainable_variables))
        if returned == "after":
            return loss_of(y, model(x))
        return loss
    return step


def mean_ce(y, logits):
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))


def sum_ce(y, logits):
    return tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))


def probabilities_ce(y, logits):
    return keras.losses.CategoricalCrossentropy()(y, logits)


def loss_outside_the_tape(model, optimizer, x, y):
    loss = mean_ce(y, model(x))
    with tf.GradientTape() as tape:
        pass
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


def only_last_layer(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = mean_ce(y, model(x))
    variables = model.trainable_variables[2:]
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss


@pytest.mark.parametrize("wrong, words", [
    (step_with(mean_ce, apply=False), "weights did not change"),
    (step_with(mean_ce, new_optimizer=True), "use the optimizer passed in"),
    (step_with(sum_ce), "summed over the batch"),
    (step_with(probabilities_ce), "from_logits=True"),
    (step_with(mean_ce, sign=-1.0), "moved uphill"),
    (step_with(mean_ce, returned="after"), "before the update"),
    (loss_outside_the_tape, "*inside* the GradientTape block"),
    (only_last_layer, "fc1 kernel (W1), fc1 bias (b1) differ"),
    (lambda model, optimizer, x, y: None, "return the loss"),
], ids=["no-apply", "new-optimizer", "sum", "from-logits", "ascent", "loss-after", "outside-tape",
        "partial", "none"])
def test_train_step_mistakes_are_named(wrong, words):
    fails_with(check.train_step, wrong, "Exercise 13.4", words)


def test_train_step_messages_do_not_print_the_model_or_tensors():
    message = fails_with(check.train_step, loss_outside_the_tape,
                         "loss_outside_the_tape(model, optimizer, x, y) raised")
    assert "0x" not in message and "numpy=" not in message


def test_train_step_stub_is_not_written_yet():
    message = fails_with(check.train_step, not_written, NOT_WRITTEN)
    assert "Hint" not in message


def test_train_step_returning_text_is_named_not_a_crash():
    def returns_text(model, optimizer, x, y):
        right_step(model, optimizer, x, y)
        return "done"

    fails_with(check.train_step, returns_text, "returned str", "one number")
