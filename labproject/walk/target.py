"""What a walk updates: a queryset, the fields it reads, the field it writes, and the calculation.

A :class:`Target` is all a walk needs to know about a table, so the same walk serves the lab's
``SomeModel`` and a reader's own model. Only the fields named in ``reads`` are fetched, which is
most of what keeps a walk fast and lean on a wide table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models.expressions import Expression

from labproject.errors import BadInput

# Key types a keyset walk can order by and compare with ``>``: one column, unique, totally ordered.
ORDERABLE_KEYS = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField", "SlugField",
    "UUIDField", "DateField", "DateTimeField",
}
INTEGER_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"}


@dataclass(frozen=True)
class Target:
    """A column to recompute for every row of a queryset.

    ``compute`` is called with the values of ``reads`` (in that order) and returns the new value of
    ``field``. ``sql`` optionally gives the same calculation as an SQL expression per backend vendor
    (``{"sqlite": "...", "postgresql": "..."}``), with ``{name}`` standing for each read column; it
    lets a walk be verified in SQL and gives the in-database floor. ``expression`` optionally returns
    the same calculation as a Django ORM expression (``F``, ``KT``, ``Cast``...), for the route a user
    takes without raw SQL: ``queryset.update(field=expression())``.
    """

    queryset: models.QuerySet
    field: str
    reads: tuple[str, ...]
    compute: Callable[..., Any]
    sql: Mapping[str, str] = field(default_factory=dict)
    name: str = ""
    expression: Callable[[], Expression] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.queryset, type) and issubclass(self.queryset, models.Model):
            object.__setattr__(self, "queryset", self.queryset._default_manager.all())
        if not isinstance(self.queryset, models.QuerySet):
            raise BadInput(f"a walk needs a model or a queryset, got {self.queryset!r}")
        object.__setattr__(self, "reads", tuple([self.reads] if isinstance(self.reads, str) else self.reads))
        if not self.reads:
            raise BadInput("a walk must read at least one field (reads=...)")
        if not callable(self.compute):
            raise BadInput(f"compute must be callable, got {self.compute!r}")
        if self.expression is not None and not callable(self.expression):
            raise BadInput(f"expression must be a callable returning an ORM expression, got {self.expression!r}")
        _ = self.key, self.written  # refuse a key or column the walk cannot use now, not mid-walk
        for name in self.reads:
            self._concrete(name, "read")
        if not self.name:
            object.__setattr__(self, "name", f"{self.model._meta.label_lower}.{self.field}")

    @property
    def model(self) -> type[models.Model]:
        return self.queryset.model

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @cached_property
    def key(self) -> models.Field:
        """Return the primary key field a keyset walk orders by, refusing keys it cannot walk."""
        meta = self.model._meta
        pk = meta.pk
        if pk is None:
            raise BadInput(f"{meta.label} has no primary key; a keyset walk needs one unique, orderable column")
        if isinstance(pk, models.CompositePrimaryKey):
            raise BadInput(
                f"{meta.label} has a composite primary key ({', '.join(f.name for f in pk.fields)}); a keyset walk "
                "needs a single-column key (walk a queryset of a model with one, or add a unique single-column pk)"
            )
        if pk.get_internal_type() not in ORDERABLE_KEYS:
            raise BadInput(f"{meta.label}'s primary key is a {pk.get_internal_type()}, which a keyset walk cannot "
                           f"order by; it walks {', '.join(sorted(ORDERABLE_KEYS))}")
        return pk

    @property
    def integer_key(self) -> bool:
        return self.key.get_internal_type() in INTEGER_KEYS

    @cached_property
    def written(self) -> models.Field:
        """Return the field the walk writes, refusing one it cannot write with an UPDATE."""
        found = self._concrete(self.field, "write")
        if found.primary_key:
            raise BadInput(f"{self.model._meta.label}.{self.field} is the primary key; a walk never rewrites keys")
        return found

    def read_fields(self) -> list[models.Field]:
        return [self.model._meta.get_field(name) for name in self.reads]

    def sql_for(self, vendor: str) -> str | None:
        """Return the SQL twin on ``vendor`` with the read columns quoted in, or None when there is none."""
        template = self.sql.get(vendor)
        if template is None:
            return None
        from django.db import connections

        quote = connections[self.queryset.db].ops.quote_name
        return template.format(**{f.name: quote(f.column) for f in self.read_fields()})

    def value_of(self, obj: models.Model) -> Any:
        """Return the new value for one model instance (what the article's ``some_calculation(obj)`` is)."""
        return self.compute(*(getattr(obj, name) for name in self.reads))

    def _concrete(self, name: str, what: str) -> models.Field:
        try:
            found = self.model._meta.get_field(name)
        except Exception:  # FieldDoesNotExist
            known = ", ".join(f.name for f in self.model._meta.concrete_fields)
            raise BadInput(f"{self.model._meta.label} has no field {name!r} to {what}; its columns: {known}") from None
        if not getattr(found, "concrete", False) or found.many_to_many or found.one_to_many:
            raise BadInput(f"{self.model._meta.label}.{name} is not a concrete column, so a walk cannot {what} it")
        return found


def target_of(model_or_queryset: Any, compute: Callable[..., Any], *, field: str, reads: Sequence[str] | str,
              sql: Mapping[str, str] | None = None, name: str = "",
              expression: Callable[[], Expression] | None = None) -> Target:
    """Return a validated :class:`Target` (one line of :class:`BadInput` for what cannot be walked)."""
    return Target(model_or_queryset, field, tuple([reads] if isinstance(reads, str) else reads), compute,
                  dict(sql or {}), name, expression)
