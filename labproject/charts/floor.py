"""Every strategy as one point: time per row over the in-database floor's, against peak memory."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import baseline_note, palette, titled
from labproject.charts.controls import attach, choice_masks, visibility_menu
from labproject.units import MEMORY_FLOOR_MIB

# Labels of neighbouring points (by time) take turns around their marker, so close points stay readable.
LABEL_POSITIONS = ["top center", "bottom center", "middle right", "middle left"]


def time_and_memory_map(table: pd.DataFrame, runs: pd.DataFrame, *,
                        title: str = "Every strategy against the floor: time per row and peak memory",
                        controls: bool = True) -> go.Figure:
    """Draw ``faster.against_floor``'s table: x is time per row over the floor's (log), y the peak above baseline.

    One colour per family; the bars span the fastest and slowest repeat. Lower left is better. With
    ``controls`` a dropdown shows one backend at a time (points of different backends are not comparable).
    """
    drawn = table[table["x floor"].notna()].sort_values(["setup", "x floor"])
    drawn = drawn.assign(label_at=[LABEL_POSITIONS[i % len(LABEL_POSITIONS)]
                                   for i in drawn.groupby("setup").cumcount()])
    colors = palette(list(dict.fromkeys(drawn["family"])))
    backends = list(dict.fromkeys(table.loc[table["x floor"].notna(), "setup"]))
    fig = go.Figure()
    keys = []
    for backend in backends:
        for family, points in drawn[drawn["setup"] == backend].groupby("family", sort=False):
            ratio = points["x floor"] / points["seconds"]
            slower = (points["seconds max"] - points["seconds"]) * ratio
            faster = (points["seconds"] - points["seconds min"]) * ratio
            fig.add_trace(go.Scatter(
                x=points["x floor"], y=points["peak MiB"].clip(lower=MEMORY_FLOOR_MIB), mode="markers+text",
                name=f"{family} ({backend})" if len(backends) > 1 else family, text=points["strategy"],
                textposition=points["label_at"].tolist(), visible=not controls or backend == backends[0],
                marker={"color": colors[family], "size": 11, "line": {"width": 1, "color": "#222"}},
                error_x={"type": "data", "symmetric": False, "array": slower, "arrayminus": faster, "thickness": 1},
                customdata=points[["rows", "seconds"]],
                hovertemplate="%{text}<br>%{x:.2f}x the floor's time per row<br>+%{y:.1f} MiB peak<br>"
                              "%{customdata[1]:.2f} s at %{customdata[0]:,} rows<extra></extra>",
            ))
            keys.append(backend)
    titled(fig, title, runs, height=620)
    fig.update_xaxes(type="log", title_text="time per row over sql_update's on the same backend (log scale)")
    fig.update_yaxes(type="log", title_text="peak memory above baseline (MiB, log scale)" + baseline_note(runs))
    fig.update_layout(legend={"title": {"text": "family"}})
    if controls and len(backends) > 1:
        attach(fig, [visibility_menu(*choice_masks(keys, backends, with_all=False))])
    return fig
