"""helpers.synthetic: the shapes really differ, the files are deterministic, RGB survives a
round trip through a file, and the folders are a dataset helpers.data accepts as it is."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from helpers import data, images, synthetic
from helpers.synthetic import EASY, HARD, KINDS, Style


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path, with the MD5 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def outline(mask: np.ndarray) -> np.ndarray:
    """The largest outer contour of a coverage mask (pixels covered more than half)."""
    binary = (mask > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return max(contours, key=cv2.contourArea)


def corners(mask: np.ndarray) -> int:
    contour = outline(mask)
    return len(cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True))


def solidity(mask: np.ndarray) -> float:
    """Area over the area of its convex hull: 1 for convex shapes, about 0.56 for the star."""
    contour = outline(mask)
    return cv2.contourArea(contour) / cv2.contourArea(cv2.convexHull(contour))


# ---- the shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "circle"])
def test_each_polygon_has_its_number_of_corners_at_any_angle(kind):
    for seed in range(8):
        where = synthetic.random_placement(128, np.random.default_rng(seed))
        mask = synthetic.shape_mask(kind, 128, where.center, where.radius, where.angle)
        assert corners(mask) == synthetic.CORNERS[kind], (kind, seed)


def test_the_circle_is_round_and_fills_its_circle():
    where = synthetic.Placement((64.0, 64.0), 40.0, 0.0)
    mask = synthetic.shape_mask("circle", 128, where.center, where.radius)
    assert corners(mask) >= 8  # no polygon of few corners fits it
    assert mask.sum() / (np.pi * 40**2) == pytest.approx(1.0, abs=0.04)  # AA edge: +0.5 px


def test_the_shapes_cover_the_areas_geometry_says():
    # area / (pi r^2) for regular polygons: n sin(2 pi / n) / (2 pi); the star: 5 r r_i sin(pi/5)
    expected = {"circle": 1.0, "square": 2 / np.pi, "triangle": 3 * np.sqrt(3) / (4 * np.pi),
                "pentagon": 5 * np.sin(2 * np.pi / 5) / (2 * np.pi),
                "hexagon": 6 * np.sin(np.pi / 3) / (2 * np.pi),
                "star": 5 * 0.45 * np.sin(np.pi / 5) / np.pi}
    for kind, fraction in expected.items():
        mask = synthetic.shape_mask(kind, 200, (100.0, 100.0), 80.0, angle=0.3)
        # OpenCV's anti-aliased edge lies about half a pixel outside the exact outline
        assert mask.sum() / (np.pi * 80**2) == pytest.approx(fraction, rel=0.05), kind


def test_only_the_star_is_not_convex():
    for kind in KINDS:
        mask = synthetic.shape_mask(kind, 128, (64.0, 64.0), 50.0, angle=0.7)
        assert (solidity(mask) < 0.7) == (kind == "star"), kind


def test_a_star_has_its_points_on_the_outer_circle_and_its_notches_inside():
    points = synthetic.polygon_points("star", (0.0, 0.0), 10.0, 0.0, star_inner=0.4)
    radii = np.hypot(points[:, 0], points[:, 1])
    assert np.allclose(radii[0::2], 10.0) and np.allclose(radii[1::2], 4.0)
    assert np.allclose(points[0], [0.0, -10.0])  # angle 0: the first point straight up


def test_the_angle_turns_a_polygon_about_its_centre():
    square = synthetic.polygon_points("square", (50.0, 50.0), 20.0, 0.0)
    turned = synthetic.polygon_points("square", (50.0, 50.0), 20.0, np.pi / 2)
    assert np.allclose(np.roll(square, -1, axis=0), turned)


def test_a_circle_has_no_polygon_corners():
    assert synthetic.polygon_points("circle", (5.0, 5.0), 3.0, 0.0).shape == (0, 2)


# ---- the pictures ----------------------------------------------------------------------------


def test_draw_shape_gives_an_rgb_uint8_picture_of_the_asked_size():
    picture = synthetic.draw_shape("star", 48, np.random.default_rng(0))
    assert picture.shape == (48, 48, 3) and picture.dtype == np.uint8


def test_the_same_generator_state_draws_the_same_picture():
    first = synthetic.draw_shape("triangle", 64, np.random.default_rng(7))
    again = synthetic.draw_shape("triangle", 64, np.random.default_rng(7))
    other = synthetic.draw_shape("triangle", 64, np.random.default_rng(8))
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_sizes_positions_and_angles_vary_within_the_style():
    rng = np.random.default_rng(0)
    placements = [synthetic.random_placement(100, rng) for _ in range(200)]
    radii = np.array([p.radius for p in placements])
    assert radii.min() >= 25 and radii.max() <= 45 and radii.std() > 4
    for p in placements:  # the whole shape stays inside the picture
        assert p.radius <= p.center[0] <= 100 - p.radius and p.radius <= p.center[1] <= 100 - p.radius
    xs = np.array([p.center[0] for p in placements])
    angles = np.array([p.angle for p in placements])
    assert xs.std() > 3 and angles.min() < 0.5 and angles.max() > 2 * np.pi - 0.5


def test_easy_colours_are_dark_shapes_of_every_hue_on_light_grounds():
    rng = np.random.default_rng(1)
    pairs = [synthetic.random_colours(rng, EASY) for _ in range(300)]
    backgrounds, shapes = np.array([bg for bg, _ in pairs]), np.array([fg for _, fg in pairs])
    assert backgrounds.min() >= 150 and shapes.max() <= 110  # every channel: dark on light
    assert backgrounds.std(axis=0).min() > 20 and shapes.std(axis=0).min() > 20  # hues vary
    hues = {int(np.argmax(fg)) for fg in shapes}  # the strongest channel: red, green or blue
    assert hues == {0, 1, 2}


def test_colours_keep_the_contrast_of_the_style():
    style = Style(background=(0.0, 255.0), foreground=(0.0, 255.0), min_contrast=60.0,
                  max_contrast=90.0)
    rng = np.random.default_rng(2)
    pairs = [synthetic.random_colours(rng, style) for _ in range(300)]
    distances = [np.linalg.norm(fg - bg) for bg, fg in pairs]
    assert min(distances) >= 60 and max(distances) <= 90
    backgrounds = np.array([bg for bg, _ in pairs])
    assert backgrounds.std(axis=0).min() > 50  # every channel varies across the pictures


def test_any_colour_puts_light_shapes_on_dark_grounds_too():
    rng = np.random.default_rng(3)
    luminance = np.array([0.299, 0.587, 0.114])
    darker = [luminance @ fg < luminance @ bg
              for bg, fg in (synthetic.random_colours(rng, synthetic.ANY_COLOUR) for _ in range(200))]
    assert 0.3 < np.mean(darker) < 0.7


def test_impossible_colour_ranges_say_so():
    style = Style(background=(0.0, 10.0), foreground=(0.0, 10.0), min_contrast=100.0)
    with pytest.raises(ValueError, match="no pair of colours"):
        synthetic.random_colours(np.random.default_rng(0), style)


def test_a_noiseless_picture_has_the_two_colours_and_their_blends_only():
    style = Style(noise=0.0)
    picture = synthetic.draw_shape("square", 64, np.random.default_rng(3), style)
    rng = np.random.default_rng(3)  # the same draws again: the placement, then the colours
    synthetic.random_placement(64, rng, style)
    background, foreground = (np.round(c).astype(np.uint8) for c in synthetic.random_colours(rng, style))
    assert np.array_equal(picture[0, 0], background)
    pixels = picture.reshape(-1, 3).astype(float)
    assert any(np.array_equal(p, foreground) for p in pixels)
    # every pixel lies on the line from the background to the shape colour (the blend)
    t = (pixels - background) @ (foreground - background.astype(float))
    t /= np.sum((foreground - background.astype(float)) ** 2)
    blend = background + np.clip(t, 0, 1)[:, None] * (foreground - background.astype(float))
    assert np.abs(pixels - blend).max() <= 1.0


def test_the_hard_style_draws_smaller_noisier_shapes():
    def stats(style):
        rng = np.random.default_rng(0)
        sizes, noise = [], []
        for _ in range(40):
            where = synthetic.random_placement(64, rng, style)
            sizes.append(where.radius)
            picture = synthetic.draw_shape("circle", 64, rng, style).astype(float)
            noise.append(np.std(picture[:4, :4] - np.median(picture[:4, :4], axis=(0, 1))))
        return np.mean(sizes), np.mean(noise)

    easy_size, easy_noise = stats(EASY)
    hard_size, hard_noise = stats(HARD)
    assert hard_size < 0.65 * easy_size and hard_noise > 2 * easy_noise


def test_distractors_add_lines_or_dots():
    clean = Style(noise=0.0)
    busy = Style(noise=0.0, distractors=6)
    plain = synthetic.draw_shape("circle", 64, np.random.default_rng(5), clean)
    crowded = synthetic.draw_shape("circle", 64, np.random.default_rng(5), busy)
    assert len({tuple(c) for c in crowded.reshape(-1, 3)}) > len({tuple(c) for c in plain.reshape(-1, 3)})


@pytest.mark.parametrize("bad, message", [
    (dict(size=(0.3, 0.2)), "size"), (dict(size=(0.1, 0.6)), "size"), (dict(noise=-1), "noise"),
    (dict(min_contrast=100, max_contrast=50), "max_contrast"), (dict(distractors=-1), "distractors"),
    (dict(background=(200, 100)), "background"), (dict(foreground=(0, 300)), "foreground"),
    (dict(star_inner=1.5), "star_inner")])
def test_a_style_refuses_impossible_values(bad, message):
    with pytest.raises(ValueError, match=message):
        Style(**bad)


def test_unknown_shapes_and_tiny_pictures_are_refused():
    with pytest.raises(ValueError, match="unknown shape 'cross'"):
        synthetic.draw_shape("cross", 64, np.random.default_rng(0))
    with pytest.raises(ValueError, match="image_size"):
        synthetic.draw_shape("circle", 8, np.random.default_rng(0))


# ---- files -----------------------------------------------------------------------------------


def test_a_png_read_back_by_read_rgb_is_the_same_rgb_array(tmp_path):
    picture = synthetic.draw_shape("star", 64, np.random.default_rng(2))
    picture[:4, :4] = (255, 0, 0)  # a pure red corner: swapped channels would make it blue
    path = synthetic.write_rgb(tmp_path / "star.png", picture)
    back = images.read_rgb(path)
    assert np.array_equal(back, picture)
    assert tuple(back[0, 0]) == (255, 0, 0)


def test_a_jpeg_read_back_keeps_its_colours(tmp_path):
    picture = np.zeros((32, 32, 3), np.uint8)
    picture[:] = (230, 40, 20)  # orange-red, far from its BGR twin (20, 40, 230)
    back = images.read_rgb(synthetic.write_rgb(tmp_path / "red.jpg", picture))
    assert np.abs(back.astype(int) - picture).max() <= 3


def test_write_rgb_refuses_other_arrays_and_extensions(tmp_path):
    with pytest.raises(ValueError, match="RGB uint8"):
        synthetic.write_rgb(tmp_path / "a.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="not .bmp"):
        synthetic.write_rgb(tmp_path / "a.bmp", np.zeros((8, 8, 3), np.uint8))


# ---- the dataset -----------------------------------------------------------------------------


def test_the_dataset_has_the_layout_and_the_counts(tmp_path):
    root = synthetic.make_shapes_dataset(tmp_path / "shapes", per_class=10, image_size=32)
    train, test = data.list_files(root / "training_data"), data.list_files(root / "testing_data")
    assert train.class_names == ("circle", "square", "star", "triangle")  # sorted: label ids
    assert train.counts() == {name: 10 for name in train.class_names}
    assert test.counts() == {name: 2 for name in train.class_names}  # round(0.2 * 10)
    assert (root / "training_data" / "star" / "star_0009.png").is_file()


def test_the_scan_finds_every_picture_usable_and_in_rgb(tmp_path):
    root = synthetic.make_shapes_dataset(tmp_path / "shapes", classes=("circle", "hexagon", "star"),
                                         per_class=6, image_size=40, image_format="jpg")
    report = data.scan(root / "training_data")
    assert report.unusable == [] and report.problems == []
    assert [len(c.usable) for c in report.classes] == [6, 6, 6]
    first = images.read_rgb(root / "training_data" / "circle" / "circle_0000.jpg")
    expected = synthetic.draw_shape("circle", 40, synthetic.picture_rng(0, 0, "circle", 0))
    assert first.shape == (40, 40, 3)
    # JPEG smooths the noise away but keeps the colours: compare each channel's mean
    means, drawn = first.mean(axis=(0, 1)), expected.mean(axis=(0, 1))
    assert np.abs(means - drawn).max() < 3, (means, drawn)


def test_the_png_files_hold_exactly_the_drawn_pictures(tmp_path):
    root = synthetic.make_shapes_dataset(tmp_path / "shapes", classes=("square", "triangle"),
                                         per_class=3, image_size=32, seed=5)
    for split_index, split in enumerate(synthetic.SPLITS[:1]):
        for index in range(3):
            drawn = synthetic.draw_shape("triangle", 32,
                                         synthetic.picture_rng(5, split_index, "triangle", index))
            on_disk = images.read_rgb(root / split / "triangle" / f"triangle_{index:04d}.png")
            assert np.array_equal(on_disk, drawn)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    settings = dict(per_class=4, image_size=32, classes=("circle", "square", "triangle"))
    first = digest(synthetic.make_shapes_dataset(tmp_path / "a", seed=3, **settings))
    again = digest(synthetic.make_shapes_dataset(tmp_path / "b", seed=3, **settings))
    other = digest(synthetic.make_shapes_dataset(tmp_path / "c", seed=4, **settings))
    assert first == again
    assert set(first) == set(other) and all(first[name] != other[name] for name in first)


def test_a_class_does_not_change_when_other_classes_are_chosen(tmp_path):
    one = synthetic.make_shapes_dataset(tmp_path / "a", classes=("circle", "square"), per_class=3,
                                        image_size=32)
    two = synthetic.make_shapes_dataset(tmp_path / "b", classes=("star", "circle", "hexagon"),
                                        per_class=3, image_size=32)
    assert digest(one / "training_data" / "circle") == digest(two / "training_data" / "circle")


def test_test_pictures_differ_from_training_pictures(tmp_path):
    root = synthetic.make_shapes_dataset(tmp_path / "s", classes=("circle", "star"), per_class=5,
                                         image_size=32, split=1.0)
    train, test = digest(root / "training_data"), digest(root / "testing_data")
    assert len(test) == len(train) == 10
    assert not set(train.values()) & set(test.values())


def test_split_zero_writes_no_test_folder(tmp_path):
    root = synthetic.make_shapes_dataset(tmp_path / "s", per_class=2, image_size=32, split=0)
    assert not (root / "testing_data").exists()


def test_an_existing_dataset_is_kept_unless_overwrite(tmp_path):
    root = synthetic.make_shapes_dataset(tmp_path / "s", per_class=2, image_size=32)
    stray = root / "training_data" / "circle" / "old.png"
    stray.write_bytes(b"")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        synthetic.make_shapes_dataset(root, per_class=2, image_size=32)
    synthetic.make_shapes_dataset(root, per_class=2, image_size=32, overwrite=True)
    assert not stray.exists()  # redrawn from scratch, no leftovers


@pytest.mark.parametrize("bad, message", [
    (dict(classes=("circle",)), "at least 2"), (dict(classes=("circle", "circle")), "at least 2"),
    (dict(classes=("circle", "cross")), "unknown shape"), (dict(per_class=0), "per_class"),
    (dict(split=1.5), "split"), (dict(image_format="gif"), "image_format"),
    (dict(image_size=10), "image_size")])
def test_make_shapes_dataset_refuses_bad_arguments(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        synthetic.make_shapes_dataset(tmp_path / "s", **bad)
