"""Tests of helpers.check.prediction (notebook 09): right answers pass, the typical slips are
named (no /255, BGR, no batch axis, another size, float64, INTER_LINEAR; argmin, the wrong axis;
values copied instead of read from run.json; the wrong probability), stubs get "not written
yet" without a hint."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest

from helpers import images
from helpers import model as M
from helpers.train import get_recipe
from helpers.check import NOT_WRITTEN, ExerciseError
from helpers.check import prediction as check


pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def not_written(*args):
    raise NotImplementedError


def fails_with(checker, answer, *phrases, **kwargs):
    with pytest.raises(ExerciseError) as error:
        checker(answer, **kwargs)
    message = str(error.value)
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in:\n{message}"
    return message


def passes(checker, answer, capsys, exercise, **kwargs):
    checker(answer, **kwargs)
    out = capsys.readouterr().out
    assert out.startswith(f"\N{CHECK MARK} {exercise}: correct"), out


@pytest.mark.parametrize("checker", [check.prepare, check.predicted_classes,
                                     check.read_run_settings, check.predict_photo])
def test_a_stub_gets_not_written_yet_and_no_hint(checker):
    message = fails_with(checker, not_written, NOT_WRITTEN)
    assert "Hint" not in message
    assert message.count(NOT_WRITTEN) == 1


# ---- Exercise 9.1: prepare ------------------------------------------------------------------------


def prepare_right(path, image_size):
    bgr = cv2.imread(str(path))
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    small = cv2.resize(rgb, (image_size, image_size), interpolation=cv2.INTER_AREA)
    return (small.astype(np.float32) / 255)[np.newaxis]


def test_prepare_accepts_opencv_by_hand_and_the_course_helper(capsys):
    passes(check.prepare, prepare_right, capsys, "Exercise 9.1")
    passes(check.prepare, lambda p, s: images.load_for_model(p, s)[np.newaxis], capsys,
           "Exercise 9.1")


def test_prepare_names_the_missing_division_by_255():
    def no_scaling(path, size):
        return prepare_right(path, size) * 255
    fails_with(check.prepare, no_scaling, "divided the pixels by 255")


def test_prepare_names_bgr():
    def bgr(path, size):
        image = cv2.resize(cv2.imread(str(path)), (size, size), interpolation=cv2.INTER_AREA)
        return (image.astype(np.float32) / 255)[np.newaxis]
    fails_with(check.prepare, bgr, "BGR order", "COLOR_BGR2RGB")


def test_prepare_names_bgr_and_no_division_together():
    def both(path, size):
        image = cv2.resize(cv2.imread(str(path)), (size, size), interpolation=cv2.INTER_AREA)
        return image.astype(np.float32)[np.newaxis]
    fails_with(check.prepare, both, "BGR order and the values go up to 255")


def test_prepare_names_the_missing_batch_axis():
    fails_with(check.prepare, lambda p, s: prepare_right(p, s)[0], "without the batch axis",
               "np.newaxis")


def test_prepare_names_a_hard_coded_size():
    message = fails_with(check.prepare, lambda p, s: prepare_right(p, 96),
                         "is 96x96 pixels, not 64x64", "the size given as the argument")
    assert "not 96x96" not in message  # the case with size 96 is right


def test_the_checker_knows_the_course_runs_image_size():
    assert check.COURSE_IMAGE_SIZE == M.IMPROVED.image_size == get_recipe("improved").image_size


def test_prepare_names_float64():
    def float64(path, size):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        return (cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA) / 255)[np.newaxis]
    message = fails_with(check.prepare, float64, "float64", "astype(np.float32)")
    assert "differs" not in message  # the values are right, only the type is not


def test_prepare_names_uint8():
    def unscaled_uint8(path, size):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        return cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)[np.newaxis]
    fails_with(check.prepare, unscaled_uint8, "uint8: the pixels were not converted")


def test_prepare_names_inter_linear():
    def linear(path, size):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        return (cv2.resize(rgb, (size, size)).astype(np.float32) / 255)[np.newaxis]
    fails_with(check.prepare, linear, "INTER_LINEAR", "INTER_AREA")


def test_prepare_names_none_and_crashes():
    fails_with(check.prepare, lambda p, s: None, "returned None")
    fails_with(check.prepare, lambda p, s: cv2.resize(None, (s, s)), "raised error")


def test_prepare_messages_name_the_photo_not_the_temporary_folder():
    message = fails_with(check.prepare, lambda p, s: prepare_right(p, s)[0], "'striped.png'")
    assert "/tmp" not in message and "check-prepare" not in message


# ---- Exercise 9.2: class names ---------------------------------------------------------------------


def classes_right(probabilities, class_names):
    return [class_names[i] for i in np.argmax(probabilities, axis=1)]


def test_class_names_right_answers_pass(capsys):
    passes(check.predicted_classes, classes_right, capsys, "Exercise 9.2")
    passes(check.predicted_classes,
           lambda p, names: np.asarray(names)[np.asarray(p).argmax(-1)], capsys, "Exercise 9.2")


def test_class_names_argmin_is_named():
    fails_with(check.predicted_classes,
               lambda p, names: [names[i] for i in np.argmin(p, axis=1)], "argmin")


def test_class_names_wrong_axis_is_named():
    fails_with(check.predicted_classes,
               lambda p, names: [names[i] for i in np.argmax(p, axis=0)], "axis=1")


def test_class_names_indices_instead_of_names():
    fails_with(check.predicted_classes, lambda p, names: list(np.argmax(p, axis=1)),
               "return the names")


def test_class_names_hard_coded_two_classes():
    fails_with(check.predicted_classes,
               lambda p, names: [("cats", "dogs")[i] for i in np.argmax(p, axis=1)],
               "'bikes', 'cars', 'planes'")


# ---- Exercise 9.3: run.json ------------------------------------------------------------------------


def settings_right(run_dir):
    info = json.loads((Path(run_dir) / "run.json").read_text())
    return info["class_names"], info["image_size"]


def test_settings_right_answer_passes(capsys):
    passes(check.read_run_settings, settings_right, capsys, "Exercise 9.3")


def test_settings_copied_from_the_course_run_are_named():
    fails_with(check.read_run_settings, lambda run_dir: (["cats", "dogs"], 96),
               "the course run's classes", "the course run's size")


def test_settings_sorted_or_swapped_or_text():
    def reversed_names(run_dir):
        names, size = settings_right(run_dir)
        return names[::-1], size
    fails_with(check.read_run_settings, reversed_names, "keep the order of run.json")
    fails_with(check.read_run_settings, lambda d: settings_right(d)[::-1],
               "the order is (class_names, image_size)")
    fails_with(check.read_run_settings, lambda d: (settings_right(d)[0], str(settings_right(d)[1])),
               "is a str")


def test_settings_reading_the_wrong_key():
    def recipe_size(run_dir):
        info = json.loads((Path(run_dir) / "run.json").read_text())
        return info["class_names"], info["recipe"]["epochs"]
    fails_with(check.read_run_settings, recipe_size, "image size 50 instead of 96")


# ---- Exercise 9.4: restore and predict ------------------------------------------------------------


def predict_right(run_dir, path):
    names, size = settings_right(run_dir)
    model = keras.models.load_model(Path(run_dir) / "model.keras", safe_mode=True)
    probabilities = model.predict(prepare_right(path, size), verbose=0)[0]
    best = int(np.argmax(probabilities))
    return names[best], float(probabilities[best])


def test_predict_photo_right_answer_passes(capsys):
    passes(check.predict_photo, predict_right, capsys, "Exercise 9.4", prepare_answer=prepare_right)


def test_the_tiny_runs_give_clear_answers(tmp_path):
    from helpers import predict
    photo = check.write_photo(tmp_path / "p.png", check.generated_photo(60, 50, 0))
    for index, (names, size) in enumerate(check.PREDICT_RUNS):
        run_dir = check.make_tiny_run(tmp_path / f"r{index}", names, size, seed=index)
        (prediction,) = predict.predict_files(run_dir, [photo])
        top_two = np.sort(prediction.probabilities)[-2:]
        assert top_two[1] - top_two[0] > 0.05  # argmax is not a coin toss between float paths


def test_predict_photo_index_or_wrong_probability():
    def index(run_dir, path):
        name, p = predict_right(run_dir, path)
        return settings_right(run_dir)[0].index(name), p
    fails_with(check.predict_photo, index, "the index")

    def first_probability(run_dir, path):
        names, size = settings_right(run_dir)
        model = keras.models.load_model(Path(run_dir) / "model.keras", safe_mode=True)
        p = model.predict(prepare_right(path, size), verbose=0)[0]
        return names[int(np.argmax(p))], float(p[0])
    fails_with(check.predict_photo, first_probability, "the probability of another class")


def test_predict_photo_with_a_broken_prepare_says_to_fix_it_first():
    def no_scaling(path, size):
        return prepare_right(path, size) * 255

    def predict_unscaled(run_dir, path):
        names, size = settings_right(run_dir)
        model = keras.models.load_model(Path(run_dir) / "model.keras", safe_mode=True)
        p = model.predict(no_scaling(path, size), verbose=0)[0]
        return names[int(np.argmax(p))], float(p.max())
    fails_with(check.predict_photo, predict_unscaled, "Exercise 9.1) is not right yet",
               prepare_answer=no_scaling)


def test_predict_photo_hard_coded_size_crashes_readably():
    def size_96(run_dir, path):
        names, _ = settings_right(run_dir)
        model = keras.models.load_model(Path(run_dir) / "model.keras", safe_mode=True)
        p = model.predict(prepare_right(path, 96), verbose=0)[0]
        return names[int(np.argmax(p))], float(p.max())
    fails_with(check.predict_photo, size_96, "raised ValueError")
