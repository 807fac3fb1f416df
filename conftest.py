"""pytest configuration shared by the unit tests and nbval's run of the notebooks.

Set before any kernel starts, so the kernels nbval launches inherit them:
- COURSE_QUICK=1: every notebook's `parameters` cell turns on its quick run (fewer epochs/images);
- TF_CPP_MIN_LOG_LEVEL=2: fewer TensorFlow log lines (stderr is not compared anyway);
- MPLBACKEND=Agg for the unit tests (the notebooks use the inline backend of their kernel).
"""

import os

os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collectstart(collector):
    """Never compare stderr in notebooks: TensorFlow's log lines vary by machine (nbval#88)."""
    path = getattr(collector, "path", None)
    if path is not None and str(path).endswith(".ipynb"):
        collector.skip_compare += ("stderr",)
