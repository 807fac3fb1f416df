"""helpers.scaling, and a real multi-worker run: two worker processes on 127.0.0.1 train through
helpers.train with MultiWorkerMirroredStrategy.

The two-worker tests start real processes (free ports, a TF_CONFIG each) on a small generated
folder of shapes and check what the README promises: both workers end with the same weights,
only the chief (worker 0) writes the run folder, the result is that of one process training on
the same global batch (within float rounding: the gradients are summed in another order), and a
run killed on one worker resumes from the shared run folder.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import _tiny_datasets as tiny
from helpers import scaling
from helpers.model import ModelConfig

TESTS = Path(__file__).resolve().parent
#: A worker that records what it writes (see tests/_recording_worker.py).
RECORDING = (sys.executable, str(TESTS / "_recording_worker.py"))
#: Two epochs of the tiny network; 48 training images in global batches of 8: 6 steps an epoch.
# float32: one device and two must give the same numbers, closer than bfloat16 layers compute
SETTINGS = dict(config=tiny.TINY_CONFIG, batch_size=8, learning_rate=1e-2, seed=0, precision="float32")
STEPS = math.ceil(48 / 8)
#: Largest difference allowed between a weight of the two-worker run and of one process. The
#: sum of two half-batch gradients differs from the whole batch's in the last bits of float32;
#: after 12 AdamW steps the weights differ by at most 8.8e-6 (measured on 2 CPU cores); 1e-3
#: leaves room for other CPUs and stays far below what one step moves a weight (the learning
#: rate, 1e-2). Training and validation metrics: the same 1e-3.
WEIGHT_TOLERANCE = 1e-3


# ---- the pieces ------------------------------------------------------------------------------


def test_free_ports_are_different_and_can_be_bound():
    ports = scaling.free_ports(3)
    assert len(set(ports)) == 3 and all(1024 <= port < 65536 for port in ports)
    with pytest.raises(ValueError, match="count must be a whole number"):
        scaling.free_ports(0)


def test_tf_config_lists_the_cluster_and_names_this_worker():
    addresses = scaling.local_addresses(2)
    assert all(a.startswith("127.0.0.1:") for a in addresses)
    config = scaling.tf_config(addresses, 1)
    assert config == {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": 1}}
    assert json.loads(json.dumps(config)) == config
    with pytest.raises(ValueError, match="index must be a worker number from 0 to 1"):
        scaling.tf_config(addresses, 2)
    with pytest.raises(ValueError, match="host:port"):
        scaling.tf_config(["localhost"], 0)


def test_the_global_batch_is_shared_out_and_the_learning_rate_scales_with_it():
    assert scaling.per_replica_batch(64, 2) == 32
    assert scaling.per_replica_batch(32, 1) == 32
    with pytest.raises(ValueError, match="does not split evenly over 3 replicas"):
        scaling.per_replica_batch(32, 3)
    assert scaling.scaled_learning_rate(1e-3, 32, 64) == pytest.approx(2e-3)
    assert scaling.scaled_learning_rate(1e-3, 32, 16) == pytest.approx(5e-4)
    with pytest.raises(ValueError, match="learning_rate must be above 0"):
        scaling.scaled_learning_rate(0, 32, 64)


def test_a_worker_command_passes_the_settings_on(tmp_path):
    command = scaling.worker_command("data", tmp_path / "run", tmp_path / "w.npz", epochs=2,
                                     resume=True, config=tiny.TINY_CONFIG, seed=None)
    assert command[:3] == [sys.executable, "-m", "helpers.scaling"]
    assert command[command.index("--epochs") + 1] == "2" and "--resume" in command
    assert "--seed" not in command
    config = json.loads(command[command.index("--config") + 1])
    assert ModelConfig.from_dict(config) == tiny.TINY_CONFIG
    parsed = scaling.build_parser().parse_args(command[3:])
    assert (parsed.train, parsed.epochs, parsed.resume, parsed.weights) == ("data", 2, True, str(tmp_path / "w.npz"))
    with pytest.raises(ValueError, match="tensorboard is not a setting a worker takes"):
        scaling.worker_command("data", "run", tensorboard=True)


def test_a_worker_without_tf_config_says_what_is_missing(monkeypatch, capsys):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert scaling.main(["--train", "data", "--out", "run"]) == 2
    assert "TF_CONFIG must be set" in capsys.readouterr().err


def test_a_failed_worker_is_reported_with_the_end_of_its_log(tmp_path):
    workers = scaling.start_local_workers(tmp_path / "missing", tmp_path / "run", 2, log_dir=tmp_path / "logs",
                                          epochs=1, **SETTINGS)
    with pytest.raises(RuntimeError, match=r"worker \d failed \(exit code 1\): .*missing"):
        scaling.wait_for_workers(workers, timeout=120)
    assert all(w.process.poll() is not None for w in workers), "the other worker must be stopped"


# ---- two workers, for real --------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """60 pictures of three shapes: 48 to train on, 12 to validate (the default 20 % split)."""
    return tiny.make_shapes(tmp_path_factory.mktemp("shapes"), per_class=20)


def weights_of(path: Path) -> list[np.ndarray]:
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def writes_into(out: Path, log_dir: Path, index: int) -> list[Path]:
    """What worker ``index`` wrote, renamed or removed inside the run folder ``out``. (Making
    ``out`` itself is not counted: every worker makes sure the folder exists.)"""
    paths = [Path(p) for p in json.loads((log_dir / f"writes-{index}.json").read_text())]
    return [p for p in paths if p.is_relative_to(out) and p != out]


def start(shapes, out, log_dir, **settings):
    return scaling.start_local_workers(shapes, out, 2, log_dir=log_dir, save_weights=True, launcher=RECORDING,
                                       extra_env={"RECORD_WRITES": str(log_dir / "writes"),
                                                  **settings.pop("extra_env", {})},
                                       **SETTINGS, **settings)


@pytest.fixture(scope="module")
def two_workers(shapes, tmp_path_factory):
    """A two-epoch run by two workers: the run folder and the workers' log folder."""
    root = tmp_path_factory.mktemp("multi_worker")
    (root / "tmp").mkdir()  # the workers' TMPDIR: worker 1's scratch folder must be gone at the end
    workers = start(shapes, root / "run", root / "logs", epochs=2, extra_env={"TMPDIR": str(root / "tmp")})
    scaling.wait_for_workers(workers, timeout=300)
    return root / "run", root / "logs"


