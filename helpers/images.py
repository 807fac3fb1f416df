"""Reading one image file into RGB, and the one preprocessing the network ever sees.

    ┌──────────────────────────────────────────────────────────────────────────────────────┐
    │  BGR BECOMES RGB HERE, AND ONLY HERE.                                                │
    │  OpenCV decodes colour images as BGR (blue, green, red). :func:`read_rgb` converts    │
    │  them to RGB once, and everything in the course after it (resizing, the network,     │
    │  matplotlib) works in RGB. Never call ``cv2.cvtColor(..., COLOR_BGR2RGB)`` anywhere   │
    │  else: a photo shown blue-tinted means BGR data got past this module.                │
    └──────────────────────────────────────────────────────────────────────────────────────┘

(Notebook 06's Exercise 6.1 has the learner write this reader again, conversion included; the
checker compares it with this module's, and the rest of the course uses one or the other.)

The path of one photo to the network, one function per arrow::

    file ──read_rgb──▶ (H, W, 3) uint8 RGB ──resize──▶ (size, size, 3) uint8
         ──scale_to_unit──▶ (size, size, 3) float32 in [0, 1]

:func:`preprocess` is ``resize`` then ``scale_to_unit``, and :func:`load_for_model` is
``read_rgb`` then ``preprocess``. Training, prediction, evaluation and the notebooks all go
through them, so an image is never prepared in two different ways (the classic cause of "it
always says dog" at prediction time).

What :func:`read_rgb` accepts and what it refuses:

- It reads the file's bytes once and decodes them with ``cv2.imdecode``, which looks at the
  content, not the name: a PNG named ``.jpg`` is read as the PNG it is, and paths with accents
  or other non-ASCII letters work (``cv2.imread`` fails on them on Windows).
- OpenCV returns ``None`` instead of raising when it cannot decode (``cv2.imread`` too, and the
  failure then surfaces later as a puzzling ``(-215) !ssize.empty()`` in ``cv2.resize``). We
  check right after decoding and raise :class:`UnreadableImageError`, whose message is one line
  naming the file and the reason: ``empty file``, ``not an image``, ``truncated or corrupt`` or
  ``unsupported``.
- A JPEG whose data stops before its end-of-image marker is refused as truncated, even when the
  decoder would hand back a picture whose missing rows are filled with grey (older OpenCV builds
  do that with only a warning on stderr); see :func:`jpeg_is_complete`.
- Grayscale, RGBA, CMYK, 16-bit and tiny images are all usable: they come out as 8-bit,
  3-channel RGB. Transparent pixels are composed over white.
- Memory is bounded whatever the file: a file larger than :data:`MAX_FILE_BYTES` is refused
  before it is read, and an image whose header declares more than :data:`MAX_PIXELS` pixels
  (40 megapixels, e.g. 7746×5164; 12-, 24- and 36-megapixel photos pass) is refused as
  ``too large`` before it is decoded. (A 2.6 MB PNG can declare 30000×30000 pixels, 2.7 GB
  decoded.) Only regular files are read: a FIFO or a device (``/dev/zero`` behind a link
  named ``.jpg``) is refused as ``cannot be opened`` without being opened.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import warnings
from pathlib import Path

#: The most pixels (width × height) an image may declare in its header; larger ones are refused
#: before they are decoded. Decoding takes 6 bytes per pixel for an 8-bit photo and 12 for a
#: 16-bit RGBA PNG (the decoded image and its 8-bit copy), so one image at the limit takes
#: 240 MB to 480 MB while it is decoded. Training on a folder with two 16-bit RGBA PNGs of
#: 39.9 megapixels, the worst case, peaked at 1.41 GB (TensorFlow alone takes 0.65 GB).
MAX_PIXELS = 40_000_000

#: Images above this many pixels are decoded one at a time (threads wait for each other), so
#: two large photos never take their decoding memory at once.
LARGE_PIXELS = 16_000_000
_LARGE_DECODE = threading.Lock()

#: The largest image file that is read at all (a 50-megapixel PNG rarely exceeds 150 MB).
MAX_FILE_BYTES = 256 * 2**20

# OpenCV's own limit, for the formats whose header Pillow cannot read. OpenCV reads it when it
# loads, so it holds when this module is the first to import cv2 (as in every command).
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))

import cv2  # noqa: E402  (after its limit is set)
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402  (only its header parser: Image.open reads no pixels)

#: The side of the square images the course's network takes (the original tutorial's 128).
IMAGE_SIZE = 128

#: File name extensions taken for images, compared in lower case. The content still decides:
#: these are the files a folder scan tries to decode, and the decoder looks at the bytes.
IMAGE_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif",   # JPEG
    ".png", ".bmp", ".dib", ".gif", ".webp", ".avif",
    ".tif", ".tiff", ".jp2",
    ".ppm", ".pgm", ".pbm", ".pnm",     # the simple "portable" formats
    ".ras", ".sr",                      # Sun raster
})

# The reasons an image file is refused (UnreadableImageError.reason is one of them).
EMPTY = "empty file"
NOT_AN_IMAGE = "not an image"
CORRUPT = "truncated or corrupt"
UNSUPPORTED = "unsupported"
CANNOT_OPEN = "cannot be opened"
TOO_LARGE = "too large"
REASONS = (EMPTY, NOT_AN_IMAGE, CORRUPT, UNSUPPORTED, CANNOT_OPEN, TOO_LARGE)


class UnreadableImageError(ValueError):
    """An image file that cannot be used. ``str(error)`` is one line: ``<path>: <reason> (...)``.

    Attributes: ``path`` (the file), ``reason`` (one of :data:`REASONS`) and ``detail`` (a few
    words more, possibly empty).
    """

    def __init__(self, path: str | os.PathLike, reason: str, detail: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.detail = " ".join(detail.split())  # one line, whatever OpenCV put in it
        message = f"{self.path}: {reason}" + (f" ({self.detail})" if self.detail else "")
        super().__init__(message)


def has_image_extension(name: str | os.PathLike) -> bool:
    """True when the file name ends in one of :data:`IMAGE_EXTENSIONS`, in any case (``.JPG``)."""
    return Path(name).suffix.lower() in IMAGE_EXTENSIONS


def is_image_name(name: str | os.PathLike) -> bool:
    """An image by its name: an image extension and not hidden (``._cat.jpg`` is macOS metadata)."""
    name = Path(name).name
    return has_image_extension(name) and not name.startswith(".")


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read one image file into an RGB ``uint8`` array of shape ``(height, width, 3)``.

    Raises :class:`UnreadableImageError` (a ``ValueError``) with the file and the reason when
    the file cannot be used, and ``FileNotFoundError`` when there is no such file.
    """
    path = Path(path)
    try:
        info = os.stat(path)  # follows links; a link loop raises ELOOP here
        if not stat.S_ISREG(info.st_mode):  # a folder, FIFO or device: never opened
            raise UnreadableImageError(path, CANNOT_OPEN, f"not a regular file ({_kind(info)})")
        if info.st_size > MAX_FILE_BYTES:
            raise UnreadableImageError(path, TOO_LARGE, f"{info.st_size / 2**20:.0f} MB; the limit "
                                       f"is {MAX_FILE_BYTES // 2**20} MB")
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except OSError as error:  # no permission, a link loop, an I/O error
        raise UnreadableImageError(path, CANNOT_OPEN, error.strerror or str(error)) from None
    if len(data) > MAX_FILE_BYTES:  # it grew since stat
        raise UnreadableImageError(path, TOO_LARGE, f"more than {MAX_FILE_BYTES // 2**20} MB")
    return decode_rgb(data, path)


