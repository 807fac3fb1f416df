"""Checkers for notebook 12, "Data augmentation": building an augmentation pipeline, reading a
learning curve, and spotting the augmentations that are wrong for a problem.

- The pipeline is inspected twice: its layers (type and setting of each) and what it does to a
  batch of images in [0, 1] (unchanged with ``training=False``, still in [0, 1] with
  ``training=True``, the contrast factors it really draws, the same output for the same seed).
- A learning curve is a list of results as :func:`helpers.experiments.learning_curve` returns
  them; the checker makes up curves with ties, dips and gaps.
- The multiple-choice answers are compared with a table of reasons, so each wrong or missing
  choice comes with the reason it is wrong (or safe) for that problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from helpers.check import call_safely, report

# --------------------------------------------------------------------------------------------
# Exercise 12.1: an augmentation pipeline
# --------------------------------------------------------------------------------------------

#: The layers the exercise asks for, by Keras class name, with what each must do.
PIPELINE = {
    "RandomFlip": "mirror left-right only",
    "RandomRotation": "turn by up to ±18° (±0.05 of a full turn)",
    "RandomZoom": "zoom in only, by up to 25 % (a random crop of 75 % to 100 % of the side)",
    "RandomContrast": "scale the contrast by a factor in [0.7, 1.3], for pixels in [0, 1]",
}


def _test_images(seed: int = 0) -> np.ndarray:
    """8 images (8, 32, 32, 3) float32 in [0, 1], with real structure and the full range."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:32, 0:32] / 31
    base = np.stack([x, y, (x + y) / 2], axis=-1)
    images = np.stack([np.clip(base * rng.uniform(0.5, 1.0) + rng.uniform(0, 0.3), 0, 1)
                       for _ in range(8)])
    images[:, 8:16, 8:24] = 1.0   # a white bar and a black square: contrast has room to clip
    images[:, 20:28, 20:28] = 0.0
    return images.astype(np.float32)


def _layers_of(pipeline: Any) -> list[Any]:
    """The layers of a Sequential (nested Sequentials flattened), else []."""
    found = []
    for layer in getattr(pipeline, "layers", []):
        found += _layers_of(layer) if hasattr(layer, "layers") else [layer]
    return found


def _contrast_factors(layer: Any) -> np.ndarray:
    """The contrast factors ``layer`` draws, measured on 400 random images: each output's
    spread around its mean over the input's (no pixel clips on these images)."""
    rng = np.random.default_rng(1)
    images = rng.uniform(0.4, 0.6, size=(400, 6, 6, 3)).astype(np.float32)
    out = np.asarray(layer(images, training=True), dtype=np.float64)
    centred_in = images - images.mean(axis=(1, 2), keepdims=True)
    centred_out = out - out.mean(axis=(1, 2), keepdims=True)
    return np.sqrt((centred_out ** 2).sum(axis=(1, 2, 3)) / (centred_in ** 2).sum(axis=(1, 2, 3)))


