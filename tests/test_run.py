"""Tests of helpers.run, the run folder: only our own files are ever written or removed, a
full disk or a read-only folder is one line and loses no checkpoint, a corrupt model file is
named as corrupt.

Training runs use the tiny network of tests/_tiny_datasets (a few seconds each)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path

import keras
import pytest

import _tiny_datasets as tiny
from helpers import run
from helpers import train as T
from helpers.run import RunError

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

#: Files a user may well keep in a folder, with names close to the run folder's own or to the
#: temporary files of earlier versions (".*.tmp*").
TEMPTING = ["history.json", "state.json", "run.json.bak", ".env.tmpl", ".thesis.tmp.docx",
            ".model.123.tmp.keras", ".state.json.99.tmp", "notes.txt", ".train.lock.old",
            ".helpers-tmp-notes.txt", ".helpers-tmp-12-model.keras.bak", "logs.txt"]


def quick(**changes):
    return {"recipe": "original", "config": tiny.TINY_CONFIG, "epochs": 1, "batch_size": 8,
            "learning_rate": 1e-2, "verbose": 0, **changes}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    return tiny.make_shapes(tmp_path_factory.mktemp("data") / "shapes")


def put_user_files(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: f"the user's {name}, not ours".encode() for name in TEMPTING}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return files


def assert_untouched(folder: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        assert (folder / name).read_bytes() == content, name


# ---- names ------------------------------------------------------------------------------------


def test_temporary_names_are_ours_only():
    path = run.temporary_path(Path("/runs/a/model.keras"))
    assert path.parent == Path("/runs/a") and path.suffix == ".keras"
    assert run.is_temporary(path.name) and run.is_temporary(run.temporary_path(Path("state.json")).name)
    for name in TEMPTING + ["model.keras", "state.json", ".state.json.1.tmp"]:
        assert not run.is_temporary(name), name


def test_removing_temporaries_removes_ours_and_nothing_else(tmp_path):
    files = put_user_files(tmp_path)
    ours = [run.temporary_path(tmp_path / name) for name in ("model.keras", "run.json")]
    for path in ours:
        path.write_bytes(b"half a file")
    run.remove_temporaries(tmp_path)
    assert not any(path.exists() for path in ours)
    assert_untouched(tmp_path, files)


# ---- --out: never touching what is not ours -----------------------------------------------


def test_a_new_run_refuses_a_folder_with_files_of_yours_and_changes_none(shapes, tmp_path):
    out = tmp_path / "mine"
    files = put_user_files(out)
    with pytest.raises(RunError) as refused:
        T.train(shapes, out, **quick())
    message = str(refused.value)
    assert "not empty and not a run folder" in message and "\n" not in message
    assert sorted(os.listdir(out)) == sorted(TEMPTING)
    assert_untouched(out, files)


def test_files_of_yours_put_into_a_run_folder_survive_a_resume(shapes, tmp_path):
    out = tmp_path / "run"
    T.train(shapes, out, **quick(epochs=1))
    info = json.loads((out / "run.json").read_text())
    info["settings"]["epochs"] = 2  # as if it had been started for 2 epochs
    (out / "run.json").write_text(json.dumps(info))
    state = json.loads((out / "state.json").read_text())
    (out / "state.json").write_text(json.dumps({**state, "epochs": 2}))
    extra = {name: content for name, content in
             ((n, f"user file {n}".encode()) for n in TEMPTING) if name not in run.RUN_NAMES}
    for name, content in extra.items():
        (out / name).write_bytes(content)
    result = T.train(None, out, resume=True, verbose=0)
    assert result.history["epoch"] == [1, 2]
    assert_untouched(out, extra)


def test_an_empty_folder_or_a_new_one_is_fine(shapes, tmp_path):
    (tmp_path / "empty").mkdir()
    T.train(shapes, tmp_path / "empty", **quick())
    T.train(shapes, tmp_path / "new" / "deeper", **quick())
    assert (tmp_path / "new" / "deeper" / "model.keras").is_file()


def test_an_out_below_a_file_is_one_line(shapes, tmp_path):
    (tmp_path / "file").write_text("mine")
    for out in (tmp_path / "file", tmp_path / "file" / "sub"):
        with pytest.raises(RunError, match="is not a folder") as refused:
            T.train(shapes, out, **quick())
        assert "\n" not in str(refused.value)
    assert (tmp_path / "file").read_text() == "mine"


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, size: str, read_only: bool = False):
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or 'not root'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")


@needs_root
def test_a_read_only_out_is_one_line(shapes, tmp_path):
    with mounted_tmpfs(tmp_path / "ro", "1m", read_only=True) as folder:
        for out in (folder, folder / "run"):
            with pytest.raises(RunError) as refused:
                T.train(shapes, out, **quick())
            message = str(refused.value)
            assert "Read-only file system" in message and "\n" not in message, message


class FillTheDisk(keras.callbacks.Callback):
    """After the first epoch is committed, fill the disk up to its last byte."""

    def __init__(self, filler: Path) -> None:
        super().__init__()
        self.filler = filler

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            with open(self.filler, "wb") as file, contextlib.suppress(OSError):
                while True:
                    file.write(b"\0" * 65536)
                    file.flush()


@needs_root
def test_a_full_disk_keeps_the_last_good_checkpoint_and_resume_continues(shapes, tmp_path):
    with mounted_tmpfs(tmp_path / "small", "8m") as disk:
        out, filler = disk / "run", disk / "filler"
        with pytest.raises(RunError) as refused:
            T.train(shapes, out, callbacks=[FillTheDisk(filler)], **quick(epochs=3))
        message = str(refused.value)
        assert "cannot save epoch 2" in message and "no space left on the disk" in message
        assert "kept as it was after epoch 1" in message and "--resume" in message
        assert "\n" not in message
        state = json.loads((out / "state.json").read_text())
        assert state["epochs_done"] == 1
        last = run.load_model(out / "last.keras")  # whole, with its optimizer state
        assert int(last.optimizer.iterations) == state["optimizer_iterations"]
        assert not [name for name in os.listdir(out) if run.is_temporary(name)]

        filler.unlink()  # room again
        result = T.train(None, out, resume=True, verbose=0)
        assert result.history["epoch"] == [1, 2, 3]
        assert T.read_run(out)["status"] == "finished"


# ---- reading ----------------------------------------------------------------------------------


def test_a_corrupt_model_file_is_named_as_corrupt(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"PK\x03\x04 this is no longer a zip archive")
    with pytest.raises(RunError, match=r"model.keras: corrupt \(not a whole Keras model file\)"):
        run.load_model(path)
    with pytest.raises(RunError, match="model.keras: no such file"):
        run.load_model(tmp_path / "missing" / "model.keras")


def test_a_model_file_cut_short_is_corrupt(shapes, tmp_path):
    out = tmp_path / "run"
    T.train(shapes, out, **quick())
    whole = (out / "model.keras").read_bytes()
    (out / "model.keras").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(RunError, match="corrupt"):
        run.load_model(out / "model.keras")


def test_finished_state_and_new_state(tmp_path):
    assert run.finished_state(tmp_path) is None
    state = run.new_state(3)
    assert state["history"].keys() == set(run.HISTORY_KEYS) and state["epochs_done"] == 0
    run.write_json_atomically(tmp_path / "state.json", {**state, "epochs_done": 3})
    assert run.finished_state(tmp_path)["epochs_done"] == 3


def test_a_start_that_fails_removes_what_it_made_and_nothing_else(tmp_path):
    out = tmp_path / "new" / "run"
    made = run.prepare_new(out)
    assert made == [out, tmp_path / "new"]
    with pytest.raises(KeyboardInterrupt), run.lock(out), run.removed_unless_started(out, made):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the photos are read
    assert not (tmp_path / "new").exists()


def test_a_failed_start_keeps_the_folder_it_did_not_make_and_files_of_yours(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    made = run.prepare_new(out)
    assert made == []
    with pytest.raises(ValueError), run.lock(out), run.removed_unless_started(out, made):
        (out / "notes.txt").write_text("mine, written while it started")
        raise ValueError("no usable image")
    assert sorted(os.listdir(out)) == ["notes.txt"]


def test_a_started_run_keeps_its_folder_when_it_fails_later(tmp_path):
    out = tmp_path / "run"
    made = run.prepare_new(out)
    with pytest.raises(OSError), run.lock(out), run.removed_unless_started(out, made):
        run.write_json_atomically(out / run.RUN_FILE, {"status": "running"})
        raise OSError(28, "No space left on device")
    assert (out / run.RUN_FILE).is_file() and (out / run.LOCK_FILE).exists()


def test_the_model_file_given_for_the_run_folder_names_the_folder(tmp_path):
    model = tmp_path / "run" / "model.keras"
    model.parent.mkdir()
    model.write_bytes(b"PK")
    with pytest.raises(RunError, match=r"model.keras: a file, not a run folder; give the folder "
                                       r"that holds run.json and model.keras, e.g. .*run$"):
        run.read_run(model)


@pytest.mark.parametrize("text", ["5", "[{}]", "null", '"text"', '{"class_names": []}'])
def test_a_run_json_that_is_no_description_is_one_line(tmp_path, text):
    (tmp_path / run.RUN_FILE).write_text(text)
    with pytest.raises(RunError, match=r"run.json: not a run description \(it lacks .*image_size"):
        run.read_run(tmp_path)
