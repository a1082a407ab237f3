"""Every notebook of the report executes headless in quick mode, from a working directory of its own."""

import pytest

from labproject.report.catalog import PAGES

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
    import nbformat

    nb = nbformat.read(quick_report.page(page).notebook, as_version=4)
    red = [o.text for cell in nb.cells for o in cell.get("outputs", [])
           if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert red == [], red
