"""Watch a fan-out from outside its workers: which answer, whether the broker restarted, what they cost.

A background thread asks the workers every second who they are (a Celery broadcast that each node
answers with its pid, pool and database) and the broker for its run id, which changes when Redis
restarts. For the workers on this machine it samples the memory of each node with its pool (PSS, so
pages shared after the fork count once) and keeps each one's peak and the fleet's; CPU seconds are
read at the start and the end, the database server's too when it is a PostgreSQL on this machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from dataclasses import dataclass, field

import psutil

from labproject.fanout.broker import server_id
from labproject.fanout.fleet import answering, tree_cpu_seconds, tree_memory

EVERY_SECONDS = 0.5


@dataclass
class Watch:
    """The workers and the broker, seen every ``every`` seconds from a thread of the coordinator."""

    url: str
    every: float = EVERY_SECONDS
    nodes: dict[str, dict] = field(default_factory=dict)
    reachable: bool = True
    restarts: int = 0
    node_peaks: dict[str, int] = field(default_factory=dict)
    fleet_peak: int = 0
    fleet_idle: int | None = None  # the fleet's PSS at the first look, before any range was sent
    last_answer: float = field(default_factory=time.monotonic)
    _run_id: str | None = None
    _restarted: bool = False

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._run_id = server_id(self.url)
        self.look()
        self._thread = threading.Thread(target=self._loop, name="fanout-watch", daemon=True)

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def look(self) -> None:
        """Ask the broker and the workers once, and sample the local workers' memory."""
        try:
            run_id = server_id(self.url)
            nodes = answering(self.url, timeout=1.0)
        except Exception:  # redis, kombu and the broker check each raise their own families
            with self._lock:
                self.reachable = False
            return
        total = 0
        for node, info in nodes.items():
            if local(info):
                used = tree_memory(int(info["pid"]))
                total += used
                self.node_peaks[node] = max(self.node_peaks.get(node, 0), used)
        with self._lock:
            if self._run_id is not None and run_id != self._run_id:
                self.restarts += 1
                self._restarted = True
            self._run_id, self.reachable, self.nodes = run_id, True, nodes
            self.fleet_peak = max(self.fleet_peak, total)
            if self.fleet_idle is None and nodes:
                self.fleet_idle = total
            if nodes:
                self.last_answer = time.monotonic()

    def restarted(self) -> bool:
        """Tell (once) that the broker restarted since the last call."""
        with self._lock:
            seen, self._restarted = self._restarted, False
            return seen

    def alive(self) -> int | None:
        with self._lock:
            return len(self.nodes) if self.reachable else None

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.look()


def local(info: dict) -> bool:
    """Tell whether a worker's answer comes from this machine (so its processes can be measured)."""
    return info.get("host") == os.uname().nodename or info.get("host") == socket.gethostname()


def fleet_cpu_seconds(nodes: dict[str, dict]) -> dict[str, float]:
    """Return each local worker's CPU seconds so far (its node and pool processes)."""
    return {node: tree_cpu_seconds(int(info["pid"])) for node, info in nodes.items() if local(info)}


def database_cpu_seconds(using: str = "default") -> float | None:
    """Return the CPU seconds the PostgreSQL server on this machine has used, or None when it is not measurable.

    The server's main process collects its ended sessions' CPU time as its children's, so the sum of
    its own, its ended children's and its live children's is comparable between two readings.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with contextlib.suppress(Exception):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = int(cursor.fetchone()[0])
        server = psutil.Process(backend).parent()
        times = server.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in server.children():
            with contextlib.suppress(psutil.Error):
                t = child.cpu_times()
                total += t.user + t.system
        return total
    return None
