"""The PostgreSQL batch write: a pk-range array where pks are dense, unnest where sparse, gaps left alone."""

import psycopg
import pytest

from labproject.strategies._batches import write_postgresql_batch

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    ("pks", "values"),
    [
        ([2, 3, 4, 5], [20, 30, 40, 50]),  # dense: one array over the range
        ([2, 3, 5], [20, 30, 50]),  # a gap at 4: the array holds NULL there
        ([1, 20], [10, 200]),  # sparse: joined with unnest
    ],
)
def test_a_batch_sets_its_rows_and_leaves_the_others(pg_lab, pks, values):
    pg_lab.manage("seed_rows", "--rows", "20", check=True)
    with psycopg.connect(pg_lab.env["DATABASE_URL"], autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("UPDATE iteration_somemodel SET field = NULL")
        write_postgresql_batch(cursor, values, pks)
        cursor.execute("SELECT id, field FROM iteration_somemodel WHERE field IS NOT NULL ORDER BY id")
        assert cursor.fetchall() == list(zip(pks, values, strict=True))
