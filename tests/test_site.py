"""make site: an offline book. Every page of the rendered course loads in a real browser with
the network blocked, shows its plots and typeset formulas, has no errors, and links to its
neighbours; no page loads a script, style or font from another host.

The site is built into a temporary folder (the same way make site builds build/site/), served on
127.0.0.1 by http.server and opened in headless Chromium through selenium. Debian's `chromium`
and `chromium-driver` are installed with apt-get when missing and we are root (CI); otherwise the
browser tests are skipped with the reason. The network is blocked for the browser: it resolves
no host but 127.0.0.1, and each page checks that everything it loaded came from there.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from _browser import CHROMEDRIVER, CHROMIUM, selenium_webdriver
from tools.notebooks import course_notebooks
from tools.site import (ERROR_CLASS, MATHJAX_URL, Page, build, executed_copy, exporter, lesson_time, links_to_pages,
                        navigation, page_sections, table_of_contents)

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
    assert "require.js" not in body and "mermaid" not in body.lower()


def test_the_time_line_and_the_sections_of_a_page_are_found():
    notebook = new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 05 · Training\n*Part 1, the mathematics · about 20 seconds on a laptop CPU*\n\n**Learning goals.**")])
    assert lesson_time(notebook) == "Part 1, the mathematics · about 20 seconds on a laptop CPU"
    assert lesson_time(new_notebook(cells=[nbformat.v4.new_markdown_cell("# 05\n**Learning goals.**")])) == ""
    two_lines = "# 12 · Practice\n\n*Part 2 · about 16 minutes on a laptop CPU with 2\ncores (eight trainings)*\n\nGoals"
    assert lesson_time(new_notebook(cells=[nbformat.v4.new_markdown_cell(two_lines)])) == (
        "Part 2 · about 16 minutes on a laptop CPU with 2 cores (eight trainings)")
    body = ('<h1 id="05">05<a class="anchor-link" href="#05">¶</a></h1>'
            '<h2 id="1.-The-cost-$C$">1. The cost $C$<a class="anchor-link" href="#1.-The-cost-$C$">¶</a></h2>'
            '<h3 id="Adam">Adam &amp; <code>fit</code></h3>')
    sections = page_sections(body)
    assert sections == [(2, "1.-The-cost-$C$", "1. The cost $C$"), (3, "Adam", "Adam & fit")]
    toc = table_of_contents(sections)
    assert 'href="#1.-The-cost-$C$"' in toc and "Adam &amp; fit" in toc and 'class="level-3"' in toc
    assert table_of_contents([]) == ""


def test_every_page_links_the_index_and_its_neighbours(tmp_path):
    pages = [Page(tmp_path / f"{n}.ipynb", tmp_path / f"{n}.html", f"Lesson {n}", []) for n in "abc"]
    first, middle, last = (navigation(pages, i, "top") for i in range(3))
    assert 'href="index.html"' in first and 'rel="next"' in first and 'rel="prev"' not in first
    assert all(f'href="{name}.html"' in middle for name in "ac") and 'href="index.html"' in middle
    assert 'href="b.html" rel="prev"' in last and 'rel="next"' not in last
    index = navigation(pages, -1, "bottom")
    assert 'href="a.html" rel="next"' in index and "course-toc" not in index


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
    """Debian's chromium and chromedriver: installed as root when missing, else the test skips."""
    return selenium_webdriver()


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

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # the browser closing a connection early (BrokenPipeError) is not the site's fault

    httpd = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site[0])))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class LoadedResources(HTMLParser):
    """Every URL a page loads as a script, style, font, image or frame (not the links to follow)."""

    LOADS = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
             ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data")}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in self.LOADS and value:
                self.urls.append(value)
            if name == "style" and value:
                self.urls += css_urls(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += css_urls(data)


def css_urls(css: str) -> list[str]:
    """The URLs of ``url(...)`` and ``@import`` in a piece of CSS."""
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return [url.strip() for url in found]


def is_other_host(url: str) -> bool:
    """True for a URL that names a host (http://, https://, //host, ...); data: and relative are local."""
    parsed = urllib.parse.urlparse(url)
    return bool(parsed.netloc) or parsed.scheme not in ("", "data")


def test_links_between_notebooks_become_links_between_pages(tmp_path):
    pages = [Page(tmp_path / "A2_x.ipynb", tmp_path / "A2_x.html", "A2", [], "")]
    body = '<a href="A2_x.ipynb">A2</a> <a href="A2_x.ipynb#Skip">s</a> <a href="B.ipynb">b</a>'
    assert links_to_pages(body, pages) == (
        '<a href="A2_x.html">A2</a> <a href="A2_x.html#Skip">s</a> <a href="B.ipynb">b</a>')


def test_css_urls_and_other_hosts_are_recognised():
    page = LoadedResources()
    page.feed('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/f.css">'
              '<style>@import "https://x.example/a.css"; @font-face { src: url(https://x.example/f.woff) }</style>'
              '<a href="https://www.tensorflow.org/">a link to read, not a load</a><img src="data:image/png;base64,AA">'
              '<script src="mathjax/MathJax.js?config=TeX"></script>')
    remote = [url for url in page.urls if is_other_host(url)]
    assert sorted(remote) == ["//fonts.example/f.css", "https://cdn.example/x.js", "https://x.example/a.css",
                              "https://x.example/f.woff"]


def test_the_site_loads_nothing_from_another_host(site):
    out, pages = site
    files = sorted(out.glob("*.html"))
    assert len(files) == len(pages) + 1
    for path in files:
        parser = LoadedResources()
        parser.feed(path.read_text(encoding="utf-8"))
        remote = [url for url in parser.urls if is_other_host(url)]
        assert not remote, f"{path.name} loads from another host: {remote}"
        local = [url for url in parser.urls if not url.startswith("data:")]
        for url in local:
            assert (out / urllib.parse.urlparse(url).path).is_file(), f"{path.name} loads {url}, which the site lacks"
    assert (out / MATHJAX_URL).is_file() and (out / MATHJAX_URL).stat().st_size > 1_000_000, "MathJax is missing"


def open_page(browser, url: str) -> None:
    """Load ``url``; return when the document, its images and MathJax's typesetting are done
    (at most 60 s)."""
    from selenium.webdriver.support.ui import WebDriverWait

    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, f"{url}: HTTP {response.status}"
    browser.get(url)
    WebDriverWait(browser, 60).until(lambda b: b.execute_script(
        "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"))
    # MathJax 3's startup promise resolves once the page is typeset.
    browser.execute_script("window.courseTypeset = false;"
                           "if (window.MathJax && MathJax.startup) { MathJax.startup.promise.then(() => { window.courseTypeset = true; }); }")
    WebDriverWait(browser, 60).until(lambda b: b.execute_script("return window.courseTypeset === true"),
                                     f"{url}: MathJax did not finish typesetting (did it load?)")


def image_outputs(path) -> int:
    """How many PNG outputs (plots) the notebook holds."""
    notebook = nbformat.read(path, as_version=4)
    return sum("image/png" in output.get("data", {})
               for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs)


def has_math(path) -> bool:
    """True when the notebook's Markdown holds a formula ($...$)."""
    notebook = nbformat.read(path, as_version=4)
    return any("$" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


#: The text of the page that Markdown made (cells, the bars, the table of contents), without code.
PROSE = """
return Array.from(document.querySelectorAll('.jp-MarkdownCell, nav')).map(element => {
  const copy = element.cloneNode(true);
  copy.querySelectorAll('code, pre, script, mjx-container').forEach(e => e.remove());
  return copy.textContent;
}).join('\\n');
"""
RAW_TEX = re.compile(r"\$[^$\s][^$]*\$|\$\$|\\\(|\\\[")


def check_page_is_offline_and_typeset(browser, server: str, name: str, math: bool) -> None:
    """Everything the page loaded came from the test's server; no formula is left as TeX."""
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])")
    remote = [url for url in loaded if not url.startswith((server, "data:"))]
    assert not remote, f"{name} loaded from another host: {remote}"
    missing = browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.responseStatus >= 400).map(e => e.name)")
    assert not missing, f"{name}: these files of the site are missing: {missing}"
    prose = browser.execute_script(PROSE)
    raw = sorted(set(RAW_TEX.findall(prose)))
    assert not raw, f"{name}: formulas left as raw TeX in the visible text: {raw[:5]}"
    if math:
        typeset = browser.execute_script("return document.querySelectorAll('mjx-container').length")
        assert typeset > 0, f"{name}: has formulas but MathJax typeset none"


