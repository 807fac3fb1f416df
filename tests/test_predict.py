"""Tests of helpers.predict: class and probabilities per image, the training's preprocessing,
folders expanded as helpers.data lists them, bad files reported while the others are still
predicted, safe-mode loading, and a command line that never shows a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import _imagefactory as factory
import _tiny_datasets as tiny
from helpers import data, images
from helpers import predict as P
from helpers import train as T

REPO = Path(__file__).resolve().parents[1]
CLASSES = tuple(tiny.CLASSES)

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    return tiny.make_shapes(tmp_path_factory.mktemp("data") / "shapes")


@pytest.fixture(scope="module")
def run_dir(shapes, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    T.train(shapes, out, config=tiny.TINY_CONFIG, epochs=2, batch_size=8, learning_rate=1e-2,
            verbose=0)
    return out


@pytest.fixture(scope="module")
def run(run_dir) -> P.Run:
    return P.load_run(run_dir)


@pytest.fixture
def photos(tmp_path) -> dict[str, Path]:
    """Good files of other sizes than the network's (so resizing matters) and bad ones."""
    return {
        "circle": factory.write(tmp_path / "my circle.png",
                                factory.png_bytes(tiny.shape_image("circles", seed=7, size=50))),
        "jpeg": factory.write_jpeg(tmp_path / "photo.jpg", 40, 60),
        "missing": tmp_path / "missing.jpg",
        "text": factory.write(tmp_path / "notes.txt", b"my cats\n"),
        "empty": factory.write_empty(tmp_path / "empty.jpg"),
        "cut": factory.write_truncated_jpeg(tmp_path / "cut.jpg"),
    }


# ---- loading a run -------------------------------------------------------------------------------


def test_a_run_says_its_classes_and_image_size(run, run_dir):
    assert run.class_names == CLASSES and run.image_size == tiny.SIZE
    assert run.model.input_shape == (None, tiny.SIZE, tiny.SIZE, 3)
    assert run.run_dir == run_dir


def test_not_a_run_folder_is_a_one_line_refusal(tmp_path):
    with pytest.raises(T.RunError, match=r"no such run folder"):
        P.load_run(tmp_path / "nowhere")
    with pytest.raises(T.RunError, match=r"not a run folder \(no run.json\)"):
        P.load_run(tmp_path)


def copy_run(run_dir: Path, target: Path, **changes) -> Path:
    target.mkdir()
    for name in ("run.json", "model.keras"):
        (target / name).write_bytes((run_dir / name).read_bytes())
    info = json.loads((target / "run.json").read_text())
    info.update(changes)
    (target / "run.json").write_text(json.dumps(info))
    return target


def test_a_run_without_a_model_yet_is_refused(run_dir, tmp_path):
    copy = copy_run(run_dir, tmp_path / "copy")
    (copy / "model.keras").unlink()
    with pytest.raises(T.RunError, match=r"no model.keras yet \(the run has not finished"):
        P.load_run(copy)


def test_a_run_trained_with_another_preprocessing_is_refused(run_dir, tmp_path):
    copy = copy_run(run_dir, tmp_path / "copy",
                    preprocessing={**T.PREPROCESSING, "version": T.PREPROCESSING["version"] + 1})
    with pytest.raises(T.RunError, match=r"trained with preprocessing .* version 2"):
        P.load_run(copy)


def test_models_load_in_safe_mode(run_dir, tmp_path):
    """A .keras file with a Lambda layer (Python code) is refused, not run."""
    copy = copy_run(run_dir, tmp_path / "copy")
    inputs = keras.Input((tiny.SIZE, tiny.SIZE, 3))
    x = keras.layers.Lambda(lambda t: t * 1.0)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x)).save(copy / "model.keras")
    with pytest.raises(T.RunError, match=r"model.keras: cannot be loaded \(Requested the "
                                         r"deserialization of a `Lambda` layer.*safe_mode"):
        P.load_run(copy)


# ---- predicting ----------------------------------------------------------------------------------


def test_class_probabilities_gives_one_dictionary_per_photo_in_run_json_order(run, photos):
    got = P.class_probabilities(run, [photos["circle"], photos["jpeg"]])
    expected = P.predict_files(run, [photos["circle"], photos["jpeg"]])
    assert [list(d) for d in got] == [list(CLASSES)] * 2
    for d, prediction in zip(got, expected):
        assert np.allclose(list(d.values()), prediction.probabilities)
    with pytest.raises(ValueError, match="missing"):
        P.class_probabilities(run, [photos["missing"]])


