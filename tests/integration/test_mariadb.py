"""The workbench on a real MariaDB server: every strategy verified or refused, LOAD DATA seeding, buffering, secrets."""

import json
import subprocess
import sys

import pytest

from labproject import strategies
from labproject.iteration.calculation import calculate, calculation_sql
from seed import PayloadSpec, generate_rows
from tests.conftest import ROOT, one_line_error
from tests.server_fixtures import mysql_query

pytestmark = pytest.mark.mariadb
MIB = 2**20
ARTICLE = ["queryset_loop", "iterator_save", "iterator_bulk_update", "paginator_save", "paginator_bulk_update"]


def mysql_strategies(*, experiments: bool = True) -> list[str]:
    return [s.name for s in strategies.all_strategies(experiments=experiments) if "mysql" in s.backends]


def test_the_article_five_and_the_floor_are_verified_on_mariadb(mariadb_lab):
    runs = mariadb_lab.compare("--strategies", ",".join([*ARTICLE, "sql_update"]), "--rows", "2000")
    assert [(r["strategy"], r["status"], r["rows_verified"], r["rows_wrong"], r["spec"]["backend"]) for r in runs] == [
        (name, "ok", 2000, 0, "mysql") for name in [*ARTICLE, "sql_update"]]
    database = runs[0]["environment"]["database"]
    assert "MariaDB" in database["version"] and database["driver"].startswith("mysqlclient ")
    assert int(database["innodb_flush_log_at_trx_commit"]) in (0, 1, 2)
    assert int(database["innodb_buffer_pool_size"]) >= 2**20 and int(database["max_allowed_packet"]) >= 2**20
    assert int(database["innodb_lock_wait_timeout"]) == int(mariadb_lab.env.get("LAB_BUSY_TIMEOUT", 30))
    assert database["server_side_cursors"] is False and runs[0]["spec"]["server_side_cursors"] is False


def test_every_other_strategy_runs_verified_on_mariadb(mariadb_lab):
    names = [n for n in mysql_strategies() if n not in ARTICLE and not n.startswith("test_")]
    assert {"unbuffered_stream", "pipelined", "keyset_executemany", "keyset_update_from_values"} <= set(names)
    runs = mariadb_lab.compare("--strategies", ",".join(names), "--rows", "3000", "--batch-size", "700")
    for run in runs:
        assert (run["strategy"], run["status"], run["rows_verified"], run["rows_wrong"]) == (
            run["strategy"], "ok", 3000, 0), run["error"]
    assert [r["strategy"] for r in runs] == names


def test_a_strategy_without_mariadb_support_is_refused_in_one_line_naming_its_backends(mariadb_lab):
    others = [s for s in strategies.all_strategies() if "mysql" not in s.backends]
    assert {"server_side_cursor", "partitioned", "pipelined_thread"} <= {s.name for s in others}
    for chosen in others:
        line = one_line_error(mariadb_lab.manage("compare", "--strategies", chosen.name, "--rows", "100"))
        assert line == (f"CommandError: strategy '{chosen.name}' does not apply to mysql; "
                        f"it runs on {', '.join(sorted(chosen.backends))}")


def test_load_data_seeding_gives_the_same_rows_as_sqlite(lab, mariadb_url):
    spec = PayloadSpec(rows=3000, payload_bytes=400, seed=5)
    args = ("seed_rows", "--rows", "3000", "--payload-bytes", "400", "--seed", "5", "--no-progress")
    lab.manage(*args, check=True)
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], capture_output=True, text=True,
                          env={**lab.env, "DATABASE_URL": mariadb_url}, timeout=120, check=True)
    assert "seeded 3,000 rows x 400 B payload, seed 5" in done.stdout
    expected = list(generate_rows(spec))
    twin = calculation_sql("mysql")
    stored = mysql_query(mariadb_url, f"SELECT id, data, {twin} FROM iteration_somemodel ORDER BY id")
    assert [(pk, text) for pk, text, _ in stored] == expected  # LONGTEXT keeps the generator's bytes
    assert [value for _, _, value in stored] == [calculate(json.loads(text)) for _, text in expected]
    # Explicit ids moved InnoDB's auto-increment past them.
    mysql_query(mariadb_url, "INSERT INTO iteration_somemodel (data) VALUES ('{}')")
    assert mysql_query(mariadb_url, "SELECT MAX(id) FROM iteration_somemodel") == [(3001,)]


def test_a_payload_the_server_rejects_fails_the_seed_instead_of_going_missing(mariadb_url):
    """LOAD DATA LOCAL turns rejected rows into warnings; the loader counts them and refuses the load."""
    code = ("import django, os; django.setup()\n"
            "from django.db import connection, transaction\n"
            "from labproject.iteration.loaders import load_mysql\n"
            "with transaction.atomic():\n"
            "    load_mysql(connection, 'iteration_somemodel', ('id', 'data'),\n"
            "               [(1, '{\"ok\": 1}'), (2, 'not json')])\n")
    env = {"DATABASE_URL": mariadb_url, "DJANGO_SETTINGS_MODULE": "labproject.settings", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "took 1 of 2 rows" in done.stderr
    assert mysql_query(mariadb_url, "SELECT COUNT(*) FROM iteration_somemodel") == [(0,)]


def test_iterator_save_buffers_the_whole_result_on_mariadb_where_the_unbuffered_stream_stays_flat(mariadb_lab):
    """mysqlclient stores every result before the first row: iterator()'s peak grows with the table."""
    peaks = {}
    for rows in (1500, 6000):
        for run in mariadb_lab.compare("--strategies", "iterator_save,unbuffered_stream", "--rows", str(rows),
                                       "--payload-bytes", "4000"):
            assert run["status"] == "ok", run["error"]
            peaks[run["strategy"], rows] = (run["peak_rss_bytes"] - run["baseline_rss_bytes"]) / MIB

    def growth(name: str) -> float:
        return peaks[name, 6000] - peaks[name, 1500]

    assert growth("iterator_save") > 12, peaks  # 4,500 more rows of 4 kB, held at once
    assert growth("unbuffered_stream") < 3, peaks
    assert peaks["iterator_save", 6000] > 4 * max(peaks["unbuffered_stream", 6000], 1), peaks


def test_the_password_reaches_no_result_output_or_error_on_mariadb(mariadb_lab):
    secret = mariadb_lab.env["DATABASE_URL"].split("@", 1)[0].rsplit(":", 1)[1]
    done = mariadb_lab.manage("compare", "--strategies", "keyset_executemany,test_raises", "--rows", "1000", "--json")
    assert [r["status"] for r in json.loads(done.stdout)] == ["ok", "error"]
    texts = [done.stdout, done.stderr] + [p.read_text() for p in (mariadb_lab.root / "results").glob("*/*.json")]
    assert len(texts) == 4 and not [text for text in texts if secret in text]
