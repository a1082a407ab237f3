"""Write the management command for a target: the ten lines a reader copies into their app."""

from __future__ import annotations

import inspect

from labproject.walk.target import Target


def command_source(target: Target) -> str:
    """Return the source of an ``UpdateRowsCommand`` subclass that walks ``target``.

    The calculation is imported from where it is defined, so the command stays ten lines and the
    calculation has one home.
    """
    model = target.model
    compute = target.compute
    module = inspect.getmodule(compute)
    if module is None or not getattr(compute, "__name__", "").isidentifier() or compute.__name__ == "<lambda>":
        raise ValueError("the calculation must be a named function importable from a module")
    arguments = ", ".join(target.reads)
    return f'''"""Recompute {model._meta.label}.{target.field} for every row with the walk library.

Copy to <your app>/management/commands/recompute_{target.field}.py.
"""
from {module.__name__} import {compute.__name__}
from {model.__module__} import {model.__name__}
from labproject.walk import UpdateRowsCommand


class Command(UpdateRowsCommand):
    help = "Recompute {model._meta.label}.{target.field} from {", ".join(target.reads)}."
    model = {model.__name__}
    field = "{target.field}"
    reads = {list(target.reads)!r}

    def compute(self, {arguments}):
        return {compute.__name__}({arguments})
'''
