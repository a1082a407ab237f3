"""Small facts about processes every layer needs: what a failed one said, an error in one line, dying with a parent."""

from __future__ import annotations

import contextlib
import ctypes
import signal

from labproject.database import redact


def last_line(text: str, default: str = "") -> str:
    """Return the last non-empty line of a process's output, passwords masked: what a failed command says."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return redact(lines[-1])[:500] if lines else default


def one_line(exc: BaseException) -> str:
    """Return an exception as one line with its type, never with a password (what a result or a note keeps)."""
    text = " ".join(str(exc).split()) or "(no message)"
    return redact(f"{type(exc).__name__}: {text}")[:500]


def die_with_parent() -> None:
    """Have the kernel kill this process if its parent dies, so a killed runner leaves no orphan."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no orphan guard, nothing else lost
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
