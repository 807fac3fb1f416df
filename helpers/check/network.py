"""Checkers for the exercises of notebook 07 (building the network).

Each checker calls the learner's answer on several cases, compares it with ``helpers.model``
(the tutorial's network and the configurable builder) and either prints one line with a check
mark or raises :class:`~helpers.check.ExerciseError` saying which case and which layer is off,
what came back, what was expected and, where it can tell, what the slip looks like.

    from helpers.check import network as check
    check.block_shapes(block_shapes)            # Exercise 7.1
    check.count_parameters(count_parameters)    # Exercise 7.2
    check.conv_block(conv_block)                # Exercise 7.3
    check.forward_pass(forward_pass)            # Exercise 7.4
    check.keras_network(build_network)          # Exercise 7.5
    check.small_model(small_model)              # Exercise 7.6
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers import model as reference
from helpers.check import NOT_WRITTEN, as_whole_number, call_safely, listed, report


def _as_numbers(case: str, got: Any) -> tuple[np.ndarray | None, str]:
    """``(float64 array, "")`` of what a learner's function returned, else ``(None, why not)``."""
    if got is None:
        return None, f"{case} you returned None: did you forget `return`?"
    try:
        return np.asarray(got, dtype=np.float64), ""
    except (TypeError, ValueError):
        return None, f"{case} you returned {type(got).__name__}, not a tensor of numbers."


