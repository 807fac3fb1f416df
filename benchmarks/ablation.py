"""From the tutorial's network to the course's, one change at a time, on the validation split.

    .venv/bin/python benchmarks/ablation.py                      # every step, seeds 0 and 1
    .venv/bin/python benchmarks/ablation.py --seeds 0 1 2 --epochs 60
    .venv/bin/python benchmarks/ablation.py --steps 7             # only the last step
    .venv/bin/python benchmarks/ablation.py --table               # print the stored table only

Each step keeps every change of the step before and adds one:

1. ``tutorial``: the tutorial's network (three conv → pool → ReLU blocks of 32, 32, 64 filters,
   flatten, dense 128, dense 2) at 128 px, its initial weights, Adam at a constant 1e-4;
2. ``+ batch norm``: a batch normalisation after every convolution, He initial weights;
3. ``+ global average + dropout``: the flatten and dense 128 replaced by each channel's mean
   and dropout 0.3 before the output layer;
4. ``+ augmentation``: random flips, turns, zooms and shifts (of up to 10 %: :data:`MILD_CROPS`)
   and contrast inside the model;
5. ``+ AdamW, cosine decay``: AdamW (weight decay 0.01) from 2e-3, decaying to 0 along a cosine;
6. ``+ five blocks, 96 px``: filters 32, 64, 128, 256, 512 on 96x96 photos;
7. ``+ stronger crops, 100 epochs``: zooms of up to 20 % and shifts of up to 15 %, trained for
   the course's 100 epochs and the last epoch kept: the course's recipe, as ``helpers.train``
   trains it.

Every run is ``helpers.train.train`` on the same seeded 80/20 split of
``cats-dogs/training_data``, batches of 32, in float32. Steps 1 to 6 train for the same number
of epochs (``--epochs``, 60) and keep the epoch with the lowest validation loss; step 7 trains
for ``--final-epochs`` (the course's 100) and keeps the last. It never looks at
``testing_data``. Per run it records the validation accuracy of the kept epoch, the mean
validation accuracy of the last ten epochs (the steadier figure) and the minutes. Results go to
``benchmarks/results/ablation.json``, one entry per step and seed, written after every run; a
run already there is not repeated, so an interrupted benchmark picks up where it stopped.
Notebook 08 shows the table from that file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "ablation.json"
STEP_NAMES = ("tutorial", "+ batch norm", "+ global average + dropout", "+ augmentation",
              "+ AdamW, cosine decay", "+ five blocks, 96 px", "+ stronger crops, 100 epochs")

#: The zooms and shifts of steps 4 to 6 (up to 10 %); step 7 makes them the course's.
MILD_CROPS = {"zoom": 0.1, "translation": 0.1}


def step_settings(step: int, epochs: int,
                  final_epochs: int | None = None) -> tuple[str, object, int, str]:
    """Step ``step`` (0-based) of the ablation: the recipe name, the ``ModelConfig``, the epochs
    and the epoch kept ("best" or "last"). ``epochs``: steps 1-6's; ``final_epochs``: step 7's
    (None: the course's recipe's)."""
    from helpers import model as M
    from helpers import train as T

    config = dataclasses.replace(M.ORIGINAL, image_size=128)
    if step >= 1:
        config = dataclasses.replace(config, batch_norm=True,
                                     batch_norm_momentum=M.IMPROVED.batch_norm_momentum,
                                     initializer="he")
    if step >= 2:
        config = dataclasses.replace(config, head="global_average", dense_units=(),
                                     dropout=M.IMPROVED.dropout)
    if step >= 3:
        config = dataclasses.replace(config, augment=True, **MILD_CROPS)
    recipe = "improved" if step >= 4 else "original"
    if step >= 5:
        config = dataclasses.replace(M.IMPROVED, **MILD_CROPS)
    if step >= 6:
        course = T.get_recipe(T.DEFAULT_RECIPE)
        return recipe, course.config, final_epochs or course.epochs, course.keep
    return recipe, config, epochs, "best"


def run_step(step: int, seed: int, train_dir: Path, epochs: int,
             final_epochs: int | None = None) -> dict:
    """Train step ``step`` with ``seed``; its validation figures."""
    import keras
    import numpy as np

    from helpers import train as T

    recipe, config, epochs, keep = step_settings(step, epochs, final_epochs)
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        # float32, as the stored table was measured (bfloat16 changes the figures within noise)
        result = T.train(train_dir, Path(folder) / "run", recipe=recipe, config=config,
                         epochs=epochs, seed=seed, verbose=0, precision="float32", keep=keep)
        minutes = (time.perf_counter() - started) / 60
    history = result.history
    kept = result.kept_epoch - 1
    return {"step": step, "name": STEP_NAMES[step], "seed": seed, "epochs": epochs, "keep": keep,
            "recipe": recipe, "image_size": config.image_size,
            "parameters": int(result.model.count_params()),
            "kept_epoch": result.kept_epoch,
            "kept_val_accuracy": round(float(history["val_accuracy"][kept]), 4),
            "last_ten_val_accuracy": round(float(np.mean(history["val_accuracy"][-10:])), 4),
            "lowest_val_loss": round(float(min(history["val_loss"])), 4),
            "minutes": round(minutes, 2)}


def load_results(path: Path = RESULTS) -> list[dict]:
    """The stored runs (an empty list before the first)."""
    return json.loads(path.read_text())["runs"] if path.exists() else []


def table(runs: list[dict]) -> str:
    """The Markdown table: per step, the mean over its seeds of each figure."""
    lines = ["| step | seeds | kept-epoch val acc | last-ten val acc | parameters | minutes |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for step, name in enumerate(STEP_NAMES):
        rows = [run for run in runs if run["step"] == step]
        if not rows:
            continue

        def mean(key: str) -> float:
            return sum(run[key] for run in rows) / len(rows)

        seeds = ", ".join(str(run["seed"]) for run in sorted(rows, key=lambda run: run["seed"]))
        lines.append(f"| {step + 1}. {name} | {seeds} | {mean('kept_val_accuracy'):.3f} | "
                     f"{mean('last_ten_val_accuracy'):.3f} | {rows[0]['parameters']:,} | "
                     f"{mean('minutes'):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, nargs="+", default=list(range(1, len(STEP_NAMES) + 1)),
                        help=f"which steps to run, 1 to {len(STEP_NAMES)} (default: all)")
    parser.add_argument("--epochs", type=int, default=60, help="epochs of steps 1-6")
    parser.add_argument("--final-epochs", type=int, default=None,
                        help="epochs of the last step (default: the course's recipe's)")
    parser.add_argument("--data", type=Path, default=None,
                        help="the cats-dogs folder (default: the course's)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the JSON file of results")
    parser.add_argument("--table", action="store_true", help="print the stored table and stop")
    args = parser.parse_args(argv)
    if args.table:
        print(table(load_results(args.results)))
        return 0

    from helpers.datasets import dataset_dir
    from helpers.run import write_json_atomically

    train_dir = (args.data or dataset_dir("cats-dogs")) / "training_data"
    runs = load_results(args.results)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for step in (s - 1 for s in args.steps):
            epochs = step_settings(step, args.epochs, args.final_epochs)[2]
            if any(r["step"] == step and r["seed"] == seed and r["epochs"] == epochs for r in runs):
                continue
            row = run_step(step, seed, train_dir, args.epochs, args.final_epochs)
            runs.append(row)
            write_json_atomically(args.results, {"runs": runs})
            print(f"step {step + 1} ({row['name']}), seed {seed}: kept epoch {row['kept_epoch']}, "
                  f"val acc {row['kept_val_accuracy']:.3f}, last ten {row['last_ten_val_accuracy']:.3f}, "
                  f"{row['minutes']:.1f} min", flush=True)
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
