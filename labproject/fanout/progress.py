"""Show a fan-out's progress over all its ranges: a tqdm bar in a terminal, a small panel in a notebook.

What is shown is read from the checkpoint table (rows done, ranges done) and from the workers'
answers (how many are alive); without a terminal or a notebook it is one log line every few seconds.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

from labproject.walk.progress import LOG_EVERY_SECONDS, Reporter, _in_notebook

COLORS = {"pending": "#c8c8c8", "running": "#3b7dd8", "done": "#2e9d57", "failed": "#d64545", "stopped": "#e0a030"}


@dataclass(frozen=True)
class Snapshot:
    """A fan-out at one moment: rows, ranges by state, workers alive, the recent rate."""

    seconds: float
    rows_done: int
    rows_written: int
    total: int
    states: tuple[str, ...]  # one per range, in range order
    workers: int | None  # None: the broker did not answer
    rate: float

    def count(self, state: str) -> int:
        return sum(1 for s in self.states if s == state)

    def line(self) -> str:
        share = f" ({self.rows_done / self.total:.0%})" if self.total else ""
        workers = "?" if self.workers is None else str(self.workers)
        return (f"{self.rows_done:,}/{self.total:,} rows{share}, {self.rate:,.0f} rows/s, {self.rows_written:,} "
                f"written; ranges {self.count('done')}/{len(self.states)} done, {self.count('running')} running"
                + (f", {self.count('failed')} failed" if self.count("failed") else "") + f"; workers alive {workers}")


class FanoutProgress(Reporter):
    """Report snapshots as a notebook panel, a terminal bar, or log lines."""

    def __init__(self, total: int, *, name: str, bar: bool = True, quiet: bool = False, stream: TextIO | None = None,
                 every: float = LOG_EVERY_SECONDS) -> None:
        self.name, self.quiet, self.every = name, quiet, every
        # In a notebook stderr is drawn as a red box, and these lines are not errors.
        self.stream = stream or (sys.stdout if _in_notebook() else sys.stderr)
        self.last_log = time.monotonic()
        self.bar = self.panel = None
        if quiet or not bar:
            return
        if _in_notebook():
            self.panel = Panel(name, total)
        elif getattr(self.stream, "isatty", lambda: False)():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="rows", unit_scale=True, desc=name, file=self.stream, mininterval=0.25,
                            dynamic_ncols=True)

    def show(self, snapshot: Snapshot) -> None:
        if self.panel is not None:
            self.panel.show(snapshot)
        elif self.bar is not None:
            self.bar.total = snapshot.total
            self.bar.update(snapshot.rows_done - self.bar.n)
            self.bar.set_postfix_str(snapshot.line().split(" rows/s, ", 1)[1], refresh=False)
        elif not self.quiet and time.monotonic() - self.last_log >= self.every:
            self.last_log = time.monotonic()
            self.say(f"{self.name}: {snapshot.line()}")



class Panel:
    """An ipywidgets panel: a progress bar, the figures, and one square per range coloured by its state."""

    def __init__(self, name: str, total: int) -> None:
        import ipywidgets as widgets
        from IPython.display import display

        self.bar = widgets.IntProgress(value=0, min=0, max=max(total, 1), description="rows",
                                       layout=widgets.Layout(width="60%"))
        self.figures = widgets.HTML()
        self.ranges = widgets.HTML()
        self.box = widgets.VBox([widgets.HTML(f"<b>fan-out {name}</b>"), self.bar, self.figures, self.ranges])
        display(self.box)

    def show(self, snapshot: Snapshot) -> None:
        self.bar.max = max(snapshot.total, 1)
        self.bar.value = min(snapshot.rows_done, self.bar.max)
        self.figures.value = f"<code>{snapshot.line()}</code>"
        squares = "".join(f'<span title="range {i}: {s}" style="display:inline-block;width:14px;height:14px;'
                          f'margin:1px;background:{COLORS.get(s, "#888")}"></span>'
                          for i, s in enumerate(snapshot.states))
        legend = " ".join(f'<span style="color:{c}">&#9632;</span> {s}' for s, c in COLORS.items())
        self.ranges.value = f"<div>{squares}</div><small>{legend}</small>"
