"""The workbench on a real PostgreSQL server: every strategy verified, COPY seeding, cursors, buffering, secrets."""

import json
import subprocess
import sys

import pytest

from labproject import strategies
from labproject.iteration.calculation import calculate, calculation_sql
from seed import PayloadSpec, generate_rows
from tests.browser import decision_chart_reads
from tests.conftest import ROOT
from tests.pg_fixtures import pg_query

pytestmark = pytest.mark.postgres
MIB = 2**20


def postgres_strategies() -> list[str]:
    return [s.name for s in strategies.all_strategies() if "postgresql" in s.backends]


def result_files(lab) -> list:
    return sorted((lab.root / "results").glob("*/*.json"))


def password_of(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def test_every_strategy_runs_and_is_verified_on_postgresql(pg_lab):
    names = postgres_strategies()
    assert "server_side_cursor" in names and "iterator_save" in names
    runs = pg_lab.compare("--strategies", ",".join(names), "--rows", "3000")
    assert [r["strategy"] for r in runs] == names
    for run in runs:
        assert run["status"] == "ok", f"{run['strategy']}: {run['error']}"
        assert (run["rows_verified"], run["rows_wrong"], run["spec"]["backend"]) == (3000, 0, "postgresql")
        database = run["environment"]["database"]
        assert database["version"].startswith(("13", "14", "15", "16", "17", "18"))
        assert {"work_mem", "shared_buffers", "synchronous_commit", "max_wal_size"} <= database.keys()
        assert database["server_side_cursors"] is True


def test_copy_seeding_gives_the_same_rows_as_sqlite(lab, pg_url):
    """The same seed loads the same payloads on both backends.

    SQLite stores the generator's text byte for byte; jsonb stores a parsed value and prints it
    back normalised (its own key order and spacing), so the PostgreSQL side is compared as
    decoded JSON and through the calculation's SQL twin, not as text.
    """
    spec = PayloadSpec(rows=2000, payload_bytes=400, seed=5)
    args = ("seed_rows", "--rows", "2000", "--payload-bytes", "400", "--seed", "5", "--no-progress")
    lab.manage(*args, check=True)
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env={**lab.env, "DATABASE_URL": pg_url},
                          capture_output=True, text=True, timeout=120, check=True)
    assert "seeded 2,000 rows x 400 B payload, seed 5" in done.stdout

    expected = list(generate_rows(spec))
    in_sqlite = lab.query(f"SELECT id, data, {calculation_sql('sqlite')} FROM iteration_somemodel ORDER BY id")
    in_postgres = pg_query(pg_url, f"SELECT id, data::text, {calculation_sql('postgresql')} "
                                   "FROM iteration_somemodel ORDER BY id")
    assert [(pk, text) for pk, text, _ in in_sqlite] == expected
    assert len(in_postgres) == len(expected)
    for (pk, text), (pg_pk, pg_text, pg_value), (_, _, sqlite_value) in zip(expected, in_postgres, in_sqlite,
                                                                           strict=True):
        assert pg_pk == pk and json.loads(pg_text) == json.loads(text)
        assert pg_value == sqlite_value == calculate(json.loads(text))
    # COPY wrote explicit ids: the identity sequence must have moved past them.
    (new_id,) = pg_query(pg_url, "INSERT INTO iteration_somemodel (data) VALUES (%s::jsonb) RETURNING id", ("{}",))[0]
    assert new_id == 2001


def cursor_observation(lab, *flags: str) -> tuple[dict, dict]:
    seen = lab.root / "seen.json"
    lab.env["LAB_TEST_OBSERVATIONS"] = str(seen)
    (run,) = lab.compare("--strategies", "test_pg_cursor_probe", "--rows", "2000", *flags)
    assert run["status"] == "ok", run["error"]
    return run, json.loads(seen.read_text())


def test_iterator_opens_a_server_side_cursor(pg_lab):
    run, seen = cursor_observation(pg_lab)
    assert run["environment"]["database"]["server_side_cursors"] is True
    # Outside atomic() Django declares the cursor WITH HOLD; a second session sees the reader fetching from it.
    (cursor,) = seen["cursors"]
    assert cursor["is_holdable"] and cursor["statement"].startswith("DECLARE")
    assert "CURSOR WITH HOLD FOR SELECT" in cursor["statement"]
    assert seen["seen_from_outside"].startswith(f'FETCH FORWARD 1000 FROM "{cursor["name"]}"')


