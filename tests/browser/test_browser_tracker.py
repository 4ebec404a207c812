"""In a real browser: a workbook of four quadrant trackers in four layouts goes from the Data
page's own uploader to imported with the proposed mapping unedited; the permanency page then
opens on the new round; next round, the same layouts import with no mapping step."""

from __future__ import annotations

from pathlib import Path

from browser_helpers import (
    APP_TIMEOUT_MS,
    ARTIFACTS,
    BROWSER_MARKS,
    FILTER_BAR,
    assert_no_exception,
    confirm_import,
    dashboard,
    wait_until_idle,
)
from ingest_helpers import copy_store
from paths import TESTS

from analytics import queries
from analytics.ingest.trackers import saved
from analytics.store import Store

pytestmark = BROWSER_MARKS
FIXTURES = TESTS / "fixtures" / "trackers"
# tests/fixtures/trackers/make_trackers.py: North West 8 children, North East 7, South West 6,
# South East 9 (counted from its rows by hand).
CASES = 8 + 7 + 6 + 9


def upload_tracker(page, url: str, upload: Path) -> None:
    """Open the Data page, choose the tracker in the page's own uploader, wait for its step."""
    from playwright.sync_api import expect

    page.goto(f"{url}/data")
    wait_until_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(upload))
    expect(page.get_by_text("A tracker: its columns are mapped")).to_be_visible(
        timeout=APP_TIMEOUT_MS
    )
    wait_until_idle(page)


def type_new_round(page, round_id: str) -> None:
    """Type the new round's id (Enter commits it) and wait for the preview."""
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name="New round id (e.g. 2021-03)")
    box.fill(round_id)
    box.press("Enter")
    # Before a round is typed the preview already shows (the round from the audit dates), so
    # wait for the rerun with the typed round: its note about the audit dates is gone.
    expect(page.get_by_text("Round: none typed")).to_have_count(0, timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    expect(page.get_by_text("Standards answered", exact=True)).to_be_visible(timeout=APP_TIMEOUT_MS)


def screenshot(page, name: str) -> None:
    """Save the whole page (Streamlit scrolls inside the app: a tall viewport shows it all)."""
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    wait_until_idle(page)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size(size)


def round_box(page):
    return page.locator(FILTER_BAR).get_by_role("combobox", name="Round")


def test_four_quadrant_trackers_import_unedited_then_next_round_skips_mapping(
    sample_dir, tmp_path, chromium_browser
):
    from playwright.sync_api import expect

    data_dir = copy_store(sample_dir, tmp_path / "data")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with dashboard(data_dir) as url:
        page = chromium_browser.new_page(viewport={"width": 1440, "height": 1000})
        upload_tracker(page, url, FIXTURES / "four_quadrants.xlsx")
        # The theme is proposed from the standards the headers carry: no choice needed.
        theme = page.get_by_role("combobox", name="Theme audited in this tracker")
        expect(theme).to_have_value("Permanency for children", timeout=APP_TIMEOUT_MS)
        wait_until_idle(page)
        expect(page.get_by_text(" columns besides the fields: ").first).to_be_visible(
            timeout=APP_TIMEOUT_MS
        )
        assert_no_exception(page, "the proposed mapping")
        screenshot(page, "tracker-mapping.png")
        type_new_round(page, "2021-03")
        assert_no_exception(page, "the tracker's preview")
        screenshot(page, "tracker-preview.png")
        # The import's own message (the button's "Import 30 cases" must not satisfy the wait).
        confirm_import(page, CASES, f"permanency / 2021-03: new round ({CASES} cases)")
        screenshot(page, "tracker-imported.png")
        assert [m.name for m in saved.saved_mappings(data_dir)] == ["four quadrants"]

        page.goto(f"{url}/permanency")
        wait_until_idle(page)
        assert_no_exception(page, "permanency after the tracker's import")
        expect(round_box(page)).to_have_value("2021-03", timeout=APP_TIMEOUT_MS)

        # Next round: recognised, no mapping step, straight to the round and the preview.
        upload_tracker(page, url, FIXTURES / "four_quadrants_2021-08.xlsx")
        expect(page.get_by_text("Recognised: four quadrants, saved ")).to_be_visible(
            timeout=APP_TIMEOUT_MS
        )
        assert page.get_by_text(" columns besides the fields: ").count() == 0  # no mapping tables
        type_new_round(page, "2021-08")
        screenshot(page, "tracker-next-round.png")
        confirm_import(page, CASES, f"permanency / 2021-08: new round ({CASES} cases)")
        page.close()
    assert queries.audited_rounds(Store(data_dir), "permanency")[-2:] == ["2021-03", "2021-08"]
