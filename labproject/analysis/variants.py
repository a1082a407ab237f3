"""Name runs by what an experiment changed, so the per-strategy charts and summaries compare variants.

The charts and ``summarize`` group by the ``strategy`` column; an experiment that changes DEBUG, the
batch size or the backend of one strategy relabels its runs ("iterator_bulk_update · DEBUG on") and
reuses them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from labproject.engine.measured import Measured
from labproject.engine.result import RunResult

SEPARATOR = " · "


def debug(result: RunResult) -> str:
    """Name the DEBUG setting of a run."""
    return f"DEBUG {'on' if result.debug else 'off'}"


def batch(result: RunResult) -> str:
    """Name the batch (and chunk) size of a run."""
    return f"batch {result.batch_size:,}"


def backend(result: RunResult) -> str:
    """Name the database of a run and, on PostgreSQL, how iterator() read it."""
    cursors = "" if result.backend != "postgresql" else (
        ", server-side cursor" if result.spec.server_side_cursors else ", client-side buffering")
    return f"{result.backend}{cursors}"


def relabel(measured: Measured, *settings: Callable[[RunResult], str]) -> Measured:
    """Return the runs renamed ``strategy · setting · ...``, one name per variant, in the order given."""
    return Measured([replace(r, strategy=SEPARATOR.join([r.strategy, *(s(r) for s in settings)]))
                     for r in measured.results])


def merged(*batches: Measured) -> Measured:
    """Return one batch holding the runs of several."""
    return Measured([r for m in batches for r in m.results])