def test_without_server_side_cursors_iterator_runs_a_plain_select(pg_lab):
    run, seen = cursor_observation(pg_lab, "--no-server-side-cursors")
    assert run["environment"]["database"]["server_side_cursors"] is False
    assert seen["cursors"] == []
    assert seen["seen_from_outside"].startswith("SELECT")


def test_client_side_buffering_grows_with_rows_where_server_side_cursors_stay_flat(pg_lab):
    """iterator() without server-side cursors holds the whole result in libpq: RSS sees it grow with the table."""
    peaks = {}
    for rows in (4000, 20000):
        for flags in ((), ("--no-server-side-cursors",)):
            names = "iterator_bulk_update" if flags else "iterator_bulk_update,server_side_cursor"
            for run in pg_lab.compare("--strategies", names, "--rows", str(rows), "--payload-bytes", "1000", *flags):
                assert run["status"] == "ok", run["error"]
                label = f"{run['strategy']}{' client-side' if flags else ''}"
                peaks[label, rows] = (run["peak_rss_bytes"] - run["baseline_rss_bytes"]) / MIB

    def growth(label: str) -> float:
        return peaks[label, 20000] - peaks[label, 4000]

    assert growth("iterator_bulk_update client-side") > 25, peaks
    assert growth("iterator_bulk_update") < 5, peaks
    assert growth("server_side_cursor") < 5, peaks
    assert peaks["iterator_bulk_update client-side", 20000] > peaks["iterator_bulk_update", 20000] + 25, peaks


def test_the_password_reaches_no_result_output_or_error(pg_lab):
    secret = password_of(pg_lab.env["DATABASE_URL"])
    assert len(secret) >= 16
    done = pg_lab.manage("compare", "--strategies", "keyset_executemany,test_raises", "--rows", "1000", "--json")
    assert done.returncode != 0  # test_raises is recorded as an error
    statuses = [r["status"] for r in json.loads(done.stdout)]
    assert statuses == ["ok", "error"]
    table = pg_lab.manage("compare", "--strategies", "server_side_cursor", "--rows", "1000", check=True)
    texts = [done.stdout, done.stderr, table.stdout, table.stderr]
    texts += [path.read_text() for path in result_files(pg_lab)]
    assert len(texts) == 4 + 3
    assert not [text for text in texts if secret in text]


@pytest.mark.slow
def test_the_report_against_postgresql_shows_no_password(pg_lab, browser):
    """The quick report on PostgreSQL, whose page 04 measures the studies' SQLite file beside it."""
    secret = password_of(pg_lab.env["DATABASE_URL"])
    out = pg_lab.root / "reports"
    done = subprocess.run([sys.executable, "-m", "labproject.report", "--mode", "quick", "--out", str(out)],
                          env=pg_lab.env, cwd=pg_lab.root, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in written) and any(p.suffix == ".ipynb" for p in written)
    assert "postgresql database" in (out / "index.html").read_text()
    assert secret not in done.stdout + done.stderr
    assert not [p for p in written if secret in p.read_text(errors="replace")]
    tab = browser.new_page(viewport={"width": 1200, "height": 900})
    tab.goto((out / "04_faster_than_the_five.html").as_uri(), wait_until="load")
    tab.wait_for_function("document.querySelectorAll('div.plot-container.plotly').length > 0", timeout=30_000)
    decision_chart_reads(tab, backends=2)
    tab.close()


def test_memray_puts_the_client_side_buffer_on_libpq(pg_lab):
    """Without a server-side cursor libpq holds the whole result until Django has copied it into Python.

    C code's own high-water mark holds at least the payloads' bytes, at a libpq call site, whether or
    not that moment is also the heap's peak.
    """
    rows, payload = 4000, 1000
    (run,) = pg_lab.compare("--strategies", "iterator_bulk_update", "--rows", str(rows), "--payload-bytes",
                            str(payload), "--probes", "memray", "--no-server-side-cursors")
    assert run["status"] == "ok", run["error"]
    native = run["memray"]
    assert native["native_high_water_bytes"] >= rows * payload, native["native_high_water_sites"][:3]
    top = native["native_high_water_sites"][0]
    assert top["library"] == "libpq" and top["size_bytes"] >= rows * payload * 0.9, top
