"""Three memory tools on one run, one chart: RSS and tracemalloc over time, pympler and malloc_trim at the end."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import baseline_note, strategy_order, titled
from labproject.charts.controls import attach, choice_masks, visibility_menu
from labproject.charts.timeline import thin
from labproject.units import MIB

# One colour per tool (Okabe-Ito), since the chart shows one run at a time.
TOOLS = {"rss": "#0072B2", "traced": "#E69F00", "end": "#56B4E9", "trimmed": "#CC79A7", "pympler": "#009E73"}


def three_views(samples: pd.DataFrame, traced: pd.DataFrame, runs: pd.DataFrame, *,
                title: str = "One run, three memory tools, and what malloc_trim gives back",
                controls: bool = True) -> go.Figure:
    """Draw, for the first verified run of each strategy that carried tracemalloc and pympler, every view of it.

    Lines: RSS above baseline (the kernel; tracemalloc's own tables are in it) and tracemalloc's live
    traced memory counted from its first sample (its own snapshot of earlier traces is live memory too),
    against time. Marks after the walk come from the variant's twin run with RSS only, as the verdict
    reads them (tracemalloc's tables would inflate the first and the trim would give them back): RSS
    at the strategy's end and after ``gc.collect()`` + ``malloc_trim(0)``; and what pympler found still
    reachable in the probed run. A drop from the first mark to the second was memory the allocator held,
    not live objects. With ``controls`` a dropdown picks the run.
    """
    probed = runs[(runs["status"] == "ok") & runs["tracemalloc_peak_bytes"].notna()
                  & runs["pympler_retained_bytes"].notna()]
    firsts = probed.sort_values("repeat").drop_duplicates("strategy")
    order = [s for s in strategy_order(runs) if s in set(firsts["strategy"])]
    twins = runs[(runs["status"] == "ok") & (runs["probes"] == "rss")].groupby("strategy")[
        ["end_above_baseline_mib", "trimmed_above_baseline_mib"]].median()
    fig = go.Figure()
    keys: list[str] = []
    for index, name in enumerate(order):
        run = firsts[firsts["strategy"] == name].iloc[0]
        rss = thin(samples[samples["run_id"] == run["run_id"]], "rss_above_baseline_mib")
        live = traced[traced["run_id"] == run["run_id"]]
        live = thin(live.assign(current_mib=live["current_mib"] - live["current_mib"].iloc[0]), "current_mib")
        end = float(rss["seconds"].max()) if len(rss) else 0.0
        twin = twins.loc[name] if name in twins.index else run
        visible = index == 0 or not controls
        traces = [
            go.Scatter(x=rss["seconds"], y=rss["rss_above_baseline_mib"], mode="lines",
                       name="RSS (kernel), tracemalloc's tables included",
                       line={"color": TOOLS["rss"], "width": 2}),
            go.Scatter(x=live["seconds"], y=live["current_mib"], mode="lines", name="tracemalloc: live, from the start",
                       line={"color": TOOLS["traced"], "width": 2}),
            _mark(end, twin["end_above_baseline_mib"], "RSS when the strategy returned (run without probes)",
                  "circle", TOOLS["end"]),
            _mark(end, twin["trimmed_above_baseline_mib"], "RSS after gc + malloc_trim (run without probes)",
                  "diamond", TOOLS["trimmed"]),
            _mark(end, run["pympler_retained_bytes"] / MIB, "pympler: still reachable", "square", TOOLS["pympler"]),
        ]
        for trace in traces:
            trace.update(visible=visible, legendgroup=trace.name, showlegend=controls or index == 0,
                         hovertemplate=f"{name}<br>{trace.name}<br>%{{x:.2f}} s: %{{y:.1f}} MiB<extra></extra>")
            fig.add_trace(trace)
            keys.append(name)
    titled(fig, title, runs.loc[runs["strategy"].isin(order)] if order else runs)
    fig.update_xaxes(title_text="time since the strategy started (s)", rangemode="tozero")
    fig.update_yaxes(title_text="MiB above the run's baseline" + baseline_note(runs), rangemode="tozero")
    fig.update_layout(legend={"title": {"text": "what each tool sees"}})
    if controls and len(order) > 1:
        attach(fig, [visibility_menu(*choice_masks(keys, order, with_all=False))])
    return fig


def _mark(x: float, y: float, name: str, symbol: str, color: str) -> go.Scatter:
    return go.Scatter(x=[x], y=[y], mode="markers", name=name,
                      marker={"symbol": symbol, "size": 13, "color": color, "line": {"width": 1, "color": "#222"}})
