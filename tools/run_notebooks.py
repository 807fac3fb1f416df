"""Execute every course notebook with papermill into build/notebooks/, one line per notebook.

    python tools/run_notebooks.py            # the full course, as a learner runs it
    python tools/run_notebooks.py --quick    # every notebook with QUICK=True (seconds, not minutes)
    python tools/run_notebooks.py 03 05      # only the notebooks whose names start with 03 or 05
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.notebooks import BUILD, course_notebooks, read_metric, run_notebook  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose names start with these")
    parser.add_argument("--quick", action="store_true", help="pass QUICK=True to every notebook")
    parser.add_argument("--out", type=Path, default=BUILD / "notebooks", help="where executed copies go")
    args = parser.parse_args(argv)

    notebooks = [p for p in course_notebooks()
                 if not args.prefixes or any(p.name.startswith(x) for x in args.prefixes)]
    if not notebooks:
        print("no notebook matches " + " ".join(args.prefixes), file=sys.stderr)
        return 2
    parameters = {"QUICK": True} if args.quick else {}
    total = 0.0
    accuracy = None
    for path in notebooks:
        try:
            run = run_notebook(path, args.out, parameters)
        except Exception as error:  # papermill's error already names the failing cell
            print(f"FAILED  {path.name}: {type(error).__name__}: {str(error).strip().splitlines()[-1]}")
            print(f"        the partly executed copy is in {args.out / path.name}")
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
