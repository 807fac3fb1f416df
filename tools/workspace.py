"""The learner's workspace: their own copies of the course notebooks, in workspace/ (git-ignored).

    python tools/workspace.py create     # make workspace/ if missing (make lab does this)
    python tools/workspace.py update     # bring in new and updated course notebooks (make workspace)
    python tools/workspace.py progress   # every exercise: passed, failed or not attempted (make progress)

The copies are the learner edition of ``notebooks/`` (``tools/student.py``): solutions stubbed,
hidden checks removed, outputs cleared, exercise cells tagged ``raises-exception``, and
``solutions.json`` beside them for ``helpers.check.solution``. Learners run and save these
copies; the course's own notebooks stay as they are, so ``git pull`` never conflicts with a run.

``workspace/.course-versions.json`` records, for each notebook, a fingerprint of the cell sources
the workspace last received. ``update`` replaces a notebook only while its sources still match
that fingerprint (the learner has not edited it; running cells changes outputs, not sources).
A notebook the learner changed is left alone, and the course's new version is written beside it
in ``workspace/updates/`` to compare with.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import json
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.check.learner import saved_status, summary  # noqa: E402
from tools.notebooks import ROOT, course_notebooks  # noqa: E402
from tools.student import SOLUTIONS_FILE, solutions, student_notebook  # noqa: E402

WORKSPACE = ROOT / "workspace"
VERSIONS = ".course-versions.json"
UPDATES = "updates"


def fingerprint(notebook: dict) -> str:
    """A hash of the cells' types and sources: what a learner edits, not outputs or metadata."""
    cells = [(c.get("cell_type"), "".join(c.get("source", ""))) for c in notebook.get("cells", [])]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def _read_json(path: Path) -> dict | None:
    """The JSON in ``path``, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def update(workspace: Path = WORKSPACE, sources: list[Path] | None = None,
           only_missing: bool = False) -> dict[str, list[str]]:
    """Bring the learner edition of ``sources`` into ``workspace``; return what happened to each.

    The result maps "new", "updated", "unchanged" and "left alone" to notebook names. With
    ``only_missing`` nothing that exists is touched (the first use of ``make lab``).
    """
    workspace.mkdir(parents=True, exist_ok=True)
    versions = _read_json(workspace / VERSIONS) or {}
    done: dict[str, list[str]] = {"new": [], "updated": [], "unchanged": [], "left alone": []}
    answers: dict[str, dict[str, str]] = {}
    for path in sources or course_notebooks():
        source = nbformat.read(path, as_version=4)
        answers.update(solutions(source, path.name))
        edition = student_notebook(source)
        new_print = fingerprint(edition)
        target = workspace / path.name
        if not target.exists():
            nbformat.write(edition, target)
            versions[path.name] = new_print
            done["new"].append(path.name)
            continue
        if only_missing:
            continue
        current = _read_json(target)
        if current is not None and fingerprint(current) == new_print:
            versions[path.name] = new_print
            done["unchanged"].append(path.name)
        elif versions.get(path.name) == new_print:
            done["unchanged"].append(path.name)  # the learner's edits, and nothing new from the course
        elif current is not None and fingerprint(current) == versions.get(path.name):
            nbformat.write(edition, target)
            versions[path.name] = new_print
            done["updated"].append(path.name)
        else:
            (workspace / UPDATES).mkdir(exist_ok=True)
            nbformat.write(edition, workspace / UPDATES / path.name)
            done["left alone"].append(path.name)
    (workspace / SOLUTIONS_FILE).write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
    (workspace / VERSIONS).write_text(json.dumps(versions, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return done


def progress(workspace: Path = WORKSPACE) -> str:
    """Every exercise of every notebook in ``workspace``, as its saved outputs show it."""
    blocks = []
    for path in course_notebooks(workspace):
        try:
            statuses = saved_status(path)
        except (OSError, ValueError) as error:
            blocks.append(f"{path.name}: cannot read it ({error})")
            continue
        if statuses:
            blocks.append(summary(path.stem, statuses))
    return "\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["create", "update", "progress"])
    parser.add_argument("--workspace", type=Path, default=WORKSPACE, help="the learner's folder")
    args = parser.parse_args(argv)
    if args.command == "progress":
        if not args.workspace.is_dir():
            print(f"no workspace in {args.workspace}: make lab creates it", file=sys.stderr)
            return 1
        try:
            print(progress(args.workspace) or f"no exercise notebooks in {args.workspace}")
        except BrokenPipeError:  # `... progress | head` closed the pipe: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush
            return 141
        return 0
    try:
        done = update(args.workspace, only_missing=args.command == "create")
    except (OSError, ValueError) as error:
        print(f"cannot prepare the workspace: {error}", file=sys.stderr)
        return 1
    where = args.workspace
    if done["new"]:
        print(f"{len(done['new'])} notebooks copied into {where}: " + ", ".join(done["new"]))
    if done["updated"]:
        print("updated from the course: " + ", ".join(done["updated"]))
    for name in done["left alone"]:
        print(f"left alone, since you changed it: {name} (the course's new version is "
              f"{where / UPDATES / name})")
    if args.command == "update" and not (done["new"] or done["updated"] or done["left alone"]):
        print(f"{where} is up to date with the course")
    return 0


if __name__ == "__main__":
    sys.exit(main())
