"""Every figure the course draws.

This module draws; it computes nothing new, and never trains or loads a model. It imports
numpy and matplotlib only. Each function takes data (arrays, dicts, callables) and returns the
matplotlib ``Figure`` it drew; ``overlay_heatmap`` returns an image array instead.

How the figures appear in a notebook
------------------------------------
Each function creates its figure with ``plt.subplots``, then *closes it in pyplot* before
returning it (``_detach`` below). A closed figure is still a complete ``Figure``; pyplot just
stops tracking it. Why: Jupyter's inline backend shows every figure pyplot still tracks at the
end of the cell, *and* shows the value of the cell's last expression. An open figure returned
by the last line would therefore appear twice. With the figure closed:

- a cell that ends with the call, ``plots.show_images(images)``, shows the figure once;
- ``fig = plots.show_images(images)`` shows nothing; put ``fig`` on the last line, or call
  ``display(fig)`` (also inside a loop), to show it;
- ``fig.savefig("figure.png")`` works as usual; ``plt.show()`` does not show these figures.

Images and colour order
-----------------------
The image functions take RGB arrays, ``uint8`` in 0..255 or float in 0..1, shaped
``(height, width, 3)``, or ``(height, width)`` for grayscale: the arrays
``helpers.images.read_rgb`` returns. OpenCV decodes photos in BGR order; ``read_rgb`` is the
one place that turns BGR into RGB, and nothing here swaps channels. So if a photo shows up
blue-tinted (orange cats look blue, skin looks blue-grey), BGR data reached matplotlib: read
the file with ``helpers.images.read_rgb`` instead of ``cv2.imread``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import LogLocator, MaxNLocator, StrMethodFormatter

__all__ = [
    "plot_activations",
    "show_images",
    "plot_filters",
    "plot_feature_maps",
    "plot_class_balance",
    "plot_loss_curves",
    "plot_descent_path",
    "plot_network",
    "plot_training_history",
    "plot_confusion_matrix",
    "plot_image_with_probabilities",
    "overlay_heatmap",
]

HEATMAP_COLORMAP = "jet"  # the colormap of Grad-CAM papers and of the Keras Grad-CAM example


# --------------------------------------------------------------------------------------------
# Small tools shared by the functions below
# --------------------------------------------------------------------------------------------


def _detach(fig: Figure) -> Figure:
    """Close ``fig`` in pyplot and return it, so that Jupyter shows it exactly once."""
    plt.close(fig)
    return fig


def _grid(n: int, ncols: int, size: float) -> tuple[Figure, list[Axes]]:
    """A figure with ``n`` square axes in rows of ``ncols``; the unused axes are removed."""
    if n < 1:
        raise ValueError("nothing to draw: got an empty list")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False, layout="constrained"
    )
    axes = list(axes.flat)
    for ax in axes[n:]:
        ax.remove()
    for ax in axes[:n]:
        ax.set_axis_off()
    return fig, axes[:n]


def _checked_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Return ``image`` as uint8 or float in [0, 1], shaped (H, W) or (H, W, 3).

    Raises ValueError for other shapes, and for RGB floats outside [0, 1] (the usual cause:
    a float image still in 0..255; matplotlib would clip it to an all-white picture).
    2-D float images outside [0, 1] (e.g. a convolution's output) are allowed: they are
    stretched from their minimum to their maximum when drawn.
    """
    image = np.asarray(image)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 3)):
        hint = " (for one channel pass image[..., 0])" if image.shape[-1:] == (1,) else ""
        raise ValueError(
            f"{name} must be (height, width) grayscale or (height, width, 3) RGB, "
            f"got shape {image.shape}{hint}"
        )
    if image.dtype == np.uint8:
        return image
    if np.issubdtype(image.dtype, np.integer):
        if image.min() < 0 or image.max() > 255:
            raise ValueError(f"integer {name} must be in 0..255, got {image.min()}..{image.max()}")
        return image.astype(np.uint8)
    if not np.issubdtype(image.dtype, np.floating):
        raise ValueError(f"{name} must be uint8 (0..255) or float (0..1), got dtype {image.dtype}")
    image = image.astype(np.float64)
    if image.ndim == 3:
        low, high = float(np.nanmin(image)), float(np.nanmax(image))
        if low < -1e-3 or high > 1 + 1e-3:
            raise ValueError(
                f"float RGB {name} must be in [0, 1], got {low:.3g}..{high:.3g}; "
                "if it is in 0..255, pass image / 255 or image.astype('uint8')"
            )
        image = np.clip(image, 0.0, 1.0)  # tiny overshoots from resizing
    return image


