"""The box that opens every page (the question, the answer, what it means for the article), and its figures.

The box is displayed at the top of the page before anything runs, saying what it will answer, and
updated in place (an IPython display id) when the page's last cell has computed the answer, so a
reader finds the answer first both in JupyterLab and in the exported page. The same update carries
the page's key figures as JSON under ``MIMETYPE``: the executed notebook holds them, and the index
reads them from there (``figures_of``), so no figure is ever typed twice.
"""

from __future__ import annotations

from pathlib import Path

from labproject.engine.summary import RATE_MEANS, RUN_MEMORY_MEANS

MIMETYPE = "application/vnd.iteration-lab.figures+json"
DISPLAY_ID = "lab-opening"
TAG = "opening"
PENDING = "_computed from this page's runs: it appears here when the page has run to its end._"


def box_markdown(question: str, answer: str, article: str) -> str:
    """Return the box as markdown: three lines, then how the page counts memory and speed."""
    return (f"**The question.** {question}  \n**The answer.** {answer}  \n**For the article's claim.** {article}\n\n"
            f"<small>On every page, a run's memory is {RUN_MEMORY_MEANS}; rows/s is {RATE_MEANS}.</small>")


class Opening:
    """The page's opening box: shown as pending at once, answered by :meth:`answer` at the end."""

    def __init__(self, page: str, question: str) -> None:
        from IPython.display import display

        self.page, self.question = page, question
        display(self._bundle(PENDING, PENDING, None), raw=True, display_id=DISPLAY_ID)

    def _bundle(self, answer: str, article: str, figures: dict | None) -> dict:
        text = box_markdown(self.question, answer, article)
        bundle = {"text/markdown": text, "text/plain": text}
        if figures is not None:
            bundle[MIMETYPE] = {"page": self.page, "question": self.question, "answer": answer, "article": article,
                                **figures}
        return bundle

    def answer(self, box: dict) -> None:
        """Replace the pending box with ``box``'s answer (``analysis.answers``), and attach its figures to it."""
        from IPython.display import update_display

        figures = {k: v for k, v in box.items() if k not in ("answer", "article")}
        update_display(self._bundle(box["answer"], box["article"], figures), raw=True, display_id=DISPLAY_ID)


def earlier_figures() -> dict[str, dict]:
    """Return the key figures of the pages this report has already executed (empty outside a report).

    A notebook older than the report's start (``studies.reuse.REPORT_SINCE_ENV``) is a previous report's.
    """
    import os
    from datetime import datetime

    from labproject.studies.native_runs import REPORT_DIR_ENV
    from labproject.studies.reuse import REPORT_SINCE_ENV

    folder, since = os.environ.get(REPORT_DIR_ENV), os.environ.get(REPORT_SINCE_ENV)
    if not folder or not since:
        return {}
    started = datetime.strptime(since, "%Y%m%d-%H%M%S").timestamp()
    found = {}
    for notebook in sorted((Path(folder) / "executed").glob("*.ipynb")):
        figures = figures_of(notebook) if notebook.stat().st_mtime >= started else None
        if figures:
            found[notebook.stem] = figures
    return found


def figures_of(notebook: Path) -> dict | None:
    """Return the key figures an executed notebook's opening box carries, or None when it has none."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if MIMETYPE in data:
                return dict(data[MIMETYPE])
    return None
