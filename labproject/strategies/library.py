"""The peers: libraries a Django developer installs instead of writing a walk, each called as its README shows.

Every one reads the target's model instances in keyset batches (``key > last``, what these
libraries take), computes the target's calculation in Python for every row (``value_of``) and
hands the batch to the library for the write of ``target.field``. The libraries are the ``peers``
extra (``make setup`` installs it); a walk whose library is missing is refused with one line saying
how to install it, and the registry imports without them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from labproject.errors import NotApplicable
from labproject.strategies.base import MYSQL, POSTGRESQL, SQLITE, strategy
from labproject.strategies.keyset import keyset_instances
from labproject.walk import Walk

FAST_UPDATE = "django-fast-update"
PGBULK = "django-pgbulk"
CHUNKATOR = "django-chunkator"
_MODULES = {FAST_UPDATE: "fast_update.query", PGBULK: "pgbulk", CHUNKATOR: "chunkator"}


def _missing(distribution: str) -> str | None:
    try:
        importlib.import_module(_MODULES[distribution])
    except ImportError:
        return f"{distribution} is not installed; pip install -e '.[peers]'"
    return None


def _library(distribution: str) -> ModuleType:
    """Import a peer's module, or refuse the walk with one line naming the missing distribution."""
    missing = _missing(distribution)
    if missing:
        raise NotApplicable(missing)
    return importlib.import_module(_MODULES[distribution])


def installed(distribution: str) -> Callable[[Walk], str | None]:
    """Return a ``needs`` check: the peer's library can be imported."""
    return lambda walk: _missing(distribution)


def copy_encodable(walk: Walk) -> str | None:
    """A ``needs`` check: copy_update has a COPY text encoder for the target's key and written field."""
    missing = _missing(FAST_UPDATE)
    if missing:
        return missing
    from fast_update.copy import get_encoder

    for field in (walk.target.key, walk.target.written):
        try:
            get_encoder(field)
        except NotImplementedError:
            return f"copy_update has no COPY encoder for {walk.target.model._meta.label}.{field.name} " \
                   f"({field.get_internal_type()})"
    return None


def _fast_update_queryset(walk: Walk):
    """Return the queryset ``FastUpdateManager`` would give, on the target's model, without changing the model."""
    return _library(FAST_UPDATE).FastUpdateQuerySet(walk.target.model, using=walk.using)


@strategy(
    "fast_update", "Keyset batches + django-fast-update's fast_update", family="library", cost="per_batch_orm",
    library=FAST_UPDATE, backends={SQLITE, POSTGRESQL, MYSQL}, needs=installed(FAST_UPDATE),
    why="""As django-fast-update's README shows, through its FastUpdateManager's queryset: for each batch of
    instances it checks them (duplicate keys, expressions, related fields), turns every value into its
    database form with the field's get_db_prep_save, and sends one UPDATE ... FROM (VALUES ...) in a
    transaction (MariaDB and MySQL: an UPDATE joined to the VALUES rows); on SQLite a statement holds at
    most 499 rows, since Django caps it at 999 parameters. The reads build a model instance per row and
    Django decodes each JSON column.""",
)
def fast_update(walk: Walk) -> None:
    queryset = _fast_update_queryset(walk)
    for batch in keyset_instances(walk):
        queryset.fast_update(batch, [walk.target.field])
        walk.advance(len(batch))


@strategy(
    "copy_update", "Keyset batches + django-fast-update's copy_update", family="library", cost="per_batch_orm",
    library=FAST_UPDATE, backends={POSTGRESQL}, needs=copy_encodable,
    why="""The same library's PostgreSQL-only writer: for each batch it encodes the values to COPY's text
    format in Python, creates a temporary table, COPYs the batch into it, runs ANALYZE on it, joins it in
    one UPDATE ... FROM and drops it, in one transaction: five statements a batch, since copy_update takes
    no batch size and sends whatever it is given in one go.""",
)
def copy_update(walk: Walk) -> None:
    queryset = _fast_update_queryset(walk)
    for batch in keyset_instances(walk):
        queryset.copy_update(batch, [walk.target.field])
        walk.advance(len(batch))


def _pgbulk_walk(walk: Walk, **options) -> None:
    pgbulk = _library(PGBULK)
    queryset = walk.target.queryset.using(walk.using)
    for batch in keyset_instances(walk):
        pgbulk.update(queryset, batch, [walk.target.field], **options)
        walk.advance(len(batch))


@strategy(
    "pgbulk_update", "Keyset batches + django-pgbulk's pgbulk.update", family="library", cost="per_batch_orm",
    library=PGBULK, backends={POSTGRESQL}, needs=installed(PGBULK),
    why="""As django-pgbulk's README shows: pgbulk.update(queryset, batch, [field]) sorts the batch by key
    (fewer deadlocks), turns every value into its database form, and sends one UPDATE ... FROM (VALUES ...)
    whose first row carries the column types as casts, after checking every argument for an SQL expression.
    One statement, committed on its own, per batch.""",
)
def pgbulk_update(walk: Walk) -> None:
    _pgbulk_walk(walk)


@strategy(
    "pgbulk_update_ignore_unchanged", "Keyset batches + pgbulk.update(ignore_unchanged=True)", family="library",
    cost="per_batch_orm", library=PGBULK, backends={POSTGRESQL}, needs=installed(PGBULK),
    why="""The same call with ignore_unchanged=True, what a user writes so that a rerun writes nothing: the
    UPDATE gains IS DISTINCT FROM between the old and the new value, so rows that already hold theirs are
    not rewritten. Every measured run starts from a reset column, so there every row changes and the filter
    only adds its comparison.""",
)
def pgbulk_update_ignore_unchanged(walk: Walk) -> None:
    _pgbulk_walk(walk, ignore_unchanged=True)


@strategy(
    "chunkator_bulk_update", "django-chunkator's chunkator_page + bulk_update", family="library",
    cost="per_batch_orm", library=CHUNKATOR, backends={SQLITE, POSTGRESQL, MYSQL}, needs=installed(CHUNKATOR),
    why="""What django-chunkator's users write: chunkator_page(queryset, k) yields pages read with pk > last
    ORDER BY pk LIMIT k (no COUNT, no OFFSET), and each page goes to Django's bulk_update. The walk is the
    lab's keyset walk; the time is bulk_update's CASE WHEN expression, built and resolved per object, plus
    a model instance per row.""",
)
def chunkator_bulk_update(walk: Walk) -> None:
    chunkator = _library(CHUNKATOR)
    target = walk.target
    manager = target.model._default_manager.db_manager(walk.using)
    for page in chunkator.chunkator_page(target.queryset.using(walk.using), walk.batch_size):
        for obj in page:
            setattr(obj, target.field, target.value_of(obj))
        manager.bulk_update(page, [target.field])
        walk.advance(len(page))
