"""Checkers for the exercises of appendix A1 (training on several devices and machines).

Each checker calls the learner's function on several cases, compares with ``helpers.scaling``
and either prints one line with a check mark or raises :class:`~helpers.check.ExerciseError`
saying which case is off, what came back, what was expected and what the slip looks like.

    from helpers.check import scaling as check
    check.scaled_learning_rate(scaled_learning_rate)   # Exercise A1.1
    check.worker_tf_config(worker_tf_config)           # Exercise A1.2
    check.decode_seconds(decode_seconds)               # Exercise A1.3
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from helpers import scaling
from helpers.check import call_safely, report

# --------------------------------------------------------------------------------------------
# Exercise A1.1: the linear scaling rule
# --------------------------------------------------------------------------------------------

#: (learning rate, global batch, new global batch) for the checker.
LEARNING_RATE_CASES = [(1e-3, 32, 64), (1e-3, 32, 256), (3e-4, 64, 32), (0.01, 16, 16), (2e-3, 128, 512)]


def scaled_learning_rate(func: Callable[[float, int, int], Any]) -> None:
    """Exercise A1.1: ``func(lr, batch, new_batch)`` is lr × new_batch / batch."""
    problems = []
    for lr, batch, new_batch in LEARNING_RATE_CASES:
        got, problem = call_safely(func, lr, batch, new_batch)
        if problem:
            problems.append(problem)
            break
        expected = scaling.scaled_learning_rate(lr, batch, new_batch)
        try:
            value = float(got)
        except (TypeError, ValueError):
            problems.append(f"for lr={lr}, batch={batch}, new_batch={new_batch} you returned {got!r}; "
                            f"expected a number, {expected:g}")
            continue
        if not math.isclose(value, expected, rel_tol=1e-9):
            slip = ""
            if math.isclose(value, lr * batch / new_batch, rel_tol=1e-9):
                slip = " (the ratio is upside down: a larger batch gets a larger rate)"
            elif math.isclose(value, lr * math.sqrt(new_batch / batch), rel_tol=1e-9):
                slip = " (that is the square-root rule; this exercise asks for the linear one)"
            problems.append(f"for lr={lr}, batch={batch}, new_batch={new_batch} you returned {value:g}; "
                            f"expected {expected:g}{slip}")
    report("Exercise A1.1", problems, "Twice the global batch, twice the learning rate.",
           hint="one update with the new batch replaces new_batch / batch updates with the old one")


# --------------------------------------------------------------------------------------------
# Exercise A1.2: TF_CONFIG for one worker
# --------------------------------------------------------------------------------------------

#: (hosts, port, index) for the checker.
TF_CONFIG_CASES = [(["host0", "host1"], 12345, 0), (["host0", "host1"], 12345, 1),
                   (["10.0.0.5", "10.0.0.6", "10.0.0.7"], 2222, 2), (["solo"], 5000, 0)]


def worker_tf_config(func: Callable[[list[str], int, int], Any]) -> None:
    """Exercise A1.2: ``func(hosts, port, index)`` is the TF_CONFIG dict of worker ``index``."""
    problems = []
    for hosts, port, index in TF_CONFIG_CASES:
        got, problem = call_safely(func, list(hosts), port, index)
        if problem:
            problems.append(problem)
            break
        expected = scaling.tf_config([f"{host}:{port}" for host in hosts], index)
        if got == expected:
            continue
        case = f"for hosts={hosts}, port={port}, index={index}"
        if not isinstance(got, dict):
            problems.append(f"{case} you returned a {type(got).__name__}; expected a dict (json.dumps "
                            "turns it into the text of TF_CONFIG)")
        elif got.get("cluster") != expected["cluster"]:
            problems.append(f"{case} your 'cluster' is {got.get('cluster')!r}; expected "
                            f"{expected['cluster']!r} (every worker, 'host:port', the same list on each)")
        else:
            problems.append(f"{case} your 'task' is {got.get('task')!r}; expected {expected['task']!r} "
                            "(the type 'worker' and this worker's index, a number)")
    report("Exercise A1.2", problems, "Set it with os.environ['TF_CONFIG'] = json.dumps(...) on each machine.",
           hint="{'cluster': {'worker': ['host0:12345', ...]}, 'task': {'type': 'worker', 'index': i}}")


# --------------------------------------------------------------------------------------------
# Exercise A1.3: decoding time per epoch when every worker reads every photo
# --------------------------------------------------------------------------------------------

#: (photos, images per second of one worker's pipeline, workers, sharding) for the checker.
DECODE_CASES = [(25_000, 666.0, 2, "DATA"), (25_000, 666.0, 2, "FILE"), (25_000, 666.0, 4, "DATA"),
                (1_000, 500.0, 4, "FILE"), (1_000, 500.0, 1, "DATA")]


def expected_decode_seconds(photos: int, images_per_second: float, workers: int, sharding: str) -> float:
    """DATA: every worker decodes every photo and keeps its share; FILE: each decodes its share."""
    return photos / images_per_second / (workers if sharding == "FILE" else 1)


def decode_seconds(func: Callable[[int, float, int, str], Any]) -> None:
    """Exercise A1.3: ``func(photos, images_per_second, workers, sharding)`` in seconds."""
    problems = []
    for photos, speed, workers, sharding in DECODE_CASES:
        got, problem = call_safely(func, photos, speed, workers, sharding)
        if problem:
            problems.append(problem)
            break
        expected = expected_decode_seconds(photos, speed, workers, sharding)
        try:
            value = float(got)
        except (TypeError, ValueError):
            value = None
        if value is None or not math.isclose(value, expected, rel_tol=1e-6):
            case = f"for {photos} photos at {speed:g} images/s, {workers} workers, {sharding} sharding"
            slip = ""
            if value is not None and sharding == "DATA" and math.isclose(value, expected / workers, rel_tol=1e-6):
                slip = (" (with DATA sharding every worker decodes every photo and throws away the "
                        "others' share: more workers do not shorten it)")
            elif value is not None and sharding == "FILE" and math.isclose(value, expected * workers, rel_tol=1e-6):
                slip = " (with FILE sharding each worker reads only its share of the files)"
            problems.append(f"{case} you returned {got!r}; expected {expected:.4g} s{slip}")
    report("Exercise A1.3", problems, "The data side has to be split as well as the batch.",
           hint="seconds = photos decoded by one worker / images per second")
