"""The run folder: what ``helpers.train`` writes and ``helpers.predict`` and ``helpers.evaluate`` read.

::

    run.json       class names, image size, preprocessing, recipe, settings, data, times, status
    model.keras    the model to predict with: the lowest validation loss so far, or the last
                   epoch in a run that keeps the last (``--keep last``)
    last.keras     the model after the last finished epoch, with its optimizer state (resume)
    state.json     where the run is: finished epochs, best epoch, early stopping (resume)
    history.json   per epoch: loss, accuracy, val_loss, val_accuracy, learning rate, images/s
    logs/          TensorBoard logs (with --tensorboard)
    .train.lock    held while a process trains the run

**Never touching what is not ours.** A new run goes into a folder that does not exist yet or
is empty; a folder holding anything else (a ``history.json`` of yours, notes, photos) is
refused with one line, and nothing in it is changed. The only files this module ever removes
are its own temporary files, whose names follow one pattern no one else's file has:
``.helpers-tmp-<process id>-<one of the names above>`` (:func:`is_temporary`).

**Atomic writes.** Every file is written to such a temporary file beside it and then renamed
over the old one (``os.replace``): a crash, a kill or a full disk during a write leaves the
previous version whole. (Keras's ``ModelCheckpoint`` and ``BackupAndRestore`` write into the
target file itself, so a crash there leaves half a file.) After an epoch, :func:`commit_epoch`
writes the next state to ``state.json.next``, then ``model.keras`` (if the epoch was the best),
then ``last.keras``, and last renames ``state.json.next`` to ``state.json``: that rename commits
the epoch. :func:`resume_state` takes the state whose optimizer step count matches
``last.keras``, so a crash between two renames costs at most that epoch.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Keras is imported only by the functions that save and load models
    import keras

RUN_FILE = "run.json"
MODEL_FILE = "model.keras"      # the kept epoch (lowest validation loss, or the last)
LAST_FILE = "last.keras"        # the last finished epoch, with the optimizer state
STATE_FILE = "state.json"
NEXT_STATE_FILE = "state.json.next"
HISTORY_FILE = "history.json"
LOG_FOLDER = "logs"
LOCK_FILE = ".train.lock"

#: Every name a run folder may hold besides temporary files.
RUN_NAMES = frozenset({RUN_FILE, MODEL_FILE, LAST_FILE, STATE_FILE, NEXT_STATE_FILE,
                       HISTORY_FILE, LOG_FOLDER, LOCK_FILE})

#: The preprocessing every run is trained with, recorded in run.json and checked by
#: ``helpers.predict``: change the version when ``helpers.images.preprocess`` changes.
PREPROCESSING = {
    "function": "helpers.images.load_for_model",
    "version": 1,
    "steps": "read_rgb (RGB) -> resize to image_size x image_size (INTER_AREA shrinking, "
             "INTER_LINEAR enlarging, aspect ratio not kept) -> float32 / 255 in [0, 1]",
}

_TEMPORARY_PREFIX = ".helpers-tmp-"
_TEMPORARY = re.compile(re.escape(_TEMPORARY_PREFIX) + r"\d+-("
                        + "|".join(re.escape(name) for name in sorted(RUN_NAMES)) + r")")


class RunError(ValueError):
    """A run folder that cannot be used as asked; the message is one line saying why."""


def shown_path(path: str | os.PathLike) -> str:
    """``path`` as messages show it: relative to the working folder when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return relative if len(relative) < len(str(path)) else str(path)


def os_error_text(error: OSError) -> str:
    """An ``OSError`` in one line: ``<file>: <what the system said>``."""
    what = error.strerror or str(error) or type(error).__name__
    if error.errno == errno.ENOSPC:
        what = "no space left on the disk"
    return f"{error.filename}: {what}" if error.filename else what


# ---- the folder -------------------------------------------------------------------------------