def _draw_image(ax: Axes, image: np.ndarray) -> None:
    """Draw a checked image: RGB as it is, grayscale with cmap gray on a fixed range."""
    if image.ndim == 3:
        ax.imshow(image)
    elif image.dtype == np.uint8:
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
    elif image.min() >= 0 and image.max() <= 1:
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image, cmap="gray")  # outside [0, 1]: stretched from min to max
    ax.set_axis_off()


# --------------------------------------------------------------------------------------------
# One neuron: activations, losses, gradient descent
# --------------------------------------------------------------------------------------------


def plot_activations(
    functions: Mapping[str, Callable],
    z: np.ndarray | None = None,
    derivatives: Mapping[str, Callable] | None = None,
) -> Figure:
    """Curves of activation functions f(z), and of their derivatives f'(z) if given.

    ``functions`` maps a label to a function of a numpy array, e.g.
    ``{"sigmoid": neuron.sigmoid, "relu": neuron.relu}``; ``z`` defaults to
    ``np.linspace(-6, 6, 241)``. A function may return a constant (``lambda z: 1.0``).
    One axes "Activations", plus one axes "Derivatives" when ``derivatives`` is given.
    """
    if not functions:
        raise ValueError("functions is empty: pass e.g. {'relu': neuron.relu}")
    z = np.linspace(-6, 6, 241) if z is None else np.asarray(z, dtype=float)
    panels = [("Activations", "f(z)", functions)]
    if derivatives:
        panels.append(("Derivatives", "f'(z)", derivatives))

    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False,
                             layout="constrained")
    for ax, (title, ylabel, curves) in zip(axes.flat, panels):
        for label, function in curves.items():
            ax.plot(z, np.broadcast_to(np.asarray(function(z), dtype=float), z.shape),
                    label=label)
        ax.set(title=title, xlabel="z", ylabel=ylabel)
        ax.grid(True, alpha=0.4)
        ax.legend()
    return _detach(fig)


def plot_loss_curves(
    curves: Mapping[str, Sequence[float]],
    xlabel: str = "iteration",
    ylabel: str = "loss",
    title: str | None = None,
    logy: bool = False,
) -> Figure:
    """One line per label, x = 0, 1, 2, ...: e.g. the loss for several learning rates.

    ``logy=True`` draws the y axis on a log scale, which keeps a diverging curve (learning
    rate too large) and a slowly falling one (too small) readable on the same axes.
    """
    if not curves:
        raise ValueError("curves is empty: pass e.g. {'lr=0.1': losses}")
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(values)), values, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.4)
    ax.legend()
    return _detach(fig)


