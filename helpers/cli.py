"""The command lines of ``helpers.train``, ``helpers.predict`` and ``helpers.evaluate``.

Each command reads its arguments first, with this module alone (no TensorFlow): ``--help``
and a usage error answer at once, and a number that makes no sense (``--lr nan``,
``--seed -5``, ``--image-size 1``) is refused by the parser with one line. Only then is
TensorFlow imported, with the C++ lines it writes while loading (absl, oneDNN, CUDA probing)
kept off the terminal, and the work is done. Whatever goes wrong ends in one line on stderr
and a non-zero exit status:

- 1: some input files could not be used (``predict``), or the system refused (a full disk,
  a read-only folder);
- 2: the arguments, the data or the run folder are not usable (the message says why);
- 130: interrupted with Ctrl-C (the message says how to continue, where that applies).

Which files are read: in every command, the images directly inside a folder; **sub-folders
are never read** (they are reported), nor are FIFOs, devices and hidden or junk files.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

#: The recipes' names (``helpers.train.RECIPES``, which a test keeps in step with this).
RECIPE_NAMES = ("original", "improved")

#: The smallest ``--image-size`` (``helpers.train.MIN_IMAGE_SIZE``).
MIN_IMAGE_SIZE = 16

SUBFOLDER_RULE = ("Only the images directly inside a folder are read: sub-folders are reported "
                  "and not read, and FIFOs, devices, hidden files and operating-system junk "
                  "are skipped.")


# ---- numbers for argparse ---------------------------------------------------------------------


def whole_number(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low``, else a usage error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {low}, "
                                             f"got {text}")
        return value
    return parse


def real_number(low: float, below: float | None = None, *,
                low_allowed: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number above ``low`` (from ``low`` on, with ``low_allowed``)
    and below ``below``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = value < low if low_allowed else value <= low
        if not math.isfinite(value) or too_low or (below is not None and value >= below):
            limits = f"{'from' if low_allowed else 'above'} {low:g}"
            limits += f" and below {below:g}" if below is not None else ""
            raise argparse.ArgumentTypeError(f"expected a finite number {limits}, got {text}")
        return value
    return parse


#: An argparse type for ``--val-split``: from 0 (nothing held out) up to, not including, 1.
split_fraction = real_number(0, 1, low_allowed=True)


# ---- quiet TensorFlow, one-line warnings, one-line failures -----------------------------------


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras without their C++ start-up lines (a no-op once imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    from helpers.quiet import native_stderr_silenced

    with native_stderr_silenced():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.constant(0)  # the first operation: CPU feature and device lines come here


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of a command (a skipped file) as one line: ``warning: skipping a.jpg: ...``."""
    print(f"warning: {message}", file=sys.stderr)


def run_safely(work: Callable[[], int], interrupted: Callable[[], str]) -> int:
    """``work()`` with every failure as one line on stderr and an exit status (module docstring).

    ``interrupted()`` gives the message for Ctrl-C.
    """
    from helpers.data import DatasetError
    from helpers.datasets import DownloadError
    from helpers.run import RunError, os_error_text

    with warnings.catch_warnings():  # restores the usual display when the command returns
        warnings.showwarning = _one_line_warning
        try:
            return work()
        except BaseException as error:  # noqa: BLE001 - sorted below; the rest is raised again
            if _interrupted_by(error):
                print(f"\n{interrupted()}", file=sys.stderr)
                return 130
            if isinstance(error, BrokenPipeError):  # the reader went away (| head): no word
                with contextlib.suppress(OSError):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 141
            if isinstance(error, (DatasetError, RunError, DownloadError, ValueError)):
                lines = str(error).strip().splitlines() or [type(error).__name__]
                print(f"error: {lines[0]}", file=sys.stderr)
                return 2
            if isinstance(error, OSError):  # (BrokenPipeError is one: it is sorted out above)
                print(f"error: {os_error_text(error)}", file=sys.stderr)
                return 1
            raise


