"""Render the executed course to HTML in build/site/ (``make site``), with an index page.

    python tools/site.py                 # -> build/site/index.html and one page per notebook
    python tools/site.py --out public    # somewhere else

Each page comes from the executed copy in build/notebooks/ (written by ``make course``) when that
copy ran with the full parameters, finished, and is not older than the notebook in notebooks/;
otherwise from the committed notebook, which is committed with the outputs of a full run. So
``make site`` works on a fresh clone, and ``make course && make site`` shows freshly executed
outputs. The script prints which file each page comes from.

Pages use nbconvert's ``lab`` template (they look like JupyterLab) with three changes: every error
output is wrapped in ``<div class="course-error" data-ename="...">`` (the lab template draws
errors and stderr alike, and the site test must tell them apart), require.js is not loaded (no
course output needs it), and each page starts with links to the index and its neighbours.
Plots are embedded as ``data:`` PNGs, so a page is one file. Formulas are typeset by MathJax from
its CDN, as nbconvert does by default: offline, a reader sees the LaTeX source instead.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2
import nbformat
from nbconvert import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.notebooks import BUILD, NOTEBOOKS, ROOT, course_notebooks  # noqa: E402

#: The class of the element that wraps each error output (a traceback) on a page.
ERROR_CLASS = "course-error"

TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block error -%}
<div class="ERROR_CLASS" data-ename="{{ output.ename | e }}">
{{ super() }}
</div>
{%- endblock error %}
""".replace("ERROR_CLASS", ERROR_CLASS)


@dataclass
class Page:
    """One notebook of the site: where it was rendered from and where the page is."""

    notebook: Path  # the .ipynb the page was rendered from
    html: Path
    title: str
    goals: list[str]


def lesson_title(notebook: nbformat.NotebookNode, path: Path) -> str:
    """The notebook's first Markdown heading without its ``#`` ("01 · The neuron"), else its name."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


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
    )


def navigation(pages: list[Page], index: int) -> str:
    """Markdown for the line of links at the top of page ``index``."""
    links = ["[Course index](index.html)"]
    if index > 0:
        links.append(f"previous: [{pages[index - 1].title}]({pages[index - 1].html.name})")
    if index + 1 < len(pages):
        links.append(f"next: [{pages[index + 1].title}]({pages[index + 1].html.name})")
    return " · ".join(links)


def index_notebook(pages: list[Page]) -> nbformat.NotebookNode:
    """The index page as a notebook of Markdown cells, so it looks like the lessons."""
    cells = [new_markdown_cell(
        "# Convolutional neural networks with TensorFlow\n\n"
        "A notebook course from one neuron to a cats-vs-dogs classifier, executed. Each page is "
        "one notebook with its outputs; the notebooks themselves are in the course repository's "
        "`notebooks/` folder.")]
    for page in pages:
        goals = "\n".join(f"- {goal}" for goal in page.goals)
        cells.append(new_markdown_cell(
            f"## [{page.title}]({page.html.name})\n\n**Learning goals.** After this notebook you can:\n\n{goals}"))
    notebook = new_notebook(cells=cells)
    notebook.metadata["title"] = "Convolutional neural networks with TensorFlow: the course"
    return notebook


def build(out: Path = BUILD / "site", sources: list[Path] | None = None,
          executed: Path = BUILD / "notebooks") -> list[Page]:
    """Render every course notebook and the index into ``out``; return the notebook pages."""
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for source in sources or course_notebooks(NOTEBOOKS):
        path = executed_copy(source, executed)
        notebook = nbformat.read(path, as_version=4)
        pages.append(Page(path, out / f"{source.stem}.html", lesson_title(notebook, source),
                          learning_goals(notebook)))
    html_exporter = exporter()
    for index, page in enumerate(pages):
        notebook = nbformat.read(page.notebook, as_version=4)
        notebook.metadata["title"] = page.title
        notebook.cells.insert(0, new_markdown_cell(navigation(pages, index)))
        body, _ = html_exporter.from_notebook_node(notebook, resources={"metadata": {"name": page.title}})
        page.html.write_text(body, encoding="utf-8")
    body, _ = html_exporter.from_notebook_node(index_notebook(pages), resources={"metadata": {"name": "index"}})
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
