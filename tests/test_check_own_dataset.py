"""The checkers of notebook 11 accept right answers and name the typical wrong ones."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import synthetic
from helpers.check import NOT_WRITTEN, ExerciseError
from helpers.check import own_dataset as check


def stub(*args, **kwargs):
    raise NotImplementedError


def message_of(checker, answer) -> str:
    with pytest.raises(ExerciseError) as error:
        checker(answer)
    return str(error.value)


# ---- Exercise 11.1: class folders ------------------------------------------------------------


def folders_right(labelled_files, destination):
    for i, (path, label) in enumerate(labelled_files):
        folder = Path(destination) / label
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, folder / f"{i:05d}_{Path(path).name}")
    return destination


def test_class_folders_accepts_the_right_answer(capsys):
    check.class_folders(folders_right)
    assert "Exercise 11.1: correct" in capsys.readouterr().out


def test_class_folders_accepts_links_instead_of_copies(capsys):
    def links(labelled_files, destination):
        for i, (path, label) in enumerate(labelled_files):
            folder = Path(destination) / label
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i}_{Path(path).name}").symlink_to(Path(path).resolve())

    check.class_folders(links)
    assert "correct" in capsys.readouterr().out


def test_class_folders_names_the_name_collision():
    def same_names(labelled_files, destination):
        for path, label in labelled_files:
            folder = Path(destination) / label
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / Path(path).name)

    message = message_of(check.class_folders, same_names)
    assert "zebra/ holds 2 file(s), expected 3" in message
    assert "both called img_001.jpg" in message and "one overwrote the other" in message


def test_class_folders_catches_moving_the_source():
    def moves(labelled_files, destination):
        for i, (path, label) in enumerate(labelled_files):
            folder = Path(destination) / label
            folder.mkdir(parents=True, exist_ok=True)
            shutil.move(path, folder / f"{i}_{Path(path).name}")

    assert "is gone: copy the files" in message_of(check.class_folders, moves)


def test_class_folders_catches_numbered_folders():
    def numbered(labelled_files, destination):
        names = sorted({label for _, label in labelled_files})
        for i, (path, label) in enumerate(labelled_files):
            folder = Path(destination) / str(names.index(label))
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / f"{i}_{Path(path).name}")

    assert "name each folder after its class" in message_of(check.class_folders, numbered)


def test_class_folders_catches_files_left_in_the_destination():
    def flat(labelled_files, destination):
        Path(destination).mkdir(parents=True, exist_ok=True)
        for i, (path, label) in enumerate(labelled_files):
            shutil.copy2(path, Path(destination) / f"{label}_{i}_{Path(path).name}")

    message = message_of(check.class_folders, flat)
    assert "lie in the destination itself" in message and "no folder for the class 'zebra'" in message


def test_class_folders_catches_dropped_extensions():
    def no_extension(labelled_files, destination):
        for i, (path, label) in enumerate(labelled_files):
            folder = Path(destination) / label
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / f"{i}_{Path(path).stem}")

    assert "has no image extension" in message_of(check.class_folders, no_extension)


def test_class_folders_catches_a_file_in_the_wrong_class():
    def off_by_one(labelled_files, destination):
        labels = [label for _, label in labelled_files]
        for i, (path, _) in enumerate(labelled_files):
            folder = Path(destination) / labels[(i + 1) % len(labels)]
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / f"{i}_{Path(path).name}")

    assert "which is labelled" in message_of(check.class_folders, off_by_one)


def test_class_folders_catches_a_failing_mkdir_on_an_existing_destination():
    def strict_mkdir(labelled_files, destination):
        os.mkdir(destination)
        for i, (path, label) in enumerate(labelled_files):
            folder = Path(destination) / label
            folder.mkdir(exist_ok=True)
            shutil.copy2(path, folder / f"{i}_{Path(path).name}")

    message = message_of(check.class_folders, strict_mkdir)
    assert "already exist" in message and "FileExistsError" in message and "exist_ok=True" in message


def test_class_folders_says_not_written_yet_for_a_stub():
    message = message_of(check.class_folders, stub)
    assert NOT_WRITTEN in message and "Hint" not in message


# ---- Exercise 11.2: the cross ----------------------------------------------------------------


def cross_points(where, arm=0.9, width=1 / 3, angle=None):
    length = arm * where.radius
    w = width * length
    corners = np.array([(w, length), (w, w), (length, w), (length, -w), (w, -w), (w, -length),
                        (-w, -length), (-w, -w), (-length, -w), (-length, w), (-w, w), (-w, length)])
    a = where.angle if angle is None else angle
    c, s = np.cos(a), np.sin(a)
    return corners @ np.array([[c, s], [-s, c]]) + where.center


def cross_right(image_size, rng):
    where = synthetic.random_placement(image_size, rng)
    return synthetic.paint(synthetic.polygon_mask(cross_points(where), image_size), rng)


def test_cross_accepts_the_right_answer(capsys):
    check.cross(cross_right)
    assert "Exercise 11.2: correct" in capsys.readouterr().out


def test_cross_accepts_other_bar_widths(capsys):
    def wide(image_size, rng):
        where = synthetic.random_placement(image_size, rng)
        return synthetic.paint(synthetic.polygon_mask(cross_points(where, width=0.45), image_size),
                               rng)

    check.cross(wide)
    assert "correct" in capsys.readouterr().out


def test_cross_names_a_float_picture():
    def floats(image_size, rng):
        return cross_right(image_size, rng) / 255

    message = message_of(check.cross, floats)
    assert "dtype float64; expected uint8" in message


def test_cross_names_a_mask_without_colour():
    def mask_only(image_size, rng):
        where = synthetic.random_placement(image_size, rng)
        return (synthetic.polygon_mask(cross_points(where), image_size) * 255).astype(np.uint8)

    message = message_of(check.cross, mask_only)
    assert "shape (128, 128)" in message and "synthetic.paint" in message


def test_cross_catches_an_unturned_cross():
    def upright(image_size, rng):
        where = synthetic.random_placement(image_size, rng)
        return synthetic.paint(synthetic.polygon_mask(cross_points(where, angle=0.0), image_size),
                               rng)

    assert "same angle" in message_of(check.cross, upright)


def test_cross_catches_a_square_and_a_star():
    def square(image_size, rng):
        return synthetic.draw_shape("square", image_size, rng)

    def star(image_size, rng):
        return synthetic.draw_shape("star", image_size, rng)

    assert "convex (a square" in message_of(check.cross, square)
    assert "looks like a star" in message_of(check.cross, star)


def test_cross_catches_thin_lines():
    import cv2

    def lines(image_size, rng):
        where = synthetic.random_placement(image_size, rng)
        mask = np.zeros((image_size, image_size), np.float32)
        points = cross_points(where).astype(int)
        cv2.line(mask, tuple(points[0]), tuple(points[6]), 1.0, 3)
        cv2.line(mask, tuple(points[3]), tuple(points[9]), 1.0, 3)
        return synthetic.paint(mask, rng)

    message = message_of(check.cross, lines)
    assert "corners" in message or "too thin" in message


def test_cross_catches_the_global_random_generator():
    def global_random(image_size, rng):
        return cross_right(image_size, np.random.default_rng(np.random.randint(1_000_000)))

    assert "seeded alike" in message_of(check.cross, global_random)


def test_cross_catches_a_fixed_place_and_size():
    def fixed(image_size, rng):
        where = synthetic.random_placement(image_size, rng)
        still = synthetic.Placement((image_size / 2, image_size / 2), 0.35 * image_size, where.angle)
        return synthetic.paint(synthetic.polygon_mask(cross_points(still), image_size), rng)

    message = message_of(check.cross, fixed)
    assert "same place" in message and "same size" in message


def test_cross_catches_a_blank_picture():
    def blank(image_size, rng):
        return np.full((image_size, image_size, 3), 200, np.uint8)

    assert "no shape stands out" in message_of(check.cross, blank)


def test_cross_says_not_written_yet_for_a_stub():
    assert NOT_WRITTEN in message_of(check.cross, stub)


# ---- Exercise 11.3: the output layer ---------------------------------------------------------


def test_output_layer_accepts_the_right_answer(capsys):
    check.output_layer(lambda features, num_classes: (num_classes, (features + 1) * num_classes))
    assert "Exercise 11.3: correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (lambda f, n: (n, f * n), "weights only"),
    (lambda f, n: (n, f * n + 1), "one bias for the whole layer"),
    (lambda f, n: (n - 1, (f + 1) * (n - 1)), "one output unit"),
    (lambda f, n: (n, f + n), "added the sizes"),
    (lambda f, n: (f + 1) * n, "return two numbers"),
])
def test_output_layer_names_the_mistake(wrong, words):
    message = message_of(check.output_layer, wrong)
    assert words.lower() in message.lower() and "features=128, num_classes=2" in message


def test_output_layer_says_not_written_yet_for_a_stub():
    assert NOT_WRITTEN in message_of(check.output_layer, stub)