def test_each_image_gets_its_class_and_every_probability(run, photos):
    predictions = P.predict_files(run, [photos["circle"], photos["jpeg"]])
    assert [p.path for p in predictions] == [photos["circle"], photos["jpeg"]]
    for prediction in predictions:
        assert prediction.ok and prediction.class_names == CLASSES
        assert prediction.probabilities.shape == (3,)
        assert prediction.probabilities.sum() == pytest.approx(1, abs=1e-5)
        assert prediction.class_name == CLASSES[int(np.argmax(prediction.probabilities))]
        assert prediction.probability == pytest.approx(prediction.probabilities.max())
        assert re.fullmatch(re.escape(str(prediction.path)) + r": (circles|squares|triangles)  "
                            r"\[circles \d\.\d{3}, squares \d\.\d{3}, triangles \d\.\d{3}\]",
                            str(prediction))


def test_prediction_prepares_images_with_the_training_preprocessing(run, photos, monkeypatch):
    """predict goes through images.load_for_model with the run's size, and the result is the
    same, to the last bit, as what the training pipeline (data.make_dataset) feeds the network."""
    calls = []
    real = images.load_for_model

    def spy(path, image_size=images.IMAGE_SIZE):
        calls.append((Path(path), image_size))
        return real(path, image_size)

    monkeypatch.setattr(images, "load_for_model", spy)
    files = [photos["circle"], photos["jpeg"]]
    predictions = P.predict_files(run, files)
    assert calls == [(path, tiny.SIZE) for path in files]

    as_trained = data.FileList(tuple(files), (0, 0), CLASSES)
    batch, _ = next(iter(data.make_dataset(as_trained, tiny.SIZE, batch_size=2)))
    prepared = np.stack([real(path, tiny.SIZE) for path in files])
    np.testing.assert_array_equal(batch.numpy(), prepared)
    expected = run.model.predict(batch, verbose=0)
    got = np.stack([p.probabilities for p in predictions])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert T.read_run(run.run_dir)["preprocessing"]["function"] == "helpers.images.load_for_model"


def test_test_time_augmentation_averages_an_image_and_its_mirror(run, photos):
    image = images.load_for_model(photos["circle"], tiny.SIZE)[np.newaxis]
    plain = run.model.predict(image, verbose=0)
    mirrored = run.model.predict(image[:, :, ::-1, :], verbose=0)
    (prediction,) = P.predict_files(run, [photos["circle"]], tta=True)
    np.testing.assert_allclose(prediction.probabilities, ((plain + mirrored) / 2)[0], atol=1e-6)


def test_centre_crop_enlarges_the_middle_of_each_image():
    batch = np.zeros((2, 20, 20, 3), np.float32)
    batch[:, 5:15, 5:15] = 1.0                      # the centre half of each side is white
    batch[1, 5:15, 5:15, 0] = 0.5                   # the second image's centre is another colour
    cropped = P.centre_crop(batch, fraction=0.5)     # the centre 10 x 10, enlarged to 20 x 20
    assert cropped.shape == batch.shape and cropped.dtype == np.float32
    np.testing.assert_allclose(cropped[0], 1.0, atol=1e-6)
    np.testing.assert_allclose(cropped[1], [0.5, 1.0, 1.0] * np.ones((20, 20, 1)), atol=1e-6)


def test_tta_views_and_modes():
    batch = np.random.default_rng(0).random((3, 16, 16, 3), dtype=np.float32)
    assert [P.tta_mode(t) for t in (False, None, "none", True, "flip", "crops")] == [
        "none", "none", "none", "flip", "flip", "crops"]
    assert len(P.tta_views(batch)) == 1 and P.tta_views(batch)[0] is batch
    plain, mirror = P.tta_views(batch, True)
    np.testing.assert_array_equal(mirror, batch[:, :, ::-1, :])
    views = P.tta_views(batch, "crops")
    assert len(views) == 4
    np.testing.assert_allclose(views[3], P.centre_crop(batch[:, :, ::-1, :]), atol=1e-6)
    with pytest.raises(ValueError, match="tta must be one of none, flip, crops"):
        P.tta_mode("sideways")


