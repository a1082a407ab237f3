"""How many queries each strategy sent and how much of its time the database took (queries probe)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labproject.charts.context import colors, strategy_order, titled
from labproject.charts.controls import attach, button_row


def query_count_and_time(runs: pd.DataFrame, *, title: str = "Queries sent and time spent in them",
                         controls: bool = True) -> go.Figure:
    """Draw the median query count (left, log scale) and database time beside wall time (right) per strategy.

    Only verified runs that carried the queries probe are drawn; with ``controls`` buttons switch the
    count axis between log and linear.
    """
    probed = runs[(runs["status"] == "ok") & runs["queries"].notna()]
    medians = probed.groupby("strategy", sort=False)[["queries", "query_seconds", "wall_seconds"]].median()
    order = [s for s in strategy_order(runs) if s in medians.index]
    medians = medians.loc[order]
    palette = colors(runs)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("queries per run (median)", "time per run (median)"))
    fig.add_trace(go.Bar(x=order, y=medians["queries"], marker_color=[palette[s] for s in order], name="queries",
                         showlegend=False, hovertemplate="%{x}: %{y:,} queries<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=order, y=medians["wall_seconds"], name="whole strategy (wall)",
                         marker_color="#bbbbbb", hovertemplate="%{x}: %{y:.2f} s wall<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Bar(x=order, y=medians["query_seconds"], name="inside queries",
                         marker_color=[palette[s] for s in order],
                         hovertemplate="%{x}: %{y:.2f} s in queries<extra></extra>"), row=1, col=2)
    titled(fig, title, runs)
    fig.update_yaxes(title_text="queries (count)", type="log", dtick=1, row=1, col=1)
    fig.update_yaxes(title_text="seconds (s)", rangemode="tozero", row=1, col=2)
    fig.update_xaxes(tickangle=-30)
    fig.update_layout(barmode="overlay", legend={"title": {"text": ""}})
    if controls:
        attach(fig, [button_row([
            {"label": "count: log scale", "method": "relayout", "args": [{"yaxis.type": "log", "yaxis.dtick": 1}]},
            {"label": "count: linear", "method": "relayout", "args": [{"yaxis.type": "linear", "yaxis.dtick": None}]},
        ])])
    return fig
