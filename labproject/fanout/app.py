"""The lab's Celery app: a Redis broker, and the settings that make a killed worker's range come back.

``acks_late`` acknowledges a range's message only after its task returns, ``task_reject_on_worker_lost``
puts it back when the process running it dies (SIGKILL, the OOM killer), and a prefetch of one keeps a
worker from holding ranges it is not walking. A message not acknowledged within the visibility timeout
is delivered again even though its worker may still be on it; the range's lock makes that second
delivery wait or find the range done, so the timeout only bounds how long a lost worker's range waits.
Workers start with ``python -m labproject.fanout workers start N`` (``make workers N=2``).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.worker.control import inspect_command

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labproject.settings")  # Celery's Django fixup sets Django up

QUEUE = "labwalk"
VISIBILITY_TIMEOUT = 900  # seconds; longer than a range takes here, and the range lock covers a too-early redelivery
TRANSPORT = {"visibility_timeout": VISIBILITY_TIMEOUT, "socket_connect_timeout": 5, "socket_timeout": 30,
             "unacked_restore_interval": 10}



def _configured_broker() -> str | None:
    """Return the broker from the environment or the lab's running Redis; None leaves it to the caller's URL."""
    from labproject.errors import LabError
    from labproject.fanout.broker import broker_url

    try:
        return broker_url()
    except LabError:
        return None  # the coordinator and the fleet always pass the URL they checked


SETTINGS = dict(
    broker_transport_options=TRANSPORT,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,  # a worker waits out a broker restart instead of exiting
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue=QUEUE,
    task_serializer="json",
    accept_content=["json"],
)
app = Celery("labwalk", include=["labproject.fanout.tasks"])
app.conf.update(broker_url=_configured_broker(), **SETTINGS)
_CLIENTS: dict[str, Celery] = {}


def client(url: str) -> Celery:
    """Return an app that sends tasks and control commands to the broker at ``url`` (one per URL, kept).

    A Celery app publishes control commands through its own producer pool, whatever connection is
    passed, so each broker gets an app of its own rather than a changed default.
    """
    if url not in _CLIENTS:
        made = Celery("labwalk", set_as_current=False)
        made.conf.update(broker_url=url, **SETTINGS)
        _CLIENTS[url] = made
    return _CLIENTS[url]


def forget_client(url: str) -> None:
    """Drop the app kept for ``url`` with its pooled connections (after the broker restarted under them)."""
    import contextlib

    made = _CLIENTS.pop(url, None)
    if made is not None:
        with contextlib.suppress(Exception):
            made.close()


@inspect_command()
def labwalk_worker(state) -> dict:
    """Tell the coordinator which database this worker writes to and which processes it runs."""
    from labproject.iteration.readiness import describe_connection

    pool = getattr(state.consumer, "pool", None)
    processes = list((getattr(pool, "info", None) or {}).get("processes", []))
    return {"pid": os.getpid(), "pool": processes, "database": describe_connection(),
            "host": os.uname().nodename}
