"""The strategies beyond the five: verified by the engine, honest about concurrent changes, bounded batches."""

import sqlite3

import pytest
from django.db import connection

from labproject import strategies
from labproject.iteration.calculation import calculation_sql
from labproject.iteration.models import SomeModel
from labproject.iteration.seeding import seed_table
from labproject.iteration.targets import get_target
from labproject.walk import Walk
from seed import PayloadSpec
from tests.conftest import one_line_error

BEYOND = ["keyset_bulk_update", "keyset_executemany", "keyset_update_from_values", "sql_update", "sql_update_batched"]


def test_every_strategy_beyond_the_five_is_verified(lab):
    runs = lab.compare("--strategies", ",".join(BEYOND), "--rows", "3000", "--batch-size", "700")
    assert [(r["strategy"], r["status"], r["rows_verified"], r["rows_wrong"]) for r in runs] == [
        (name, "ok", 3000, 0) for name in BEYOND
    ]


def test_the_registry_lists_every_strategy_with_its_description(lab):
    listing = lab.manage("run_strategy", "--list", check=True).stdout
    for name in ["queryset_loop", "iterator_save", "iterator_bulk_update", "paginator_save", "paginator_bulk_update",
                 *BEYOND, "server_side_cursor"]:
        assert name in listing
    assert "OFFSET" in listing and "floor" in listing


def test_a_postgresql_only_strategy_is_refused_on_sqlite_with_one_line(lab):
    line = one_line_error(lab.manage("compare", "--strategies", "server_side_cursor", "--rows", "100"))
    assert line.endswith("does not apply to sqlite; it runs on postgresql")


def test_a_batch_above_the_parameter_limit_is_refused_before_any_query(lab):
    line = one_line_error(lab.manage("compare", "--strategies", "keyset_update_from_values", "--rows", "100",
                                     "--batch-size", "20000"))
    assert "above what keyset_update_from_values can send to sqlite in one statement (16383)" in line
    assert not (lab.root / "lab.sqlite3").exists() or lab.count() == 0


class Meddler:
    """A progress hook that, after the first batches, changes the table through a second connection."""

    def __init__(self, path: str, after: int) -> None:
        self.path, self.after, self.done = path, after, False

    def __call__(self, walk: Walk) -> None:
        if walk.rows_done >= self.after and not self.done:
            self.done = True
            with sqlite3.connect(self.path) as other:
                # Delete five rows already walked and five ahead; insert one row behind and one far ahead.
                other.execute("DELETE FROM iteration_somemodel WHERE id IN (1, 2, 3, 4, 5, 901, 902, 903, 904, 905)")
                other.execute("INSERT INTO iteration_somemodel (id, data) VALUES (6, ?), (5000, ?)",
                              ('{"metrics": {"score": 1, "tags": ["a"]}}',) * 2)


def walk_while_meddling(name: str) -> dict:
    seed_table(PayloadSpec(rows=2000, seed=9), progress=False, force=True)
    SomeModel.objects.filter(pk=6).delete()  # a gap the meddler will fill behind the walk
    SomeModel.objects.update(field=None)
    meddler = Meddler(connection.settings_dict["NAME"], after=500)
    walk = Walk(get_target("lab"), 250, on_progress=meddler)
    strategies.get(name).run(walk)
    with connection.cursor() as cursor:
        twin = calculation_sql("sqlite")
        cursor.execute(f"SELECT id FROM iteration_somemodel WHERE field IS NULL OR field != {twin}")
        missed = {row[0] for row in cursor.fetchall()}
    return {"missed": missed, "rows_done": walk.rows_done, "rows": SomeModel.objects.count()}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["keyset_bulk_update", "keyset_executemany", "keyset_update_from_values"])
def test_keyset_walks_miss_rows_inserted_behind_them_and_never_skip_or_repeat(name):
    outcome = walk_while_meddling(name)
    assert outcome["missed"] == {6}, "only the row inserted behind the walk is left; pk 5000 ahead is visited"
    assert outcome["rows_done"] == 2000 - 1 - 5 + 1  # seeded minus the gap, minus deleted ahead, plus one ahead


@pytest.mark.django_db(transaction=True)
def test_paginator_offsets_drift_when_earlier_rows_are_deleted():
    outcome = walk_while_meddling("paginator_bulk_update")
    # Pages 1-2 walked pks 1..501. Deleting five of them and inserting pk 6 behind moves every later row
    # four positions earlier, so page 3 (OFFSET 500) starts at pk 506: pks 502-505 are never visited.
    assert outcome["missed"] == {6, 502, 503, 504, 505}
