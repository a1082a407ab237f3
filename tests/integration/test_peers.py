"""The peers (libraries a user would install instead) and the two floors, run for real and verified in SQL."""

import json
import sys
from importlib import metadata

import pytest

from labproject import strategies
from labproject.benchmarks.peer_profile import GROUPS, profile_strategy
from labproject.iteration.calculation import calculation_sql
from labproject.iteration.models import SomeModel
from labproject.iteration.seeding import seed_table
from labproject.iteration.targets import get_target
from labproject.studies import grid
from labproject.walk import Walk
from seed import PayloadSpec
from tests.conftest import ROOT, one_line_error
from tests.pg_fixtures import pg_query
from tests.server_fixtures import mysql_query

ON_SQLITE = ["fast_update", "chunkator_bulk_update", "orm_expression_update", "write_floor"]
POSTGRESQL_ONLY = ["copy_update", "pgbulk_update", "pgbulk_update_ignore_unchanged"]
PEERS = ["fast_update", "chunkator_bulk_update", *POSTGRESQL_ONLY]
LIBRARIES = {"django-fast-update", "django-pgbulk", "django-chunkator"}


def assert_verified(runs: list[dict], names: list[str], rows: int, backend: str) -> None:
    assert [r["strategy"] for r in runs] == names
    for run in runs:
        assert run["status"] == "ok", f"{run['strategy']}: {run['error']}"
        assert (run["rows_verified"], run["rows_wrong"], run["spec"]["backend"]) == (rows, 0, backend)
        assert run["environment"]["libraries"] == {name: metadata.version(name) for name in LIBRARIES}


def test_the_peers_that_run_on_sqlite_are_verified_there(lab):
    runs = lab.compare("--strategies", ",".join(ON_SQLITE), "--rows", "3000", "--batch-size", "700")
    assert_verified(runs, ON_SQLITE, 3000, "sqlite")


def test_the_peers_walk_any_target_the_invoices_too(lab):
    names = ["fast_update", "chunkator_bulk_update", "write_floor"]
    runs = lab.compare("--target", "invoices", "--strategies", ",".join(names), "--rows", "2000",
                       "--batch-size", "700")
    assert_verified(runs, names, 2000, "sqlite")
    assert lab.query('SELECT COUNT(*) FROM iteration_invoice WHERE "total_cents" = "id"') == [(2000,)]


