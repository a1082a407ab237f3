"""The lab's walk targets, each with its table's seeder, and how to name a target of your own.

``lab`` is the article's ``SomeModel.field`` from its JSON payload (the default everywhere);
``invoices`` is a second shape: ``Invoice.total_cents`` from a JSON list of line items, on a wide
table with sparse keys. Any other name of the form ``package.module:attribute`` is imported: a
:class:`~labproject.walk.Target`, or a callable returning one (a reader's own model).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from labproject.errors import BadInput
from labproject.walk import Target
from seed import PayloadSpec
from seed.invoices import INVOICES_VERSION, generate_invoices, invoice_total
from seed.payload import GENERATOR_VERSION, generate_rows

DEFAULT = "lab"


@dataclass(frozen=True)
class LabTable:
    """A lab target's table: how to build the target and how to fill its table deterministically."""

    target: Callable[[], Target]
    generate: Callable[[PayloadSpec], Iterator[tuple]]
    columns: tuple[str, ...]
    version: int


def _lab() -> Target:
    from labproject.iteration.calculation import SOME_CALCULATION_SQL, calculate, calculation_expression
    from labproject.iteration.models import SomeModel

    return Target(SomeModel, "field", ("data",), calculate, SOME_CALCULATION_SQL, "lab", calculation_expression)


def _invoices() -> Target:
    from labproject.iteration.calculation import INVOICE_TOTAL_SQL
    from labproject.iteration.models import Invoice

    return Target(Invoice, "total_cents", ("lines",), invoice_total, INVOICE_TOTAL_SQL, "invoices")


TABLES: dict[str, LabTable] = {
    "lab": LabTable(_lab, generate_rows, ("id", "data"), GENERATOR_VERSION),
    "invoices": LabTable(_invoices, generate_invoices, ("id", "number", "customer", "issued", "lines", "notes"),
                         INVOICES_VERSION),
}


def get_target(name: str = DEFAULT) -> Target:
    """Return the target called ``name``: a lab table's, or one imported from ``package.module:attribute``."""
    if name in TABLES:
        return TABLES[name].target()
    if ":" not in name:
        raise BadInput(f"unknown target {name!r}; the lab's are {', '.join(TABLES)}, or name your own as "
                       "package.module:attribute")
    module_name, _, attribute = name.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise BadInput(f"cannot import target {name!r}: {type(exc).__name__}: {exc}") from None
    made = found() if callable(found) and not isinstance(found, Target) else found
    if not isinstance(made, Target):
        raise BadInput(f"{name!r} is not a Target (nor a callable returning one): {type(made).__name__}")
    return made


def lab_table(name: str) -> LabTable | None:
    """Return the lab table behind target ``name``, or None for a reader's own target (the lab cannot seed it)."""
    return TABLES.get(name)
