"""Runs an earlier page of the same report already made, found in the store, so a later page quotes the same runs.

Notebook 04 needs every fast strategy at the table notebook 03 ends its grid with: same strategy, size,
payload, batch, backend, DEBUG and probes. Running them again would cost the report minutes and give
two figures for one question; reusing them gives one. Only sessions of the current report are
searched (``REPORT_SINCE_ENV``, set by the report for its pages), so results of older code never come
back. A memory cap does not change a run that survived it, so it is not part of the match.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from labproject.engine.measured import Measured
from labproject.engine.spec import RunSpec

REPORT_SINCE_ENV = "LAB_REPORT_SINCE"  # the first session name (a timestamp) the current report may reuse
IGNORED = ("memory_cap_mb", "repeats")


def same_run(spec: RunSpec) -> tuple:
    """Return what two specs must share for one's runs to stand for the other's."""
    data = spec.to_dict()
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k not in IGNORED))


def split(plan: Sequence[RunSpec]) -> tuple[Measured, list[RunSpec]]:
    """Return the earlier runs of this report that cover specs of ``plan`` (every repeat), and the specs left to run."""
    since = os.environ.get(REPORT_SINCE_ENV)
    if not since:
        return Measured([]), list(plan)
    from labproject.engine.store import ResultStore

    store = ResultStore()
    earlier = store.load(*[s for s in store.sessions() if s >= since])
    found, left = [], []
    for spec in plan:
        wanted = same_run(spec)
        matching = sorted((r for r in earlier if r.status == "ok" and same_run(r.spec) == wanted),
                          key=lambda r: (r.repeat, r.started_at))
        if len(matching) >= spec.repeats:
            found += matching[:spec.repeats]
        else:
            left.append(spec)
    return Measured(found), left