def _kind(info: os.stat_result) -> str:
    mode = info.st_mode
    return ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a file")


def declared_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` as the image's header declares it, read without decoding a pixel
    (Pillow's ``Image.open`` parses the header only); None when Pillow does not know the format."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except Image.DecompressionBombError as error:  # Pillow's own limit, far above ours
        numbers = [int(word) for word in str(error).replace("(", " ").split() if word.isdigit()]
        return (numbers[0], 1) if numbers else (MAX_PIXELS + 1, 1)
    except Exception:  # noqa: BLE001 - not a format Pillow knows, or a broken header
        return None


def check_pixels(data: bytes, name: str | os.PathLike = "<bytes>") -> tuple[int, int] | None:
    """Refuse (``too large``) an image whose header declares more than :data:`MAX_PIXELS`;
    return the declared ``(width, height)``, or None when the header is not one Pillow reads."""
    size = declared_size(data)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        width, height = size
        shown = f"{width}x{height} pixels" if height > 1 else f"{width:,} pixels"
        raise UnreadableImageError(name, TOO_LARGE, f"{shown}; the limit is "
                                   f"{MAX_PIXELS // 1_000_000} megapixels")
    return size


def decode_rgb(data: bytes, name: str | os.PathLike = "<bytes>") -> np.ndarray:
    """Decode the bytes of an image file into RGB ``uint8`` ``(height, width, 3)``.

    ``name`` is only used in error messages. This is :func:`read_rgb` without the file.
    """
    if len(data) == 0:
        raise UnreadableImageError(name, EMPTY)
    kind = sniff_format(data)
    if kind in _NOT_DECODED:
        raise UnreadableImageError(name, UNSUPPORTED, f"{kind} is not a format OpenCV reads")
    if kind == "JPEG" and not jpeg_is_complete(data):
        raise UnreadableImageError(name, CORRUPT, "JPEG data ends before its end-of-image marker")
    size = check_pixels(data, name)  # before decoding: memory stays bounded whatever the header says
    if size is not None and size[0] * size[1] > LARGE_PIXELS:
        with _LARGE_DECODE:  # one large image at a time, even when several threads decode
            return _decode(data, kind, name)
    return _decode(data, kind, name)


def _decode(data: bytes, kind: str | None, name: str | os.PathLike) -> np.ndarray:
    """OpenCV's decoding of checked bytes, then 8-bit RGB."""
    # JPEG: IMREAD_COLOR gives 8-bit BGR and turns the photo upright by its EXIF orientation;
    # libjpeg converts grayscale and CMYK itself. Other formats: IMREAD_UNCHANGED keeps the alpha
    # channel and the 16 bits, which _to_bgr8 then handles better than IMREAD_COLOR would
    # (it drops alpha, leaving whatever colour transparent pixels happen to hold).
    flags = cv2.IMREAD_COLOR if kind == "JPEG" else cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    except cv2.error as error:
        if "CV_IO_MAX_IMAGE_PIXELS" in str(error):  # OpenCV's own limit, for other formats
            raise UnreadableImageError(name, TOO_LARGE, f"more than {MAX_PIXELS // 1_000_000} "
                                       "megapixels, the limit") from None
        raise UnreadableImageError(name, CORRUPT, _first_line(error)) from None
    if image is None:  # OpenCV's way of saying "could not decode"
        if kind is None:
            raise UnreadableImageError(name, NOT_AN_IMAGE, "no known image format in its first bytes")
        raise UnreadableImageError(name, CORRUPT, f"{kind} data could not be decoded")

    # Each step replaces the previous array, so a large image is held at most twice at once.
    image = _to_8_bits(image, name)
    image = _to_bgr8(image, name)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=image)  # THE one BGR -> RGB conversion


def _to_8_bits(image: np.ndarray, name: str | os.PathLike) -> np.ndarray:
    """8 or 16 bits per value as 8 bits."""
    if image.dtype == np.uint16:
        return cv2.convertScaleAbs(image, alpha=255 / 65535)  # 0..65535 -> 0..255, rounded
    if image.dtype != np.uint8:
        raise UnreadableImageError(name, UNSUPPORTED, f"{image.dtype} pixels (only 8 and 16 bits are)")
    return image


def _to_bgr8(image: np.ndarray, name: str | os.PathLike) -> np.ndarray:
    """Whatever OpenCV decoded (gray, BGR, BGRA; 8 or 16 bits) as 8-bit, 3-channel BGR."""
    image = _to_8_bits(image, name)
    channels = 1 if image.ndim == 2 else image.shape[2]
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 3:
        return image
    if channels == 4:  # compose over white: pixel = alpha * colour + (1 - alpha) * 255
        composed = np.empty(image.shape[:2] + (3,), np.uint8)
        for top in range(0, image.shape[0], 256):  # 256 rows at a time: float32 copies stay small
            rows = image[top:top + 256]
            alpha = rows[:, :, 3:4].astype(np.float32) / 255
            colour = rows[:, :, :3].astype(np.float32) * alpha + 255 * (1 - alpha)
            composed[top:top + 256] = np.round(colour).astype(np.uint8)
        return composed
    raise UnreadableImageError(name, UNSUPPORTED, f"{channels} channels")


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


# The first bytes of common image formats, to tell "a broken image" from "not an image at all"
# when OpenCV cannot decode a file. (OpenCV itself decides by the content as well.)
_SIGNATURES = [
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (8, b"WEBP", "WebP"),
    (4, b"ftypavif", "AVIF"),
    (4, b"ftypavis", "AVIF"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (0, b"\x59\xa6\x6a\x95", "Sun raster"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (0, b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"8BPS", "Photoshop"),
    (0, b"\x00\x00\x01\x00", "Windows icon"),
]
# Image formats that this OpenCV does not decode at all: "unsupported", not "corrupt".
_NOT_DECODED = {"HEIC", "HEIF", "JPEG XL", "Photoshop", "Windows icon"}


def sniff_format(data: bytes) -> str | None:
    """The image format named by the file's first bytes (``"JPEG"``, ``"PNG"``, ...), or None."""
    for offset, signature, kind in _SIGNATURES:
        if data[offset:offset + len(signature)] == signature:
            return kind
    if data[:1] == b"P" and data[1:2] in (b"1", b"2", b"3", b"4", b"5", b"6") and data[2:3].isspace():
        return "PNM"
    return None


def jpeg_is_complete(data: bytes) -> bool:
    """True when a JPEG's structure reaches its end-of-image marker ``FF D9``.

    A JPEG is a chain of segments, each ``FF <marker> <2-byte length> <payload>``; after a
    start-of-scan (``FF DA``) comes compressed data, in which a real ``FF`` byte is written as
    ``FF 00`` and ``FF D0``..``FF D7`` are restart markers, so the next other ``FF xx`` ends it.
    We walk that chain: a file cut short (an interrupted download or copy) or whose tail was
    overwritten with zeros never reaches ``FF D9``. Walking the chain, rather than looking at
    the last two bytes, accepts files with harmless bytes after the end marker and does not
    mistake the end of an embedded EXIF thumbnail for the end of the photo.
    """
    n = len(data)
    if data[:2] != b"\xff\xd8":
        return False
    pos = 2
    while pos < n - 1:
        if data[pos] != 0xFF:  # stray bytes between segments: tolerated, as libjpeg does
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return False
            continue
        marker = data[pos + 1]
        if marker == 0xD9:
            return True
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker in (0x01, 0xD8):  # markers without a length
            pos += 2
            continue
        if pos + 4 > n:
            return False
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # start of scan: skip the compressed data to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return False
                follower = data[pos + 1]
                if follower == 0x00 or 0xD0 <= follower <= 0xD7:
                    pos += 2
                elif follower == 0xFF:
                    pos += 1
                else:
                    break
    return False


# --------------------------------------------------------------------------------------------
# Preparing an image for the network
# --------------------------------------------------------------------------------------------


def _check_rgb_uint8(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
            or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"expected an RGB uint8 image of shape (height, width, 3), got {got}")


def check_size(size: int, name: str = "size", low: int = 1) -> int:
    """``size`` if it is a whole number of at least ``low`` (pixels, images, epochs), else a
    ``ValueError`` saying so. The course's one check of a count."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < low:
        raise ValueError(f"{name} must be a whole number of at least {low}, got {size!r}")
    return int(size)


def resize(image: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Resize an RGB ``uint8`` image to ``(size, size, 3)``, ``uint8``.

    The aspect ratio is NOT kept, as in the original tutorial: a 500×375 photo is squeezed
    into a square (nothing is cropped, nothing is padded).

    Interpolation: ``cv2.INTER_AREA`` when the image shrinks in both directions (the usual
    case for photos: each output pixel averages the input pixels it covers, so fine patterns
    do not turn into moiré), ``cv2.INTER_LINEAR`` otherwise, when at least one side grows
    (a 1×1 or 90×600 image). The tutorial used ``INTER_LINEAR`` everywhere.
    An image that already has the size comes back unchanged (the same array).
    """
    _check_rgb_uint8(image)
    check_size(size)
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return image
    shrinking = height >= size and width >= size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (int(size), int(size)), interpolation=interpolation)  # (width, height)


def scale_to_unit(image: np.ndarray) -> np.ndarray:
    """``uint8`` pixels 0..255 as ``float32`` in [0, 1]: ``image / 255`` (same shape).

    The streaming pipeline in :mod:`helpers.data` does the same division in TensorFlow after
    batching (``tf.cast(images, tf.float32) / 255``); both round the same way, and a test
    checks that they agree to the last bit.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {getattr(image, 'dtype', type(image).__name__)}")
    return image.astype(np.float32) / np.float32(255)


def preprocess(image: np.ndarray, image_size: int = IMAGE_SIZE) -> np.ndarray:
    """THE preprocessing of the course: RGB ``uint8`` (H, W, 3) -> ``float32`` (size, size, 3) in [0, 1].

    ``resize`` (aspect ratio not kept; ``INTER_AREA`` shrinking, ``INTER_LINEAR`` enlarging),
    then ``scale_to_unit``. Training, prediction, evaluation and the notebooks all use it.
    """
    return scale_to_unit(resize(image, image_size))


def load_for_model(path: str | os.PathLike, image_size: int = IMAGE_SIZE) -> np.ndarray:
    """One file ready for the network: ``read_rgb`` then ``preprocess``.

    Returns ``float32`` of shape ``(image_size, image_size, 3)``; add the batch axis with
    ``image[np.newaxis]`` (shape ``(1, size, size, 3)``) before calling a model on it.
    """
    return preprocess(read_rgb(path), image_size)