def test_a_folder_stands_for_the_image_files_directly_in_it_sorted_junk_left_out(tmp_path):
    folder = tmp_path / "my photos"
    for name in ("b.png", "a.JPG", "sub/c.png"):
        factory.write_png(folder / name)
    factory.write(folder / ".DS_Store", b"junk")
    factory.write(folder / "Thumbs.db", b"junk")
    factory.write(folder / "notes.txt", b"not an image by its name")
    (tmp_path / "empty").mkdir()
    with pytest.warns(data.SkippedImageWarning, match=r"sub.: a sub-folder, not read"):
        expanded = P.expand_paths([folder, tmp_path / "empty", tmp_path / "x.jpg"])
    assert expanded == [(folder / "a.JPG", None), (folder / "b.png", None),  # not sub/c.png
                        (tmp_path / "empty", "no image files directly in this folder"),
                        (tmp_path / "x.jpg", None)]


def test_bad_files_get_a_reason_and_the_others_are_still_predicted(run, photos):
    order = ["missing", "circle", "text", "empty", "cut", "jpeg"]
    predictions = P.predict_files(run, [photos[name] for name in order], batch_size=4)
    reasons = {name: p.error for name, p in zip(order, predictions)}
    assert reasons == {"missing": "no such file", "circle": None,
                       "text": "not an image (no known image format in its first bytes)",
                       "empty": "empty file", "jpeg": None,
                       "cut": "truncated or corrupt "
                              "(JPEG data ends before its end-of-image marker)"}
    assert [p.ok for p in predictions] == [False, True, False, False, False, True]
    assert predictions[0].probabilities is None and predictions[0].class_name is None
    assert str(predictions[0]) == f"{photos['missing']}: error: no such file"


# ---- the command line --------------------------------------------------------------------------


def test_command_line_prints_one_line_per_image_and_fails_for_bad_ones(run_dir, photos, capsys):
    status = P.main(["--model", str(run_dir), str(photos["circle"]), str(photos["text"]),
                     str(photos["missing"]), str(photos["jpeg"])])
    out, err = capsys.readouterr()
    assert status == 1
    lines = out.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == [str(photos["circle"]), str(photos["jpeg"])]
    assert err.strip().splitlines() == [
        f"error: {photos['text']}: not an image (no known image format in its first bytes)",
        f"error: {photos['missing']}: no such file"]


def test_command_line_exit_status_is_0_when_every_image_is_predicted(run_dir, shapes, capsys):
    assert P.main(["--model", str(run_dir), str(shapes / "squares")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 12


def test_command_line_json(run_dir, photos, capsys):
    status = P.main(["--model", str(run_dir), "--json", str(photos["circle"]),
                     str(photos["empty"])])
    report = json.loads(capsys.readouterr().out)
    assert status == 1
    assert report["class_names"] == list(CLASSES)
    good, bad = report["predictions"]
    assert good["path"] == str(photos["circle"]) and good["error"] is None
    assert set(good["probabilities"]) == set(CLASSES) and good["class"] in CLASSES
    assert sum(good["probabilities"].values()) == pytest.approx(1, abs=1e-4)
    assert bad == {"path": str(photos["empty"]), "class": None, "probabilities": None,
                   "error": "empty file"}


def test_command_line_refuses_a_folder_that_is_no_run(tmp_path, capsys):
    assert P.main(["--model", str(tmp_path), "x.jpg"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path}: not a run folder")


def test_no_image_argument_is_a_usage_message_with_status_2(run_dir):
    """The original predict.py crashed with "list index out of range" here."""
    result = subprocess.run([sys.executable, "-m", "helpers.predict", "--model", str(run_dir)],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert "usage: python -m helpers.predict" in result.stderr
    assert "the following arguments are required: IMAGE_OR_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_input_never_shows_a_traceback(run_dir, photos):
    result = subprocess.run([sys.executable, "-m", "helpers.predict", "--model", str(run_dir),
                             str(photos["cut"]), str(photos["circle"])],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"error: {photos['cut']}: truncated or corrupt" in result.stderr
    assert result.stdout.startswith(f"{photos['circle']}: ")
