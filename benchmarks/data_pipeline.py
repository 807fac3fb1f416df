"""Images per second and peak memory of the two loaders in helpers.data, at 1,000 and 25,000 photos.

    .venv/bin/python benchmarks/data_pipeline.py                       # the table for README.md
    .venv/bin/python benchmarks/data_pipeline.py --sizes 1000 --source DIR

The photos are the course's cats-dogs training set (``--source``, default
``<data root>/cats-dogs/training_data``), repeated by hard links (symlinks, or copies, where hard
links are not possible) into a temporary folder of N photos in two classes. Each measurement runs
in a fresh Python process so that its peak resident memory (VmHWM from /proc) is its own:

- ``numpy``: ``helpers.data.load_numpy`` (the tutorial's way: every photo decoded, resized and
  scaled into one float32 array in memory);
- ``tf.data``: one epoch of ``helpers.data.make_dataset`` with shuffling, no augmentation and no
  cache: decode + resize in parallel, batches of 32 as float32;
- ``tf.data + augmentation``: the same with ``training=True`` (random flip, rotation, zoom,
  translation, contrast on every batch), what training really consumes.

Times start after the imports (TensorFlow's import takes seconds and is the same for everyone)
and include listing the folder. The target (issue 3): at 25,000 photos the tf.data pipeline stays
under 1.5 GB peak RSS and delivers at least the images/s of the numpy loader at 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOADERS = ("numpy", "tf.data", "tf.data + augmentation")


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(loader: str, folder: Path, image_size: int, batch_size: int) -> dict:
    """Run in the child process: load every image of ``folder`` once, report rate and memory."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from helpers import data

    if loader != "numpy":
        import tensorflow as tf  # noqa: F401  (imported before the clock starts)
    start = time.perf_counter()
    files = data.list_files(folder)
    if loader == "numpy":
        arrays = data.load_numpy(files, image_size)
        count = len(arrays)
    else:
        ds = data.make_dataset(files, image_size, batch_size, shuffle=True,
                               training=(loader == "tf.data + augmentation"))
        count = 0
        for images, _ in ds:
            count += int(images.shape[0])
    seconds = time.perf_counter() - start
    return {"loader": loader, "images": count, "seconds": seconds,
            "images_per_s": count / seconds, "peak_rss_mb": peak_rss_mb()}


def build_folder(source: Path, target: Path, n: int) -> Path:
    """``target/<class>/<i>.jpg`` for n photos, split evenly over the classes of ``source``."""
    from helpers.data import find_classes, list_class_folder

    classes = find_classes(source)
    link = os.link
    for c, name in enumerate(classes):
        photos = list_class_folder(source / name).images
        (target / name).mkdir(parents=True)
        for i in range(n // len(classes) + (c < n % len(classes))):
            original, copy = photos[i % len(photos)], target / name / f"{name}.{i}{photos[i % len(photos)].suffix}"
            try:
                link(original, copy)
            except OSError:  # another file system: a symlink, or a copy as the last resort
                link = os.symlink if link is os.link else shutil.copyfile
                link(original, copy)
    return target


def run_child(loader: str, folder: Path, image_size: int, batch_size: int) -> dict:
    command = [sys.executable, __file__, "--child", loader, "--folder", str(folder),
               "--image-size", str(image_size), "--batch-size", str(batch_size)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{loader} on {folder} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 25000])
    parser.add_argument("--source", type=Path, default=None, help="a folder of class folders with photos")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip-numpy-above", type=int, default=None,
                        help="do not run the numpy loader above this many photos (it needs ~200 MB per 1,000)")
    parser.add_argument("--child", choices=LOADERS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if args.child:
        print(json.dumps(measure(args.child, args.folder, args.image_size, args.batch_size)))
        return

    from helpers.datasets import dataset_dir

    source = args.source or dataset_dir("cats-dogs") / "training_data"
    print(f"source: {source}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"image size {args.image_size}, batch {args.batch_size}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="data-bench-") as tmp:
        for n in args.sizes:
            folder = build_folder(source, Path(tmp) / str(n), n)
            for loader in LOADERS:
                if loader == "numpy" and args.skip_numpy_above is not None and n > args.skip_numpy_above:
                    continue
                row = {"n": n, **run_child(loader, folder, args.image_size, args.batch_size)}
                print(f"{n:>6} {loader:<24} {row['images_per_s']:7.0f} images/s  "
                      f"{row['peak_rss_mb']:7.0f} MiB peak RSS  ({row['seconds']:.1f} s, "
                      f"load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
                rows.append(row)

    print(f"load average at the end: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)\n", file=sys.stderr)
    print("| photos | loader | images/s | peak RSS (MiB) | seconds |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['n']:,} | {row['loader']} | {row['images_per_s']:.0f} | {row['peak_rss_mb']:.0f} "
              f"| {row['seconds']:.1f} |")
    numpy_1000 = next((r for r in rows if r["n"] == 1000 and r["loader"] == "numpy"), None)
    pipeline_big = next((r for r in rows if r["n"] == max(args.sizes) and r["loader"] == "tf.data"), None)
    if numpy_1000 and pipeline_big:
        rate_ok = pipeline_big["images_per_s"] >= numpy_1000["images_per_s"]
        memory_ok = pipeline_big["peak_rss_mb"] < 1536
        print(f"\ntarget at {pipeline_big['n']:,}: tf.data {pipeline_big['images_per_s']:.0f} images/s "
              f"{'>=' if rate_ok else '<'} numpy at 1,000 {numpy_1000['images_per_s']:.0f} images/s; "
              f"peak {pipeline_big['peak_rss_mb']:.0f} MiB {'<' if memory_ok else '>='} 1,536 MiB: "
              f"{'met' if rate_ok and memory_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
