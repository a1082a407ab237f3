"""Show a walk's progress: a bar in a terminal or a notebook, else one log line every few seconds.

The bar gives rows, rows/s, the time left and the process's memory; a log line gives the same, so
a walk run by cron or in a container is as observable as one at a terminal.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

LOG_EVERY_SECONDS = 5.0


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")  # a kernel has imported it; importing it here would cost 0.2 s
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def rss_mib() -> float:
    """Return this process's resident memory in MiB (``/proc/self/statm``: cheap enough per batch)."""
    import os

    with open("/proc/self/statm", "rb") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Reporter:
    """What every progress reporter shares: messages printed around its bar (tqdm's, if any), and closing it.

    A subclass sets ``quiet``, ``stream`` and ``bar``.
    """

    quiet: bool
    stream: TextIO
    bar: Any

    def say(self, text: str) -> None:
        """Print one message without breaking the bar."""
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Progress(Reporter):
    """Report rows done against a total, as a tqdm bar (``bar=True`` and interactive) or as log lines."""

    def __init__(self, total: int | None, *, name: str, bar: bool = True, quiet: bool = False,
                 stream: TextIO | None = None, every: float = LOG_EVERY_SECONDS) -> None:
        self.total, self.name, self.quiet, self.every = total, name, quiet, every
        self.stream = stream or sys.stderr
        self.started = self.last_log = time.monotonic()
        self.done = 0
        self.bar = None
        interactive = _in_notebook() or getattr(self.stream, "isatty", lambda: False)()
        if bar and interactive and not quiet:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="rows", unit_scale=True, desc=name, file=self.stream,
                            mininterval=0.25, dynamic_ncols=True)

    def update(self, done: int, written: int) -> None:
        """Move to ``done`` rows (``written`` of them changed)."""
        step, self.done = done - self.done, done
        if self.bar is not None:
            self.bar.update(step)
            self.bar.set_postfix_str(f"{written:,} written, RSS {rss_mib():.0f} MiB", refresh=False)
            return
        now = time.monotonic()
        if not self.quiet and now - self.last_log >= self.every:
            self.last_log = now
            self.say(self.line(done, written, now))

    def line(self, done: int, written: int, now: float) -> str:
        rate = done / max(now - self.started, 1e-9)
        if self.total:
            left = max(self.total - done, 0) / rate if rate else float("inf")
            share = f"{done:,}/{self.total:,} rows ({done / self.total:.0%}), ETA {left:.0f} s"
        else:
            share = f"{done:,} rows"
        return f"{self.name}: {share}, {rate:,.0f} rows/s, {written:,} written, RSS {rss_mib():.0f} MiB"

