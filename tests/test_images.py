"""helpers.images: reading one file into RGB uint8, resizing, scaling: every kind of file."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import _imagefactory as factory
from helpers import images
from helpers.images import UnreadableImageError


def refused(path) -> UnreadableImageError:
    with pytest.raises(UnreadableImageError) as info:
        images.read_rgb(path)
    return info.value


# ---- colour order and what the name does not decide ------------------------------------------


def test_read_rgb_returns_rgb_not_bgr(tmp_path):
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[:, :3] = (255, 0, 0)  # red on the left
    rgb[:, 3:] = (0, 0, 255)  # blue on the right
    path = factory.write(tmp_path / "redblue.png", factory.png_bytes(rgb))
    image = images.read_rgb(path)
    assert image.dtype == np.uint8 and image.shape == (4, 6, 3)
    np.testing.assert_array_equal(image, rgb)


def test_jpeg_reads_close_to_pillow(tmp_path):
    path = factory.write_jpeg(tmp_path / "cat.jpg", 40, 50)
    expected = np.asarray(Image.open(path).convert("RGB"))
    assert np.abs(images.read_rgb(path).astype(int) - expected).max() <= 2


def test_png_named_jpg_is_read_by_its_content(tmp_path):
    path = factory.write_png_named_jpg(tmp_path / "looks_like.jpg")
    np.testing.assert_array_equal(images.read_rgb(path), factory.photo())


def test_non_ascii_path_is_read(tmp_path):
    path = factory.write_jpeg(tmp_path / "chats_été" / "猫 ünïcode.jpg")
    assert images.read_rgb(path).shape == (24, 32, 3)


def test_upper_case_extensions_count_as_images():
    assert images.has_image_extension("CAT.JPG")
    assert images.has_image_extension("dog.Jpeg")
    assert images.has_image_extension("x.PNG") and images.has_image_extension("x.bmp")
    assert not images.has_image_extension("Thumbs.db")
    assert not images.has_image_extension("notes.txt")


def test_hidden_files_are_not_images_by_name():
    assert images.is_image_name("folder/CAT.JPG")
    assert not images.is_image_name("._cat.jpg")  # macOS metadata beside cat.jpg
    assert not images.is_image_name(".hidden.png") and not images.is_image_name("Thumbs.db")


# ---- bad files: each refused with one line naming the file and the reason ---------------------


def test_empty_file_is_refused(tmp_path):
    error = refused(factory.write_empty(tmp_path / "empty.jpg"))
    assert error.reason == images.EMPTY
    assert str(error) == f"{tmp_path / 'empty.jpg'}: empty file"


def test_text_named_jpg_is_not_an_image(tmp_path):
    error = refused(factory.write_text(tmp_path / "page.jpg"))
    assert error.reason == images.NOT_AN_IMAGE
    assert "page.jpg" in str(error) and "\n" not in str(error)


@pytest.mark.parametrize("keep", [0.05, 0.5, 0.9, 0.999])
def test_truncated_jpeg_is_refused(tmp_path, keep):
    error = refused(factory.write_truncated_jpeg(tmp_path / "cut.jpg", keep=keep))
    assert error.reason == images.CORRUPT
    assert "cut.jpg" in str(error) and "\n" not in str(error)
    assert isinstance(error, ValueError)


def test_jpeg_with_zeroed_tail_is_refused(tmp_path):
    # What a crashed copy often leaves: the right length, but zeros where the data should be.
    data = factory.jpeg_bytes(factory.photo(48, 64))
    half = len(data) // 2
    error = refused(factory.write(tmp_path / "zeros.jpg", data[:half] + bytes(len(data) - half)))
    assert error.reason == images.CORRUPT


def test_truncated_progressive_jpeg_is_refused(tmp_path):
    data = factory.jpeg_bytes(factory.photo(48, 64), progressive=True)
    assert images.read_rgb(factory.write(tmp_path / "ok.jpg", data)).shape == (48, 64, 3)
    assert refused(factory.write(tmp_path / "cut.jpg", data[: len(data) * 2 // 3])).reason == images.CORRUPT


def test_truncated_png_is_refused(tmp_path):
    data = factory.png_bytes(factory.photo(48, 64))
    assert refused(factory.write(tmp_path / "cut.png", data[: len(data) // 2])).reason == images.CORRUPT


def test_unsupported_format_is_named(tmp_path):
    heic = b"\x00\x00\x00\x18ftypheic" + bytes(64)
    error = refused(factory.write(tmp_path / "phone.jpg", heic))
    assert error.reason == images.UNSUPPORTED and "HEIC" in str(error)


def test_floating_point_image_is_unsupported(tmp_path):
    ok, encoded = cv2.imencode(".pfm", np.ones((4, 4, 3), np.float32))
    assert ok
    assert refused(factory.write(tmp_path / "light.pfm", encoded.tobytes())).reason == images.UNSUPPORTED


def test_folder_cannot_be_opened(tmp_path):
    (tmp_path / "folder.jpg").mkdir()
    assert refused(tmp_path / "folder.jpg").reason == images.CANNOT_OPEN


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.jpg"):
        images.read_rgb(tmp_path / "nothing.jpg")


# ---- the JPEG end-of-image check ----------------------------------------------------------


def test_jpeg_with_bytes_after_its_end_marker_is_usable(tmp_path):
    data = factory.jpeg_bytes(factory.photo()) + b"camera maker's trailer \xff\xda\x00"
    assert images.read_rgb(factory.write(tmp_path / "trailer.jpg", data)).shape == (24, 32, 3)


def test_end_marker_of_an_embedded_thumbnail_does_not_count():
    # A comment segment holding a whole small JPEG, as EXIF thumbnails do: FF D9 appears early.
    main = factory.jpeg_bytes(factory.photo(48, 64))
    thumbnail = factory.jpeg_bytes(factory.photo(8, 8))
    segment = b"\xff\xfe" + (len(thumbnail) + 2).to_bytes(2, "big") + thumbnail
    with_thumbnail = main[:2] + segment + main[2:]
    assert images.jpeg_is_complete(with_thumbnail)
    assert not images.jpeg_is_complete(with_thumbnail[:-200])


def test_jpeg_is_complete_on_non_jpeg_and_tiny_inputs():
    assert not images.jpeg_is_complete(b"")
    assert not images.jpeg_is_complete(b"\xff\xd8")
    assert not images.jpeg_is_complete(factory.png_bytes(factory.photo()))
    assert images.jpeg_is_complete(factory.jpeg_bytes(factory.photo()))


# ---- odd but usable: all become 8-bit 3-channel RGB ---------------------------------------


def test_grayscale_jpeg_becomes_three_equal_channels(tmp_path):
    image = images.read_rgb(factory.write_grayscale_jpeg(tmp_path / "gray.jpg"))
    assert image.shape == (24, 32, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[:, :, 0], image[:, :, 1])
    np.testing.assert_array_equal(image[:, :, 0], image[:, :, 2])


def test_grayscale_png_becomes_three_equal_channels(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    image = images.read_rgb(factory.write(tmp_path / "gray.png", factory.png_bytes(gray)))
    np.testing.assert_array_equal(image, np.repeat(gray[:, :, None], 3, axis=2))


def test_rgba_png_is_composed_over_white(tmp_path):
    image = images.read_rgb(factory.write_rgba_png(tmp_path / "logo.png"))
    assert image.shape == (6, 9, 3)
    np.testing.assert_array_equal(image[0, 0], (255, 0, 0))  # opaque red stays red
    np.testing.assert_array_equal(image[0, 4], (127, 127, 255))  # half blue over white
    np.testing.assert_array_equal(image[0, 8], (255, 255, 255))  # transparent -> white


def test_cmyk_jpeg_becomes_rgb_like_pillow_converts_it(tmp_path):
    path = factory.write_cmyk_jpeg(tmp_path / "print.jpg")
    assert Image.open(path).mode == "CMYK"
    image = images.read_rgb(path)
    assert image.shape == (24, 32, 3)
    expected = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert np.abs(image.astype(int) - expected).mean() < 3


def test_16_bit_png_becomes_8_bit_rounded(tmp_path):
    image = images.read_rgb(factory.write_16bit_png(tmp_path / "scan.png"))
    assert image.dtype == np.uint8
    expected = np.round(factory.sixteen_bit_rgb() / 257).astype(np.uint8)
    np.testing.assert_array_equal(image, expected)


def test_gif_is_usable(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(factory.photo()).save(buffer, "GIF")
    assert images.read_rgb(factory.write(tmp_path / "anim.gif", buffer.getvalue())).shape == (24, 32, 3)


def test_exif_orientation_turns_the_photo_upright(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = factory.jpeg_bytes(factory.photo(24, 32), exif=exif)
    assert images.read_rgb(factory.write(tmp_path / "phone.jpg", data)).shape == (32, 24, 3)


def test_tiny_1x1_image_is_usable_and_resizes_to_one_colour(tmp_path):
    image = images.read_rgb(factory.write_tiny(tmp_path / "dot.png"))
    assert image.shape == (1, 1, 3)
    resized = images.resize(image, 128)
    assert resized.shape == (128, 128, 3)
    assert (resized == (10, 200, 30)).all()


def test_large_4000x3000_image_loads_for_the_model(tmp_path):
    path = factory.write_large(tmp_path / "big.jpg")
    assert images.read_rgb(path).shape == (3000, 4000, 3)
    ready = images.load_for_model(path, 128)
    assert ready.shape == (128, 128, 3) and ready.dtype == np.float32
    assert abs(ready[64, 10, 0] - 200 / 255) < 0.02 and abs(ready[64, 120, 2] - 200 / 255) < 0.02


# ---- resize, scale, preprocess ----------------------------------------------------------


def test_resize_shrinks_with_inter_area():
    image = factory.photo(300, 400)
    expected = cv2.resize(image, (128, 128), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(images.resize(image, 128), expected)


@pytest.mark.parametrize("shape", [(50, 60), (90, 600)])
def test_resize_enlarges_with_inter_linear(shape):
    image = factory.photo(*shape)
    expected = cv2.resize(image, (128, 128), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(images.resize(image, 128), expected)


def test_resize_does_not_keep_the_aspect_ratio():
    image = np.zeros((100, 200, 3), np.uint8)
    image[:, 100:] = 255  # right half white
    resized = images.resize(image, 50)
    assert resized.shape == (50, 50, 3)
    assert resized[:, :24].max() == 0 and resized[:, 26:].min() == 255  # halves squeezed, not cropped


def test_resize_of_the_right_size_returns_the_image_itself():
    image = factory.photo(16, 16)
    assert images.resize(image, 16) is image


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros((4, 4, 3), np.float32), [[0, 0, 0]]])
def test_resize_refuses_what_is_not_rgb_uint8(bad):
    with pytest.raises(ValueError, match="RGB uint8"):
        images.resize(bad, 8)


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_resize_refuses_a_bad_size(size):
    with pytest.raises(ValueError, match="size"):
        images.resize(factory.photo(), size)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 200))
def test_resize_always_gives_size_by_size(height, width, size):
    out = images.resize(np.zeros((height, width, 3), np.uint8), size)
    assert out.shape == (size, size, 3) and out.dtype == np.uint8


def test_scale_to_unit_maps_0_255_to_0_1_in_float32():
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    scaled = images.scale_to_unit(pixels)
    assert scaled.dtype == np.float32
    assert scaled[0, 0] == 0.0 and scaled[-1, -1] == 1.0
    np.testing.assert_array_equal(scaled.ravel(), np.arange(256, dtype=np.float32) / np.float32(255))


def test_scale_to_unit_refuses_floats():
    with pytest.raises(ValueError, match="uint8"):
        images.scale_to_unit(np.zeros((2, 2, 3), np.float32))


def test_preprocess_is_resize_then_scale():
    image = factory.photo(300, 200)
    out = images.preprocess(image, 64)
    assert out.shape == (64, 64, 3) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_array_equal(out, images.resize(image, 64).astype(np.float32) / 255)


def test_preprocess_default_size_is_the_course_image_size():
    assert images.IMAGE_SIZE == 128
    assert images.preprocess(factory.photo()).shape == (128, 128, 3)


def test_load_for_model_equals_read_then_preprocess(tmp_path):
    path = factory.write_jpeg(tmp_path / "dog.JPG", 60, 80)
    np.testing.assert_array_equal(images.load_for_model(path, 32),
                                  images.preprocess(images.read_rgb(path), 32))


def test_decode_rgb_works_on_bytes_without_a_file():
    assert images.decode_rgb(factory.png_bytes(factory.photo())).shape == (24, 32, 3)
    with pytest.raises(UnreadableImageError, match="<bytes>: empty file"):
        images.decode_rgb(b"")


# ---- bounded memory: sizes, special files, links ----------------------------------------------


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding(tmp_path, monkeypatch):
    path = factory.write_huge_png_header(tmp_path / "bomb.png")
    assert path.stat().st_size < 100_000
    decoded = []
    monkeypatch.setattr(images.cv2, "imdecode", lambda *a: decoded.append(a))
    error = refused(path)
    assert error.reason == images.TOO_LARGE and not decoded
    # Pillow's own far higher limit hides the sides, not the pixel count.
    assert "(900,000,000 pixels; the limit is 40 megapixels)" in str(error)


def test_the_pixel_limit_is_the_documented_one(tmp_path):
    assert images.MAX_PIXELS == 40_000_000
    assert images.declared_size(factory.png_bytes(factory.photo(24, 32))) == (32, 24)
    assert images.declared_size(b"no image") is None
    at_limit = factory.write_huge_png_header(tmp_path / "ok.png", width=8000, height=5000)
    images.check_pixels(at_limit.read_bytes())  # 40,000,000 exactly: allowed
    above = factory.write_huge_png_header(tmp_path / "big.png", width=8000, height=5001)
    with pytest.raises(images.UnreadableImageError, match="too large"):
        images.check_pixels(above.read_bytes(), above)


def test_a_file_beyond_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    path = factory.write(tmp_path / "big.png", factory.png_bytes(factory.photo(200, 200, seed=1)))
    error = refused(path)
    assert error.reason == images.TOO_LARGE and "the limit is" in str(error)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_or_a_device_is_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")  # opening it for reading would wait for a writer forever
    error = refused(tmp_path / "pipe.jpg")
    assert error.reason == images.CANNOT_OPEN and "not a regular file (a FIFO)" in str(error)
    (tmp_path / "zero.jpg").symlink_to("/dev/zero")  # reading it would never end
    error = refused(tmp_path / "zero.jpg")
    assert "not a regular file (a device)" in str(error)


def test_a_link_that_loops_is_unusable(tmp_path):
    (tmp_path / "loop.jpg").symlink_to("loop.jpg")
    error = refused(tmp_path / "loop.jpg")
    assert error.reason == images.CANNOT_OPEN and "symbolic links" in str(error)


def test_opencvs_own_pixel_limit_is_ours_too(tmp_path):
    """For the formats whose header Pillow cannot read, OpenCV refuses with the same limit
    (read by OpenCV when it loads: in a fresh process where helpers.images loads it)."""
    path = factory.write_huge_png_header(tmp_path / "bomb.png")
    code = ("import sys; from helpers import images; images.declared_size = lambda data: None\n"
            "try:\n    images.read_rgb(sys.argv[1])\n"
            "except images.UnreadableImageError as error:\n    print(error)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                            text=True, timeout=60)
    assert "bomb.png: too large (more than 40 megapixels, the limit)" in result.stdout, result
