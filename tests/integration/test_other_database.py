"""A kernel on one database measures another: the workers and the seeding get the URL, this process does not."""

import json

import pytest

from labproject.engine import measure


def run_elsewhere(url: str, tmp_path, settings) -> list:
    settings.RESULTS_DIR = tmp_path / "results"
    plan = measure.specs(["keyset_executemany", "sql_update"], rows=1500, database_url=url)
    return measure.run(plan, database_url=url).results


def test_runs_land_on_the_database_the_url_names(tmp_path, settings):
    other = tmp_path / "other.sqlite3"
    results = run_elsewhere(f"sqlite:///{other}", tmp_path, settings)
    assert [(r.status, r.rows_verified) for r in results] == [("ok", 1500), ("ok", 1500)]
    assert all(r.environment.database.where == f"sqlite file {other}" for r in results)


@pytest.mark.postgres
def test_a_sqlite_kernel_measures_postgresql(pg_url, tmp_path, settings):
    results = run_elsewhere(pg_url, tmp_path, settings)
    assert [(r.backend, r.status, r.rows_verified) for r in results] == [("postgresql", "ok", 1500)] * 2
    password = pg_url.split("@")[0].rsplit(":", 1)[1]
    assert password not in json.dumps([r.to_dict() for r in results])