def _interrupted_by(error: BaseException) -> bool:
    """Ctrl-C, also when it came through another exception: pressed while TensorFlow's C++
    modules load, it surfaces as ``ImportError: initialization failed`` caused by it."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


# ---- python -m helpers.train ------------------------------------------------------------------


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.train",
        description="Train a classifier on a folder with one sub-folder of photos per class. "
                    "RUN_DIR receives model.keras (the model to predict with), last.keras, run.json and "
                    "history.json: all that python -m helpers.predict needs.",
        epilog=SUBFOLDER_RULE + " RUN_DIR must be new or empty (or a run, with --resume): "
               "nothing of yours is ever changed or removed.")
    parser.add_argument("--train", type=Path, metavar="DIR",
                        help="training images, one sub-folder per class (not needed with --resume)")
    val = parser.add_mutually_exclusive_group()
    val.add_argument("--val", type=Path, metavar="DIR",
                     help="validation images, the same class folders")
    val.add_argument("--val-split", type=split_fraction, metavar="F",
                     help="hold out this fraction of --train for validation (default 0.2); "
                          "0: train on every image, keeping the last epoch (a final fit once "
                          "the recipe is chosen)")
    parser.add_argument("--epochs", type=whole_number(1), metavar="N",
                        help="default: the recipe's (original 40, improved 100)")
    parser.add_argument("--image-size", type=whole_number(MIN_IMAGE_SIZE), metavar="N",
                        help=f"images are N x N pixels, N at least {MIN_IMAGE_SIZE}; default: "
                             "the recipe's (original 128, improved 96)")
    parser.add_argument("--batch-size", type=whole_number(1), metavar="N", help="default: 32")
    parser.add_argument("--lr", type=real_number(0), metavar="LR",
                        help="learning rate (the peak of a schedule); default: the recipe's "
                             "(original 1e-4, improved 2e-3)")
    parser.add_argument("--recipe", choices=RECIPE_NAMES,
                        help="improved (the default): the course's recipe (batch norm, "
                             "augmentation, AdamW, cosine decay); original: the tutorial's "
                             "(Adam, constant learning rate)")
    parser.add_argument("--seed", type=whole_number(0), metavar="S",
                        help="random seed, 0 or more (default 0)")
    parser.add_argument("--out", type=Path, required=True, metavar="RUN_DIR",
                        help="the run folder to write: new or empty (or the run to continue "
                             "with --resume)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in RUN_DIR after its last finished epoch")
    parser.add_argument("--early-stopping", type=whole_number(1), metavar="PATIENCE",
                        help="stop after PATIENCE epochs without a lower validation loss")
    parser.add_argument("--tensorboard", action="store_true",
                        help="write TensorBoard logs to RUN_DIR/logs")
    parser.add_argument("--strict", action="store_true",
                        help="refuse a folder with unusable image files instead of skipping them")
    parser.add_argument("--keep", choices=("best", "last"),
                        help="which epoch model.keras holds: best (lowest validation loss; the "
                             "original recipe's default) or last (the improved recipe's, whose "
                             "schedule ends at 0)")
    parser.add_argument("--precision", choices=("auto", "float32", "mixed_bfloat16"),
                        help="how the layers compute; auto (the default): mixed_bfloat16 on a "
                             "CPU with bfloat16 arithmetic (about 1.3 times as fast), else float32")
    return parser


def train_command(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.train``: returns the exit status."""
    parser = train_parser()
    args = parser.parse_args(argv)
    if args.train is None and not args.resume:
        parser.error("--train DIR is needed (only --resume continues a run without it)")

    def work() -> int:
        import_tensorflow_quietly()
        from helpers.train import train

        train(args.train, args.out, val_dir=args.val, val_split=args.val_split,
              recipe=args.recipe, epochs=args.epochs, image_size=args.image_size,
              batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed,
              resume=args.resume, early_stopping=args.early_stopping,
              tensorboard=args.tensorboard, strict=args.strict, precision=args.precision,
              keep=args.keep)
        return 0

    def interrupted() -> str:
        if (args.out / "run.json").is_file():
            return (f"interrupted; continue with: python -m helpers.train --out {args.out} "
                    "--resume")
        return "interrupted before the first epoch began; nothing to continue"

    return run_safely(work, interrupted)


# ---- python -m helpers.predict ----------------------------------------------------------------


def predict_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.predict",
        description="Predict the class of photos with a model trained by python -m helpers.train.",
        epilog=SUBFOLDER_RULE)
    parser.add_argument("--model", type=Path, required=True, metavar="RUN_DIR",
                        help="the run folder (holding model.keras and run.json)")
    parser.add_argument("paths", nargs="+", metavar="IMAGE_OR_DIR",
                        help="image files, or folders of them (their sub-folders are not read)")
    parser.add_argument("--json", action="store_true", help="print the predictions as JSON")
    return parser


def predict_command(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.predict``: returns the exit status."""
    args = predict_parser().parse_args(argv)

    def work() -> int:
        import_tensorflow_quietly()
        from helpers.predict import print_predictions

        return print_predictions(args.model, args.paths, as_json=args.json)

    return run_safely(work, lambda: "interrupted; run the same command again to start over")


# ---- python -m helpers.evaluate ---------------------------------------------------------------


def evaluate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.evaluate",
        description="Accuracy, precision and recall per class, the confusion matrix and the "
                    "misclassified files of a trained model on a folder of labelled photos.",
        epilog=SUBFOLDER_RULE)
    parser.add_argument("--model", type=Path, required=True, metavar="RUN_DIR",
                        help="the run folder (holding model.keras and run.json)")
    parser.add_argument("folder", type=Path, metavar="DIR",
                        help="one sub-folder per class, with the run's class names")
    parser.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    views = parser.add_mutually_exclusive_group()
    views.add_argument("--tta", action="store_true",
                       help="average each image's prediction with that of its mirror image")
    views.add_argument("--tta-crops", action="store_true",
                       help="average over four views: the image, its mirror image and the centre "
                            "85 %% of both, enlarged")
    return parser


def evaluate_command(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.evaluate``: returns the exit status."""
    args = evaluate_parser().parse_args(argv)

    def work() -> int:
        import_tensorflow_quietly()
        from helpers.evaluate import print_evaluation

        tta = "crops" if args.tta_crops else "flip" if args.tta else "none"
        return print_evaluation(args.model, args.folder, tta=tta, as_json=args.json)

    return run_safely(work, lambda: "interrupted; run the same command again to start over")
