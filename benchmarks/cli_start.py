"""How fast the commands answer before any work: ``--help``, a usage error, and the first line.

    .venv/bin/python benchmarks/cli_start.py [--repeats 5]

For ``helpers.train``, ``helpers.predict`` and ``helpers.evaluate``: the wall time of
``--help`` and of a usage error (``--lr nan`` for train, a missing argument for the others),
each the median of ``--repeats`` fresh processes. Target: under 1.5 s each, because the
commands read their arguments before TensorFlow loads (``helpers.cli``). For comparison, the
time of ``import tensorflow, keras`` alone, with the number of lines TensorFlow's C++ code
writes to stderr when nothing keeps them off the terminal.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    ("train --help", ["-m", "helpers.train", "--help"]),
    ("train --lr nan", ["-m", "helpers.train", "--train", "x", "--out", "y", "--lr", "nan"]),
    ("predict --help", ["-m", "helpers.predict", "--help"]),
    ("predict (no --model)", ["-m", "helpers.predict", "photo.jpg"]),
    ("evaluate --help", ["-m", "helpers.evaluate", "--help"]),
    ("evaluate (no DIR)", ["-m", "helpers.evaluate", "--model", "runs/x"]),
    ("import tensorflow, keras", ["-c", "import tensorflow, keras"]),
]


def timed(args: list[str]) -> tuple[float, str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env=environment)
    return time.perf_counter() - started, done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}; median of {args.repeats} fresh processes")
    print("| command | seconds (median) | stderr lines |\n| --- | ---: | ---: |")
    worst = 0.0
    for name, command in CASES:
        runs = [timed(command) for _ in range(args.repeats)]
        seconds = sorted(run[0] for run in runs)[len(runs) // 2]
        lines = len(runs[0][1].strip().splitlines())
        print(f"| {name} | {seconds:.2f} | {lines} |", flush=True)
        if not name.startswith("import"):
            worst = max(worst, seconds)
    print(f"slowest command: {worst:.2f} s: {'meets' if worst < 1.5 else 'MISSES'} the 1.5 s target")
    return 0 if worst < 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
