"""Training on several devices or machines: the cluster description, local workers, the batch.

Appendix A1 trains one network three ways: on one device, with ``MirroredStrategy`` over two
logical CPU devices of one process, and with ``MultiWorkerMirroredStrategy`` over two worker
processes. This module holds what the last two need:

- :func:`logical_cpus` splits the CPU into logical devices (call it before any TensorFlow work);
- :func:`free_ports`, :func:`local_addresses` and :func:`tf_config` describe a cluster the way
  ``TF_CONFIG`` does: ``{"cluster": {"worker": ["host0:port", ...]}, "task": {"type": "worker",
  "index": i}}``, the same on every worker except ``index``;
- :func:`start_local_workers` starts the workers of such a cluster on this machine, each a
  ``python -m helpers.scaling`` process with its own ``TF_CONFIG``, and :func:`wait_for_workers`
  waits for them;
- :func:`per_replica_batch` and :func:`scaled_learning_rate`: what the batch and the learning
  rate become when the batch is shared out;
- :func:`multi_worker_strategy` makes the ``MultiWorkerMirroredStrategy`` of ``TF_CONFIG`` and
  calls :func:`mend_keras_fit`, which mends two places where Keras 3's ``fit`` fails under it
  (up to Keras 3.15 at least, keras-team/keras#20585). Before the first step Keras takes one
  batch to learn the input's shapes and averages it over the workers, which fails with a
  ``ValueError``; the mended version reads the shapes from the dataset's ``element_spec``
  instead, without starting the dataset (taking a batch early, even only this worker's share,
  made the two workers train on other batches than one process does). After every step Keras
  averages the metrics over the workers along axis 0, which scalars lack (another
  ``ValueError``); the mended version averages them as scalars. Without a strategy, Keras's own
  code runs; under ``MirroredStrategy`` the mended code gives the same results as Keras's.

The worker itself (``python -m helpers.scaling --train DIR --out DIR ...``) makes a
``MultiWorkerMirroredStrategy`` from ``TF_CONFIG`` first and then calls
:func:`helpers.train.train` with it: the same call as on one machine. On real machines one
starts the same command on each, with ``TF_CONFIG`` naming the machines instead of 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

#: The repository folder (the one that holds ``helpers/``): workers start there.
ROOT = Path(__file__).resolve().parent.parent


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` different TCP ports that are free on ``host`` right now (the system picks them)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
    sockets = []
    try:
        for _ in range(count):  # keep each open until all are chosen, so none repeats
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def local_addresses(count: int) -> list[str]:
    """``count`` worker addresses on this machine, ``["127.0.0.1:PORT", ...]``, at free ports."""
    return [f"127.0.0.1:{port}" for port in free_ports(count)]


def tf_config(addresses: Sequence[str], index: int) -> dict[str, Any]:
    """The ``TF_CONFIG`` of worker ``index`` of the cluster ``addresses`` (``"host:port"`` each).

    Worker 0 is the chief: it writes the run folder. Set it with
    ``os.environ["TF_CONFIG"] = json.dumps(tf_config(addresses, i))`` before the strategy is made.
    """
    addresses = list(addresses)
    if not addresses or not all(isinstance(a, str) and a.rpartition(":")[2].isdigit() for a in addresses):
        raise ValueError(f"addresses must be 'host:port' strings, got {addresses!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(addresses):
        raise ValueError(f"index must be a worker number from 0 to {len(addresses) - 1}, got {index!r}")
    return {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}


def logical_cpus(count: int) -> list[str]:
    """Split the first CPU into ``count`` logical devices; return their names ("/cpu:0", ...).

    A way to try ``MirroredStrategy(devices)`` without GPUs. It must run before TensorFlow uses
    any device (before the first tensor is made): afterwards TensorFlow refuses the change.
    """
    import tensorflow as tf

    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    except RuntimeError:
        raise RuntimeError("logical_cpus must be called before TensorFlow's first tensor; "
                           "restart the kernel and call it first") from None
    return [f"/cpu:{i}" for i in range(count)]


def per_replica_batch(global_batch: int, replicas: int) -> int:
    """The images each replica (device or worker) gets of a global batch: global_batch / replicas.

    ``train(batch_size=...)`` is always the global batch; with 2 replicas, 32 is 16 each.
    """
    for name, value in (("global_batch", global_batch), ("replicas", replicas)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    if global_batch % replicas:
        raise ValueError(f"a global batch of {global_batch} does not split evenly over "
                         f"{replicas} replicas; use a multiple of {replicas}")
    return global_batch // replicas


def scaled_learning_rate(learning_rate: float, batch: int, new_batch: int) -> float:
    r"""The linear scaling rule: $\eta' = \eta \cdot B' / B$ when the global batch goes from B to B'.

    One update then moves the weights about as far as the B'/B smaller updates it replaces.
    A starting point for large batches (with a warm-up), not a law.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be above 0, got {learning_rate!r}")
    for name, value in (("batch", batch), ("new_batch", new_batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return learning_rate * new_batch / batch


def multi_worker_strategy():
    """``tf.distribute.MultiWorkerMirroredStrategy()`` for the cluster in ``TF_CONFIG``, with
    Keras's ``fit`` mended for it (see the module docstring). Call it before any other
    TensorFlow work: the strategy starts this worker's server and waits for the others."""
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    mend_keras_fit()
    return strategy


def _is_multi_worker(strategy) -> bool:
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def mend_keras_fit() -> None:
    """Replace the two functions of Keras's ``fit`` that fail under ``MultiWorkerMirroredStrategy``
    (see the module docstring); calling it again does nothing. Then ``fit`` across workers sees
    the same batches, in the same order, as without a strategy."""
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer, "_course_mended", False):
        return
    symbolic_build = trainer.TensorFlowTrainer._maybe_symbolic_build
    reduce_per_replica = trainer.reduce_per_replica

    def build_from_element_spec(self, iterator=None, data_batch=None):
        if iterator is None or self._distribute_strategy is None:
            return symbolic_build(self, iterator, data_batch)
        spec = iterator.data_adapter.get_tf_dataset().element_spec  # shapes, not a batch
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=spec)

    def mean_over_workers(values, strategy, reduction):
        if reduction in ("auto", "mean") and _is_multi_worker(strategy):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    trainer.TensorFlowTrainer._maybe_symbolic_build = build_from_element_spec
    trainer.reduce_per_replica = mean_over_workers
    trainer._course_mended = True


