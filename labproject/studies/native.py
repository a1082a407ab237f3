"""Native memory: which variants RSS and tracemalloc disagree on, and what memray finds there in C code.

RSS counts every resident page; tracemalloc only the blocks Python's allocators hand out. Where RSS's
peak is well above tracemalloc's, the difference is C libraries' memory (libpq's result buffers,
SQLite's caches) or allocator slack. memray, run on exactly those variants with native stacks and
Python's allocators traced, says which: at its heap's high-water mark it splits live memory into
Python's allocators and C code's, and puts the C code's on its call sites. Every memray run is named
``... · memray on`` (memray slows the run and takes memory of its own, so its RSS is not comparable).
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from labproject.bench.result import RunResult
from labproject.bench.tidy import MIB
from labproject.database import last_line
from labproject.errors import WorkerFailed
from labproject.studies import databases
from labproject.studies.databases import Target
from labproject.studies.verdicts import CONFIRMED, DEPENDS, NOISE_MIB, NOT_MEASURED, REFUTED, Finding
from labproject.study import Measured

MEMRAY_LABEL = "memray on"
# Set by ``make report`` for its kernels: flame graphs go beside the pages, linked relative to them.
REPORT_DIR_ENV = "LAB_REPORT_DIR"
ATTRIBUTION_COLUMNS = ["variant", "gap MiB", "memray heap peak MiB", "Python allocators MiB", "C code MiB",
                       "C share of the gap", "C code by library", "top C site", "run_id"]


def variant(result: RunResult) -> str:
    """Name a run's variant without its probes: strategy, DEBUG, batch, backend and cursor."""
    cursor = "" if result.backend != "postgresql" else (
        ", server-side cursor" if result.spec.get("server_side_cursors", True) else ", client-side buffering")
    return f"{result.strategy} · DEBUG {'on' if result.debug else 'off'} · batch {result.batch_size:,} · " \
           f"{result.backend}{cursor}"


def marked(result: RunResult) -> str:
    """Label a run for a chart or table: its variant, and ``memray on`` when memray traced it."""
    return variant(result) + (f" · {MEMRAY_LABEL}" if "memray" in result.probes else "")


def disagreements(measured: Measured) -> pd.DataFrame:
    """Return per variant the RSS peak (RSS-only runs), tracemalloc's peak (its own runs) and the gap, in MiB.

    ``disagree`` is True where RSS's peak above baseline exceeds tracemalloc's by more than the noise.
    """
    rows: dict[str, dict] = {}
    for r in measured.results:
        if r.status != "ok":
            continue
        row = rows.setdefault(variant(r), {"variant": variant(r), "rss": [], "traced": []})
        if list(r.probes) == ["rss"]:
            row["rss"].append((r.peak_rss_bytes - r.baseline_rss_bytes) / MIB)
        elif "tracemalloc" in r.probes and r.tracemalloc:
            start = (r.tracemalloc.get("timeline") or [[0, 0, 0]])[0][1]
            row["traced"].append((r.tracemalloc["peak_bytes"] - start) / MIB)
    table = pd.DataFrame([{"variant": v["variant"], "RSS peak MiB": _median(v["rss"]),
                           "tracemalloc peak MiB": _median(v["traced"])} for v in rows.values()])
    if table.empty:
        return pd.DataFrame(columns=["variant", "RSS peak MiB", "tracemalloc peak MiB", "gap MiB", "disagree"])
    table["gap MiB"] = table["RSS peak MiB"] - table["tracemalloc peak MiB"]
    table["disagree"] = table["gap MiB"] > NOISE_MIB
    return table


