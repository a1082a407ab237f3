"""Celery worker processes of the lab's app on this machine: started, found, measured and stopped.

Each worker is one node (``lab<k>@<host>``) with one pool process, so N workers walk N ranges at once,
the shape of N machines with one core each. Its pid file and log live in ``var/workers/``. Workers
that ``make workers`` starts outlive it (stop them with ``make workers-stop``); the ones a test or a
coordinator starts for itself are tied to it: the kernel kills them if it dies, so none is orphaned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from labproject.engine.memory import pss_bytes
from labproject.engine.sampler import descendants
from labproject.errors import BrokerNotReady
from labproject.processes import die_with_parent
from labproject.servers.common import BASE_DIR, VAR_DIR, process_alive

WORKERS_DIR = VAR_DIR / "workers"
READY_SECONDS = 120  # a worker imports Django and Celery first; on a loaded two-core machine that takes a while


@dataclass(frozen=True)
class Worker:
    """One worker node: its name, its main process and its log."""

    name: str
    pid: int
    log: Path

    @property
    def node(self) -> str:
        return f"{self.name}@{socket.gethostname()}"

    def alive(self) -> bool:
        return process_alive(self.pid)


def answering(url: str, timeout: float = 1.0) -> dict[str, dict]:
    """Return every worker node answering on the broker, with its pid, pool pids, host and database."""
    from labproject.fanout.app import client, forget_client

    try:
        replies = client(url).control.broadcast("labwalk_worker", reply=True, timeout=timeout)
    except Exception:  # a pooled connection to a broker that has restarted since: one more try on a new one
        forget_client(url)
        replies = client(url).control.broadcast("labwalk_worker", reply=True, timeout=timeout)
    found: dict[str, dict] = {}
    for reply in replies or []:
        found.update(reply)
    return found


class Fleet:
    """The worker processes whose pid files are in one folder."""

    def __init__(self, root: Path = WORKERS_DIR) -> None:
        self.root = Path(root)

    def running(self) -> list[Worker]:
        """Return the workers of this folder that still run (a stale pid file is removed)."""
        found = []
        for pid_file in sorted(self.root.glob("*.pid")):
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            worker = Worker(pid_file.stem, pid, self.root / f"{pid_file.stem}.log")
            if worker.alive() and _is_worker(pid):
                found.append(worker)
            else:
                pid_file.unlink(missing_ok=True)
        return found

    def start(self, count: int, *, broker_url: str, env: dict | None = None, tied: bool = False) -> list[Worker]:
        """Start ``count`` more workers on ``broker_url`` and wait until each answers; return them.

        ``env`` is added to this process's environment (``DATABASE_URL`` says where they write);
        ``tied`` workers are killed by the kernel when this process dies.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        taken = {w.name for w in self.running()}
        names, k = [], 1
        while len(names) < count:
            if f"lab{k}" not in taken:
                names.append(f"lab{k}")
            k += 1
        started = [self._spawn(name, broker_url, env or {}, tied) for name in names]
        try:
            self._wait_ready(started, broker_url)
        except BaseException:
            self.stop(started)
            raise
        return started

    def _spawn(self, name: str, broker_url: str, env: dict, tied: bool) -> Worker:
        from labproject.fanout.app import QUEUE

        log = self.root / f"{name}.log"
        node = f"{name}@{socket.gethostname()}"
        command = [sys.executable, "-m", "celery", "-A", "labproject.fanout.app", "worker", "-n", node, "-c", "1",
                   "-P", "prefork", "-Q", QUEUE, "--without-gossip", "--without-mingle", "-l", "INFO"]
        environment = {**os.environ, **env, "LAB_BROKER_URL": broker_url, "PGAPPNAME": f"labwalk-{name}",
                       "PYTHONUNBUFFERED": "1"}
        with open(log, "ab") as out:
            process = subprocess.Popen(command, env=environment, cwd=BASE_DIR, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=die_with_parent if tied else None)
        (self.root / f"{name}.pid").write_text(f"{process.pid}\n")
        return Worker(name, process.pid, log)

    def _wait_ready(self, workers: list[Worker], broker_url: str) -> None:
        waiting = {w.node: w for w in workers}
        deadline = time.monotonic() + READY_SECONDS
        while waiting:
            for node in answering(broker_url, timeout=0.5):
                waiting.pop(node, None)
            dead = [w for w in waiting.values() if not w.alive()]
            if dead:
                raise BrokerNotReady(f"worker {dead[0].name} exited before it was ready: {last_log_line(dead[0])}")
            if waiting and time.monotonic() > deadline:
                raise BrokerNotReady(f"worker(s) {', '.join(w.name for w in waiting.values())} did not answer "
                                     f"within {READY_SECONDS} s; see {self.root}")

    def stop(self, workers: list[Worker] | None = None, grace: float = 10.0) -> list[Worker]:
        """Stop ``workers`` (default: all of this folder's): a warm shutdown, then SIGKILL for what remains."""
        workers = self.running() if workers is None else workers
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(w.alive() for w in workers) and time.monotonic() < deadline:
            _reap(workers)
            time.sleep(0.05)
        for worker in workers:
            if worker.alive():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(worker.pid, signal.SIGKILL)  # the node and its pool share the session's group
        end = time.monotonic() + grace
        while any(w.alive() for w in workers) and time.monotonic() < end:
            _reap(workers)
            time.sleep(0.05)
        for worker in workers:
            (self.root / f"{worker.name}.pid").unlink(missing_ok=True)
        return workers


def _reap(workers: list[Worker]) -> None:
    """Collect the exit status of workers this process started, so they do not linger as zombies."""
    for worker in workers:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(worker.pid, os.WNOHANG)


def _is_worker(pid: int) -> bool:
    """Tell whether ``pid`` is a Celery worker of the lab's app (a reused pid is not)."""
    try:
        return "labproject.fanout.app" in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def last_log_line(worker: Worker) -> str:
    """Return a worker log's last line (passwords masked), to say why it failed."""
    from labproject.processes import last_line

    with contextlib.suppress(OSError):
        return last_line(worker.log.read_text(errors="replace"), "its log is empty")
    return f"no log in {worker.log}"


def tree_memory(pid: int) -> int:
    """Return the PSS of a worker node and its pool processes (pages shared after the fork counted once)."""
    total = 0
    for each in (pid, *descendants(pid)):
        with contextlib.suppress(OSError):
            total += pss_bytes(each)
    return total


def tree_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds a worker node and its pool have used, ended pool processes included."""
    try:
        me = psutil.Process(pid)
        times = me.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                t = child.cpu_times()
                total += t.user + t.system
        return total
    except psutil.Error:
        return 0.0
