"""Tests of helpers.check.convolution: right answers pass, typical mistakes are named."""

import numpy as np
import pytest

from helpers import ops
from helpers.check import convolution as check

from _checking import fails_with, not_written


# ---- Exercise 3.1: output size --------------------------------------------------------------


def right_size(n, f, p, s):
    return (n - f + 2 * p) // s + 1


def test_output_size_accepts_the_formula(capsys):
    check.output_size(right_size)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 3.1")


def test_output_size_accepts_a_whole_float_from_true_division(capsys):
    check.output_size(lambda n, f, p, s: (n - f + 2 * p) / s + 1)
    assert "\N{CHECK MARK}" in capsys.readouterr().out


def test_output_size_names_a_forgotten_2p_and_the_case():
    message = fails_with(check.output_size, lambda n, f, p, s: (n - f) // s + 1,
                         "the 2p is missing", "for n=32, f=5, p=2, s=1 you returned 28; expected 32")
    assert "p=0" not in message  # cases without padding are right and not listed


def test_output_size_names_p_added_once():
    fails_with(check.output_size, lambda n, f, p, s: (n - f + p) // s + 1, "p is added once")


def test_output_size_names_the_missing_plus_one():
    fails_with(check.output_size, lambda n, f, p, s: (n - f + 2 * p) // s,
               "the +1 is missing", "you returned 27; expected 28")


def test_output_size_names_an_unused_stride():
    fails_with(check.output_size, lambda n, f, p, s: n - f + 2 * p + 1,
               "the stride is not used", "s=2")


def test_output_size_lists_at_most_four_cases_then_counts_the_rest():
    message = fails_with(check.output_size, lambda n, f, p, s: 0, "and 4 more cases")
    assert message.count("you returned 0") == 4


def test_output_size_refuses_a_fraction_and_a_non_number():
    fails_with(check.output_size, lambda n, f, p, s: (n - f + 2 * p) / s + 1.5, "not a whole number")
    fails_with(check.output_size, lambda n, f, p, s: "28", "not a number")


def test_output_size_reports_a_stub_as_not_written_yet():
    message = fails_with(check.output_size, not_written, "not written yet")
    assert message.count("not written yet") == 1  # said once, not for every case


def test_output_size_reports_an_exception_with_the_arguments():
    fails_with(check.output_size, lambda n, f, p, s: 1 / 0, "ZeroDivisionError", "(32, 5, 0, 1)")


# ---- Exercise 3.2: one output value ---------------------------------------------------------


def right_value(image, kernel, bias, row, col):
    f = kernel.shape[0]
    return np.sum(image[row:row + f, col:col + f, :] * kernel) + bias


def test_value_at_accepts_the_dot_product_plus_bias(capsys):
    check.value_at(right_value)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 3.2")


def test_value_at_agrees_with_ops_conv2d_on_its_own_cases():
    for image, kernel, bias, row, col in check._value_cases():
        out = ops.conv2d(image[None], kernel[..., None], np.array([bias]))
        assert np.isclose(right_value(image, kernel, bias, row, col), out[0, row, col, 0])


def test_value_at_names_a_missing_bias():
    fails_with(check.value_at, lambda i, k, b, r, c: right_value(i, k, 0.0, r, c),
               "the bias is missing", "row=0, col=0")


def test_value_at_names_a_bias_added_to_every_product():
    fails_with(check.value_at,
               lambda i, k, b, r, c: np.sum(i[r:r + k.shape[0], c:c + k.shape[0], :] * k + b),
               "the bias is added to every product")


def test_value_at_names_a_flipped_kernel_as_true_convolution():
    fails_with(check.value_at, lambda i, k, b, r, c: right_value(i, k[::-1, ::-1, :], b, r, c),
               "the kernel is flipped", "cross-correlation")


def test_value_at_names_swapped_row_and_column():
    fails_with(check.value_at, lambda i, k, b, r, c: right_value(i, k, b, c, r),
               "row and column are swapped")


def test_value_at_names_a_centred_window():
    def centred(image, kernel, bias, row, col):
        half = kernel.shape[0] // 2
        return right_value(image, kernel, bias, max(row - half, 0), max(col - half, 0))

    fails_with(check.value_at, centred, "centred on (row, col)")


def test_value_at_names_a_single_channel():
    fails_with(check.value_at, lambda i, k, b, r, c: right_value(i[..., :1], k[..., :1], b, r, c),
               "only channel 0 is used")


def test_value_at_says_one_number_is_expected_not_an_array():
    fails_with(check.value_at,
               lambda i, k, b, r, c: i[r:r + k.shape[0], c:c + k.shape[0], :] * k + b,
               "expected one number")


def test_value_at_names_a_missing_return():
    fails_with(check.value_at, lambda i, k, b, r, c: None, "forget `return`")


def test_value_at_reports_a_stub_as_not_written_yet():
    fails_with(check.value_at, not_written, "not written yet")


# ---- Exercise 3.3: a horizontal edge filter -------------------------------------------------

SOBEL_HORIZONTAL = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])


