"""Tables a user reads fit the page at 1440 px: nothing cut off on the right (real browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import (
    APP_TIMEOUT_MS,
    BROWSER_MARKS,
    assert_no_exception,
    dashboard,
    upload_on_data_page,
    wait_until_idle,
)
from ingest_helpers import ANALYST, copy_store, round_tables, xlsx

from analytics import ingest

pytestmark = BROWSER_MARKS

# Page address -> the keys of the tables (ui/tables.show) it must show whole.
TABLES = {
    "": ("overview_themes", "overview_urgent"),
    "?quadrant=NE": ("overview_themes", "overview_urgent"),
    "actions": ("actions_table",),
    "across_themes": ("recurring_weaknesses",),
    "permanency": ("actions_permanency", "cases_permanency"),
    "supervision": ("planned_supervision",),  # a planned theme
    "data": ("store_contents", "themes"),
}
# The Data page with an import behind it and a file checked: every table it can show but a
# refused file's problems (declared in ui/tables.py within the same 960 px).
DATA_PAGE = (
    "store_contents", "themes", "contract_tables", "contract_sheets", "contract_columns",
    "contract_values", "preview_counts", "preview_rounds", "preview_quadrants",
    "preview_completeness", "preview_fewest", "import_history", "audit_trail",
)  # fmt: skip


@pytest.fixture(scope="module")
def server(sample_dir: Path) -> Iterator[str]:
    """The dashboard on the sample store."""
    with dashboard(sample_dir) as url:
        yield url


def test_tables_fit_at_1440_px(server, chromium_browser):
    page = chromium_browser.new_page(viewport={"width": 1440, "height": 900})
    measured = {}
    for address, keys in TABLES.items():
        page.goto(f"{server}/{address}")
        wait_until_idle(page)
        assert_no_exception(page, address or "overview")
        measured.update({(address, k): w for k, w in widths(page, keys).items()})
    page.close()
    assert_whole(measured)


def widths(page, keys) -> dict[str, list[int]]:
    """Return each table's (scrollWidth, clientWidth) in pixels."""
    measured = {}
    for key in keys:
        scroller = page.locator(f".st-key-{key}_box .dvn-scroller")
        scroller.wait_for(timeout=APP_TIMEOUT_MS)  # the grid has been laid out
        measured[key] = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
    return measured


def assert_whole(measured: dict) -> None:
    cut_off = {k: w for k, w in measured.items() if w[0] > w[1]}
    assert not cut_off, f"tables wider than their box (scrollWidth, clientWidth): {cut_off}"
    assert all(client >= 900 for _, client in measured.values())  # measured at full width


def test_the_data_pages_tables_fit_at_1440_px(sample_dir, tmp_path, chromium_browser):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    earlier = xlsx(round_tables("missing", "2021-05", ["MIS-01"], prefix="M"))
    ingest.import_files(data_dir, [earlier], actor=ANALYST)  # a history and an audit trail
    checked = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    responses = checked["responses"]
    checked["responses"] = responses[responses["question_id"] != "PERM-10"]  # 9 of 10 answered
    upload = tmp_path / "march.xlsx"
    upload.write_bytes(xlsx(checked, upload.name).data)
    with dashboard(data_dir) as url:
        page = chromium_browser.new_page(viewport={"width": 1440, "height": 900})
        upload_on_data_page(page, url, upload)  # the preview, its completeness and fewest
        page.get_by_text("The data contract: tables, import sheets and allowed values").click()
        wait_until_idle(page)
        assert_no_exception(page, "data")
        measured = widths(page, DATA_PAGE)
        page.close()
    assert_whole(measured)


def test_the_data_behind_each_chart_fits_at_1440_px(server, chromium_browser):
    page = chromium_browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{server}/permanency?compare=2020-01-interim")  # with its trend chart
    wait_until_idle(page)
    expanders = page.get_by_text("Data behind this chart", exact=True)
    for place in range(expanders.count()):
        expanders.nth(place).click()
    wait_until_idle(page)
    assert_no_exception(page, "permanency")
    keys = [f"data_permanency_{chart}" for chart in ("qc", "ff", "trend", "cohort")]
    measured = widths(page, keys)
    page.close()
    assert_whole(measured)