def attribution(traced: Measured, gaps: pd.DataFrame) -> pd.DataFrame:
    """Return per memray run what was live at its heap's peak: Python's allocators, C code, its top C site.

    MiB at memray's high-water mark; ``gap MiB`` is the same variant's RSS-minus-tracemalloc gap and
    ``C share of the gap`` how much of it the C code's live blocks account for.
    """
    gap = gaps.set_index("variant")["gap MiB"] if not gaps.empty else pd.Series(dtype=float)
    records = []
    for r in traced.results:
        if r.status != "ok" or not r.memray:
            continue
        m = r.memray
        sites = m.get("native_sites") or []
        by_library: dict[str, float] = {}
        for site in sites:
            by_library[site["library"]] = by_library.get(site["library"], 0.0) + site["size_bytes"] / MIB
        top = sites[0] if sites else None
        native = m["native_at_peak_bytes"] / MIB
        name = variant(r)
        records.append({
            "variant": f"{name} · {MEMRAY_LABEL}",
            "gap MiB": gap.get(name, float("nan")),
            "memray heap peak MiB": m["peak_bytes"] / MIB,
            "Python allocators MiB": m["python_at_peak_bytes"] / MIB,
            "C code MiB": native,
            "C share of the gap": native / gap.get(name) if gap.get(name, 0) > 0 else float("nan"),
            "C code by library": ", ".join(f"{lib} {mib:.2f}" for lib, mib in
                                           sorted(by_library.items(), key=lambda kv: -kv[1])) or "none",
            "top C site": (f"{top['library']}: {top['site']} ({top['size_bytes'] / MIB:.2f} MiB, from "
                           f"{top['python'] or 'C code'})") if top else "none",
            "run_id": r.run_id,
        })
    return pd.DataFrame(records, columns=ATTRIBUTION_COLUMNS)


def finding(table: pd.DataFrame, why_not: str = "") -> Finding:
    """Judge whether C libraries hold what RSS sees beyond tracemalloc, from memray's runs."""
    hypothesis = "C libraries, not Python objects, hold what RSS sees beyond tracemalloc"
    experiment = "memray (native stacks, Python allocators traced) on each variant where RSS and tracemalloc disagree"
    if table.empty:
        return Finding(hypothesis, experiment, f"no memray run to read{': ' + why_not if why_not else ''}",
                       NOT_MEASURED)
    parts, holds = [], []
    for _, row in table.iterrows():
        holds.append(row["C code MiB"] > NOISE_MIB)
        parts.append(f"{row['variant']}: C code {row['C code MiB']:.1f} MiB live at memray's peak, against a "
                     f"{row['gap MiB']:.1f} MiB gap (top: {row['top C site']})")
    gaps = table["gap MiB"]
    if not (gaps > NOISE_MIB).any():  # nothing to explain: RSS and tracemalloc agreed everywhere
        return Finding(hypothesis, experiment, "RSS and tracemalloc agreed within the noise on every variant; "
                       + "; ".join(parts), REFUTED)
    verdict = CONFIRMED if all(holds) else REFUTED if not any(holds) else DEPENDS
    return Finding(hypothesis, experiment, "; ".join(parts), verdict)


def measure(configs: Sequence[tuple[Target, dict]], *, strategy: str, rows: int, label: str
            ) -> tuple[pd.DataFrame, Measured, list[str]]:
    """Run ``strategy`` on each (target, options) with RSS only and with tracemalloc, then memray where they disagree.

    When no variant disagrees, memray runs on the one with the largest gap, to check what it holds.
    Returns the gaps table, the memray runs and, per configuration that could not run, why not.
    """
    views, why_not = [], []
    for target, options in configs:
        parts = [([strategy], options), ([strategy], {**options, "probes": ["tracemalloc"]})]
        got, why = databases.run_each(target, parts, rows=rows, label=label)
        if got is None:
            why_not.append(f"{target.backend}: {why}")
        else:
            views.append((target, options, got))
    gaps = disagreements(Measured([r for _, _, got in views for r in got.results]))
    wanted = set(gaps.loc[gaps["disagree"], "variant"])
    if not wanted and not gaps.empty:  # none disagrees: memray checks the largest gap all the same
        wanted = {gaps.loc[gaps["gap MiB"].idxmax(), "variant"]}
    traced = []
    for target, options, got in views:
        if {variant(r) for r in got.results} & wanted:
            more, why = databases.run_each(target, [([strategy], {**options, "probes": ["memray"]})], rows=rows,
                                           label=label)
            traced += more.results if more is not None else []
            why_not += [] if more is not None else [f"{target.backend} with memray: {why}"]
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
                     f"memray's flame graph at the heap's peak ({r.memray['allocations']:,} allocations recorded)</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No memray run to draw.</p>"


def flamegraph(result: RunResult, folder: Path) -> Path:
    """Write ``result``'s memray flame graph (assets inline, ``--no-web``) into ``folder`` and return its path."""
    capture = Path((result.memray or {}).get("capture", ""))
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


def _median(values: list[float]) -> float:
    return float(pd.Series(values).median()) if values else float("nan")