def plot_descent_path(
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    levels: int = 30,
    title: str | None = None,
    xlabel: str = "w1",
    ylabel: str = "w2",
    loss_label: str = "loss",
    log_scale: bool = False,
    minimum: tuple[float, float] | None = None,
    colors: Sequence[str] | None = None,
) -> Figure:
    """Gradient descent seen from above: contours of a 2-parameter loss and the steps taken.

    ``loss(w1, w2)`` is evaluated on a 200 x 200 grid over ``xlim`` x ``ylim``, so it must
    work element-wise on arrays (numpy operations, not ``math``). Each path is an array
    ``(steps, 2)`` of the parameters (w1, w2) after each step, drawn with markers, in the
    colours ``colors`` (one per path, e.g. to match a loss-curve plot) or matplotlib's.

    ``xlabel``, ``ylabel`` and ``loss_label`` name the two parameters and the colour bar.
    ``log_scale=True`` colours the loss on a log scale (it must be > 0 on the whole grid):
    when it spans several powers of ten, a linear scale shows the whole valley in one colour.
    ``minimum=(w1, w2)`` marks the best parameters with a star.
    """
    w1, w2 = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    values = np.asarray(loss(w1, w2), dtype=float)
    if values.shape != w1.shape:
        raise ValueError(
            f"loss(w1, w2) on a {w1.shape} grid returned shape {values.shape}; "
            "write the loss with numpy operations so it works element-wise on arrays"
        )
    if colors is not None and len(colors) != len(paths):
        raise ValueError(f"got {len(paths)} paths but {len(colors)} colors")
    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    if log_scale:
        low, high = float(values.min()), float(values.max())
        if low <= 0:
            raise ValueError(
                f"log_scale needs a loss > 0 on the whole grid, but its minimum is {low:.3g}"
            )
        filled = ax.contourf(w1, w2, values, levels=np.geomspace(low, high, levels + 1),
                             norm=LogNorm(low, high), cmap="viridis")
        colorbar = fig.colorbar(filled, ax=ax, label=loss_label)
        ticks = LogLocator(subs=(1.0, 2.0, 5.0)).tick_values(low, high)  # 0.5, 1, 2, 5, 10, ...
        colorbar.set_ticks([tick for tick in ticks if low <= tick <= high])
        colorbar.set_ticks([], minor=True)
        colorbar.ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))  # 0.5, not 5e-1
    else:
        filled = ax.contourf(w1, w2, values, levels=levels, cmap="viridis")
        fig.colorbar(filled, ax=ax, label=loss_label)
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path {label!r} must be (steps, 2), got shape {path.shape}")
        ax.plot(path[:, 0], path[:, 1], marker="o", markersize=3, label=label,
                color=None if colors is None else colors[i])
    if minimum is not None:
        ax.plot(*minimum, marker="*", markersize=16, color="white", markeredgecolor="black",
                linestyle="none", label="minimum", zorder=3)
    ax.set(xlim=xlim, ylim=ylim, xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    if paths or minimum is not None:
        ax.legend(fontsize="small")
    return _detach(fig)


# --------------------------------------------------------------------------------------------
# Networks of neurons
# --------------------------------------------------------------------------------------------

_MAX_DRAWN = 8  # a larger layer is drawn as its first 6 neurons, a "⋮", and its last neuron
_LAYER_GAP = 2.6  # distance between two layers, in units of the distance between two neurons
_RADIUS = 0.34
_LAYER_COLOURS = ("tab:green", "tab:blue", "tab:orange")  # input, hidden, output


def _drawn_neurons(n: int) -> list[int | None]:
    """The neurons of a layer of ``n`` that are drawn, top to bottom; None is the "⋮"."""
    if n <= _MAX_DRAWN:
        return list(range(n))
    return [*range(_MAX_DRAWN - 2), None, n - 1]


def _checked_layer_values(
    values: Sequence, name: str, sizes: Sequence[int], per_connection: bool
) -> list[np.ndarray]:
    """Check ``weights`` (per_connection) or ``biases``: one array per layer after the input."""
    if len(values) != len(sizes) - 1:
        raise ValueError(
            f"{name} needs one array per layer after the input: {len(sizes) - 1} for "
            f"layer_sizes {list(sizes)}, got {len(values)}"
        )
    checked = []
    for i, value in enumerate(values):
        n_in, n_out = sizes[i], sizes[i + 1]
        value = np.asarray(value, dtype=float)
        if n_out == 1 and value.size == (n_in if per_connection else 1):
            value = value.reshape((n_in, 1) if per_connection else (1,))  # one neuron
        expected = (n_in, n_out) if per_connection else (n_out,)
        if value.shape != expected:
            hint = ""
            if per_connection and value.shape == (n_out, n_in):
                hint = "; this is the (n_out, n_in) form W of z = Wx + b: pass W.T"
            raise ValueError(f"{name}[{i}] must have shape {expected}, got {value.shape}{hint}")
        checked.append(value)
    return checked


def plot_network(
    layer_sizes: Sequence[int],
    layer_names: Sequence[str] | None = None,
    weights: Sequence[np.ndarray] | None = None,
    biases: Sequence[np.ndarray] | None = None,
    title: str | None = None,
) -> Figure:
    """A fully connected network as a diagram: a circle per neuron, a line per connection.

    ``layer_sizes`` counts the neurons of each layer, the inputs first: ``[4, 5, 3]`` is 4
    inputs, a hidden layer of 5 and an output layer of 3. Inputs are labelled x_1 ... x_n
    and an arrow leaves each output neuron. ``layer_names`` are written under the layers
    (default ``"4 inputs"``, ``"5 neurons"``, ...).

    ``weights`` (optional) holds one array per layer after the input, shaped
    ``(n_in, n_out)`` like a Keras ``Dense`` kernel: ``weights[i][j, k]`` is written on the
    line from neuron j of layer i to neuron k of layer i + 1; for a single neuron a vector
    ``(n_in,)`` will do. ``biases`` (optional), one ``(n_out,)`` array per layer after the
    input (a number for a single neuron), are written inside their neurons. Written weights
    stay readable for a few connections: one neuron's, or those of two small layers.

    A layer of more than 8 neurons is drawn as its first 6, a "⋮" and its last, so that
    ``[16384, 128, 2]`` stays readable; its weights and biases cannot be written then.
    """
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"layer_sizes needs at least two layers of at least one neuron, e.g. [3, 1]; "
            f"got {list(layer_sizes)}"
        )
    if layer_names is None:
        layer_names = [f"{n} input{'s' * (n > 1)}" if i == 0 else f"{n} neuron{'s' * (n > 1)}"
                       for i, n in enumerate(sizes)]
    elif len(layer_names) != len(sizes):
        raise ValueError(f"got {len(sizes)} layer_sizes but {len(layer_names)} layer_names")
    weights = None if weights is None else _checked_layer_values(weights, "weights", sizes, True)
    biases = None if biases is None else _checked_layer_values(biases, "biases", sizes, False)
    if (weights is not None or biases is not None) and max(sizes) > _MAX_DRAWN:
        raise ValueError(
            f"weights and biases can only be written on layers of at most {_MAX_DRAWN} "
            f"neurons; layer_sizes is {sizes}"
        )

    # the centre of each drawn neuron: centres[i][j] for neuron j of layer i, [i][None] the "⋮"
    drawn = [_drawn_neurons(n) for n in sizes]
    centres = [
        {neuron: (_LAYER_GAP * i, (len(layer) - 1) / 2 - k) for k, neuron in enumerate(layer)}
        for i, layer in enumerate(drawn)
    ]
    top = (max(len(layer) for layer in drawn) - 1) / 2  # y of the highest neuron
    name_lines = max(name.count("\n") + 1 for name in layer_names)
    xlim = (-0.9, _LAYER_GAP * (len(sizes) - 1) + 1.5)
    ylim = (-top - 0.75 - 0.25 * name_lines, top + 0.55)  # room for the names below
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    inch = min(0.85, 5.0 / height)  # small networks drawn large, large ones at most 5" high
    font = inch / 0.7  # text grows with the circles
    fig, ax = plt.subplots(
        figsize=(max(5.5, width * inch), height * inch + 0.4 * bool(title)), layout="constrained"
    )
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.set_axis_off()

    line_colour = "grey" if weights is None else "tab:blue"
    for i in range(len(sizes) - 1):  # connections first, so that the circles cover their ends
        n_out = sizes[i + 1]
        for j, (x0, y0) in centres[i].items():
            for k, (x1, y1) in centres[i + 1].items():
                if j is None or k is None:
                    continue
                ax.plot([x0, x1], [y0, y1], color=line_colour, lw=0.7 if weights is None else 1.2,
                        zorder=1)
                if weights is None:
                    continue
                # on its line, further from the source the lower its target, so that the
                # labels of the lines that leave one neuron do not overlap
                t = 0.3 if n_out == 1 else 0.2 + 0.55 * k / (n_out - 1)
                ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), f"${weights[i][j, k]:.3g}$",
                        color=line_colour, fontsize=9 * font, ha="center", va="center",
                        rotation=np.degrees(np.arctan2(y1 - y0, x1 - x0)), rotation_mode="anchor",
                        bbox=dict(facecolor="white", edgecolor="none", pad=0.5), zorder=2)

    last = len(sizes) - 1
    for i, layer in enumerate(centres):
        colour = _LAYER_COLOURS[0 if i == 0 else 2 if i == last else 1]
        for neuron, (x, y) in layer.items():
            if neuron is None:
                ax.text(x, y, "⋮", ha="center", va="center", fontsize=16 * font)
                continue
            ax.add_patch(plt.Circle((x, y), _RADIUS, color=colour, zorder=3))
            if i == 0:
                ax.text(x, y, f"$x_{{{neuron + 1}}}$", ha="center", va="center", color="white",
                        fontsize=(10 if neuron < 99 else 8) * font, zorder=4)
            elif biases is not None:
                ax.text(x, y, f"$b =$\n${biases[i - 1][neuron]:.3g}$", ha="center", va="center",
                        color="black" if i == last else "white", fontsize=8 * font,
                        linespacing=1.1, zorder=4)
            if i == last:
                ax.add_patch(FancyArrowPatch((x + _RADIUS, y), (x + _RADIUS + 0.8, y),
                                             arrowstyle="-|>", mutation_scale=12, zorder=3))
        ax.text(_LAYER_GAP * i, -top - 0.6, layer_names[i], ha="center", va="top", fontsize=10)
    if title:
        ax.set_title(title)
    return _detach(fig)


