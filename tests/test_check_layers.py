"""The checkers of notebook 02 accept right answers and explain the typical wrong ones."""

import numpy as np
import pytest

from helpers import neuron
from helpers.check import ExerciseError
from helpers.check import layers as check


def stub(*args):
    raise NotImplementedError


# ---- Exercise 2.1: softmax ------------------------------------------------------------------


def stable_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def test_softmax_accepts_the_stable_version(capsys):
    check.softmax(stable_softmax)
    assert "Exercise 2.1 (a stable softmax): correct" in capsys.readouterr().out


def test_softmax_accepts_the_course_helper(capsys):
    check.softmax(neuron.softmax)
    assert "correct" in capsys.readouterr().out


def test_softmax_naive_formula_overflows_at_1000_and_the_hint_says_subtract_the_max():
    def naive(z):
        return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)

    expected = r"(?s)numpy warned: .*overflow.*Subtract the row's maximum"
    with pytest.raises(ExerciseError, match=expected):
        check.softmax(naive)


def test_softmax_subtracting_the_batch_maximum_fails_on_rows_far_below_it():
    def batch_max(z):
        e = np.exp(z - np.max(z))
        return e / np.sum(e, axis=-1, keepdims=True)

    with pytest.raises(ExerciseError, match="each row's own maximum"):
        check.softmax(batch_max)


def test_softmax_over_the_batch_axis_is_named():
    with pytest.raises(ExerciseError, match="each column, not each row, sums to 1"):
        check.softmax(lambda z: neuron.softmax(z, axis=0))


def test_softmax_normalised_over_the_whole_batch_is_named():
    def whole_batch(z):
        e = np.exp(z - np.max(z))
        return e / np.sum(e)

    with pytest.raises(ExerciseError, match="the whole batch sums to 1"):
        check.softmax(whole_batch)


def test_softmax_without_keepdims_gets_a_broadcasting_hint():
    def no_keepdims(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e, axis=1)

    with pytest.raises(ExerciseError, match="keepdims=True"):
        check.softmax(no_keepdims)


def test_softmax_without_exponentials_is_named():
    with pytest.raises(ExerciseError, match="without taking e to their power"):
        check.softmax(lambda z: z / np.sum(z, axis=-1, keepdims=True))


def test_softmax_that_changes_its_input_is_caught():
    def in_place(z):
        z -= np.max(z, axis=-1, keepdims=True)
        e = np.exp(z)
        return e / np.sum(e, axis=-1, keepdims=True)

    with pytest.raises(ExerciseError, match="changed the scores"):
        check.softmax(in_place)


def test_softmax_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.softmax(stub)


# ---- Exercise 2.2: forward pass -------------------------------------------------------------


def right_forward(x, W1, b1, W2, b2):
    h = neuron.relu(x @ W1 + b1)
    return h, h @ W2 + b2


def test_forward_accepts_relu_then_linear(capsys):
    check.forward(right_forward)
    assert "Exercise 2.2 (a forward pass): correct" in capsys.readouterr().out


def test_forward_accepts_the_course_helper(capsys):
    def with_helper(x, W1, b1, W2, b2):
        h = neuron.dense_forward(x, W1, b1, neuron.relu)
        return h, neuron.dense_forward(h, W2, b2)

    check.forward(with_helper)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda x, W1, b1, W2, b2: (x @ W1 + b1, (x @ W1 + b1) @ W2 + b2),
     "hidden layer is off.*ReLU is missing"),
    (lambda x, W1, b1, W2, b2: (neuron.relu(x @ W1), neuron.relu(x @ W1) @ W2 + b2),
     "hidden layer is off.*bias b1 is missing"),
    (lambda x, W1, b1, W2, b2: (neuron.sigmoid(x @ W1 + b1), neuron.sigmoid(x @ W1 + b1) @ W2 + b2),
     "hidden layer is off.*sigmoid"),
    (lambda x, W1, b1, W2, b2: right_forward(x, W1, b1, W2, b2)[:1]
     + (neuron.relu(right_forward(x, W1, b1, W2, b2)[1]),),
     "output layer is off.*ReLU was applied to the output layer"),
    (lambda x, W1, b1, W2, b2: right_forward(x, W1, b1, W2, b2)[:1]
     + (neuron.softmax(right_forward(x, W1, b1, W2, b2)[1]),),
     "output layer is off.*Softmax was applied"),
    (lambda x, W1, b1, W2, b2: (neuron.relu(x @ W1 + b1), neuron.relu(x @ W1 + b1) @ W2),
     "output layer is off.*bias b2 is missing"),
    (lambda x, W1, b1, W2, b2: (neuron.relu(x @ W1 + b1), (x @ W1 + b1) @ W2 + b2),
     "output layer is off.*fed z1"),
])
def test_forward_says_which_layer_is_off_and_why(wrong, message):
    with pytest.raises(ExerciseError, match=f"(?s){message}"):
        check.forward(wrong)


