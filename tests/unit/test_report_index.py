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
    assert "the main report" not in text
    sqlite_only = write_index(tmp_path, pages, {"memory_bytes": 2**30}, "full", 2.0, servers="off").read_text()
    assert "the main report: SQLite only" in sqlite_only and "make report SERVERS=auto" in sqlite_only


def test_the_main_report_names_the_pages_it_measured_on_a_server(tmp_path: Path):
    faster = next(page for page in PAGES if page.main)
    pages = [Executed(faster, tmp_path / "04.ipynb", 1.0, "f", setups=("sqlite", "postgresql")),
             Executed(PAGES[0], tmp_path / "00.ipynb", 1.0, "f")]
    main = write_index(tmp_path, pages, {"memory_bytes": 2**30}, "full", 2.0, servers="main").read_text()
    assert f'the main report: SQLite, with PostgreSQL on <a href="{faster.stem}.html">' in main
    quick = write_index(tmp_path, pages, {"memory_bytes": 2**30}, "quick", 2.0, servers="main").read_text()
    assert "the main report: SQLite only" in quick


def test_the_setups_come_from_the_runs_of_the_new_sessions(tmp_path: Path, monkeypatch):
    store = ResultStore(tmp_path)
    monkeypatch.setattr(execute, "_store", lambda: store)
    run = result("iterator_save")
    store.write(run)
    assert execute.measured_setups({run.session}) == ("sqlite",)
    assert execute.measured_setups(set()) == ()


def test_servers_off_turns_off_exactly_the_servers_each_notebook_declares():
    import papermill

    from labproject.report.catalog import PAGES, SERVER_PARAMETERS

    for page in PAGES:
        declared = {name for name in SERVER_PARAMETERS if name in papermill.inspect_notebook(str(page.path))}
        off = page.parameters("full", "off")
        assert {name for name, value in off.items() if value == "off"} == declared, page.stem
        assert {k: v for k, v in off.items() if k not in declared} == page.parameters("full", "auto"), page.stem
    assert any(PAGES[i].parameters("full", "off") != PAGES[i].parameters("full") for i in range(len(PAGES)))


def test_the_main_report_turns_on_only_what_a_page_asks_for_in_full_mode():
    from labproject.report.catalog import PAGES

    for page in PAGES:
        off, main = page.parameters("full", "off"), page.parameters("full", "main")
        assert {k: v for k, v in main.items() if k not in page.main} == {k: v for k, v in off.items()
                                                                          if k not in page.main}, page.stem
        assert page.parameters("quick", "main") == page.parameters("quick", "off"), page.stem
    faster = next(page for page in PAGES if page.main)
    main = faster.parameters("full", "main")
    assert (main["postgres"], main["mariadb"], faster.main_servers("full", "main")) == ("auto", "off", ["PostgreSQL"])
    assert faster.main_servers("quick", "main") == faster.main_servers("full", "auto") == []
    # a size given for one backend leaves the others' as the page's full parameters have them
    assert main["rows"] == {**faster.full["rows"], **faster.main["rows"]} != faster.main["rows"]
