"""Shared fixtures: a throwaway lab (its own SQLite file and results folder) driven through real processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
# The PostgreSQL cluster and per-test databases; MariaDB, PgBouncer and Redis; the fan-out's workers; Chromium.
pytest_plugins = ["tests.pg_fixtures", "tests.server_fixtures", "tests.fanout_lab", "tests.browser"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """Keep pytest-django's test database in a temporary folder, as a real SQLite file."""

    from django.db import connections

    connections["default"].settings_dict["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@dataclass
class Lab:
    """A lab with its own database and results folder, used through ``manage.py`` in subprocesses."""

    root: Path
    env: dict

    @property
    def database(self) -> Path:
        return self.root / "lab.sqlite3"

    def manage(self, *args: str, timeout: float = 300, check: bool = False) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    def start(self, *args: str) -> subprocess.Popen:
        """Start ``manage.py`` in the background, as a user at a terminal would: Ctrl-C reaches it.

        A shell running make or pytest in the background starts them with SIGINT ignored, and a child
        would inherit that; the child gets the default back, so the Ctrl-C tests test the code.
        """
        return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], env=self.env, cwd=self.root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def count(self) -> int:
        return self.query("SELECT COUNT(*) FROM iteration_somemodel")[0][0]

    def compare(self, *args: str, timeout: float = 600) -> list[dict]:
        done = self.manage("compare", *args, "--json", timeout=timeout, check=True)
        return json.loads(done.stdout)


@pytest.fixture
def lab(tmp_path) -> Lab:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/lab.sqlite3",
           "LAB_RESULTS_DIR": str(tmp_path / "results"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_DEBUG", None)
    return Lab(tmp_path, env)


def wait_for(condition: Callable[[], object], *, what: str, timeout: float = 60, interval: float = 0.05):
    """Poll ``condition`` until it returns something true, and return that; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout:.0f} s")
        time.sleep(interval)


def still_running(processes: Iterable[psutil.Process]) -> list[psutil.Process]:
    """Return the processes that still run (a zombie has ended: only its parent has not reaped it yet)."""
    running = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                running.append(proc)
        except psutil.NoSuchProcess:
            continue
    return running


def assert_all_end(processes: Iterable[psutil.Process], timeout: float = 30) -> None:
    """Wait for every process to end (they are killed, the kernel takes a moment); fail if one survives."""
    processes = list(processes)
    try:
        wait_for(lambda: not still_running(processes), what="the processes to end", timeout=timeout)
    except AssertionError:
        raise AssertionError(f"left behind: {[p.cmdline() for p in still_running(processes)]}") from None


def walking(pid: int, strategy: str, rows: int = 1) -> list[psutil.Process]:
    """Return the processes under ``pid`` once its worker for ``strategy`` has reported ``rows`` done, else []."""
    from labproject.engine.progress import ProgressBoard

    try:
        processes = psutil.Process(pid).children(recursive=True)
        for worker in processes:
            args = worker.cmdline()
            if "labproject.engine.worker" in args and strategy in " ".join(args):
                board = ProgressBoard(Path(args[args.index("--board") + 1]))
                try:
                    if board.rows_done >= rows:
                        return processes
                finally:
                    board.close()
    except (psutil.NoSuchProcess, OSError, ValueError):  # a worker ended while we looked
        pass
    return []


def one_line_error(done: subprocess.CompletedProcess) -> str:
    """Assert that a command failed with exactly one line on stderr, and return it."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0, f"expected failure, got exit 0; stdout: {done.stdout!r}"
    assert len(lines) == 1, f"expected one line on stderr, got:\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return lines[0]


class QuickReport:
    """The report's pages executed in quick mode, each at most once per test session, and exported to HTML.

    The notebook test and the browser test share it, so no notebook runs twice. Pages share one
    throwaway database and results folder, as ``make report`` pages do.
    """

    def __init__(self, root: Path) -> None:
        from datetime import datetime

        self.root = root
        self.done: dict = {}
        self.since = datetime.now().strftime("%Y%m%d-%H%M%S")  # what make report sets: its pages may reuse runs

    def page(self, page):
        """Execute ``page`` (once) and export it to ``<root>/<stem>.html``; return its ``Executed`` record."""
        from labproject.report.execute import execute
        from labproject.report.export import export_html

        if page.stem not in self.done:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("DATABASE_URL", f"sqlite:///{self.root}/lab.sqlite3")
                patch.setenv("LAB_RESULTS_DIR", str(self.root / "results"))
                patch.delenv("DJANGO_DEBUG", raising=False)
                patch.setenv("LAB_REPORT_SINCE", self.since)
                patch.chdir(self.root)
                executed = execute(page, "quick", self.root / "executed")
            if executed.notebook.exists():
                export_html(executed.notebook, self.html(page))
            self.done[page.stem] = executed
        return self.done[page.stem]

    def html(self, page) -> Path:
        return self.root / f"{page.stem}.html"


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory) -> QuickReport:
    return QuickReport(tmp_path_factory.mktemp("quick-report"))
