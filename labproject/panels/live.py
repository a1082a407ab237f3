"""A chart that grows while each worker runs: an observer of the runner feeding a plotly FigureWidget."""

from __future__ import annotations

import time

import plotly.graph_objects as go

from labproject.charts.context import TEMPLATE, palette
from labproject.charts.timeline import X_AXES, run_trace
from labproject.engine.observers import Observer
from labproject.units import MIB

MAX_LIVE_POINTS = 4000  # past this a run's line keeps every other point, so pushes stay small


class LiveChart(Observer):
    """Draw each run's RSS as it is sampled, sending to the browser at most every ``interval`` seconds.

    The runner calls ``sampled`` from its sampling loop in the kernel's main thread, so a kernel
    interrupt still reaches the runner (which kills the worker); throttling keeps that loop quick.
    RSS is absolute here: a run's baseline is known only once it ends.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.figure = go.FigureWidget(layout={
            "template": TEMPLATE, "height": 420, "margin": {"t": 60, "l": 70, "r": 30, "b": 60},
            "title": {"text": "RSS while each run works (live)", "x": 0.01},
            "xaxis": {"title": {"text": X_AXES["seconds"]}, "rangemode": "tozero"},
            "yaxis": {"title": {"text": "RSS (MiB)"}},
            "legend": {"title": {"text": "strategy"}},
        })
        self._colors: dict[str, str] = {}
        self._xs: list[float] = []
        self._ys: list[float] = []
        self._pushed = 0.0

    def compare_started(self, runs):
        self._colors = palette(list(dict.fromkeys(spec.strategy for spec, _repeat in runs)))
        self.figure.data = []
        self.figure.layout.title.text = f"RSS while each run works (live): {len(runs)} run(s)"

    def run_started(self, index, spec, repeat):
        shown = {trace.name for trace in self.figure.data}
        self.figure.add_trace(run_trace(spec.strategy, repeat, [], [], color=self._colors[spec.strategy],
                                        showlegend=spec.strategy not in shown))
        self._xs, self._ys = [], []
        self._pushed = 0.0

    def sampled(self, seconds, rss_bytes, rows_done):
        self._xs.append(seconds)
        self._ys.append(rss_bytes / MIB)
        if len(self._xs) > MAX_LIVE_POINTS:
            self._xs, self._ys = self._xs[::2], self._ys[::2]
        now = time.monotonic()
        if now - self._pushed >= self.interval:
            self._push()
            self._pushed = now

    def run_finished(self, result):
        self._push()

    def _push(self) -> None:
        if not self.figure.data:
            return
        with self.figure.batch_update():
            self.figure.data[-1].x = self._xs
            self.figure.data[-1].y = self._ys
