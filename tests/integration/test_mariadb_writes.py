"""The MariaDB batch writes: ELT over a dense key range, JSON_TABLE where sparse or NULL, gaps left alone."""

import pytest
from django.db import connections

from labproject.database import database_config
from labproject.iteration.targets import get_target
from labproject.walk.writing import Writer

pytestmark = pytest.mark.mariadb


@pytest.fixture
def maria(mariadb_lab, django_db_blocker):
    """A Django connection to the test's MariaDB database (autocommit, matched rows counted) and a cursor on it."""
    mariadb_lab.manage("seed_rows", "--rows", "20", check=True)
    both = connections.configure_settings({"default": {}, "maria_writes": database_config(
        mariadb_lab.env["DATABASE_URL"])})
    connections.settings["maria_writes"] = both["maria_writes"]
    connection = connections["maria_writes"]
    with django_db_blocker.unblock():  # this database is the test's own, not pytest-django's
        try:
            with connection.cursor() as cursor:
                yield connection, cursor
        finally:
            connection.close()
            del connections.settings["maria_writes"]


def written(cursor) -> list[tuple]:
    cursor.execute("SELECT id, field FROM iteration_somemodel WHERE field IS NOT NULL ORDER BY id")
    return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.parametrize(
    ("pks", "values"),
    [
        ([2, 3, 4, 5], [20, 30, 40, 50]),  # dense: ELT over the range
        ([2, 3, 5], [20, 30, 50]),  # a gap at 4: ELT gives NULL there, and the row is not touched
        ([1, 20], [10, 200]),  # sparse: joined with JSON_TABLE
        ([7, 8], [-(2**31), 2**31 - 1]),  # the integer column's ends survive ELT's text
    ],
)
def test_a_batch_sets_its_rows_and_leaves_the_others(maria, pks, values):
    connection, cursor = maria
    cursor.execute("UPDATE iteration_somemodel SET field = NULL")
    assert Writer(get_target("lab"), connection).mysql_batch(cursor, values, pks) == len(pks)  # rows matched
    assert written(cursor) == list(zip(pks, values, strict=True))


def test_only_changed_writes_skip_equal_rows_and_write_null_as_a_value(maria):
    connection, cursor = maria
    writer = Writer(get_target("lab"), connection, only_changed=True)
    cursor.execute("UPDATE iteration_somemodel SET field = id * 10")
    assert writer.mysql_batch(cursor, [20, 31, 40], [2, 3, 4]) == 1  # only pk 3 differs
    assert writer.mysql_batch(cursor, [None, 50], [4, 5]) == 1  # a NULL goes through JSON_TABLE, and counts
    assert writer.json_table(cursor, [60, 71], [6, 7]) == 1
    cursor.execute("SELECT id, field FROM iteration_somemodel WHERE id BETWEEN 2 AND 7 ORDER BY id")
    assert [tuple(row) for row in cursor.fetchall()] == [(2, 20), (3, 31), (4, None), (5, 50), (6, 60), (7, 71)]


def test_the_values_join_writes_a_batch_and_only_what_changed(maria):
    connection, cursor = maria
    cursor.execute("UPDATE iteration_somemodel SET field = NULL")
    assert Writer(get_target("lab"), connection).from_values(cursor, [(11, 1), (33, 3)]) == 2
    assert Writer(get_target("lab"), connection).from_values(cursor, [(99, 9)]) == 1  # one row: the SELECT alone
    assert Writer(get_target("lab"), connection, only_changed=True).from_values(cursor, [(11, 1), (34, 3)]) == 1
    assert written(cursor) == [(1, 11), (3, 34), (9, 99)]
