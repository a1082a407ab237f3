"""Walk a table and update one column, fast and in flat memory: the workbench's answer, as a library.

    from labproject.walk import update_rows
    update_rows(Invoice.objects.all(), total_of, field="total_cents", reads=["lines"])

or a management command of about ten lines (:class:`UpdateRowsCommand`). Needs only Django: not the
lab's settings, apps or engine. A walk is described by a :class:`Target`; each batch commits with
its checkpoint, so ``resume=True`` continues after Ctrl-C, SIGTERM or SIGKILL.
"""

from labproject.walk.context import ComputeFailed, Walk
from labproject.walk.reading import Bounds
from labproject.walk.target import Target, target_of

__all__ = ["Bounds", "ComputeFailed", "Target", "Walk", "target_of", "update_rows", "UpdateRowsCommand"]


def __getattr__(name: str):
    # The entry points sit above the strategies they choose from; imported on first use.
    if name == "update_rows":
        from labproject.walk.update import update_rows

        return update_rows
    if name == "UpdateRowsCommand":
        from labproject.walk.command import UpdateRowsCommand

        return UpdateRowsCommand
    raise AttributeError(f"module 'labproject.walk' has no attribute {name!r}")
