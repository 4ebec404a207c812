"""In a real browser: a round with unanswered standards, uploaded on the Data page, is held back
(the theme page opens on the round before it, listing it as incomplete) until the analyst
accepts it with the page's own button."""

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
    upload_on_data_page,
    wait_until_idle,
)
from ingest_helpers import copy_store, round_tables, xlsx

from analytics import queries
from analytics.store import Store

pytestmark = BROWSER_MARKS
PERMANENCY = [f"PERM-{i:02d}" for i in range(1, 11)]


def half_answered(folder: Path) -> Path:
    """Permanency 2021-03: 8 cases answering 5 of their 10 standards (50%)."""
    tables = round_tables("permanency", "2021-03", PERMANENCY, n_cases=8)
    responses = tables["responses"]
    tables["responses"] = responses[responses["question_id"].isin(PERMANENCY[:5])]
    path = folder / "march.xlsx"
    path.write_bytes(xlsx(tables, path.name).data)
    return path


def round_box(page):
    return page.locator(FILTER_BAR).get_by_role("combobox", name="Round")


def open_options(page) -> None:
    """Open the round box's list. A click that lands while a chart is still being laid out can
    leave the list shut: then the list is asked for again (three tries, no fixed waits)."""
    from playwright.sync_api import expect

    for attempt in range(3):
        round_box(page).click()
        try:
            expect(page.get_by_role("listbox")).to_be_visible(timeout=5000)
            return
        except AssertionError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            wait_until_idle(page)


def test_an_incomplete_round_is_held_back_until_accepted(sample_dir, tmp_path, chromium_browser):
    from playwright.sync_api import expect

    data_dir = copy_store(sample_dir, tmp_path / "data")
    store = Store(data_dir)
    before = queries.audited_rounds(store, "permanency")[-1]
    before_label = queries.round_labels(store, "permanency")[before]
    upload = half_answered(tmp_path)
    with dashboard(data_dir) as url:
        page = chromium_browser.new_page(viewport={"width": 1440, "height": 1000})
        upload_on_data_page(page, url, upload)
        expect(page.get_by_text("Incomplete: Permanency for children / 2021-03")).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.get_by_text("Standards answered", exact=True).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "data-incomplete-round.png"), full_page=True)
        confirm_import(page, 8, "is incomplete: it is held back from the default round")

        page.goto(f"{url}/permanency")
        wait_until_idle(page)
        expect(round_box(page)).to_have_value(before_label)  # not the incomplete round
        open_options(page)
        expect(page.get_by_role("option", name="2021-03 · incomplete")).to_be_visible()
        page.keyboard.press("Escape")

        page.goto(f"{url}/data")
        wait_until_idle(page)
        page.get_by_role("button", name="Accept Permanency for children / 2021-03 as it is").click()
        expect(page.get_by_text("Accepted permanency/2021-03")).to_be_visible(
            timeout=APP_TIMEOUT_MS
        )
        wait_until_idle(page)

        page.goto(f"{url}/permanency")
        wait_until_idle(page)
        assert_no_exception(page, "permanency after the acceptance")
        expect(round_box(page)).to_have_value("2021-03")
        page.close()
