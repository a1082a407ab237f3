"""One exception family for the workbench: callers catch one case or all of them.

Library code raises these and never exits; management commands and ``manage.py`` turn them
into one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable


class LabError(Exception):
    """Base of every error the workbench reports to a user as one line."""

    exit_code = 2


class ConfigError(LabError):
    """The environment names a database or setting the workbench cannot use."""


class DatabaseNotReady(LabError):
    """The database is unreachable, missing, or not migrated."""


class BrokerNotReady(LabError):
    """The task queue's broker is unreachable, refuses the password, or has no worker for the walk."""


class BadInput(LabError):
    """A size, name, batch size or other argument is out of range."""


class UnknownStrategy(BadInput):
    """No strategy of that name is registered."""


class NotApplicable(LabError):
    """A strategy was asked on a backend it does not support."""


class WorkerFailed(LabError):
    """A worker process could not produce a result."""


class RunsFailed(LabError):
    """Some runs crashed or came back wrong; they are recorded, and the command exits non-zero."""

    exit_code = 1


class StoreError(LabError):
    """The results folder cannot take a result: missing and not creatable, not a folder, read-only, or full."""


class ResultFormatError(LabError):
    """A result file is unreadable or of an unknown schema version."""


class Interrupted(LabError):
    """The user (Ctrl-C) or the system (SIGTERM, SIGHUP) interrupted long work; what finished before is kept.

    The exit code is the shell's for a death by that signal: 128 + its number.
    """

    exit_code = 128 + signal.SIGINT

    def __init__(self, message: str, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum


def exit_code_of(main: Callable[[], int | None]) -> int:
    """Run an entry point and return its exit code; a lab error becomes one line on stderr and its code.

    Every ``python -m`` entry point and ``manage.py`` end through here, so a user never sees a
    traceback for a mistake the lab can name.
    """
    try:
        return main() or 0
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