# --------------------------------------------------------------------------------------------
# Images, filters and feature maps
# --------------------------------------------------------------------------------------------


def show_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    size: float = 2.5,
) -> Figure:
    """Images in a grid, axes off, one axes per image (``size`` inches each).

    Each image is RGB ``(H, W, 3)`` or grayscale ``(H, W)``, uint8 (0..255) or float (0..1),
    as returned by ``helpers.images.read_rgb``. A batch array ``(N, H, W, 3)`` works too.
    Grayscale is drawn with cmap gray on the fixed range 0..255 / 0..1, except 2-D floats
    outside [0, 1] (e.g. a convolution's output), which are stretched from min to max.
    """
    images = [_checked_image(image, f"images[{i}]") for i, image in enumerate(images)]
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    fig, axes = _grid(len(images), ncols, size)
    for i, (ax, image) in enumerate(zip(axes, images)):
        _draw_image(ax, image)
        if titles is not None:
            ax.set_title(titles[i])
    return _detach(fig)


def plot_filters(weights: np.ndarray, ncols: int = 8, title: str | None = None) -> Figure:
    """Each filter of a convolution layer as a small image, titled "filter i" (i from 0).

    ``weights`` is the kernel in TensorFlow layout ``(fh, fw, c_in, k)``, e.g.
    ``layer.get_weights()[0]`` or ``layer.kernel.numpy()``. With 3 input channels each filter
    ``weights[..., i]`` is drawn as an RGB picture, min-max normalised on its own. Otherwise
    the mean over input channels is drawn in a diverging colormap (red > 0, blue < 0, white
    = 0), each filter on its own symmetric range: compare the patterns, not the strengths.
    """
    if isinstance(weights, (list, tuple)):
        raise ValueError("pass the kernel alone, e.g. layer.get_weights()[0], not the list")
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 4:
        raise ValueError(f"weights must be (fh, fw, c_in, k), got shape {weights.shape}")
    fig, axes = _grid(weights.shape[-1], ncols, size=1.2)
    for i, ax in enumerate(axes):
        kernel = weights[..., i]
        if kernel.shape[-1] == 3:
            low, high = kernel.min(), kernel.max()
            rgb = (kernel - low) / (high - low) if high > low else np.full_like(kernel, 0.5)
            ax.imshow(rgb, interpolation="nearest")
        else:
            mean = kernel.mean(axis=-1)
            limit = float(np.abs(mean).max()) or 1.0
            ax.imshow(mean, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"filter {i}", fontsize=8)
    if title:
        fig.suptitle(title)
    return _detach(fig)