def _whole(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (48, 48.0, np.int64(48)), else None."""
    return as_whole_number(value)[0]


def _shape_text(shape: Sequence[int]) -> str:
    return "x".join(str(size) for size in shape)


# --------------------------------------------------------------------------------------------
# Exercise 7.1: the output shape after each block, for any image size
# --------------------------------------------------------------------------------------------

#: What each entry of the list stands for, in order.
BLOCK_NAMES = (
    "block 1 (conv1 → pool1 → ReLU)",
    "block 2 (conv2 → pool2 → ReLU)",
    "block 3 (conv3 → pool3 → ReLU)",
    "flatten",
    "fc1",
    "fc2 (the logits)",
)

#: Image sizes tried: the notebook's 96, the tutorial's 128, sizes where 'SAME' pooling must
#: round up (100 → 50 → 25 → 13, 7 → 4 → 2 → 1) and a tiny one.
BLOCK_SHAPE_SIZES = (96, 128, 100, 64, 7, 1)


def expected_block_shapes(image_size: int) -> list[tuple[int, ...]]:
    """The tutorial's network on (image_size, image_size, 3) images, 2 classes: the output shape
    (without the batch axis) of each block, of flatten, of fc1 and of fc2."""
    rows = {row.name: row.output_shape for row in reference.original_layer_table(image_size, 2)}
    return [rows[name] for name in ("pool1", "pool2", "pool3", "flatten", "fc1", "fc2")]


def _as_shape(value: Any) -> tuple[int, ...] | None:
    """A shape as a tuple of ints (an int n counts as (n,)), or None when it is not one."""
    if _whole(value) is not None:
        return (_whole(value),)
    if isinstance(value, (str, bytes)):
        return None
    try:
        items = list(value)
    except TypeError:
        return None
    sizes = [_whole(item) for item in items]
    if any(size is None for size in sizes):
        return None
    return tuple(sizes)  # type: ignore[arg-type]


def _block_shape_mistake(index: int, size: int, got: tuple[int, ...],
                         expected: list[tuple[int, ...]]) -> str:
    """A guess at the slip behind a wrong shape at position `index` ("" if no guess)."""
    before = (size, size, 3) if index == 0 else expected[index - 1]
    want = expected[index]
    if index < 3:
        n = before[0]
        filters = reference.ORIGINAL_FILTERS[index]
        if len(got) == 4 and got[1:] == want:
            return " (leave out the batch axis: (height, width, channels))"
        if len(got) != 3:
            return " (a block's output is (height, width, channels))"
        if got[:2] == want[:2] and got[2] != filters:
            return (f" (the channels: a block ends with as many maps as its convolution has "
                    f"filters, {filters})")
        if got[0] == n // 2 and n % 2:
            pixels = "pixel gives" if n == 1 else "pixels give"
            return (f" ('SAME' pooling rounds up: {n} {pixels} ceil({n}/2) = {math.ceil(n / 2)}, "
                    f"the last window is padded; {n} // 2 = {n // 2} drops a pixel)")
        if got[0] == n:
            return " (the 2x2 pooling with stride 2 halves height and width)"
        if got[0] in ((n - 2) // 2, math.ceil((n - 2) / 2)):
            return (" (the convolution uses 'SAME' padding: with a 3x3 filter it keeps the size; "
                    "only the pooling halves it)")
        return ""
    if index == 3:
        if len(before) == 3 and got == (math.prod(before[:2]),):
            return f" (flatten keeps every channel: {before[0]}·{before[1]}·{before[2]})"
        if got == (sum(before),):
            return f" (flatten multiplies height, width and channels: {' · '.join(map(str, before))})"
        if len(got) != 1:
            return " (flatten gives one long vector per image: (n,))"
        return f" (flatten puts all {_shape_text(before)} numbers in one row)"
    if index == 4:
        return f" (fc1 has {reference.ORIGINAL_DENSE_UNITS} neurons, whatever the image size)"
    return " (fc2 has one output per class, and there are 2 classes)"


def block_shapes(answer: Callable[[int], Any]) -> None:
    """Exercise 7.1: ``answer(image_size)`` must return the list of six output shapes of the
    tutorial's network (2 classes) on (image_size, image_size, 3) images: after each of the three
    conv → pool → ReLU blocks (height, width, channels), after flatten (n,), after fc1 (128,) and
    after fc2 (2,), without the batch axis.

    Compared with ``helpers.model.original_layer_table`` on BLOCK_SHAPE_SIZES. For each wrong
    size it names the first wrong entry and, where it can tell, the slip: pooling that rounds
    down instead of up, a convolution that shrinks the map, the wrong number of channels, a
    flatten that drops a factor, a batch axis.
    """
    problems = []
    for size in BLOCK_SHAPE_SIZES:
        expected = expected_block_shapes(size)
        got, error = call_safely(answer, size)
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for image_size={size}"
        if got is None:
            problems.append(f"{case} you returned None: did you forget `return`?")
            continue
        if isinstance(got, (str, bytes, dict)) or not hasattr(got, "__len__"):
            problems.append(f"{case} you returned {got!r}; expected a list of {len(expected)} "
                            "shapes.")
            continue
        if len(got) != len(expected):
            problems.append(f"{case} you returned {len(got)} shapes; expected {len(expected)}, "
                            f"one for each of: {', '.join(BLOCK_NAMES)}.")
            continue
        for index, (value, want) in enumerate(zip(got, expected)):
            shape = _as_shape(value)
            if shape is None:
                problems.append(f"{case}, {BLOCK_NAMES[index]}: {value!r} is not a shape; "
                                f"expected a tuple of whole numbers such as {want}.")
                break
            if shape != want:
                problems.append(f"{case} the first wrong shape is {BLOCK_NAMES[index]}: you "
                                f"returned {shape}; expected {want}"
                                f"{_block_shape_mistake(index, size, shape, expected)}.")
                break
    report(
        "Exercise 7.1",
        listed(problems),
        success=f"Every shape is right for all {len(BLOCK_SHAPE_SIZES)} image sizes, e.g. "
                f"96x96x3 → {' → '.join(_shape_text(s) for s in expected_block_shapes(96))}.",
        hint="a 'SAME' convolution with stride 1 keeps height and width and gives as many "
             "channels as it has filters; 'SAME' pooling 2x2 with stride 2 gives ceil(n/2); "
             "flatten multiplies the three numbers.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 7.2: the parameters of each layer, for any image size and number of classes
# --------------------------------------------------------------------------------------------

#: The layers that have weights, in the order the answer lists them.
WEIGHT_LAYERS = ("conv1", "conv2", "conv3", "fc1", "fc2")

#: (image_size, num_classes): the tutorial's, other sizes (one that rounds up) and class counts.
PARAMETER_CASES = ((128, 2), (96, 2), (128, 10), (100, 3), (64, 5), (7, 2))


def expected_parameters(image_size: int, num_classes: int) -> list[int]:
    """Parameters of conv1, conv2, conv3, fc1, fc2 of the tutorial's network (from
    ``helpers.model.original_layer_table``)."""
    rows = {row.name: row.parameters
            for row in reference.original_layer_table(image_size, num_classes)}
    return [rows[name] for name in WEIGHT_LAYERS]


def _parameter_mistake(layer: str, image_size: int, num_classes: int, got: int) -> str:
    """A guess at the slip behind a wrong count for one layer ("" if no guess)."""
    rows = {row.name: row for row in reference.original_layer_table(image_size, num_classes)}
    if layer.startswith("conv"):
        block = int(layer[-1])
        k = reference.ORIGINAL_FILTERS[block - 1]
        c_in = 3 if block == 1 else reference.ORIGINAL_FILTERS[block - 2]
        guesses = [
            (9 * c_in * k, "the biases are missing: one per filter"),
            ((9 + 1) * k, "the input channels are missing: each filter is 3x3xc_in"),
            (9 * c_in + 1, f"that is one filter; the layer has {k}"),
            ((9 * 3 + 1) * k, f"{layer}'s filters see the {c_in} maps of the block before, "
                              "not the 3 colours of the photo"),
        ]
    elif layer == "fc1":
        (n_in,) = rows["flatten"].output_shape
        units = reference.ORIGINAL_DENSE_UNITS
        floor_size = image_size
        for _ in range(3):
            floor_size //= 2
        floor_in = floor_size * floor_size * reference.ORIGINAL_FILTERS[-1]
        guesses = [
            (n_in * units, "the biases are missing: one per neuron"),
            ((16384 + 1) * units,
             f"16384 inputs is the 128-pixel network; at image_size={image_size} flatten gives "
             f"{_shape_text(rows['pool3'].output_shape)} = {n_in} numbers"),
            ((floor_in + 1) * units,
             f"that is ({floor_in} + 1)·{units}: 'SAME' pooling rounds up, so the last block is "
             f"{_shape_text(rows['pool3'].output_shape)}, not {floor_size}x{floor_size}x64"),
        ]
    else:  # fc2
        units = reference.ORIGINAL_DENSE_UNITS
        guesses = [
            (units * num_classes, "the biases are missing: one per output"),
            ((units + 1) * 2, f"fc2 has one output per class: num_classes={num_classes}, not 2"),
        ]
    expected = rows[layer].parameters
    for value, why in guesses:
        if got == value and value != expected:
            return f" ({why})"
    return ""


def count_parameters(answer: Callable[[int, int], Any]) -> None:
    """Exercise 7.2: ``answer(image_size, num_classes)`` must return the parameters (weights and
    biases) of conv1, conv2, conv3, fc1 and fc2 of the tutorial's network, as a list of 5 ints.

    Compared with ``helpers.model.original_layer_table`` on PARAMETER_CASES; names the first
    wrong layer of each case and, where it can tell, the slip: a missing bias, input channels
    left out or taken as 3, fc1 still counted for 128 pixels or with pooling that rounds down,
    fc2 fixed at 2 classes.
    """
    problems = []
    for size, classes in PARAMETER_CASES:
        expected = expected_parameters(size, classes)
        got, error = call_safely(answer, size, classes)
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for image_size={size}, num_classes={classes}"
        if got is None:
            problems.append(f"{case} you returned None: did you forget `return`?")
            continue
        if isinstance(got, (str, bytes, dict)) or not hasattr(got, "__len__"):
            problems.append(f"{case} you returned {got!r}; expected a list of 5 counts "
                            f"({', '.join(WEIGHT_LAYERS)}).")
            continue
        if len(got) != len(expected):
            extra = (" Leave out pooling and flatten: they have no weights."
                     if len(got) == len(reference.ORIGINAL_LAYER_NAMES) else "")
            problems.append(f"{case} you returned {len(got)} counts; expected 5, one for each "
                            f"layer with weights ({', '.join(WEIGHT_LAYERS)}).{extra}")
            continue
        for layer, value, want in zip(WEIGHT_LAYERS, got, expected):
            number = _whole(value)
            if number is None:
                problems.append(f"{case}, {layer}: you returned {value!r}; expected the whole "
                                f"number {want}.")
                break
            if number != want:
                problems.append(f"{case} the first wrong count is {layer}: you counted "
                                f"{number}; expected {want}"
                                f"{_parameter_mistake(layer, size, classes, number)}.")
                break
    total = sum(expected_parameters(128, 2))
    report(
        "Exercise 7.2",
        listed(problems),
        success=f"All {len(PARAMETER_CASES)} cases match, e.g. {total:,} parameters at 128 "
                f"pixels and 2 classes, {sum(expected_parameters(96, 2)):,} at 96.",
        hint="a 3x3 convolution has (3·3·c_in + 1)·filters, a dense layer (n_in + 1)·units. Work "
             "out the size after the third pooling first (each 'SAME' pooling gives ceil(n/2)): "
             "it decides fc1's n_in.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 7.3: one conv → pool → ReLU block from tf.nn primitives
# --------------------------------------------------------------------------------------------

#: (description, x shape, number of filters): square and not, odd sizes where 'SAME' pooling
#: pads, one and several images, one and several input channels.
CONV_BLOCK_CASES = (
    ("2 images of 8x8x3, 4 filters", (2, 8, 8, 3), 4),
    ("1 image of 7x7x2, 5 filters", (1, 7, 7, 2), 5),
    ("3 images of 6x10x1, 2 filters", (3, 6, 10, 1), 2),
    ("1 image of 5x5x3, 32 filters", (1, 5, 5, 3), 32),
)

#: Tolerance for comparing float32 results computed in different orders.
ATOL = 1e-5


def _conv_block_case(seed: int, x_shape: tuple[int, ...], filters: int) -> tuple[Any, Any, Any]:
    """Random float32 tensors x, kernel (3, 3, c_in, filters) and bias (filters,); values of
    both signs, so that a missing ReLU or bias shows."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    x = rng.normal(size=x_shape).astype(np.float32)
    kernel = rng.normal(scale=0.5, size=(3, 3, x_shape[-1], filters)).astype(np.float32)
    bias = rng.normal(scale=0.5, size=(filters,)).astype(np.float32)
    return tf.constant(x), tf.constant(kernel), tf.constant(bias)


