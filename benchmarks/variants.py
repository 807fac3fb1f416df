"""Candidate changes to the course's default recipe, judged on the validation split only.

    .venv/bin/python benchmarks/variants.py base --seeds 0 1 2
    .venv/bin/python benchmarks/variants.py label-smoothing --seeds 0
    .venv/bin/python benchmarks/variants.py residual-separable --seeds 0 --out results/

Each run trains one variant for one seed exactly as ``helpers.train`` trains the default recipe
(the same seeded 80/20 split of ``cats-dogs/training_data``, the same batches in the same order, AdamW
2e-3 with cosine decay, weight decay 0.01, batches of 32, 96 px, augmentation inside the model),
changing only what the variant names. It never looks at ``testing_data``. Per run it prints the
validation accuracy of the kept epoch (lowest validation loss), the mean of the last ten epochs
(the steadier figure), the lowest validation loss, the flip-averaged validation accuracy of the
final weights and the training time, and writes them with the whole history to
``OUT/VARIANT-seedN.json``. ``base`` reproduces ``helpers.train``'s default run: for seed 0 it
gave the same figures as ``benchmarks/train.py accuracy`` (kept epoch 37, 0.825, last ten 0.802).

``--epochs``, ``--image-size`` and ``--precision`` (float32, or Keras's mixed_bfloat16) change
the schedule's length, the image side and how the layers compute, for any variant.
``--train-fraction F`` trains on F of the 80 % split (the same fraction of each class, seeded)
and validates on the same photos as a whole run: a point of a learning curve, to see whether
more photos still help (and so whether a final fit on every photo should).

Variants:
- ``base``: the default recipe (``helpers.model.IMPROVED``).
- ``label-smoothing``: the same, trained against targets smoothed by 0.1 (0.95 / 0.05).
- ``ensemble-2``: two default networks, the second started from other weights (seed + 1000),
  each trained for ``--epochs`` on the same split; the prediction is the mean of their
  probabilities. Its figures are the pair's; ``members_last_ten`` gives each network's alone.
- ``stronger-crops``: the default network with zooms of up to 20 % and shifts of up to 15 %
  (the default: 10 % each), so each epoch sees more different crops of every photo; turns,
  flips and contrast as in the default. Meant with more epochs (``--epochs 100``).
- ``residual-separable``: each block is conv 3x3 → batch norm → ReLU → separable conv 3x3 →
  batch norm, plus a 1x1 convolution of the block's input (a residual connection), → ReLU →
  max pooling; filters 32 to 512 as in the default.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("base", "label-smoothing", "residual-separable", "ensemble-2", "stronger-crops")
IMAGE_SIZE, BATCH, LEARNING_RATE, WEIGHT_DECAY = 96, 32, 2e-3, 1e-2


def residual_separable(config, seed: int):
    """The residual-separable network of the module docstring, with the default's head."""
    import keras

    layers = keras.layers

    def he(offset: int) -> keras.Initializer:
        return keras.initializers.HeNormal(seed=seed * 100 + offset)

    from helpers import model as M

    inputs = keras.Input((config.image_size, config.image_size, 3), name="images")
    x = M.build_augmentation(config, seed)(inputs, training=False)
    for i, filters in enumerate(config.filters):
        shortcut = layers.Conv2D(filters, 1, use_bias=False, kernel_initializer=he(50 + i))(x)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=he(i))(x)
        y = layers.ReLU()(layers.BatchNormalization(momentum=config.batch_norm_momentum)(y))
        y = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False,
                                   depthwise_initializer=he(20 + i), pointwise_initializer=he(30 + i))(y)
        y = layers.BatchNormalization(momentum=config.batch_norm_momentum)(y)
        x = layers.MaxPooling2D(2, 2, padding="same")(layers.ReLU()(layers.Add()([y, shortcut])))
    x = layers.Dropout(config.dropout, seed=seed + 2001)(layers.GlobalAveragePooling2D()(x))
    x = layers.Dense(config.num_classes, kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 100 + 99))(x)
    return keras.Model(inputs, layers.Softmax()(x))


def run_ensemble(seed: int, train_dir: Path, epochs: int, image_size: int = IMAGE_SIZE,
                 precision: str = "float32") -> dict:
    """Train two default networks on seed's split; the validation figures of their mean."""
    import dataclasses

    import keras
    import numpy as np
    import tensorflow as tf

    from helpers import data
    from helpers import model as M
    from helpers.train import usable_files

    files = usable_files(train_dir).file_list()
    training, validation = data.split(files, 0.2, seed)
    tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(precision)
    steps = math.ceil(len(training) / BATCH)
    config = dataclasses.replace(M.IMPROVED, image_size=image_size)
    members, start = [], time.perf_counter()
    for member_seed in (seed, seed + 1000):
        keras.utils.set_random_seed(member_seed)
        train_ds = data.make_dataset(training, image_size, BATCH, training=True, augment=False, cache=True,
                                     seed=member_seed)
        val_ds = data.make_dataset(validation, image_size, BATCH, cache=True, seed=seed)
        model = M.build_model(config, seed=member_seed)
        rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=epochs * steps)
        model.compile(optimizer=keras.optimizers.AdamW(rate, weight_decay=WEIGHT_DECAY),
                      loss=keras.losses.CategoricalCrossentropy(), metrics=["accuracy"])
        probabilities: list = []
        record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: probabilities.append(
            np.concatenate([model(images, training=False).numpy() for images, _ in val_ds])))
        history = model.fit(train_ds.repeat(), steps_per_epoch=steps, validation_data=val_ds, epochs=epochs,
                            callbacks=[record], verbose=2).history
        members.append((history, np.stack(probabilities)))
    seconds = time.perf_counter() - start
    truth = np.concatenate([labels.numpy().argmax(1) for _, labels in val_ds])
    mean = (members[0][1] + members[1][1]) / 2  # (epochs, photos, classes)
    accuracy = (mean.argmax(-1) == truth).mean(axis=1)
    loss = -np.log(np.clip(mean[:, np.arange(len(truth)), truth], 1e-7, 1)).mean(axis=1)
    kept = int(np.argmin(loss))
    return {"variant": "ensemble-2", "seed": seed, "epochs": epochs, "image_size": image_size,
            "precision": precision, "train_minutes": seconds / 60, "kept_epoch": kept + 1,
            "kept_val_accuracy": float(accuracy[kept]), "lowest_val_loss": float(loss[kept]),
            "last_ten_val_accuracy": float(accuracy[-10:].mean()),
            "final_val_accuracy_flips": float("nan"),
            "members_last_ten": [float(np.mean(h["val_accuracy"][-10:])) for h, _ in members],
            "ensemble_val_accuracy": accuracy.tolist(), "histories": [h for h, _ in members]}