def test_multi_worker_run_ends_with_the_same_weights_on_both_workers(two_workers):
    out, logs = two_workers
    first, second = weights_of(logs / "worker-0.npz"), weights_of(logs / "worker-1.npz")
    assert len(first) == len(second) > 0
    assert all(np.array_equal(a, b) for a, b in zip(first, second)), "the workers' weights differ"
    for index in (0, 1):
        log = (logs / f"worker-{index}.log").read_text()
        assert f"worker {index} of 2: done, 2 epochs" in log, log[-2000:]
        assert f"{STEPS}/{STEPS}" in log, "each worker takes every step of the global batches"


def test_multi_worker_run_folder_is_written_by_the_chief_only(two_workers):
    out, logs = two_workers
    assert {p.name for p in out.iterdir()} >= {"run.json", "state.json", "history.json", "model.keras", "last.keras"}
    chief, other = writes_into(out, logs, 0), writes_into(out, logs, 1)
    assert {p.name for p in chief} >= {"run.json", "state.json", "last.keras", "model.keras"}
    assert other == [], f"worker 1 wrote into the run folder: {other}"
    assert list((out.parent / "tmp").iterdir()) == [], "a worker left its scratch folder behind"
    assert "training beside the chief worker" in (logs / "worker-1.log").read_text()
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["data"]["steps_per_epoch"] == STEPS


