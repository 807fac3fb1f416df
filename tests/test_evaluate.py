"""Tests of helpers.evaluate: the confusion matrix, accuracy, precision and recall in numpy
against hand-computed examples and a plain double loop, the evaluation of a run on a folder,
test-time augmentation, refusals and the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import tensorflow as tf
import pytest

import _imagefactory as factory
import _tiny_datasets as tiny
from helpers import evaluate as E
from helpers import images
from helpers import predict as P
from helpers import train as T
from helpers.data import DatasetError, SkippedImageWarning

CLASSES = list(tiny.CLASSES)

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


# ---- the measures -----------------------------------------------------------------------------

# Seven images of three classes, worked out by hand:
#   true       0 0 1 1 2 2 2
#   predicted  0 1 1 1 2 0 2
TRUE = [0, 0, 1, 1, 2, 2, 2]
PREDICTED = [0, 1, 1, 1, 2, 0, 2]


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    np.testing.assert_array_equal(E.confusion_matrix(TRUE, PREDICTED, 3),
                                  [[1, 1, 0],
                                   [0, 2, 0],
                                   [1, 0, 2]])


def test_accuracy_precision_and_recall_by_hand():
    matrix = E.confusion_matrix(TRUE, PREDICTED, 3)
    assert E.accuracy_of(matrix) == pytest.approx(5 / 7)
    precision, recall = E.precision_recall(matrix)
    # precision: right / predicted as the class (column sums 2, 3, 2)
    np.testing.assert_allclose(precision, [1 / 2, 2 / 3, 2 / 2])
    # recall: right / images of the class (row sums 2, 2, 3)
    np.testing.assert_allclose(recall, [1 / 2, 2 / 2, 2 / 3])


def test_a_class_never_predicted_has_no_precision_and_one_without_images_no_recall():
    matrix = E.confusion_matrix([0, 0, 1], [0, 0, 0], 3)  # nothing predicted 1 or 2, no image of 2
    precision, recall = E.precision_recall(matrix)
    assert precision[0] == pytest.approx(2 / 3)
    assert math.isnan(precision[1]) and math.isnan(precision[2])
    assert recall[0] == 1 and recall[1] == 0 and math.isnan(recall[2])
    assert math.isnan(E.accuracy_of(np.zeros((2, 2), np.int64)))


def test_measures_match_a_plain_double_loop():
    rng = np.random.default_rng(3)
    for num_classes in (2, 3, 5):
        true = rng.integers(0, num_classes, 200)
        predicted = np.where(rng.random(200) < 0.6, true, rng.integers(0, num_classes, 200))
        expected = [[sum(1 for t, p in zip(true, predicted) if t == i and p == j)
                     for j in range(num_classes)] for i in range(num_classes)]
        matrix = E.confusion_matrix(true, predicted, num_classes)
        np.testing.assert_array_equal(matrix, expected)
        assert E.accuracy_of(matrix) == pytest.approx(np.mean(true == predicted))
        precision, recall = E.precision_recall(matrix)
        for k in range(num_classes):
            hits = np.sum((true == k) & (predicted == k))
            assert precision[k] == pytest.approx(hits / np.sum(predicted == k))
            assert recall[k] == pytest.approx(hits / np.sum(true == k))


def test_labels_out_of_range_or_of_other_lengths_are_refused():
    with pytest.raises(ValueError, match=r"predicted_labels must be class indices in \[0, 1\]"):
        E.confusion_matrix([0, 1], [0, 2], 2)
    with pytest.raises(ValueError, match="got 2 true labels but 3 predicted ones"):
        E.confusion_matrix([0, 1], [0, 1, 1], 2)


# ---- evaluating a run on a folder --------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    training = tiny.make_shapes(tmp_path_factory.mktemp("data") / "training")
    out = tmp_path_factory.mktemp("runs") / "run"
    T.train(training, out, config=tiny.TINY_CONFIG, epochs=3, batch_size=8, learning_rate=1e-2,
            verbose=0)
    return out


@pytest.fixture(scope="module")
def testing(tmp_path_factory) -> Path:
    """Other images of the same classes (another seed), 6 per class, and one broken file."""
    root = tiny.make_shapes(tmp_path_factory.mktemp("data") / "testing", per_class=6, seed=1)
    factory.write_truncated_jpeg(root / "squares" / "cut.jpg")
    return root


@pytest.fixture(scope="module")
def evaluation(run_dir, testing) -> E.Evaluation:
    with pytest.warns(SkippedImageWarning, match="cut.jpg: truncated or corrupt"):
        return E.evaluate_folder(run_dir, testing)


def test_evaluation_measures_the_predictions_of_every_usable_image(evaluation, run_dir, testing):
    assert evaluation.class_names == CLASSES
    assert len(evaluation.paths) == 18 and evaluation.confusion.sum() == 18
    assert evaluation.skipped == [(testing / "squares" / "cut.jpg", "truncated or corrupt "
                                   "(JPEG data ends before its end-of-image marker)")]
    np.testing.assert_array_equal(evaluation.true_labels, np.repeat([0, 1, 2], 6))
    predictions = P.predict_files(run_dir, evaluation.paths)
    np.testing.assert_allclose(evaluation.probabilities, [p.probabilities for p in predictions],
                               atol=1e-6)
    predicted = np.array([p.label for p in predictions])
    assert evaluation.accuracy == pytest.approx(np.mean(predicted == evaluation.true_labels))
    np.testing.assert_array_equal(evaluation.confusion,
                                  E.confusion_matrix(evaluation.true_labels, predicted, 3))


def test_misclassified_files_are_the_off_diagonal_most_confident_first(evaluation):
    wrong = evaluation.misclassified
    assert len(wrong) == evaluation.confusion.sum() - np.trace(evaluation.confusion)
    for item in wrong:
        assert item.true_class != item.predicted_class
        assert item.path.parent.name == item.true_class
    assert [w.probability for w in wrong] == sorted((w.probability for w in wrong), reverse=True)


def test_report_text_and_json(evaluation):
    text = str(evaluation)
    right = np.trace(evaluation.confusion)
    assert f"accuracy {evaluation.accuracy:.4f} ({right} of 18 right)" in text
    assert "confusion matrix (rows: true class, columns: predicted class)" in text
    for name, row in zip(CLASSES, evaluation.confusion):
        assert any(line.split() == [name, *map(str, row)] for line in text.splitlines())
    assert f"misclassified ({len(evaluation.misclassified)}):" in text
    assert "skipped (1, unusable):" in text
    report = json.loads(json.dumps(evaluation.to_dict()))
    assert report["confusion_matrix"] == evaluation.confusion.tolist()
    assert [c["name"] for c in report["classes"]] == CLASSES
    assert [c["images"] for c in report["classes"]] == [6, 6, 6]
    assert len(report["misclassified"]) == len(evaluation.misclassified)


def test_test_time_augmentation_averages_each_image_and_its_mirror(run_dir, testing, evaluation):
    run = P.load_run(run_dir)
    with pytest.warns(SkippedImageWarning):
        flipped = E.evaluate_folder(run, testing, tta=True)
    assert flipped.tta == "flip" and evaluation.tta == "none" and flipped.paths == evaluation.paths
    batch = np.stack([images.load_for_model(path, tiny.SIZE) for path in evaluation.paths])
    mirrored = run.model.predict(batch[:, :, ::-1, :], verbose=0)
    np.testing.assert_allclose(flipped.probabilities, (evaluation.probabilities + mirrored) / 2,
                               atol=1e-6)
    assert "with flipped-image averaging (TTA)" in str(flipped).splitlines()[0]
    assert json.loads(json.dumps(flipped.to_dict()))["tta"] == "flip"


def test_crops_average_four_views_the_image_its_mirror_and_their_centre_crops(
        run_dir, testing, evaluation):
    run = P.load_run(run_dir)
    with pytest.warns(SkippedImageWarning):
        cropped = E.evaluate_folder(run, testing, tta="crops")
    batch = np.stack([images.load_for_model(path, tiny.SIZE) for path in evaluation.paths])
    mirror = batch[:, :, ::-1, :]
    side = round(tiny.SIZE * P.CROP_FRACTION)
    top = (tiny.SIZE - side) // 2
    def centre(x):  # the centre crop, enlarged back with TensorFlow's bilinear resize
        return tf.image.resize(x[:, top:top + side, top:top + side], (tiny.SIZE, tiny.SIZE)).numpy()
    views = [batch, mirror, centre(batch), centre(mirror)]
    expected = np.mean([run.model.predict(view, verbose=0) for view in views], axis=0)
    np.testing.assert_allclose(cropped.probabilities, expected, atol=1e-6)
    assert cropped.tta == "crops" and "their centre crops (TTA)" in str(cropped).splitlines()[0]


@pytest.mark.parametrize("tta", ["mirror", 2, "True"])
def test_an_unknown_tta_is_refused_in_one_line(run_dir, testing, tta):
    with pytest.raises(ValueError, match=r"^tta must be one of none, flip, crops, True or False; got"):
        E.evaluate_folder(run_dir, testing, tta=tta)


def test_a_folder_with_other_class_names_is_refused(run_dir, tmp_path):
    other = tiny.make_shapes(tmp_path / "other", per_class=1,
                             classes=("cats", "circles", "squares"))
    with pytest.raises(DatasetError, match=r"its classes \(cats, circles, squares\) are not the "
                                           r"training classes \(circles, squares, triangles\)"):
        E.evaluate_folder(run_dir, other)


def test_a_folder_with_one_of_the_classes_names_the_missing_ones(run_dir, tmp_path):
    # not "a classifier needs at least 2 classes": the run has its classes, this folder lacks some
    one = tiny.make_shapes(tmp_path / "one", per_class=1, classes=("circles",))
    message = (r"its classes \(circles\) are not the training classes "
               r"\(circles, squares, triangles\): no squares, triangles$")
    with pytest.raises(DatasetError, match=message):
        E.evaluate_folder(run_dir, one)


def test_a_folder_whose_images_are_all_unusable_is_refused(run_dir, tmp_path):
    for name in CLASSES:
        factory.write_empty(tmp_path / "bad" / name / "a.jpg")
    with pytest.warns(SkippedImageWarning), \
            pytest.raises(DatasetError, match="none of its 3 image files is usable"):
        E.evaluate_folder(run_dir, tmp_path / "bad")


# ---- the command line ----------------------------------------------------------------------------


def test_command_line_report(run_dir, testing, evaluation, capsys):
    assert E.main(["--model", str(run_dir), str(testing)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(evaluation)
    assert err.strip() == (f"warning: skipping {testing / 'squares' / 'cut.jpg'}: truncated or "
                           "corrupt (JPEG data ends before its end-of-image marker)")


def test_command_line_json(run_dir, testing, evaluation, capsys):
    assert E.main(["--model", str(run_dir), str(testing), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(evaluation.to_dict()))


@pytest.mark.parametrize("flag, words", [("--tta", "with flipped-image averaging (TTA)"),
                                         ("--tta-crops", "and their centre crops (TTA)")])
def test_command_line_test_time_augmentation(run_dir, testing, flag, words, capsys):
    assert E.main(["--model", str(run_dir), str(testing), flag]) == 0
    assert words in capsys.readouterr().out.splitlines()[0]


def test_command_line_refuses_both_kinds_of_test_time_augmentation(run_dir, testing, capsys):
    with pytest.raises(SystemExit) as stopped:
        E.main(["--model", str(run_dir), str(testing), "--tta", "--tta-crops"])
    assert stopped.value.code == 2
    assert "argument --tta-crops: not allowed with argument --tta" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["other classes", "missing folder", "no run"])
def test_command_line_refusals_are_one_line_with_status_2(case, run_dir, tmp_path, capsys):
    folder = tmp_path / "folder"
    model = run_dir
    if case == "other classes":
        tiny.make_shapes(folder, per_class=1, classes=("cats", "dogs"))
    elif case == "no run":
        tiny.make_shapes(folder, per_class=1)
        model = tmp_path
    assert E.main(["--model", str(model), str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]


def test_a_sub_folder_of_a_class_is_not_read_and_is_said(run_dir, tmp_path):
    folder = tiny.make_shapes(tmp_path / "testing", per_class=2, seed=2)
    tiny.make_shapes(folder / "circles" / "more", per_class=2, seed=3)
    with pytest.warns(SkippedImageWarning, match=r"circles.more.: a sub-folder, not read"):
        evaluation = E.evaluate_folder(run_dir, folder)
    assert len(evaluation.paths) == 6
