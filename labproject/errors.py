"""One exception family for the workbench: callers catch one case or all of them.

Library code raises these and never exits; management commands and ``manage.py`` turn them
into one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class LabError(Exception):
    """Base of every error the workbench reports to a user as one line."""

    exit_code = 2

    def __init__(self, *args: object, exit_code: int | None = None) -> None:
        super().__init__(*args)
        if exit_code is not None:  # a stop by signal N exits 128 + N, as a shell would report it
            self.exit_code = exit_code


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


class ResultFormatError(LabError):
    """A result file is unreadable or of an unknown schema version."""


class Interrupted(LabError):
    """The user interrupted long work; what finished before is kept."""

    exit_code = 130


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