def temporary_path(path: Path) -> Path:
    """The temporary file ``path`` is written to before the rename (same folder, same suffix)."""
    return path.with_name(f"{_TEMPORARY_PREFIX}{os.getpid()}-{path.name}")


def is_temporary(name: str) -> bool:
    """True for the names of this module's temporary files, and only for them."""
    return _TEMPORARY.fullmatch(name) is not None


def remove_temporaries(run_dir: Path) -> None:
    """Remove the temporary files a run killed while writing left behind (ours only)."""
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(run_dir):
            if is_temporary(entry.name) and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)


def prepare_new(out: Path) -> list[Path]:
    """Make ``out`` ready for a new run, or refuse it (:class:`RunError`, one line).

    ``out`` may not exist yet (it is made, with its parents) or be an empty folder. A folder
    that already holds a run, or anything that is not ours, is refused and left untouched.
    Returns the folders it made, ``out`` first (for :func:`removed_unless_started`).
    """
    made = [path for path in (out, *out.parents) if not path.exists()]
    check_folder(out)
    if out.is_dir():
        names = sorted(os.listdir(out))
        if {RUN_FILE, LAST_FILE, MODEL_FILE} & set(names):
            raise RunError(f"{out}: already holds a run; continue it with --resume or choose "
                           "another --out")
        others = [name for name in names if name != LOCK_FILE and not is_temporary(name)]
        if others:
            raise RunError(f"{out}: not empty and not a run folder (it holds {others[0]}"
                           + (f" and {len(others) - 1} more" if len(others) > 1 else "")
                           + "); choose a new or empty folder for --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunError(f"{out}: cannot be made ({os_error_text(error)})") from None
    return made


@contextlib.contextmanager
def removed_unless_started(out: Path, made: Sequence[Path]) -> Iterator[None]:
    """When what runs inside fails before ``run.json`` is written (unusable data, Ctrl-C while
    the photos are read), remove what :func:`prepare_new` and :func:`lock` made: the lock file
    and the folders in ``made``, if they are empty. So a failed start leaves nothing behind."""
    try:
        yield
    except BaseException:
        if not (out / RUN_FILE).exists():
            with contextlib.suppress(OSError):
                (out / LOCK_FILE).unlink(missing_ok=True)
            for folder in made:  # out first, then the parents it needed
                try:
                    folder.rmdir()  # only an empty folder: anything else stays
                except OSError:
                    break
        raise


def check_folder(out: Path) -> None:
    """Refuse (:class:`RunError`) an ``out`` that is a file or lies below one."""
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                raise RunError(f"{out}: {'exists and is' if path == out else f'{path} is'} "
                               "not a folder")
            return


@contextlib.contextmanager
def lock(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``run_dir`` (the file ``.train.lock`` in it) while training.

    Two processes training one run folder at once would overwrite each other's checkpoints
    and history; the second one is refused with a one-line :class:`RunError`. The operating
    system releases the lock when the process ends, even when it is killed, so a crash never
    leaves a stale lock. (``fcntl`` locks; on Windows, which lacks them, the file is made but
    nothing is locked.)
    """
    try:
        import fcntl
    except ImportError:  # Windows
        (run_dir / LOCK_FILE).touch()
        yield
        return
    try:
        file = open(run_dir / LOCK_FILE, "a+", encoding="utf-8")
    except OSError as error:
        raise RunError(f"{run_dir}: cannot be written ({os_error_text(error)}); choose "
                       "another --out") from None
    with file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            raise RunError(f"{run_dir}: {holder} is training this run right now; wait for it "
                           "to finish, or choose another --out") from None
        file.seek(0)
        file.truncate()
        file.write(f"process {os.getpid()}")
        file.flush()
        try:
            yield
        finally:
            with contextlib.suppress(OSError):  # a full disk must not hide the real error
                file.seek(0)
                file.truncate()
            fcntl.flock(file, fcntl.LOCK_UN)


# ---- writing a file so that a crash never leaves half of it -----------------------------------


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; elsewhere a rename is as good as it gets)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, flush it to disk, rename it over
    ``path``. Until the rename ``path`` keeps its previous content; on any error (or a kill)
    the temporary file is removed and ``path`` is left whole."""
    tmp = temporary_path(path)  # same suffix as path (Keras wants .keras)
    try:
        write(tmp)
        with open(tmp, "rb") as file:
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_json_atomically(path: str | os.PathLike, value: Any) -> None:
    """Write ``value`` as JSON to a temporary file beside ``path``, then rename it over ``path``."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as file:
            json.dump(value, file, indent=1)
            file.write("\n")

    _replace_atomically(Path(path), write)


def save_model_atomically(model: keras.Model, path: str | os.PathLike) -> None:
    """``model.save(path)`` through a temporary ``.keras`` file beside it and ``os.replace``.

    Until the rename, ``path`` keeps its previous content: an exception (or a kill) during the
    save leaves it whole. The file holds the architecture, the weights and, for a compiled
    model, the optimizer with its state (step count, moments).
    """
    _replace_atomically(Path(path), model.save)


def load_model(path: Path, compile: bool = True) -> keras.Model:
    """A ``.keras`` file in safe mode (no code in it is ever run); a missing, corrupt or foreign
    file is a one-line :class:`RunError` that names it."""
    import keras

    if not path.is_file():
        raise RunError(f"{path}: no such file")
    if not _whole_zip(path):  # a .keras file is a zip archive; this one is cut or damaged
        raise RunError(f"{path}: corrupt (not a whole Keras model file); train the run again")
    try:
        return keras.models.load_model(path, safe_mode=True, compile=compile)
    except Exception as error:  # a foreign model, or code that safe mode refuses to run
        lines = str(error).strip().splitlines()
        raise RunError(f"{path}: cannot be loaded "
                       f"({lines[0] if lines else type(error).__name__})") from None


def in_float32(model: keras.Model) -> keras.Model:
    """``model`` computing in float32: a model trained with mixed precision (bfloat16 layers,
    ``helpers.train --precision``) is rebuilt from its configuration with float32 layers and the
    same weights, so that its predictions do not depend on the machine or on the path (one photo
    or a batch, a sub-model for Grad-CAM). A float32 model is returned as it is."""
    import keras

    changed = False

    def to_float32(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, dict):
            if value.get("class_name") == "DTypePolicy" and value.get("config", {}).get("name") != "float32":
                changed = True
                return {**value, "config": {**value["config"], "name": "float32"}}
            return {key: to_float32(item) for key, item in value.items()}
        if isinstance(value, list):
            return [to_float32(item) for item in value]
        return value

    config = to_float32(model.get_config())
    if not changed:
        return model
    copy = model.__class__.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def _whole_zip(path: Path) -> bool:
    """True when ``path`` is a zip archive whose every member passes its CRC check."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


# ---- reading ----------------------------------------------------------------------------------


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def read_run(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The run's ``run.json`` as a dict; :class:`RunError` when there is none or it is broken."""
    run_dir = Path(run_dir)
    if run_dir.is_file():  # e.g. --model run/model.keras
        raise RunError(f"{run_dir}: a file, not a run folder; give the folder that holds "
                       f"{RUN_FILE} and {MODEL_FILE}, e.g. {run_dir.parent}")
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: no such run folder")
    try:
        info = read_json(run_dir / RUN_FILE)
    except FileNotFoundError:
        raise RunError(f"{run_dir}: not a run folder (no {RUN_FILE}); make one with "
                       f"python -m helpers.train --train DIR --out {run_dir}") from None
    except (OSError, ValueError) as error:
        raise RunError(f"{run_dir / RUN_FILE}: unreadable ({error})") from None
    needed = {"class_names", "image_size", "preprocessing", "settings"}
    if not isinstance(info, dict) or not needed <= set(info):
        found = set(info) if isinstance(info, dict) else set()
        raise RunError(f"{run_dir / RUN_FILE}: not a run description (it lacks "
                       f"{', '.join(sorted(needed - found))})")
    return info


def read_history(run_dir: str | os.PathLike) -> dict[str, list]:
    """The per-epoch metrics of a run (``history.json``) for ``plots.plot_training_history``."""
    path = Path(run_dir) / HISTORY_FILE
    try:
        return read_json(path)
    except FileNotFoundError:
        raise RunError(f"{path}: no history yet (the run has not finished an epoch)") from None


def check_preprocessing(run_dir: Path, info: dict[str, Any]) -> None:
    """Refuse a run trained with a preprocessing other than the one this code does."""
    used = info["preprocessing"]
    if (used.get("function"), used.get("version")) != (PREPROCESSING["function"],
                                                       PREPROCESSING["version"]):
        raise RunError(f"{run_dir}: trained with preprocessing {used.get('function')} "
                       f"version {used.get('version')}, but this code prepares images "
                       f"with {PREPROCESSING['function']} version {PREPROCESSING['version']}")


def best_model_path(run_dir: Path) -> Path:
    """``run_dir/model.keras``, or :class:`RunError` when the run has not finished an epoch."""
    path = run_dir / MODEL_FILE
    if not path.exists():
        raise RunError(f"{run_dir}: no {MODEL_FILE} yet (the run has not finished an epoch)")
    return path


# ---- the state of training, for resuming ------------------------------------------------------


HISTORY_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate",
                "train_seconds", "images_per_second")


def new_state(epochs: int) -> dict[str, Any]:
    """The state of a run before its first epoch (what ``state.json`` holds)."""
    return {"epochs_done": 0, "epochs": epochs, "optimizer_iterations": 0, "best_epoch": None,
            "best_val_loss": None, "kept_epoch": None, "early_stopping": {"wait": 0, "best": None},
            "stopped_early": False, "training_seconds": 0.0,
            "history": {key: [] for key in HISTORY_KEYS}}


def commit_epoch(run_dir: Path, state: dict[str, Any], model: keras.Model, best: bool) -> None:
    """Save an epoch in the order that makes it all-or-nothing (see the module docstring)."""
    write_json_atomically(run_dir / NEXT_STATE_FILE, state)  # this epoch's journal
    if best:
        save_model_atomically(model, run_dir / MODEL_FILE)
    save_model_atomically(model, run_dir / LAST_FILE)
    os.replace(run_dir / NEXT_STATE_FILE, run_dir / STATE_FILE)  # the commit
    _fsync_dir(run_dir)
    write_json_atomically(run_dir / HISTORY_FILE, state["history"])


def resume_state(run_dir: Path, iterations: int, commit: bool = True) -> dict[str, Any]:
    """The state that belongs to ``last.keras``, whose optimizer has taken ``iterations`` steps:
    ``state.json``, or ``state.json.next`` when a crash came after ``last.keras`` was replaced
    but before the state was (that state is then committed now, unless ``commit`` is False)."""
    for name in (NEXT_STATE_FILE, STATE_FILE):
        try:
            state = read_json(run_dir / name)
        except (OSError, ValueError):  # missing, or a journal cut short by the crash
            continue
        if isinstance(state, dict) and state.get("optimizer_iterations") == iterations:
            if name == NEXT_STATE_FILE and commit:
                os.replace(run_dir / NEXT_STATE_FILE, run_dir / STATE_FILE)
                write_json_atomically(run_dir / HISTORY_FILE, state["history"])
            return state
    raise RunError(f"{run_dir}: {LAST_FILE} (after {iterations} steps) matches no saved state; "
                   "it cannot be resumed, start a new run")


def finished_state(run_dir: Path) -> dict[str, Any] | None:
    """The committed state when the run is finished (all epochs, or stopped early), else None."""
    try:
        state = read_json(run_dir / STATE_FILE)
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    if state.get("stopped_early") or state.get("epochs_done", 0) >= state.get("epochs", 1):
        return state
    return None
