"""The checkers of notebook 01 accept right answers and explain the typical wrong ones."""

import math

import numpy as np
import pytest

from helpers import neuron
from helpers.check import ExerciseError
from helpers.check import neuron as check


def stub(*args):
    raise NotImplementedError


# ---- Exercise 1.1: sigmoid -------------------------------------------------------------------


def stable_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_accepts_a_stable_version(capsys):
    check.sigmoid(stable_sigmoid)
    assert "Exercise 1.1 (a stable sigmoid): correct" in capsys.readouterr().out


def test_sigmoid_accepts_the_course_helper(capsys):
    check.sigmoid(neuron.sigmoid)
    assert "correct" in capsys.readouterr().out


def test_sigmoid_naive_formula_is_caught_overflowing_at_minus_1000():
    def naive(z):
        return 1 / (1 + np.exp(-z))

    with pytest.raises(ExerciseError, match=r"z = −1000 numpy warned: overflow"):
        check.sigmoid(naive)


def test_sigmoid_where_with_both_branches_still_overflows_and_the_hint_says_why():
    def both_branches(z):
        z = np.asarray(z, dtype=float)
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))

    with pytest.raises(ExerciseError, match=r"(?s)overflow.*evaluates \*both\* branches"):
        check.sigmoid(both_branches)


def test_sigmoid_other_naive_form_gives_nan_at_plus_1000():
    def other_form(z):
        return np.exp(z) / (1 + np.exp(z))

    with pytest.raises(ExerciseError, match="NaN"):
        check.sigmoid(other_form)


def test_sigmoid_sign_error_is_named():
    with pytest.raises(ExerciseError, match="sign of the exponent is flipped"):
        check.sigmoid(lambda z: 1 / (1 + np.exp(z)))


def test_sigmoid_tanh_is_named():
    with pytest.raises(ExerciseError, match="that is tanh"):
        check.sigmoid(np.tanh)


def test_sigmoid_with_math_exp_fails_on_arrays_with_a_hint_to_use_numpy():
    def with_math(z):
        return 1 / (1 + math.exp(-z))

    with pytest.raises(ExerciseError, match="np.exp works element by element"):
        check.sigmoid(with_math)


def test_sigmoid_that_changes_its_input_is_caught():
    def in_place(z):
        if isinstance(z, np.ndarray):
            z *= -1
            return stable_sigmoid(-z)
        return stable_sigmoid(z)

    with pytest.raises(ExerciseError, match="changed the array it was given"):
        check.sigmoid(in_place)


def test_sigmoid_without_return_is_named():
    def forgot_return(z):
        stable_sigmoid(z)

    with pytest.raises(ExerciseError, match="forget `return`"):
        check.sigmoid(forgot_return)


def test_sigmoid_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.sigmoid(stub)


# ---- Exercise 1.2: neuron output -------------------------------------------------------------


def test_neuron_output_accepts_the_weighted_sum_through_the_sigmoid(capsys):
    check.neuron_output(lambda x, w, b: neuron.sigmoid(np.dot(w, x) + b))
    assert "Exercise 1.2 (a neuron's output): correct" in capsys.readouterr().out


def test_neuron_output_accepts_a_one_element_array(capsys):
    check.neuron_output(lambda x, w, b: np.array([neuron.sigmoid(np.dot(w, x) + b)]))
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda x, w, b: np.dot(w, x) + b, "activation is missing"),
    (lambda x, w, b: neuron.sigmoid(np.dot(w, x)), "bias is missing"),
    (lambda x, w, b: neuron.sigmoid(np.dot(w, x)) + b, "added after the sigmoid"),
    (lambda x, w, b: neuron.sigmoid(np.dot(w, x) - b), "subtracted"),
    (lambda x, w, b: neuron.relu(np.dot(w, x) + b), "relu"),
    (lambda x, w, b: neuron.sigmoid(w * x + b), "one per input"),
    (lambda x, w, b: neuron.sigmoid(np.sum(w) * np.sum(x) + b), "its own weight"),
])
def test_neuron_output_names_the_usual_mistakes(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check.neuron_output(wrong)


def test_neuron_output_shows_the_inputs_and_the_expected_value():
    with pytest.raises(ExerciseError, match=r"x=\[1.0, 2.0, -1.0\].*expected .*0.377541"):
        check.neuron_output(lambda x, w, b: 0.5)


def test_neuron_output_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.neuron_output(stub)


# ---- Exercise 1.3: relu's derivative --------------------------------------------------------


def test_relu_derivative_accepts_a_step(capsys):
    check.relu_derivative(lambda z: (np.asarray(z) > 0).astype(float))
    assert "Exercise 1.3 (relu's derivative): correct" in capsys.readouterr().out


def test_relu_derivative_accepts_booleans(capsys):
    check.relu_derivative(lambda z: np.asarray(z) > 0)
    assert "correct" in capsys.readouterr().out


def test_relu_derivative_one_at_zero_is_explained():
    with pytest.raises(ExerciseError, match="at z = 0 you returned 1"):
        check.relu_derivative(lambda z: (np.asarray(z) >= 0).astype(float))


def test_relu_derivative_returning_relu_itself_is_named():
    with pytest.raises(ExerciseError, match="relu\\(3.0\\) itself"):
        check.relu_derivative(neuron.relu)


def test_relu_derivative_with_if_fails_on_arrays_with_a_hint():
    def with_if(z):
        return 1.0 if z > 0 else 0.0

    with pytest.raises(ExerciseError, match="works for one number only"):
        check.relu_derivative(with_if)


def test_relu_derivative_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.relu_derivative(stub)


# ---- Exercise 1.4: AND gate -----------------------------------------------------------------


def test_and_gate_accepts_large_weights_and_a_negative_bias(capsys):
    check.and_gate(lambda: ([20.0, 20.0], -30.0))
    out = capsys.readouterr().out
    assert "Exercise 1.4 (an AND neuron): correct" in out
    assert "(1, 1) → 1.0000" in out


def test_and_gate_recognises_or_weights():
    with pytest.raises(ExerciseError, match="OR gate"):
        check.and_gate(lambda: ([20.0, 20.0], -10.0))


def test_and_gate_reports_each_wrong_input():
    with pytest.raises(ExerciseError, match=r"x = \(0, 0\) the neuron outputs 0.5000"):
        check.and_gate(lambda: ([20.0, 20.0], 0.0))


def test_and_gate_with_the_right_pattern_but_small_weights_is_told_to_scale_up():
    with pytest.raises(ExerciseError, match="pattern is right .* multiply w and b"):
        check.and_gate(lambda: ([1.0, 1.0], -1.5))


def test_and_gate_with_tiny_weights_is_called_undecided():
    with pytest.raises(ExerciseError, match="near 0.5"):
        check.and_gate(lambda: ([0.1, 0.1], 0.1))


def test_and_gate_needs_two_weights_and_one_bias():
    with pytest.raises(ExerciseError, match="exactly 2"):
        check.and_gate(lambda: ([20.0, 20.0, 1.0], -30.0))
    with pytest.raises(ExerciseError, match="one bias"):
        check.and_gate(lambda: ([20.0, 20.0], [-30.0, 1.0]))
    with pytest.raises(ExerciseError, match=r"return a pair \(w, b\)"):
        check.and_gate(lambda: 20.0)


def test_and_gate_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match="not written yet"):
        check.and_gate(stub)


def test_a_stub_gets_no_solution_hint():
    with pytest.raises(ExerciseError) as raised:
        check.sigmoid(stub)
    assert "np.abs" not in str(raised.value)
    assert "replace `raise NotImplementedError`" in str(raised.value)
