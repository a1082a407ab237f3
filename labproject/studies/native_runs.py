"""Run the memray study of notebook 02: RSS-only and tracemalloc runs per variant, memray where they disagree.

What the runs mean (the gaps, memray's attribution, the verdict) is ``labproject.analysis.native``'s job;
this module runs them and draws each memray run's flame graph (``memray flamegraph --no-web``, no network).
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from labproject.analysis.native import disagreements, marked, variant
from labproject.engine.measured import Measured
from labproject.engine.result import RunResult
from labproject.errors import WorkerFailed
from labproject.processes import last_line
from labproject.studies import databases
from labproject.studies.databases import Database

# Set by ``make report`` for its kernels: flame graphs go beside the pages, linked relative to them.
REPORT_DIR_ENV = "LAB_REPORT_DIR"


def measure(configs: Sequence[tuple[Database, dict]], *, strategy: str, rows: int, label: str
            ) -> tuple[pd.DataFrame, Measured, list[str]]:
    """Run ``strategy`` on each (target, options) with RSS only and with tracemalloc, then memray where they disagree.

    When no variant disagrees, memray runs on the one with the largest gap, to check what it holds.
    Returns the gaps table, the memray runs and, per configuration that could not run, why not.
    """
    views, why_not = [], []
    for database, options in configs:
        parts = [([strategy], options), ([strategy], {**options, "probes": ["tracemalloc"]})]
        got, why = databases.run_each(database, parts, rows=rows, label=label)
        if got is None:
            why_not.append(why)
        else:
            views.append((database, options, got))
    gaps = disagreements(Measured([r for _, _, got in views for r in got.results]))
    wanted = set(gaps.loc[gaps["disagree"], "variant"])
    if not wanted and not gaps.empty:  # none disagrees: memray checks the largest gap all the same
        wanted = {gaps.loc[gaps["gap MiB"].idxmax(), "variant"]}
    traced = []
    for database, options, got in views:
        if {variant(r) for r in got.results} & wanted:
            more, why = databases.run_each(database, [([strategy], {**options, "probes": ["memray"]})], rows=rows,
                                           label=label)
            traced += more.results if more is not None else []
            why_not += [] if more is not None else [f"{database.backend} with memray: {why}"]
    return gaps, Measured(traced), why_not


def flamegraph_links(traced: Measured) -> str:
    """Write every memray run's flame graph and return an HTML list linking them (relative to the report page)."""
    from django.conf import settings

    report = os.environ.get(REPORT_DIR_ENV)
    folder = Path(report) / "flamegraphs" if report else Path(settings.VAR_DIR) / "flamegraphs"
    items = []
    for r in traced.results:
        if r.status != "ok" or not r.memray:
            continue
        page = flamegraph(r, folder)
        href = f"flamegraphs/{page.name}" if report else page.as_uri()
        items.append(f'<li><a href="{html.escape(href)}" class="lab-flamegraph">{html.escape(marked(r))}</a>: '
                     f"memray's flame graph at the heap's peak ({r.memray.allocations:,} allocations recorded)</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No memray run to draw.</p>"


def flamegraph(result: RunResult, folder: Path) -> Path:
    """Write ``result``'s memray flame graph (assets inline, ``--no-web``) into ``folder`` and return its path."""
    capture = Path(result.memray.capture if result.memray else "")
    if not capture.is_file():
        raise WorkerFailed(f"no memray capture for {result.run_id} at {capture}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{result.run_id}.html"
    done = subprocess.run([sys.executable, "-m", "memray", "flamegraph", "--no-web", "--force", "--output",
                           str(target), str(capture)], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        said = last_line(done.stderr, str(done.returncode))
        raise WorkerFailed(f"memray flamegraph failed for {result.run_id}: {said}")
    return target
