"""The checkers of notebook 12 accept right answers and name the typical wrong ones."""

from __future__ import annotations

import keras
import pytest

from helpers.check import NOT_WRITTEN, ExerciseError
from helpers.check import augmentation as check

layers = keras.layers


def stub(*args, **kwargs):
    raise NotImplementedError


def message_of(checker, answer) -> str:
    with pytest.raises(ExerciseError) as error:
        checker(answer)
    return str(error.value)


# ---- Exercise 12.1: the pipeline -------------------------------------------------------------


def pipeline_with(**changes):
    """The right pipeline with some layers replaced (a value None leaves the layer out)."""
    def make_pipeline(seed):
        chosen = {
            "flip": layers.RandomFlip("horizontal", seed=seed),
            "rotation": layers.RandomRotation(0.05, seed=seed + 1),
            "zoom": layers.RandomZoom((-0.25, 0), seed=seed + 2),
            "contrast": layers.RandomContrast((0.3, 0.3), value_range=(0, 1), seed=seed + 3),
        }
        for name, layer in changes.items():
            chosen[name] = layer(seed) if callable(layer) and not isinstance(layer, layers.Layer) \
                else layer
        return keras.Sequential([layer for layer in chosen.values() if layer is not None])

    return make_pipeline


def test_pipeline_accepts_the_right_answer(capsys):
    check.pipeline(pipeline_with())
    assert "Exercise 12.1: correct" in capsys.readouterr().out


def test_pipeline_accepts_any_order_and_explicit_tuples(capsys):
    def make_pipeline(seed):
        return keras.Sequential([
            layers.RandomContrast((0.3, 0.3), value_range=(0, 1), seed=seed),
            layers.RandomZoom(height_factor=(-0.25, 0.0), width_factor=(-0.25, 0.0), seed=seed),
            layers.RandomRotation((-0.05, 0.05), seed=seed),
            layers.RandomFlip(mode="horizontal", seed=seed),
        ])

    check.pipeline(make_pipeline)
    assert "correct" in capsys.readouterr().out


def test_pipeline_names_vertical_flips():
    message = message_of(check.pipeline, pipeline_with(flip=lambda s: layers.RandomFlip(seed=s)))
    assert "'horizontal_and_vertical'" in message and "upside down" in message


def test_pipeline_names_degrees_given_as_the_factor():
    message = message_of(check.pipeline, pipeline_with(rotation=lambda s: layers.RandomRotation(18)))
    assert "raised ValueError" in message


def test_pipeline_names_a_half_turn():
    message = message_of(check.pipeline,
                         pipeline_with(rotation=lambda s: layers.RandomRotation(0.5, seed=s)))
    assert "-180° to +180°" in message and "18 / 360 = 0.05" in message


@pytest.mark.parametrize("factor, words", [(0.25, "zooms out as well as in"),
                                           ((0, 0.25), "positive factors zoom OUT"),
                                           ((-0.1, 0), "75 % to 100 %")])
def test_pipeline_names_the_zoom_mistake(factor, words):
    message = message_of(check.pipeline,
                         pipeline_with(zoom=lambda s: layers.RandomZoom(factor, seed=s)))
    assert words in message


def test_pipeline_names_a_squeezing_zoom():
    message = message_of(check.pipeline, pipeline_with(
        zoom=lambda s: layers.RandomZoom((-0.25, 0), width_factor=(0, 0), seed=s)))
    assert "squeeze" in message


def test_pipeline_names_the_one_sided_contrast_of_a_single_number():
    message = message_of(check.pipeline, pipeline_with(
        contrast=lambda s: layers.RandomContrast(0.3, value_range=(0, 1), seed=s)))
    assert "only ever raises the contrast" in message and "(0.3, 0.3)" in message


def test_pipeline_names_the_default_value_range():
    message = message_of(check.pipeline, pipeline_with(
        contrast=lambda s: layers.RandomContrast((0.3, 0.3), seed=s)))
    assert "value_range (0, 255)" in message


def test_pipeline_names_a_missing_and_an_extra_layer():
    message = message_of(check.pipeline, pipeline_with(
        zoom=None, extra=layers.Rescaling(1 / 255)))
    assert "no RandomZoom layer" in message and "Rescaling is not one of" in message


def test_pipeline_names_the_contrast_strength():
    message = message_of(check.pipeline, pipeline_with(
        contrast=lambda s: layers.RandomContrast((0.1, 0.1), value_range=(0, 1), seed=s)))
    assert "expected 0.7 to 1.3" in message


def test_pipeline_catches_layers_without_seeds():
    def unseeded(seed):
        return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05),
                                 layers.RandomZoom((-0.25, 0)),
                                 layers.RandomContrast((0.3, 0.3), value_range=(0, 1))])

    assert "same seed" in message_of(check.pipeline, unseeded)


def test_pipeline_names_a_list_instead_of_a_sequential():
    message = message_of(check.pipeline, lambda seed: [layers.RandomFlip("horizontal")])
    assert "returned a list" in message


def test_pipeline_says_not_written_yet_for_a_stub():
    message = message_of(check.pipeline, stub)
    assert NOT_WRITTEN in message and "Hint" not in message


# ---- Exercise 12.2: reading a learning curve -------------------------------------------------


def matching_right(results):
    plain = [r for r in results if not r["augment"]]
    target = max(plain, key=lambda r: r["per_class"])["test_accuracy"]
    sizes = [r["per_class"] for r in results if r["augment"] and r["test_accuracy"] >= target]
    return min(sizes) if sizes else None


