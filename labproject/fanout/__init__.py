"""The walk fanned out over Celery workers: key ranges planned from the data, one task per range, kills survived.

    python manage.py fanout lab --workers 2 --ranges 8
    from labproject.fanout import fan_out; fan_out("lab", workers=2, ranges=8)

The coordinator (:mod:`.coordinator`) plans ranges of equal rows, records the plan and every range's
state in the walk library's checkpoint table, enqueues one task per range and watches the table,
the source of truth; each task (:mod:`.tasks`) walks its range with the library, from the range's
checkpoint on. Redis is only the queue: what is done is in the database, committed with each batch.
"""


def __getattr__(name: str):
    # The coordinator imports Celery and Django's models; a worker importing the app needs neither first.
    if name == "fan_out":
        from labproject.fanout.coordinator import fan_out

        return fan_out
    raise AttributeError(f"module 'labproject.fanout' has no attribute {name!r}")
