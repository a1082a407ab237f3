"""Seeding against a real SQLite file: row counts, payload sizes, the calculation's twin, the no-op."""

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL

from labproject.iteration.calculation import calculation_sql, some_calculation
from labproject.iteration.models import SeedRecord, SomeModel
from labproject.iteration.seeding import seed_table
from seed import PayloadSpec

pytestmark = pytest.mark.django_db(transaction=True)


def test_seeding_gives_the_asked_rows_and_payload_size():
    outcome = seed_table(PayloadSpec(rows=3000, payload_bytes=500), progress=False)
    assert not outcome.skipped
    assert SomeModel.objects.count() == 3000
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(LENGTH(data)), MAX(LENGTH(data)), COUNT(field) FROM iteration_somemodel")
        shortest, longest, filled = cursor.fetchone()
    assert 450 <= shortest <= longest <= 550
    assert filled == 0


def test_python_and_sql_calculations_agree_on_every_row():
    seed_table(PayloadSpec(rows=2000, seed=11), progress=False)
    rows = SomeModel.objects.annotate(in_sql=RawSQL(calculation_sql(connection.vendor), ())).iterator()
    checked = [(some_calculation(obj), obj.in_sql) for obj in rows]
    assert len(checked) == 2000
    assert all(a == b for a, b in checked)


def test_reseeding_the_same_shape_is_a_no_op_and_another_shape_replaces_it():
    first = seed_table(PayloadSpec(rows=1000, seed=2), progress=False)
    stamp = SeedRecord.objects.get().loaded_at
    again = seed_table(PayloadSpec(rows=1000, seed=2), progress=False)
    assert again.skipped and "already seeded" in again.message()
    assert SeedRecord.objects.get().loaded_at == stamp
    other = seed_table(PayloadSpec(rows=1500, seed=2), progress=False)
    assert not first.skipped and not other.skipped
    assert SomeModel.objects.count() == 1500 and SeedRecord.objects.get().rows == 1500
