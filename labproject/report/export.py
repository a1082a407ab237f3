"""Export an executed notebook to one HTML page with no script from the network, for a reader.

The offline template hides the code behind a toggle and puts a bar on top (back to the index, the
glossary, the toggle, the executed notebook to download); this module links each glossary term's first
use in the page's prose to its entry, and adds the page's table of contents, built from the section
headings nbconvert rendered, with their anchors.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import nbformat

from labproject.report.glossary import PAGE as GLOSSARY
from labproject.report.glossary import TERMS, Term

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TOC_MARK = "<!--lab-toc-->"
# nbconvert renders a markdown heading as <h2 id="Anchor">Text<a class="anchor-link" href="#Anchor">¶</a></h2>.
HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)<a class="anchor-link"', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
# What prose linking leaves alone: code spans (linked whole when they hold a term), links, HTML tags, headings.
UNTOUCHED = re.compile(r"(`[^`\n]+`|\[[^\]\n]*\]\([^)\n]*\)|<[^>\n]+>|^#{1,6} [^\n]*$)", re.MULTILINE)


def export_html(notebook: Path, target: Path) -> Path:
    """Write ``notebook`` as a self-contained reader's page at ``target`` using the offline template."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    nb = nbformat.read(notebook, as_version=4)
    # Widgets (progress bars, live charts, panels) need a kernel to mean anything: a page would show
    # their text stand-in (a progress bar frozen at 0%) and carry their state in its footer.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
    link_terms(nb)
    download = Path(os.path.relpath(notebook, target.parent)).as_posix()
    body, _resources = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": target.stem}, "lab_download": download})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body.replace(TOC_MARK, table_of_contents(body), 1), encoding="utf-8")
    return target


def link_terms(nb: nbformat.NotebookNode, glossary: str = GLOSSARY) -> None:
    """Link the first use of every glossary term in the page's prose (markdown cells and outputs), in reading order."""
    waiting = list(TERMS)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = linked(cell.source, waiting, glossary)
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = linked(data["text/markdown"], waiting, glossary)


def linked(text: str, waiting: list[Term], glossary: str = GLOSSARY) -> str:
    """Return ``text`` with the first use of each term in ``waiting`` linked, removing the terms it linked."""
    for term in list(waiting):
        pieces = UNTOUCHED.split(text)  # split again each time: a link just made is left alone
        for index, piece in enumerate(pieces):
            found = term.pattern.search(piece)
            if not found or (index % 2 and not piece.startswith("`")):
                continue  # of the untouched pieces, only a code span holding the term is linked, whole
            link = f"({glossary}#{term.anchor})"
            pieces[index] = f"[{piece}]{link}" if index % 2 else \
                f"{piece[:found.start()]}[{found.group(0)}]{link}{piece[found.end():]}"
            waiting.remove(term)
            text = "".join(pieces)
            break
    return text


def table_of_contents(page: str) -> str:
    """Return a nav listing the page's h2/h3 sections as links to their anchors (empty when it has none)."""
    items = []
    for level, anchor, text in HEADING.findall(page):
        label = html.escape(html.unescape(TAG.sub("", text)).strip())
        items.append(f'<li class="lab-toc-h{level}"><a href="#{anchor}">{label}</a></li>')
    if not items:
        return ""
    return (f'<nav class="lab-toc" aria-label="Contents"><details><summary>On this page: {len(items)} sections'
            f'</summary><ol>{"".join(items)}</ol></details></nav>')
