"""The task a worker runs for one range: the library's walk of that range, resumed from its checkpoint.

A database connection or lock error is retried with exponential backoff (the range stays ``pending``
meanwhile, its note saying why); any other error, a calculation's included, would fail the same way
again and leaves the range ``failed``.
``LAB_FANOUT_KILL_AFTER=<range>:<batches>`` makes the process walking that range SIGKILL itself right
after that many committed batches, the first time the range is walked: a kill at a known point, for
the tests and the chaos run, instead of a race against a timer.
"""

from __future__ import annotations

import contextlib
import os
import signal

from labproject.fanout.app import app

RETRIES = 5
KILL_ENV = "LAB_FANOUT_KILL_AFTER"


def backoff(retry: int) -> float:
    """Return the seconds to wait before retry number ``retry`` (0-based): 1, 2, 4, 8, 16, at most 30."""
    return float(min(2**retry, 30))


def kill_hook(index: int):
    """Return the ``observe`` callback that kills this process mid-range when ``LAB_FANOUT_KILL_AFTER`` asks."""
    asked = os.environ.get(KILL_ENV, "")
    if not asked:
        return None
    where, _, batches = asked.partition(":")
    if int(where) != index:
        return None
    seen = 0

    def observe(walk, attempts: int) -> None:
        nonlocal seen
        seen += 1
        if attempts == 1 and seen >= int(batches):
            os.kill(os.getpid(), signal.SIGKILL)

    return observe


@app.task(name="labwalk.walk_range", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=RETRIES)
def walk_range_task(self, target_name: str, plan: str, index: int, generation: str) -> str:
    """Walk range ``index`` of ``plan``; retry on a database error; return what was done, in one line."""
    from labproject.errors import Interrupted
    from labproject.iteration.targets import get_target
    from labproject.processes import one_line
    from labproject.walk.checkpoints import Checkpoints
    from labproject.walk.ranges import transient, walk_range

    target = get_target(target_name)
    owner = f"{self.request.hostname}:{os.getpid()}"
    retries = self.request.retries
    try:
        outcome = walk_range(target, plan, index, owner=owner, generation=generation, observe=kill_hook(index),
                             retry_if=lambda exc: retries < RETRIES and transient(exc))
    except Interrupted as exc:
        return f"range {plan}#{index} {one_line(exc)}"  # stopped by a signal, recorded on the range
    except Exception as exc:
        if not transient(exc):
            return f"range {plan}#{index} failed: {one_line(exc)}"  # recorded on the range; a retry would not help
        if retries >= RETRIES:
            with contextlib.suppress(Exception):
                Checkpoints(target.queryset.db).set_state(f"{plan}#{index}", "failed",
                                                          f"gave up after {RETRIES} retries: {one_line(exc)}")
            raise
        wait = backoff(retries)
        with contextlib.suppress(Exception):
            Checkpoints(target.queryset.db).set_state(
                f"{plan}#{index}", "pending", f"retry {retries + 1} of {RETRIES} in {wait:.0f} s after {one_line(exc)}")
        raise self.retry(exc=exc, countdown=wait) from None
    return outcome.describe()