def test_forward_with_a_wrong_hidden_layer_says_the_output_layer_follows_from_it():
    def no_relu(x, W1, b1, W2, b2):
        h = x @ W1 + b1
        return h, h @ W2 + b2

    with pytest.raises(ExerciseError, match="Given your h, the output layer is right"):
        check.forward(no_relu)


def test_forward_with_transposed_weights_explains_the_keras_layout():
    def transposed(x, W1, b1, W2, b2):
        h = neuron.relu(W1 @ x + b1)
        return h, h @ W2 + b2

    with pytest.raises(ExerciseError, match=r"x @ W1 \(not W1 @ x"):
        check.forward(transposed)


def test_forward_must_return_both_layers():
    with pytest.raises(ExerciseError, match="return the pair `h, scores`"):
        check.forward(lambda x, W1, b1, W2, b2: right_forward(x, W1, b1, W2, b2)[1])


def test_forward_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.forward(stub)


# ---- Exercise 2.3: cross-entropy ------------------------------------------------------------


def right_cross_entropy(y_true, probs):
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    return np.mean(-np.sum(y_true * np.log(p), axis=-1))


def test_cross_entropy_accepts_the_clipped_mean(capsys):
    check.cross_entropy(right_cross_entropy)
    assert "Exercise 2.3 (cross-entropy for a batch): correct" in capsys.readouterr().out


def test_cross_entropy_accepts_the_course_helper(capsys):
    check.cross_entropy(neuron.cross_entropy)
    assert "correct" in capsys.readouterr().out


def clip(p):
    return np.clip(p, 1e-7, 1 - 1e-7)


@pytest.mark.parametrize("wrong, message", [
    (lambda y, p: np.sum(-np.sum(y * np.log(clip(p)), axis=-1)), "summed over the batch"),
    (lambda y, p: -np.sum(y * np.log(clip(p)), axis=-1), "one loss per example"),
    (lambda y, p: -np.mean(y * np.log(clip(p))), "averaged over classes too"),
    (lambda y, p: np.mean(np.sum(y * np.log(clip(p)), axis=-1)), "minus sign is missing"),
    (lambda y, p: -np.mean(np.sum((1 - y) * np.log(clip(p)), axis=-1)), "wrong classes"),
    (lambda y, p: -np.mean(np.log(np.max(p, axis=-1))), "most probable class"),
    (lambda y, p: -np.mean(np.log(p[:, 0])), "always took class 0"),
    (lambda y, p: -np.mean(np.sum(y * np.log10(clip(p)), axis=-1)), "log10"),
    (lambda y, p: -np.mean(np.sum(y * np.log(clip(p)) + (1 - y) * np.log(1 - clip(p)), axis=-1)),
     "binary cross-entropy"),
])
def test_cross_entropy_names_the_usual_mistakes(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check.cross_entropy(wrong)


def test_cross_entropy_without_clipping_is_told_to_clip():
    def unclipped(y, p):
        return np.mean(-np.sum(y * np.log(p), axis=-1))

    with pytest.raises(ExerciseError, match=r"(?s)log\(0\) = −∞\. Clip the probabilities"):
        check.cross_entropy(unclipped)


def test_cross_entropy_with_another_epsilon_is_told_keras_uses_1e_7():
    def other_epsilon(y, p):
        return np.mean(-np.sum(y * np.log(np.clip(p, 1e-12, 1)), axis=-1))

    with pytest.raises(ExerciseError, match="Keras's epsilon"):
        check.cross_entropy(other_epsilon)


def test_cross_entropy_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.cross_entropy(stub)


# ---- Exercise 2.4: counting parameters ------------------------------------------------------


def right_count(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def test_count_parameters_accepts_weights_plus_biases(capsys):
    check.count_parameters(right_count)
    assert "Exercise 2.4 (counting parameters): correct" in capsys.readouterr().out


def test_count_parameters_agrees_with_keras():
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128), keras.layers.Dense(10)])
    assert right_count([784, 128, 10]) == model.count_params()


@pytest.mark.parametrize("wrong, message", [
    (lambda s: sum(a * b for a, b in zip(s, s[1:])), "biases are missing"),
    (lambda s: right_count(s) + s[0], "input layer biases too"),
    (lambda s: int(np.prod(s)), "consecutive layers only"),
    (lambda s: sum(s), "counts neurons"),
    (lambda s: s[0] * s[1] + s[1], "Only the first layer"),
])
def test_count_parameters_names_the_usual_mistakes(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check.count_parameters(wrong)


def test_count_parameters_input_layer_only_has_none():
    def crashes_on_one_layer(sizes):
        return right_count(sizes) if len(sizes) > 1 else 1

    with pytest.raises(ExerciseError, match="only an input layer has no weights"):
        check.count_parameters(crashes_on_one_layer)


def test_count_parameters_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.count_parameters(stub)


def test_a_stub_gets_no_solution_hint():
    with pytest.raises(ExerciseError) as raised:
        check.cross_entropy(stub)
    assert "np.clip" not in str(raised.value)
    assert "replace `raise NotImplementedError`" in str(raised.value)
