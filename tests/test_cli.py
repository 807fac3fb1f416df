"""Tests of the command lines (helpers.cli): arguments read before TensorFlow loads, numbers
refused by the parser, no TensorFlow C++ lines, one line and a non-zero exit for every failure
(divergence, Ctrl-C, a corrupt model, an --out of yours), one rule for sub-folders.

The commands run in subprocesses, as a user runs them, on the tiny shapes of
tests/_tiny_datasets."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import _imagefactory as factory
import _tiny_datasets as tiny
from helpers import cli
from helpers import train as T

REPO = Path(__file__).resolve().parents[1]
TINY = ["--recipe", "original", "--image-size", str(tiny.SIZE), "--batch-size", "8"]
#: What TensorFlow's C++ code writes: absl's notice and glog-style lines (I0000 00:00:... file.cc:1]).
NATIVE_LINE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d)|"
                         r"oneDNN|cuda|cpu_feature_guard", re.MULTILINE)


def command(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout, env=environment)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    return tiny.make_shapes(tmp_path_factory.mktemp("data") / "shapes")


@pytest.fixture(scope="module")
def trained(shapes, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("runs") / "run"
    result = command("helpers.train", "--train", str(shapes), "--out", str(out), "--epochs", "1",
                     *TINY)
    assert result.returncode == 0, result.stderr
    return out, result


def one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert lines and lines[-1].startswith("error: "), result.stderr
    return lines[-1]


# ---- start: arguments first, TensorFlow later and quiet -----------------------------------------


@pytest.mark.parametrize("name", ["helpers.train", "helpers.predict", "helpers.evaluate"])
def test_help_does_not_import_tensorflow(name):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", name, "--help"],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0 and "usage: python -m " + name in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert not {"tensorflow", "keras", "cv2"} & imported
    assert "sub-folders are reported and not read" in " ".join(result.stdout.split())


@pytest.mark.parametrize("args, message", [
    (["--lr", "nan"], "argument --lr: expected a finite number above 0, got nan"),
    (["--lr", "inf"], "argument --lr: expected a finite number above 0, got inf"),
    (["--lr=-1e-3"], "argument --lr: expected a finite number above 0, got -1e-3"),
    (["--seed", "-5"], "argument --seed: expected a whole number of at least 0, got -5"),
    (["--image-size", "1"], "argument --image-size: expected a whole number of at least 16, got 1"),
    (["--epochs", "2.5"], "argument --epochs: expected a whole number, got '2.5'"),
    (["--val-split", "1"], "argument --val-split: expected a finite number from 0 and below 1, got 1"),
    (["--val-split=-0.1"], "argument --val-split: expected a finite number from 0 and below 1, got -0.1"),
    (["--val-split", "nan"], "argument --val-split: expected a finite number from 0 and below 1, got nan"),
])
def test_numbers_that_make_no_sense_are_refused_by_the_parser(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.train_command(["--train", "x", "--out", "y", *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(message)


def test_the_parsers_know_the_recipes_and_the_smallest_image():
    assert cli.RECIPE_NAMES == tuple(T.RECIPES)
    assert cli.MIN_IMAGE_SIZE == T.MIN_IMAGE_SIZE


def test_no_tensorflow_line_from_any_command(trained, shapes):
    out, training = trained
    predicting = command("helpers.predict", "--model", str(out), str(shapes / "circles"))
    evaluating = command("helpers.evaluate", "--model", str(out), str(shapes))
    for result in (training, predicting, evaluating):
        assert result.returncode == 0, result.stderr
        assert not NATIVE_LINE.search(result.stderr), result.stderr
    assert training.stderr == "" and "best epoch 1: val_loss" in training.stdout
    assert predicting.stdout.count("circles_") == 12  # make_shapes: 12 per class


# ---- failures: one line, non-zero ----------------------------------------------------------------


def test_early_stopping_without_validation_is_refused_in_one_line(shapes, tmp_path):
    out = tmp_path / "all"
    result = command("helpers.train", "--train", str(shapes), "--out", str(out), "--val-split", "0",
                     "--early-stopping", "3", *TINY)
    assert result.returncode != 0
    assert "early stopping watches the validation loss, and a validation split of 0 leaves none" \
        in one_error_line(result)
    assert not out.exists()


def test_a_diverging_run_stops_with_advice_and_a_non_zero_exit(shapes, tmp_path):
    out = tmp_path / "diverged"
    result = command("helpers.train", "--train", str(shapes), "--out", str(out), "--epochs", "3",
                     "--lr", "1e30", *TINY)
    assert result.returncode == 2
    line = one_error_line(result)
    assert "training diverged: the loss became nan in epoch 1 (no epoch was saved)" in line
    assert "smaller learning rate, e.g. --lr 1e+29" in line
    assert T.read_run(out)["status"] == "diverged"
    assert not (out / "model.keras").exists() and "Epoch 2/3" not in result.stdout


def test_an_out_holding_files_of_yours_is_refused_in_one_line(shapes, tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "history.json").write_text("my own history")
    result = command("helpers.train", "--train", str(shapes), "--out", str(out), *TINY)
    assert result.returncode == 2
    assert "not empty and not a run folder (it holds history.json)" in one_error_line(result)
    assert (out / "history.json").read_text() == "my own history"
    assert os.listdir(out) == ["history.json"]


def test_an_impossible_out_is_one_line(shapes, tmp_path):
    (tmp_path / "file").write_text("x")
    result = command("helpers.train", "--train", str(shapes), "--out", str(tmp_path / "file" / "run"),
                     *TINY)
    assert result.returncode == 2 and "is not a folder" in one_error_line(result)


def test_a_corrupt_model_is_named_as_corrupt(trained, shapes, tmp_path):
    out, _ = trained
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("run.json", "model.keras"):
        (copy / name).write_bytes((out / name).read_bytes())
    whole = (copy / "model.keras").read_bytes()
    (copy / "model.keras").write_bytes(whole[:1000])
    for args in (["helpers.predict", "--model", str(copy), str(shapes / "circles")],
                 ["helpers.evaluate", "--model", str(copy), str(shapes)]):
        result = command(*args)
        assert result.returncode == 2
        assert re.search(r"model\.keras: corrupt \(not a whole Keras model file\)",
                         one_error_line(result))


def test_subfolders_and_special_files_are_reported_and_not_read(trained, shapes, tmp_path):
    out, _ = trained
    folder = tmp_path / "photos"
    factory.write_png(folder / "a.png")
    factory.write_png(folder / "nested" / "b.png")
    (folder / "up").symlink_to("..")  # a folder link that would loop if it were followed
    (folder / "loop.png").symlink_to("loop.png")
    os.mkfifo(folder / "pipe.png")
    result = command("helpers.predict", "--model", str(out), str(folder), timeout=120)
    assert result.returncode == 1  # loop.png is unusable
    assert "a.png:" in result.stdout and "b.png" not in result.stdout
    assert "nested/: a sub-folder, not read" in result.stderr
    assert "up/: a sub-folder, not read" in result.stderr
    assert "pipe.png: not a regular file" in result.stderr
    assert re.search(r"error: .*loop\.png: cannot be opened \(.*symbolic links", result.stderr)


def sigint_as_in_a_terminal() -> None:
    """In the child, before Python starts: Ctrl-C's signal back to its default. A background job
    of a non-interactive shell (`bash .ci/run &`) inherits SIGINT ignored, and Python then
    installs no KeyboardInterrupt handler, so the tests below would test nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until_tensorflow_loads(process: subprocess.Popen, timeout: float = 60) -> None:
    """Until the child has begun to load TensorFlow's library (Linux: it shows in its memory
    map), which the commands import inside their Ctrl-C handling; a fixed sleep could come
    earlier than that on a busy machine. Elsewhere: one second."""
    maps = Path(f"/proc/{process.pid}/maps")
    if not maps.exists():
        time.sleep(1.0)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if "tensorflow" in maps.read_text(errors="replace"):
                return
        time.sleep(0.02)


