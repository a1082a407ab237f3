"""``make report``'s progress over its notebooks: elapsed time and an ETA from the last report's durations.

Each page's time is recorded in ``<report folder>/durations.json`` (per mode) as soon as the page
ends, so the next report knows what to expect. The bar counts expected seconds: a page advances it
by its recorded time as it runs (held just short of its end until it really ends), and tqdm's rate
turns what is left into an ETA that follows this run's own pace. With no record yet, the bar counts
pages. On a terminal the bar redraws in place; piped (CI), each page gets one line with its ETA.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

DURATIONS = "durations.json"
TICK_SECONDS = 0.5
HOLD = 0.98  # a page running past its recorded time waits here until it ends


def load_durations(out_dir: Path, mode: str) -> dict[str, float]:
    """Return the seconds each page took in the last report of ``mode`` in ``out_dir`` (empty when none)."""
    try:
        recorded = json.loads((out_dir / DURATIONS).read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in recorded.get(mode, {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def record_duration(out_dir: Path, mode: str, stem: str, seconds: float) -> None:
    """Store one page's time for the next report, keeping the other pages' and modes' records."""
    path = out_dir / DURATIONS
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    recorded.setdefault(mode, {})[stem] = round(seconds, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(recorded, indent=1, sort_keys=True), encoding="utf-8")
    temp.replace(path)


class ReportProgress:
    """A bar over the pages of one report, ticking while each page runs."""

    def __init__(self, stems: Sequence[str], expected: dict[str, float], stream=None) -> None:
        from tqdm import tqdm

        self.stems = list(stems)
        self.stream = stream or sys.stderr
        self.timed = bool(self.stems) and all(s in expected for s in self.stems)
        self.weights = {s: expected[s] if self.timed else 1.0 for s in self.stems}
        self.done = 0.0
        self.current: str | None = None
        self.started = self._page_t0 = time.monotonic()
        self.interactive = self.stream.isatty()
        self.bar = tqdm(total=sum(self.weights.values()), file=self.stream, disable=not self.interactive,
                        bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed} elapsed, ETA {remaining}",
                        dynamic_ncols=True)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="report-progress", daemon=True)
        self._ticker.start()
        if not self.timed:
            self.say("no recorded durations for every page yet (first report here): the ETA follows pages done")

    def say(self, line: str) -> None:
        """Print a line above the bar (or alone, when not on a terminal)."""
        if self.interactive:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def page_started(self, stem: str, mode: str) -> None:
        with self._lock:
            self.current, self._page_t0 = stem, time.monotonic()
            self.bar.set_description_str(f"{stem} ({self.stems.index(stem) + 1}/{len(self.stems)})")
        expected = f", {self.weights[stem]:.0f} s last time" if self.timed else ""
        self.say(f"executing {stem} ({mode}){expected}{self._eta()}")

    def page_finished(self, stem: str, line: str) -> None:
        with self._lock:
            self.done += self.weights[stem]
            self.current = None
            self.bar.n = self.done
            self.bar.refresh()
        self.say(line)

    def close(self) -> None:
        self._stop.set()
        self._ticker.join()
        self.bar.close()

    def _eta(self) -> str:
        """Return ", ETA ..." for the plain lines: expected seconds left at this run's pace so far."""
        elapsed = time.monotonic() - self.started
        left = sum(self.weights.values()) - self.done
        if not self.timed or not self.done:
            return f"; about {left:.0f} s left" if self.timed else ""
        return f"; ETA {left * elapsed / self.done:.0f} s"

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self.current is None:
                    continue
                share = self.weights[self.current]
                running = min(time.monotonic() - self._page_t0, HOLD * share) if self.timed else 0.0
                self.bar.n = self.done + running
                self.bar.refresh()