def _conv_block_variants(x: Any, kernel: Any, bias: Any) -> list[tuple[str, np.ndarray]]:
    """(what went wrong, its result) for the usual slips, computed with tf.nn."""
    import tensorflow as tf

    nn = tf.nn

    def conv(padding: str = "SAME", stride: int = 1) -> Any:
        return nn.conv2d(x, kernel, strides=stride, padding=padding)

    def pool(z: Any, ksize: int = 2, stride: int = 2, padding: str = "SAME") -> Any:
        return nn.max_pool2d(z, ksize=ksize, strides=stride, padding=padding)

    variants = [
        ("the bias is missing: add `bias` to the convolution's output", nn.relu(pool(conv()))),
        ("there is no ReLU: the block ends with tf.nn.relu", pool(conv() + bias)),
        ("the bias is added after the ReLU; add it to the convolution's output, before the ReLU",
         nn.relu(pool(conv())) + bias),
        ("this is average pooling; the tutorial's block takes the maximum (tf.nn.max_pool2d)",
         nn.relu(nn.avg_pool2d(conv() + bias, ksize=2, strides=2, padding="SAME"))),
        ("there is no pooling: after conv + bias comes a 2x2 max pooling with stride 2",
         nn.relu(conv() + bias)),
        ("the pooling moves 1 pixel at a time: use strides=2, so the 2x2 windows do not overlap",
         nn.relu(pool(conv() + bias, stride=1))),
        ("the convolution uses 'VALID' padding, which shrinks the map by 2; the tutorial's "
         "uses padding='SAME'", nn.relu(pool(conv(padding="VALID") + bias))),
        ("the pooling uses 'VALID' padding, which drops the last row and column of an odd-sized "
         "map; use padding='SAME' as the tutorial does", nn.relu(pool(conv() + bias, padding="VALID"))),
        ("the convolution moves 2 pixels at a time; it uses strides=1 (only the pooling has "
         "stride 2)", nn.relu(pool(conv(stride=2) + bias))),
        ("the pooling window is 3x3; the tutorial's is 2x2 (ksize=2)",
         nn.relu(pool(conv() + bias, ksize=3))),
    ]
    return [(why, value.numpy()) for why, value in variants]