# ---- local workers -------------------------------------------------------------------------


@dataclass
class LocalWorker:
    """One worker process started by :func:`start_local_workers`."""

    index: int
    process: subprocess.Popen
    log: Path  # its stdout and stderr
    weights: Path | None  # where it saves its final weights (.npz), if asked


#: How a worker is started: this module run by this Python.
WORKER_LAUNCHER = (sys.executable, "-m", "helpers.scaling")


def worker_command(train_dir: str | os.PathLike, out: str | os.PathLike,
                   weights: str | os.PathLike | None = None,
                   launcher: Sequence[str] = WORKER_LAUNCHER, **settings: Any) -> list[str]:
    """The command line of one worker: ``python -m helpers.scaling --train ... --out ...``.

    ``settings`` are :func:`helpers.train.train`'s (epochs, batch_size, learning_rate, seed,
    image_size, val_split, recipe, resume, precision, keep, and ``config``, a ``ModelConfig``). ``launcher``
    replaces ``python -m helpers.scaling`` by a script that calls :func:`main` itself.
    """
    command = [*launcher, "--train", str(train_dir), "--out", str(out)]
    if weights is not None:
        command += ["--weights", str(weights)]
    for name, value in settings.items():
        if value is None or value is False:
            continue
        if name not in WORKER_SETTINGS:
            raise ValueError(f"{name} is not a setting a worker takes; "
                             f"use one of {', '.join(sorted(WORKER_SETTINGS))}")
        flag = "--" + name.replace("_", "-")
        if value is True:
            command.append(flag)
        elif name == "config":
            command += [flag, json.dumps(value.to_dict())]
        else:
            command += [flag, str(value)]
    return command


