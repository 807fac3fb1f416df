"""The course's datasets: where they live, where they come from, and a download that cannot break.

Every dataset ends up in the course's layout, one folder per class in two splits::

    <data root>/<name>/training_data/<class>/*.jpg
    <data root>/<name>/testing_data/<class>/*.jpg

**Where** (:func:`data_root`): an explicit argument, else the ``COURSE_DATA_DIR`` environment
variable, else ``data/`` in the repository. CI sets ``COURSE_DATA_DIR`` to a shared read-only
copy of the photos; :func:`download` then finds them complete and writes nothing.

**What** (:data:`REGISTRY`): a name, the archive's URL, which folders inside the archive become
which class of which split, and how many images each must hold at least. A sha256 checksum of
the archive is checked when the registry knows it; the layout and the counts always are.

**How** (:func:`download`), each step guarding against one way downloads go wrong:

1. Already there and complete? Say so and stop (nothing is written).
2. Fetch the archive into ``<name>.zip.part`` with a progress bar on stderr. A transfer cut
   off midway is resumed with an HTTP ``Range`` request (or restarted when the server does not
   resume), and only a transfer that delivered every byte is renamed to ``<name>.zip``: a
   ``.part`` file is never taken for complete. No network: one clear line, not a traceback.
3. Check the archive: every member's name is looked at first, and an archive with a member
   that would land outside the destination (``../x``, ``/etc/x``, ``C:\\x``) or that is a
   link is refused whole, before anything is written ("zip slip").
4. Extract the members we need into a temporary folder next to the destination, rename them
   into the course layout, check the counts, then move the folder into place with one atomic
   rename: a half-extracted dataset never sits where the course looks for it.

This module does not import TensorFlow: ``make data`` must be quick.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import stat
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TextIO

from helpers.env import repo_root
from helpers.images import is_image_name

#: The environment variable that points at the data root.
DATA_DIR_VARIABLE = "COURSE_DATA_DIR"
#: The dataset the course uses unless told otherwise.
DEFAULT_DATASET = "cats-dogs"
TRAINING = "training_data"
TESTING = "testing_data"


class DownloadError(RuntimeError):
    """A dataset could not be downloaded or installed; the message is one line saying why."""


class UnsafeArchiveError(DownloadError):
    """An archive holds a member that would be written outside the destination, or a link."""


# --------------------------------------------------------------------------------------------
# Where the data is
# --------------------------------------------------------------------------------------------


def data_root(explicit: str | os.PathLike | None = None) -> Path:
    """The folder that holds the datasets: ``explicit``, else ``$COURSE_DATA_DIR``, else ``<repo>/data``."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    from_environment = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if from_environment:
        return Path(from_environment).expanduser()
    return repo_root() / "data"


