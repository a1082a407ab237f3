"""Pieces the keyset and cursor strategies share: pk-range reads, JSON decoding, batched writes.

Every write is parameterised; table and column names come from the model, never from input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from labproject.iteration.calculation import calculate
from labproject.iteration.models import SomeModel

TABLE = SomeModel._meta.db_table
# The most rows one VALUES statement may carry: two parameters a row under SQLite's 32766-variable
# limit (3.32+) and PostgreSQL's 65535-parameter protocol limit.
VALUES_ROW_LIMIT = {"sqlite": 16_383, "postgresql": 32_767}

decode = json.loads


def keyset_rows(batch_size: int) -> Iterator[list[tuple[int, str]]]:
    """Yield batches of ``(pk, payload text)`` in pk order, each read with ``pk > last`` (no OFFSET)."""
    # Reading the payload as text skips Django's per-row JSON decoding; the strategy decodes.
    rows = SomeModel.objects.order_by("pk").values_list("pk", Cast("data", output_field=TextField()))
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def calculated(batch: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """Return ``(value, pk)`` for every row of a batch, computed in Python from its decoded JSON."""
    return [(calculate(decode(text)), pk) for pk, text in batch]


def write_executemany(pairs: list[tuple[int, int]]) -> None:
    """Write one batch with one prepared UPDATE executed per row, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f'UPDATE "{TABLE}" SET "field" = %s WHERE "id" = %s', pairs)


def write_from_values(pairs: list[tuple[int, int]]) -> None:
    """Write one batch with a single UPDATE ... FROM (VALUES ...) statement."""
    if connection.vendor == "postgresql":
        rows = ", ".join(["(%s::integer, %s::bigint)"] * len(pairs))
        sql = f'UPDATE "{TABLE}" AS t SET "field" = v.val FROM (VALUES {rows}) AS v(val, id) WHERE t."id" = v.id'
    else:  # SQLite names VALUES columns column1, column2 and accepts no column list on the alias
        rows = ", ".join(["(%s, %s)"] * len(pairs))
        sql = f'UPDATE "{TABLE}" SET "field" = v.column1 FROM (VALUES {rows}) AS v WHERE "{TABLE}"."id" = v.column2'
    params = [value for pair in pairs for value in pair]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