def _op_order(func: Callable[..., Any], x: Any, kernel: Any, bias: Any) -> list[str]:
    """The kinds of operation ("conv", "pool", "relu", "add") in the order the learner's function
    runs them, read from a TensorFlow graph of it ([] when it cannot be traced)."""
    import tensorflow as tf

    kinds = {"Conv2D": "conv", "MaxPool": "pool", "MaxPoolV2": "pool", "Relu": "relu",
             "Maximum": "relu", "AddV2": "add", "Add": "add", "BiasAdd": "add"}
    try:
        graph = tf.function(func).get_concrete_function(
            tf.TensorSpec(x.shape, tf.float32), tf.TensorSpec(kernel.shape, tf.float32),
            tf.TensorSpec(bias.shape, tf.float32)).graph
    except Exception:  # numpy inside, Python control flow on values, ...: no graph, no note
        return []
    order = []
    for operation in graph.get_operations():
        kind = kinds.get(operation.type)
        if kind and kind not in order:
            order.append(kind)
    return order


def _order_note(func: Callable[..., Any], x: Any, kernel: Any, bias: Any) -> str:
    """A sentence about an equivalent but different order of a right answer ("" if none)."""
    order = _op_order(func, x, kernel, bias)
    if not order:
        try:  # no graph: look at the source text instead
            source = inspect.getsource(func)
        except (OSError, TypeError):
            return ""
        relu, pool = source.find("relu"), source.find("max_pool")
        order = ["relu", "pool"] if 0 <= relu < pool else []
    notes = []
    if "relu" in order and "pool" in order and order.index("relu") < order.index("pool"):
        notes.append("You apply ReLU before pooling, the tutorial after: the numbers are the "
                     "same, because max(relu(a), relu(b)) = relu(max(a, b)) (ReLU never "
                     "reverses the order of two numbers), so the two orders are equivalent and "
                     "both are accepted; "
                     "pooling first runs ReLU on a quarter of the values.")
    if "add" in order and "pool" in order and order.index("pool") < order.index("add"):
        notes.append("You add the bias after pooling: also the same numbers, since adding one "
                     "number per channel does not change which value of a window is largest.")
    return " ".join(notes)


