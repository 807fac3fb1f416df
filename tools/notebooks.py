"""Find, inspect and execute the course notebooks with papermill.

Used by ``make course`` (through ``tools/run_notebooks.py``) and by ``tests/test_notebooks.py``,
so the learner's full run and CI's quick run execute notebooks the same way.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"
KERNEL_NAME = "cnn-course"
KERNEL_DISPLAY_NAME = "Python (cnn-course)"
#: No single cell of the course may run longer than this (seconds).
CELL_TIMEOUT = 1800


def course_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """Every ``NN_*.ipynb`` lesson in ``folder``, sorted by name (so by number)."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def parameters_cells(path: Path) -> list[int]:
    """Indices of the cells tagged ``parameters`` (papermill injects its values after it)."""
    notebook = nbformat.read(path, as_version=4)
    return [
        i for i, cell in enumerate(notebook.cells)
        if "parameters" in cell.get("metadata", {}).get("tags", [])
    ]


#: How the course kernel starts: TensorFlow's C++ start-up lines silenced first (helpers.quiet),
#: then an ordinary IPython kernel. Written so that a ``helpers`` without ``quiet`` still starts.
KERNEL_LAUNCHER = ("try:\n    from helpers.quiet import install\n    install()\n"
                   "except ImportError:\n    pass\n"
                   "from ipykernel.kernelapp import launch_new_instance\nlaunch_new_instance()")

#: The environment the kernel spec sets (TensorFlow's log level before anything imports it).
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


def kernel_argv(python: str = sys.executable) -> list[str]:
    """The course kernel's command line: this Python running :data:`KERNEL_LAUNCHER`."""
    return [python, "-Xfrozen_modules=off", "-c", KERNEL_LAUNCHER, "-f", "{connection_file}"]


def ensure_kernel() -> str:
    """Register this Python as the Jupyter kernel ``cnn-course`` (inside the venv) if missing.

    The kernel spec stores the absolute path of this interpreter, so papermill and JupyterLab
    run the notebooks with the course's packages whatever ``python`` means on the PATH. It starts
    through :data:`KERNEL_LAUNCHER` with :data:`KERNEL_ENV`, so no notebook shows TensorFlow's
    C++ start-up lines as a red stderr block.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    spec = manager.find_kernel_specs().get(KERNEL_NAME)
    current = json.loads((Path(spec) / "kernel.json").read_text()) if spec else {}
    if current.get("argv") != kernel_argv() or current.get("env") != KERNEL_ENV:
        from ipykernel.kernelspec import install

        folder = Path(install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix))
        spec_file = folder / "kernel.json"
        written = json.loads(spec_file.read_text())
        written.update(argv=kernel_argv(), env=KERNEL_ENV)
        spec_file.write_text(json.dumps(written, indent=1) + "\n")
    return KERNEL_NAME


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    source: Path
    output: Path
    seconds: float


def run_notebook(
    path: Path,
    output_dir: Path,
    parameters: dict | None = None,
    log_output: bool = False,
) -> NotebookRun:
    """Execute ``path`` top to bottom in a fresh kernel with papermill; write it to ``output_dir``.

    The notebook runs with its own folder as working directory, as it does in JupyterLab. A cell
    that raises stops the run with ``papermill.PapermillExecutionError`` unless the cell is tagged
    ``raises-exception`` on purpose.
    """
    import papermill

    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / path.name
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path),
            str(output),
            parameters=parameters or {},
            kernel_name=ensure_kernel(),
            cwd=str(path.parent),
            log_output=log_output,
            progress_bar=False,
            execution_timeout=CELL_TIMEOUT,
        )
    except papermill.PapermillExecutionError:
        # nbclient runs on past a cell tagged `raises-exception`, but papermill then fails on any
        # error output. Accept the run when every error is in such a cell.
        if untagged_errors(output):
            raise
        executed = nbformat.read(output, as_version=4)
        executed.cells = [c for c in executed.cells
                          if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
        nbformat.write(executed, output)
    return NotebookRun(path, output, time.perf_counter() - start)


def untagged_errors(path: Path) -> list[int]:
    """Indices of cells with an error output that are not tagged ``raises-exception``."""
    notebook = nbformat.read(path, as_version=4)
    return [
        i for i, cell in enumerate(notebook.cells)
        if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        and "raises-exception" not in cell.get("metadata", {}).get("tags", [])
    ]


def read_metric(path: Path, name: str) -> str | None:
    """The value of the last ``name = value`` line printed by an executed notebook, if any.

    Notebooks print their headline result (``test_accuracy = 0.78``) so that ``make course``
    and CI can read it back without parsing plots.
    """
    notebook = nbformat.read(path, as_version=4)
    found = None
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for line in str(output.get("text", "")).splitlines():
                key, sep, value = line.partition("=")
                if sep and key.strip() == name:
                    found = value.strip()
    return found
