"""Tests of helpers.check.pooling: right answers pass, typical mistakes are named."""

import numpy as np
import pytest

from helpers import shapes
from helpers.check import pooling as check

from _checking import fails_with, not_written


# ---- Exercise 4.1: max pooling --------------------------------------------------------------


def blocks(x):
    return x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2)


def right_pool(x):
    return blocks(x).max(axis=(1, 3))


def loop_pool(x):
    out = np.zeros((x.shape[0] // 2, x.shape[1] // 2))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = x[2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
    return out


@pytest.mark.parametrize("answer", [right_pool, loop_pool], ids=["reshape", "loops"])
def test_max_pool_accepts_a_right_answer(answer, capsys):
    check.max_pool_2x2(answer)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 4.1")


def test_max_pool_example_pools_to_the_numbers_the_notebook_prints():
    np.testing.assert_array_equal(right_pool(check.EXAMPLE_4X4), [[6, 5], [7, 9]])


def test_max_pool_names_average_instead_of_max():
    fails_with(check.max_pool_2x2, lambda x: blocks(x).mean(axis=(1, 3)), "average pooling",
               "the 4x4 example")


def test_max_pool_names_min_instead_of_max():
    fails_with(check.max_pool_2x2, lambda x: blocks(x).min(axis=(1, 3)), "smallest value")


def test_max_pool_names_a_maximum_started_at_zero():
    def starts_at_zero(x):
        out = np.zeros((x.shape[0] // 2, x.shape[1] // 2))
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                for v in x[2 * i:2 * i + 2, 2 * j:2 * j + 2].ravel():
                    out[i, j] = max(out[i, j], v)
        return out

    fails_with(check.max_pool_2x2, starts_at_zero, "do not start the maximum at 0",
               "negative numbers")


def test_max_pool_names_the_top_left_value_instead_of_the_max():
    fails_with(check.max_pool_2x2, lambda x: x[::2, ::2], "top-left value")


def test_max_pool_names_an_unpooled_shape():
    fails_with(check.max_pool_2x2, lambda x: x, "shape (4, 4); expected (2, 2)",
               "moves 2 pixels at a time")


def test_max_pool_names_stride_one():
    def stride_one(x):
        windows = np.lib.stride_tricks.sliding_window_view(x, (2, 2))
        return windows.max(axis=(2, 3))

    fails_with(check.max_pool_2x2, stride_one, "stride 1")


def test_max_pool_names_swapped_height_and_width():
    fails_with(check.max_pool_2x2, lambda x: right_pool(x).T, "height and width are swapped")


def test_max_pool_names_a_missing_return_and_a_stub():
    fails_with(check.max_pool_2x2, lambda x: None, "forget `return`")
    message = fails_with(check.max_pool_2x2, not_written, "not written yet")
    assert message.count("not written yet") == 1


def test_max_pool_does_not_let_the_learner_change_the_checker_s_arrays():
    def destructive(x):
        result = right_pool(x)
        x[:] = 0
        return result

    check.max_pool_2x2(destructive)
    check.max_pool_2x2(right_pool)  # the example is still intact


# ---- Exercise 4.2: pooled size --------------------------------------------------------------


def test_pooled_size_accepts_the_formula(capsys):
    check.pooled_size(lambda w, f, s: (w - f) // s + 1)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 4.2")


def test_pooled_size_names_the_missing_plus_one():
    fails_with(check.pooled_size, lambda w, f, s: (w - f) // s, "the +1 is missing",
               "for w=4, f=2, s=2 you returned 1; expected 2")


def test_pooled_size_names_an_unused_window_size():
    fails_with(check.pooled_size, lambda w, f, s: w // s, "the window size f is not used",
               "for w=32, f=3, s=1")


def test_pooled_size_names_division_by_f():
    fails_with(check.pooled_size, lambda w, f, s: (w - f) // f + 1, "you divide by f")


def test_pooled_size_refuses_a_fraction_and_reports_a_stub():
    fails_with(check.pooled_size, lambda w, f, s: (w - f) / s + 1.5, "not a whole number")
    fails_with(check.pooled_size, not_written, "not written yet")


# ---- Exercise 4.3: parameters of a stack ----------------------------------------------------

RIGHT_COUNTS = [1216, 0, 4640, 0, 0, 460864, 650]


def test_stack_parameters_matches_the_layer_table():
    rows = shapes.layer_table(check.STACK_INPUT, check.STACK_LAYERS)
    assert [row.parameters for row in rows] == RIGHT_COUNTS


def test_stack_parameters_accepts_the_right_counts(capsys):
    check.stack_parameters(lambda: RIGHT_COUNTS)
    out = capsys.readouterr().out
    assert out.startswith("\N{CHECK MARK} Exercise 4.3") and "467370" in out


def test_stack_parameters_accepts_a_tuple_or_numpy_ints(capsys):
    check.stack_parameters(lambda: tuple(np.array(RIGHT_COUNTS)))
    assert "\N{CHECK MARK}" in capsys.readouterr().out


def test_stack_parameters_names_forgotten_biases_per_layer():
    message = fails_with(check.stack_parameters, lambda: [1200, 0, 4608, 0, 0, 460800, 640],
                         "layer 1 (Conv2D 5x5, 16 filters, valid, input 64x64x3): you counted 1200; "
                         "expected 1216 (the biases are missing",
                         "layer 7 (Dense 10", "one per neuron")
    assert "layer 2" not in message  # right layers are not listed


def test_stack_parameters_names_forgotten_input_channels():
    fails_with(check.stack_parameters, lambda: [416, 0, 320, 0, 0, 460864, 650],
               "layer 3 (Conv2D 3x3, 32 filters, same, input 30x30x16)", "input channels are missing")


def test_stack_parameters_names_one_filter_instead_of_k():
    fails_with(check.stack_parameters, lambda: [76, 0, 4640, 0, 0, 460864, 650], "that is one filter")


def test_stack_parameters_names_the_shape_a_wrong_dense_count_came_from():
    fails_with(check.stack_parameters, lambda: [1216, 0, 4640, 0, 0, (60 * 60 * 16 + 1) * 64, 650],
               "layer 6 (Dense 64, input 7200)", "(57600 + 1)·64", "60x60x16 output of layer 1")
    fails_with(check.stack_parameters, lambda: [1216, 0, 4640, 0, 0, (64 * 64 * 3 + 1) * 64, 650],
               "the 64x64x3 input")


def test_stack_parameters_names_counted_outputs_of_flatten_and_pooling():
    fails_with(check.stack_parameters, lambda: [1216, 0, 4640, 0, 7200, 460864, 650],
               "layer 5 (Flatten", "has no weights")
    fails_with(check.stack_parameters, lambda: [1216, 14400, 4640, 0, 0, 460864, 650],
               "layer 2 (MaxPool2D", "nothing to learn")


def test_stack_parameters_names_a_wrong_length_a_non_list_and_a_stub():
    fails_with(check.stack_parameters, lambda: RIGHT_COUNTS[:3], "you returned 3 counts; expected 7")
    fails_with(check.stack_parameters, lambda: 467370, "expected a list of 7 numbers")
    fails_with(check.stack_parameters, lambda: None, "forget `return`")
    fails_with(check.stack_parameters, not_written, "not written yet")


def test_a_stub_gets_no_hint_that_would_give_the_answer_away():
    for checker in [check.max_pool_2x2, check.pooled_size, check.stack_parameters]:
        message = fails_with(checker, not_written, "not written yet")
        assert "Hint" not in message


def test_a_wrong_answer_gets_a_hint():
    assert "Hint:" in fails_with(check.pooled_size, lambda w, f, s: 0)
