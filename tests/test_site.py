"""make site: every page of the rendered course loads in a real browser, shows its plots, has no errors.

The site is built into a temporary folder (the same way make site builds build/site/), served on
127.0.0.1 by http.server and opened in headless Chromium through selenium. Debian's `chromium`
and `chromium-driver` are installed with apt-get when missing and we are root (CI); otherwise the
browser tests are skipped with the reason. The network may be closed: Chromium resolves no host
but 127.0.0.1, so the CDN scripts of nbconvert's template (MathJax) fail at once instead of
holding the page.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tools.notebooks import course_notebooks
from tools.site import ERROR_CLASS, build, executed_copy, exporter

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
NOTEBOOKS = course_notebooks()
IDS = [p.stem for p in NOTEBOOKS]


def test_error_outputs_are_marked_and_stderr_is_not():
    # The lab template draws a traceback and a stderr stream with the same markup; the browser
    # test finds errors by the class tools/site.py adds, so check here that it is there.
    notebook = new_notebook(cells=[
        new_code_cell("import warnings", outputs=[new_output("stream", name="stderr", text="a warning\n")]),
        new_code_cell("1 / 0", outputs=[new_output("error", ename="ZeroDivisionError",
                                                   evalue="division by zero", traceback=["ZeroDivisionError"])]),
        new_code_cell("tf.placeholder", metadata={"tags": ["raises-exception"]},
                      outputs=[new_output("error", ename="AttributeError", evalue="...", traceback=["..."])]),
    ])
    body, _ = exporter().from_notebook_node(notebook)
    cells = body.split("jp-Cell jp-CodeCell")[1:]
    assert [cell.count(f'class="{ERROR_CLASS}"') for cell in cells] == [0, 1, 1]
    assert 'data-ename="ZeroDivisionError"' in cells[1] and "a warning" in cells[0]
    # An error on purpose sits in a cell whose class says so; the browser test skips those.
    assert "celltag_raises-exception" in cells[2].split(ERROR_CLASS)[0]
    assert "require.js" not in body


def test_a_page_comes_from_the_executed_copy_only_when_it_is_a_current_full_run(tmp_path):
    source, executed = tmp_path / "notebooks" / "01_x.ipynb", tmp_path / "build"
    source.parent.mkdir()
    executed.mkdir()
    nbformat.write(new_notebook(), source)
    assert executed_copy(source, executed) == source, "no executed copy yet"
    for papermill, expected in [({"parameters": {}}, executed / source.name),
                                ({"parameters": {"QUICK": True}}, source),  # make quick
                                ({"parameters": {}, "exception": True}, source)]:  # a failed run
        nbformat.write(new_notebook(metadata={"papermill": papermill}), executed / source.name)
        assert executed_copy(source, executed) == expected, papermill
    os.utime(executed / source.name, (0, 0))
    assert executed_copy(source, executed) == source, "an executed copy older than the notebook is stale"


# --- the browser --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium():
    """Make sure Debian's chromium and chromedriver are there: install them as root, else skip."""
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


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    options = chromium.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 # No DNS: any host but 127.0.0.1 fails immediately, so a closed network cannot stall a page.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]:
        options.add_argument(flag)
    options.page_load_strategy = "eager"  # we wait for the images ourselves, not for CDN scripts
    driver = chromium.Chrome(options=options, service=chromium.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


# --- the site -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The course site, built as make site builds it, and its notebook pages by name."""
    out = tmp_path_factory.mktemp("site")
    pages = build(out)
    return out, {page.html.name: page for page in pages}


@pytest.fixture(scope="module")
def server(site):
    """The base URL of the site served by http.server on 127.0.0.1 at a free port."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site[0])))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def open_page(browser, url: str) -> None:
    """Load ``url``; return when the document and all its images have loaded (at most 30 s)."""
    from selenium.webdriver.support.ui import WebDriverWait

    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, f"{url}: HTTP {response.status}"
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(
        "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"))


def image_outputs(path) -> int:
    """How many PNG outputs (plots) the notebook holds."""
    notebook = nbformat.read(path, as_version=4)
    return sum("image/png" in output.get("data", {})
               for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs)


def test_the_index_lists_every_notebook_with_a_working_link(site, server, browser):
    out, pages = site
    assert sorted(pages) == sorted(f"{p.stem}.html" for p in NOTEBOOKS)
    open_page(browser, server + "index.html")
    assert browser.title, "the index has no title"
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('h2 a[href$=\".html\"]'))"
        ".map(a => [a.getAttribute('href'), a.href, a.textContent.trim()])")
    assert [href for href, _, _ in links] == list(pages), "the index must link every page, in order"
    for href, absolute, text in links:
        assert text == pages[href].title, f"the index calls {href} {text!r}; its heading is {pages[href].title!r}"
        with urllib.request.urlopen(absolute, timeout=10) as response:
            assert response.status == 200, f"the index's link {href} gives HTTP {response.status}"
    goals = browser.execute_script("return document.querySelectorAll('li').length")
    assert goals >= sum(len(page.goals) for page in pages.values()) > 0, "the index must show the learning goals"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_page_loads_shows_its_plots_and_has_no_errors(path, site, server, browser):
    page = site[1][f"{path.stem}.html"]
    open_page(browser, server + page.html.name)
    assert browser.title == page.title
    images = browser.execute_script(
        "return Array.from(document.images).filter(i => i.src.startsWith('data:image/png'))"
        ".map(i => i.naturalWidth)")
    expected = image_outputs(page.notebook)
    assert len(images) >= expected, f"{page.html.name}: {len(images)} plots shown, the notebook has {expected}"
    assert all(width > 0 for width in images), f"{page.html.name}: a plot did not decode (widths {images})"
    errors = browser.execute_script(
        f"return Array.from(document.querySelectorAll('.{ERROR_CLASS}'))"
        ".filter(e => !e.closest('.celltag_raises-exception')).map(e => e.dataset.ename)")
    assert not errors, f"{page.html.name} (from {page.notebook}) shows error outputs: {errors}"
    assert browser.find_elements("css selector", "a[href='index.html']"), f"{page.html.name}: no link to the index"
