"""Verdicts and sentences computed from the tidy tables, so every number a notebook states comes from data."""

from __future__ import annotations

import pandas as pd

from labproject.engine.summary import summarize
from labproject.units import MIB

FLAT_SHARE = 0.25  # a strategy is "flat" when its median peak is at most this share of the highest


def flat_strategies(runs: pd.DataFrame, share: float = FLAT_SHARE) -> list[str]:
    """Return the strategies whose median peak above baseline is at most ``share`` of the highest median.

    When none is that low (all strategies alike), return the lowest one, so a zoom has something to show.
    """
    summary = summarize(runs).dropna(subset=["peak_mib_median"])
    if summary.empty:
        return []
    peaks = summary.set_index("strategy")["peak_mib_median"]
    return peaks[peaks <= share * peaks.max()].index.tolist() or [peaks.idxmin()]


def memory_verdict(runs: pd.DataFrame, share: float = FLAT_SHARE) -> str:
    """Say which strategies stay flat and which grow, with their median peaks."""
    peaks = summarize(runs).dropna(subset=["peak_mib_median"]).set_index("strategy")["peak_mib_median"]
    flat = [s for s in peaks.index if peaks[s] <= share * peaks.max()]
    grows = [s for s in peaks.index if s not in flat]

    def named(group: list[str]) -> str:
        return ", ".join(f"`{s}` (+{peaks[s]:.1f} MiB)" for s in group) or "none"

    return (f"Flat (a median memory at most {share:.0%} of the highest, {peaks.max():.1f} MiB): {named(flat)}. "
            f"Grows: {named(grows)}.")


def resident_at_peak(runs: pd.DataFrame) -> str:
    """Say what the OOM killer sees at the heaviest strategy's peak: its baseline (connection's share named) + peak."""
    summary = summarize(runs).dropna(subset=["peak_mib_median"]).set_index("strategy")
    if summary.empty:
        return "no verified run to add up"
    heaviest = summary["peak_mib_median"].idxmax()
    row = summary.loc[heaviest]
    share = "" if pd.isna(row["connection_mib_median"]) else \
        f", {row['connection_mib_median']:.1f} MiB of it the connection and the page cache the reset warmed"
    return (f"`{heaviest}` at its peak: baseline {row['baseline_mib_median']:.1f} MiB{share}, + "
            f"{row['peak_mib_median']:.1f} MiB above it = **{row['baseline_mib_median'] + row['peak_mib_median']:.1f} "
            "MiB** resident, what the OOM killer sees (medians).")


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Return per strategy its runs, median wall time and memory above baseline with their ranges, and failures."""
    summary = summarize(runs)

    def spread(prefix: str, fmt: str) -> pd.Series:
        return summary.apply(lambda r: "-" if pd.isna(r[f"{prefix}_median"]) else
                             f"{fmt.format(r[f'{prefix}_median'])} ({fmt.format(r[f'{prefix}_min'])}–"
                             f"{fmt.format(r[f'{prefix}_max'])})", axis=1)

    return pd.DataFrame({"strategy": summary["strategy"], "runs": summary["runs"],
                         "wall s, median (range)": spread("wall_s", "{:.2f}"),
                         "memory MiB above baseline, median (range)": spread("peak_mib", "{:.1f}"),
                         "baseline MiB": summary["baseline_mib_median"].round(1), "not ok": summary["failed"]})


def traced_note(overhead: pd.DataFrame) -> str:
    """Say what tracemalloc's own tables add to RSS, from the probe-cost table (its peak over RSS-only runs)."""
    mine = overhead[overhead["probe"] == "tracemalloc"]
    if mine.empty:
        return ""
    return (f"RSS here includes tracemalloc's own tables: {mine['peak_diff_mib'].median():+.1f} MiB at the peak over "
            f"the RSS-only runs (median; {mine['peak_diff_mib'].min():+.1f} to {mine['peak_diff_mib'].max():+.1f})")


def three_views_table(rss_runs: pd.DataFrame, traced_runs: pd.DataFrame, pympler_runs: pd.DataFrame) -> pd.DataFrame:
    """Return per strategy the median of what each tool saw grow: RSS, tracemalloc's peak, pympler's retained size."""
    def median(runs: pd.DataFrame, column: str) -> pd.Series:
        ok = runs[runs["status"] == "ok"]
        return ok.groupby("strategy", sort=False)[column].median()

    table = pd.DataFrame({
        "RSS peak above baseline (MiB)": median(rss_runs, "peak_above_baseline_mib"),
        "tracemalloc peak (MiB)": median(traced_runs, "tracemalloc_peak_mib"),
        "pympler retained after (MiB)": median(pympler_runs, "pympler_retained_bytes") / MIB,
    })
    return table.round(2)


def overhead_lines(by_probe: pd.DataFrame) -> str:
    """Say what each probe cost: wall-time ratio with its range over strategies, baseline and peak differences."""
    lines = [
        f"- **{row.probe}** ({row.rows:,} rows): {row.time_ratio_median:.2f}x the wall time "
        f"(from {row.time_ratio_min:.2f}x to "
        f"{row.time_ratio_max:.2f}x over {row.strategies} strategies), baseline {row.baseline_diff_mib_median:+.1f} "
        f"MiB, memory above baseline {row.peak_diff_mib_median:+.1f} MiB (medians)"
        for row in by_probe.itertuples()
    ]
    return "\n".join(lines) or "no probe runs to compare"
