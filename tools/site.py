"""Render the executed course to HTML in build/site/ (``make site``): a small offline book.

    python tools/site.py                 # -> build/site/index.html and one page per notebook
    python tools/site.py --out public    # somewhere else

Each page comes from the executed copy in build/notebooks/ (written by ``make course``) when that
copy ran with the full parameters, finished, and is not older than the notebook in notebooks/;
otherwise from the committed notebook, which is committed with the outputs of a full run. So
``make site`` works on a fresh clone, and ``make course && make site`` shows freshly executed
outputs. The script prints which file each page comes from.

The site needs no network to be read. Formulas are typeset in the browser by MathJax 3, whose
single-file build (TeX in, SVG out, no font files) is copied into ``mathjax/`` beside the pages
from the PyPI package ``django-static-mathjax``, MathJax's own files packaged for pip. Plots are
embedded as ``data:`` PNGs and the styles are inline, so no page loads a script, style or font
from another host (a test checks every ``src`` and ``href``); Mermaid and require.js, which
nbconvert would load from a CDN, are left out (no lesson uses them).

Pages use nbconvert's ``lab`` template (they look like JupyterLab) with these changes: a line of
links at the top and bottom of every page (the index, the previous and the next lesson), a table
of contents of the page's sections under the top one, and every error output wrapped in
``<div class="course-error" data-ename="...">`` (the lab template draws errors and stderr
alike, and the site test must tell them apart). The index lists every lesson with its time and
learning goals.

Why nbconvert and not Jupyter Book: nbconvert is already one of the course's packages and draws
a page exactly as JupyterLab shows the notebook; the book around it (navigation, contents, the
index) is the hundred lines below. Jupyter Book 1 would add Sphinx and its themes, and still
load MathJax from a CDN unless configured otherwise; Jupyter Book 2 runs on Node.js, another
toolchain for every contributor and for CI. It would bring full-text search, which this site
does not have (a browser's find-in-page works within a lesson).
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import nbformat
from nbconvert import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.notebooks import BUILD, NOTEBOOKS, ROOT, course_notebooks  # noqa: E402

#: The class of the element that wraps each error output (a traceback) on a page.
ERROR_CLASS = "course-error"
#: Where MathJax goes, beside the pages, and the file of it the pages load: MathJax 3's TeX input
#: with SVG output, every TeX extension included, in one file that needs no fonts.
MATHJAX_FOLDER = "mathjax"
MATHJAX_FILE = "tex-svg-full.js"
MATHJAX_URL = f"{MATHJAX_FOLDER}/{MATHJAX_FILE}"
#: The comment in the top bar that the page's table of contents replaces.
TOC_MARK = "<!-- course-toc -->"

STYLE = """
nav.course-nav { display: grid; grid-template-columns: 1fr auto 1fr; gap: 0.4em 1.5em;
  max-width: 1200px; margin: 0.5em auto; padding: 0.5em 1em; border: 1px solid #ddd;
  border-radius: 4px; background: #f7f7f7; font-family: var(--jp-ui-font-family, sans-serif); }
nav.course-nav > :nth-child(3) { text-align: right; }
nav.course-toc { max-width: 1200px; margin: 0.5em auto 1em; padding: 0.3em 1em;
  border-left: 3px solid #999; font-family: var(--jp-ui-font-family, sans-serif); }
nav.course-toc ul { margin: 0.2em 0; padding-left: 1.2em; }
nav.course-toc li.level-3 { margin-left: 1.2em; }
nav.course-nav a, nav.course-toc a { color: #0b57a4; text-decoration: none; }
nav.course-nav a:hover, nav.course-toc a:hover { text-decoration: underline; }
"""

#: MathJax's configuration: the delimiters JupyterLab uses, and equation numbers as in LaTeX.
MATHJAX_CONFIG = r"""
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  svg: {fontCache: 'global'}
};
"""

TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
<script>MATHJAX_CONFIG</script>
<script src="{{ resources.mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<link rel="icon" href="data:,"><style>STYLE</style>{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.course_top | default('') }}
{%- endblock body_header -%}
{% block body_footer %}
{{ resources.course_bottom | default('') }}
{{ super() }}
{% endblock body_footer %}
{% block error -%}
<div class="ERROR_CLASS" data-ename="{{ output.ename | e }}">
{{ super() }}
</div>
{%- endblock error %}
""".replace("ERROR_CLASS", ERROR_CLASS).replace("STYLE", STYLE).replace("MATHJAX_CONFIG", MATHJAX_CONFIG)


@dataclass
class Page:
    """One notebook of the site: where it was rendered from and where the page is."""

    notebook: Path  # the .ipynb the page was rendered from
    html: Path
    title: str
    goals: list[str]
    time: str = ""  # the first cell's line on the part and the time it takes
    sections: list[tuple[int, str, str]] = field(default_factory=list)  # (level, id, text)


def lesson_title(notebook: nbformat.NotebookNode, path: Path) -> str:
    """The notebook's first Markdown heading without its ``#`` ("01 · The neuron"), else its name."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def lesson_time(notebook: nbformat.NotebookNode) -> str:
    """The italic line under the first cell's title ("Part 1, the mathematics · about 20
    seconds on a laptop CPU"), without its asterisks and on one line; "" if there is none.
    It may run over several lines of the cell."""
    lines = [line.strip() for line in (notebook.cells[0].source.splitlines()[1:] if notebook.cells else [])]
    while lines and not lines[0]:
        lines.pop(0)
    if not lines or not lines[0].startswith("*") or lines[0].startswith("**"):
        return ""
    italic = []
    for line in lines:
        if not line:
            return ""  # no closing asterisk before the paragraph ends
        italic.append(line)
        if line.endswith("*") and len(" ".join(italic)) > 1:
            return " ".join(italic).strip("*").strip()
    return ""


def learning_goals(notebook: nbformat.NotebookNode) -> list[str]:
    """The bullets under "Learning goals" in the first cell, as Markdown, one string per goal.

    A bullet may continue on indented lines; the list ends at the first blank line after it.
    """
    first = notebook.cells[0].source if notebook.cells else ""
    lines = first.splitlines()
    start = next((i for i, line in enumerate(lines) if "Learning goals" in line), None)
    goals: list[str] = []
    if start is None:
        return goals
    for line in lines[start + 1:]:
        if line.startswith(("- ", "* ")):
            goals.append(line[2:].strip())
        elif goals and line.strip() and line.startswith(" "):
            goals[-1] += " " + line.strip()
        elif goals:
            break
    return goals


def executed_copy(source: Path, executed: Path = BUILD / "notebooks") -> Path:
    """The file to render for ``source``: its full, finished, up-to-date run if any, else itself."""
    copy = executed / source.name
    if not copy.exists() or copy.stat().st_mtime < source.stat().st_mtime:
        return source
    papermill = nbformat.read(copy, as_version=4).metadata.get("papermill", {})
    if papermill.get("exception") or papermill.get("parameters", {}).get("QUICK"):
        return source  # a failed run, or make quick's outputs
    return copy


def exporter() -> HTMLExporter:
    """nbconvert's lab template with the course's changes (see the module docstring)."""
    return HTMLExporter(
        template_file="course.html.j2",
        extra_loaders=[jinja2.DictLoader({"course.html.j2": TEMPLATE})],
        mathjax_url=MATHJAX_URL,
    )


def mathjax_source() -> Path:
    """MathJax's single-file build, from the PyPI package ``django-static-mathjax`` (MathJax 3
    itself, packaged as static files; nothing of Django is needed or imported)."""
    import importlib.util

    spec = importlib.util.find_spec("mathjax")
    build = Path(spec.origin).parent / "static" / "mathjax" / "es5" if spec else Path("missing")
    if not (build / MATHJAX_FILE).is_file():
        raise SystemExit("error: tools/site.py needs MathJax for offline pages, from the package "
                         "django-static-mathjax: pip install -e '.[dev]'")
    return build


def link(page: Page | None, label: str, fallback: str = "") -> str:
    """``<a href="page.html">label: title</a>``, or ``fallback`` when there is no such page."""
    if page is None:
        return fallback
    return f'<a href="{page.html.name}" rel="{"prev" if label == "previous" else label}">{html.escape(label)}: {html.escape(page.title)}</a>'


def navigation(pages: list[Page], index: int, where: str) -> str:
    """The bar of links at the ``where`` ("top" or "bottom") of page ``index`` (-1: the index).

    Always three parts (previous, index, next; an empty ``<span>`` where there is none), which the
    style puts in three columns: the index link stays in the middle on the first and last page.
    """
    previous = pages[index - 1] if index > 0 else None
    following = pages[index + 1] if index + 1 < len(pages) else None
    start = '<a href="index.html" rel="index">Course index</a>'
    parts = [link(previous, "previous", start if index == 0 else "<span></span>"),
             start if index > 0 else "<span></span>",
             link(following, "next", "<span></span>")]
    if index < 0:
        parts = ["<span>Course index</span>", "<span></span>", link(pages[0], "next")] if pages else []
    bar = f'<nav class="course-nav course-nav-{where}">{"".join(parts)}</nav>'
    return bar + (f"\n{TOC_MARK}" if where == "top" else "")


HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h\1>', re.S)


def page_sections(body: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of every h2 and h3 of a rendered page, in order."""
    tags = re.compile(r"<[^>]+>")
    return [(int(level), anchor, html.unescape(tags.sub("", text)).strip())
            for level, anchor, text in HEADING.findall(body)]


def table_of_contents(sections: list[tuple[int, str, str]]) -> str:
    """A ``<nav class="course-toc">`` list of links to the page's sections ("" if none)."""
    if not sections:
        return ""
    items = "".join(f'<li class="level-{level}"><a href="#{anchor}">{html.escape(text)}</a></li>'
                    for level, anchor, text in sections)
    return f'<nav class="course-toc"><strong>On this page</strong><ul>{items}</ul></nav>'


def render(html_exporter: HTMLExporter, notebook: nbformat.NotebookNode, title: str,
           top: str, bottom: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The page of ``notebook`` with its bars and table of contents; and its sections."""
    body, _ = html_exporter.from_notebook_node(
        notebook, resources={"metadata": {"name": title}, "course_top": top, "course_bottom": bottom})
    sections = page_sections(body)
    return body.replace(TOC_MARK, table_of_contents(sections), 1), sections


def index_notebook(pages: list[Page]) -> nbformat.NotebookNode:
    """The index page as a notebook of Markdown cells, so it looks like the lessons."""
    cells = [new_markdown_cell(
        "# Convolutional neural networks with TensorFlow\n\n"
        "A notebook course from one neuron to a cats-vs-dogs classifier, executed. Each page is "
        "one notebook with its outputs; the notebooks themselves are in the course repository's "
        "`notebooks/` folder. Every page has links to the previous and the next one at its top "
        "and bottom.")]
    for page in pages:
        goals = "\n".join(f"- {goal}" for goal in page.goals)
        time = f"*{page.time}*\n\n" if page.time else ""
        cells.append(new_markdown_cell(
            f"## [{page.title}]({page.html.name})\n\n{time}**Learning goals.** After this notebook "
            f"you can:\n\n{goals}"))
    notebook = new_notebook(cells=cells)
    notebook.metadata["title"] = "Convolutional neural networks with TensorFlow: the course"
    return notebook


def links_to_pages(body: str, pages: list[Page]) -> str:
    """Links between notebooks (``A2_....ipynb#section``) made into links between their pages."""
    for page in pages:
        stem = page.html.stem
        body = re.sub(rf'href="{re.escape(stem)}\.ipynb(?=["#])', f'href="{stem}.html', body)
    return body


def build(out: Path = BUILD / "site", sources: list[Path] | None = None,
          executed: Path = BUILD / "notebooks") -> list[Page]:
    """Render every course notebook and the index into ``out``, with MathJax beside them;
    return the notebook pages."""
    mathjax = mathjax_source()
    (out / MATHJAX_FOLDER).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mathjax / MATHJAX_FILE, out / MATHJAX_FOLDER / MATHJAX_FILE)
    pages = []
    for source in sources or course_notebooks(NOTEBOOKS):
        path = executed_copy(source, executed)
        notebook = nbformat.read(path, as_version=4)
        pages.append(Page(path, out / f"{source.stem}.html", lesson_title(notebook, source),
                          learning_goals(notebook), lesson_time(notebook)))
    html_exporter = exporter()
    for index, page in enumerate(pages):
        notebook = nbformat.read(page.notebook, as_version=4)
        notebook.metadata["title"] = page.title
        body, page.sections = render(html_exporter, notebook, page.title, navigation(pages, index, "top"),
                                     navigation(pages, index, "bottom"))
        page.html.write_text(links_to_pages(body, pages), encoding="utf-8")
    title = "Convolutional neural networks with TensorFlow: the course"
    body, _ = render(html_exporter, index_notebook(pages), title, navigation(pages, -1, "top"),
                     navigation(pages, -1, "bottom"))
    (out / "index.html").write_text(body, encoding="utf-8")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=BUILD / "site", help="where the HTML goes")
    args = parser.parse_args(argv)
    for page in build(args.out):
        shown = page.notebook.relative_to(ROOT) if page.notebook.is_relative_to(ROOT) else page.notebook
        print(f"{page.html.name:40} from {shown}")
    print(f"open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
