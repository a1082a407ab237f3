"""Run one notebook headless with papermill, and read back the one-line finding it computed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from labproject.processes import last_line
from labproject.report.catalog import Page
from labproject.report.kernel_log import kernel_arguments
from labproject.studies.native_runs import REPORT_DIR_ENV

# A cell that runs longer than this is stopped and reported, rather than hanging ``make report``.
CELL_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Executed:
    """The outcome of executing one page: where the notebook went, how long, and what it found."""

    page: Page
    notebook: Path
    seconds: float
    finding: str
    error: str | None = None
    setups: tuple[str, ...] = ()  # where the page's runs happened: backends, and a pooler in front


def execute(page: Page, mode: str, out_dir: Path, *, progress: bool = False, servers: str = "auto") -> Executed:
    """Execute ``page`` with its ``mode`` parameters into ``out_dir``; an error becomes data, not a crash.

    ``servers`` is which database servers the page may start (``catalog.SERVER_CHOICES``).
    """
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{page.stem}.ipynb"
    started = time.perf_counter()
    before = set(_store().sessions())
    error = None
    # Pages that write files for the report (notebook 02's flame graphs) put them beside the pages.
    previous = os.environ.get(REPORT_DIR_ENV)
    os.environ[REPORT_DIR_ENV] = str(out_dir.resolve().parent)
    try:
        papermill.execute_notebook(
            str(page.path), str(target), parameters=page.parameters(mode, servers), kernel_name="python3",
            cwd=str(page.path.parent), progress_bar=progress, log_output=False,
            # Saving after every cell rewrites the whole notebook (plotly.js and every chart's data,
            # 5-20 MB) dozens of times a page; papermill still writes it when the page ends or fails.
            request_save_on_cell_execute=False,
            execution_timeout=CELL_TIMEOUT_SECONDS, extra_arguments=kernel_arguments(),
        )
    except Exception as exc:  # papermill raises its own error for a failing cell; keep the partial notebook
        error = last_line(str(exc), type(exc).__name__)
    finally:
        if previous is None:
            os.environ.pop(REPORT_DIR_ENV, None)
        else:
            os.environ[REPORT_DIR_ENV] = previous
    seconds = time.perf_counter() - started
    finding = read_finding(target) if target.exists() else ""
    return Executed(page, target, seconds, finding, error, measured_setups(set(_store().sessions()) - before))


def _store():
    from labproject.engine.store import ResultStore

    return ResultStore()


def measured_setups(sessions: set[str]) -> tuple[str, ...]:
    """Return the setups the runs of ``sessions`` measured on (each run starts a session), in name order."""
    from labproject.engine.tidy import setup_name

    if not sessions:  # load() with no session named loads them all
        return ()
    return tuple(sorted({setup_name(r.backend, r.spec.pooler) for r in _store().load(*sorted(sessions))}))


def read_finding(notebook: Path) -> str:
    """Return what the cell tagged ``finding`` said (its markdown, else its printed text), or an empty string."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "finding" in cell.metadata.get("tags", []):
            outputs = cell.get("outputs", [])
            texts = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})] or \
                [o.get("text", "") for o in outputs if o.get("output_type") == "stream"]
            return " ".join("".join(texts).split())
    return ""