def start_local_workers(train_dir: str | os.PathLike, out: str | os.PathLike, count: int = 2, *,
                        log_dir: str | os.PathLike, save_weights: bool = False,
                        extra_env: dict[str, str] | None = None,
                        launcher: Sequence[str] = WORKER_LAUNCHER, **settings: Any) -> list[LocalWorker]:
    """Start ``count`` workers of one cluster on this machine; each trains into run folder ``out``.

    Each is ``python -m helpers.scaling`` with ``TF_CONFIG`` for its index (127.0.0.1, free
    ports); its output goes to ``log_dir/worker-<i>.log`` and, with ``save_weights``, its final
    weights to ``log_dir/worker-<i>.npz``. ``extra_env``: more environment variables for every
    worker; ``launcher``: see :func:`worker_command`. Returns at once: see :func:`wait_for_workers`.
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    addresses = local_addresses(count)
    workers = []
    for index in range(count):
        weights = log_dir / f"worker-{index}.npz" if save_weights else None
        env = dict(os.environ, TF_CONFIG=json.dumps(tf_config(addresses, index)),
                   TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                   **(extra_env or {}))
        log = log_dir / f"worker-{index}.log"
        with open(log, "w", encoding="utf-8") as output:
            process = subprocess.Popen(worker_command(train_dir, out, weights, launcher, **settings), cwd=ROOT,
                                       env=env, stdout=output, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        workers.append(LocalWorker(index, process, log, weights))
    return workers


def wait_for_workers(workers: Sequence[LocalWorker], timeout: float = 600) -> None:
    """Wait until every worker has finished; raise ``RuntimeError`` naming the first that failed
    (with the end of its log), after stopping the others, or when ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    try:
        while any(w.process.poll() is None for w in workers):
            failed = [w for w in workers if w.process.poll() not in (None, 0)]
            if failed:
                raise RuntimeError(_failure(failed[0]))
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers did not finish within {timeout:g} s; "
                                   f"their logs are in {workers[0].log.parent}")
            time.sleep(0.2)
        failed = [w for w in workers if w.process.returncode != 0]
        if failed:
            raise RuntimeError(_failure(failed[0]))
    finally:
        stop_workers(workers)


def stop_workers(workers: Sequence[LocalWorker]) -> None:
    """Kill every worker that is still running and wait for it."""
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def _failure(worker: LocalWorker) -> str:
    lines = worker.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    last = lines[-1] if lines else "(no output)"
    return (f"worker {worker.index} failed (exit code {worker.process.returncode}): {last} "
            f"(whole log: {worker.log})")


# ---- the worker ----------------------------------------------------------------------------

#: The settings of helpers.train.train a worker passes on, with their types.
WORKER_SETTINGS = {"epochs": int, "batch_size": int, "learning_rate": float, "seed": int,
                   "image_size": int, "val_split": float, "recipe": str, "resume": bool,
                   "config": str, "precision": str, "keep": str}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.scaling",
        description="One worker of a MultiWorkerMirroredStrategy cluster described by the "
                    "environment variable TF_CONFIG: trains like python -m helpers.train.")
    parser.add_argument("--train", required=True, help="the training folder (one sub-folder per class)")
    parser.add_argument("--out", required=True, help="the run folder, the same for every worker")
    parser.add_argument("--weights", help="save this worker's final weights here (.npz)")
    for name, kind in WORKER_SETTINGS.items():
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            parser.add_argument(flag, action="store_true")
        else:
            parser.add_argument(flag, type=kind)
    return parser


def main(argv: Sequence[str] | None = None, callbacks: Sequence[Any] = ()) -> int:
    """Run one worker; ``callbacks`` go to ``fit`` (tests slow a run down with one)."""
    args = build_parser().parse_args(argv)
    try:
        json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    except (KeyError, TypeError, ValueError):
        print("error: TF_CONFIG must be set to this worker's cluster and index, e.g. "
              '{"cluster": {"worker": ["host0:12345", "host1:12345"]}, "task": {"type": "worker", '
              '"index": 0}}', file=sys.stderr)
        return 2
    strategy = multi_worker_strategy()  # before any other TensorFlow work

    import numpy as np

    from helpers.model import ModelConfig
    from helpers.train import train

    settings = {name: getattr(args, name) for name in WORKER_SETTINGS}
    if settings["config"] is not None:
        settings["config"] = ModelConfig.from_dict(json.loads(settings["config"]))
    result = train(args.train, args.out, strategy=strategy, verbose=2, callbacks=callbacks, **settings)
    if args.weights:
        np.savez(args.weights, *[np.asarray(w) for w in result.model.get_weights()])
    print(f"worker {strategy.cluster_resolver.task_id} of {strategy.num_replicas_in_sync}: done, "
          f"{result.history['epoch'][-1] if result.history['epoch'] else 0} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
