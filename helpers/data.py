"""From a folder of photos to batches for the network (notebook 06, "Reading the data").

A dataset is one folder per class; the class names, sorted, give the label ids::

    training_data/
      cats/  cat.0.jpg  cat.1.jpg ...     label 0  (one-hot [1, 0])
      dogs/  dog.0.jpg  dog.1.jpg ...     label 1  (one-hot [0, 1])

The way through this module, one function per arrow::

    folder ──list_files──▶ FileList (paths + label ids; nothing decoded yet)
           ──scan────────▶ ScanReport (every file decoded once: usable, or unusable and why)
    FileList ──split──────▶ training FileList, validation FileList (stratified, seeded)
    FileList ──load_numpy─▶ Arrays: all images in memory as float32, the original tutorial's way
    FileList ──make_dataset▶ tf.data.Dataset streaming batches, with augmentation in training

Both loaders prepare each image with :func:`helpers.images.read_rgb` and
:func:`helpers.images.resize`, then divide by 255 (see :mod:`helpers.images`), so the network
sees the same pixels whichever loader fed it. Real folders are messy, so:

- hidden files and operating-system junk (``.DS_Store``, ``Thumbs.db``, ``._cat.jpg``) are
  ignored; files are taken as images by their extension in any case (``.JPG``), and then the
  content decides how they are decoded;
- **sub-folders are never read**, by any command: only the image files directly inside a class
  folder (or, for ``helpers.predict``, a folder given) count. A sub-folder is reported (the scan
  lists it, training and evaluation warn about it), so a link to a folder can never lead into a
  loop. FIFOs, devices and sockets are skipped and reported the same way, never opened;
- a file that cannot be used (empty, not an image, truncated, unsupported) is skipped with a
  warning naming it, or, with ``strict=True``, the whole dataset is refused up front;
- a missing folder, fewer than two classes or a class without a usable image is refused with
  one clear line (:class:`DatasetError`), never with "0 files" and a crash later.

From the command line::

    python -m helpers.data check DIR [--json]         # the scan report; exit 1 if unusable
    python -m helpers.data download NAME [--dest DIR] # see helpers.datasets
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from helpers import datasets
from helpers.augmentation import make_augmenter  # noqa: F401  (data.make_augmenter, as notebooks use it)
from helpers.images import (CANNOT_OPEN, IMAGE_SIZE, UnreadableImageError, check_size,
                            has_image_extension, preprocess, read_rgb, resize)

if TYPE_CHECKING:  # TensorFlow is imported only by the functions that build pipelines
    import keras
    import tensorflow as tf

#: Names of operating-system files that sit in photo folders (compared in lower case).
JUNK_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r", "__macosx"})


class DatasetError(ValueError):
    """A folder that cannot be used as a dataset; the message is one line saying why."""


class SkippedImageWarning(UserWarning):
    """A file that could not be used was left out of the data."""


def is_junk(name: str) -> bool:
    """True for hidden files (``.DS_Store``, ``._cat.jpg``, ``.ipynb_checkpoints``) and OS junk."""
    return name.startswith(".") or name.lower() in JUNK_NAMES


# --------------------------------------------------------------------------------------------
# Discovery: which files, which classes
# --------------------------------------------------------------------------------------------


def class_folders(folder: str | os.PathLike) -> list[str]:
    """The sub-folders of ``folder``, sorted, however few: the classes a test folder holds, to
    compare with a run's. Raises :class:`DatasetError` when the folder does not exist."""
    folder = Path(folder)
    if not folder.exists():
        raise DatasetError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if e.is_dir() and not is_junk(e.name))


def find_classes(folder: str | os.PathLike) -> list[str]:
    """The class names: the sub-folders of ``folder``, sorted (so label ids never change).

    Raises :class:`DatasetError` when the folder does not exist or holds fewer than 2 classes.
    """
    folder = Path(folder)
    names = class_folders(folder)
    if len(names) < 2:
        found = f"only {names[0]!r}" if names else "no class folders"
        raise DatasetError(f"{folder}: {found}; a classifier needs at least 2 classes, one folder "
                           f"per class (e.g. {folder / 'cats'} and {folder / 'dogs'})")
    return names


