"""The worker's view of its own memory: RSS, the kernel's high-water mark, and giving pages back."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int | str = "self") -> int:
    """Return the resident set size of a process from ``/proc/<pid>/statm``."""
    with open(f"/proc/{pid}/statm", "rb") as handle:
        return int(handle.read().split()[1]) * _PAGE


def pss_bytes(pid: int | str = "self") -> int:
    """Return a process's proportional set size from ``/proc/<pid>/smaps_rollup``."""
    with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
        for line in handle:
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024
    raise OSError(f"no Pss line for pid {pid}")


def reset_peak() -> bool:
    """Reset this process's RSS high-water mark to its current RSS; False where the kernel cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Return the kernel's RSS high-water mark (VmHWM) of this process since start or the last reset."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise OSError("no VmHWM in /proc/self/status")


def malloc_trim() -> bool:
    """Ask glibc to return free heap pages to the OS; False where glibc is absent."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False
