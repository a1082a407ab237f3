"""The decision chart: every strategy's time per row over the in-database floor's, beside its memory, per backend.

One row per strategy, named on the axis (a name never collides with a neighbour's, nor is clipped), the
floor on top and the slowest at the bottom; one colour per backend, both drawn in the same rows, so the
backends compare without a dropdown. Time is on a log axis (the strategies span two orders of
magnitude); memory on a linear one starting at zero, so a strategy that adds nothing is drawn at zero.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labproject.charts.context import (
    BACKEND_COLOURS,
    backend_name,
    baseline_note,
    legend_below,
    log_ticks,
    tick_text,
    titled,
)

ROW_PX = 30  # each strategy's row: room for its name and both backends' markers
SYMBOLS = ["circle", "diamond", "square"]


def strategy_label(name: str, method: int | None) -> str:
    """Name a strategy on the axis, with the article's method number when it has one."""
    return f"{name} (method {method})" if method else name


def time_and_memory_map(table: pd.DataFrame, runs: pd.DataFrame, *,
                        title: str = "Every strategy against the floor: time per row, and memory",
                        controls: bool = True) -> go.Figure:
    """Draw ``floor.against_floor``'s table: time per row over the floor's (left, log) and memory (right, MiB).

    The bars span the fastest and slowest repeat. Left is better in both panels. ``controls`` is
    accepted for symmetry with the other charts: this one needs none.
    """
    from labproject import strategies

    methods = {s.name: s.method for s in strategies.all_strategies()}
    # one point per strategy and backend: its largest table when it was measured at several
    drawn = table[table["x floor"].notna()].sort_values("rows").drop_duplicates(["backend", "strategy"], keep="last")
    order = drawn.groupby("strategy", sort=False)["x floor"].min().sort_values().index.tolist()
    labels = {name: strategy_label(name, methods.get(name)) for name in order}
    backends = list(dict.fromkeys(drawn["backend"]))
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.6, 0.4], horizontal_spacing=0.04,
                        subplot_titles=("time per row ÷ sql_update's on the same backend (log scale)",
                                        "memory above baseline (MiB)"))
    for index, backend in enumerate(backends):
        points = drawn[drawn["backend"] == backend].set_index("strategy").reindex(
            [n for n in order if n in set(drawn.loc[drawn["backend"] == backend, "strategy"])]).reset_index()
        ratio = points["x floor"] / points["seconds"]
        name = backend_name(backend, runs)
        style = {"color": BACKEND_COLOURS.get(backend, "#555"), "size": 11, "symbol": SYMBOLS[index % len(SYMBOLS)],
                 "line": {"width": 1, "color": "#222"}}
        hover = ("%{customdata[0]}<br>" + name + "<br>%{customdata[1]:.2f}x the floor's time per row<br>"
                 "%{customdata[2]:.1f} MiB above baseline<br>%{customdata[3]:.2f} s at %{customdata[4]:,} rows"
                 "<extra></extra>")
        custom = points[["strategy", "x floor", "memory MiB", "seconds", "rows"]]
        y = points["strategy"].map(labels)
        fig.add_trace(go.Scatter(
            x=points["x floor"], y=y, mode="markers", name=name, legendgroup=backend, orientation="h",
            marker=style, customdata=custom, hovertemplate=hover,
            error_x={"type": "data", "symmetric": False, "array": (points["seconds max"] - points["seconds"]) * ratio,
                     "arrayminus": (points["seconds"] - points["seconds min"]) * ratio, "thickness": 1},
        ), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=points["memory MiB"].clip(lower=0), y=y, mode="markers", name=name, legendgroup=backend,
            orientation="h", showlegend=False, marker=style, customdata=custom, hovertemplate=hover,
        ), row=1, col=2)
    rows = [labels[n] for n in order]
    titled(fig, title, runs, height=200 + ROW_PX * max(len(rows), 3))
    # The legend under the axes: at the top it runs into the subtitle once that names two backends.
    fig.update_layout(scattermode="group", scattergap=0.5, margin={"l": 20, "b": 100})
    legend_below(fig, "backend")
    fig.update_yaxes(categoryorder="array", categoryarray=rows, autorange="reversed", automargin=True,
                     showgrid=True)
    ratios = drawn["x floor"]
    ticks = log_ticks(max(ratios.min() * 0.8, 0.5), ratios.max() * 1.3) if len(ratios) else [1]
    fig.update_xaxes(type="log", tickvals=ticks, ticktext=[f"{tick_text(t)}x" for t in ticks], row=1, col=1)
    fig.update_xaxes(rangemode="tozero", title_text="MiB" + baseline_note(runs).replace("<br>", " "), row=1, col=2)
    return fig
