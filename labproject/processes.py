"""Small facts about processes every layer needs: what a failed one said, an error in one line, dying with a
parent, signals that interrupt like Ctrl-C."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import threading
from collections.abc import Iterator

from labproject.database import busy_note, redact


def last_line(text: str, default: str = "") -> str:
    """Return the last non-empty line of a process's output, passwords masked: what a failed command says."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return redact(lines[-1])[:500] if lines else default


def one_line(exc: BaseException) -> str:
    """Return an exception as one line with its type, never with a password; a lock wait says so."""
    text = " ".join(str(exc).split()) or "(no message)"
    return redact(f"{type(exc).__name__}: {text}")[:400] + busy_note(text)


def die_with_parent() -> None:
    """Have the kernel kill this process if its parent dies, so a killed runner leaves no orphan."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no orphan guard, nothing else lost
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: handled wherever Ctrl-C is, so the same clean-up runs; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signal_number(interrupt: KeyboardInterrupt) -> int:
    """Return the signal behind an interrupt: SIGINT for Ctrl-C, the number for :class:`Terminated`."""
    return getattr(interrupt, "signum", signal.SIGINT)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Make SIGTERM and SIGHUP (a container stop, a closed terminal) interrupt like Ctrl-C inside the block.

    Only the main thread can set handlers; elsewhere the block runs with the handlers as they are.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, _frame):
        for number in previous:  # a second signal must not break the clean-up the first one started
            signal.signal(number, signal.SIG_IGN)
        raise Terminated(signum)

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def pid_alive(pid: int, created: float | None = None) -> bool:
    """Tell whether process ``pid`` runs (and, given its start time, is still that process, not a reuse)."""
    import psutil

    if pid <= 0:
        return False
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # it exists, though we may not look at it
        return True
    return created is None or abs(started - created) < 0.5
