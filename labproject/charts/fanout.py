"""The fan-out's charts: rows/s against workers beside the floor and one process, memory per worker, the projection."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import PALETTE, TEMPLATE, spaced_ticks


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 460) -> go.Figure:
    fig.update_layout(template=TEMPLATE, height=height, title={"text": title, "x": 0.01},
                      margin={"t": 70, "l": 70, "r": 30, "b": 60})
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y, rangemode="tozero")
    return spaced_ticks(fig)


def throughput(scaled: pd.DataFrame, references: pd.DataFrame, predicted: pd.DataFrame | None = None, *,
               title: str) -> go.Figure:
    """Draw rows/s against workers per backend; ``references`` (backend, strategy, rows_per_second) as lines.

    ``predicted`` (workers, predicted) is the model fitted to the one-worker PostgreSQL run.
    """
    fig = go.Figure()
    for i, (backend, rows) in enumerate(scaled.groupby("backend", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=rows["workers"], y=rows["rows_per_second"], mode="lines+markers",
                                 name=f"fan-out ({backend})", line={"color": color, "width": 3},
                                 hovertemplate="%{x} worker(s): %{y:,.0f} rows/s<extra></extra>"))
        for j, ref in enumerate(references[references["backend"] == backend].itertuples()):
            fig.add_trace(go.Scatter(x=[rows["workers"].min(), rows["workers"].max()], y=[ref.rows_per_second] * 2,
                                     mode="lines", name=f"{ref.strategy} ({backend}), one process",
                                     line={"color": color, "dash": ["dash", "dot"][j % 2], "width": 1.5}))
    if predicted is not None and not predicted.empty:
        fig.add_trace(go.Scatter(x=predicted["workers"], y=predicted["predicted"], mode="markers",
                                 name="model fitted to 1 worker (postgresql)",
                                 marker={"symbol": "x", "size": 11, "color": "#222"}))
    fig.update_xaxes(tickmode="array", tickvals=sorted(scaled["workers"].unique()))
    return _layout(fig, title, "workers (Celery worker processes, one pool process each)", "rows/s")


def memory(scaled: pd.DataFrame, *, title: str) -> go.Figure:
    """Draw each worker's PSS peak and the fleet's against workers, per backend."""
    fig = go.Figure()
    for i, (backend, rows) in enumerate(scaled.groupby("backend", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Bar(x=rows["workers"].astype(str), y=rows["fleet_pss_mib"], name=f"fleet ({backend})",
                             marker_color=color, opacity=0.55))
        fig.add_trace(go.Scatter(x=rows["workers"].astype(str), y=rows["worker_pss_mib"], mode="lines+markers",
                                 name=f"one worker ({backend})", line={"color": color, "width": 3}))
    fig.update_layout(barmode="group")
    return _layout(fig, title, "workers (a worker's PSS: its node and pool process, shared pages counted once)",
                   "PSS peak (MiB)")


def projection(projected: pd.DataFrame, *, title: str) -> go.Figure:
    """Draw the PROJECTED rows/s of N workers on N machines, one line per database write rate."""
    fig = go.Figure()
    for i, (rate, rows) in enumerate(projected.groupby("database_rows_per_s")):
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=rows["workers"], y=rows["projected_rows_per_s"], mode="lines+markers",
                                 name=f"database absorbs {rate:,.0f} rows/s", line={"color": color, "dash": "dash"}))
        fig.add_trace(go.Scatter(x=[rows["workers"].min(), rows["workers"].max()], y=[rate, rate], mode="lines",
                                 showlegend=False, line={"color": color, "width": 1, "dash": "dot"}))
    fig.update_xaxes(type="log", tickmode="array", tickvals=sorted(projected["workers"].unique()))
    return _layout(fig, title, "workers, one machine each (log scale)", "projected rows/s")
