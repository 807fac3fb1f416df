"""Execute every course notebook with papermill into build/notebooks/, one line per notebook.

    python tools/run_notebooks.py            # the full course, as a learner runs it
    python tools/run_notebooks.py --quick    # every notebook with QUICK=True (seconds, not minutes)
    python tools/run_notebooks.py 03 05      # only the notebooks whose names start with 03 or 05

It prints one line per notebook: its run time and name, or FAILED with the error and where to
look. Everything the kernel and papermill write to standard error (the kernel's start-up and
shut-down messages, papermill's warnings, anything a cell prints there) goes into
``build/notebooks/NAME.log`` instead of the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.notebooks import BUILD, NOTEBOOKS, course_notebooks, read_metric, run_notebook  # noqa: E402


@contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Send this process's standard error, and so its child kernels', into ``path`` (file level)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def failure_line(path: Path, error: Exception, out: Path) -> str:
    """One line for a notebook that failed: the error, the cell, and where to look."""
    ename = getattr(error, "ename", type(error).__name__)
    evalue = str(getattr(error, "evalue", error)).strip()
    evalue = evalue.splitlines()[-1] if evalue else ""
    cell = getattr(error, "exec_count", None)
    where = f" in cell [{cell}]" if cell is not None else ""
    return (f"FAILED  {path.name}{where}: {ename}: {evalue}\n"
            f"        look at {out / path.name} (the error is in that cell) and {out / (path.stem + '.log')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose names start with these")
    parser.add_argument("--quick", action="store_true", help="pass QUICK=True to every notebook")
    parser.add_argument("--out", type=Path, default=BUILD / "notebooks", help="where executed copies go")
    parser.add_argument("--source", type=Path, default=NOTEBOOKS, help="the folder of notebooks to run")
    args = parser.parse_args(argv)

    notebooks = [p for p in course_notebooks(args.source)
                 if not args.prefixes or any(p.name.startswith(x) for x in args.prefixes)]
    if not notebooks:
        print("no notebook matches " + " ".join(args.prefixes), file=sys.stderr)
        return 2
    parameters = {"QUICK": True} if args.quick else {}
    total = 0.0
    accuracy = None
    for path in notebooks:
        try:
            with stderr_to(args.out / f"{path.stem}.log"):
                run = run_notebook(path, args.out, parameters)
        except Exception as error:  # papermill's error names the failing cell and the exception
            print(failure_line(path, error, args.out), flush=True)
            return 1
        total += run.seconds
        print(f"{run.seconds:8.1f} s  {path.name}", flush=True)
        accuracy = read_metric(run.output, "test_accuracy") or accuracy
    print(f"{total:8.1f} s  in all, executed copies in {args.out}")
    if accuracy is not None:
        print(f"test accuracy of the course's classifier: {accuracy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
