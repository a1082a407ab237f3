"""Native memory: which variants RSS and tracemalloc disagree on, and what memray finds there in C code.

RSS counts every resident page; tracemalloc only the blocks Python's allocators hand out. Where RSS's
peak is well above tracemalloc's, the difference is C libraries' memory (libpq's result buffers,
SQLite's caches) or allocator slack. memray, run on exactly those variants with native stacks and
Python's allocators traced, says which: at its heap's high-water mark it splits live memory into
Python's allocators and C code's, and puts the C code's on its call sites; it also finds C code's own
high-water mark, which comes earlier when a C buffer is freed before Python's heap peaks (libpq's
whole result, copied into Python tuples by Django without a server-side cursor). That high-water is
what is set against the gap: RSS's peak is a high-water mark too. Every memray run is named
``... · memray on`` (memray slows the run and takes memory of its own, so its RSS is not comparable).
"""

from __future__ import annotations

import pandas as pd

from labproject.analysis.verdicts import CONFIRMED, DEPENDS, NOISE_MIB, NOT_MEASURED, REFUTED, Finding
from labproject.engine.measured import Measured
from labproject.engine.result import RunResult
from labproject.units import MIB

MEMRAY_LABEL = "memray on"
ATTRIBUTION_COLUMNS = ["variant", "gap MiB", "C code high-water MiB", "at s", "C share of the gap",
                       "top C site at its high-water", "memray heap peak MiB", "Python allocators MiB",
                       "C code at the heap peak MiB", "C code by library", "run_id"]
EXPLAINS = 0.5  # C code explains a gap when its own high-water mark covers at least half of it


def variant(result: RunResult) -> str:
    """Name a run's variant without its probes: strategy, DEBUG, batch, backend and cursor."""
    cursor = "" if result.backend != "postgresql" else (
        ", server-side cursor" if result.spec.server_side_cursors else ", client-side buffering")
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
            start = (r.tracemalloc.timeline or [[0, 0, 0]])[0][1]
            row["traced"].append((r.tracemalloc.peak_bytes - start) / MIB)
    table = pd.DataFrame([{"variant": v["variant"], "RSS peak MiB": _median(v["rss"]),
                           "tracemalloc peak MiB": _median(v["traced"])} for v in rows.values()])
    if table.empty:
        return pd.DataFrame(columns=["variant", "RSS peak MiB", "tracemalloc peak MiB", "gap MiB", "disagree"])
    table["gap MiB"] = table["RSS peak MiB"] - table["tracemalloc peak MiB"]
    table["disagree"] = table["gap MiB"] > NOISE_MIB
    return table


def attribution(traced: Measured, gaps: pd.DataFrame) -> pd.DataFrame:
    """Return per memray run C code's own high-water mark and what was live at the heap's peak, in MiB.

    ``gap MiB`` is the same variant's RSS-minus-tracemalloc gap, ``at s`` when C code held the most
    (seconds from the strategy's start) and ``C share of the gap`` how much of the gap that accounts for.
    """
    gap = gaps.set_index("variant")["gap MiB"] if not gaps.empty else pd.Series(dtype=float)
    records = []
    for r in traced.results:
        if r.status != "ok" or not r.memray:
            continue
        m = r.memray
        sites = m.native_high_water_sites or m.native_sites
        by_library: dict[str, float] = {}
        for site in sites:
            by_library[site.library] = by_library.get(site.library, 0.0) + site.size_bytes / MIB
        top = sites[0] if sites else None
        high = (m.native_high_water_bytes if m.native_high_water_bytes is not None else m.native_at_peak_bytes) / MIB
        name = variant(r)
        records.append({
            "variant": f"{name} · {MEMRAY_LABEL}",
            "gap MiB": gap.get(name, float("nan")),
            "C code high-water MiB": high,
            "at s": m.native_high_water_seconds,
            "C share of the gap": high / gap.get(name) if gap.get(name, 0) > 0 else float("nan"),
            "top C site at its high-water": (f"{top.library}: {top.site} ({top.size_bytes / MIB:.2f} MiB, from "
                                             f"{top.python or 'C code'})") if top else "none",
            "memray heap peak MiB": m.peak_bytes / MIB,
            "Python allocators MiB": m.python_at_peak_bytes / MIB,
            "C code at the heap peak MiB": m.native_at_peak_bytes / MIB,
            "C code by library": ", ".join(f"{lib} {mib:.2f}" for lib, mib in
                                           sorted(by_library.items(), key=lambda kv: -kv[1])) or "none",
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
        gap, high = row["gap MiB"], row["C code high-water MiB"]
        explains = gap > NOISE_MIB and high > NOISE_MIB and high >= EXPLAINS * gap
        holds.append(explains)
        when = f"{row['at s']:.1f} s in" if pd.notna(row["at s"]) else "during the run"
        parts.append(f"{row['variant']}: C code held at most {high:.1f} MiB ({when}; "
                     f"top: {row['top C site at its high-water']}) against a {gap:.1f} MiB gap, "
                     + ("most of it" if explains else "not most of it: the rest was freed but still resident"))
    gaps = table["gap MiB"]
    if not (gaps > NOISE_MIB).any():  # nothing to explain: RSS and tracemalloc agreed everywhere
        return Finding(hypothesis, experiment, "RSS and tracemalloc agreed within the noise on every variant; "
                       + "; ".join(parts), REFUTED)
    verdict = CONFIRMED if all(holds) else REFUTED if not any(holds) else DEPENDS
    return Finding(hypothesis, experiment, "; ".join(parts), verdict)


def _median(values: list[float]) -> float:
    return float(pd.Series(values).median()) if values else float("nan")