@dataclass(frozen=True)
class ClassListing:
    """What one class folder holds, by name only: images, other files, and nested folders."""

    images: list[Path]
    ignored: list[Path]   # files whose name is not an image's (notes.txt); junk is left out
    nested: list[Path]    # folders inside the class folder: not read
    special: list[Path] = field(default_factory=list)  # FIFOs, devices, sockets: never opened


def list_class_folder(folder: str | os.PathLike) -> ClassListing:
    """The files of one class folder, sorted by name, sorted into images / ignored / nested /
    special. A link counts as what it points to; a broken or looping link named like an image
    is listed among the images, and reading it then reports why it is unusable."""
    images, ignored, nested, special = [], [], [], []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if is_junk(entry.name):
                continue
            path = Path(entry.path)
            if _is_dir(entry):
                nested.append(path)
            elif _is_special(entry):
                special.append(path)
            elif has_image_extension(entry.name):
                images.append(path)
            else:
                ignored.append(path)
    return ClassListing(images, ignored, nested, special)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop
        return False


def _is_special(entry: os.DirEntry) -> bool:
    """A FIFO, device or socket (also behind a link): reading it could hang or never end."""
    try:
        mode = os.stat(entry.path).st_mode
    except OSError:  # a broken or looping link: not special, reported when read
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def warn_not_read(listing: ClassListing) -> None:
    """One warning per sub-folder and special file of a class folder: they are not read."""
    for path in listing.nested:
        _warn_skipped(f"{path}{os.sep}: a sub-folder, not read (only the images directly in a "
                      "folder are)")
    for path in listing.special:
        _warn_skipped(f"{path}: not a regular file (a FIFO, device or socket)")


@dataclass(frozen=True)
class FileList:
    """Image files with their label ids: ``labels[i]`` is the index of ``paths[i]``'s class."""

    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.paths)

    def counts(self) -> dict[str, int]:
        """Images per class, e.g. ``{"cats": 500, "dogs": 500}`` (the class balance)."""
        per_label = np.bincount(np.asarray(self.labels, dtype=np.int64), minlength=len(self.class_names))
        return {name: int(n) for name, n in zip(self.class_names, per_label)}

    def subset(self, indices: Sequence[int]) -> FileList:
        return FileList(tuple(self.paths[i] for i in indices), tuple(self.labels[i] for i in indices),
                        self.class_names)