def test_a_target_without_an_orm_expression_is_refused_in_one_line(lab):
    done = lab.manage("compare", "--target", "invoices", "--strategies", "orm_expression_update", "--rows", "200",
                      "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (run,) = json.loads(done.stdout)
    assert (run["status"], run["error"]) == (
        "error", "NotApplicable: target 'invoices' has no ORM expression of its calculation (Target.expression)")


@pytest.mark.parametrize("name", POSTGRESQL_ONLY)
def test_a_postgresql_only_peer_is_refused_on_sqlite_with_one_line(lab, name):
    line = one_line_error(lab.manage("compare", "--strategies", name, "--rows", "100"))
    assert line == f"CommandError: strategy '{name}' does not apply to sqlite; it runs on postgresql"


@pytest.mark.django_db
@pytest.mark.parametrize("name, module", [("chunkator_bulk_update", "chunkator"), ("pgbulk_update", "pgbulk"),
                                          ("fast_update", "fast_update.query")])
def test_a_peer_whose_library_is_missing_says_how_to_install_it(monkeypatch, name, module):
    monkeypatch.setitem(sys.modules, module, None)  # what Python does when the package is not there: ImportError
    chosen = strategies.get(name)
    walk = Walk(get_target("lab"))
    assert chosen.needs(walk) == f"{chosen.library} is not installed; pip install -e '.[peers]'"


def test_the_registry_lists_every_peer_and_both_floors(lab):
    listing = lab.manage("run_strategy", "--list", check=True).stdout
    heads = {line.split()[0]: line.split()[1] for line in listing.splitlines() if line and not line[0].isspace()}
    assert {name: heads.get(name) for name in PEERS} == dict.fromkeys(PEERS, "library")
    assert heads.get("write_floor") == heads.get("orm_expression_update") == "floor"
    assert "cost of writing alone" in listing


def test_write_floor_is_verified_against_its_own_rule(lab):
    lab.env.update(LAB_STRATEGY_MODULES="tests.strategies_for_tests", PYTHONPATH=str(ROOT))
    done = lab.manage("compare", "--strategies", "test_claims_key,write_floor", "--rows", "2000", "--json")
    assert done.returncode == 1, "a wrong run makes compare fail"
    claims, floor = json.loads(done.stdout)
    # A strategy that writes the calculation while saying it writes the key is caught by its own rule.
    assert claims["status"] == "wrong" and claims["rows_wrong"] > 0
    assert (floor["status"], floor["rows_verified"], floor["rows_wrong"]) == ("ok", 2000, 0)
    # write_floor's values are the keys, which the calculation's twin would have called wrong.
    twin = calculation_sql("sqlite")
    assert lab.query('SELECT SUM("field" = "id") FROM iteration_somemodel') == [(2000,)]
    assert lab.query(f'SELECT SUM("field" = {twin}) FROM iteration_somemodel')[0][0] < 2000


def test_the_studies_leave_the_peers_out_unless_asked():
    assert not set(PEERS) & set(grid.applicable("postgresql"))
    assert set(PEERS) <= set(grid.applicable("postgresql", peers=True))
    assert {"write_floor", "orm_expression_update"} <= set(grid.applicable("sqlite"))
    assert not {s.name for s in strategies.applicable("sqlite")} & set(PEERS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["fast_update", "chunkator_bulk_update", "keyset_update_from_values"])
def test_the_profile_stops_after_its_rows_and_groups_all_the_time(name):
    seed_table(PayloadSpec(rows=1500, seed=3), progress=False, force=True)
    seconds = profile_strategy(name, rows=500, batch_size=100)
    assert set(seconds) == set(GROUPS)
    assert SomeModel.objects.filter(field__isnull=False).count() == 500
    assert seconds["round trips"] > 0 and seconds["JSON decoding"] > 0
    if strategies.get(name).peer:
        assert seconds["model instances"] > 0 and seconds["building SQL"] > 0
    assert seconds["other"] < 0.2 * sum(seconds.values())


@pytest.mark.postgres
def test_every_peer_and_both_floors_are_verified_on_postgresql(pg_lab):
    names = [*PEERS, "orm_expression_update", "write_floor"]
    runs = pg_lab.compare("--strategies", ",".join(names), "--rows", "3000", "--batch-size", "700")
    assert_verified(runs, names, 3000, "postgresql")
    url = pg_lab.env["DATABASE_URL"]
    assert pg_query(url, 'SELECT COUNT(*) FROM iteration_somemodel WHERE "field" = "id"') == [(3000,)]


@pytest.mark.postgres
def test_the_postgresql_peers_walk_the_invoices_too(pg_lab):
    names = [*POSTGRESQL_ONLY, "write_floor"]
    runs = pg_lab.compare("--target", "invoices", "--strategies", ",".join(names), "--rows", "2000",
                          "--batch-size", "700")
    assert_verified(runs, names, 2000, "postgresql")


@pytest.mark.mariadb
def test_the_peers_that_claim_mariadb_and_both_floors_are_verified_there(mariadb_lab):
    names = [s for s in ON_SQLITE if "mysql" in strategies.get(s).backends]
    assert names == ON_SQLITE, "every peer and floor that runs on SQLite claims MariaDB too"
    runs = mariadb_lab.compare("--strategies", ",".join(names), "--rows", "3000", "--batch-size", "700")
    assert_verified(runs, names, 3000, "mysql")
    url = mariadb_lab.env["DATABASE_URL"]
    assert mysql_query(url, "SELECT COUNT(*) FROM iteration_somemodel WHERE field = id") == [(3000,)]
