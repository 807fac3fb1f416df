"""Keep TensorFlow's C++ start-up lines out of notebooks and terminals on a CPU machine.

TensorFlow prints its first log lines ("oneDNN custom operations are on", "Could not find cuda
drivers", "failed call to cuInit") from C++ straight to the process's standard error, some of
them before its own log level (``TF_CPP_MIN_LOG_LEVEL``) is read. In a notebook they show as a red
stderr block that looks like a failure. :func:`install` sets the log level and makes the first
``import tensorflow`` run with file descriptor 2 pointed at ``os.devnull``; Python exceptions
still raise as usual, and everything after the import prints normally.

``helpers/__init__.py`` calls :func:`install`, and the course's Jupyter kernel starts through
``python -m helpers.quiet``, which calls it before the kernel runs any cell, so a notebook that
imports TensorFlow before the helpers is quiet too.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

#: Environment the course sets for TensorFlow unless the user chose otherwise.
ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3"}


class _SilentLoader(importlib.abc.Loader):
    """Run another loader's ``exec_module`` with standard error (fd 2) sent to ``os.devnull``."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        sys.stderr.flush()
        saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 2)
            self.loader.exec_module(module)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(null)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Find ``tensorflow`` as usual, once, and hand it a :class:`_SilentLoader`."""

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 (the finder protocol)
        if name != "tensorflow":
            return None
        uninstall()
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _SilentLoader(spec.loader)
        return spec


def installed() -> bool:
    """True while the quiet import of TensorFlow is waiting for its first import."""
    return any(isinstance(finder, _QuietTensorFlowFinder) for finder in sys.meta_path)


def install() -> None:
    """Set :data:`ENVIRONMENT` (where unset) and make the first TensorFlow import quiet."""
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    if "tensorflow" not in sys.modules and not installed():
        sys.meta_path.insert(0, _QuietTensorFlowFinder())


def uninstall() -> None:
    """Remove the quiet import hook (it removes itself once TensorFlow is found)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _QuietTensorFlowFinder)]


def launch_kernel() -> None:
    """Start an IPython kernel with :func:`install` done: the course kernel's entry point."""
    install()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    launch_kernel()
