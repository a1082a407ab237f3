"""How one column's values spread over the table's rows, for pages that describe the table itself."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

import plotly.graph_objects as go

from labproject.charts.context import PALETTE, TEMPLATE, spaced_ticks


def histogram(values: Sequence[float], *, what: str, backend: str, title: str) -> go.Figure:
    """Draw how ``values`` (one per row) are distributed; ``what`` labels the x axis, with its unit."""
    fig = go.Figure(go.Histogram(x=list(values), marker_color=PALETTE[0],
                                 hovertemplate="%{x}: %{y:,} rows<extra></extra>"))
    setting = f"{len(values):,} rows · {backend} · median {median(values):,.0f}" if values else backend
    fig.update_layout(template=TEMPLATE, height=420, bargap=0.05, margin={"t": 90, "l": 70, "r": 30, "b": 60},
                      title={"text": f"{title}<br><sup>{setting}</sup>", "x": 0.01, "xanchor": "left"})
    fig.update_xaxes(title_text=what)
    fig.update_yaxes(title_text="rows (count)")
    return spaced_ticks(fig)