def test_ctrl_c_is_a_short_message_with_the_resume_command(shapes, tmp_path):
    out = tmp_path / "interrupted"
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "helpers.train", "--train", str(shapes), "--out", str(out),
         "--epochs", "500", *TINY], cwd=REPO, env=environment, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=sigint_as_in_a_terminal)
    try:
        deadline = time.monotonic() + 180
        while not (out / "state.json").exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"interrupted; continue with: python -m helpers.train --out {out} --resume")
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"


def test_ctrl_c_in_predict_is_one_line(trained, shapes):
    out, _ = trained
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "helpers.predict", "--model", str(out), str(shapes / "circles")],
        cwd=REPO, env=environment, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=sigint_as_in_a_terminal)
    wait_until_tensorflow_loads(process)  # in the middle of loading TensorFlow
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("predict finished before the interrupt came")
    assert process.returncode == 130 and "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "interrupted; run the same command again to start over"]


def test_data_check_states_the_same_rule_for_sub_folders():
    result = command("helpers.data", "check", "--help")
    assert result.returncode == 0
    assert cli.SUBFOLDER_RULE.split(":")[0] in " ".join(result.stdout.split())


# ---- run_safely: one line per kind of failure ---------------------------------------------------


def test_a_closed_pipe_ends_quietly_not_as_an_os_error(capsys):
    def work() -> int:
        raise BrokenPipeError(32, "Broken pipe")  # `... | head` went away

    assert cli.run_safely(work, lambda: "interrupted") == 141
    assert capsys.readouterr().err == ""


def test_other_os_errors_are_one_line_and_status_1(capsys):
    def work() -> int:
        raise OSError(28, "No space left on device", "run/last.keras")

    assert cli.run_safely(work, lambda: "interrupted") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: run/last.keras: ")


def test_ctrl_c_while_tensorflow_loads_is_the_short_message(capsys):
    # what TensorFlow's C++ module loading turns Ctrl-C into
    def work() -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise ImportError("initialization failed") from interrupt

    assert cli.run_safely(work, lambda: "interrupted; nothing to continue") == 130
    assert capsys.readouterr().err == "\ninterrupted; nothing to continue\n"


def test_an_unexpected_error_is_not_swallowed():
    def work() -> int:
        raise RuntimeError("a bug of ours")

    with pytest.raises(RuntimeError, match="a bug of ours"):
        cli.run_safely(work, lambda: "interrupted")
