"""The result model owns its JSON: typed sections, one place per fact, older schema versions upgraded."""

import json
import shutil
import warnings
from pathlib import Path

import pytest

from labproject.engine.result import SCHEMA_VERSION, RunResult, read_worker_part
from labproject.engine.runner import Observed, _assemble
from labproject.engine.sampler import TreeSampler
from labproject.engine.sections import Database, Queries, Retained, Site, Traced, Tree
from labproject.engine.spec import RunSpec
from labproject.engine.store import ResultStore
from labproject.engine.tidy import runs_table, sites_table
from labproject.errors import ResultFormatError
from tests.unit.fake_results import ENVIRONMENT, retained, traced

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "results-v1"


def full_result() -> RunResult:
    spec = RunSpec("iterator_save", rows=100, backend="sqlite", probes=("tracemalloc", "pympler", "queries"),
                   memory_cap_mb=200, partitions=3, check=False)
    return RunResult(strategy="iterator_save", repeat=1, status="ok", session="s", run_id="r", started_at="t",
                     spec=spec, wall_seconds=1.5, rss_before_connection_bytes=40, rss_after_reset_bytes=43,
                     baseline_rss_bytes=45, peak_rss_bytes=50, rows_done=100, rows_verified=100, rows_wrong=0,
                     tree=Tree(2, 10, 20, [[0.1, 15, 2]]), tracemalloc=traced(3), pympler=retained(),
                     queries=Queries(4, 0.5, 1, "note"), environment=ENVIRONMENT)


def test_every_section_survives_a_json_round_trip_typed():
    result = full_result()
    again = RunResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    assert isinstance(again.tracemalloc.top_sites[0], Site) and isinstance(again.environment.database, Database)
    assert again.connection_rss_bytes == 3


def test_each_spec_fact_is_kept_in_one_place():
    data = full_result().to_dict()
    assert not {"rows", "payload_bytes", "batch_size", "backend", "debug", "probes", "memory_cap_bytes"} & set(data)
    assert "strategy" not in data["spec"] and data["strategy"] == "iterator_save"
    assert data["spec"]["memory_cap_mb"] == 200 and data["spec"]["partitions"] == 3
    assert data["environment"]["database"] == {"backend": "sqlite", "where": "sqlite file lab.sqlite3",
                                               "version": "3.40.1", "journal_mode": "wal", "synchronous": "normal"}


def test_sessions_stored_in_schema_version_1_still_load(tmp_path):
    shutil.copytree(V1, tmp_path, dirs_exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a skipped file would warn
        loaded = {r.strategy: r for r in ResultStore(tmp_path).load("v1-session")}
    assert sorted(loaded) == ["iterator_bulk_update", "keyset_executemany", "queryset_loop", "server_side_cursor"]
    probed = loaded["iterator_bulk_update"]
    assert (probed.rows, probed.batch_size, probed.backend, probed.probes) == (
        1000, 1000, "sqlite", ["rss", "tracemalloc", "pympler", "queries"])
    assert isinstance(probed.tracemalloc, Traced) and probed.tracemalloc.top_sites
    assert isinstance(probed.pympler, Retained) and probed.queries.count > 0
    assert probed.environment.database.setting("journal_mode") == "wal"
    assert probed.connection_rss_bytes is None  # version 1 did not measure it
    killed = loaded["queryset_loop"]
    assert (killed.status, killed.memory_cap_bytes, killed.environment) == ("killed", 75 * 2**20, None)
    postgres = loaded["server_side_cursor"]
    assert postgres.spec.server_side_cursors is False and postgres.environment.database.setting("work_mem")
    runs = runs_table(loaded.values()).set_index("strategy")
    assert runs.loc["server_side_cursor", "server_side_cursors"] == False  # noqa: E712 - a numpy bool
    assert runs.loc["iterator_bulk_update", "journal_mode"] == "wal" and not sites_table([probed]).empty
    for result in loaded.values():  # and they are written back in the current version, unchanged
        data = result.to_dict()
        assert data["schema_version"] == SCHEMA_VERSION and RunResult.from_dict(data) == result


def test_unknown_keys_and_untyped_sections_are_refused():
    data = full_result().to_dict()
    with pytest.raises(ResultFormatError, match="unknown keys: colour"):
        RunResult.from_dict({**data, "queries": {**data["queries"], "colour": "red"}})
    with pytest.raises(ResultFormatError, match="unknown fields: extra"):
        RunResult.from_dict({**data, "extra": 1})
    with pytest.raises(ResultFormatError, match="must be a Queries"):
        RunResult(**{**vars(full_result()), "queries": {"count": 1, "seconds": 0.1}})


def test_a_worker_may_set_only_its_own_fields():
    assert read_worker_part({"status": "ok", "queries": {"count": 1, "seconds": 0.1}})["queries"] == Queries(1, 0.1)
    with pytest.raises(ResultFormatError, match="only the runner may set: run_id, session"):
        read_worker_part({"status": "ok", "session": "forged", "run_id": "forged"})
    spec = RunSpec("iterator_save", rows=10, backend="sqlite", check=False)
    seen = Observed(spec, 0, "mine", "2026-01-01T00:00:00", 1, TreeSampler(1),
                    part={"status": "ok", "session": "forged", "wall_seconds": 1.0, "rows_verified": 10})
    result = _assemble(seen)
    assert (result.status, result.session) == ("error", "mine")
    assert result.error == "the worker's document was refused: the worker's document sets fields only the runner " \
                           "may set: session"


def test_the_compare_table_says_what_the_baseline_holds_and_the_connections_share():
    from labproject.engine.summary import format_table, summarize
    from tests.unit.fake_results import result

    line = format_table(summarize(runs_table([result("a"), result("b", baseline_mib=42)]))).splitlines()[-1]
    assert line.startswith("baseline, median over runs: 41.0 MiB (the worker's RSS just before the strategy")
    assert "the connection and its page cache 2.0 MiB of it); baseline + peak is what the OOM killer sees" in line


def test_the_peer_libraries_round_trip_and_older_version_2_files_read_without_them():
    from dataclasses import replace

    versions = {"django-chunkator": "2.0.0", "django-pgbulk": None}
    result = replace(full_result(), environment=replace(ENVIRONMENT, libraries=versions))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["environment"]["libraries"] == versions and RunResult.from_dict(data) == result
    del data["environment"]["libraries"]  # what a version 2 file written before the peers holds
    assert RunResult.from_dict(data).environment.libraries == {}