def dataset_dir(name: str = DEFAULT_DATASET, root: str | os.PathLike | None = None) -> Path:
    """The folder of one dataset: ``data_root(root) / name``, e.g. ``data/cats-dogs``."""
    return data_root(root) / name


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One folder inside the archive that becomes one class of the course's layout.

    ``folder`` is its path inside the archive; a single extra top folder in front of it is
    allowed (GitHub's archives wrap everything in ``<repo>-<branch>/``). ``split`` is
    ``training_data`` or ``testing_data``; ``None`` splits the folder by file number, the last
    ``test_fraction`` of the dataset going to ``testing_data``.
    """

    folder: str
    class_name: str
    split: str | None


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset the course can download: where from, how to map it, what to expect."""

    name: str
    url: str
    description: str
    sources: tuple[Source, ...]
    #: the least number of image files each class must hold, per split
    min_counts: dict[str, int] = field(default_factory=dict)
    #: hex sha256 of the archive when known; the layout and counts are checked either way
    sha256: str | None = None
    #: for sources with ``split=None``: the fraction (by file number, the highest) kept for testing
    test_fraction: float = 0.1

    @property
    def class_names(self) -> list[str]:
        return sorted({source.class_name for source in self.sources})

    @property
    def archive_name(self) -> str:
        """The file name the archive is saved under, e.g. ``cats-dogs.zip``."""
        path = urllib.parse.urlparse(self.url).path.lower()
        for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"):
            if path.endswith(suffix):
                return self.name + suffix
        return self.name + ".archive"


_TUTORIAL = "Tensorflow-tutorials/tutorial-2-image-classifier"

REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in [
    DatasetSpec(
        name="cats-dogs",
        url="https://github.com/sankit1/cv-tricks.com/archive/refs/heads/master.zip",
        description="The original tutorial's photos (Kaggle Dogs vs. Cats): 500 cats and 500 dogs "
                    "for training and at least 100 of each for testing (its archive holds 200).",
        sources=(
            Source(f"{_TUTORIAL}/training_data/cats", "cats", TRAINING),
            Source(f"{_TUTORIAL}/training_data/dogs", "dogs", TRAINING),
            Source(f"{_TUTORIAL}/testing_data/cats", "cats", TESTING),
            Source(f"{_TUTORIAL}/testing_data/dogs", "dogs", TESTING),
        ),
        # The archive holds 200 test images per class; the course's shared copy keeps 100.
        min_counts={TRAINING: 500, TESTING: 100},
    ),
    DatasetSpec(
        name="cats_and_dogs_filtered",
        url="https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
        description="Google's filtered Kaggle subset: 1,000 cats and 1,000 dogs for training, "
                    "500 of each for validation (used here as testing_data).",
        sources=(
            Source("cats_and_dogs_filtered/train/cats", "cats", TRAINING),
            Source("cats_and_dogs_filtered/train/dogs", "dogs", TRAINING),
            Source("cats_and_dogs_filtered/validation/cats", "cats", TESTING),
            Source("cats_and_dogs_filtered/validation/dogs", "dogs", TESTING),
        ),
        min_counts={TRAINING: 1000, TESTING: 500},
    ),
    DatasetSpec(
        name="petimages",
        url="https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/"
            "kagglecatsanddogs_5340.zip",
        description="Microsoft's full Kaggle cats-vs-dogs set, 12,500 photos per class, some of "
                    "them corrupt (about 800 MB). The highest-numbered 10% of each class become "
                    "testing_data.",
        sources=(
            Source("PetImages/Cat", "cats", None),
            Source("PetImages/Dog", "dogs", None),
        ),
        min_counts={TRAINING: 11_000, TESTING: 1_200},
        test_fraction=0.1,
    ),
]}


def get_spec(name: str) -> DatasetSpec:
    """The registry entry called ``name``; a ``KeyError`` listing the known names otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


# --------------------------------------------------------------------------------------------
# Is it there?
# --------------------------------------------------------------------------------------------


def count_image_files(folder: Path) -> int:
    """How many files in ``folder`` (not below it) have an image extension and are not hidden."""
    with os.scandir(folder) as entries:
        return sum(1 for entry in entries if entry.is_file() and is_image_name(entry.name))


def layout_problems(folder: str | os.PathLike, spec: DatasetSpec) -> list[str]:
    """Every way ``folder`` differs from a complete copy of ``spec`` ([] when complete).

    Complete means: for each split and class, ``folder/<split>/<class>/`` exists and holds at
    least ``spec.min_counts[split]`` image files. Only names are counted here, nothing is
    decoded: ``python -m helpers.data check`` is the deep look.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} is not a folder"]
    problems = []
    for split, minimum in spec.min_counts.items():
        for class_name in spec.class_names:
            class_folder = folder / split / class_name
            if not class_folder.is_dir():
                problems.append(f"{class_folder} is missing")
                continue
            count = count_image_files(class_folder)
            if count < minimum:
                problems.append(f"{class_folder} holds {count} images, expected at least {minimum}")
    return problems


def is_present(name: str | DatasetSpec = DEFAULT_DATASET, root: str | os.PathLike | None = None) -> bool:
    """True when the dataset is in ``data_root(root)`` and complete."""
    spec = name if isinstance(name, DatasetSpec) else get_spec(name)
    return not layout_problems(dataset_dir(spec.name, root), spec)


# --------------------------------------------------------------------------------------------
# Download with resume
# --------------------------------------------------------------------------------------------


