"""The checkers of notebook 06 accept right answers and name the typical wrong ones."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from helpers import data, images
from helpers.check import NOT_WRITTEN, ExerciseError
from helpers.check import data as check


def stub(*args, **kwargs):
    raise NotImplementedError


# ---- Exercise A2.1: the image files of a class folder ---------------------------------------


def list_right(folder):
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in images.IMAGE_EXTENSIONS)


def test_listing_accepts_the_right_answer(capsys):
    check.list_image_files(list_right)
    assert "Exercise A2.1: correct" in capsys.readouterr().out


def test_listing_accepts_the_course_helper(capsys):
    check.list_image_files(lambda folder: data.list_class_folder(folder).images)
    assert "correct" in capsys.readouterr().out


def test_listing_accepts_string_paths(capsys):
    check.list_image_files(lambda folder: [str(p) for p in list_right(folder)])
    assert "correct" in capsys.readouterr().out


def test_listing_names_the_hidden_files_kept():
    def keeps_hidden(folder):
        return sorted(p for p in Path(folder).iterdir()
                      if p.is_file() and p.suffix.lower() in images.IMAGE_EXTENSIONS | {""})

    with pytest.raises(ExerciseError) as error:
        check.list_image_files(keeps_hidden)
    assert "you kept '.DS_Store'" in str(error.value)
    assert "you kept '._cat.0.jpg'" in str(error.value)


def test_listing_names_the_upper_case_extension_dropped():
    def lower_only(folder):
        return sorted(p for p in Path(folder).iterdir() if p.suffix in (".jpg", ".jpeg", ".png")
                      and not p.name.startswith("."))

    with pytest.raises(ExerciseError) as error:
        check.list_image_files(lower_only)
    assert "you left out 'cat.1.JPG'" in str(error.value)
    assert "lower case" in str(error.value)


def test_listing_names_every_junk_file_when_everything_is_kept():
    with pytest.raises(ExerciseError) as error:
        check.list_image_files(lambda folder: sorted(Path(folder).iterdir()))
    message = str(error.value)
    for name in ["Thumbs.db", "notes.txt", "more", ".DS_Store"]:
        assert f"you kept {name!r}" in message


def test_listing_catches_reading_sub_folders():
    def recursive(folder):
        return sorted(p for p in Path(folder).rglob("*")
                      if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in images.IMAGE_EXTENSIONS)

    with pytest.raises(ExerciseError, match="'more/cat.9.jpg': it sits in a sub-folder"):
        check.list_image_files(recursive)


def test_listing_catches_only_jpg():
    def jpg_only(folder):
        return sorted(p for p in Path(folder).glob("*.jpg") if not p.name.startswith("."))

    with pytest.raises(ExerciseError) as error:
        check.list_image_files(jpg_only)
    assert "you left out 'cat.3.png'" in str(error.value)
    assert "you left out 'cat.2.jpeg'" in str(error.value)


def test_listing_catches_an_unsorted_answer():
    with pytest.raises(ExerciseError, match="not sorted by name"):
        check.list_image_files(lambda folder: list_right(folder)[::-1])


def test_listing_catches_bare_names():
    with pytest.raises(ExerciseError, match="bare file names"):
        check.list_image_files(lambda folder: [p.name for p in list_right(folder)])


def test_listing_catches_a_missing_return():
    with pytest.raises(ExerciseError, match="returned None"):
        check.list_image_files(lambda folder: None)


def test_listing_of_a_junk_only_folder_must_be_empty():
    def breaks_on_empty(folder):
        found = list_right(folder)
        return found or [Path(folder) / ".DS_Store"]

    with pytest.raises(ExerciseError, match="only .DS_Store"):
        check.list_image_files(breaks_on_empty)


def test_listing_stub_is_not_written_yet():
    with pytest.raises(ExerciseError) as error:
        check.list_image_files(stub)
    assert NOT_WRITTEN in str(error.value)
    assert "Hint" not in str(error.value)


# ---- Exercise 6.3: one-hot labels ----------------------------------------------------------


def one_hot_right(labels, num_classes):
    return np.eye(num_classes, dtype=np.float32)[np.asarray(labels, dtype=np.int64)]


def test_one_hot_accepts_the_right_answer(capsys):
    check.one_hot(one_hot_right)
    assert "Exercise 6.3: correct" in capsys.readouterr().out


def test_one_hot_accepts_a_loop(capsys):
    def loop(labels, num_classes):
        result = np.zeros((len(labels), num_classes), dtype=np.float32)
        for row, label in enumerate(labels):
            result[row, label] = 1
        return result

    check.one_hot(loop)
    assert "correct" in capsys.readouterr().out


def test_one_hot_accepts_the_course_helper(capsys):
    check.one_hot(data.one_hot)
    assert "correct" in capsys.readouterr().out


def test_one_hot_catches_one_based_labels():
    with pytest.raises(ExerciseError, match="one column too far left: label ids start at 0"):
        check.one_hot(lambda labels, k: np.eye(k, dtype=np.float32)[np.asarray(labels) - 1])


def test_one_hot_catches_an_extra_column_for_one_based_labels():
    with pytest.raises(ExerciseError, match="columns and put label k in column k \\+ 1"):
        check.one_hot(lambda labels, k: np.eye(k + 1, dtype=np.float32)[np.asarray(labels) + 1])


def test_one_hot_catches_the_transpose():
    with pytest.raises(ExerciseError, match="transpose"):
        check.one_hot(lambda labels, k: one_hot_right(labels, k).T)


def test_one_hot_catches_counting_classes_from_the_labels():
    def from_labels(labels, num_classes):
        return one_hot_right(labels, int(np.max(labels)) + 1)

    with pytest.raises(ExerciseError, match="use num_classes"):
        check.one_hot(from_labels)


def test_one_hot_catches_the_wrong_dtype():
    with pytest.raises(ExerciseError, match="dtype is int64; make it float32"):
        check.one_hot(lambda labels, k: np.eye(k, dtype=np.int64)[np.asarray(labels)])


def test_one_hot_catches_a_plain_list():
    with pytest.raises(ExerciseError, match="dtype is a list"):
        check.one_hot(lambda labels, k: one_hot_right(labels, k).tolist())


def test_one_hot_catches_label_ids_instead_of_rows():
    with pytest.raises(ExerciseError, match="one-hot labels are a matrix"):
        check.one_hot(lambda labels, k: np.asarray(labels, dtype=np.float32))


def test_one_hot_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match=NOT_WRITTEN):
        check.one_hot(stub)


# ---- Exercise 6.4: the memory of a float32 dataset -----------------------------------------


def test_memory_accepts_the_right_answer(capsys):
    check.dataset_bytes(lambda n, size, channels=3: n * size * size * channels * 4)
    assert "Exercise 6.4: correct" in capsys.readouterr().out


def test_memory_accepts_numpy_nbytes(capsys):
    check.dataset_bytes(lambda n, size, channels=3: np.zeros((1, size, size, channels), np.float32).nbytes * n)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, named", [
    (lambda n, s, c: n * s * s * 4, "colour channels are missing"),
    (lambda n, s, c: n * s * s * c, "one byte per number"),
    (lambda n, s, c: n * s * s * c * 8, "8 bytes per number"),
    (lambda n, s, c: n * s * c * 4, "you multiplied by 128 once"),
    (lambda n, s, c: n * s * s * c * 32, "bits, not bytes"),
    (lambda n, s, c: n * s * s * c * 4 / 2**20, "not megabytes"),
    (lambda n, s, c: n * s * s * c * 4 / 1e9, "not gigabytes"),
    (lambda n, s, c: s * s * c * 4, "memory of one image; there are 1000"),
], ids=["no-channels", "uint8", "float64", "size-once", "bits", "megabytes", "gigabytes", "one-image"])
def test_memory_names_the_mistake(wrong, named):
    with pytest.raises(ExerciseError, match=named):
        check.dataset_bytes(wrong)


def test_memory_catches_hard_coded_three_channels():
    with pytest.raises(ExerciseError, match="channels=1: use the argument"):
        check.dataset_bytes(lambda n, s, c: n * s * s * 3 * 4)


def test_memory_catches_a_string():
    with pytest.raises(ExerciseError, match="return a number of bytes"):
        check.dataset_bytes(lambda n, s, c: f"{n * s * s * c * 4} bytes")


def test_memory_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match=NOT_WRITTEN):
        check.dataset_bytes(stub)


# ---- Exercise 6.5: a stratified split ------------------------------------------------------


def split_right(labels, validation_fraction=0.2, seed=0):
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    validation = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        validation += members[:round(len(members) * validation_fraction)].tolist()
    validation = np.sort(validation).astype(np.int64)
    return np.setdiff1d(np.arange(len(labels)), validation), validation


def test_split_accepts_the_right_answer(capsys):
    check.stratified_split(split_right)
    assert "Exercise 6.5: correct" in capsys.readouterr().out


def test_split_accepts_the_course_helper(capsys):
    check.stratified_split(data.split_indices)
    assert "correct" in capsys.readouterr().out


def test_split_accepts_lists(capsys):
    check.stratified_split(lambda labels, f, seed: tuple(a.tolist() for a in split_right(labels, f, seed)))
    assert "correct" in capsys.readouterr().out


def test_split_catches_a_split_that_ignores_the_classes():
    def not_stratified(labels, fraction, seed):
        order = np.random.default_rng(seed).permutation(len(labels))
        n_val = sum(round(np.sum(labels == c) * fraction) for c in np.unique(labels))
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    with pytest.raises(ExerciseError, match="split each class separately"):
        check.stratified_split(not_stratified)


def test_split_catches_overlap():
    def overlapping(labels, fraction, seed):
        train, val = split_right(labels, fraction, seed)
        return np.arange(len(labels)), val

    with pytest.raises(ExerciseError, match="in both sets"):
        check.stratified_split(overlapping)


def test_split_catches_lost_indices():
    def loses_some(labels, fraction, seed):
        train, val = split_right(labels, fraction, seed)
        return train[:-3], val

    with pytest.raises(ExerciseError, match="in neither set"):
        check.stratified_split(loses_some)


def test_split_catches_swapped_sets():
    with pytest.raises(ExerciseError, match="swapped"):
        check.stratified_split(lambda labels, f, seed: split_right(labels, f, seed)[::-1])


def test_split_catches_truncation_instead_of_rounding():
    def truncating(labels, fraction, seed):
        rng = np.random.default_rng(seed)
        val = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:int(np.sum(labels == c) * fraction)]
                              for c in np.unique(labels)])
        return np.setdiff1d(np.arange(len(labels)), val), np.sort(val)

    with pytest.raises(ExerciseError, match="int\\(\\) cuts 3.9 down to 3"):
        check.stratified_split(truncating)


def test_split_catches_an_unseeded_generator():
    def unseeded(labels, fraction, seed):
        return split_right(labels, fraction, int.from_bytes(os.urandom(4), "little"))

    with pytest.raises(ExerciseError, match="two calls with seed=0 gave different"):
        check.stratified_split(unseeded)


def test_split_catches_a_seed_that_changes_nothing():
    with pytest.raises(ExerciseError, match="all gave the same validation set"):
        check.stratified_split(lambda labels, f, seed: split_right(labels, f, 0))


def test_split_catches_a_boolean_mask():
    def mask(labels, fraction, seed):
        train, val = split_right(labels, fraction, seed)
        is_val = np.isin(np.arange(len(labels)), val)
        return ~is_val, is_val

    with pytest.raises(ExerciseError, match="a mask"):
        check.stratified_split(mask)


def test_split_catches_returning_labels_instead_of_positions():
    def label_values(labels, fraction, seed):
        train, val = split_right(labels, fraction, seed)
        return labels[train] + 100, labels[val] + 100

    with pytest.raises(ExerciseError, match="return positions"):
        check.stratified_split(label_values)


def test_split_catches_shuffling_the_callers_labels():
    def in_place(labels, fraction, seed):
        result = split_right(labels, fraction, seed)
        np.random.default_rng(seed).shuffle(labels)
        return result

    with pytest.raises(ExerciseError, match="changed the labels"):
        check.stratified_split(in_place)


def test_split_stub_is_not_written_yet():
    with pytest.raises(ExerciseError) as error:
        check.stratified_split(stub)
    assert NOT_WRITTEN in str(error.value)
    assert "Hint" not in str(error.value)


# ---- the rules the checkers compare with ---------------------------------------------------


def test_expected_counts_round_each_class():
    labels = np.repeat([0, 1, 2], [7, 13, 500])
    assert check.expected_validation_counts(labels, 0.3) == {0: 2, 1: 4, 2: 150}


def test_float32_bytes_of_the_tutorial_image():
    assert check.float32_bytes(1, 128, 3) == 196_608
    assert check.float32_bytes(25_000, 128, 3) == 4_915_200_000


# ---- Exercise 6.1: the photo reader ----------------------------------------------------------


@pytest.fixture
def photos(tmp_path):
    """Three real JPEGs, landscape, portrait and small, with a different colour in each channel."""
    import cv2

    paths = []
    for name, (height, width) in [("wide.jpg", (150, 260)), ("tall.jpg", (240, 130)), ("tiny.jpg", (50, 70))]:
        rows, cols = np.mgrid[:height, :width]
        bgr = np.stack([rows % 256, (cols * 3) % 256, (rows + cols) % 200], axis=-1).astype(np.uint8)
        path = tmp_path / name
        cv2.imwrite(str(path), bgr)
        paths.append(path)
    return paths


def read_right(path, size):
    import cv2

    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    shrinking = min(rgb.shape[:2]) >= size
    flag = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(rgb, (size, size), interpolation=flag).astype(np.float32) / 255


def test_reader_accepts_the_right_answer(photos, capsys):
    check.read_photo(read_right, photos)
    assert "Exercise 6.1: correct" in capsys.readouterr().out


def test_reader_accepts_the_course_helpers(photos, capsys):
    check.read_photo(lambda path, size: images.preprocess(images.read_rgb(path), size), photos)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, named", [
    (lambda p, s: read_right(p, s)[..., ::-1], "BGR order"),
    (lambda p, s: read_right(p, s) * 255, "divide by 255"),
    (lambda p, s: (read_right(p, s) * 255).astype(np.uint8).astype(np.float32), "divide by 255"),
    (lambda p, s: read_right(p, s).astype(np.float64), "dtype is float64"),
    (lambda p, s: read_right(p, s)[: s // 2], "shape"),
    (lambda p, s: None, "forget `return`"),
])
def test_reader_names_the_mistake(photos, wrong, named):
    with pytest.raises(ExerciseError, match=named):
        check.read_photo(wrong, photos)


def test_reader_catches_linear_interpolation_when_shrinking(photos):
    import cv2

    def linear(path, size):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        return cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255

    with pytest.raises(ExerciseError, match="INTER_LINEAR; for this .* use INTER_AREA"):
        check.read_photo(linear, photos)


def test_reader_catches_area_interpolation_when_growing(photos):
    import cv2

    def area(path, size):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        return cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255

    with pytest.raises(ExerciseError, match="INTER_AREA; for this .* use INTER_LINEAR"):
        check.read_photo(area, photos[2:])


def test_reader_stub_is_not_written_yet(photos):
    with pytest.raises(ExerciseError, match=NOT_WRITTEN):
        check.read_photo(stub, photos)


# ---- Exercise 6.2: a tf.data pipeline --------------------------------------------------------


@pytest.fixture
def twelve(tmp_path):
    """A FileList of 12 real JPEGs, 6 per class, each with its own colours."""
    import cv2

    for c, name in enumerate(["cats", "dogs"]):
        (tmp_path / name).mkdir()
        for i in range(6):
            pixels = np.random.default_rng(10 * c + i).integers(0, 256, (40 + 7 * i, 50, 3), dtype=np.uint8)
            cv2.imwrite(str(tmp_path / name / f"{name[:-1]}.{i}.jpg"), pixels)
    return data.list_files(tmp_path)


def pipeline(paths, labels, num_classes, image_size=128, batch_size=32, seed=0, *,
             shuffle=True, batch=True, prefetch=True, swap=False, one_hot=True):
    import tensorflow as tf

    def load(path, label):
        image = tf.numpy_function(lambda p: read_right(p.decode(), image_size), [path], tf.float32)
        image = tf.ensure_shape(image, (image_size, image_size, 3))
        if swap:
            image = image[..., ::-1]
        return image, (tf.one_hot(label, num_classes) if one_hot else tf.cast(label, tf.float32))

    dataset = tf.data.Dataset.from_tensor_slices((list(paths), list(labels)))
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed)
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if batch:
        dataset = dataset.batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset


def test_pipeline_accepts_the_right_answer(twelve, capsys):
    check.make_pipeline(pipeline, twelve)
    assert "Exercise 6.2: correct" in capsys.readouterr().out


@pytest.mark.parametrize("options, named", [
    (dict(shuffle=False), "order of the file list"),
    (dict(batch=False), "not batches"),
    (dict(prefetch=False), "prefetch"),
    (dict(swap=True), "matches none of the photos"),
    (dict(one_hot=False), "one-hot"),
])
def test_pipeline_names_the_missing_stage(twelve, options, named):
    with pytest.raises(ExerciseError, match=named):
        check.make_pipeline(lambda *a, **k: pipeline(*a, **k, **options), twelve)


def test_pipeline_catches_labels_shuffled_apart_from_their_photos(twelve):
    def apart(paths, labels, num_classes, image_size=128, batch_size=32, seed=0):
        return pipeline(paths, list(reversed(labels)), num_classes, image_size, batch_size, seed)

    with pytest.raises(ExerciseError, match="labels do not go with their photos"):
        check.make_pipeline(apart, twelve)


def test_pipeline_catches_a_list_instead_of_a_dataset(twelve):
    with pytest.raises(ExerciseError, match="return the tf.data.Dataset"):
        check.make_pipeline(lambda *a, **k: list(pipeline(*a, **k)), twelve)


def test_pipeline_stub_is_not_written_yet(twelve):
    with pytest.raises(ExerciseError, match=NOT_WRITTEN):
        check.make_pipeline(stub, twelve)


# ---- Exercise A2.2: what the first bytes say -------------------------------------------------


def format_right(data):
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    return "PNG" if data.startswith(b"\x89PNG\r\n\x1a\n") else None


def test_format_accepts_the_right_answer(capsys):
    check.image_format(format_right)
    assert "Exercise A2.2: correct" in capsys.readouterr().out


def test_format_catches_an_answer_that_checks_completeness():
    with pytest.raises(ExerciseError, match="even when the file is cut short"):
        check.image_format(lambda data: format_right(data) if data.endswith(b"\xff\xd9") or
                           format_right(data) == "PNG" else None)


def test_format_catches_a_signature_too_short():
    with pytest.raises(ExerciseError, match="FF D8 alone you returned 'JPEG'"):
        check.image_format(lambda data: "JPEG" if data.startswith(b"\xff\xd8") else format_right(data))


def test_format_catches_looking_anywhere_in_the_file():
    with pytest.raises(ExerciseError, match="expected None"):
        check.image_format(lambda data: "PNG" if b"PNG" in data[:4] else format_right(data) or "JPEG")


def test_format_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match=NOT_WRITTEN):
        check.image_format(stub)


def test_expected_format_follows_the_course_sniffer():
    assert check.expected_format(b"\xff\xd8\xff\xe0") == "JPEG"
    assert check.expected_format(b"GIF89a....") is None


# ---- Exercise A2.3: skip, but say so -----------------------------------------------------------


def usable_right(paths):
    usable, skipped = [], []
    for path in paths:
        try:
            images.read_rgb(path)
        except images.UnreadableImageError as error:
            skipped.append(str(error))
        else:
            usable.append(path)
    return usable, skipped


def test_usable_accepts_the_right_answer(capsys):
    check.read_usable(usable_right)
    assert "Exercise A2.3: correct" in capsys.readouterr().out


def test_usable_catches_dropping_odd_formats():
    def only_plain_jpegs(paths):
        usable, skipped = usable_right(paths)
        return [p for p in usable if p.name.startswith("cat")], skipped

    with pytest.raises(ExerciseError, match="you left out grayscale.jpg"):
        check.read_usable(only_plain_jpegs)


def test_usable_catches_trusting_cv2_imread():
    import cv2

    def imread(paths):
        kept = [p for p in paths if cv2.imread(str(p)) is not None]
        return kept, [f"{p}: unreadable" for p in paths if p not in kept]

    with pytest.raises(ExerciseError, match="cut_short.jpg.*checks that the file is complete"):
        check.read_usable(imread)


def test_usable_catches_silent_skipping():
    with pytest.raises(ExerciseError, match="one per skipped file"):
        check.read_usable(lambda paths: (usable_right(paths)[0], []))


def test_usable_catches_messages_without_the_file_name():
    with pytest.raises(ExerciseError, match="no message names"):
        check.read_usable(lambda paths: (usable_right(paths)[0], ["unusable"] * 3))


def test_usable_stub_is_not_written_yet():
    with pytest.raises(ExerciseError, match=NOT_WRITTEN):
        check.read_usable(stub)
