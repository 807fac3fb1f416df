"""Tests of helpers.check.prediction (notebook 09): right answers pass, the typical slips are
named (no /255, BGR, no batch axis, another size, float64, INTER_LINEAR; argmin, the wrong axis;
model not saved or not restored; BGR, no /255, another size, no batch axis, a second softmax,
probabilities that do not sum to 1, the class order), stubs get "not written
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


@pytest.mark.parametrize("checker", [check.save_and_restore, check.prepare,
                                     check.predict_photos, check.predicted_classes])
def test_a_stub_gets_not_written_yet_and_no_hint(checker):
    message = fails_with(checker, not_written, NOT_WRITTEN)
    assert "Hint" not in message
    assert message.count(NOT_WRITTEN) == 1


# ---- Exercise 9.2: prepare ------------------------------------------------------------------------


def prepare_right(path, image_size):
    bgr = cv2.imread(str(path))
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    small = cv2.resize(rgb, (image_size, image_size), interpolation=cv2.INTER_AREA)
    return (small.astype(np.float32) / 255)[np.newaxis]


def test_prepare_accepts_opencv_by_hand_and_the_course_helper(capsys):
    passes(check.prepare, prepare_right, capsys, "Exercise 9.2")
    passes(check.prepare, lambda p, s: images.load_for_model(p, s)[np.newaxis], capsys,
           "Exercise 9.2")


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


# ---- Exercise 9.4: class names ---------------------------------------------------------------------


def classes_right(probabilities, class_names):
    return [class_names[i] for i in np.argmax(probabilities, axis=1)]


def test_class_names_right_answers_pass(capsys):
    passes(check.predicted_classes, classes_right, capsys, "Exercise 9.4")
    passes(check.predicted_classes,
           lambda p, names: np.asarray(names)[np.asarray(p).argmax(-1)], capsys, "Exercise 9.4")


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


# ---- Exercise 9.1: save and restore -------------------------------------------------------------


def test_save_and_restore_right_answer_passes(capsys):
    def right(model, path):
        model.save(path)
        return keras.models.load_model(path, safe_mode=True)
    passes(check.save_and_restore, right, capsys, "Exercise 9.1")


def test_save_and_restore_names_a_missing_file_or_the_same_model():
    fails_with(check.save_and_restore, lambda model, path: model, "nothing was written")

    def same(model, path):
        model.save(path)
        return model
    fails_with(check.save_and_restore, same, "you returned the model you were given")

    def no_return(model, path):
        model.save(path)
    fails_with(check.save_and_restore, no_return, "returned None")


# ---- Exercise 9.3: the prediction function --------------------------------------------------------


def settings_right(run_dir):
    info = json.loads((Path(run_dir) / "run.json").read_text())
    return info["class_names"], info["image_size"]


def predictor(prepare=prepare_right, names=None, after=None, batch=True, size=None):
    """A learner's predict_photos, right by default, with one slip switched on."""
    def predict_photos(run_dir, paths):
        class_names, image_size = settings_right(run_dir)
        model = keras.models.load_model(Path(run_dir) / "model.keras", safe_mode=True)
        prepared = [prepare(path, size or image_size) for path in paths]
        if not batch:
            rows = [np.asarray(model(p[0])) for p in prepared]
        else:
            rows = np.asarray(model(np.concatenate(prepared)))
        rows = np.asarray(rows)
        if after is not None:
            rows = after(rows)
        order = names(class_names) if names else class_names
        return [dict(zip(order, map(float, row))) for row in rows]
    return predict_photos


def test_predict_photos_right_answer_passes(capsys):
    passes(check.predict_photos, predictor(), capsys, "Exercise 9.3")


def test_predict_photos_the_course_function_passes(capsys):
    from helpers import predict
    passes(check.predict_photos, predict.class_probabilities, capsys, "Exercise 9.3")


