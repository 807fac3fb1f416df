"""Image files made on the fly for the tests: good photos and every kind of bad file.

No image is committed to the repository; each test builds what it needs in ``tmp_path``.
Import it from a test module as ``import _imagefactory as factory`` (pytest puts ``tests/`` on
``sys.path`` because the folder has no ``__init__.py``).
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image


def photo(height: int = 24, width: int = 32, seed: int = 0) -> np.ndarray:
    """A smooth RGB ``uint8`` picture (gradients plus a coloured square): JPEG-friendly."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = rng.integers(30, 200, size=3)
    image = np.stack([
        base[0] + 50 * x / max(width - 1, 1),
        base[1] + 50 * y / max(height - 1, 1),
        base[2] + 25 * (x + y) / max(height + width - 2, 1),
    ], axis=-1)
    image[height // 4: height // 2, width // 4: width // 2] = rng.integers(0, 256, size=3)
    return np.clip(image, 0, 255).astype(np.uint8)


def jpeg_bytes(rgb: np.ndarray, quality: int = 95, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality, **options)
    return buffer.getvalue()


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, "PNG")
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_jpeg(path: Path, height: int = 24, width: int = 32, seed: int = 0, **options) -> Path:
    return write(path, jpeg_bytes(photo(height, width, seed), **options))


def write_png(path: Path, height: int = 24, width: int = 32, seed: int = 0) -> Path:
    return write(path, png_bytes(photo(height, width, seed)))


# ---- the bad and the odd -------------------------------------------------------------------


def write_empty(path: Path) -> Path:
    return write(path, b"")


def write_text(path: Path) -> Path:
    """A text file with an image's name, like an HTML error page saved as ``cat.jpg``."""
    return write(path, b"<html><body>404 Not Found</body></html>\n")


def write_truncated_jpeg(path: Path, keep: float = 0.5, seed: int = 0) -> Path:
    """A JPEG cut short, as an interrupted download or copy leaves it."""
    data = jpeg_bytes(photo(48, 64, seed))
    return write(path, data[: int(len(data) * keep)])


def write_png_named_jpg(path: Path, seed: int = 0) -> Path:
    return write(path, png_bytes(photo(seed=seed)))


def write_grayscale_jpeg(path: Path) -> Path:
    gray = Image.fromarray(photo()).convert("L")
    buffer = io.BytesIO()
    gray.save(buffer, "JPEG", quality=95)
    return write(path, buffer.getvalue())


def write_rgba_png(path: Path) -> Path:
    """Left third opaque red, middle third half-transparent blue, right third fully transparent."""
    rgba = np.zeros((6, 9, 4), np.uint8)
    rgba[:, 0:3] = (255, 0, 0, 255)
    rgba[:, 3:6] = (0, 0, 255, 128)
    rgba[:, 6:9] = (0, 0, 0, 0)
    return write(path, png_bytes(Image.fromarray(rgba, "RGBA")))


def write_cmyk_jpeg(path: Path) -> Path:
    cmyk = Image.fromarray(photo()).convert("CMYK")
    buffer = io.BytesIO()
    cmyk.save(buffer, "JPEG", quality=95)
    return write(path, buffer.getvalue())


def sixteen_bit_rgb() -> np.ndarray:
    """A 2×3 RGB uint16 picture with the extreme and the exact-multiple values."""
    return np.array([[[0, 257, 65535], [257 * 100, 257 * 200, 65535]],
                     [[65535, 0, 0], [128, 32767, 32768]]], np.uint16)


def write_16bit_png(path: Path) -> Path:
    ok, encoded = cv2.imencode(".png", sixteen_bit_rgb()[:, :, ::-1])  # OpenCV writes BGR
    assert ok
    return write(path, encoded.tobytes())


def write_tiny(path: Path) -> Path:
    return write(path, png_bytes(np.full((1, 1, 3), (10, 200, 30), np.uint8)))


def write_large(path: Path, height: int = 3000, width: int = 4000) -> Path:
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2] = (200, 40, 40)
    image[:, width // 2:] = (40, 40, 200)
    return write(path, jpeg_bytes(image, quality=80))


def make_dataset(root: Path, counts: dict[str, int], size: tuple[int, int] = (20, 28)) -> Path:
    """``root/<class>/<class>.<i>.jpg`` for each class with its count of small JPEGs."""
    for class_index, (name, count) in enumerate(counts.items()):
        for i in range(count):
            write_jpeg(root / name / f"{name}.{i}.jpg", *size, seed=100 * class_index + i)
    return root


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    import zlib

    return (len(payload).to_bytes(4, "big") + kind + payload
            + zlib.crc32(kind + payload).to_bytes(4, "big"))


def write_huge_png_header(path: Path, width: int = 30000, height: int = 30000,
                          rows: int = 64) -> Path:
    """A PNG whose header declares ``width`` × ``height`` RGB pixels (30000² is 2.7 GB decoded)
    but which holds only its first ``rows`` rows of zeros: a few KB on disk. A decoder that
    trusts the header allocates the whole image before it finds the data short."""
    import zlib

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    data = zlib.compress(bytes(rows * (1 + 3 * width)), 9)
    return write(path, b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
                 + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b""))
