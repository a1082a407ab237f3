"""Write one batch of ``(value, key)`` pairs to a target's column: the statements each backend does best.

Every statement is parameterised; table and column names come from the model, quoted by the
backend, never from input. With ``only_changed`` a row is written only when its value differs
(SQLite ``IS NOT``, PostgreSQL ``IS DISTINCT FROM``, MariaDB ``NOT <=>``): a rerun on a finished
table writes nothing, and a NULL compares as a value. Each writer returns the rows it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from labproject.errors import NotApplicable
from labproject.walk.target import Target

Pairs = Sequence[tuple[Any, Any]]
# The most rows one VALUES statement may carry: two parameters a row under SQLite's 32766-variable
# limit (3.32+) and PostgreSQL's 65535-parameter protocol limit; MySQL's driver inlines parameters,
# so there the bound is a statement well under the default 16 MiB max_allowed_packet.
VALUES_ROW_LIMIT = {"sqlite": 16_383, "postgresql": 32_767, "mysql": 100_000}
# A batch whose integer keys span more than this many times its rows is joined (PostgreSQL: unnest,
# MariaDB: JSON_TABLE) instead of indexed by key.
SPARSE = 4
# Field types whose Python values the drivers bind as they are: preparing them per row would only cost time.
_PLAIN = {"IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
          "PositiveSmallIntegerField", "FloatField", "CharField", "TextField", "BooleanField", "SlugField",
          "AutoField", "BigAutoField", "SmallAutoField"}
_DIFFERS = {"sqlite": "{a} IS NOT {b}", "postgresql": "{a} IS DISTINCT FROM {b}", "mysql": "NOT ({a} <=> {b})"}


class Writer:
    """The statements that write a target's column on one connection."""

    def __init__(self, target: Target, connection, *, only_changed: bool = False) -> None:
        self.target = target
        self.connection = connection
        self.vendor = connection.vendor
        self.only_changed = only_changed
        quote = connection.ops.quote_name
        self.table, self.column, self.key = quote(target.table), quote(target.written.column), quote(target.key.column)
        field = target.written
        self.prepare: Callable[[Any], Any] | None = None
        if field.get_internal_type() not in _PLAIN:
            self.prepare = lambda value, f=field, c=connection: f.get_db_prep_save(value, c)
        self.value_type = field.cast_db_type(connection)
        self.key_type = target.key.cast_db_type(connection)

    def differs(self, a: str, b: str) -> str:
        return _DIFFERS[self.vendor].format(a=a, b=b)

    def values(self, pairs: Pairs) -> list:
        """Return the batch's values as the driver binds them."""
        values = [value for value, _ in pairs]
        return values if self.prepare is None else [self.prepare(v) for v in values]

    def executemany(self, cursor, pairs: Pairs) -> int:
        """One prepared ``UPDATE ... WHERE key = %s`` executed for every row of the batch."""
        sql = f"UPDATE {self.table} SET {self.column} = %s WHERE {self.key} = %s"
        if self.prepare is None and not self.only_changed:
            rows = pairs  # already (value, key): bound as they are
        else:
            values, keys = self.values(pairs), [key for _, key in pairs]
            if self.only_changed:
                sql += f" AND {self.differs(self.column, '%s')}"
                rows = list(zip(values, keys, values, strict=True))
            else:
                rows = list(zip(values, keys, strict=True))
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)

    def from_values(self, cursor, pairs: Pairs) -> int:
        """One ``UPDATE ... FROM (VALUES ...)`` joining the table to the batch's ``(value, key)`` rows."""
        if self.vendor not in VALUES_ROW_LIMIT:
            raise NotApplicable(f"UPDATE ... FROM (VALUES ...) is written for {', '.join(VALUES_ROW_LIMIT)}, "
                                f"not {self.vendor}")
        params = [item for pair in zip(self.values(pairs), (k for _, k in pairs), strict=True) for item in pair]
        if self.vendor == "postgresql":
            rows = ", ".join([f"(%s::{self.value_type}, %s::{self.key_type})"] * len(pairs))
            sql = (f"UPDATE {self.table} AS t SET {self.column} = v.val FROM (VALUES {rows}) AS v(val, id) "
                   f"WHERE t.{self.key} = v.id")
            if self.only_changed:
                sql += f" AND {self.differs('t.' + self.column, 'v.val')}"
        elif self.vendor == "mysql":
            # No UPDATE ... FROM there: the table joins a table value constructor, which names its columns
            # after its first row and takes no column list, so the first row is a SELECT naming them.
            rest = f" UNION ALL VALUES {', '.join(['(%s, %s)'] * (len(pairs) - 1))}" if len(pairs) > 1 else ""
            sql = (f"UPDATE {self.table} AS t JOIN (SELECT %s AS val, %s AS id{rest}) AS v ON t.{self.key} = v.id "
                   f"SET t.{self.column} = v.val")
            if self.only_changed:
                sql += f" WHERE {self.differs('t.' + self.column, 'v.val')}"
        else:  # SQLite names VALUES columns column1, column2 and takes no column list on the alias
            rows = ", ".join(["(%s, %s)"] * len(pairs))
            sql = (f"UPDATE {self.table} SET {self.column} = v.column1 FROM (VALUES {rows}) AS v "
                   f"WHERE {self.table}.{self.key} = v.column2")
            if self.only_changed:
                sql += f" AND {self.differs(self.table + '.' + self.column, 'v.column1')}"
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)

    def batch(self, cursor, pairs: Pairs) -> int:
        """Write one batch of ``(value, key)`` pairs, keys ascending, with the backend's one-statement form."""
        values, keys = [value for value, _ in pairs], [key for _, key in pairs]
        if self.vendor == "postgresql":
            return self.postgresql_batch(cursor, values, keys)
        if self.vendor == "mysql":
            return self.mysql_batch(cursor, values, keys)
        raise NotApplicable(f"one-statement batches are written for postgresql and mysql, not {self.vendor}")

    def postgresql_batch(self, cursor, values: Sequence[Any], keys: Sequence[Any]) -> int:
        """Write one PostgreSQL batch (keys ascending) with one statement, the cheapest way its keys allow.

        Integer keys that fill most of their range go as one array indexed by ``key - first``, so the
        UPDATE walks that key range in index order instead of probing the index once per row as a
        join with ``unnest`` does (the ``pipelined_unnest`` experiment measures the difference). Rows
        of the range the batch does not hold (inserted since it was read) get NULL from the array and
        are left alone, so a batch with a NULL value of its own, or sparse keys, is joined with ``unnest``.
        """
        values = list(values) if self.prepare is None else [self.prepare(v) for v in values]
        by_key = self.by_key(values, keys)
        if by_key is None:
            return self.unnest(cursor, values, keys)
        first, last = keys[0], keys[-1]
        picked = f"(%(values)s::{self.value_type}[])[{self.key} - %(after)s]"
        sql = (f"UPDATE {self.table} SET {self.column} = {picked} "
               f"WHERE {self.key} > %(after)s AND {self.key} <= %(last)s AND {picked} IS NOT NULL")
        if self.only_changed:
            sql += f" AND {self.differs(self.column, picked)}"
        cursor.execute(sql, {"values": by_key, "after": first - 1, "last": last})
        return max(cursor.rowcount, 0)

    def by_key(self, values: list[Any], keys: Sequence[Any]) -> list[Any] | None:
        """Return ``values`` placed at ``key - first`` over the batch's key range, or None when that does not pay.

        It pays for integer keys that fill most of their range and no NULL value of the batch's own
        (NULL marks the range's rows the batch does not hold, which the statement leaves alone).
        """
        first, last = keys[0], keys[-1]
        span = last - first + 1 if self.target.integer_key else None
        if span is None or span > SPARSE * len(keys) or None in values:
            return None
        if span == len(keys):
            return values
        by_key = [None] * span
        for value, key in zip(values, keys, strict=True):
            by_key[key - first] = value
        return by_key

    def unnest(self, cursor, values: Sequence[Any], keys: Sequence[Any]) -> int:
        """Write a PostgreSQL batch as a join with ``unnest(values, keys)``: one index probe per row."""
        sql = (f"UPDATE {self.table} AS t SET {self.column} = v.val FROM unnest(%s::{self.value_type}[], "
               f"%s::{self.key_type}[]) AS v(val, id) WHERE t.{self.key} = v.id")
        if self.only_changed:
            sql += f" AND {self.differs('t.' + self.column, 'v.val')}"
        cursor.execute(sql, (list(values), list(keys)))
        return max(cursor.rowcount, 0)

    def mysql_batch(self, cursor, values: Sequence[Any], keys: Sequence[Any]) -> int:
        """Write one MariaDB/MySQL batch (keys ascending) with one statement, the cheapest way its keys allow.

        Integer keys that fill most of their range set ``ELT(key - first, v1, v2, ...)`` over that range,
        which InnoDB walks in key order, as PostgreSQL's array form does; rows of the range the batch does
        not hold get NULL from ELT and are left alone, so a batch with a NULL value of its own, or sparse
        keys, joins ``JSON_TABLE`` instead. Measured at 200k rows, 1000-row batches (write time only):
        executemany ~22 s, a VALUES join 5.5 s, ``CASE key WHEN`` 5.0 s, JSON_TABLE 3.7 s, ELT 3.4 s.
        """
        values = list(values) if self.prepare is None else [self.prepare(v) for v in values]
        by_key = self.by_key(values, keys)
        if by_key is None:
            return self.json_table(cursor, values, keys)
        first, last = keys[0], keys[-1]
        picked = f"ELT({self.key} - %s, {', '.join(['%s'] * len(by_key))})"
        sql = (f"UPDATE {self.table} SET {self.column} = {picked} "
               f"WHERE {self.key} > %s AND {self.key} <= %s AND {picked} IS NOT NULL")
        params = [first - 1, *by_key, first - 1, last, first - 1, *by_key]
        if self.only_changed:
            sql += f" AND {self.differs(self.column, picked)}"
            params += [first - 1, *by_key]
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)

    def json_table(self, cursor, values: Sequence[Any], keys: Sequence[Any]) -> int:
        """Write a MariaDB/MySQL batch as a join with ``JSON_TABLE`` over one JSON list of ``[value, key]`` pairs."""
        connection = self.connection
        value_type = self.target.written.db_type(connection)
        key_type = self.target.key.rel_db_type(connection)  # the key's type without AUTO_INCREMENT
        sql = (f"UPDATE {self.table} AS t JOIN JSON_TABLE(%s, '$[*]' COLUMNS (val {value_type} PATH '$[0]', "
               f"id {key_type} PATH '$[1]')) AS v ON t.{self.key} = v.id SET t.{self.column} = v.val")
        if self.only_changed:
            sql += f" WHERE {self.differs('t.' + self.column, 'v.val')}"
        document = orjson.dumps([[value, key] for value, key in zip(values, keys, strict=True)], default=str)
        cursor.execute(sql, (document,))
        return max(cursor.rowcount, 0)
