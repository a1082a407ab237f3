"""The walk library measured as a user calls it: ``update_rows`` with its defaults, through the engine."""

from __future__ import annotations

import os

from labproject.strategies.base import strategy
from labproject.walk import Walk


@strategy(
    "update_rows", "labproject.walk.update_rows(method='auto'): checkpoints, only-changed writes", family="walk",
    cost="raw_batch",
    why="""What a reader's command runs: the fastest method the lab measured for the backend (pipelined where it
    is allowed, else the keyset writers), with a checkpoint committed in every batch's transaction, writes only
    where the value changes, and progress. It costs one small upsert per batch and a COUNT up front, and
    measures what the guarantees add to the method it picks.""",
)
def update_rows(walk: Walk) -> None:
    from labproject.walk.checkpoints import Checkpoints
    from labproject.walk.update import walk_target

    name = f"engine-run-{os.getpid()}"
    try:
        walk_target(walk.target, batch_size=walk.batch_size, quiet=True, progress=False, checkpoint_name=name,
                    observe=lambda inner: walk.advance(inner.rows_done - walk.rows_done))
    finally:
        Checkpoints(walk.using).forget(name)
