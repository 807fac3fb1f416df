"""A worker of tests/test_multi_worker.py: ``python -m helpers.scaling`` plus two things a test needs.

- Every file this process opens for writing, and every rename, removal or new folder, is
  recorded (Python's audit hooks) and written as a JSON list to ``$RECORD_WRITES-<index>.json``
  at exit, so the test can tell which worker wrote the run folder.
- With ``SLOW_FROM_EPOCH=N``, each training batch from epoch N on (counted from 1) takes half a
  second longer: time for the test to kill a worker in the middle of a run.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time

INDEX = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
WRITES: list[str] = []
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def record(event: str, args: tuple) -> None:
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
            WRITES.append(os.fsdecode(args[0]))
    elif event in ("os.rename", "os.replace"):
        WRITES.append(os.fsdecode(args[1]))
    elif event in ("os.remove", "os.mkdir", "os.rmdir"):
        WRITES.append(os.fsdecode(args[0]))


def save_record() -> None:
    with open(f"{os.environ['RECORD_WRITES']}-{INDEX}.json", "w", encoding="utf-8") as file:
        json.dump([os.path.abspath(path) for path in WRITES], file)


if __name__ == "__main__":
    import keras

    from helpers import scaling

    class SlowFrom(keras.callbacks.Callback):
        def __init__(self, epoch: int) -> None:
            super().__init__()
            self.slow_from, self.epoch = epoch, 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch >= self.slow_from:
                time.sleep(0.5)

    atexit.register(save_record)
    sys.addaudithook(record)
    slow = os.environ.get("SLOW_FROM_EPOCH")
    sys.exit(scaling.main(sys.argv[1:], callbacks=[SlowFrom(int(slow))] if slow else []))