def _layer_problems(layers: list[Any]) -> list[str]:
    """What is wrong with the layers' types and settings ([] when right)."""
    problems = []
    names = [type(layer).__name__ for layer in layers]
    for name, what in PIPELINE.items():
        if names.count(name) == 0:
            problems.append(f"there is no {name} layer (it should {what}).")
        elif names.count(name) > 1:
            problems.append(f"there are {names.count(name)} {name} layers; one is enough.")
    for name in names:
        if name not in PIPELINE:
            why = (" It is not random: it runs at prediction time too, and the images are "
                   "already in [0, 1]." if name in ("Rescaling", "Resizing", "Normalization")
                   else "")
            problems.append(f"{name} is not one of the four layers asked for.{why}")
    if problems:
        return problems
    layer = dict(zip(names, layers))
    flip = layer["RandomFlip"].mode
    if flip != "horizontal":
        problems.append(f"RandomFlip has mode {flip!r}: that flips photos upside down too (the "
                        "default of RandomFlip() is 'horizontal_and_vertical'); pass "
                        "'horizontal'.")
    low, high = layer["RandomRotation"].factor
    if not (np.isclose(low, -0.05) and np.isclose(high, 0.05)):
        problems.append(f"RandomRotation turns by {low * 360:+.0f}° to {high * 360:+.0f}° "
                        f"(factor {(low, high)}); the factor is a fraction of a full turn, so "
                        "±18° is 18 / 360 = 0.05.")
    zoom = layer["RandomZoom"]
    height = (zoom.height_lower, zoom.height_upper)
    width = height if zoom.width_factor is None else (zoom.width_lower, zoom.width_upper)
    if not np.allclose(height, (-0.25, 0.0)):
        if height[1] > 0 and height[0] < 0:
            why = ("it zooms out as well as in: a zoomed-out photo shrinks and its border is "
                   "filled in (reflected), which a crop never does. Zoom in only: "
                   "height_factor=(-0.25, 0).")
        elif height[1] > 0:
            why = ("positive factors zoom OUT in Keras 3; negative ones zoom in (crop): use "
                   "height_factor=(-0.25, 0).")
        else:
            why = "a crop of 75 % to 100 % of the side is height_factor=(-0.25, 0)."
        problems.append(f"RandomZoom has height_factor {height}: {why}")
    elif not np.allclose(width, height):
        problems.append(f"RandomZoom has width_factor {width} but height_factor {height}: the "
                        "crop would squeeze the photo; leave width_factor out (None), so the "
                        "aspect ratio is kept.")
    contrast = layer["RandomContrast"]
    if tuple(contrast.value_range) != (0, 1):
        problems.append(f"RandomContrast has value_range {tuple(contrast.value_range)}; the "
                        "pixels are in [0, 1], so pass value_range=(0, 1) (the default "
                        "(0, 255) lets values leave [0, 1]).")
    factors = _contrast_factors(contrast)
    if factors.min() > 0.95 and factors.max() > 1.2:
        problems.append(f"RandomContrast only ever raises the contrast (factors "
                        f"{factors.min():.2f} to {factors.max():.2f}): in Keras 3 a single "
                        "number, RandomContrast(0.3), draws from [1.0, 1.3], not [0.7, 1.3]. "
                        "Pass the two bounds: RandomContrast((0.3, 0.3), value_range=(0, 1)).")
    elif not (0.68 <= factors.min() < 0.75 and 1.25 < factors.max() <= 1.32):
        problems.append(f"RandomContrast draws factors from {factors.min():.2f} to "
                        f"{factors.max():.2f}; expected 0.7 to 1.3 (up to 30 % either way).")
    return problems


def _behaviour_problems(answer: Callable[[int], Any], pipeline: Any) -> list[str]:
    """What the pipeline does wrong to a batch of images ([] when right)."""
    images = _test_images()
    problems = []
    try:
        kept = np.asarray(pipeline(images, training=False))
        changed = np.asarray(pipeline(images, training=True))
    except Exception as error:  # the learner's pipeline may fail in any way
        return [f"calling your pipeline on a batch (8, 32, 32, 3) raised "
                f"{type(error).__name__}: {error}"]
    if kept.shape != images.shape or not np.allclose(kept, images, atol=1e-6):
        problems.append("with training=False your pipeline changed the images (validation, "
                        "testing and prediction must see them as they are): only Keras's Random* "
                        "layers pass images through untouched when not training.")
    if changed.shape != images.shape:
        problems.append(f"with training=True it returned shape {changed.shape}; augmentation must "
                        f"keep the shape {images.shape}.")
    else:
        if changed.min() < -1e-6 or changed.max() > 1 + 1e-6:
            problems.append(f"with training=True the values range from {changed.min():.3f} to "
                            f"{changed.max():.3f}, outside [0, 1]: give RandomContrast "
                            "value_range=(0, 1).")
        if np.allclose(changed, images):
            problems.append("with training=True the images came back unchanged.")
    if not problems:  # two fresh pipelines, made with the same seed, on their first batch
        (one, problem), (two, other) = call_safely(answer, 0), call_safely(answer, 0)
        if problem or other:
            return [problem or other]
        first = np.asarray(one(images, training=True))
        second = np.asarray(two(images, training=True))
        if not np.allclose(first, second, atol=1e-5):
            problems.append("two pipelines made with the same seed changed the images "
                            "differently: pass a seed to every random layer (e.g. seed, seed + 1, "
                            "...), so that a run can be repeated.")
    return problems


