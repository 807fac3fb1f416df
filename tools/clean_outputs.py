"""Remove TensorFlow's C++ start-up log lines from the stderr outputs of executed notebooks.

Lines such as ``I0000 00:00:... port.cc:153] oneDNN custom operations are on`` or ``E0000 ...
failed call to cuInit`` come from TensorFlow's C++ runtime, which ``TF_CPP_MIN_LOG_LEVEL`` no
longer silences at import time. They vary by machine, teach nothing, and look like errors to a
learner, so ``make outputs`` strips them from the committed notebooks. Everything else in stderr
(Python warnings, Keras messages) stays.

    python tools/clean_outputs.py notebooks/*.ipynb
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

#: A line of absl/TensorFlow C++ logging: severity letter, MMDD or 0000, time, thread, file:line].
C_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w./-]+:\d+\] ")
ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"


#: Lines that continue a C++ log message on the next line (cpu_feature_guard's advice).
CONTINUATIONS = ("To enable the following instructions:",)


def clean_text(text: str) -> str:
    """``text`` without TensorFlow's C++ log lines and their known continuation lines."""
    kept = []
    for line in text.splitlines(keepends=True):
        if C_LOG_LINE.match(line) or line.startswith(ABSL_PREAMBLE) or line.startswith(CONTINUATIONS):
            continue
        kept.append(line)
    return "".join(kept)


def clean_notebook(path: Path) -> int:
    """Strip the noise from every stderr stream of ``path`` in place; return lines removed."""
    notebook = nbformat.read(path, as_version=4)
    removed = 0
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                before = output["text"]
                output["text"] = clean_text(before)
                removed += before.count("\n") - output["text"].count("\n")
                if not output["text"].strip():
                    continue
            outputs.append(output)
        if cell.cell_type == "code":
            cell["outputs"] = outputs
    if removed:
        nbformat.write(notebook, path)
    return removed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="executed .ipynb files, cleaned in place")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.notebooks if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    for path in args.notebooks:
        removed = clean_notebook(path)
        if removed:
            print(f"{path}: removed {removed} TensorFlow log lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
