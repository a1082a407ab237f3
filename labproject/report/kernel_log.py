"""Keep one ipykernel warning off the terminal while the report executes notebooks.

ipykernel 7 warns at every kernel start that its sockets are TCP without encryption. The report's
kernels are started by papermill on loopback, one per page, so the warning says nothing to act on and
buries the progress lines. ``KERNEL_CONFIG`` (passed as ``--config``) adds :class:`PlainTcpWarning`
to the kernel application's log handler; every other kernel message still gets through.
"""

from __future__ import annotations

import logging
from pathlib import Path

KERNEL_CONFIG = Path(__file__).resolve().parent / "kernel_config.json"
MESSAGE = "Kernel is running over TCP without encryption"


class PlainTcpWarning(logging.Filter):
    """Drop the kernel's TCP-without-encryption warning, and nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(MESSAGE)


def kernel_arguments() -> list[str]:
    """Return the kernel command-line options that install the filter."""
    return [f"--config={KERNEL_CONFIG}"]