def pipeline(answer: Callable[[int], Any]) -> None:
    """Exercise 12.1: ``answer(seed)`` returns a ``keras.Sequential`` with the four layers of
    :data:`PIPELINE`: ``RandomFlip("horizontal")``, ``RandomRotation(0.05)``,
    ``RandomZoom((-0.25, 0))`` and ``RandomContrast((0.3, 0.3), value_range=(0, 1))``, each with
    a seed; any order. The checker looks at the layers' settings, measures the contrast factors
    drawn, and runs the pipeline on images in [0, 1] with ``training=False`` and ``True``."""
    problems: list[str] = []
    built, problem = call_safely(answer, 0)
    if problem:
        problems.append(problem)
    elif built is None:
        problems.append("make_pipeline returned None: did you forget `return`?")
    elif not callable(built) or not hasattr(built, "layers"):
        problems.append(f"make_pipeline returned a {type(built).__name__}; return a "
                        "keras.Sequential([...]) of the four layers.")
    else:
        problems += _layer_problems(_layers_of(built))
        if not problems:
            problems += _behaviour_problems(answer, built)
    report("Exercise 12.1", problems,
           success="Flip, ±18° turns, crops of 75-100 % and contrast 0.7-1.3, only in training, "
                   "values kept in [0, 1].",
           hint="one Keras random layer per change (flip, rotation, zoom, contrast), each "
                "with its own seed; the factors are fractions, negative zoom factors zoom in.")


# --------------------------------------------------------------------------------------------
# Exercise 12.2: reading a learning curve
# --------------------------------------------------------------------------------------------


def _curve(plain: Mapping[int, float], augmented: Mapping[int, float],
           order: str = "plain first") -> list[dict[str, Any]]:
    """Results in the form of ``experiments.learning_curve``: one dict per run."""
    rows = ([{"augment": False, "per_class": n, "test_accuracy": a} for n, a in plain.items()],
            [{"augment": True, "per_class": n, "test_accuracy": a} for n, a in augmented.items()])
    if order == "plain first":
        return rows[0] + rows[1]
    if order == "augmented first":
        return rows[1] + rows[0]
    mixed = [row for pair in zip(*rows) for row in pair]  # alternating, sizes shuffled
    return mixed[::-1]


#: (description, results, answer) for exercise 12.2.
CURVES: list[tuple[str, list[dict[str, Any]], int | None]] = [
    ("a curve like the notebook's",
     _curve({50: 0.58, 100: 0.62, 250: 0.68, 500: 0.72},
            {50: 0.60, 100: 0.66, 250: 0.73, 500: 0.78}), 250),
    ("a tie: augmented at 100 equals plain at 500",
     _curve({50: 0.55, 100: 0.60, 250: 0.65, 500: 0.70},
            {50: 0.62, 100: 0.70, 250: 0.74, 500: 0.79}), 100),
    ("augmentation never catches up",
     _curve({50: 0.60, 100: 0.66, 250: 0.72, 500: 0.80},
            {50: 0.58, 100: 0.64, 250: 0.71, 500: 0.79}), None),
    ("sizes up to 400, listed augmented first",
     _curve({25: 0.52, 50: 0.57, 100: 0.60, 400: 0.66},
            {25: 0.55, 50: 0.67, 100: 0.70, 400: 0.75}, order="augmented first"), 50),
    ("a bumpy augmented curve, rows in mixed order",
     _curve({50: 0.55, 100: 0.61, 250: 0.66, 500: 0.71},
            {50: 0.60, 100: 0.72, 250: 0.69, 500: 0.80}, order="mixed"), 100),
    ("plain's best run is not its largest",
     _curve({50: 0.60, 100: 0.74, 250: 0.70},
            {50: 0.65, 100: 0.71, 250: 0.80}), 100),
]


def smallest_matching_size_reference(results: Sequence[Mapping[str, Any]]) -> int | None:
    """The answer of exercise 12.2: the smallest ``per_class`` of the augmented runs whose test
    accuracy is at least that of the plain run with the most images per class (None if none)."""
    plain = [r for r in results if not r["augment"]]
    target = max(plain, key=lambda r: r["per_class"])["test_accuracy"]
    matching = [r["per_class"] for r in results if r["augment"] and r["test_accuracy"] >= target]
    return min(matching) if matching else None


def _shown(results: Sequence[Mapping[str, Any]]) -> str:
    def curve(augment: bool) -> str:
        rows = sorted((r["per_class"], r["test_accuracy"]) for r in results
                      if r["augment"] == augment)
        return ", ".join(f"{n}: {a:.2f}" for n, a in rows)

    return f"plain {{{curve(False)}}}, augmented {{{curve(True)}}}"


