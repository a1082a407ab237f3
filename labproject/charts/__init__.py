"""Plotly figures from the tidy tables: one function per chart; charts never run, read or display anything.

Every chart takes ``controls``: True adds plotly's own buttons, dropdowns and sliders over
precomputed traces (they work in an exported page with no kernel); False leaves the choice to
the caller, as the ipywidgets panels do.
"""

from labproject.charts.distribution import histogram
from labproject.charts.objects import allocation_sites, retained_types
from labproject.charts.overview import standard_charts
from labproject.charts.queries import query_count_and_time
from labproject.charts.spread import PEAK_METRICS, peak_and_time
from labproject.charts.timeline import X_AXES, memory_timeline, run_trace
from labproject.charts.traced import tracemalloc_beside_rss

__all__ = [
    "PEAK_METRICS", "X_AXES", "allocation_sites", "histogram", "memory_timeline", "peak_and_time",
    "query_count_and_time", "retained_types", "run_trace", "standard_charts", "tracemalloc_beside_rss",
]
