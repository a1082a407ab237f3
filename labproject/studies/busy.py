"""One CPU-busy process beside a measurement, started and stopped here: what a pipeline does without a free core.

``pipelined`` overlaps a reader and a writer, so it needs a second core; on a machine where another
process already keeps one core busy, it has none. ``one_busy_core`` starts such a process (a Python
busy loop at normal priority), waits until it is really burning CPU, and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil

from labproject.errors import WorkerFailed

BUSY_LOOP = "while True:\n    pass\n"
BUSY_CPU_SECONDS = 0.1  # the busy process counts as running once it has used this much CPU


@contextlib.contextmanager
def one_busy_core(*, timeout: float = 30.0) -> Iterator[psutil.Process]:
    """Run a busy-loop process for the duration of the ``with`` block; stop it (and wait for it) afterwards."""
    child = subprocess.Popen([sys.executable, "-c", BUSY_LOOP], stdin=subprocess.DEVNULL)
    proc = psutil.Process(child.pid)
    try:
        _wait_busy(proc, timeout)
        yield proc
    finally:
        child.kill()
        child.wait(timeout=timeout)


def _wait_busy(proc: psutil.Process, timeout: float) -> None:
    """Poll until the process has used ``BUSY_CPU_SECONDS`` of CPU, or fail in one line at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(proc.cpu_times()[:2]) >= BUSY_CPU_SECONDS:
            return
        time.sleep(0.02)
    raise WorkerFailed(f"the busy process {proc.pid} used no CPU within {timeout:.0f} s")
