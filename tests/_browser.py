"""Debian's Chromium and ChromeDriver for the browser tests (the site, JupyterLab)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def selenium_webdriver():
    """``selenium.webdriver``, with Chromium and its driver installed as root when missing.

    Skips the test (one line saying what to install) when selenium is missing, or when the
    browser is missing and this process cannot install it (not root, or no apt-get).
    """
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get")):
            pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} is missing and installing them needs root and apt-get: "
                        "sudo apt-get install chromium chromium-driver")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
            subprocess.run(install, env=env, capture_output=True, check=True)
    return webdriver
