"""Every notebook of the report executes headless in quick mode, from a working directory of its own, and says
what it found first: an opening box with its question and the answer computed from its runs, prose findings,
one memory figure per run set wherever it is quoted, and an index that opens with what to use."""

import re

import nbformat
import pytest

from labproject.report.catalog import PAGES
from labproject.report.opening import MIMETYPE, PENDING, TAG, box_markdown, figures_of

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_notebook_executes_headless_in_quick_mode(page, quick_report):
    result = quick_report.page(page)
    assert result.error is None, result.error
    assert result.notebook.exists()
    assert result.finding, "the notebook printed no finding"


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_informational_lines_are_ordinary_output(page, quick_report):
    """Seeding, migrating, a killed run: said on stdout, so no page shows them as a red error box."""
    nb = nbformat.read(quick_report.page(page).notebook, as_version=4)
    red = [o.text for cell in nb.cells for o in cell.get("outputs", [])
           if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert red == [], red


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_every_page_opens_with_its_question_and_the_answer_its_runs_computed(page, quick_report):
    nb = nbformat.read(quick_report.page(page).notebook, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", [])
            and "injected-parameters" not in cell.metadata.get("tags", [])]
    shown = [cell for cell in code if "plumbing" not in cell.metadata.get("tags", [])]
    assert TAG in shown[0].metadata.get("tags", []), "the first cell a reader sees is the opening box"
    figures = figures_of(quick_report.page(page).notebook)
    assert figures and figures["page"] == page.stem
    assert PENDING not in figures["answer"] and PENDING not in figures["article"]
    (output,) = shown[0].outputs
    assert output.data["text/markdown"] == box_markdown(figures["question"], figures["answer"], figures["article"])
    assert re.search(r"\d", figures["answer"]), "the answer states measured figures"
    assert MIMETYPE in output.data and "facts" in figures and "quotes" in figures


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_findings_are_prose_not_a_printed_line(page, quick_report):
    nb = nbformat.read(quick_report.page(page).notebook, as_version=4)
    (finding,) = [cell for cell in nb.cells if "finding" in cell.metadata.get("tags", [])]
    assert any("text/markdown" in o.get("data", {}) for o in finding.outputs)
    assert not [o for o in finding.outputs if o.get("output_type") == "stream"]


def test_one_run_sets_memory_is_the_same_on_every_page_that_quotes_it(quick_report):
    seen: dict[tuple, tuple] = {}
    shared = 0
    for page in PAGES:
        figures = figures_of(quick_report.page(page).notebook) or {}
        for quoted in figures.get("quotes", []):
            if not quoted["run_ids"]:
                continue
            key = tuple(quoted["run_ids"])
            said = (quoted["memory_mib"], quoted["rows_per_second"])
            if key in seen and seen[key][1] != page.stem:
                shared += 1
                assert said == seen[key][0], \
                    f"{quoted['what']}: {said} on {page.stem}, {seen[key][0]} on {seen[key][1]}"
            seen.setdefault(key, (said, page.stem))
    assert shared, "page 04 quotes page 03's runs at the size they share, so some run set is on two pages"


def test_the_index_opens_with_what_to_use_computed_from_the_pages(quick_report):
    from labproject.report.index import write_index

    done = [quick_report.page(page) for page in PAGES]
    html = write_index(quick_report.root, done, {"database": {}}, "quick", 0).read_text(encoding="utf-8")
    assert html.index("What to use") < html.index("What to avoid") < html.index("The pages")
    faster = figures_of(quick_report.page(next(p for p in PAGES if p.stem.startswith("04"))).notebook)
    for backend in faster["facts"]["backends"].values():
        said = f"{backend['pick_x']:.1f}x the floor&#x27;s time per row" if "&#x27;" in html else \
            f"{backend['pick_x']:.1f}x the floor's time per row"
        assert f"<code>{backend['pick']}</code>" in html and said in html
        assert 'href="04_faster_than_the_five.html"' in html
    assert "DEBUG=True" in html and "PgBouncer" in html
