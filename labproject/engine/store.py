"""The results store: one JSON file per run under ``<results dir>/<session>/``, the only code that touches them.

Files are written to a temporary name (``.<pid>-*.tmp``, invisible to readers) and renamed, so a
reader never sees half a result; the temporary file of a writer that died between the two is
removed by the next check. A corrupt or foreign file is skipped with a warning, never a crash. A
folder that cannot take results is one :class:`~labproject.errors.StoreError` line, said before any
run starts when it can be known then (:meth:`ResultStore.check`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
import warnings
from datetime import datetime
from pathlib import Path

from labproject.engine.result import RunResult
from labproject.errors import ResultFormatError, StoreError
from labproject.processes import pid_alive
from labproject.units import MIB

# A long run's result (20,000 RSS samples, the tree's and tracemalloc's timelines) takes a few MiB at most.
MIN_FREE_BYTES = 4 * MIB


class ResultStore:
    """A folder of sessions, each a folder of run results."""

    def __init__(self, root: Path | str | None = None) -> None:
        if root is None:
            from django.conf import settings

            root = settings.RESULTS_DIR
        self.root = Path(root)

    def check(self) -> None:
        """Make sure results can be written here now (creating the folder), or raise :class:`StoreError`.

        Also removes what writers that died between writing and renaming left behind.
        """
        with _refused(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=f".{os.getpid()}-", suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
            free = shutil.disk_usage(self.root).free
        if free < MIN_FREE_BYTES:
            raise StoreError(f"cannot write results to {self.root}: only {free / MIB:.1f} MiB free, a result "
                             f"may need {MIN_FREE_BYTES / MIB:.0f} MiB")
        for stale in self.root.glob("*/.*.tmp"):
            if not pid_alive(_writer(stale)):
                stale.unlink(missing_ok=True)

    def new_session(self, label: str = "") -> str:
        """Create and return a new session name: a sortable timestamp, a label, a short random tail."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name = "-".join(part for part in (stamp, _slug(label), uuid.uuid4().hex[:4]) if part)
        with _refused(self.root):
            (self.root / name).mkdir(parents=True, exist_ok=False)
        return name

    def write(self, result: RunResult) -> Path:
        """Write ``result`` atomically into its session folder and return its path."""
        folder = self.root / result.session
        target = folder / f"{result.run_id}.json"
        with _refused(folder):
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.getpid()}-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(result.to_dict(), handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        return target

    def sessions(self) -> list[str]:
        """Return session names, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def latest_session(self) -> str | None:
        found = self.sessions()
        return found[-1] if found else None

    def load(self, *sessions: str) -> list[RunResult]:
        """Return the results of the named sessions (all sessions when none is named), oldest first."""
        results = []
        for session in sessions or self.sessions():
            folder = self.root / session
            if not folder.is_dir():
                raise ResultFormatError(f"no session {session!r} under {self.root}")
            for path in sorted(folder.glob("*.json")):
                try:
                    results.append(RunResult.from_dict(json.loads(path.read_text(encoding="utf-8"))))
                except (OSError, ValueError, ResultFormatError) as exc:
                    warnings.warn(f"skipped unreadable result {path}: {exc}", stacklevel=2)
        return sorted(results, key=lambda r: r.started_at)


@contextlib.contextmanager
def _refused(folder: Path):
    """Turn an OS error on ``folder`` (not a folder, read-only, full...) into one StoreError line."""
    try:
        yield
    except OSError as exc:
        raise StoreError(f"cannot write results to {folder}: {exc.strerror or exc}") from None


def _writer(temp: Path) -> int:
    """Return the pid that named a temporary file ``.<pid>-*.tmp`` (0 when it is not one of ours)."""
    head = temp.name[1:].split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40]
