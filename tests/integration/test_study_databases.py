"""The studies reach another database through `manage.py compare`: verified runs back, or one line saying why not."""

import pytest

from labproject.studies import databases

IBU = ["iterator_bulk_update"]


@pytest.mark.postgres
def test_runs_on_postgresql_come_back_verified_with_and_without_server_side_cursors(pg_url, lab, monkeypatch):
    monkeypatch.setenv("LAB_RESULTS_DIR", lab.env["LAB_RESULTS_DIR"])
    target = databases.Database("postgresql", pg_url)
    measured, why = databases.run_each(target, [(IBU, {}), (IBU, {"server_side_cursors": False})], rows=2000,
                                       batch_size=500, label="study-db")
    assert why == ""
    assert [(r.backend, r.status, r.rows_verified, r.spec.server_side_cursors) for r in measured.results] == [
        ("postgresql", "ok", 2000, True), ("postgresql", "ok", 2000, False)]


def test_a_missing_database_is_a_reason_not_a_crash():
    target = databases.Database("postgresql", None, "no server binaries")
    assert databases.run_each(target, [(IBU, {})], rows=100, label="x") == (None, "no server binaries")
    assert databases.release(target) == "no server was started here"


def test_an_unreachable_server_is_one_line_without_its_password(lab, monkeypatch):
    monkeypatch.setenv("LAB_RESULTS_DIR", lab.env["LAB_RESULTS_DIR"])
    target = databases.Database("postgresql", "postgres://lab:s3cret-pw@127.0.0.1:9/lab")
    measured, why = databases.run_each(target, [(IBU, {})], rows=100, label="x")
    assert measured is None
    assert why.startswith("postgresql: ") and "s3cret-pw" not in why and "\n" not in why
