"""Notebook 02's cursor experiment on real MariaDB and through a real PgBouncer: verified runs, findings from them."""

import uuid

import pytest

from labproject.analysis.verdicts import CONFIRMED, NOT_MEASURED
from labproject.studies import databases, setups

ROWS = 3000


def check(database, lab, monkeypatch):
    monkeypatch.setenv("LAB_RESULTS_DIR", lab.env["LAB_RESULTS_DIR"])
    [(finding, runs)] = setups.cursor_setups([database], rows=ROWS, batch_size=500, label="study-setups")
    assert {(r.status, r.rows_verified) for r in runs.results} == {("ok", ROWS)}
    assert finding.verdict != NOT_MEASURED, finding.sentence()
    assert f"{ROWS:,} rows" in finding.experiment
    return finding, runs


@pytest.mark.mariadb
def test_mariadb_buffers_what_unbuffered_stream_reads_in_pieces(mariadb_url, lab, monkeypatch):
    finding, runs = check(databases.Database("mysql", mariadb_url), lab, monkeypatch)
    assert {r.backend for r in runs.results} == {"mysql"}
    assert set(runs.runs["setup"]) == {"mysql"}
    assert "On mysql, iterator_save" in finding.hypothesis and "unbuffered_stream" in finding.effect


@pytest.mark.postgres
def test_runs_through_the_pooler_are_kept_apart_from_direct_ones(pg_server, pgbouncer_server, lab, monkeypatch):
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.create_database(name)
    pooled = databases.Database("postgresql", pgbouncer_server.url(name), pooler=databases.POOLER)
    finding, runs = check(pooled, lab, monkeypatch)
    assert set(runs.runs["setup"]) == {"postgresql+transaction"}
    assert set(runs.runs["pooler"]) == {"transaction"}
    buffered = runs.where(strategy="iterator_save").results
    assert [r.spec.server_side_cursors for r in buffered] == [False]
    assert "postgresql+transaction" in finding.sentence()


def test_a_setup_without_its_server_says_why():
    [(finding, runs)] = setups.cursor_setups([databases.Database("mysql", None, "mariadb='off'")], rows=100,
                                             label="x")
    assert runs is None and finding.verdict == NOT_MEASURED and "mariadb='off'" in finding.effect
    assert CONFIRMED not in finding.sentence()


@pytest.mark.mariadb
def test_the_cap_grid_runs_on_mariadb_and_says_where_each_strategy_got(mariadb_url, lab, monkeypatch):
    monkeypatch.setenv("LAB_RESULTS_DIR", lab.env["LAB_RESULTS_DIR"])
    maria = databases.Database("mysql", mariadb_url)
    runs, why_not = setups.under_cap(maria, [1000, 2000], memory_cap_mb=2048, label="study-cap", batch_size=500)
    assert why_not == ""
    assert sorted((r.strategy, r.rows, r.status) for r in runs.results) == [
        (s, n, "ok") for s in ("iterator_save", "unbuffered_stream") for n in (1000, 2000)]
    lines = setups.cap_lines(maria.setup, runs.runs, why_not, 2048).splitlines()
    assert len(lines) == 2 and all(line.startswith("mysql: ") and "2,000" in line for line in lines)
    assert setups.cap_lines("mysql", None, "mariadb='off'", 2048) == "mysql: not measured under the cap: mariadb='off'"