def test_matching_accepts_the_right_answer(capsys):
    check.smallest_matching_size(matching_right)
    assert "Exercise 12.2: correct" in capsys.readouterr().out


def test_the_reference_answer_agrees_with_every_case():
    for _, results, expected in check.CURVES:
        assert check.smallest_matching_size_reference(results) == expected


def test_matching_names_a_strict_comparison():
    def strict(results):
        plain = [r for r in results if not r["augment"]]
        target = max(plain, key=lambda r: r["per_class"])["test_accuracy"]
        sizes = [r["per_class"] for r in results if r["augment"] and r["test_accuracy"] > target]
        return min(sizes) if sizes else None

    message = message_of(check.smallest_matching_size, strict)
    assert "a tie" in message and ">=, not >" in message


def test_matching_names_a_hard_coded_500():
    def five_hundred(results):
        target = [r for r in results if not r["augment"] and r["per_class"] == 500]
        if not target:
            return None
        sizes = [r["per_class"] for r in results
                 if r["augment"] and r["test_accuracy"] >= target[0]["test_accuracy"]]
        return min(sizes) if sizes else None

    assert "do not assume 500" in message_of(check.smallest_matching_size, five_hundred)


def test_matching_names_the_best_instead_of_the_largest_plain_run():
    def best(results):
        target = max(r["test_accuracy"] for r in results if not r["augment"])
        sizes = [r["per_class"] for r in results if r["augment"] and r["test_accuracy"] >= target]
        return min(sizes) if sizes else None

    assert "the best plain accuracy" in message_of(check.smallest_matching_size, best)


def test_matching_names_returning_the_accuracy():
    def accuracy(results):
        size = matching_right(results)
        return next(r["test_accuracy"] for r in results if r["augment"] and r["per_class"] == size)

    assert "You returned an accuracy" in message_of(check.smallest_matching_size, accuracy)


def test_matching_names_a_comparison_at_the_same_size():
    def same_size(results):
        plain = {r["per_class"]: r["test_accuracy"] for r in results if not r["augment"]}
        sizes = [r["per_class"] for r in results
                 if r["augment"] and r["test_accuracy"] >= plain[r["per_class"]]]
        return min(sizes) if sizes else None

    assert "same size" in message_of(check.smallest_matching_size, same_size)


def test_matching_catches_sorting_the_results_in_place():
    def sorts(results):
        results.sort(key=lambda r: r["per_class"])
        return matching_right(results)

    assert "changed the results" in message_of(check.smallest_matching_size, sorts)


def test_matching_says_not_written_yet_for_a_stub():
    assert NOT_WRITTEN in message_of(check.smallest_matching_size, stub)


# ---- Exercise 12.3: wrong augmentations ------------------------------------------------------

RIGHT = {
    "cats vs dogs": set(),
    "digits": {"vertical flip", "rotation up to ±180°"},
    "arrows": {"horizontal flip", "rotation up to ±180°"},
    "bananas": {"hue shift"},
    "upright": {"vertical flip", "rotation up to ±180°"},
}


def test_wrong_augmentations_accepts_the_right_answer_and_explains_the_debatable(capsys):
    check.wrong_augmentations(RIGHT)
    out = capsys.readouterr().out
    assert "Exercise 12.3: correct" in out and "Debatable" in out and "mirrored 2" in out


def test_wrong_augmentations_accepts_the_debatable_choices_too(capsys):
    check.wrong_augmentations(RIGHT | {"cats vs dogs": {"vertical flip"},
                                       "digits": {"vertical flip", "rotation up to ±180°",
                                                  "horizontal flip"},
                                       "arrows": ["horizontal flip", "rotation up to ±180°",
                                                  "vertical flip"]})
    assert "correct" in capsys.readouterr().out


def test_wrong_augmentations_names_a_missing_choice_with_its_reason():
    message = message_of(check.wrong_augmentations, RIGHT | {"digits": {"vertical flip"}})
    assert "digits: 'rotation up to ±180°' is wrong" in message and "is a 9" in message


def test_wrong_augmentations_names_a_safe_choice_with_its_reason():
    message = message_of(check.wrong_augmentations,
                         RIGHT | {"bananas": {"hue shift", "contrast ±20%"}})
    assert "bananas: 'contrast ±20%' is safe here" in message


def test_wrong_augmentations_names_a_typo_and_a_string():
    message = message_of(check.wrong_augmentations, RIGHT | {"bananas": {"hue"},
                                                             "digits": "vertical flip"})
    assert "'hue' is not one of the choices" in message and "is one string" in message


def test_wrong_augmentations_names_missing_and_unknown_problems():
    answer = {k: v for k, v in RIGHT.items() if k != "upright"} | {"birds": set()}
    message = message_of(check.wrong_augmentations, answer)
    assert "no answer for 'upright'" in message and "'birds' is not one of the problems" in message


def test_wrong_augmentations_refuses_a_list():
    assert "make it a dict" in message_of(check.wrong_augmentations, list(RIGHT.items()))


def test_wrong_augmentations_accepts_a_function_returning_the_answer(capsys):
    check.wrong_augmentations(lambda: RIGHT)
    assert "correct" in capsys.readouterr().out


def test_wrong_augmentations_says_not_written_yet_for_a_stub():
    message = message_of(check.wrong_augmentations, stub)
    assert NOT_WRITTEN in message and "Hint" not in message


def test_the_reference_pipeline_passes_its_own_checker(capsys):
    check.pipeline(check.reference_pipeline)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK} Exercise 12.1: correct")
