"""make lab, in a real browser: Run All on a workspace notebook goes past the unanswered exercises.

A workspace is made (as make lab makes it) from notebook 01 in a temporary folder, JupyterLab is
started there with the course's kernel, and headless Chromium (through selenium) opens the
notebook and runs all its cells with JupyterLab's own command. Then the page must show the
checker's message for an unanswered exercise, without a traceback, every code cell must have run
(the progress cell at the end included), and the saved notebook must hold no stderr output. The
test is skipped when Chromium or chromedriver is missing and cannot be installed (not root).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from _browser import CHROMEDRIVER, CHROMIUM, selenium_webdriver
from tools.notebooks import NOTEBOOKS, ROOT, ensure_kernel
from tools.workspace import update

NOTEBOOK = NOTEBOOKS / "01_the_neuron.ipynb"

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def webdriver():
    return selenium_webdriver()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a fresh workspace; yields (base URL with token, workspace folder)."""
    root = tmp_path_factory.mktemp("course")
    workspace = root / "workspace"
    update(workspace, [NOTEBOOK])
    ensure_kernel()
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, COURSE_QUICK="1", PYTHONPATH=str(ROOT), JUPYTER_CONFIG_DIR=str(root / ".jupyter"))
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=True", f"--LabApp.user_settings_dir={root / 'settings'}",
         f"--LabApp.workspaces_dir={root / 'lab-workspaces'}",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-2000:])
    yield base, token, workspace
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser(webdriver, tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def wait_for(browser, script: str, seconds: float, what: str):
    """Poll ``script`` in the page until it returns something truthy; fail naming ``what``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            value = browser.execute_script(script)
        except Exception:  # the page may still be loading  # noqa: BLE001
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def test_run_all_in_jupyterlab_shows_the_checkers_message_and_goes_on(lab, browser):
    base, token, workspace = lab
    browser.get(f"{base}/lab/tree/workspace/{NOTEBOOK.name}?token={token}")
    wait_for(browser, "return window.jupyterapp && window.jupyterapp.shell.currentWidget"
                      " && window.jupyterapp.shell.currentWidget.sessionContext"
                      " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                      " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                      " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
             180, "the notebook and its kernel")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(workspace / NOTEBOOK.name, as_version=4).cells)
    # Every code cell's prompt shows a number (not empty, not '*').
    wait_for(browser, f"""
        const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt'));
        return prompts.length === {code_cells} && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
    """, 300, "Run All to reach the last cell")
    page = browser.find_element("css selector", ".jp-Notebook").text
    assert "Exercise 1.1 (a stable sigmoid) is not right yet" in page
    assert "is not written yet" in page and "Traceback" not in page and "helpers/check" not in page
    assert "Notebook 01: 0 of 4 exercises passed" in page, "the progress cell at the end did not run"

    browser.execute_script("window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(3)
    saved = nbformat.read(workspace / NOTEBOOK.name, as_version=4)
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    stderr = [o.text for c in code for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert stderr == [], f"stderr in the notebook: {stderr[:3]}"
    failing = [c.metadata.get("exercise", {}).get("id") for c in code
               if any(o.output_type == "error" for o in c.outputs)]
    assert failing == ["1.1", "1.2", "1.3", "1.4"], "only the exercise cells may fail"
    assert Path(workspace / "solutions.json").is_file()