def conv_block(answer: Callable[[Any, Any, Any], Any]) -> None:
    """Exercise 7.3: ``answer(x, kernel, bias)`` must compute the tutorial's block with tf.nn:
    a 3x3 convolution ('SAME', stride 1) plus the bias, 2x2 max pooling with stride 2 ('SAME'),
    then ReLU; x (batch, h, w, c_in), kernel (3, 3, c_in, filters), bias (filters,), all float32
    tensors; the result (batch, ceil(h/2), ceil(w/2), filters).

    Compared with ``OriginalNetworkFromPrimitives.conv_block`` on CONV_BLOCK_CASES. Names a
    missing bias or ReLU, a bias after the ReLU, average pooling, no pooling, pooling with stride
    1, a 3x3 window, 'VALID' padding in the convolution or the pooling and a strided
    convolution. ReLU before pooling (and a bias added after pooling) give the same numbers:
    they are accepted, with a sentence saying why.
    """
    problems = []
    first_case = None
    for seed, (description, x_shape, filters) in enumerate(CONV_BLOCK_CASES):
        x, kernel, bias = _conv_block_case(seed, x_shape, filters)
        first_case = first_case or (x, kernel, bias)
        expected = reference.OriginalNetworkFromPrimitives.conv_block(x, kernel, bias).numpy()
        got, error = call_safely(answer, x, kernel, bias)
        if error:
            problems.append(error)
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for {description}"
        got, problem = _as_numbers(case, got)
        if problem:
            problems.append(problem)
            continue
        same_shape = got.shape == expected.shape
        if same_shape and np.all(np.isfinite(got)) and np.allclose(got, expected, rtol=0, atol=ATOL):
            continue
        why = ""
        for mistake, value in _conv_block_variants(x, kernel, bias):
            if (value.shape == got.shape and not (value.shape == expected.shape
                                                  and np.allclose(value, expected, atol=ATOL))
                    and np.allclose(got, value, rtol=0, atol=ATOL)):
                why = f": {mistake}"
                break
        if not same_shape:
            why = why or (" (the convolution keeps height and width, the pooling halves them, "
                          "rounding up, and there are as many channels as filters)")
            problems.append(f"{case} your block returned shape {got.shape}; "
                            f"expected {expected.shape}{why}.")
        else:
            index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(got - expected)),
                                                            got.shape))
            problems.append(f"{case} the value at {index} is {got[index]:.4g}; expected "
                            f"{expected[index]:.4g}{why}.")
    note = ""
    if not problems and first_case is not None:
        note = _order_note(answer, *first_case)
    report(
        "Exercise 7.3",
        listed(problems),
        success=("Your block matches OriginalNetworkFromPrimitives.conv_block on all "
                 f"{len(CONV_BLOCK_CASES)} cases. {note}").strip(),
        hint="follow the tutorial's block step by step, one tf.nn call each: the convolution "
             "('SAME', stride 1) plus the bias, then 2x2 max pooling with stride 2 ('SAME'), "
             "then ReLU.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 7.4: the whole forward pass from tf.nn primitives
# --------------------------------------------------------------------------------------------

#: (image_size, num_classes, seed) of the networks the forward pass is tried on: the tutorial's
#: size, a small one, and one where 'SAME' pooling rounds up (20 → 10 → 5 → 3) with 3 classes.
FORWARD_CASES = ((128, 2, 0), (32, 2, 1), (20, 3, 2))


def _reference_logits(net: Any, images: Any) -> np.ndarray:
    """``net(images)`` computed eagerly, layer by layer: calling many networks' ``forward``
    graphs would trace each one (and make TensorFlow warn about retracing)."""
    import tensorflow as tf

    x = images
    for block in (1, 2, 3):
        x = net.conv_block(x, getattr(net, f"conv{block}_kernel"), getattr(net, f"conv{block}_bias"))
    x = tf.nn.relu(tf.matmul(tf.reshape(x, [x.shape[0], -1]), net.fc1_kernel) + net.fc1_bias)
    return (tf.matmul(x, net.fc2_kernel) + net.fc2_bias).numpy()


def _forward_variants(net: Any, images: Any) -> list[tuple[str, np.ndarray]]:
    """(what went wrong, its result) for the usual slips in the forward pass."""
    import tensorflow as tf

    x = images
    for block in (1, 2, 3):
        x = net.conv_block(x, getattr(net, f"conv{block}_kernel"), getattr(net, f"conv{block}_bias"))
    flat = tf.reshape(x, [x.shape[0], -1])
    hidden = tf.matmul(flat, net.fc1_kernel) + net.fc1_bias
    logits = tf.matmul(tf.nn.relu(hidden), net.fc2_kernel) + net.fc2_bias
    variants = [
        ("you return probabilities: stop at the logits, before the softmax (the network's "
         "predict_proba applies it)", tf.nn.softmax(logits)),
        ("fc1 has no ReLU: relu(x·W + b) on the 128 hidden neurons",
         tf.matmul(hidden, net.fc2_kernel) + net.fc2_bias),
        ("the logits go through a ReLU; fc2 is x·W + b with no activation", tf.nn.relu(logits)),
        ("fc2's bias is missing", tf.matmul(tf.nn.relu(hidden), net.fc2_kernel)),
        ("fc1's bias is missing", tf.matmul(tf.nn.relu(hidden - net.fc1_bias), net.fc2_kernel)
         + net.fc2_bias),
    ]
    return [(why, value.numpy()) for why, value in variants]


def forward_pass(answer: Callable[[Any, Any], Any]) -> None:
    """Exercise 7.4: ``answer(net, images)`` must return the logits (batch, num_classes) of an
    :class:`~helpers.model.OriginalNetworkFromPrimitives` ``net`` on float32 ``images``
    (batch, size, size, 3), computed from its ten variables with tf.nn functions: three
    conv → pool → ReLU blocks, flatten, fc1 with ReLU, fc2.

    Compared with ``net(images)`` on FORWARD_CASES; names softmaxed outputs, a missing ReLU in
    fc1, a ReLU on the logits, a missing dense bias, and a wrong shape (a flatten that keeps the
    batch size wrong, or a block left out).
    """
    import tensorflow as tf

    problems = []
    for size, classes, seed in FORWARD_CASES:
        net = reference.OriginalNetworkFromPrimitives(size, classes, seed=seed)
        rng = np.random.default_rng(seed)
        images = tf.constant(rng.random((3, size, size, 3), dtype=np.float32))
        expected = _reference_logits(net, images)
        got, error = call_safely(answer, net, images)
        if error:
            problems.append(error.replace(str(net), "net"))
            if NOT_WRITTEN in error:
                break
            continue
        case = f"for a network on {size}x{size}x3 photos with {classes} classes"
        got, problem = _as_numbers(case, got)
        if problem:
            problems.append(problem)
            continue
        if got.shape != expected.shape:
            problems.append(f"{case} and 3 photos you returned shape {got.shape}; expected "
                            f"{expected.shape}, one logit per class for each photo (flatten "
                            "with tf.reshape(x, [batch, -1]) keeps one row per photo).")
            continue
        if np.all(np.isfinite(got)) and np.allclose(got, expected, rtol=0, atol=ATOL):
            continue
        why = next((f": {mistake}" for mistake, value in _forward_variants(net, images)
                    if np.allclose(got, value, rtol=0, atol=ATOL)), "")
        worst = float(np.max(np.abs(got - expected)))
        problems.append(f"{case} your logits differ from net(images) by up to {worst:.3g}{why}.")
    report(
        "Exercise 7.4",
        listed(problems),
        success=f"Your forward pass gives net(images)'s logits on all {len(FORWARD_CASES)} "
                "networks.",
        hint="three times your conv_block with conv1, conv2, conv3's variables; then "
             "tf.reshape to (batch, -1); then relu(x·W + b) with fc1's variables and x·W + b "
             "with fc2's (tf.matmul). No softmax at the end.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 7.5: the tutorial's network in Keras
# --------------------------------------------------------------------------------------------

#: (image_size, num_classes, seed) tried: the tutorial's network, and 100 px (where 'SAME'
#: pooling rounds up, 25 → 13) with 3 classes.
KERAS_CASES = ((128, 2, 0), (100, 3, 1))

#: The names the layers must have: the module's variable names, so copy_weights can find them.
KERAS_LAYER_NAMES = ("conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "fc1",
                     "fc2", "softmax")

#: The spread of the tutorial's truncated normal: 0.05 · 0.88 (cut at ±2σ).
TRUNCATED_STD = 0.05 * 0.8796


def _relu_count(keras_model: Any) -> int:
    """How many times the model applies ReLU: ReLU layers, Activation('relu') layers and
    Conv2D/Dense layers with activation='relu'."""
    count = 0
    for layer in _layers_of(keras_model):
        kind = type(layer).__name__
        if kind == "ReLU":
            count += 1
        elif kind in ("Activation", "Conv2D", "Dense"):
            count += getattr(getattr(layer, "activation", None), "__name__", "") == "relu"
    return count


def _initial_weight_problems(keras_model: Any) -> list[str]:
    """One sentence per layer whose starting weights are not the tutorial's."""
    problems = []
    for layer in _by_kind(keras_model, "Conv2D") + _by_kind(keras_model, "Dense"):
        kernel = np.asarray(layer.kernel.numpy(), dtype=float)
        spread, largest = float(kernel.std()), float(np.abs(kernel).max())
        tolerance = 0.25 if kernel.size < 2000 else 0.1
        if largest > 0.1 + 1e-6 or abs(spread / TRUNCATED_STD - 1) > tolerance:
            problems.append(
                f"{layer.name}'s kernel starts with a spread of {spread:.3f} and values up to "
                f"{largest:.3f}; the tutorial's start, kernel_initializer="
                "keras.initializers.TruncatedNormal(stddev=0.05), gives a spread of about "
                f"{TRUNCATED_STD:.3f} and nothing beyond ±0.1.")
        if layer.bias is None:
            continue  # a missing bias shows in the parameter count
        bias = np.asarray(layer.bias.numpy(), dtype=float)
        if not np.allclose(bias, reference.BIAS_VALUE):
            problems.append(f"{layer.name}'s biases start at {bias.mean():.3g} on average; the "
                            "tutorial's are all 0.05: bias_initializer="
                            "keras.initializers.Constant(0.05).")
    return problems


def _keras_network_problems(got: Any, size: int, classes: int, seed: int) -> list[str]:
    """Everything wrong with one model for (size, classes), checked in the order a learner
    would fix it: the layers, the counts, the starting weights, then the outputs."""
    import keras

    if got is None:
        return ["you returned None: did you forget `return`?"]
    try:
        has_input = isinstance(got, keras.Model) and bool(got.inputs)
    except (AttributeError, ValueError):  # a Sequential without keras.Input has no inputs yet
        has_input = False
    if not has_input:
        return [f"you returned {type(got).__name__}; expected a Keras model with an input, e.g. "
                f"keras.Sequential([keras.Input(({size}, {size}, 3)), ...])."]
    problems = []
    input_shape = tuple(got.inputs[0].shape)
    if input_shape[1:] != (size, size, 3):
        problems.append(f"its input shape is {input_shape}; expected (None, {size}, {size}, 3).")
    convs = _by_kind(got, "Conv2D")
    filters = [int(layer.filters) for layer in convs]
    if filters != list(reference.ORIGINAL_FILTERS):
        problems.append(f"its convolutions have {filters} filters; expected [32, 32, 64].")
    for layer in convs:
        if tuple(layer.kernel_size) != (3, 3) or tuple(layer.strides) != (1, 1):
            problems.append(f"{layer.name} has a {layer.kernel_size} kernel and strides "
                            f"{layer.strides}; the tutorial's are 3x3 with stride 1.")
        if layer.padding != "same":
            problems.append(f"{layer.name} uses padding='{layer.padding}', which shrinks the map "
                            "by 2 pixels; the tutorial's convolutions use padding='same'.")
    pools = _by_kind(got, "MaxPooling2D")
    if len(pools) != 3:
        problems.append(f"it has {len(pools)} max poolings; expected 3, one per block.")
    for layer in pools:
        if tuple(layer.pool_size) != (2, 2) or tuple(layer.strides) != (2, 2):
            problems.append(f"{layer.name} pools {layer.pool_size} with strides {layer.strides}; "
                            "expected 2x2 with stride 2.")
        if layer.padding != "same":
            problems.append(f"{layer.name} uses padding='{layer.padding}', which drops the last "
                            "row and column of an odd-sized map; use padding='same'.")
    relus = _relu_count(got)
    if relus != 4:
        problems.append(f"it applies ReLU {relus} times; expected 4: after each of the three "
                        "poolings and in fc1 (the logits, fc2, have no activation).")
    units = [int(layer.units) for layer in _by_kind(got, "Dense")]
    if units != [reference.ORIGINAL_DENSE_UNITS, classes]:
        problems.append(f"its dense layers have {units} units; expected "
                        f"[128, {classes}]: fc1 of 128 neurons, then one output per class.")
    output_shape = tuple(got.outputs[0].shape)
    if output_shape[1:] != (classes,):
        problems.append(f"its output shape is {output_shape}; expected (None, {classes}), one "
                        "probability per class: use num_classes.")
    if not _by_kind(got, "Flatten"):
        problems.append("it has no Flatten layer between the last block and fc1.")
    names = [layer.name for layer in got.layers]
    missing = [name for name in KERAS_LAYER_NAMES if name not in names]
    if missing:
        problems.append(f"it has no layer named {', '.join(missing)}: give each layer its name "
                        "(name=\"conv1\", ...), so the module's weights can be copied in.")
    if problems:
        return problems
    expected_count = sum(row.parameters for row in reference.original_layer_table(size, classes))
    if got.count_params() != expected_count:
        return [f"it has {got.count_params():,} parameters; expected {expected_count:,}."]
    problems = _initial_weight_problems(got)
    if problems:
        return problems
    net = reference.OriginalNetworkFromPrimitives(size, classes, seed=seed)
    images = np.random.default_rng(seed).random((2, size, size, 3), dtype=np.float32)
    try:
        reference.copy_weights(net, got)
        probabilities = np.asarray(got(images, training=False), dtype=float)
    except Exception as error:  # a learner's model may fail in any way
        return [f"copying the module's weights in and calling it raised "
                f"{type(error).__name__}: {error}"]
    logits = _reference_logits(net, images)
    expected = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    if not np.allclose(probabilities, expected, atol=ATOL):
        worst = float(np.abs(probabilities - expected).max())
        return [f"with the module's weights copied in, its outputs differ from "
                f"net.predict_proba by up to {worst:.3g}: each block is conv → pool → ReLU, "
                "and the model ends with the softmax layer."]
    return []


def keras_network(answer: Callable[[int, int, int], Any]) -> None:
    """Exercise 7.5: ``answer(image_size, num_classes, seed)`` must return the tutorial's network
    as a Keras model: conv1, pool1, relu, conv2, pool2, relu, conv3, pool3, relu, flatten, fc1
    (128, ReLU), fc2 (num_classes), softmax; 3x3 convolutions of 32, 32, 64 filters with
    padding 'same', 2x2 max pooling with stride 2 and padding 'same', the tutorial's
    initialisers (TruncatedNormal(stddev=0.05), biases Constant(0.05)).

    On KERAS_CASES it compares the layers (filters, kernels, padding, pooling, ReLUs, dense
    units, output shape, names), the parameter count, the starting weights (spread and range of
    every kernel, every bias), and, with an :class:`OriginalNetworkFromPrimitives`' weights
    copied in, the outputs.
    """
    problems = []
    for size, classes, seed in KERAS_CASES:
        got, error = call_safely(answer, size, classes, seed)
        if error:
            problems.append(error)
            break
        found = _keras_network_problems(got, size, classes, seed)
        if found:
            problems.append(f"for image_size={size}, num_classes={classes}: " + found[0])
            problems += found[1:]
            break
    report(
        "Exercise 7.5",
        listed(problems),
        success=f"The layers, the shapes, the {sum(expected_parameters(128, 2)):,} parameters at "
                "128 px, the starting weights and, with the module's weights copied in, the "
                "outputs all match.",
        hint="keras.Sequential([keras.Input(...), then for each block a Conv2D, a "
             "MaxPooling2D and a ReLU layer, then Flatten, Dense(128, activation='relu'), "
             "Dense(num_classes) and Softmax]), each layer with its name.",
    )


# --------------------------------------------------------------------------------------------
# Exercise 7.6: a small network from a ModelConfig
# --------------------------------------------------------------------------------------------

#: The network of Exercise 7.6: the tutorial's recipe for 3 classes on 64x64 photos, with
#: blocks of 16, 32 and 64 filters and one hidden dense layer of 64.
SMALL_CONFIG = dataclasses.replace(reference.ORIGINAL, image_size=64, num_classes=3,
                                   filters=(16, 32, 64), dense_units=(64,))

#: Layer kinds whose presence the checker compares, with how the message names them.
_KINDS = {
    "Conv2D": "convolutions",
    "MaxPooling2D": "max poolings",
    "ReLU": "ReLU layers",
    "BatchNormalization": "batch normalizations",
    "Dropout": "dropout layers",
    "Flatten": "Flatten layers",
    "GlobalAveragePooling2D": "global average poolings",
    "Dense": "dense layers",
    "Softmax": "Softmax layers",
}


def _layers_of(keras_model: Any) -> list[Any]:
    """Every layer of the model, with nested models (the augmentation block) opened up."""
    found = []
    for layer in keras_model.layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found += _layers_of(layer)
    return found


def _by_kind(keras_model: Any, kind: str) -> list[Any]:
    return [layer for layer in _layers_of(keras_model) if type(layer).__name__ == kind]


def small_model(answer: Callable[[], Any]) -> None:
    """Exercise 7.6: ``answer()`` must return the Keras model that ``build_model`` makes from
    SMALL_CONFIG: 3 classes, 64x64x3 inputs, blocks of 16, 32 and 64 filters (3x3, conv → pool →
    ReLU), flatten, a dense layer of 64 with ReLU, the output layer of 3 and a softmax; no batch
    norm, dropout or augmentation.

    The model is inspected, not trained: its input and output shapes, the filters and kernel
    sizes of its convolutions, the units of its dense layers, the kinds of layers it has, its
    parameter count, and that a batch of photos gives probabilities (rows summing to 1).
    """
    import keras

    expected = reference.build_model(SMALL_CONFIG, seed=0)
    name = "Exercise 7.6"
    got, error = call_safely(answer)
    if error:
        report(name, [error])
    if got is None:
        report(name, ["you returned None: did you forget `return`?"])
    if not isinstance(got, keras.Model):
        report(name, [f"you returned {type(got).__name__}; expected a Keras model (build it "
                      "with course_model.build_model(config); course_model is helpers.model)."])
    if not got.built or not got.inputs:
        report(name, ["your model has no input shape yet; build it with course_model.build_model, "
                      "which starts from keras.Input((64, 64, 3))."])

    problems = []
    input_shape = tuple(got.inputs[0].shape)
    if input_shape[1:] != (64, 64, 3):
        problems.append(f"its input shape is {input_shape}; expected (None, 64, 64, 3): set "
                        "image_size=64.")
    output_shape = tuple(got.outputs[0].shape)
    if output_shape[1:] != (SMALL_CONFIG.num_classes,):
        problems.append(f"its output shape is {output_shape}; expected (None, 3), one "
                        "probability per class: set num_classes=3.")
    convs = _by_kind(got, "Conv2D")
    filters = tuple(int(layer.filters) for layer in convs)
    if filters != SMALL_CONFIG.filters:
        problems.append(f"its convolutions have {list(filters)} filters; expected "
                        f"{list(SMALL_CONFIG.filters)} (filters=(16, 32, 64), one block each).")
    kernels = sorted({tuple(layer.kernel_size) for layer in convs})
    if convs and kernels != [(3, 3)]:
        problems.append(f"its convolutions have kernels {kernels}; expected 3x3 (kernel_size=3).")
    dense_units = tuple(int(layer.units) for layer in _by_kind(got, "Dense"))
    wanted_units = (*SMALL_CONFIG.dense_units, SMALL_CONFIG.num_classes)
    if dense_units != wanted_units:
        problems.append(f"its dense layers have {list(dense_units)} units; expected "
                        f"{list(wanted_units)}: a hidden layer of 64 (dense_units=(64,)), then "
                        "one output per class.")
    for kind, words in _KINDS.items():
        have, want = len(_by_kind(got, kind)), len(_by_kind(expected, kind))
        if have != want and kind not in ("Conv2D", "Dense"):
            extra = {
                "BatchNormalization": " (batch_norm=False, as in the tutorial)",
                "Dropout": " (dropout=0.0)",
                "GlobalAveragePooling2D": " (head='flatten', as in the tutorial)",
                "Flatten": " (head='flatten', as in the tutorial)",
            }.get(kind, "")
            problems.append(f"it has {have} {words}; expected {want}{extra}.")
    random_layers = [layer.name for layer in _layers_of(got)
                     if type(layer).__name__.startswith("Random")]
    if random_layers:
        problems.append(f"it augments its images ({', '.join(random_layers)}); this network "
                        "has no augmentation (augment=False).")
    if not problems:
        have, want = got.count_params(), expected.count_params()
        if have != want:
            problems.append(f"it has {have:,} parameters; expected {want:,}: compare "
                            "its summary() with the configuration, layer by layer.")
    if not problems:
        batch = np.random.default_rng(7).random((2, 64, 64, 3), dtype=np.float32)
        try:
            probabilities = np.asarray(got(batch, training=False), dtype=float)
        except Exception as error:  # a learner's model may fail in any way
            problems.append(f"calling it on 2 images of 64x64x3 raised {type(error).__name__}: "
                            f"{error}")
        else:
            sums = probabilities.sum(axis=-1)
            if not (np.all(probabilities >= 0) and np.allclose(sums, 1, atol=1e-5)):
                problems.append(f"its outputs are not probabilities (rows sum to "
                                f"{np.round(sums, 3).tolist()}): the model must end with a "
                                "softmax.")
    report(
        name,
        problems,
        success=f"3 classes at 64x64, filters {list(SMALL_CONFIG.filters)}, "
                f"{expected.count_params():,} parameters, "
                f"{_by_kind(expected, 'Dense')[0].count_params():,} of them in fc1.",
        hint="start from the tutorial's configuration, course_model.ORIGINAL, change only the "
             "fields the exercise names with dataclasses.replace, and give the result to "
             "course_model.build_model (course_model is helpers.model).",
    )