def _matching_mistake(results: Sequence[Mapping[str, Any]], got: Any) -> str:
    """The usual slip behind a wrong answer, or ""."""
    plain = [r for r in results if not r["augment"]]
    augmented = [r for r in results if r["augment"]]
    largest = max(plain, key=lambda r: r["per_class"])
    if isinstance(got, float) and 0 <= got <= 1:
        return "you returned an accuracy; return the number of images per class."
    strict = [r["per_class"] for r in augmented if r["test_accuracy"] > largest["test_accuracy"]]
    if strict and got == min(strict):
        return ("an equal accuracy counts as a match: compare with >=, not >.")
    best_plain = max(r["test_accuracy"] for r in plain)
    by_best = [r["per_class"] for r in augmented if r["test_accuracy"] >= best_plain]
    if best_plain != largest["test_accuracy"] and by_best and got == min(by_best):
        return (f"you compared with the best plain accuracy ({best_plain:.2f}); the target is "
                f"the plain run with the most images ({largest['per_class']} per class: "
                f"{largest['test_accuracy']:.2f}).")
    if 500 not in [r["per_class"] for r in plain] and got is None:
        return "the largest plain run here has fewer than 500 per class: do not assume 500."
    if augmented and got == max(r["per_class"] for r in augmented):
        return "you returned the largest size; the question asks for the smallest that matches."
    same_size = [r["per_class"] for r in augmented
                 if any(p["per_class"] == r["per_class"] and r["test_accuracy"] >= p["test_accuracy"]
                        for p in plain)]
    if same_size and got == min(same_size):
        return ("you compared each augmented run with the plain run of the same size; compare "
                "every augmented run with the plain run of the LARGEST size.")
    return ""


def smallest_matching_size(answer: Callable[[Sequence[Mapping[str, Any]]], Any]) -> None:
    """Exercise 12.2: ``answer(results)`` returns the smallest images per class with which the
    augmented runs reach the test accuracy of the plain run with the most images, or None.
    The checker tries :data:`CURVES`: a tie, no match, other sizes, rows in any order, a dip."""
    problems: list[str] = []
    for description, results, expected in CURVES:
        given = [dict(r) for r in results]
        got, problem = call_safely(answer, given)
        if problem:
            problems.append(problem)
            break
        if isinstance(got, (np.integer, np.floating)):
            got = got.item()
        right = got == expected and (expected is None or not isinstance(got, bool))
        if not right:
            why = _matching_mistake(results, got)
            why = why[:1].upper() + why[1:]
            problems.append(f"for {description} ({_shown(results)}) you returned {got!r}; "
                            f"expected {expected!r}. {why}".rstrip())
            break
        if given != [dict(r) for r in results]:
            problems.append(f"for {description} your function changed the results it was given.")
            break
    report("Exercise 12.2", problems,
           success="The smallest augmented size that reaches the plain curve's last point.",
           hint="take the plain run with the largest per_class as the target; among the "
                "augmented runs with test_accuracy >= target, return the smallest per_class "
                "(None when there is none).")


# --------------------------------------------------------------------------------------------
# Exercise 12.3: augmentations that are wrong for a problem
# --------------------------------------------------------------------------------------------

#: The augmentations to choose from.
AUGMENTATIONS = ("horizontal flip", "vertical flip", "rotation up to ±180°",
                 "rotation up to ±10°", "zoom ±20%", "hue shift", "contrast ±20%")

#: The problems, by the key the answer uses.
PROBLEMS = {
    "cats vs dogs": "photos of cats and of dogs, taken by people",
    "digits": "handwritten digits 0 to 9",
    "arrows": "road signs: turn left or turn right",
    "bananas": "ripe (yellow) or unripe (green) bananas",
    "upright": "is this photo upright or upside down?",
}

#: For each problem: the augmentations that can change the right answer (must be chosen), and
#: those that are debatable (accepted either way), each with the reason.
WRONG: dict[str, dict[str, str]] = {
    "cats vs dogs": {},
    "digits": {
        "vertical flip": "a 6 flipped upside down looks like a 9 (and a 9 like a 6)",
        "rotation up to ±180°": "a 6 turned half a turn is a 9",
    },
    "arrows": {
        "horizontal flip": "a mirrored 'turn left' sign is a 'turn right' sign",
        "rotation up to ±180°": "half a turn makes a left arrow point right",
    },
    "bananas": {
        "hue shift": "the colour is the class: shifting yellow towards green makes a ripe "
                     "banana look unripe",
    },
    "upright": {
        "vertical flip": "an upside-down copy of an upright photo is upside down",
        "rotation up to ±180°": "half a turn makes an upright photo upside down",
    },
}
DEBATABLE: dict[str, dict[str, str]] = {
    "cats vs dogs": {
        "vertical flip": "an upside-down cat is still a cat, but no test photo looks like that: "
                         "it wastes the network's effort rather than teaching it wrong",
        "rotation up to ±180°": "the same: the label survives, the photo becomes one nobody takes",
    },
    "digits": {
        "horizontal flip": "a mirrored 2 or 7 is no digit at all; the label is not changed into "
                           "another one, but the network learns from images it will never see",
    },
    "arrows": {
        "vertical flip": "a horizontal arrow keeps its direction when flipped upside down, but a "
                         "bent 'turn left' arrow turns the wrong way up",
    },
    "bananas": {},
    "upright": {},
}
#: Why the remaining augmentations are safe for each problem, for the message.
SAFE_BECAUSE = {
    "horizontal flip": "a mirror image shows the same class here",
    "vertical flip": "an upside-down copy shows the same class here",
    "rotation up to ±180°": "turning does not change the class here",
    "rotation up to ±10°": "a slightly tilted camera changes no class",
    "zoom ±20%": "a little nearer or farther changes no class",
    "hue shift": "the class does not depend on the colour here",
    "contrast ±20%": "a duller or brighter picture changes no class",
}


