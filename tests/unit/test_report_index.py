"""The report's index says where each page measured: the setups of the runs made while it executed."""

from pathlib import Path

from labproject.engine.store import ResultStore
from labproject.report import execute
from labproject.report.catalog import PAGES
from labproject.report.execute import Executed
from labproject.report.index import write_index
from tests.unit.fake_results import result


def test_the_index_lists_the_setups_each_page_measured(tmp_path: Path):
    pages = [Executed(PAGES[2], tmp_path / "02.ipynb", 1.0, "f", setups=("mysql", "postgresql+transaction")),
             Executed(PAGES[0], tmp_path / "00.ipynb", 1.0, "f")]
    text = write_index(tmp_path, pages, {"memory_bytes": 2**30}, "quick", 2.0).read_text()
    assert "measured on: mysql, postgresql+transaction;" in text and "measured on: no runs;" in text


def test_the_setups_come_from_the_runs_of_the_new_sessions(tmp_path: Path, monkeypatch):
    store = ResultStore(tmp_path)
    monkeypatch.setattr(execute, "_store", lambda: store)
    run = result("iterator_save")
    store.write(run)
    assert execute.measured_setups({run.session}) == ("sqlite",)
    assert execute.measured_setups(set()) == ()
