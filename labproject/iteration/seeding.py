"""Load a lab table in one transaction, or say that it already holds the asked data."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from itertools import islice
from typing import TextIO

from django.db import DatabaseError, connections, transaction

from labproject.database import busy_note
from labproject.errors import BadInput, DatabaseNotReady, Interrupted
from labproject.iteration.loaders import clear_table, loader_for
from labproject.iteration.lock import lab_lock
from labproject.iteration.models import SeedRecord
from labproject.iteration.readiness import connection_error, ensure_ready
from labproject.iteration.targets import DEFAULT, TABLES
from labproject.processes import signal_number
from seed.payload import PayloadSpec

CHUNK_ROWS = 25_000


@dataclass(frozen=True)
class SeedOutcome:
    """What a seeding call did: loaded rows, or found them already there."""

    spec: PayloadSpec
    seconds: float
    skipped: bool
    target: str = DEFAULT

    @property
    def rows_per_second(self) -> float:
        return self.spec.rows / self.seconds if self.seconds else float("inf")

    def message(self) -> str:
        s = self.spec
        table = "" if self.target == DEFAULT else f" ({self.target})"
        shape = f"{s.rows:,} rows{table} x {s.payload_bytes} B payload, seed {s.seed}"
        if self.skipped:
            return f"already seeded with {shape}: nothing to do"
        return f"seeded {shape} in {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s)"


def current_seed(target: str = DEFAULT, alias: str = "default") -> SeedRecord | None:
    """Return the record of the last completed seed of ``target``'s table, or None."""
    table = TABLES[target].target().table
    return SeedRecord.objects.using(alias).filter(table=table).order_by("-pk").first()


def is_seeded(spec: PayloadSpec, target: str = DEFAULT, alias: str = "default") -> bool:
    """Tell whether ``target``'s table holds exactly the rows ``spec`` describes."""
    record = current_seed(target, alias)
    return (
        record is not None
        and (record.rows, record.payload_bytes, record.seed, record.generator_version)
        == (spec.rows, spec.payload_bytes, spec.seed, TABLES[target].version)
        and TABLES[target].target().model.objects.using(alias).count() == spec.rows
    )


def seed_table(
    spec: PayloadSpec,
    *,
    target: str = DEFAULT,
    alias: str = "default",
    progress: bool = True,
    out: TextIO | None = None,
    force: bool = False,
    wait: bool = True,
) -> SeedOutcome:
    """Replace ``target``'s table rows with ``spec``'s, in one transaction, under the lab lock; a no-op if there.

    Ctrl-C rolls the transaction back, so the table keeps its earlier rows, and raises
    :class:`Interrupted`. ``force`` reloads even when the rows are already there; ``wait=False``
    refuses at once when another command holds the lab lock.
    """
    with lab_lock(alias=alias, wait=wait, out=out):
        try:
            return _seed(spec, target, alias, progress, out, force)
        except DatabaseError as exc:  # locked by another connection, read-only, full: one line, not a traceback
            problem = connection_error(alias, exc)
            raise DatabaseNotReady(f"seeding failed: {problem}{busy_note(str(exc))}") from None


def _seed(spec: PayloadSpec, target: str, alias: str, progress: bool, out: TextIO | None,
          force: bool) -> SeedOutcome:
    from tqdm.auto import tqdm

    ensure_ready(alias, out=out)
    if target not in TABLES:
        raise BadInput(f"the lab seeds only its own tables ({', '.join(TABLES)}), not {target!r}")
    if not force and is_seeded(spec, target, alias):
        return SeedOutcome(spec, 0.0, skipped=True, target=target)
    connection = connections[alias]
    load = loader_for(connection.vendor)
    lab_table = TABLES[target]
    table = lab_table.target().table
    rows = lab_table.generate(spec)
    started = time.perf_counter()
    bar = tqdm(total=spec.rows, unit="rows", unit_scale=True, desc="seeding", disable=not progress,
               file=out or sys.stderr, mininterval=0.2)
    try:
        with transaction.atomic(using=alias):
            clear_table(connection, table)
            for _ in range(0, spec.rows, CHUNK_ROWS):
                load(connection, table, lab_table.columns, islice(rows, CHUNK_ROWS))
                bar.update(min(CHUNK_ROWS, spec.rows - bar.n))
            SeedRecord.objects.using(alias).filter(table=table).delete()
            SeedRecord.objects.using(alias).create(
                table=table, rows=spec.rows, payload_bytes=spec.payload_bytes, seed=spec.seed,
                generator_version=lab_table.version, seconds=time.perf_counter() - started,
            )
    except KeyboardInterrupt as exc:
        raise Interrupted("seeding interrupted: the transaction was rolled back and the table is as it was",
                          signal_number(exc)) from None
    finally:
        bar.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{table}"')
    return SeedOutcome(spec, time.perf_counter() - started, skipped=False, target=target)