def run_one(variant: str, seed: int, train_dir: Path, epochs: int, image_size: int = IMAGE_SIZE,
            precision: str = "float32", train_fraction: float = 1.0) -> dict:
    """Train ``variant`` with ``seed`` on the 80 % split (``train_fraction`` of it, per class);
    its validation figures."""
    if variant == "ensemble-2":
        return run_ensemble(seed, train_dir, epochs, image_size, precision)
    import dataclasses

    import keras
    import numpy as np
    import tensorflow as tf

    from helpers import data
    from helpers import model as M
    from helpers.train import usable_files

    files = usable_files(train_dir).file_list()
    training, validation = data.split(files, 0.2, seed)
    if train_fraction < 1:  # the same validation photos, fewer training ones (seeded, per class)
        kept_photos, _ = data.split_indices(training.labels, 1 - train_fraction, seed)
        training = training.subset(kept_photos)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(precision)
    train_ds = data.make_dataset(training, image_size, BATCH, training=True, augment=False, cache=True, seed=seed)
    val_ds = data.make_dataset(validation, image_size, BATCH, cache=True, seed=seed)
    steps = math.ceil(len(training) / BATCH)
    config = dataclasses.replace(M.IMPROVED, image_size=image_size)
    if variant == "stronger-crops":
        config = dataclasses.replace(config, zoom=0.2, translation=0.15)
    model = residual_separable(config, seed) if variant == "residual-separable" else M.build_model(config, seed=seed)
    smoothing = 0.1 if variant == "label-smoothing" else 0.0
    rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=epochs * steps)
    model.compile(optimizer=keras.optimizers.AdamW(rate, weight_decay=WEIGHT_DECAY),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=smoothing), metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(train_ds.repeat(), steps_per_epoch=steps, validation_data=val_ds, epochs=epochs,
                        verbose=2).history
    seconds = time.perf_counter() - start
    plain, flipped, truth = [], [], []
    for images, labels in val_ds:
        plain.append(model(images, training=False).numpy())
        flipped.append(model(tf.image.flip_left_right(images), training=False).numpy())
        truth.append(labels.numpy().argmax(1))
    plain, flipped, truth = map(np.concatenate, (plain, flipped, truth))
    kept = int(np.argmin(history["val_loss"]))
    return {"variant": variant, "seed": seed, "epochs": epochs, "image_size": image_size, "precision": precision,
            "training_photos": len(training), "train_minutes": seconds / 60,
            "parameters": model.count_params(), "kept_epoch": kept + 1,
            "kept_val_accuracy": history["val_accuracy"][kept], "lowest_val_loss": history["val_loss"][kept],
            "last_ten_val_accuracy": float(np.mean(history["val_accuracy"][-10:])),
            "final_val_accuracy_flips": float(((plain + flipped).argmax(1) == truth).mean()),
            "history": history}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE)
    parser.add_argument("--precision", choices=("float32", "mixed_bfloat16"), default="float32")
    parser.add_argument("--train-fraction", type=float, default=1.0,
                        help="train on this fraction of the 80 %% split, per class, validating on the "
                             "same photos (a point of a learning curve)")
    parser.add_argument("--data", type=Path, default=None, help="the cats-dogs folder (default: the course's)")
    parser.add_argument("--out", type=Path, default=Path("build/variants"), help="where the JSON results go")
    args = parser.parse_args(argv)

    from helpers.datasets import dataset_dir

    train_dir = (args.data or dataset_dir("cats-dogs")) / "training_data"
    args.out.mkdir(parents=True, exist_ok=True)
    print("| variant | seed | kept epoch | kept val acc | last-ten val acc | lowest val loss | "
          "final, flip-averaged | minutes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for seed in args.seeds:
        row = run_one(args.variant, seed, train_dir, args.epochs, args.image_size, args.precision,
                      args.train_fraction)
        part = "" if args.train_fraction == 1 else f"-of{args.train_fraction:g}"
        (args.out / f"{args.variant}{part}-seed{seed}.json").write_text(json.dumps(row, indent=1))
        print(f"| {row['variant']} | {seed} | {row['kept_epoch']} | {row['kept_val_accuracy']:.3f} | "
              f"{row['last_ten_val_accuracy']:.3f} | {row['lowest_val_loss']:.3f} | "
              f"{row['final_val_accuracy_flips']:.3f} | {row['train_minutes']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
