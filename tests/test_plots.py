"""Tests for helpers.plots: what is drawn (axes, titles, lines, bars, texts, image arrays),
never the pixels of a rendered PNG."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch  # noqa: E402

from helpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(z, 0)


def legend_labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def red_corner_image(dtype=np.uint8):
    """A 4x5 RGB image, black except a pure red top-left pixel."""
    image = np.zeros((4, 5, 3), dtype=dtype)
    image[0, 0] = (255, 0, 0) if dtype == np.uint8 else (1.0, 0.0, 0.0)
    return image


# ---- how figures are handed back -------------------------------------------------------------


def test_returned_figure_is_closed_in_pyplot_so_jupyter_shows_it_once():
    fig = plots.plot_loss_curves({"a": [3, 2, 1]})
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == []  # pyplot no longer tracks it: shown only as the cell's value


def test_returned_figure_can_still_be_saved():
    fig = plots.show_images([red_corner_image()])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


# ---- plot_activations -------------------------------------------------------------------------


def test_activations_one_axes_with_one_line_per_function():
    fig = plots.plot_activations({"sigmoid": sigmoid, "relu": relu})
    (ax,) = fig.axes
    assert ax.get_title() == "Activations"
    assert ax.get_xlabel() == "z" and ax.get_ylabel() == "f(z)"
    assert len(ax.lines) == 2
    assert legend_labels(ax) == ["sigmoid", "relu"]
    assert all(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())


def test_activations_default_z_is_minus_6_to_6_in_241_points():
    fig = plots.plot_activations({"relu": relu})
    z = fig.axes[0].lines[0].get_xdata()
    assert len(z) == 241 and z[0] == -6 and z[-1] == 6
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), relu(z))


def test_activations_with_derivatives_adds_second_axes():
    fig = plots.plot_activations(
        {"sigmoid": sigmoid, "linear": lambda z: z},
        z=np.linspace(-2, 2, 5),
        derivatives={"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)), "linear": lambda z: 1.0},
    )
    assert [ax.get_title() for ax in fig.axes] == ["Activations", "Derivatives"]
    derivatives_ax = fig.axes[1]
    assert len(derivatives_ax.lines) == 2
    assert legend_labels(derivatives_ax) == ["sigmoid", "linear"]
    np.testing.assert_array_equal(derivatives_ax.lines[1].get_ydata(), np.ones(5))  # constant


def test_activations_empty_raises():
    with pytest.raises(ValueError, match="empty"):
        plots.plot_activations({})


# ---- show_images ------------------------------------------------------------------------------


def test_show_images_one_axes_per_image_unused_removed():
    images = [np.zeros((8, 8, 3), np.uint8)] * 5
    fig = plots.show_images(images, titles=list("abcde"), ncols=4)
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == list("abcde")
    assert all(not ax.axison for ax in fig.axes)


def test_show_images_fewer_images_than_columns():
    fig = plots.show_images([np.zeros((8, 8), np.uint8)] * 2, ncols=4)
    assert len(fig.axes) == 2


def test_show_images_keeps_rgb_channel_order_uint8():
    fig = plots.show_images([red_corner_image()])
    data = fig.axes[0].images[0].get_array()
    assert data.shape == (4, 5, 3)
    assert tuple(data[0, 0]) == (255, 0, 0)  # still red: nothing swapped channels


def test_show_images_keeps_rgb_channel_order_float():
    fig = plots.show_images([red_corner_image(np.float32)])
    assert tuple(fig.axes[0].images[0].get_array()[0, 0]) == (1.0, 0.0, 0.0)


def test_show_images_grayscale_uses_gray_on_fixed_range():
    dark = np.full((6, 6), 10, dtype=np.uint8)
    fig = plots.show_images([dark, dark / 255.0])
    first, second = (ax.images[0] for ax in fig.axes)
    assert first.get_cmap().name == "gray" and first.get_clim() == (0, 255)
    assert second.get_cmap().name == "gray" and second.get_clim() == (0, 1)
    assert first.get_array().shape == (6, 6)


def test_show_images_grayscale_float_outside_unit_range_is_stretched():
    edges = np.array([[-2.0, 0.0], [1.0, 3.0]])  # e.g. a convolution output
    fig = plots.show_images([edges])
    assert fig.axes[0].images[0].get_clim() == (-2.0, 3.0)


def test_show_images_accepts_a_batch_array():
    fig = plots.show_images(np.zeros((3, 8, 8, 3), np.uint8))
    assert len(fig.axes) == 3


def test_show_images_titles_length_mismatch_raises():
    with pytest.raises(ValueError, match="2 images but 1 titles"):
        plots.show_images([np.zeros((4, 4))] * 2, titles=["only one"])


@pytest.mark.parametrize("shape", [(4,), (4, 4, 4), (4, 4, 1), (2, 4, 4, 3)])
def test_show_images_bad_shape_raises(shape):
    with pytest.raises(ValueError, match="grayscale or"):
        plots.show_images([np.zeros(shape, np.uint8)])


def test_show_images_float_rgb_in_0_255_raises_with_hint():
    with pytest.raises(ValueError, match="/ 255"):
        plots.show_images([np.full((4, 4, 3), 200.0)])


def test_show_images_empty_raises():
    with pytest.raises(ValueError, match="empty"):
        plots.show_images([])


# ---- plot_filters -----------------------------------------------------------------------------


def test_filters_rgb_one_axes_per_filter_normalised():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(3, 3, 3, 10))
    fig = plots.plot_filters(weights, ncols=4, title="conv1")
    assert len(fig.axes) == 10
    assert [ax.get_title() for ax in fig.axes] == [f"filter {i}" for i in range(10)]
    assert fig.get_suptitle() == "conv1"
    data = fig.axes[2].images[0].get_array()
    assert data.shape == (3, 3, 3)
    assert data.min() == 0 and data.max() == 1  # min-max per filter


def test_filters_rgb_keep_channel_order():
    weights = np.zeros((2, 2, 3, 1))
    weights[0, 0, :, 0] = (1.0, -1.0, -1.0)  # the top-left of the filter is reddest
    data = plots.plot_filters(weights).axes[0].images[0].get_array()
    assert tuple(data[0, 0]) == (1.0, 0.0, 0.0)


def test_filters_not_rgb_show_channel_mean_in_diverging_map():
    weights = np.zeros((5, 5, 16, 4))
    weights[..., 0] = 1.0
    fig = plots.plot_filters(weights)
    image = fig.axes[0].images[0]
    assert image.get_array().shape == (5, 5)
    assert image.get_cmap().name == "RdBu_r"
    low, high = image.get_clim()
    assert low == -high  # zero is the middle (white)


def test_filters_bad_input_raises():
    with pytest.raises(ValueError, match=r"\(fh, fw, c_in, k\)"):
        plots.plot_filters(np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="get_weights\\(\\)\\[0\\]"):
        plots.plot_filters([np.zeros((3, 3, 3, 8)), np.zeros(8)])


# ---- plot_feature_maps ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 7, 5), (1, 6, 7, 5)])
def test_feature_maps_one_axes_per_map(shape):
    fig = plots.plot_feature_maps(np.random.default_rng(0).random(shape), title="block1")
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == [f"map {i}" for i in range(5)]
    image = fig.axes[0].images[0]
    assert image.get_cmap().name == "viridis"
    assert image.get_array().shape == (6, 7)
    assert fig.get_suptitle() == "block1"


def test_feature_maps_limited_to_max_maps_and_says_so():
    fig = plots.plot_feature_maps(np.zeros((4, 4, 64)), max_maps=32)
    assert len(fig.axes) == 32
    assert "first 32 of 64" in fig.get_suptitle()


def test_feature_maps_batch_of_several_raises():
    with pytest.raises(ValueError, match="one image"):
        plots.plot_feature_maps(np.zeros((2, 4, 4, 8)))


# ---- plot_class_balance -----------------------------------------------------------------------


def test_class_balance_bar_and_count_per_class():
    fig = plots.plot_class_balance({"cat": 1000, "dog": 850})
    (ax,) = fig.axes
    assert len(ax.patches) == 2
    assert [bar.get_height() for bar in ax.patches] == [1000, 850]
    assert [text.get_text() for text in ax.texts] == ["1000", "850"]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["cat", "dog"]
    assert ax.get_title() == "Images per class"


def test_class_balance_empty_raises():
    with pytest.raises(ValueError):
        plots.plot_class_balance({})


# ---- plot_loss_curves -------------------------------------------------------------------------


def test_loss_curves_one_line_per_label():
    curves = {"too small": [1, 0.99, 0.98], "right": [1, 0.5, 0.1], "too large": [1, 5, 50]}
    fig = plots.plot_loss_curves(curves, title="learning rate", logy=True)
    (ax,) = fig.axes
    assert len(ax.lines) == 3
    assert legend_labels(ax) == list(curves)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "loss"
    assert ax.get_title() == "learning rate"
    assert list(ax.lines[0].get_xdata()) == [0, 1, 2]


def test_loss_curves_linear_scale_by_default():
    assert plots.plot_loss_curves({"a": [1, 2]}).axes[0].get_yscale() == "linear"


# ---- plot_descent_path ------------------------------------------------------------------------


def bowl(w1, w2):
    return w1**2 + 3 * w2**2


def test_descent_path_contours_and_one_line_per_path():
    paths = {"lr=0.1": np.array([[2.0, 1.0], [1.6, 0.4], [1.28, 0.16]]),
             "lr=0.3": np.array([[2.0, 1.0], [0.8, -0.8]])}
    fig = plots.plot_descent_path(bowl, paths, xlim=(-3, 3), ylim=(-2, 2), title="bowl")
    ax = fig.axes[0]  # the other axes is the colorbar
    assert len(fig.axes) == 2
    assert len(ax.collections) >= 1  # the filled contours
    assert len(ax.lines) == 2
    assert legend_labels(ax) == ["lr=0.1", "lr=0.3"]
    assert all(line.get_marker() == "o" for line in ax.lines)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), paths["lr=0.1"][:, 0])
    assert ax.get_xlim() == (-3, 3) and ax.get_title() == "bowl"


def test_descent_path_bad_path_shape_raises():
    with pytest.raises(ValueError, match=r"\(steps, 2\)"):
        plots.plot_descent_path(bowl, {"p": np.zeros((4, 3))}, xlim=(-1, 1), ylim=(-1, 1))


def test_descent_path_loss_not_elementwise_raises():
    with pytest.raises(ValueError, match="element-wise"):
        plots.plot_descent_path(lambda w1, w2: float(np.sum(w1)), {}, (-1, 1), (-1, 1))


def test_descent_path_default_axis_names():
    fig = plots.plot_descent_path(bowl, {}, xlim=(-1, 1), ylim=(-1, 1))
    ax, colorbar = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel(), colorbar.get_ylabel()) == ("w1", "w2", "loss")
    assert ax.get_legend() is None  # nothing to name


def test_descent_path_names_axes_and_colorbar():
    fig = plots.plot_descent_path(bowl, {}, (-1, 1), (-1, 1), xlabel="w (slope)",
                                  ylabel="b (intercept)", loss_label="cost C")
    ax, colorbar = fig.axes
    assert ax.get_xlabel() == "w (slope)" and ax.get_ylabel() == "b (intercept)"
    assert colorbar.get_ylabel() == "cost C"


def test_descent_path_colors_one_per_path_in_order():
    paths = {"slow": np.zeros((3, 2)), "fast": np.ones((2, 2))}
    fig = plots.plot_descent_path(bowl, paths, (-2, 2), (-2, 2), colors=["C1", "red"])
    ax = fig.axes[0]
    assert [line.get_color() for line in ax.lines] == ["C1", "red"]
    assert legend_labels(ax) == ["slow", "fast"]


def test_descent_path_colors_length_mismatch_raises():
    with pytest.raises(ValueError, match="2 paths but 1 colors"):
        plots.plot_descent_path(bowl, {"a": np.zeros((2, 2)), "b": np.zeros((2, 2))},
                                (-1, 1), (-1, 1), colors=["C0"])


def test_descent_path_minimum_is_a_star_in_the_legend():
    fig = plots.plot_descent_path(bowl, {"lr=0.1": np.array([[2.0, 1.0], [1.0, 0.5]])},
                                  (-3, 3), (-2, 2), minimum=(0.0, 0.0))
    ax = fig.axes[0]
    star = ax.lines[-1]
    assert star.get_marker() == "*" and star.get_linestyle() == "None"
    assert list(star.get_xdata()) == [0.0] and list(star.get_ydata()) == [0.0]
    assert legend_labels(ax) == ["lr=0.1", "minimum"]


def test_descent_path_minimum_alone_still_gets_a_legend():
    fig = plots.plot_descent_path(bowl, {}, (-1, 1), (-1, 1), minimum=(0.0, 0.0))
    assert legend_labels(fig.axes[0]) == ["minimum"]


def test_descent_path_log_scale_colours_by_log_with_plain_number_ticks():
    def steep(w1, w2):  # from 0.1 to about 1000 over the window
        return 0.1 + 100 * (w1**2 + w2**2)

    fig = plots.plot_descent_path(steep, {}, (-2, 2), (-2, 2), levels=20, log_scale=True)
    ax, colorbar = fig.axes
    filled = ax.collections[0]
    assert isinstance(filled.norm, LogNorm)
    levels = filled.levels
    assert len(levels) == 21
    np.testing.assert_allclose(levels[1:] / levels[:-1], levels[1] / levels[0])  # geometric
    ticks = [label.get_text() for label in colorbar.get_yticklabels()]
    assert {"1", "10", "100"} <= set(ticks) and all("e" not in t for t in ticks)


def test_descent_path_linear_scale_by_default():
    filled = plots.plot_descent_path(bowl, {}, (-1, 1), (-1, 1)).axes[0].collections[0]
    assert not isinstance(filled.norm, LogNorm)


def test_descent_path_log_scale_of_a_loss_not_above_zero_raises():
    with pytest.raises(ValueError, match="loss > 0 .* minimum is -0.5"):
        plots.plot_descent_path(lambda w1, w2: bowl(w1, w2) - 0.5, {}, (-1, 1), (-1, 1),
                                log_scale=True)


# ---- plot_network -----------------------------------------------------------------------------


def circles(ax):
    return [patch for patch in ax.patches if isinstance(patch, Circle)]


def arrows(ax):
    return [patch for patch in ax.patches if isinstance(patch, FancyArrowPatch)]


def texts(ax):
    return [text.get_text() for text in ax.texts]


def test_network_a_circle_per_neuron_a_line_per_connection():
    names = ["input layer", "hidden layer", "output layer"]
    fig = plots.plot_network([4, 5, 3], names, title="4 → 5 → 3")
    (ax,) = fig.axes
    assert len(circles(ax)) == 4 + 5 + 3
    assert len(ax.lines) == 4 * 5 + 5 * 3
    assert texts(ax) == ["$x_{1}$", "$x_{2}$", "$x_{3}$", "$x_{4}$"] + names  # inputs, names
    assert len(arrows(ax)) == 3  # one out of each output neuron
    assert ax.get_title() == "4 → 5 → 3"
    assert not ax.axison


def test_network_layers_left_to_right_neurons_centred():
    ax = plots.plot_network([2, 3]).axes[0]
    centres = [circle.center for circle in circles(ax)]
    xs = sorted({x for x, _ in centres})
    assert len(xs) == 2 and xs[0] < xs[1]  # the inputs on the left
    for x in xs:
        assert sum(y for cx, y in centres if cx == x) == pytest.approx(0)  # centred on y = 0


def test_network_default_names_count_the_neurons():
    ax = plots.plot_network([3, 1]).axes[0]
    assert texts(ax)[-2:] == ["3 inputs", "1 neuron"]
    assert ax.get_title() == ""


def test_network_one_neuron_with_weights_on_connections_and_bias_inside():
    w, b = np.array([0.8, 0.2, -0.4]), 0.1  # a vector and a number for a single neuron
    ax = plots.plot_network([3, 1], weights=[w], biases=[b]).axes[0]
    assert len(ax.lines) == 3
    labels = texts(ax)
    assert [label for label in labels if label in ("$0.8$", "$0.2$", "$-0.4$")] == [
        "$0.8$", "$0.2$", "$-0.4$"]  # in the order of the inputs
    assert "$b =$\n$0.1$" in labels


def test_network_weight_matrix_is_n_in_by_n_out_like_a_keras_kernel():
    kernel = np.arange(6).reshape(2, 3) / 10  # kernel[j, k]: input j -> neuron k
    ax = plots.plot_network([2, 3], weights=[kernel], biases=[[1, 2, 3]]).axes[0]
    weight_texts = [t for t in ax.texts if t.get_text().startswith("$0")]
    assert len(weight_texts) == 6
    for text in weight_texts:  # the label sits on the line of its own connection
        j, k = np.argwhere(np.isclose(kernel, float(text.get_text().strip("$"))))[0]
        line = ax.lines[j * 3 + k]
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        x, y = text.get_position()
        assert (x - x0) * (y1 - y0) == pytest.approx((y - y0) * (x1 - x0))
    assert sorted(t for t in texts(ax) if t.startswith("$b")) == [
        f"$b =$\n${v}$" for v in (1, 2, 3)]


def test_network_transposed_weights_raise_with_a_hint():
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(4, 3\).*pass W\.T"):
        plots.plot_network([4, 3], weights=[np.zeros((3, 4))])


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": [np.zeros((2, 3))]}, "one array per layer after the input: 2"),
    ({"biases": [np.zeros(3), np.zeros(3)]}, r"biases\[1\] must have shape \(1,\)"),
    ({"layer_names": ["a", "b"]}, "3 layer_sizes but 2 layer_names"),
])
def test_network_mismatched_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_network([2, 3, 1], **kwargs)


@pytest.mark.parametrize("sizes", [[3], [3, 0, 1], []])
def test_network_needs_two_layers_of_neurons(sizes):
    with pytest.raises(ValueError, match="at least two layers"):
        plots.plot_network(sizes)


def test_network_large_layers_drawn_as_first_six_dots_and_last():
    ax = plots.plot_network([16384, 128, 2]).axes[0]
    assert len(circles(ax)) == 7 + 7 + 2
    assert len(ax.lines) == 7 * 7 + 7 * 2
    labels = texts(ax)
    assert labels.count("⋮") == 2
    assert "$x_{6}$" in labels and "$x_{16384}$" in labels and "$x_{7}$" not in labels


def test_network_large_layers_refuse_weights():
    with pytest.raises(ValueError, match="at most 8 neurons"):
        plots.plot_network([9, 1], weights=[np.zeros(9)])


# ---- plot_training_history --------------------------------------------------------------------


def test_training_history_two_axes_training_and_validation_from_epoch_1():
    history = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.55],
               "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.5, 0.65, 0.7],
               "learning_rate": [1e-3] * 3}
    fig = plots.plot_training_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    for ax in fig.axes:
        assert legend_labels(ax) == ["training", "validation"]
        assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
        assert ax.get_xlabel() == "epoch"
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), history["val_accuracy"])


def test_training_history_subset_draws_only_present_groups():
    fig = plots.plot_training_history({"loss": [1.0, 0.5]})
    assert [ax.get_title() for ax in fig.axes] == ["Loss"]
    assert len(fig.axes[0].lines) == 1


def test_training_history_accepts_keras_history_object_and_other_accuracy_names():
    class History:  # stands in for keras.callbacks.History
        history = {"loss": [1.0, 0.5], "binary_accuracy": [0.6, 0.8],
                   "val_binary_accuracy": [0.55, 0.7]}

    fig = plots.plot_training_history(History())
    assert legend_labels(fig.axes[1]) == ["training binary_accuracy",
                                          "validation binary_accuracy"]


def test_training_history_without_curves_raises():
    with pytest.raises(ValueError, match="learning_rate"):
        plots.plot_training_history({"learning_rate": [0.1]})


# ---- plot_confusion_matrix --------------------------------------------------------------------


def test_confusion_matrix_counts_in_each_cell():
    matrix = np.array([[50, 10], [5, 35]])
    fig = plots.plot_confusion_matrix(matrix, ["cat", "dog"])
    (ax,) = fig.axes
    assert [text.get_text() for text in ax.texts] == ["50", "10", "5", "35"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert [label.get_text() for label in ax.get_xticklabels()] == ["cat", "dog"]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["cat", "dog"]
    np.testing.assert_array_equal(ax.images[0].get_array(), matrix)


def test_confusion_matrix_normalized_rows_sum_to_one():
    fig = plots.plot_confusion_matrix(np.array([[3, 1], [0, 0]]), ["a", "b"], normalize=True)
    ax = fig.axes[0]
    assert [text.get_text() for text in ax.texts] == ["0.75", "0.25", "0.00", "0.00"]
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.75, 0.25], [0, 0]])


def test_confusion_matrix_text_white_only_on_dark_cells():
    counts = plots.plot_confusion_matrix(np.array([[90, 10], [20, 80]]), ["a", "b"]).axes[0]
    assert [text.get_color() for text in counts.texts] == ["white", "black", "black", "white"]
    # fractions are coloured on the fixed range 0..1: 0.5 is a mid colour, not a dark one
    fractions = plots.plot_confusion_matrix(np.array([[1, 1], [1, 3]]), ["a", "b"],
                                            normalize=True).axes[0]
    assert [text.get_color() for text in fractions.texts] == ["black", "black", "black", "white"]


def test_confusion_matrix_bad_shapes_raise():
    with pytest.raises(ValueError, match="square"):
        plots.plot_confusion_matrix(np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="3 class names"):
        plots.plot_confusion_matrix(np.zeros((2, 2)), ["a", "b", "c"])


# ---- plot_image_with_probabilities ------------------------------------------------------------


def test_image_with_probabilities_photo_and_bars():
    fig = plots.plot_image_with_probabilities(
        red_corner_image(), ["cat", "dog", "fox"], [0.7, 0.2, 0.1], title="cat.jpg"
    )
    image_ax, bar_ax = fig.axes
    assert image_ax.get_title() == "cat.jpg"
    assert tuple(image_ax.images[0].get_array()[0, 0]) == (255, 0, 0)
    assert [bar.get_width() for bar in bar_ax.patches] == pytest.approx([0.7, 0.2, 0.1])
    assert [text.get_text() for text in bar_ax.texts] == ["0.70", "0.20", "0.10"]
    assert [label.get_text() for label in bar_ax.get_yticklabels()] == ["cat", "dog", "fox"]


def test_image_with_probabilities_mismatch_and_logits_raise():
    image = red_corner_image()
    with pytest.raises(ValueError, match="2 class names but 3"):
        plots.plot_image_with_probabilities(image, ["a", "b"], [0.5, 0.3, 0.2])
    with pytest.raises(ValueError, match="softmax"):
        plots.plot_image_with_probabilities(image, ["a", "b"], [2.3, -1.0])


# ---- overlay_heatmap --------------------------------------------------------------------------


def test_overlay_returns_float_rgb_of_image_size_in_unit_range():
    image = np.full((32, 48, 3), 200, dtype=np.uint8)
    heatmap = np.random.default_rng(0).normal(size=(7, 7)) * 100  # any size, any range
    out = plots.overlay_heatmap(image, heatmap)
    assert out.shape == (32, 48, 3)
    assert np.issubdtype(out.dtype, np.floating)
    assert out.min() >= 0 and out.max() <= 1


def test_overlay_alpha_zero_is_the_image_and_keeps_channel_order():
    out = plots.overlay_heatmap(red_corner_image(), np.ones((2, 2)), alpha=0.0)
    np.testing.assert_allclose(out, red_corner_image() / 255)
    assert tuple(out[0, 0]) == (1.0, 0.0, 0.0)


def test_overlay_alpha_one_is_jet_of_normalised_bilinear_resized_heatmap():
    image = np.zeros((1, 4, 3))
    heatmap = np.array([[10.0, 20.0]])  # normalised to [0, 1], then resized to width 4
    out = plots.overlay_heatmap(image, heatmap, alpha=1.0)
    expected = colormaps["jet"](np.array([[0.0, 0.25, 0.75, 1.0]]))[..., :3]
    np.testing.assert_allclose(out, expected)


def test_overlay_constant_heatmap_gives_no_nan():
    out = plots.overlay_heatmap(np.zeros((4, 4, 3)), np.full((2, 2), 5.0))
    assert np.isfinite(out).all()


def test_overlay_bad_inputs_raise():
    with pytest.raises(ValueError, match="alpha"):
        plots.overlay_heatmap(np.zeros((4, 4, 3)), np.ones((2, 2)), alpha=1.5)
    with pytest.raises(ValueError, match="2-D"):
        plots.overlay_heatmap(np.zeros((4, 4, 3)), np.ones((1, 2, 2)))
