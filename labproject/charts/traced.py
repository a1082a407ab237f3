"""What tracemalloc sees beside what the kernel sees, for the same runs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labproject.charts.context import colors, dash, strategy_order, titled
from labproject.charts.controls import attach, choice_masks, visibility_menu
from labproject.charts.timeline import thin


def tracemalloc_beside_rss(samples: pd.DataFrame, traced: pd.DataFrame, runs: pd.DataFrame, *,
                           strategy: str | None = None, title: str = "RSS beside tracemalloc, same runs",
                           note: str = "", controls: bool = True) -> go.Figure:
    """Draw RSS above baseline (left) and tracemalloc's current and peak traced memory (right) over time.

    Only runs that carried the tracemalloc probe are drawn, so their RSS includes tracemalloc's own
    tables; ``note`` (a measured figure of that cost) goes under the title. ``strategy`` draws one
    strategy's runs; with ``controls`` a dropdown chooses among them instead.
    """
    palette = colors(runs)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=("RSS above baseline, tracemalloc on (the kernel's view)",
                                        "tracemalloc: traced now (solid), peak (dotted)"))
    keys: list[str] = []
    for name in strategy_order(runs):
        if strategy is not None and name != strategy:
            continue
        for index, (run_id, trace_line) in enumerate(traced[traced["strategy"] == name].groupby("run_id", sort=False)):
            repeat = int(trace_line["repeat"].iloc[0])
            rss = thin(samples[samples["run_id"] == run_id], "rss_above_baseline_mib")
            trace_line = thin(trace_line, "peak_mib")
            style = {"color": palette[name], "dash": dash(repeat), "width": 1.8}
            label = f"{name} #{repeat + 1}"
            fig.add_trace(go.Scatter(x=rss["seconds"], y=rss["rss_above_baseline_mib"], mode="lines", name=name,
                                     legendgroup=name, showlegend=index == 0, line=style,
                                     hovertemplate=f"{label} RSS<br>%{{x:.2f}} s<br>%{{y:.1f}} MiB<extra></extra>"),
                          row=1, col=1)
            fig.add_trace(go.Scatter(x=trace_line["seconds"], y=trace_line["current_mib"], mode="lines", name=name,
                                     legendgroup=name, showlegend=False, line=style,
                                     hovertemplate=f"{label} traced now<br>%{{x:.2f}} s<br>%{{y:.1f}} MiB"
                                                   "<extra></extra>"),
                          row=1, col=2)
            fig.add_trace(go.Scatter(x=trace_line["seconds"], y=trace_line["peak_mib"], mode="lines", name=name,
                                     legendgroup=name, showlegend=False, line={**style, "dash": "dot", "width": 1.2},
                                     hovertemplate=f"{label} traced peak<br>%{{x:.2f}} s<br>%{{y:.1f}} MiB"
                                                   "<extra></extra>"),
                          row=1, col=2)
            keys += [name] * 3
    titled(fig, title + (f"<br><sup>{note}</sup>" if note else ""), runs)
    if note:
        fig.update_layout(margin={"t": fig.layout.margin.t + 18}, height=fig.layout.height + 18)
    fig.update_xaxes(title_text="time since the strategy started (s)", rangemode="tozero")
    fig.update_yaxes(title_text="MiB", rangemode="tozero", row=1, col=1)
    choices = list(dict.fromkeys(keys))
    if controls and len(choices) > 1:
        attach(fig, [visibility_menu(*choice_masks(keys, choices))])
    return fig