def _as_choice_set(value: Any) -> tuple[set[str] | None, str]:
    if isinstance(value, str):
        return None, f"{value!r} is one string; give a set of names, e.g. {{{value!r}}} or set()."
    try:
        chosen = set(value)
    except TypeError:
        return None, f"{value!r} is not a set of names."
    unknown = sorted(str(c) for c in chosen if c not in AUGMENTATIONS)
    if unknown:
        return None, (f"{unknown[0]!r} is not one of the choices: "
                      f"{', '.join(repr(a) for a in AUGMENTATIONS)}.")
    return chosen, ""


def wrong_augmentations(answer: Mapping[str, Any] | Callable[[], Mapping[str, Any]]) -> None:
    """Exercise 12.3: ``answer`` (or what ``answer()`` returns) maps each problem of
    :data:`PROBLEMS` to the set of :data:`AUGMENTATIONS` that can change the right label. Every
    augmentation of :data:`WRONG` must be chosen, none that is safe; the debatable ones
    (:data:`DEBATABLE`) count either way and are explained on success."""
    problems: list[str] = []
    if callable(answer):
        answer, problem = call_safely(answer)
        if problem:
            report("Exercise 12.3", [problem])
    if not isinstance(answer, Mapping):
        problems.append(f"the answer is a {type(answer).__name__}; make it a dict "
                        "{problem: set of augmentations}.")
    else:
        missing = [key for key in PROBLEMS if key not in answer]
        extra = [key for key in answer if key not in PROBLEMS]
        if missing:
            problems.append(f"no answer for {', '.join(repr(k) for k in missing)} (an empty set "
                            "set() means no augmentation is wrong there).")
        if extra:
            problems.append(f"{', '.join(repr(k) for k in extra)} is not one of the problems "
                            f"({', '.join(repr(k) for k in PROBLEMS)}).")
        for key in [k for k in PROBLEMS if k in answer]:
            chosen, problem = _as_choice_set(answer[key])
            if problem:
                problems.append(f"{key}: {problem}")
                continue
            for name, why in WRONG[key].items():
                if name not in chosen:
                    problems.append(f"{key}: {name!r} is wrong for this problem: {why}.")
            for name in sorted(chosen - set(WRONG[key]) - set(DEBATABLE[key]),
                               key=AUGMENTATIONS.index):
                problems.append(f"{key}: {name!r} is safe here: {SAFE_BECAUSE[name]}.")
    report("Exercise 12.3", problems,
           success="An augmentation is wrong when it can turn one class into another.",
           hint="for each problem ask: could this change make a picture of one class look like "
                "another class (or make its label unknowable)?")
    notes = [f"{key}, {name}: {why}." for key, debatable in DEBATABLE.items()
             for name, why in debatable.items()]
    print("Debatable, accepted either way:\n" + "\n".join(f"  - {note}" for note in notes))


def reference_pipeline(seed: int) -> Any:
    """The course's answer to Exercise 12.1, which notebook 12 uses when the learner's check has
    not passed: flip left-right, turns of up to ±18°, zoom in by up to 25 %, contrast 0.7-1.3."""
    import keras

    return keras.Sequential([
        keras.layers.RandomFlip("horizontal", seed=seed),
        keras.layers.RandomRotation(0.05, seed=seed + 1),
        keras.layers.RandomZoom((-0.25, 0.0), seed=seed + 2),
        keras.layers.RandomContrast((0.3, 0.3), value_range=(0, 1), seed=seed + 3),
    ], name="augmentation")