def _class_names(folder: Path, classes: Sequence[str] | None) -> list[str]:
    if classes is None:
        return find_classes(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    missing = [name for name in classes if not (folder / name).is_dir()]
    if missing:
        raise DatasetError(f"{folder}: no folder for class {missing[0]!r} (expected one per class: "
                           f"{', '.join(classes)})")
    return list(classes)


def list_files(folder: str | os.PathLike, classes: Sequence[str] | None = None) -> FileList:
    """All image files of a dataset folder with their labels; nothing is decoded.

    ``classes`` fixes the class names and their order (label ids), e.g. the training set's
    when listing the test set; by default the sorted sub-folders. Raises :class:`DatasetError`
    for a missing folder, fewer than 2 classes, or a class folder without image files.
    """
    folder = Path(folder)
    names = _class_names(folder, classes)
    paths: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(names):
        images = list_class_folder(folder / name).images
        if not images:
            raise DatasetError(f"{folder / name}: class {name!r} has no image files")
        paths += images
        labels += [label] * len(images)
    return FileList(tuple(paths), tuple(labels), tuple(names))


def check_same_classes(expected: Sequence[str], found: Sequence[str], what: str) -> None:
    """Refuse (``DatasetError``, one line) when ``found`` are not the class names ``expected``."""
    if list(expected) == list(found):
        return
    missing = [name for name in expected if name not in found]
    extra = [name for name in found if name not in expected]
    why = "; ".join(filter(None, [f"no {', '.join(missing)}" if missing else "",
                                  f"{', '.join(extra)} unknown" if extra else ""]))
    raise DatasetError(f"{what}: its classes ({', '.join(found)}) are not the training classes "
                       f"({', '.join(expected)}): {why}")


def _as_file_list(files: FileList | str | os.PathLike) -> FileList:
    return files if isinstance(files, FileList) else list_files(files)


# --------------------------------------------------------------------------------------------
# Scan: decode every file once and report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unusable:
    """A file that cannot be used, and why (``reason`` is one of ``helpers.images.REASONS``)."""

    path: Path
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


def read_or_why(path: str | os.PathLike) -> tuple[np.ndarray | None, Unusable | None]:
    """``read_rgb`` that does not raise: ``(image, None)``, or ``(None, why)`` for an unusable file."""
    try:
        return read_rgb(path), None
    except UnreadableImageError as error:
        return None, Unusable(Path(path), error.reason, error.detail)
    except OSError as error:  # vanished since it was listed, or no permission
        return None, Unusable(Path(path), CANNOT_OPEN, error.strerror or str(error))


def check_file(path: str | os.PathLike) -> Unusable | None:
    """Decode one file; None when it is usable, else an :class:`Unusable` saying why."""
    return read_or_why(path)[1]


@dataclass
class ClassScan:
    name: str
    label: int
    usable: list[Path] = field(default_factory=list)
    unusable: list[Unusable] = field(default_factory=list)
    nested: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    special: list[Path] = field(default_factory=list)


@dataclass
class ScanReport:
    """What :func:`scan` found: per class, the usable files and each unusable one with its reason."""

    folder: Path
    classes: list[ClassScan]
    #: With ``scan(..., keep_size=N)``: each usable file's image resized to N x N, uint8.
    resized: dict[Path, np.ndarray] = field(default_factory=dict)

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    @property
    def unusable(self) -> list[Unusable]:
        return [u for c in self.classes for u in c.unusable]

    @property
    def problems(self) -> list[str]:
        """Why this folder cannot be trained on, one line each ([] when it can)."""
        return [f"{self.folder / c.name}: class {c.name!r} has no usable image"
                + (f" ({len(c.unusable)} unusable)" if c.unusable else "")
                for c in self.classes if not c.usable]

    def file_list(self) -> FileList:
        """The usable files only, as a :class:`FileList`."""
        paths = [p for c in self.classes for p in c.usable]
        labels = [c.label for c in self.classes for _ in c.usable]
        return FileList(tuple(paths), tuple(labels), tuple(self.class_names))

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()

    def to_dict(self) -> dict:
        """A JSON-ready dict: per class the usable count and each unusable file with its reason."""
        return {
            "folder": str(self.folder),
            "classes": [{
                "name": c.name, "label": c.label, "usable": len(c.usable),
                "unusable": [{"file": self._relative(u.path), "reason": u.reason, "detail": u.detail}
                             for u in c.unusable],
                "nested_folders": [self._relative(p) for p in c.nested],
                "ignored_files": [self._relative(p) for p in c.ignored],
                "special_files": [self._relative(p) for p in c.special],
            } for c in self.classes],
            "usable": sum(len(c.usable) for c in self.classes),
            "unusable": len(self.unusable),
            "problems": self.problems,
        }

    def __str__(self) -> str:
        usable = sum(len(c.usable) for c in self.classes)
        width = max(len("class"), *(len(c.name) for c in self.classes))
        lines = [f"{self.folder}: {len(self.classes)} classes, {usable} usable images, "
                 f"{len(self.unusable)} unusable", "",
                 f"  label  {'class':<{width}}  usable  unusable"]
        lines += [f"  {c.label:>5}  {c.name:<{width}}  {len(c.usable):>6}  {len(c.unusable):>8}"
                  for c in self.classes]
        sections = [
            ("Unusable files (the loaders skip them):",
             [f"{self._relative(u.path)}: {u.reason}" + (f" ({u.detail})" if u.detail else "")
              for u in self.unusable]),
            ("Nested folders (not read: put the images directly in the class folder):",
             [self._relative(p) + "/" for c in self.classes for p in c.nested]),
            ("Other files (not images by their name; ignored):",
             [self._relative(p) for c in self.classes for p in c.ignored]),
            ("Not regular files (FIFOs, devices, sockets; never opened):",
             [self._relative(p) for c in self.classes for p in c.special]),
        ]
        for title, items in sections:
            if items:
                lines += ["", title] + [f"  {item}" for item in items]
        return "\n".join(lines)


def scan(folder: str | os.PathLike, classes: Sequence[str] | None = None,
         workers: int | None = None, *, keep_size: int | None = None,
         keep_limit_bytes: int = 0) -> ScanReport:
    """Decode every image file of a dataset folder once and report what is usable.

    Files are decoded by ``workers`` threads (default: one per CPU; OpenCV releases Python's
    lock while it decodes). Raises :class:`DatasetError` only when the folder is missing or has
    fewer than 2 classes; a class without usable images shows in ``report.problems``.
    ``keep_size``: keep each usable image resized to ``keep_size`` × ``keep_size`` (uint8) in
    ``report.resized``, so that training need not decode it again, when all of them together
    take at most ``keep_limit_bytes``.
    """
    folder = Path(folder)
    names = _class_names(folder, classes)
    listings = [list_class_folder(folder / name) for name in names]
    every_image = [p for listing in listings for p in listing.images]
    keep = keep_size is not None and len(every_image) * keep_size ** 2 * 3 <= keep_limit_bytes

    def look_at(path: Path) -> tuple[Unusable | None, np.ndarray | None]:
        rgb, problem = read_or_why(path)
        return problem, resize(rgb, keep_size) if keep and problem is None else None

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        looked = dict(zip(every_image, pool.map(look_at, every_image)))
    verdicts = {path: problem for path, (problem, _) in looked.items()}
    report = ScanReport(folder, [], {path: image for path, (_, image) in looked.items()
                                     if image is not None})
    for label, (name, listing) in enumerate(zip(names, listings)):
        entry = ClassScan(name, label, nested=listing.nested, ignored=listing.ignored,
                          special=listing.special)
        for path in listing.images:
            verdict = verdicts[path]
            if verdict is None:
                entry.usable.append(path)
            else:
                entry.unusable.append(verdict)
        report.classes.append(entry)
    return report


def _strict_mode_error(bad: list[Unusable]) -> DatasetError:
    listed = "; ".join(str(u) for u in bad[:20]) + ("; ..." if len(bad) > 20 else "")
    return DatasetError(f"strict mode: {len(bad)} unusable image file(s): {listed}")


def _refuse_unusable(files: FileList, workers: int | None = None) -> None:
    """strict=True: decode everything first and refuse the dataset if any file is unusable."""
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        bad = [u for u in pool.map(check_file, files.paths) if u is not None]
    if bad:
        raise _strict_mode_error(bad)


# --------------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------------


def split_indices(labels: Sequence[int], validation_fraction: float = 0.2,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A stratified split: ``(training indices, validation indices)``, each sorted.

    Each class gives ``round(n * validation_fraction)`` of its ``n`` files to validation (at
    least 1 and at most n - 1 when the fraction is above 0 and the class has 2 or more), so the
    class balance is the same on both sides. Which ones is decided by a random permutation per
    class seeded with ``(seed, label)``: the same seed always gives the same split, and adding
    files to one class does not reshuffle the others.
    """
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    labels = np.asarray(labels, dtype=np.int64)
    validation = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_val = int(round(len(members) * validation_fraction))
        if validation_fraction > 0 and len(members) >= 2:
            n_val = min(max(n_val, 1), len(members) - 1)
        rng = np.random.default_rng([seed, int(label)])
        validation.append(rng.permutation(members)[:n_val])
    validation_idx = np.sort(np.concatenate(validation)) if validation else np.array([], np.int64)
    training_idx = np.setdiff1d(np.arange(len(labels)), validation_idx)
    return training_idx, validation_idx


def split(files: FileList, validation_fraction: float = 0.2, seed: int = 0) -> tuple[FileList, FileList]:
    """``(training, validation)`` file lists: :func:`split_indices` applied to ``files``.

    Split the *file list*, before decoding: both loaders then hold out the same files.
    """
    training_idx, validation_idx = split_indices(files.labels, validation_fraction, seed)
    return files.subset(training_idx), files.subset(validation_idx)


def link_subset(folder: str | os.PathLike, destination: str | os.PathLike, per_class: int,
                seed: int = 0) -> Path:
    """A smaller copy of a dataset: ``per_class`` files of each class, linked into ``destination``.

    The files are chosen at random with ``seed`` (the same seed picks the same files, and a larger
    ``per_class`` keeps the smaller one's files). They are symbolic links, so nothing is copied and
    the source, which may be read-only, is never written. Used for quick runs and for learning
    curves over the number of images per class. Returns ``destination``.
    """
    check_size(per_class, "per_class")
    files = list_files(folder)
    destination = Path(destination)
    rng = np.random.default_rng(seed)
    for label, name in enumerate(files.class_names):
        paths = [p for p, lab in zip(files.paths, files.labels) if lab == label]
        chosen = [paths[i] for i in rng.permutation(len(paths))[:per_class]]
        (destination / name).mkdir(parents=True, exist_ok=True)
        for path in chosen:
            link = destination / name / path.name
            if not link.exists():
                link.symlink_to(path.resolve())
    return destination


# --------------------------------------------------------------------------------------------
# The tutorial's loader: everything in memory as numpy arrays
# --------------------------------------------------------------------------------------------


@dataclass
class Arrays:
    """A dataset in memory: the original tutorial's ``images, labels, img_names, cls``."""

    images: np.ndarray        # (n, size, size, 3) float32 in [0, 1], RGB
    labels: np.ndarray        # (n, classes) float32, one-hot
    paths: list[Path]
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def label_ids(self) -> np.ndarray:
        """``(n,)`` int: the class index of each image (``labels.argmax(axis=1)``)."""
        return self.labels.argmax(axis=1)


def one_hot(labels: Sequence[int], num_classes: int) -> np.ndarray:
    """``[0, 1, 1]`` -> ``[[1, 0], [0, 1], [0, 1]]`` as float32 ``(n, num_classes)``."""
    return np.eye(num_classes, dtype=np.float32)[np.asarray(labels, dtype=np.int64)]


def _warn_skipped(problem: Unusable | str) -> None:
    warnings.warn(f"skipping {problem}", SkippedImageWarning, stacklevel=3)


def load_numpy(files: FileList | str | os.PathLike, image_size: int = IMAGE_SIZE, *,
               strict: bool = False) -> Arrays:
    """Read, resize and scale every image into memory: the original tutorial's loader.

    For each file: ``read_rgb`` (OpenCV, BGR -> RGB), ``resize`` to ``image_size`` × ``image_size``
    (``INTER_AREA`` shrinking, ``INTER_LINEAR`` enlarging; aspect ratio not kept), ``/ 255`` to
    float32. Labels come out one-hot. Unusable files are skipped with a warning naming each;
    ``strict=True`` raises :class:`DatasetError` listing them instead. Memory: 4 bytes × size² ×
    3 per image, 196 KB at 128×128: 1,000 photos take 200 MB, 25,000 take 5 GB. Beyond a few
    thousand photos use :func:`make_dataset`.
    """
    check_size(image_size, "image_size")
    files = _as_file_list(files)
    images = np.empty((len(files), image_size, image_size, 3), dtype=np.float32)
    kept: list[int] = []
    bad: list[Unusable] = []
    for i, path in enumerate(files.paths):
        rgb, problem = read_or_why(path)
        if problem:
            bad.append(problem)
            continue
        images[len(kept)] = preprocess(rgb, image_size)  # resize, then / 255
        kept.append(i)
    if bad and strict:
        raise _strict_mode_error(bad)
    for problem in bad:
        _warn_skipped(problem)
    labels = [files.labels[i] for i in kept]
    for label, name in enumerate(files.class_names):
        if label not in labels:
            count = files.labels.count(label)
            why = "no files in this list" if count == 0 else f"all {count} of its files are unusable"
            raise DatasetError(f"class {name!r} has no usable image ({why})")
    return Arrays(images[: len(kept)], one_hot(labels, len(files.class_names)),
                  [files.paths[i] for i in kept], list(files.class_names))


def read_train_sets(folder: str | os.PathLike, image_size: int = IMAGE_SIZE,
                    validation_fraction: float = 0.2, seed: int = 0, *,
                    strict: bool = False) -> tuple[Arrays, Arrays]:
    """The tutorial's ``read_train_sets``: ``(training, validation)`` arrays from one folder."""
    training, validation = split(list_files(folder), validation_fraction, seed)
    return load_numpy(training, image_size, strict=strict), load_numpy(validation, image_size, strict=strict)


# --------------------------------------------------------------------------------------------
# The streaming pipeline: tf.data
# --------------------------------------------------------------------------------------------


def _decoder(image_size: int):
    """The function tf.data runs on each file name: ``read_rgb`` + ``resize``, never raising.

    Returns ``(image uint8 (size, size, 3), ok)``; ``ok`` is False for an unusable file, which
    is warned about once (per pipeline) and then filtered out.
    """
    warned: set[Path] = set()

    def decode(path: bytes) -> tuple[np.ndarray, np.bool_]:
        rgb, problem = read_or_why(path.decode())
        if problem is None:
            return resize(rgb, image_size), np.bool_(True)
        if problem.path not in warned:
            warned.add(problem.path)
            _warn_skipped(problem)
        return np.zeros((image_size, image_size, 3), np.uint8), np.bool_(False)

    return decode


def make_dataset(files: FileList | str | os.PathLike, image_size: int = IMAGE_SIZE,
                 batch_size: int = 32, *, training: bool = False, augment: bool | None = None,
                 shuffle: bool | None = None, cache: bool | str = False, seed: int = 0,
                 strict: bool = False, shuffle_buffer: int = 1024,
                 decoded: Mapping[Path, np.ndarray] | None = None) -> tf.data.Dataset:
    """A tf.data pipeline of ``(images, labels)`` batches that streams the files from disk.

    Each element: images ``(batch, image_size, image_size, 3)`` float32 in [0, 1], labels
    ``(batch, classes)`` float32 one-hot, exactly as :func:`load_numpy` gives them.

    file names ─(shuffle)─▶ decode + resize, in parallel ─▶ drop unusable ─(cache)─▶
    batch ─▶ / 255 ─(augment)─▶ prefetch

    - ``training=True`` turns on ``shuffle`` (every epoch in a new order, reproducible from
      ``seed``) and ``augment`` (:func:`make_augmenter`); either can be set on its own.
    - Decoding runs ``helpers.images.read_rgb`` and ``resize`` through ``tf.numpy_function``
      on several threads at once (``num_parallel_calls=AUTOTUNE``).
    - Without ``cache`` only a few batches are in memory at any time, however many files there
      are: the shuffle mixes file *names*, not images. ``cache=True`` keeps the resized uint8
      images in memory after the first epoch (49 KB each at 128×128: fine for thousands of
      photos), ``cache="path/prefix"`` keeps them in files; a cached pipeline shuffles its
      images each epoch in a buffer of ``shuffle_buffer``.
    - Unusable files are skipped with a :class:`SkippedImageWarning` naming each, once;
      ``strict=True`` decodes every file first and raises :class:`DatasetError` listing them.
    - ``decoded``: every file's image already resized (uint8, as ``scan(keep_size=...)`` keeps
      them): the pipeline takes them from memory and decodes nothing, in the same order as
      ``cache=True`` gives (``cache`` is then not needed).
    """
    import tensorflow as tf  # here, not at the top: `check` and `download` start without TensorFlow

    check_size(image_size, "image_size")
    check_size(batch_size, "batch_size")
    files = _as_file_list(files)
    if len(files) == 0:
        raise DatasetError("no files to make a dataset of")
    if strict:
        _refuse_unusable(files)
    shuffle = training if shuffle is None else shuffle
    augment = training if augment is None else augment
    num_classes = len(files.class_names)
    decode = _decoder(image_size)

    def load(path, label):
        image, ok = tf.numpy_function(decode, [path], [tf.uint8, tf.bool], stateful=False)
        return tf.ensure_shape(image, (image_size, image_size, 3)), label, tf.ensure_shape(ok, ())

    def usable(image, label, ok):
        return ok

    def drop_flag(image, label, ok):
        return image, label

    def to_float_and_one_hot(images, labels):
        return tf.cast(images, tf.float32) / 255.0, tf.one_hot(labels, num_classes, dtype=tf.float32)

    paths = [str(p) for p in files.paths]
    labels = np.asarray(files.labels, dtype=np.int32)
    if decoded is not None:  # in memory: shuffle the indices, then take a batch of images at once
        everything = tf.constant(np.stack([decoded[path] for path in files.paths]))
        every_label = tf.constant(labels)
        ds = tf.data.Dataset.from_tensor_slices(tf.range(len(paths)))
        if shuffle:  # the same two shuffles as a cached pipeline: the same order of images
            ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=False)
            ds = ds.shuffle(min(shuffle_buffer, len(paths)), seed=seed + 1)
        ds = ds.batch(batch_size).map(
            lambda i: to_float_and_one_hot(tf.gather(everything, i), tf.gather(every_label, i)))
    else:
        ds = tf.data.Dataset.from_tensor_slices((paths, labels))
        if shuffle:  # file names only: a few bytes each, so the whole list fits in the buffer
            ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=not cache)
        ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        ds = ds.filter(usable).map(drop_flag)
        if cache:
            ds = ds.cache(cache if isinstance(cache, str) else "")
            if shuffle:  # images in memory: mix them every epoch
                ds = ds.shuffle(min(shuffle_buffer, len(paths)), seed=seed + 1)
        ds = ds.batch(batch_size)
        ds = ds.map(to_float_and_one_hot, num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        augmenter = make_augmenter(seed)

        def augment_batch(images, labels):
            return augmenter(images, training=True), labels

        ds = ds.map(augment_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def training_datasets(folder: str | os.PathLike, image_size: int = IMAGE_SIZE, batch_size: int = 32,
                      validation_fraction: float = 0.2, seed: int = 0, *, augment: bool = True,
                      cache: bool | str = False,
                      strict: bool = False) -> tuple[tf.data.Dataset, tf.data.Dataset, list[str]]:
    """``(training dataset, validation dataset, class names)`` from one folder of classes.

    The split is :func:`split` of the file list (the same files as :func:`read_train_sets`
    holds out); the training pipeline shuffles and augments, the validation one does neither.
    """
    files = list_files(folder)
    if strict:
        _refuse_unusable(files)
    training, validation = split(files, validation_fraction, seed)
    train_ds = make_dataset(training, image_size, batch_size, training=True, augment=augment,
                            cache=cache, seed=seed)
    validation_ds = make_dataset(validation, image_size, batch_size, cache=cache, seed=seed)
    return train_ds, validation_ds, list(training.class_names)


# --------------------------------------------------------------------------------------------
# Command line: python -m helpers.data check DIR [--json] | download NAME [--dest DIR]
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data",
                                     description="Check a folder of images, or download a dataset.")
    commands = parser.add_subparsers(dest="command", required=True)
    from helpers.cli import SUBFOLDER_RULE

    check = commands.add_parser("check", help="decode every image of a dataset folder and report",
                                epilog=SUBFOLDER_RULE)
    check.add_argument("folder", type=Path, help="a folder with one sub-folder per class")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    get = commands.add_parser("download", help="download a dataset unless it is already there")
    get.add_argument("name", choices=sorted(datasets.REGISTRY), help="which dataset")
    get.add_argument("--dest", type=Path, default=None,
                     help=f"the data root (default: ${datasets.DATA_DIR_VARIABLE}, else data/ in the repository)")
    get.add_argument("--keep-archive", action="store_true", help="keep the downloaded archive")
    args = parser.parse_args(argv)

    try:
        if args.command == "check":
            report = scan(args.folder)
            print(json.dumps(report.to_dict(), indent=2) if args.json else report)
            if report.problems:
                print(f"error: {report.problems[0]}", file=sys.stderr)
                return 1
        else:
            datasets.download(args.name, args.dest, keep_archive=args.keep_archive)
    except (DatasetError, datasets.DownloadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; run the same command again to continue", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
