"""Cost against table size on log-log axes: every run as a dot, the median per size as a line with its range."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import baseline_note, colors, strategy_order, titled
from labproject.charts.controls import attach, choice_masks, visibility_menu

METRICS = {
    "peak_above_baseline_mib": ("peak memory above baseline (MiB)", 0.25),
    "wall_seconds": ("wall time (s)", None),
}


def cost_against_rows(runs: pd.DataFrame, *, metric: str = "wall_seconds", fits: pd.DataFrame | None = None,
                      title: str = "Cost against table size", controls: bool = True) -> go.Figure:
    """Draw ``metric`` against rows on log-log axes for every strategy, verified runs only.

    ``fits`` (one row per strategy with ``slope`` and a class column, as ``studies.scaling`` returns)
    puts each strategy's slope and class in its legend entry. Memory at or below 0.25 MiB is drawn at
    0.25 MiB (RSS resolves no less). With ``controls`` a dropdown shows one strategy at a time.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}")
    label, floor = METRICS[metric]
    ok = runs[(runs["status"] == "ok") & runs[metric].notna()]
    values = ok[metric].clip(lower=floor) if floor else ok[metric]
    ok = ok.assign(value=values)
    palette = colors(runs)
    fitted = {} if fits is None else fits.set_index("strategy").to_dict("index")
    fig = go.Figure()
    keys = []
    for name in [s for s in strategy_order(runs) if s in set(ok["strategy"])]:
        mine = ok[ok["strategy"] == name]
        medians = mine.groupby("rows")["value"].agg(["median", "min", "max"]).reset_index()
        legend = name
        if name in fitted:
            fit = fitted[name]
            legend = f"{name}: slope {fit['slope']:.2f}, {fit.get('memory') or fit.get('time')}"
        fig.add_trace(go.Scatter(
            x=medians["rows"], y=medians["median"], mode="lines+markers", name=legend, legendgroup=name,
            line={"color": palette[name], "width": 2},
            error_y={"type": "data", "symmetric": False, "array": medians["max"] - medians["median"],
                     "arrayminus": medians["median"] - medians["min"], "thickness": 1},
            hovertemplate=f"{name}<br>%{{x:,}} rows<br>median %{{y:.3g}}<extra></extra>",
        ))
        fig.add_trace(go.Scatter(
            x=mine["rows"], y=mine["value"], mode="markers", name=name, legendgroup=name, showlegend=False,
            marker={"color": palette[name], "size": 6, "opacity": 0.45},
            hovertemplate=f"{name}<br>%{{x:,}} rows<br>run: %{{y:.3g}}<extra></extra>",
        ))
        keys += [name, name]
    titled(fig, title, runs, height=620)
    fig.update_xaxes(type="log", title_text="rows in the table (log scale)")
    note = baseline_note(runs) if metric == "peak_above_baseline_mib" else ""
    fig.update_yaxes(type="log", title_text=f"{label}, log scale{note}")
    fig.update_layout(legend={"title": {"text": "strategy: fitted slope, class"}})
    choices = list(dict.fromkeys(keys))
    if controls and len(choices) > 1:
        attach(fig, [visibility_menu(*choice_masks(keys, choices))])
    return fig
