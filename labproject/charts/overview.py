"""The set of charts a batch of runs supports, in reading order; what panels and the playground show."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from labproject.charts.objects import allocation_sites, retained_types
from labproject.charts.queries import query_count_and_time
from labproject.charts.spread import peak_and_time
from labproject.charts.timeline import memory_timeline
from labproject.charts.traced import tracemalloc_beside_rss


def standard_charts(runs: pd.DataFrame, samples: pd.DataFrame, traced: pd.DataFrame, sites: pd.DataFrame,
                    retained: pd.DataFrame, *, controls: bool = True) -> list[go.Figure]:
    """Return the timeline and the spread, then one chart per probe that the runs carried."""
    figures = []
    if len(samples):
        figures.append(memory_timeline(samples, runs, controls=controls))
    if (runs["status"] == "ok").any():
        figures.append(peak_and_time(runs, controls=controls))
    if len(traced):
        figures.append(tracemalloc_beside_rss(samples, traced, runs, controls=controls))
    if len(sites):
        figures.append(allocation_sites(sites, runs, controls=controls))
    if len(retained):
        figures.append(retained_types(retained, runs, controls=controls))
    if runs["queries"].notna().any():
        figures.append(query_count_and_time(runs, controls=controls))
    return figures
