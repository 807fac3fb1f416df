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

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator
from types import ModuleType

#: Environment the course sets for TensorFlow unless the user chose otherwise.
ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3"}


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what C++ libraries write to file descriptor 2 to /dev/null for a while.

    TensorFlow writes its start-up lines from C++ before its own log level is read, so
    ``TF_CPP_MIN_LOG_LEVEL`` alone does not stop them; Python's ``sys.stderr`` is untouched.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _SilentLoader(importlib.abc.Loader):
    """Run another loader's ``exec_module`` with standard error (fd 2) sent to ``os.devnull``."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with native_stderr_silenced():
            self.loader.exec_module(module)


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
