"""Memory above baseline while a strategy runs, one line per run, against time or rows done."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from labproject.charts.context import baseline_note, colors, dash, strategy_order, titled
from labproject.charts.controls import attach, button_row, choice_masks, highlight_slider, visibility_menu

X_AXES = {"seconds": "time since the strategy started (s)",
          "rows_done": "rows done (rows; between two progress reports, in proportion to time)"}
X_BUTTONS = {"seconds": "against time", "rows_done": "against rows"}
Y_TITLE = "RSS above baseline (MiB)"
MAX_POINTS = 1500
MARK_STEP = 0.08  # how far down each further mark's label sits, as a share of the plot's height


WIDEST, NARROWEST = 4.5, 1.6  # the first strategy's line is the widest, so a later one drawn on top leaves it visible


def run_trace(strategy: str, repeat: int, x: Sequence, y: Sequence, *, color: str,
              showlegend: bool = True, width: float = 1.8) -> go.Scatter:
    """Return one run's line: coloured by strategy, dashed by repeat, grouped in the legend by strategy."""
    return go.Scatter(
        x=list(x), y=list(y), mode="lines", name=strategy, legendgroup=strategy, showlegend=showlegend,
        line={"color": color, "dash": dash(repeat), "width": width},
        hovertemplate=f"{strategy} #{repeat + 1}<br>x %{{x:,}}<br>%{{y:.1f}} MiB<extra></extra>",
    )


def memory_timeline(samples: pd.DataFrame, runs: pd.DataFrame, *, x: str = "seconds",
                    strategies: Sequence[str] | None = None, repeat: int | None = None,
                    y: str = "rss_above_baseline_mib", title: str = "Memory while the strategy runs",
                    marks: dict[str, int] | None = None, controls: bool = True) -> go.Figure:
    """Draw RSS above each run's baseline, overlaid per strategy, repeats dashed.

    ``strategies`` and ``repeat`` narrow the lines drawn (a zoom on the flat ones is the same chart
    with fewer strategies); colours come from the whole ``runs`` table so they match other charts.
    With ``controls``, buttons switch x between time and rows, a dropdown picks a strategy, and a
    slider brings one repeat forward. Strategies drawn later get narrower lines, so two that coincide
    both stay visible. Against rows, each sample's rows are interpolated in time between the progress
    reports around it (a batch reports its rows only when it ends). ``marks`` (label: rows) draws labelled
    vertical lines at those rows; the x axis then stays rows (no switch to time).
    """
    if x not in X_AXES:
        raise ValueError(f"x must be one of {list(X_AXES)}")
    chosen = [s for s in strategy_order(runs) if strategies is None or s in strategies]
    palette = colors(runs)
    fig = go.Figure()
    keys, repeats, other_x = [], [], []
    widths = {name: WIDEST - (WIDEST - NARROWEST) * i / max(len(chosen) - 1, 1) for i, name in enumerate(chosen)}
    for strategy in chosen:
        lines = samples[samples["strategy"] == strategy]
        if repeat is not None:
            lines = lines[lines["repeat"] == repeat]
        for index, (_run, line) in enumerate(lines.groupby("run_id", sort=False)):
            line = thin(line.assign(rows_done=interpolated_rows(line)), y)
            run_repeat = int(line["repeat"].iloc[0])
            fig.add_trace(run_trace(strategy, run_repeat, line[x], line[y], color=palette[strategy],
                                    showlegend=index == 0, width=widths[strategy] if len(chosen) > 1 else 1.8))
            keys.append(strategy)
            repeats.append(run_repeat)
            other_x.append(line)
    if len(set(repeats)) > 1:
        title += " · repeats: " + ", ".join(f"{r + 1} {dash(r)}" for r in sorted(set(repeats)))
    titled(fig, title, runs)
    fig.update_xaxes(title_text=X_AXES[x], rangemode="tozero")
    fig.update_yaxes(title_text=Y_TITLE + baseline_note(runs) if y == "rss_above_baseline_mib" else "RSS (MiB)")
    for step, (label, rows) in enumerate((marks or {}).items()):
        fig.add_vline(x=rows, line={"dash": "dot", "color": "#555", "width": 1.2})
        # each mark's label a line lower than the one before: two marks a few rows apart would overlap
        fig.add_annotation(x=rows, y=1 - MARK_STEP * step, yref="paper", text=label, showarrow=False,
                           xanchor="left", yanchor="top",
                           textangle=0, font={"size": 11, "color": "#333"}, bgcolor="rgba(255,255,255,0.8)")
    if controls and keys:
        _add_controls(fig, keys, repeats, other_x, x, switch_x=not marks)
    return fig


def interpolated_rows(line: pd.DataFrame) -> pd.Series:
    """Return each sample's rows done, interpolated in time between the samples where the reported rows changed."""
    rows = line["rows_done"].to_numpy(float)
    seconds = line["seconds"].to_numpy(float)
    if len(rows) < 2:
        return line["rows_done"]
    changed = np.flatnonzero(np.diff(rows, prepend=rows[0] - 1) != 0)
    at, done = seconds[changed], rows[changed]
    if done[0] != 0:  # the walk starts at no rows at its first sample
        at, done = np.concatenate([[seconds[0]], at]), np.concatenate([[0.0], done])
    return pd.Series(np.interp(seconds, at, done), index=line.index).round()


def thin(line: pd.DataFrame, y: str, most: int = MAX_POINTS) -> pd.DataFrame:
    """Keep at most ``most`` points of a run for drawing, always including its first, last and highest."""
    if len(line) <= most:
        return line
    step = -(-len(line) // most)
    keep = set(range(0, len(line), step)) | {len(line) - 1, int(line[y].to_numpy().argmax())}
    return line.iloc[sorted(keep)]


def _add_controls(fig: go.Figure, keys: list[str], repeats: list[int], lines: list[pd.DataFrame], x: str, *,
                  switch_x: bool = True) -> None:
    axis_buttons = [
        {"label": X_BUTTONS[column], "method": "update",
         "args": [{"x": [line[column].tolist() for line in lines]}, {"xaxis.title.text": label}]}
        for column, label in X_AXES.items()
    ]
    menus = [button_row(axis_buttons, active=list(X_AXES).index(x))] if switch_x else []
    choices = list(dict.fromkeys(keys))
    if len(choices) > 1:
        menus.append(visibility_menu(*choice_masks(keys, choices)))
    sliders = [highlight_slider(repeats, prefix="repeat ")] if len(set(repeats)) > 1 else []
    attach(fig, menus, sliders)
