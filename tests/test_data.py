"""helpers.data: discovery, the scan report, splits, both loaders and the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import _imagefactory as factory
from _archiveserver import ArchiveServer, zip_bytes
from helpers import data, datasets, images
from helpers.data import DatasetError, FileList, SkippedImageWarning

REPO = Path(__file__).resolve().parents[1]
SHARED_TRAINING = REPO.parent / "shared" / "data" / "cats-dogs" / "training_data"
needs_shared = pytest.mark.skipif(not SHARED_TRAINING.is_dir(), reason="the shared course photos are not here")


@pytest.fixture
def two_classes(tmp_path) -> Path:
    return factory.make_dataset(tmp_path / "train", {"cats": 5, "dogs": 5})


@pytest.fixture
def messy(tmp_path) -> Path:
    """A folder as real folders are: every kind of odd and bad file, junk, a nested folder."""
    root = tmp_path / "messy"
    cats, dogs = root / "cats", root / "dogs"
    factory.write_jpeg(cats / "cat.0.jpg")
    factory.write_jpeg(cats / "CAT.1.JPG", seed=1)                # upper-case extension
    factory.write_png_named_jpg(cats / "cat.2.jpg")               # PNG named .jpg: usable
    factory.write_grayscale_jpeg(cats / "gray.jpeg")
    factory.write_rgba_png(cats / "logo.PNG")
    factory.write_cmyk_jpeg(cats / "cmyk.jpg")
    factory.write_16bit_png(cats / "deep.png")
    factory.write_tiny(cats / "dot.png")
    factory.write_empty(cats / "empty.jpg")                       # unusable
    factory.write_text(cats / "page.jpg")                         # unusable
    factory.write_truncated_jpeg(cats / "cut.jpg")                # unusable
    factory.write(cats / ".DS_Store", b"\x00\x00\x00\x01Bud1")    # junk, ignored silently
    factory.write(cats / "Thumbs.db", b"junk")
    factory.write(cats / "._cat.0.jpg", b"\x00\x05\x16\x07")
    factory.write(cats / "notes.txt", b"my cats")                 # other file: reported, ignored
    factory.write_jpeg(cats / "kittens" / "kitten.0.jpg")         # nested folder: reported
    factory.write_jpeg(dogs / "dog.0.jpg", seed=7)
    factory.write_large(dogs / "big.jpg")                         # 4000 x 3000
    (root / ".ipynb_checkpoints").mkdir()                         # not a class
    (root / "__MACOSX").mkdir()
    return root


CATS_USABLE = ["CAT.1.JPG", "cat.0.jpg", "cat.2.jpg", "cmyk.jpg", "deep.png", "dot.png", "gray.jpeg", "logo.PNG"]
CATS_UNUSABLE = {"cut.jpg": images.CORRUPT, "empty.jpg": images.EMPTY, "page.jpg": images.NOT_AN_IMAGE}


# ---- discovery --------------------------------------------------------------------------------


def test_classes_are_the_sorted_sub_folders_hidden_and_junk_left_out(messy):
    (messy / "birds").mkdir()
    assert data.find_classes(messy) == ["birds", "cats", "dogs"]


def test_missing_folder_is_one_clear_line(tmp_path):
    with pytest.raises(DatasetError, match=r"nowhere: no such folder$"):
        data.find_classes(tmp_path / "nowhere")


@pytest.mark.parametrize("classes", [[], ["cats"]])
def test_fewer_than_two_classes_is_refused(tmp_path, classes):
    for name in classes:
        factory.write_jpeg(tmp_path / name / "a.jpg")
    factory.write_jpeg(tmp_path / "stray.jpg")
    with pytest.raises(DatasetError, match="at least 2 classes") as info:
        data.find_classes(tmp_path)
    assert "\n" not in str(info.value)


def test_class_folders_lists_however_few(tmp_path):
    factory.write_jpeg(tmp_path / "cats" / "a.jpg")
    factory.write_jpeg(tmp_path / "stray.jpg")
    assert data.class_folders(tmp_path) == ["cats"]
    assert data.class_folders(tmp_path / "cats") == []
    with pytest.raises(DatasetError, match="nowhere: no such folder$"):
        data.class_folders(tmp_path / "nowhere")


def test_a_file_is_not_a_dataset_folder(tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        data.find_classes(factory.write_jpeg(tmp_path / "a.jpg"))


def test_class_folder_listing_ignores_junk_and_reports_nested_and_other(messy):
    listing = data.list_class_folder(messy / "cats")
    names = sorted(p.name for p in listing.images)
    assert names == sorted(CATS_USABLE + list(CATS_UNUSABLE))
    assert [p.name for p in listing.ignored] == ["notes.txt"]
    assert [p.name for p in listing.nested] == ["kittens"]


def test_list_files_gives_paths_labels_and_class_names(two_classes):
    files = data.list_files(two_classes)
    assert files.class_names == ("cats", "dogs")
    assert len(files) == 10 and files.counts() == {"cats": 5, "dogs": 5}
    assert all(files.labels[i] == (p.parent.name == "dogs") for i, p in enumerate(files.paths))


def test_list_files_with_given_classes_keeps_their_order(two_classes):
    files = data.list_files(two_classes, classes=["dogs", "cats"])
    assert files.class_names == ("dogs", "cats")
    assert files.paths[0].parent.name == "dogs" and files.labels[0] == 0
    with pytest.raises(DatasetError, match="no folder for class 'birds'"):
        data.list_files(two_classes, classes=["cats", "birds"])


def test_class_without_image_files_is_refused(two_classes):
    (two_classes / "birds").mkdir()
    factory.write(two_classes / "birds" / "readme.txt", b"soon")
    with pytest.raises(DatasetError, match="class 'birds' has no image files"):
        data.list_files(two_classes)


def test_any_number_of_classes(tmp_path):
    files = data.list_files(factory.make_dataset(tmp_path, {"a": 2, "b": 2, "c": 2, "d": 1}))
    assert files.class_names == ("a", "b", "c", "d") and files.counts()["d"] == 1


# ---- scan and report ----------------------------------------------------------------------------


def test_scan_sorts_every_kind_of_file(messy):
    report = data.scan(messy)
    cats, dogs = report.classes
    assert (cats.name, cats.label, dogs.name, dogs.label) == ("cats", 0, "dogs", 1)
    assert sorted(p.name for p in cats.usable) == sorted(CATS_USABLE)
    assert {u.path.name: u.reason for u in cats.unusable} == CATS_UNUSABLE
    assert sorted(p.name for p in dogs.usable) == ["big.jpg", "dog.0.jpg"]
    assert report.problems == []
    assert len(report.file_list()) == len(CATS_USABLE) + 2


def test_scan_decodes_each_file_once(messy, monkeypatch):
    calls = []
    real = data.read_rgb
    monkeypatch.setattr(data, "read_rgb", lambda path: (calls.append(Path(path)), real(path))[1])
    data.scan(messy, workers=2)
    assert len(calls) == len(set(calls)) == len(CATS_USABLE) + len(CATS_UNUSABLE) + 2


def test_scan_report_as_json_lists_counts_and_each_unusable_file(messy):
    report = json.loads(json.dumps(data.scan(messy).to_dict()))
    cats = report["classes"][0]
    assert cats["usable"] == len(CATS_USABLE)
    assert {u["file"]: u["reason"] for u in cats["unusable"]} == {f"cats/{k}": v for k, v in CATS_UNUSABLE.items()}
    assert cats["nested_folders"] == ["cats/kittens"] and cats["ignored_files"] == ["cats/notes.txt"]
    assert report["usable"] == len(CATS_USABLE) + 2 and report["unusable"] == 3


def test_scan_report_as_text(messy):
    text = str(data.scan(messy))
    assert text.splitlines()[0] == f"{messy}: 2 classes, 10 usable images, 3 unusable"
    assert ["0", "cats", "8", "3"] in [line.split() for line in text.splitlines()]
    assert "cats/cut.jpg: truncated or corrupt" in text
    assert "cats/empty.jpg: empty file" in text and "cats/page.jpg: not an image" in text
    assert "cats/kittens/" in text and "cats/notes.txt" in text


def test_class_with_no_usable_image_is_a_problem(two_classes):
    birds = two_classes / "birds"
    factory.write_empty(birds / "a.jpg")
    factory.write_text(birds / "b.jpg")
    report = data.scan(two_classes)
    assert report.problems == [f"{birds}: class 'birds' has no usable image (2 unusable)"]


# ---- splits ------------------------------------------------------------------------------------


def test_split_is_stratified_and_deterministic():
    labels = [0] * 50 + [1] * 30 + [2] * 5
    train, val = data.split_indices(labels, 0.2, seed=3)
    assert np.bincount(np.asarray(labels)[val]).tolist() == [10, 6, 1]
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(85))
    assert not set(train) & set(val)
    again_train, again_val = data.split_indices(labels, 0.2, seed=3)
    np.testing.assert_array_equal(val, again_val)
    assert not np.array_equal(val, data.split_indices(labels, 0.2, seed=4)[1])


def test_split_of_one_class_does_not_move_when_another_grows():
    _, before = data.split_indices([0] * 20 + [1] * 20, 0.2, seed=0)
    _, after = data.split_indices([0] * 20 + [1] * 35, 0.2, seed=0)
    assert before[before < 20].tolist() == after[after < 20].tolist()


def test_split_keeps_one_of_each_side_for_small_classes():
    _, val = data.split_indices([0, 0, 1, 1, 1, 2], 0.2)
    assert np.bincount(np.asarray([0, 0, 1, 1, 1, 2])[val], minlength=3).tolist() == [1, 1, 0]


def test_split_fraction_zero_and_bad_fractions():
    train, val = data.split_indices([0, 1, 0, 1], 0.0)
    assert val.size == 0 and train.tolist() == [0, 1, 2, 3]
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="validation_fraction"):
            data.split_indices([0, 1], bad)


def test_split_file_list(two_classes):
    training, validation = data.split(data.list_files(two_classes), 0.2, seed=0)
    assert validation.counts() == {"cats": 1, "dogs": 1} and training.counts() == {"cats": 4, "dogs": 4}
    assert not set(training.paths) & set(validation.paths)


# ---- the numpy loader -------------------------------------------------------------------------


def test_load_numpy_gives_scaled_rgb_and_one_hot(two_classes):
    arrays = data.load_numpy(two_classes, image_size=16)
    assert arrays.images.shape == (10, 16, 16, 3) and arrays.images.dtype == np.float32
    assert arrays.labels.shape == (10, 2) and arrays.labels.dtype == np.float32
    np.testing.assert_array_equal(arrays.labels.sum(axis=1), 1)
    assert arrays.label_ids.tolist() == [0] * 5 + [1] * 5
    assert arrays.class_names == ["cats", "dogs"]
    for image, path in zip(arrays.images, arrays.paths):
        np.testing.assert_array_equal(image, images.load_for_model(path, 16))


def test_load_numpy_default_size_is_128(two_classes):
    assert data.load_numpy(two_classes).images.shape[1:] == (128, 128, 3)


def test_load_numpy_keeps_colours_in_rgb(tmp_path):
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255
    factory.write(tmp_path / "red" / "r.png", factory.png_bytes(red))
    factory.write(tmp_path / "blue" / "b.png", factory.png_bytes(red[..., ::-1].copy()))
    arrays = data.load_numpy(tmp_path, image_size=4)
    assert arrays.class_names == ["blue", "red"]
    assert arrays.images[1, 0, 0].tolist() == [1.0, 0.0, 0.0]  # red is channel 0
    assert arrays.images[0, 0, 0].tolist() == [0.0, 0.0, 1.0]


def test_load_numpy_skips_unusable_files_with_a_warning_naming_each(messy):
    with pytest.warns(SkippedImageWarning) as record:
        arrays = data.load_numpy(messy, image_size=8)
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 3  # the sub-folder is in the scan's report, not a warning here
    assert any("cut.jpg: truncated or corrupt" in m for m in messages)
    assert len(arrays) == len(CATS_USABLE) + 2


def test_load_numpy_strict_refuses_listing_the_unusable(messy):
    with pytest.raises(DatasetError, match=r"strict mode: 3 unusable.*cut\.jpg.*empty\.jpg.*page\.jpg"):
        data.load_numpy(messy, image_size=8, strict=True)


def test_load_numpy_refuses_a_class_left_without_images(two_classes):
    factory.write_empty(two_classes / "birds" / "a.jpg")
    with pytest.raises(DatasetError, match="class 'birds' has no usable image"), \
            pytest.warns(SkippedImageWarning):
        data.load_numpy(two_classes, image_size=8)


def test_read_train_sets_holds_out_a_stratified_fifth(tmp_path):
    folder = factory.make_dataset(tmp_path, {"cats": 10, "dogs": 10})
    training, validation = data.read_train_sets(folder, image_size=8, validation_fraction=0.2, seed=1)
    assert len(training) == 16 and len(validation) == 4
    assert validation.labels.sum(axis=0).tolist() == [2, 2]
    assert not set(training.paths) & set(validation.paths)


# ---- the tf.data pipeline -----------------------------------------------------------------------


def batches(ds):
    return [(x.numpy(), y.numpy()) for x, y in ds]


def test_pipeline_gives_the_same_pixels_and_labels_as_the_numpy_loader(two_classes):
    files = data.list_files(two_classes)
    ds = data.make_dataset(files, image_size=16, batch_size=4)
    spec_images, spec_labels = ds.element_spec
    assert spec_images.shape.as_list() == [None, 16, 16, 3] and spec_labels.shape.as_list() == [None, 2]
    got = batches(ds)
    assert [x.shape[0] for x, _ in got] == [4, 4, 2]
    images_, labels = np.concatenate([x for x, _ in got]), np.concatenate([y for _, y in got])
    expected = data.load_numpy(files, image_size=16)
    assert images_.dtype == np.float32 and labels.dtype == np.float32
    np.testing.assert_array_equal(labels, expected.labels)
    np.testing.assert_array_equal(images_, expected.images)  # bit for bit: one preprocessing


def test_pipeline_skips_unusable_files_warning_once_each(messy):
    files = data.list_files(messy)
    ds = data.make_dataset(files, image_size=8, batch_size=64)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        first, second = batches(ds), batches(ds)  # two epochs
    skipped = [str(w.message) for w in record if issubclass(w.category, SkippedImageWarning)]
    assert len(skipped) == 3 and any("page.jpg: not an image" in m for m in skipped)
    assert first[0][0].shape[0] == second[0][0].shape[0] == len(CATS_USABLE) + 2


def test_pipeline_strict_refuses_up_front(messy):
    with pytest.raises(DatasetError, match=r"strict mode: 3 unusable.*cut\.jpg"):
        data.make_dataset(messy, image_size=8, strict=True)


def test_training_pipeline_shuffles_each_epoch_reproducibly(tmp_path):
    folder = factory.make_dataset(tmp_path, {"a": 8, "b": 8, "c": 8})
    files = data.list_files(folder)

    def epoch_labels(ds):
        return np.concatenate([y.argmax(axis=1) for _, y in batches(ds)]).tolist()

    ds = data.make_dataset(files, image_size=8, batch_size=5, shuffle=True, seed=7)
    first, second = epoch_labels(ds), epoch_labels(ds)
    assert sorted(first) == sorted(second) == sorted(files.labels)
    assert first != second  # a new order every epoch
    assert epoch_labels(data.make_dataset(files, image_size=8, batch_size=5, shuffle=True, seed=7)) == first


def test_augmentation_only_in_training(two_classes):
    files = data.list_files(two_classes)
    plain = np.concatenate([x for x, _ in batches(data.make_dataset(files, image_size=16, batch_size=10))])
    trained = data.make_dataset(files, image_size=16, batch_size=10, training=True, seed=1)
    augmented, labels = batches(trained)[0]
    assert augmented.shape == plain.shape and labels.shape == (10, 2)
    assert 0.0 <= augmented.min() and augmented.max() <= 1.0
    assert not np.allclose(np.sort(augmented.ravel()), np.sort(plain.ravel()))
    no_augment = data.make_dataset(files, image_size=16, batch_size=10, training=True, augment=False)
    together = np.concatenate([x for x, _ in batches(no_augment)])
    np.testing.assert_array_equal(np.sort(together.ravel()), np.sort(plain.ravel()))  # shuffled only


@pytest.mark.parametrize("cache", [True, "file"])
def test_cached_pipeline_gives_the_same_images_every_epoch(two_classes, tmp_path, cache):
    files = data.list_files(two_classes)
    cache = str(tmp_path / "cache") if cache == "file" else cache
    ds = data.make_dataset(files, image_size=8, batch_size=10, cache=cache)
    first, second = batches(ds), batches(ds)
    np.testing.assert_array_equal(first[0][0], second[0][0])
    np.testing.assert_array_equal(first[0][0], data.load_numpy(files, image_size=8).images)


def test_cached_training_pipeline_still_shuffles(tmp_path):
    files = data.list_files(factory.make_dataset(tmp_path, {"a": 10, "b": 10}))
    ds = data.make_dataset(files, image_size=8, batch_size=20, shuffle=True, cache=True, seed=2)
    first, second = (b[0][1].argmax(axis=1).tolist() for b in (batches(ds), batches(ds)))
    assert sorted(first) == sorted(second) and first != second


def test_pipeline_with_three_classes_one_hot_of_three(tmp_path):
    ds = data.make_dataset(factory.make_dataset(tmp_path, {"a": 2, "b": 2, "c": 2}), image_size=8, batch_size=6)
    _, labels = batches(ds)[0]
    assert labels.shape == (6, 3) and labels.sum(axis=0).tolist() == [2, 2, 2]


def test_pipeline_reads_non_ascii_paths(tmp_path):
    factory.write_jpeg(tmp_path / "chats_été" / "猫 1.jpg")
    factory.write_jpeg(tmp_path / "chiens" / "perro_ñ.JPG", seed=3)
    files = data.list_files(tmp_path)
    (x, y), = batches(data.make_dataset(files, image_size=8, batch_size=4))
    np.testing.assert_array_equal(x, data.load_numpy(files, image_size=8).images)


@pytest.mark.parametrize("loader", ["load_numpy", "make_dataset"])
@pytest.mark.parametrize("size", [0, 12.5])
def test_loaders_refuse_a_bad_image_size(two_classes, loader, size):
    with pytest.raises(ValueError, match="image_size must be a whole number of at least 1"):
        getattr(data, loader)(two_classes, image_size=size)


def test_pipeline_refuses_a_bad_batch_size(two_classes):
    with pytest.raises(ValueError, match="batch_size"):
        data.make_dataset(two_classes, image_size=8, batch_size=0)


def test_pipeline_of_no_files_is_refused():
    with pytest.raises(DatasetError, match="no files"):
        data.make_dataset(FileList((), (), ("a", "b")))


def test_training_datasets_split_like_the_numpy_loader(tmp_path):
    folder = factory.make_dataset(tmp_path, {"cats": 10, "dogs": 10})
    train_ds, validation_ds, names = data.training_datasets(folder, image_size=8, batch_size=32, augment=False)
    assert names == ["cats", "dogs"]
    _, validation = data.read_train_sets(folder, image_size=8)
    (val_images, val_labels), = batches(validation_ds)
    np.testing.assert_array_equal(val_images, validation.images)
    np.testing.assert_array_equal(val_labels, validation.labels)
    assert sum(x.shape[0] for x, _ in batches(train_ds)) == 16


def test_augmenter_changes_images_only_when_training():
    augmenter = data.make_augmenter(seed=0)
    assert [layer.__class__.__name__ for layer in augmenter.layers] == [
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast"]
    batch = np.stack([images.scale_to_unit(factory.photo(16, 16, seed=i)) for i in range(4)])
    np.testing.assert_allclose(np.asarray(augmenter(batch, training=False)), batch)
    changed = np.asarray(augmenter(batch, training=True))
    assert changed.shape == batch.shape and not np.allclose(changed, batch)
    assert 0.0 <= changed.min() and changed.max() <= 1.0
    assert [type(x).__name__ for x in data.make_augmenter(flip=False, zoom=0, contrast=0).layers] == [
        "RandomRotation", "RandomTranslation"]


# ---- command line --------------------------------------------------------------------------------


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = data.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_check_prints_the_report(messy, capsys):
    code, out, err = run_main(capsys, "check", str(messy))
    assert code == 0 and err == ""
    assert "10 usable images, 3 unusable" in out and "cats/cut.jpg: truncated or corrupt" in out


def test_cli_check_json(messy, capsys):
    code, out, _ = run_main(capsys, "check", str(messy), "--json")
    report = json.loads(out)
    assert code == 0 and [c["usable"] for c in report["classes"]] == [len(CATS_USABLE), 2]


def test_cli_check_missing_folder_exits_non_zero_with_one_line(tmp_path, capsys):
    code, out, err = run_main(capsys, "check", str(tmp_path / "nowhere"))
    assert code == 1 and out == ""
    assert err == f"error: {tmp_path / 'nowhere'}: no such folder\n"


def test_cli_check_one_class_exits_non_zero_with_one_line(tmp_path, capsys):
    factory.write_jpeg(tmp_path / "cats" / "a.jpg")
    code, out, err = run_main(capsys, "check", str(tmp_path))
    assert code == 1 and out == "" and err.count("\n") == 1 and "at least 2 classes" in err


def test_cli_check_class_without_usable_image_exits_non_zero(two_classes, capsys):
    factory.write_text(two_classes / "birds" / "a.jpg")
    code, out, err = run_main(capsys, "check", str(two_classes))
    assert code == 1 and "birds/a.jpg: not an image" in out
    assert err == f"error: {two_classes / 'birds'}: class 'birds' has no usable image (1 unusable)\n"


@needs_shared
def test_cli_check_on_the_shared_photos_reports_500_and_500():
    result = subprocess.run([sys.executable, "-m", "helpers.data", "check", str(SHARED_TRAINING)],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "1000 usable images, 0 unusable" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["0", "cats", "500", "0"] in rows and ["1", "dogs", "500", "0"] in rows


def test_cli_does_not_import_tensorflow():
    code = "import sys, helpers.data; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.stdout.strip() == "False"


@needs_shared
def test_cli_download_with_the_shared_copy_does_nothing(capsys):
    env = {**os.environ, "COURSE_DATA_DIR": str(SHARED_TRAINING.parent.parent)}
    result = subprocess.run([sys.executable, "-m", "helpers.data", "download", "cats-dogs"],
                            capture_output=True, text=True, cwd=REPO, timeout=120, env=env)
    assert result.returncode == 0 and "already there" in result.stdout


def test_cli_download_end_to_end_and_then_already_there(tmp_path, capsys, monkeypatch):
    files = {f"mini/{split}/{name}/{name}.{i}.jpg": factory.jpeg_bytes(factory.photo(6, 6, seed=i))
             for split in ("training_data", "testing_data") for name in ("cats", "dogs") for i in range(2)}
    with ArchiveServer() as server:
        server.files["mini.zip"] = zip_bytes(files)
        spec = datasets.DatasetSpec(
            name="mini", url=server.url("mini.zip"), description="test",
            sources=tuple(datasets.Source(f"{split}/{name}", name, split)
                          for split in ("training_data", "testing_data") for name in ("cats", "dogs")),
            min_counts={"training_data": 2, "testing_data": 2})
        monkeypatch.setitem(datasets.REGISTRY, "mini", spec)
        monkeypatch.setattr(sys, "stderr", io.StringIO())  # the progress bar
        code, out, _ = run_main(capsys, "download", "mini", "--dest", str(tmp_path))
        assert code == 0 and "mini: 8 images in" in out
        assert data.list_files(tmp_path / "mini" / "training_data").counts() == {"cats": 2, "dogs": 2}
        code, out, _ = run_main(capsys, "download", "mini", "--dest", str(tmp_path))
        assert code == 0 and out == f"mini: already there in {tmp_path / 'mini'}\n"
        assert len(server.requests) == 1


def test_cli_download_offline_is_one_line(tmp_path, capsys, monkeypatch):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = datasets.DatasetSpec(name="mini", url=f"http://127.0.0.1:{port}/mini.zip", description="",
                                sources=(datasets.Source("x/cats", "cats", "training_data"),),
                                min_counts={"training_data": 1})
    monkeypatch.setitem(datasets.REGISTRY, "mini", spec)
    code, _, err = run_main(capsys, "download", "mini", "--dest", str(tmp_path))
    assert code == 1 and err.startswith("error: cannot reach 127.0.0.1") and err.count("\n") == 1


def test_a_class_missing_from_a_file_list_is_named_as_missing_not_unusable(tmp_path):
    from PIL import Image

    from helpers.data import DatasetError, FileList, load_numpy

    photo = tmp_path / "cats" / "a.png"
    photo.parent.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo)
    files = FileList((photo,), (0,), ("cats", "dogs"))
    with pytest.raises(DatasetError, match=r"class 'dogs' has no usable image \(no files in this list\)"):
        load_numpy(files, 8)


def test_link_subset_links_the_same_files_per_class_for_the_same_seed(tmp_path):
    from PIL import Image

    from helpers.data import link_subset, list_files

    source = tmp_path / "source"
    for name in ("cats", "dogs"):
        (source / name).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((4, 4, 3), i, np.uint8)).save(source / name / f"{name}.{i}.png")
    small = link_subset(source, tmp_path / "small", per_class=2, seed=3)
    again = link_subset(source, tmp_path / "again", per_class=2, seed=3)
    larger = link_subset(source, tmp_path / "larger", per_class=4, seed=3)
    assert list_files(small).counts() == {"cats": 2, "dogs": 2}
    names = sorted(p.name for p in list_files(small).paths)
    assert names == sorted(p.name for p in list_files(again).paths)
    assert set(names) <= {p.name for p in list_files(larger).paths}
    assert all(p.is_symlink() for p in list_files(small).paths)
    with pytest.raises(ValueError, match="per_class must be a whole number of at least 1"):
        link_subset(source, tmp_path / "none", per_class=0)


def test_contrast_augmentation_raises_contrast_only_as_keras_does_with_one_number():
    # Documents the behaviour the course's recipe was measured with (see make_augmenter).
    from helpers.data import make_augmenter

    x = np.random.default_rng(0).uniform(0.2, 0.8, (64, 8, 8, 3)).astype("float32")
    block = make_augmenter(seed=1, flip=False, rotation=0, zoom=0, translation=0, contrast=0.2)
    y = np.asarray(block(x, training=True))
    ratio = y.reshape(64, -1).std(1) / x.reshape(64, -1).std(1)
    assert ratio.min() >= 0.999 and ratio.max() <= 1.2 + 1e-3


# ---- links, special files, huge images; decoding once ------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifos_devices_and_looping_links_never_hang_the_scan(two_classes, tmp_path):
    cats = two_classes / "cats"
    os.mkfifo(cats / "pipe.jpg")
    (cats / "zero.jpg").symlink_to("/dev/zero")
    (cats / "self.jpg").symlink_to("self.jpg")          # a file link that loops
    (cats / "up").symlink_to("..")                      # a folder link into a loop
    listing = data.list_class_folder(cats)
    assert [p.name for p in listing.special] == ["pipe.jpg", "zero.jpg"]
    assert [p.name for p in listing.nested] == ["up"]   # reported, never read
    report = data.scan(two_classes)
    assert report.to_dict()["classes"][0]["special_files"] == ["cats/pipe.jpg", "cats/zero.jpg"]
    (looping,) = report.unusable
    assert looping.path.name == "self.jpg" and "symbolic links" in looping.detail
    assert len(report.file_list()) == 10
    assert "Not regular files (FIFOs, devices, sockets; never opened):" in str(report)


def test_data_check_refuses_a_huge_image_in_bounded_memory(two_classes):
    factory.write_huge_png_header(two_classes / "cats" / "bomb.png")
    factory.write_huge_png_header(two_classes / "dogs" / "bomb.png")  # decoded in parallel
    code = ("import json, resource, sys; from helpers import data; status = data.main(['check', "
            "sys.argv[1], '--json']); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", code, str(two_classes)], capture_output=True,
                            text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    report, _, peak_kib = result.stdout.rpartition("}")
    unusable = json.loads(report + "}")["classes"][0]["unusable"]
    assert [(u["file"], u["reason"]) for u in unusable] == [("cats/bomb.png", "too large")]
    assert int(peak_kib) < 1.5 * 2**20, f"peak {int(peak_kib) // 1024} MiB"


def test_scan_keeps_the_resized_images_within_its_limit(two_classes):
    report = data.scan(two_classes, keep_size=8, keep_limit_bytes=10 * 8 * 8 * 3)
    assert set(report.resized) == set(report.file_list().paths)
    first = report.file_list().paths[0]
    np.testing.assert_array_equal(report.resized[first], images.resize(images.read_rgb(first), 8))
    assert data.scan(two_classes, keep_size=8, keep_limit_bytes=10 * 8 * 8 * 3 - 1).resized == {}


def test_a_pipeline_from_decoded_images_gives_the_cached_pipelines_batches(two_classes):
    files = data.list_files(two_classes)
    decoded = data.scan(two_classes, keep_size=16, keep_limit_bytes=2**20).resized
    for training in (False, True):
        cached = data.make_dataset(files, 16, 4, training=training, augment=False, cache=True,
                                   seed=3)
        in_memory = data.make_dataset(files, 16, 4, training=training, augment=False,
                                      decoded=decoded, seed=3)
        for _ in range(2):  # two epochs: the same reshuffling
            for (a, la), (b, lb) in zip(cached, in_memory, strict=True):
                np.testing.assert_array_equal(a.numpy(), b.numpy())
                np.testing.assert_array_equal(la.numpy(), lb.numpy())


def test_check_same_classes_names_the_missing_and_the_unknown():
    data.check_same_classes(["a", "b"], ["a", "b"], "x")
    with pytest.raises(DatasetError, match=r"x: its classes \(a, c\) .*: no b; c unknown"):
        data.check_same_classes(["a", "b"], ["a", "c"], "x")


def test_the_data_folder_is_described_and_its_photos_kept_out_of_git():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert "/data/*" in ignored and "!/data/README.md" in ignored
    readme = (REPO / "data" / "README.md").read_text()
    assert "make data" in readme and "COURSE_DATA_DIR" in readme
    assert "training_data/" in readme and "testing_data/" in readme
