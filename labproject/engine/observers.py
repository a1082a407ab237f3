"""Things that watch a compare as it runs: a progress bar on stderr, a live chart in a notebook."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol

from labproject.units import MIB

if TYPE_CHECKING:
    from labproject.engine.result import RunResult
    from labproject.engine.spec import RunSpec


class RunObserver(Protocol):
    """Callbacks the runner makes; every method is optional in spirit, so subclass :class:`Observer`."""

    def compare_started(self, runs: list[tuple[RunSpec, int]]) -> None: ...
    def run_started(self, index: int, spec: RunSpec, repeat: int) -> None: ...
    def sampled(self, seconds: float, rss_bytes: int, rows_done: int) -> None: ...
    def run_finished(self, result: RunResult) -> None: ...
    def compare_finished(self) -> None: ...


class Observer:
    """A do-nothing observer to subclass."""

    def compare_started(self, runs):
        pass

    def run_started(self, index, spec, repeat):
        pass

    def sampled(self, seconds, rss_bytes, rows_done):
        pass

    def run_finished(self, result):
        pass

    def compare_finished(self):
        pass


class ProgressBar(Observer):
    """A tqdm bar over every row of every run, with the current run named (text on stderr or a notebook widget)."""

    def __init__(self, file=None, disable: bool = False, notes=None) -> None:
        self.file = file or sys.stderr
        self.notes = notes or self.file  # where a run that did not end ok is said
        self.disable = disable
        self.bar = None

    def compare_started(self, runs):
        from tqdm.auto import tqdm

        self.total_runs = len(runs)
        self.bar = tqdm(total=sum(spec.rows for spec, _ in runs), unit="rows", unit_scale=True,
                        file=self.file, disable=self.disable, mininterval=0.25, desc="compare")
        self.offset = 0

    def run_started(self, index, spec, repeat):
        self.rows = spec.rows
        self.bar.set_description(f"run {index + 1}/{self.total_runs} {spec.strategy} #{repeat + 1}")

    def sampled(self, seconds, rss_bytes, rows_done):
        self.bar.n = self.offset + min(rows_done, self.rows)
        self.bar.set_postfix_str(f"{rss_bytes / MIB:.0f} MiB", refresh=False)
        self.bar.update(0)

    def run_finished(self, result):
        self.offset += self.rows
        self.bar.n = self.offset
        self.bar.refresh()
        if result.status != "ok":
            said = result.error or ""
            said = said if said.startswith(result.status) else f"{result.status} {said}".rstrip()
            self.bar.write(f"{result.strategy} #{result.repeat + 1}: {said}", file=self.notes)

    def compare_finished(self):
        if self.bar is not None:
            self.bar.close()
