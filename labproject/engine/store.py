"""The results store: one JSON file per run under ``<results dir>/<session>/``, the only code that touches them.

Files are written to a temporary name and renamed, so a reader never sees half a result; a
corrupt or foreign file is skipped with a warning, never a crash.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
import warnings
from datetime import datetime
from pathlib import Path

from labproject.engine.result import RunResult
from labproject.errors import ResultFormatError


class ResultStore:
    """A folder of sessions, each a folder of run results."""

    def __init__(self, root: Path | str | None = None) -> None:
        if root is None:
            from django.conf import settings

            root = settings.RESULTS_DIR
        self.root = Path(root)

    def new_session(self, label: str = "") -> str:
        """Create and return a new session name: a sortable timestamp, a label, a short random tail."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name = "-".join(part for part in (stamp, _slug(label), uuid.uuid4().hex[:4]) if part)
        (self.root / name).mkdir(parents=True, exist_ok=False)
        return name

    def write(self, result: RunResult) -> Path:
        """Write ``result`` atomically into its session folder and return its path."""
        folder = self.root / result.session
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{result.run_id}.json"
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
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


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40]