def check_links_resolve(browser, name: str) -> list[str]:
    """Every link to this site (another page, a section) leads somewhere; return the pages linked."""
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => [a.getAttribute('href'), a.href])")
    pages = []
    for href, absolute in links:
        parsed = urllib.parse.urlparse(href)
        if parsed.scheme or parsed.netloc:
            continue  # a link to read elsewhere (documentation), not part of the site
        target = urllib.parse.urldefrag(absolute)
        if parsed.path:
            with urllib.request.urlopen(target.url, timeout=10) as response:
                assert response.status == 200, f"{name}: the link {href} gives HTTP {response.status}"
            pages.append(parsed.path)
        elif target.fragment:
            # As a browser does: the fragment as written (nbconvert's ids keep %-escapes), else decoded.
            found = browser.execute_script(
                "return (document.getElementById(arguments[0]) || document.getElementById(arguments[1])) !== null",
                target.fragment, urllib.parse.unquote(target.fragment))
            assert found, f"{name}: the link {href} points at no element of the page"
    return pages


def test_the_index_lists_every_notebook_with_its_time_and_goals(site, server, browser):
    out, pages = site
    assert sorted(pages) == sorted(f"{p.stem}.html" for p in NOTEBOOKS)
    open_page(browser, server + "index.html")
    assert browser.title, "the index has no title"
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('.jp-MarkdownCell h2 a[href$=\".html\"]'))"
        ".map(a => [a.getAttribute('href'), a.textContent.trim()])")
    assert [href for href, _ in links] == list(pages), "the index must link every page, in order"
    for href, text in links:
        assert text == pages[href].title, f"the index calls {href} {text!r}; its heading is {pages[href].title!r}"
    prose = " ".join(browser.execute_script(PROSE).split())
    for page in pages.values():
        assert page.time, f"{page.html.name}: no time line under its title"
        assert page.time.split("·")[-1].strip() in prose, f"the index does not show the time of {page.html.name}"
    goals = browser.execute_script("return document.querySelectorAll('.jp-MarkdownCell li').length")
    assert goals >= sum(len(page.goals) for page in pages.values()) > 0, "the index must show the learning goals"
    check_page_is_offline_and_typeset(browser, server, "index.html", math=True)
    assert check_links_resolve(browser, "index.html")


