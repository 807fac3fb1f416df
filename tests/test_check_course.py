"""The checkers of notebook 00 accept right answers and explain the typical wrong ones."""

from pathlib import Path

import pytest
from PIL import Image

from helpers.check import ExerciseError
from helpers.check import course as check


def shape_via_pillow(path):
    with Image.open(path) as image:
        return (image.height, image.width, len(image.getbands()))


def test_image_shape_accepts_height_width_channels(capsys):
    check.image_shape(shape_via_pillow)
    assert "Exercise 0.1: correct" in capsys.readouterr().out


def test_image_shape_explains_swapped_width_and_height():
    def swapped(path):
        h, w, c = shape_via_pillow(path)
        return (w, h, c)

    with pytest.raises(ExerciseError, match="width and height are swapped"):
        check.image_shape(swapped)


def test_stub_is_reported_as_not_written_yet():
    def stub(path):
        raise NotImplementedError

    with pytest.raises(ExerciseError, match="not written yet"):
        check.image_shape(stub)


def test_bgr_to_rgb_accepts_reversed_channels(capsys):
    check.bgr_to_rgb(lambda image: image[..., ::-1])
    assert "correct" in capsys.readouterr().out


def test_bgr_to_rgb_catches_an_unchanged_image():
    with pytest.raises(ExerciseError, match="came back unchanged"):
        check.bgr_to_rgb(lambda image: image.copy())


def test_bgr_to_rgb_catches_a_wrong_shape():
    with pytest.raises(ExerciseError, match="shape"):
        check.bgr_to_rgb(lambda image: image.mean(axis=-1))


def test_bgr_to_rgb_catches_changing_the_input_in_place():
    def in_place(image):
        image[:] = image[..., ::-1].copy()
        return image

    with pytest.raises(ExerciseError, match="changed the image it was given"):
        check.bgr_to_rgb(in_place)


def count_jpgs(folder: Path) -> dict:
    return {d.name: len(list(d.glob("*.jpg"))) for d in sorted(folder.iterdir()) if d.is_dir()}


def test_count_images_accepts_a_right_count(capsys):
    check.count_images(count_jpgs)
    assert "Exercise 0.3: correct" in capsys.readouterr().out


def test_count_images_notices_counting_every_file():
    def every_file(folder):
        return {d.name: len(list(d.iterdir())) for d in folder.iterdir() if d.is_dir()}

    with pytest.raises(ExerciseError, match="notes.txt"):
        check.count_images(every_file)


def test_count_images_wants_a_dict():
    with pytest.raises(ExerciseError, match="return a dict"):
        check.count_images(lambda folder: [1, 2, 3])