class _ProgressBar:
    """``cats-dogs.zip  42% [########..........]  12.3/29.0 MB  3.1 MB/s`` on one line of stderr.

    When stderr is not a terminal (CI logs, papermill), one line per 10% (or per 10 MB when the
    size is unknown) instead of a line redrawn with carriage returns.
    """

    def __init__(self, label: str, total: int | None, done: int = 0, stream: TextIO | None = None):
        self.label, self.total, self.done = label, total, done
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started, self.start_bytes = time.monotonic(), done
        self.last_drawn, self.last_step = 0.0, -1

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.interactive:
            if now - self.last_drawn >= 0.1:
                self.last_drawn = now
                self.stream.write("\r" + self._line(now))
                self.stream.flush()
        else:
            step = self.done * 10 // self.total if self.total else self.done // 10_000_000
            if step != self.last_step:
                self.last_step = step
                self.stream.write(self._line(now) + "\n")
                self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\r" + self._line(time.monotonic()) + "\n")
            self.stream.flush()

    def _line(self, now: float) -> str:
        speed = (self.done - self.start_bytes) / max(now - self.started, 1e-6) / 1e6
        size = f"{self.done / 1e6:.1f}" + (f"/{self.total / 1e6:.1f}" if self.total else "") + " MB"
        if not self.total:
            return f"{self.label}  {size}  {speed:.1f} MB/s"
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * int(20 * fraction) + "." * (20 - int(20 * fraction))
        return f"{self.label}  {fraction:4.0%} [{bar}]  {size}  {speed:.1f} MB/s"


def _is_offline(error: urllib.error.URLError) -> bool:
    """True for failures to reach the server at all: no network, no DNS, refused, timed out."""
    return isinstance(error.reason, OSError)  # socket.gaierror, ConnectionRefusedError, ...


def _content_range_start(header: str | None) -> int | None:
    """``bytes 100-999/1000`` -> 100."""
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", header or "")
    return int(match.group(1)) if match else None


