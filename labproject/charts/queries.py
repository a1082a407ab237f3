"""How many queries each strategy sent and how much of its time the database took (queries probe)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labproject.charts.context import colors, legend_below, strategy_order, titled
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
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.05, shared_yaxes=True,
                        subplot_titles=("queries per run (median)", "time per run (median)"))
    fig.add_trace(go.Bar(y=order, x=medians["queries"], orientation="h", marker_color=[palette[s] for s in order],
                         name="queries", showlegend=False, hovertemplate="%{y}: %{x:,} queries<extra></extra>"),
                  row=1, col=1)
    fig.add_trace(go.Bar(y=order, x=medians["wall_seconds"], orientation="h", name="whole strategy (wall)",
                         marker_color="#bbbbbb", hovertemplate="%{y}: %{x:.2f} s wall<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Bar(y=order, x=medians["query_seconds"], orientation="h", name="inside queries",
                         marker_color=[palette[s] for s in order],
                         hovertemplate="%{y}: %{x:.2f} s in queries<extra></extra>"), row=1, col=2)
    titled(fig, title, runs, height=260 + 34 * max(len(order), 2))
    fig.update_xaxes(title_text="queries (count, log scale)", type="log", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text="seconds (s)", rangemode="tozero", row=1, col=2)
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed", automargin=True)
    fig.update_layout(barmode="overlay", margin={"l": 20, "b": 110})
    legend_below(fig)
    if controls:
        attach(fig, [button_row([
            {"label": "count: log scale", "method": "relayout",
             "args": [{"xaxis.type": "log", "xaxis.dtick": 1, "xaxis.title.text": "queries (count, log scale)"}]},
            {"label": "count: linear", "method": "relayout",
             "args": [{"xaxis.type": "linear", "xaxis.dtick": None, "xaxis.title.text": "queries (count)"}]},
        ])])
    return fig