def test_multi_worker_run_matches_one_process_on_the_same_global_batch(two_workers, shapes, tmp_path):
    import keras

    from helpers import train as T

    out, logs = two_workers
    single = T.train(shapes, tmp_path / "single", epochs=2, verbose=0, **SETTINGS)
    together = keras.models.load_model(out / "last.keras", safe_mode=True)
    worst = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(together.get_weights(), single.model.get_weights()))
    assert worst <= WEIGHT_TOLERANCE, f"the two-worker weights differ from one process's by up to {worst:.2e}"
    assert all(np.array_equal(a, b) for a, b in zip(together.get_weights(), weights_of(logs / "worker-0.npz")))
    history = json.loads((out / "history.json").read_text())
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert history[key] == pytest.approx(single.history[key], abs=WEIGHT_TOLERANCE), key
    assert int(together.optimizer.iterations) == int(single.model.optimizer.iterations) == 2 * STEPS


def test_multi_worker_run_killed_on_one_worker_resumes_from_the_shared_run_folder(shapes, tmp_path):
    out, logs = tmp_path / "run", tmp_path / "logs"
    workers = start(shapes, out, logs, epochs=3, extra_env={"SLOW_FROM_EPOCH": "2"})
    try:
        deadline = time.monotonic() + 180
        while not (out / "state.json").exists():  # the chief has committed epoch 1
            assert all(w.process.poll() is None for w in workers), (logs / "worker-0.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint after 180 s"
            time.sleep(0.05)
        workers[1].process.send_signal(signal.SIGKILL)  # one machine fails in epoch 2
        assert workers[1].process.wait(timeout=30) == -signal.SIGKILL
    finally:
        scaling.stop_workers(workers)  # the job is restarted as a whole, the chief too
    before = json.loads((out / "state.json").read_text())
    assert before["epochs_done"] == 1

    for path in logs.iterdir():
        path.rename(path.with_name("first-" + path.name))
    resumed = start(shapes, out, logs, resume=True)  # settings come from the run folder
    scaling.wait_for_workers(resumed, timeout=300)
    for index in (0, 1):
        log = (logs / f"worker-{index}.log").read_text()
        assert "resuming" in log and "after epoch 1 of 3" in log and "Epoch 1/3" not in log, log[-2000:]
    first, second = weights_of(logs / "worker-0.npz"), weights_of(logs / "worker-1.npz")
    assert all(np.array_equal(a, b) for a, b in zip(first, second)), "the resumed workers' weights differ"
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2, 3] and history["loss"][0] == before["history"]["loss"][0]
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and [s["from_epoch"] for s in info["sessions"]] == [1, 2]
    assert json.loads((out / "state.json").read_text())["optimizer_iterations"] == 3 * STEPS
    assert writes_into(out, logs, 1) == [] and writes_into(out, logs, 0)


# ---- one process, two devices: MirroredStrategy with the mended fit ---------------------------

MIRRORED = """
import json, sys
sys.path.insert(0, sys.argv[3])
from helpers import scaling
devices = scaling.logical_cpus(2)  # before any other TensorFlow work
import tensorflow as tf
import _tiny_datasets as tiny
from helpers import train as T

tf.zeros(1)  # TensorFlow is initialised now
try:
    scaling.logical_cpus(3)
except RuntimeError as error:
    late = str(error)
scaling.mend_keras_fit()
scaling.mend_keras_fit()  # a second call changes nothing
settings = dict(config=tiny.TINY_CONFIG, batch_size=8, learning_rate=1e-2, seed=0, epochs=2, verbose=0,
                precision="float32")
one = T.train(sys.argv[1], sys.argv[2] + "/one", **settings)
two = T.train(sys.argv[1], sys.argv[2] + "/two", strategy=tf.distribute.MirroredStrategy(devices), **settings)
print(json.dumps({"devices": devices, "late": late, "one": one.history["loss"], "two": two.history["loss"]}))
"""


def test_mended_fit_under_mirrored_strategy_still_matches_one_device(shapes, tmp_path):
    # mend_keras_fit replaces Keras's code for every strategy; under MirroredStrategy (two
    # logical CPUs of one process, as in appendix A1) the result must stay one device's.
    result = subprocess.run([sys.executable, "-c", MIRRORED, str(shapes), str(tmp_path), str(TESTS)],
                            capture_output=True, text=True, timeout=300, cwd=scaling.ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["devices"] == ["/cpu:0", "/cpu:1"]
    assert "before TensorFlow's first tensor" in report["late"]
    assert report["two"] == pytest.approx(report["one"], abs=WEIGHT_TOLERANCE)
