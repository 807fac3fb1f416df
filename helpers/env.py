"""The course's environment: version check, repository paths, the quick-run switch, seeds.

Notebook 00 calls :func:`check_environment`; every notebook's ``parameters`` cell calls
:func:`quick_mode` so that CI (and anyone in a hurry) can run it with fewer epochs or images.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from pathlib import Path

from packaging.version import Version

#: The oldest versions the course is tested with (``pyproject.toml`` pins the same ranges).
MINIMUM_VERSIONS: dict[str, str] = {
    "tensorflow": "2.20",
    "keras": "3.12",
    "numpy": "1.26",
    "cv2": "4.10",
    "matplotlib": "3.9",
}

#: Names of environment variables the course reads.
QUICK_VARIABLE = "COURSE_QUICK"


class EnvironmentProblem(RuntimeError):
    """The Python environment cannot run the course; the message says what to do."""


def repo_root() -> Path:
    """The repository folder: the parent of the ``helpers`` package."""
    return Path(__file__).resolve().parent.parent


def quick_mode() -> bool:
    """True when the environment variable ``COURSE_QUICK`` is 1/true/yes.

    CI and ``make test`` set it so that nbval's run of a notebook trains for seconds, not
    minutes; papermill runs pass ``QUICK=True`` as a parameter instead.
    """
    return os.environ.get(QUICK_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def installed_versions(names: list[str] | None = None) -> dict[str, str | None]:
    """Import each module and return ``{name: version}``; ``None`` where it cannot be imported."""
    versions: dict[str, str | None] = {}
    for name in names or list(MINIMUM_VERSIONS):
        try:
            module = importlib.import_module(name)
        except ImportError:
            versions[name] = None
        else:
            versions[name] = str(getattr(module, "__version__", "unknown"))
    return versions


def environment_problems(
    versions: dict[str, str | None],
    minimum: dict[str, str] | None = None,
    python: tuple[int, int] = sys.version_info[:2],
) -> list[str]:
    """Every reason the given versions cannot run the course, one sentence each ([] when fine)."""
    minimum = MINIMUM_VERSIONS if minimum is None else minimum
    problems = []
    if python < (3, 11):
        problems.append(f"Python {python[0]}.{python[1]} is too old: the course needs 3.11 or newer.")
    for name, oldest in minimum.items():
        found = versions.get(name)
        if found is None:
            problems.append(f"{name} is not installed (need {oldest} or newer).")
        elif Version(found.split("+")[0]) < Version(oldest):
            problems.append(f"{name} {found} is too old (need {oldest} or newer).")
    if versions.get("keras") and Version(versions["keras"].split("+")[0]).major < 3:
        problems.append("Keras 2 is installed; the course is written for Keras 3.")
    return problems


def check_environment(minimum: dict[str, str] | None = None) -> dict[str, str | None]:
    """Print Python's and each library's version; raise :class:`EnvironmentProblem` if unusable.

    The error lists every problem at once and says how to fix them (``make setup`` and the
    course's kernel), so a learner does not meet them one at a time later in the course.
    """
    minimum = MINIMUM_VERSIONS if minimum is None else minimum
    versions = installed_versions(list(minimum))
    print(f"{'python':<12} {platform.python_version()}  ({sys.executable})")
    for name, version in versions.items():
        print(f"{name:<12} {version or 'NOT INSTALLED'}")
    problems = environment_problems(versions, minimum)
    if problems:
        raise EnvironmentProblem(
            "This environment cannot run the course:\n  - " + "\n  - ".join(problems)
            + "\nFix: run `make setup` in the repository, then choose the kernel "
            "'Python (cnn-course)' in JupyterLab (Kernel > Change Kernel)."
        )
    return versions


def set_seed(seed: int = 42) -> None:
    """Seed Python, numpy and TensorFlow at once (``keras.utils.set_random_seed``)."""
    import keras  # imported here so that the rest of this module works without TensorFlow

    keras.utils.set_random_seed(seed)