def _total_size(response: http.client.HTTPResponse, offset: int) -> int | None:
    """The full size of the file, from Content-Range (a resumed transfer) or Content-Length."""
    match = re.match(r"bytes \d+-\d+/(\d+)", response.headers.get("Content-Range") or "")
    if match:
        return int(match.group(1))
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def fetch(url: str, target: str | os.PathLike, *, retries: int = 3, timeout: float = 30.0,
          progress: bool = True, stream: TextIO | None = None) -> Path:
    """Download ``url`` to ``target``, through ``target.part``, resuming after a cut.

    Bytes arrive in ``<target>.part``. A transfer that breaks off (connection reset, time-out,
    fewer bytes than announced) is continued with ``Range: bytes=<have>-``; a server that
    answers the whole file (200) or cannot satisfy the range (416) makes us start again from 0.
    Only when every announced byte is there is ``.part`` renamed to ``target``. A ``.part``
    left by an earlier, interrupted run is resumed the same way.
    Raises :class:`DownloadError` (one line) when offline, on an HTTP error, or after
    ``retries`` failed continuations.
    """
    target = Path(target)
    part = target.with_name(target.name + ".part")
    last_problem = ""
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": "cnn-course-downloader"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
                resumed = have > 0 and response.status == 206 \
                    and _content_range_start(response.headers.get("Content-Range")) == have
                offset = have if resumed else 0
                total = _total_size(response, offset)
                bar = _ProgressBar(target.name, total, offset, stream) if progress else None
                with open(part, "ab" if resumed else "wb") as out:
                    _copy(response, out, bar)
                if bar:
                    bar.close()
        except urllib.error.HTTPError as error:
            if error.code == 416 and have:  # our .part is no prefix of what the server has
                part.unlink()
                last_problem = "the server could not resume"
                continue
            raise DownloadError(f"cannot download {url}: HTTP {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            if _is_offline(error):
                host = urllib.parse.urlparse(url).netloc
                raise DownloadError(
                    f"cannot reach {host} ({_reason(error.reason)}): is this computer offline?"
                ) from None
            raise DownloadError(f"cannot download {url}: {_reason(error.reason)}") from None
        except (http.client.HTTPException, ConnectionError, TimeoutError) as error:
            # the connection broke during the transfer (reset, time-out, cut): continue from here
            last_problem = _reason(error)
            got = part.stat().st_size if part.exists() else 0
            print(f"connection lost after {got / 1e6:.1f} MB ({last_problem}); resuming",
                  file=stream or sys.stderr)
            time.sleep(min(0.5 * attempt, 3.0))
            continue
        except OSError as error:  # on our side: disk full, no permission
            raise DownloadError(f"cannot write {part}: {_reason(error.strerror or error)}") from None
        size = part.stat().st_size
        if total is not None and size != total:
            last_problem = f"got {size} of {total} bytes"
            continue
        os.replace(part, target)
        return target
    raise DownloadError(f"download of {url} did not complete after {retries + 1} attempts "
                        f"({last_problem}); run the same command again to resume")


def _copy(response: BinaryIO, out: BinaryIO, bar: _ProgressBar | None, chunk: int = 1 << 16) -> None:
    while block := response.read(chunk):
        out.write(block)
        if bar:
            bar.update(len(block))


def _reason(reason: object) -> str:
    text = str(reason) or type(reason).__name__
    return " ".join(text.split())


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Safe extraction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    name: str
    kind: str  # "file", "dir" or what else it is ("symlink", "hardlink", "device", ...)
    open: Callable[[], BinaryIO]


def _zip_members(archive: zipfile.ZipFile) -> Iterator[_Member]:
    for info in archive.infolist():
        mode = info.external_attr >> 16  # Unix mode bits, when the zip was made on Unix
        if stat.S_ISLNK(mode):
            kind = "symlink"
        elif info.is_dir():
            kind = "dir"
        else:
            kind = "file"
        yield _Member(info.filename, kind, lambda info=info: archive.open(info))


def _tar_members(archive: tarfile.TarFile) -> Iterator[_Member]:
    for info in archive.getmembers():
        if info.isfile():
            kind = "file"
        elif info.isdir():
            kind = "dir"
        elif info.issym():
            kind = "symlink"
        elif info.islnk():
            kind = "hardlink"
        else:
            kind = "device or fifo"
        yield _Member(info.name, kind, lambda info=info: archive.extractfile(info))


def _unsafe_reason(member: _Member) -> str | None:
    """Why writing this member could land outside the destination, or None when it is safe."""
    name = member.name
    if member.kind not in ("file", "dir"):
        return f"is a {member.kind}"
    if "\x00" in name:
        return "has a NUL byte in its name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "has an absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "climbs out with '..'"
    return None


def _open_archive(path: Path):
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        return archive, list(_zip_members(archive))
    if tarfile.is_tarfile(path):
        archive = tarfile.open(path)
        return archive, list(_tar_members(archive))
    raise DownloadError(f"{path} is neither a zip nor a tar archive (an error page? a cut transfer?)")


def _number_key(name: str) -> tuple[int, str]:
    """``cat.9.jpg`` before ``cat.10.jpg``: sort by the last number in the file name."""
    numbers = re.findall(r"\d+", PurePosixPath(name).stem)
    return (int(numbers[-1]) if numbers else -1, name)


def plan_extraction(names: list[str], spec: DatasetSpec) -> dict[str, str]:
    """Which archive member goes where: ``{member name: "split/class/file name"}``.

    Only image files directly inside a source folder are taken (``Thumbs.db``, ``.DS_Store``,
    ``._x`` and the rest stay behind). Sources without a split are divided by file number.
    """
    plan: dict[str, str] = {}
    unsplit: dict[str, list[str]] = {}
    for name in names:
        path = PurePosixPath(name)
        if not is_image_name(path.name):
            continue
        parent = str(path.parent)
        for source in spec.sources:
            if parent == source.folder or parent.split("/", 1)[-1] == source.folder:
                if source.split is None:
                    unsplit.setdefault(source.class_name, []).append(name)
                else:
                    plan[name] = f"{source.split}/{source.class_name}/{path.name}"
                break
    for class_name, members in unsplit.items():
        members.sort(key=_number_key)
        n_test = round(len(members) * spec.test_fraction)
        for i, name in enumerate(members):
            split = TESTING if i >= len(members) - n_test else TRAINING
            plan[name] = f"{split}/{class_name}/{PurePosixPath(name).name}"
    return plan


def extract_dataset(archive_path: str | os.PathLike, spec: DatasetSpec, destination: str | os.PathLike) -> int:
    """Extract the members of ``spec`` from the archive into ``destination`` in the course layout.

    Every member is checked before anything is written; one unsafe member refuses the whole
    archive with :class:`UnsafeArchiveError`. Returns the number of files written.
    """
    archive_path, destination = Path(archive_path), Path(destination)
    try:
        archive, members = _open_archive(archive_path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
        raise DownloadError(f"{archive_path} is corrupt ({_reason(error)})") from None
    with archive:
        for member in members:
            why = _unsafe_reason(member)
            if why:
                raise UnsafeArchiveError(
                    f"refusing {archive_path.name}: member {member.name!r} {why}")
        plan = plan_extraction([m.name for m in members if m.kind == "file"], spec)
        by_name = {m.name: m for m in members}
        root = destination.resolve()
        for name, relative in plan.items():
            target = (destination / relative).resolve()
            if root not in target.parents:  # the plan builds paths from our names; belt and braces
                raise UnsafeArchiveError(f"refusing {archive_path.name}: {name!r} would leave {destination}")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with by_name[name].open() as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
            except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as error:
                raise DownloadError(f"{archive_path} is corrupt at {name!r} ({_reason(error)})") from None
    return len(plan)


# --------------------------------------------------------------------------------------------
# Download: all of it together
# --------------------------------------------------------------------------------------------


def download(name: str | DatasetSpec = DEFAULT_DATASET, dest: str | os.PathLike | None = None, *,
             progress: bool = True, retries: int = 3, timeout: float = 30.0,
             keep_archive: bool = False, stream: TextIO | None = None) -> Path:
    """Make sure dataset ``name`` is complete in ``data_root(dest) / name``; return that folder.

    ``dest`` is the data root (the folder that holds the datasets), not the dataset folder.
    When the dataset is there and complete, prints "already there" and writes nothing. When a
    folder of that name is there but incomplete, refuses to touch it (it may be your own data).
    Otherwise fetches, verifies and extracts as the module docstring describes; the archive is
    deleted afterwards unless ``keep_archive``. Messages go to ``stream`` (default stdout),
    the progress bar to stderr. Raises :class:`DownloadError` with a one-line message.
    """
    spec = name if isinstance(name, DatasetSpec) else get_spec(name)
    out = stream if stream is not None else sys.stdout
    root = data_root(dest)
    target = root / spec.name
    if target.exists():
        problems = layout_problems(target, spec)
        if not problems:
            print(f"{spec.name}: already there in {target}", file=out)
            return target
        raise DownloadError(f"{target} exists but is not a complete {spec.name} ({problems[0]}); "
                            "move it away or delete it, then run again")

    downloads = root / ".downloads"
    try:
        downloads.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot write to {root} ({_reason(error.strerror or error)}); "
                            f"choose another folder with --dest or {DATA_DIR_VARIABLE}") from None
    archive = downloads / spec.archive_name
    if not archive.exists():
        print(f"{spec.name}: downloading {spec.url}", file=out)
        try:
            fetch(spec.url, archive, retries=retries, timeout=timeout, progress=progress)
        except DownloadError as error:
            raise DownloadError(f"{error} Download {spec.name} elsewhere and put it in {target}, "
                                f"or point {DATA_DIR_VARIABLE} at a folder that has it.") from None
    if spec.sha256 and sha256_of(archive) != spec.sha256.lower():
        archive.unlink()
        raise DownloadError(f"{spec.name}: the archive's sha256 does not match the registry; "
                            "it was deleted, run again to download it anew")

    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=root))
    try:
        try:
            count = extract_dataset(archive, spec, staging / spec.name)
        except DownloadError:  # corrupt or unsafe: never use this archive again
            archive.unlink(missing_ok=True)
            raise
        problems = layout_problems(staging / spec.name, spec)
        if problems:
            raise DownloadError(f"the archive of {spec.name} does not hold what the registry "
                                f"expects: {problems[0]}")
        os.rename(staging / spec.name, target)  # atomic: the dataset appears complete or not at all
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not keep_archive:
        archive.unlink(missing_ok=True)
        try:
            downloads.rmdir()
        except OSError:
            pass  # not empty: something else is kept there
    print(f"{spec.name}: {count} images in {target}", file=out)
    return target