def plot_feature_maps(
    maps: np.ndarray, ncols: int = 8, title: str | None = None, max_maps: int = 32
) -> Figure:
    """The channels of a layer's output for one image, titled "map i" (i from 0), cmap viridis.

    ``maps`` is ``(H, W, K)`` or ``(1, H, W, K)`` (a batch of one, as ``model(x)`` returns).
    Only the first ``max_maps`` maps are drawn; each is stretched from its own min to max.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        hint = "; pass one image's maps, e.g. maps[:1]" if maps.ndim == 4 else ""
        raise ValueError(f"maps must be (H, W, K) or (1, H, W, K), got shape {maps.shape}{hint}")
    total = maps.shape[-1]
    shown = min(total, max_maps)
    fig, axes = _grid(shown, ncols, size=1.5)
    for i, ax in enumerate(axes):
        ax.imshow(maps[..., i], cmap="viridis")
        ax.set_title(f"map {i}", fontsize=8)
    if shown < total:
        note = f"first {shown} of {total} maps"
        title = f"{title} ({note})" if title else note
    if title:
        fig.suptitle(title)
    return _detach(fig)


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """Blend a heatmap over an image (saliency, Grad-CAM): RGB float (H, W, 3) in [0, 1].

    ``image`` is RGB ``(H, W, 3)`` (or grayscale ``(H, W)``), uint8 or float in [0, 1], as
    returned by ``helpers.images.read_rgb``. ``heatmap`` is 2-D of any size and range: it is
    min-max normalised to [0, 1], resized to (H, W) by bilinear interpolation, coloured with
    the jet colormap, and blended: ``(1 - alpha) * image + alpha * colour``.
    Draw the result with ``show_images``.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    image = _checked_image(image)
    rgb = image / 255.0 if image.dtype == np.uint8 else image
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    heatmap = np.asarray(heatmap, dtype=float)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must be 2-D, got shape {heatmap.shape} (try np.squeeze)")
    low, high = heatmap.min(), heatmap.max()
    heatmap = (heatmap - low) / (high - low) if high > low else np.zeros_like(heatmap)
    heatmap = _resize_bilinear(heatmap, *rgb.shape[:2])
    colour = colormaps[HEATMAP_COLORMAP](heatmap)[..., :3]
    return np.clip((1.0 - alpha) * rgb + alpha * colour, 0.0, 1.0)


