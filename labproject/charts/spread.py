"""Memory and wall time per strategy: every run as a dot, the median with its min-max range, one row each.

Strategies are rows named on the shared axis (long names of variants never rotate into an axis title);
memory is the left panel, time the right.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labproject.charts.context import baseline_note, colors, strategy_order, titled
from labproject.charts.controls import attach, visibility_menu
from labproject.engine.summary import RUN_MEMORY, summarize

# Memory measures of a run, all above its own baseline, in MiB; the first is the report's "a run's memory".
PEAK_METRICS = {
    RUN_MEMORY: "a run's memory (RSS high-water mark, or the process tree's PSS peak if larger)",
    "peak_above_baseline_mib": "the worker's RSS high-water mark",
    "end_above_baseline_mib": "at the end of the strategy",
    "trimmed_above_baseline_mib": "after gc + malloc_trim",
    "tree_peak_above_baseline_mib": "process tree PSS peak",
}
ROW_PX = 34


def peak_and_time(runs: pd.DataFrame, *, metric: str = RUN_MEMORY,
                  strategies: Sequence[str] | None = None, title: str = "Memory and wall time per strategy",
                  controls: bool = True) -> go.Figure:
    """Draw memory above baseline (left) and wall time (right) per strategy, with the spread over repeats.

    Only verified (``ok``) runs are drawn; the title names any other. ``strategies`` narrows the
    strategies drawn (colours still come from the whole table). With ``controls``, a dropdown
    switches the memory measure among ``PEAK_METRICS`` (traces precomputed for each).
    """
    if metric not in PEAK_METRICS:
        raise ValueError(f"metric must be one of {list(PEAK_METRICS)}")
    available = [m for m in PEAK_METRICS if m in runs and runs[m].notna().any()]
    metrics = available if controls else [metric]
    if metric not in metrics:
        metrics.insert(0, metric)
    palette = colors(runs)
    if strategies is not None:
        runs = runs[runs["strategy"].isin(strategies)]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=("memory above baseline (MiB)", "wall time (s)"))
    owners: list[str | None] = []
    for name in metrics:
        for trace in _spread_traces(runs, name, "peak_mib", palette, visible=name == metric):
            fig.add_trace(trace, row=1, col=1)
            owners.append(name)
    for trace in _spread_traces(runs, "wall_seconds", "wall_s", palette, visible=True):
        fig.add_trace(trace, row=1, col=2)
        owners.append(None)
    failed = summarize(runs)
    failed = failed[failed["failed"] != ""]
    note = "; ".join(f"{row.strategy}: {row.failed}" for row in failed.itertuples())
    shown = strategy_order(runs)
    titled(fig, title + (f" (not drawn: {note})" if note else ""), runs, height=260 + ROW_PX * max(len(shown), 2))
    note = baseline_note(runs)
    fig.update_xaxes(title_text=f"MiB above baseline, {PEAK_METRICS[metric]}{note}", rangemode="tozero", row=1, col=1)
    fig.update_xaxes(title_text="wall time (s)", rangemode="tozero", row=1, col=2)
    fig.update_yaxes(categoryorder="array", categoryarray=shown, autorange="reversed", automargin=True)
    fig.update_layout(showlegend=False, margin={"l": 20, "b": 110})
    if controls and len(metrics) > 1:
        masks = [[owner is None or owner == name for owner in owners] for name in metrics]
        menu = visibility_menu([PEAK_METRICS[m] for m in metrics], masks, active=metrics.index(metric))
        for button, name in zip(menu["buttons"], metrics, strict=True):
            button["method"] = "update"
            button["args"].append({"xaxis.title.text": f"MiB above baseline, {PEAK_METRICS[name]}{note}"})
        attach(fig, [menu])
    return fig


def _spread_traces(runs: pd.DataFrame, column: str, prefix: str, palette: dict[str, str], *,
                   visible: bool) -> list[go.Scatter]:
    """Return the runs as dots and the median per strategy with error bars from min to max."""
    ok = runs[(runs["status"] == "ok") & runs[column].notna()] if column in runs else runs.iloc[:0]
    if ok.empty:  # every run failed: nothing to draw, and the title names the failures
        return []
    order = [s for s in strategy_order(runs) if s in set(ok["strategy"])]
    summary = summarize(ok.drop(columns=[RUN_MEMORY], errors="ignore").assign(peak_above_baseline_mib=ok[column])
                        if prefix == "peak_mib" else ok)
    summary = summary.set_index("strategy").loc[order]
    unit = "MiB" if prefix == "peak_mib" else "s"
    dots = go.Scatter(
        y=ok["strategy"], x=ok[column], mode="markers", visible=visible, name="runs",
        marker={"color": [palette[s] for s in ok["strategy"]], "size": 9, "opacity": 0.6},
        customdata=ok["repeat"] + 1,
        hovertemplate=f"%{{y}} #%{{customdata}}: %{{x:.2f}} {unit}<extra></extra>",
    )
    median = summary[f"{prefix}_median"]
    middle = go.Scatter(
        y=order, x=median, mode="markers", visible=visible, name="median",
        marker={"symbol": "line-ns-open", "size": 22, "color": "#222", "line": {"width": 3, "color": "#222"}},
        error_x={"type": "data", "symmetric": False, "array": summary[f"{prefix}_max"] - median,
                 "arrayminus": median - summary[f"{prefix}_min"], "color": "#222", "thickness": 1.2},
        hovertemplate=f"%{{y}}: median %{{x:.2f}} {unit}<extra></extra>",
    )
    return [dots, middle]
