"""The PostgreSQL batch write: a key-range array where keys are dense, unnest where sparse or NULL, gaps left alone."""

import psycopg
import pytest
from django.db import connections

from labproject.database import database_config
from labproject.iteration.targets import get_target
from labproject.walk.writing import Writer

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_lab):
    """A writer for the test's PostgreSQL database (a Django connection for its SQL) and a driver cursor there."""
    pg_lab.manage("seed_rows", "--rows", "20", check=True)
    both = connections.configure_settings({"default": {}, "pg_writes": database_config(pg_lab.env["DATABASE_URL"])})
    connections.settings["pg_writes"] = both["pg_writes"]
    with psycopg.connect(pg_lab.env["DATABASE_URL"], autocommit=True) as raw, raw.cursor() as cursor:
        yield connections["pg_writes"], cursor
    del connections.settings["pg_writes"]


@pytest.mark.parametrize(
    ("pks", "values"),
    [
        ([2, 3, 4, 5], [20, 30, 40, 50]),  # dense: one array over the range
        ([2, 3, 5], [20, 30, 50]),  # a gap at 4: the array holds NULL there
        ([1, 20], [10, 200]),  # sparse: joined with unnest
    ],
)
def test_a_batch_sets_its_rows_and_leaves_the_others(pg, pks, values):
    connection, cursor = pg
    cursor.execute("UPDATE iteration_somemodel SET field = NULL")
    assert Writer(get_target("lab"), connection).postgresql_batch(cursor, values, pks) == len(pks)
    cursor.execute("SELECT id, field FROM iteration_somemodel WHERE field IS NOT NULL ORDER BY id")
    assert cursor.fetchall() == list(zip(pks, values, strict=True))


def test_only_changed_writes_skip_equal_rows_and_write_null_as_a_value(pg):
    connection, cursor = pg
    writer = Writer(get_target("lab"), connection, only_changed=True)
    cursor.execute("UPDATE iteration_somemodel SET field = id * 10")
    assert writer.postgresql_batch(cursor, [20, 31, 40], [2, 3, 4]) == 1  # only pk 3 differs
    assert writer.postgresql_batch(cursor, [None, 50], [4, 5]) == 1  # a NULL goes through unnest, and counts
    cursor.execute("SELECT id, field FROM iteration_somemodel WHERE id BETWEEN 2 AND 5 ORDER BY id")
    assert cursor.fetchall() == [(2, 20), (3, 31), (4, None), (5, 50)]