@pytest.mark.parametrize("kernel", [
    SOBEL_HORIZONTAL,
    -SOBEL_HORIZONTAL,                                  # bright-to-dark is an edge too
    np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),     # Prewitt
    np.array([[0, -1, 0], [0, 0, 0], [0, 1, 0]]),       # a plain difference
    np.array([[0, 0, 0], [0, -1, 0], [0, 1, 0]]),
], ids=["sobel", "negated sobel", "prewitt", "difference", "one-pixel difference"])
def test_horizontal_edge_filter_accepts_filters_that_differentiate_vertically(kernel, capsys):
    check.horizontal_edge_filter(lambda: kernel)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 3.3")


def test_edge_test_images_have_the_edges_they_are_named_after():
    images = check.edge_test_images()
    assert np.all(np.diff(images["horizontal edge"], axis=1) == 0)  # rows are constant
    assert np.all(np.diff(images["vertical edge"], axis=0) == 0)    # columns are constant
    assert np.all(images["flat"] == 1)


def test_horizontal_edge_filter_says_a_vertical_one_should_be_transposed():
    fails_with(check.horizontal_edge_filter, lambda: SOBEL_HORIZONTAL.T,
               "vertical edge detector", "kernel.T")


def test_horizontal_edge_filter_names_a_blur_responding_to_flat_areas():
    fails_with(check.horizontal_edge_filter, lambda: np.ones((3, 3)) / 9,
               "flat bright area", "sum to 1")


def test_horizontal_edge_filter_names_a_laplacian_responding_to_both_edges():
    fails_with(check.horizontal_edge_filter, lambda: np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
               "also responds to a vertical edge")


def test_horizontal_edge_filter_names_an_all_zero_filter():
    fails_with(check.horizontal_edge_filter, lambda: np.zeros((3, 3)), "all zeros")


def test_horizontal_edge_filter_names_a_wrong_shape():
    fails_with(check.horizontal_edge_filter, lambda: np.ones((5, 5)), "shape (5, 5); expected (3, 3)")
    fails_with(check.horizontal_edge_filter, lambda: [1, 2, 3], "shape (3,)")


def test_horizontal_edge_filter_names_a_missing_return_and_a_stub():
    fails_with(check.horizontal_edge_filter, lambda: None, "forget `return`")
    fails_with(check.horizontal_edge_filter, not_written, "not written yet")


# ---- Exercise 3.4: padding that keeps the size ----------------------------------------------


def test_keep_size_padding_accepts_half_of_f_minus_one(capsys):
    check.keep_size_padding(lambda n, f: (f - 1) // 2)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 3.4")


def test_keep_size_padding_says_what_size_a_wrong_p_gives():
    fails_with(check.keep_size_padding, lambda n, f: f // 2 + 1,
               "for n=64, f=7 you returned 4; expected 3", "66x66, not 64x64")


def test_keep_size_padding_names_the_padding_of_both_sides():
    fails_with(check.keep_size_padding, lambda n, f: f - 1, "padding of both sides together")


def test_keep_size_padding_names_a_negative_padding_and_a_stub():
    fails_with(check.keep_size_padding, lambda n, f: -1, "cannot be negative")
    fails_with(check.keep_size_padding, not_written, "not written yet")


def test_a_stub_gets_no_hint_that_would_give_the_answer_away():
    for checker in [check.output_size, check.value_at, check.keep_size_padding]:
        message = fails_with(checker, not_written, "not written yet")
        assert "Hint" not in message


def test_a_wrong_answer_gets_a_hint():
    assert "Hint:" in fails_with(check.output_size, lambda n, f, p, s: 0)