def _resize_bilinear(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D array by bilinear interpolation (pixel centres aligned, as OpenCV/TF do)."""

    def sample_points(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        left = np.floor(x).astype(int)
        right = np.minimum(left + 1, n_in - 1)
        return left, right, x - left

    top, bottom, fy = sample_points(array.shape[0], height)
    left, right, fx = sample_points(array.shape[1], width)
    fx = fx[np.newaxis, :]
    upper = array[top][:, left] * (1 - fx) + array[top][:, right] * fx
    lower = array[bottom][:, left] * (1 - fx) + array[bottom][:, right] * fx
    return upper * (1 - fy[:, np.newaxis]) + lower * fy[:, np.newaxis]


# --------------------------------------------------------------------------------------------
# Data sets, training and evaluation
# --------------------------------------------------------------------------------------------


def plot_class_balance(counts: Mapping[str, int], title: str = "Images per class") -> Figure:
    """A bar per class with its count written on top: is the data set balanced?"""
    if not counts:
        raise ValueError("counts is empty: pass e.g. {'cat': 1000, 'dog': 1000}")
    fig, ax = plt.subplots(figsize=(max(4.0, 1.0 * len(counts)), 4), layout="constrained")
    bars = ax.bar(list(counts), list(counts.values()), color="tab:blue")
    ax.bar_label(bars)
    ax.set(title=title, ylabel="images")
    ax.margins(y=0.12)  # room for the labels above the tallest bar
    return _detach(fig)


def plot_training_history(history: Mapping[str, Sequence[float]]) -> Figure:
    """Training and validation curves per epoch (x from 1): one axes for loss, one for accuracy.

    ``history`` is the dict Keras records, ``model.fit(...).history``, with any of ``loss``,
    ``val_loss``, ``accuracy``, ``val_accuracy`` (keys ending in ``accuracy``, such as
    ``binary_accuracy``, go on the accuracy axes too; other keys are ignored). The History
    object itself is accepted. An axes is drawn only for the group that has curves; a curve
    whose values are all None (the validation of a run without validation) is left out.
    """
    if not isinstance(history, Mapping) and hasattr(history, "history"):
        history = history.history  # a keras.callbacks.History
    # A run without validation records None for its validation curves: nothing to draw.
    history = {key: values for key, values in history.items()
               if any(value is not None for value in values)}
    groups = [
        ("loss", [k for k in ("loss", "val_loss") if k in history]),
        ("accuracy", [k for k in history if k.endswith("accuracy")]),
    ]
    groups = [(name, keys) for name, keys in groups if keys]
    if not groups:
        raise ValueError(
            f"history has no loss or accuracy curves; its keys are {sorted(history)}"
        )
    fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False,
                             layout="constrained")
    for ax, (name, keys) in zip(axes.flat, groups):
        for key in sorted(keys, key=lambda k: k.startswith("val_")):  # training first
            values = np.asarray(history[key], dtype=float)
            split = "validation" if key.startswith("val_") else "training"
            metric = key.removeprefix("val_")
            label = split if metric == name else f"{split} {metric}"
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=label)
        ax.set(title=name.capitalize(), xlabel="epoch", ylabel=name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.4)
        ax.legend()
    return _detach(fig)


def plot_confusion_matrix(
    matrix: np.ndarray, class_names: Sequence[str], normalize: bool = False
) -> Figure:
    """The confusion matrix as an image with the number written in each cell.

    ``matrix[i, j]`` counts images of true class i predicted as class j (rows: "true",
    columns: "predicted"). ``normalize=True`` divides each row by its sum, so a cell is the
    fraction of true class i predicted as j, and the diagonal is each class's recall.
    """
    matrix = np.asarray(matrix, dtype=float)
    n = len(class_names)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square (n_classes, n_classes), got {matrix.shape}")
    if matrix.shape[0] != n:
        raise ValueError(f"matrix is {matrix.shape} but there are {n} class names")
    if normalize:
        row_sums = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, row_sums, out=np.zeros_like(matrix), where=row_sums > 0)
        cell_format = "{:.2f}"
    else:
        cell_format = "{:.0f}" if np.all(matrix == np.round(matrix)) else "{:.2f}"

    side = max(3.5, 0.9 * n + 1.5)
    fig, ax = plt.subplots(figsize=(side, side), layout="constrained")
    top = 1.0 if normalize else max(float(matrix.max()), 1.0)  # the darkest colour
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=top)
    dark = top / 2  # cells darker than this get white text
    for i in range(n):
        for j in range(n):
            ax.text(j, i, cell_format.format(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > dark else "black")
    ax.set_xticks(range(n), class_names, rotation=45 if n > 4 else 0,
                  ha="right" if n > 4 else "center")
    ax.set_yticks(range(n), class_names)
    ax.set(xlabel="predicted", ylabel="true",
           title="Confusion matrix" + (" (fraction of each true class)" if normalize else ""))
    return _detach(fig)


def plot_image_with_probabilities(
    image: np.ndarray,
    class_names: Sequence[str],
    probabilities: Sequence[float],
    title: str | None = None,
) -> Figure:
    """The photo on the left, the predicted probability of each class as bars on the right.

    ``image`` is RGB, uint8 or float in [0, 1], as returned by ``helpers.images.read_rgb``.
    ``probabilities`` are in [0, 1] (apply softmax to logits first). The most probable class
    is drawn in orange. Bars keep the order of ``class_names``, first on top; with many
    classes pass the top few.
    """
    image = _checked_image(image)
    probabilities = np.asarray(probabilities, dtype=float).ravel()
    if len(probabilities) != len(class_names):
        raise ValueError(
            f"got {len(class_names)} class names but {len(probabilities)} probabilities"
        )
    if probabilities.min() < -1e-6 or probabilities.max() > 1 + 1e-6:
        raise ValueError(
            "probabilities must be in [0, 1]; if these are logits, apply softmax first"
        )
    fig, (image_ax, bar_ax) = plt.subplots(
        1, 2, figsize=(8, 3.5), width_ratios=[1, 1.2], layout="constrained"
    )
    _draw_image(image_ax, image)
    if title:
        image_ax.set_title(title)
    colours = ["tab:blue"] * len(probabilities)
    colours[int(np.argmax(probabilities))] = "tab:orange"
    bars = bar_ax.barh(list(class_names), probabilities, color=colours)
    bar_ax.bar_label(bars, fmt="%.2f", padding=2)
    bar_ax.set(xlim=(0, 1.15), xlabel="probability")
    bar_ax.invert_yaxis()  # first class on top
    return _detach(fig)