def test_predict_photos_passes_on_real_photos_and_a_given_run(tmp_path, capsys):
    run_dir = check.make_tiny_run(tmp_path / "course", ("cats", "dogs"), 40)
    photos = [check.write_photo(tmp_path / f"p{i}.jpg", check.generated_photo(90, 70, i + 5))
              for i in range(3)]
    passes(check.predict_photos, predictor(), capsys, "Exercise 9.3", run_dir=run_dir,
           photos=photos)


def test_predict_photos_names_bgr():
    def bgr(path, size):
        small = cv2.resize(cv2.imread(str(path)), (size, size), interpolation=cv2.INTER_AREA)
        return (small.astype(np.float32) / 255)[np.newaxis]
    fails_with(check.predict_photos, predictor(prepare=bgr), "BGR order")


def test_predict_photos_names_the_missing_scaling():
    fails_with(check.predict_photos, predictor(prepare=lambda p, s: prepare_right(p, s) * 255),
               "not scaled to [0, 1]")


def test_predict_photos_names_a_wrong_size():
    message = fails_with(check.predict_photos, predictor(size=96), "resized to 96x96",
                         "use the image_size of run.json")
    assert "Traceback" not in message


def test_predict_photos_names_the_missing_batch_axis():
    fails_with(check.predict_photos, predictor(batch=False), "without the batch axis")


def test_predict_photos_names_probabilities_that_do_not_sum_to_one():
    fails_with(check.predict_photos, predictor(after=lambda rows: rows * 0.5), "add up to 0.5000")
    fails_with(check.predict_photos,
               predictor(after=lambda rows: np.exp(rows) / np.exp(rows).sum(axis=1, keepdims=True)),
               "second softmax", "end with a Softmax layer")


def test_predict_photos_names_the_class_order():
    fails_with(check.predict_photos, predictor(names=sorted), "wrong class names")
    fails_with(check.predict_photos, predictor(names=lambda names: names[::-1]),
               "wrong class names")


def test_predict_photos_other_answers_are_explained():
    fails_with(check.predict_photos, lambda run_dir, paths: None, "returned None")
    fails_with(check.predict_photos, lambda run_dir, paths: {"cats": 1.0}, "one dictionary")
    fails_with(check.predict_photos,
               lambda run_dir, paths: [{"cat": 0.5, "dog": 0.5} for _ in paths], "the run's classes")


def test_the_tiny_runs_give_clear_answers(tmp_path):
    from helpers import predict
    photo = check.write_photo(tmp_path / "p.png", check.generated_photo(60, 50, 0))
    for index, (names, size) in enumerate(check.PREDICT_RUNS):
        run_dir = check.make_tiny_run(tmp_path / f"r{index}", names, size, seed=index,
                                      scale=check.SCALE)
        (prediction,) = predict.predict_files(run_dir, [photo])
        top_two = np.sort(prediction.probabilities)[-2:]
        assert top_two[1] - top_two[0] > 0.05
        assert top_two[1] < 0.999  # not saturated: the slips change the probabilities  # argmax is not a coin toss between float paths


def test_class_probabilities_is_the_course_prediction(tmp_path):
    from helpers import predict
    run_dir = check.make_tiny_run(tmp_path / "r", ("dogs", "cats"), 24)
    photo = check.write_photo(tmp_path / "p.png", check.generated_photo(60, 50, 0))
    (got,) = predict.class_probabilities(run_dir, [photo])
    (expected,) = predict.predict_files(run_dir, [photo])
    assert list(got) == ["dogs", "cats"]
    assert np.allclose(list(got.values()), expected.probabilities)
    with pytest.raises(ValueError, match="missing.jpg"):
        predict.class_probabilities(run_dir, [tmp_path / "missing.jpg"])


def test_chosen_follows_the_recorded_result(capsys):
    from helpers.check import RESULTS
    mine, course = (lambda: "mine"), (lambda: "course")
    RESULTS["9.3"] = "failed"
    assert check.chosen("9.3", mine, course, "f") is course
    assert "the course's f" in capsys.readouterr().out
    RESULTS["9.3"] = "passed"
    assert check.chosen("9.3", mine, course, "f") is mine
    assert "your f" in capsys.readouterr().out
    del RESULTS["9.3"]