def test_next_links_lead_from_the_index_through_every_page_in_order(site, server, browser):
    _, pages = site
    visited, url = [], server + "index.html"
    while True:
        browser.get(url)
        following = browser.find_elements("css selector", "nav.course-nav-top a[rel='next']")
        if not following:
            break
        url = following[0].get_attribute("href")
        visited.append(url.rsplit("/", 1)[-1])
        assert len(visited) <= len(pages), "the next links go round in a circle"
    assert visited == list(pages)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_page_loads_offline_with_plots_formulas_navigation_and_no_errors(path, site, server, browser):
    _, pages = site
    page = pages[f"{path.stem}.html"]
    name = page.html.name
    open_page(browser, server + name)
    assert browser.title == page.title
    images = browser.execute_script(
        "return Array.from(document.images).filter(i => i.src.startsWith('data:image/png'))"
        ".map(i => i.naturalWidth)")
    expected = image_outputs(page.notebook)
    assert len(images) >= expected, f"{name}: {len(images)} plots shown, the notebook has {expected}"
    assert all(width > 0 for width in images), f"{name}: a plot did not decode (widths {images})"
    errors = browser.execute_script(
        f"return Array.from(document.querySelectorAll('.{ERROR_CLASS}'))"
        ".filter(e => !e.closest('.celltag_raises-exception')).map(e => e.dataset.ename)")
    assert not errors, f"{name} (from {page.notebook}) shows error outputs: {errors}"
    check_page_is_offline_and_typeset(browser, server, name, has_math(page.notebook))
    # The bars at the top and the bottom: the index and the neighbours; the table of contents.
    order = list(pages)
    position = order.index(name)
    neighbours = {"index.html"} | {order[i] for i in (position - 1, position + 1) if 0 <= i < len(order)}
    for where in ("top", "bottom"):
        bar = browser.execute_script(
            f"return Array.from(document.querySelectorAll('nav.course-nav-{where} a')).map(a => a.getAttribute('href'))")
        assert set(bar) == neighbours, f"{name}: the {where} bar links {bar}; expected {sorted(neighbours)}"
    toc = browser.execute_script(
        "return Array.from(document.querySelectorAll('nav.course-toc a')).map(a => a.getAttribute('href'))")
    assert len(toc) == len(page.sections) >= 3, f"{name}: the table of contents has {len(toc)} entries"
    check_links_resolve(browser, name)
