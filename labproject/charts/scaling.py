"""Cost against table size on log-log axes: every run as a dot, the median per size as a line with its range.

More strategies than a chart has distinct colours are split into panels side by side (the article's
five, then the others), sharing the y axis. Memory at or below what RSS resolves is drawn on a marked
floor line with open markers, so a zero is never passed off as a measured quarter MiB.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labproject.charts.context import (
    baseline_note,
    legend_below,
    log_ticks,
    palette,
    panels,
    strategy_order,
    tick_text,
    titled,
)
from labproject.charts.controls import attach, choice_masks, visibility_menu
from labproject.engine.summary import RUN_MEMORY
from labproject.units import MEMORY_FLOOR_MIB

METRICS = {
    RUN_MEMORY: ("memory above baseline (MiB)", MEMORY_FLOOR_MIB),
    "wall_seconds": ("wall time (s)", None),
}


def cost_against_rows(runs: pd.DataFrame, *, metric: str = "wall_seconds", fits: pd.DataFrame | None = None,
                      title: str = "Cost against table size", controls: bool = True) -> go.Figure:
    """Draw ``metric`` against rows on log-log axes for every strategy, verified runs only.

    ``fits`` (one row per strategy with ``slope`` and a class column, as ``analysis.scaling`` returns)
    puts each strategy's slope and class in its legend entry. With ``controls`` a dropdown shows one
    strategy at a time.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}")
    from labproject import strategies

    families = {s.name: s.family for s in strategies.all_strategies()}
    label, floor = METRICS[metric]
    ok = runs[(runs["status"] == "ok") & runs[metric].notna()]
    ok = ok.assign(value=ok[metric].clip(lower=floor) if floor else ok[metric],
                   floored=(ok[metric] <= floor) if floor else False)
    fitted = {} if fits is None else fits.set_index("strategy").to_dict("index")
    groups = panels([s for s in strategy_order(runs) if s in set(ok["strategy"])], families)
    titles = ["the article's five" if all(families.get(n) == "article" for n in g) else
              "beyond the article: " + ", ".join(dict.fromkeys(families.get(n, "other") for n in g)) for g in groups]
    fig = make_subplots(rows=1, cols=len(groups), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=titles if len(groups) > 1 else None)
    keys: list[str] = []
    for column, group in enumerate(groups, start=1):
        colours = palette(group)
        for name in group:
            mine = ok[ok["strategy"] == name]
            medians = mine.groupby("rows")["value"].agg(["median", "min", "max"]).reset_index()
            legend = name
            if name in fitted:
                fit = fitted[name]
                legend = f"{name}: slope {fit['slope']:.2f}, {fit.get('memory') or fit.get('time')}"
            group_title = {"legendgrouptitle": {"text": titles[column - 1]}} if len(groups) > 1 else {}
            fig.add_trace(go.Scatter(
                x=medians["rows"], y=medians["median"], mode="lines+markers", name=legend,
                legendgroup=f"panel{column}",
                line={"color": colours[name], "width": 2}, **group_title,
                error_y={"type": "data", "symmetric": False, "array": medians["max"] - medians["median"],
                         "arrayminus": medians["median"] - medians["min"], "thickness": 1},
                hovertemplate=f"{name}<br>%{{x:,}} rows<br>median %{{y:.3g}}<extra></extra>",
            ), row=1, col=column)
            fig.add_trace(go.Scatter(
                x=mine["rows"], y=mine["value"], mode="markers", name=name, legendgroup=f"panel{column}",
                showlegend=False,
                marker={"color": colours[name], "size": 7, "opacity": 0.5,
                        "symbol": ["circle-open" if f else "circle" for f in mine["floored"]]},
                customdata=mine[metric],
                hovertemplate=f"{name}<br>%{{x:,}} rows<br>run: %{{customdata:.3g}}<extra></extra>",
            ), row=1, col=column)
            keys += [name, name]
    titled(fig, title, runs, height=520 + 22 * (len(keys) // 4 + 2))
    sizes = sorted(ok["rows"].unique())
    ticks = log_ticks(min(sizes), max(sizes), (1, 3) if len(groups) > 1 else (1, 2, 5)) if sizes else []
    fig.update_xaxes(type="log", title_text="rows in the table (log scale)", tickvals=ticks,
                     ticktext=[tick_text(t) for t in ticks])
    values = ok["value"]
    yticks = log_ticks(values.min(), values.max()) if len(values) else []
    note = baseline_note(runs) if metric == RUN_MEMORY else ""
    fig.update_yaxes(type="log", tickvals=yticks, ticktext=[tick_text(t) for t in yticks])
    fig.update_yaxes(title_text=f"{label}, log scale{note}", row=1, col=1)
    if floor and ok["floored"].any() and sizes:
        # a trace, not a shape: a shape's coordinates on a log axis would pull its autorange to zero
        for column in range(1, len(groups) + 1):
            fig.add_trace(go.Scatter(x=[min(sizes), max(sizes)], y=[floor, floor], mode="lines",
                                     # short: a long horizontal legend entry runs off the chart's edge
                                     name=f"{floor:g} MiB: RSS's resolution (open markers)",
                                     legendgroup="floor", showlegend=column == 1,
                                     line={"dash": "dash", "color": "#888", "width": 1}, hoverinfo="skip"),
                          row=1, col=column)
            keys.append("floor")
    fig.update_xaxes(title_text="")
    fig.update_xaxes(title_text="rows in the table (log scale)", row=1, col=1)
    fig.update_layout(margin={"b": 90 + 22 * (len(keys) // 4 + 2)})
    legend_below(fig, "strategy: fitted slope, class", groupclick="toggleitem")
    choices = [k for k in dict.fromkeys(keys) if k != "floor"]
    if controls and len(choices) > 1:
        labels, masks = choice_masks(keys, choices)
        masks = [[shown or key == "floor" for shown, key in zip(mask, keys, strict=True)] for mask in masks]
        attach(fig, [visibility_menu(labels, masks)])
    return fig


def offset_cost(costs: pd.DataFrame, per_row_seconds: float, fixed_seconds: float, runs: pd.DataFrame, *,
                batch_size: int, title: str = "One Paginator page's SELECT against its OFFSET") -> go.Figure:
    """Draw the measured time of one page's SELECT at each offset, and the fitted straight line through them."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=costs["offset"], y=costs["seconds"] * 1000, mode="markers", name="measured (median)",
                             marker={"size": 10, "color": "#0072B2"},
                             hovertemplate="OFFSET %{x:,}<br>%{y:.2f} ms<extra></extra>"))
    line = costs["offset"].sort_values()
    fig.add_trace(go.Scatter(x=line, y=(fixed_seconds + per_row_seconds * line) * 1000, mode="lines",
                             name=f"fit: {per_row_seconds * 1e9:.0f} µs per 1,000 rows stepped over",
                             line={"color": "#D55E00", "dash": "dash"}))
    titled(fig, title + f" (LIMIT {batch_size:,})", runs, height=460)
    fig.update_xaxes(title_text="rows stepped over before the page (OFFSET)", rangemode="tozero")
    fig.update_yaxes(title_text="one page's SELECT, fetched (ms)", rangemode="tozero")
    fig.update_layout(legend={"title": {"text": ""}})
    return fig
