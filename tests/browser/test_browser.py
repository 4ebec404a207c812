"""A real browser (Playwright driving Debian's chromium) against `streamlit run` on 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import (
    APP_TIMEOUT_MS,
    ARTIFACTS,
    BROWSER_MARKS,
    FILTER_BAR,
    NAVIGATION,
    assert_no_exception,
    dashboard,
    page_links,
    pick_option,
    wait_for_charts,
    wait_until_idle,
)

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(sample_dir: Path) -> Iterator[str]:
    """The dashboard on the sample store."""
    with dashboard(sample_dir) as url:
        yield url


def test_every_page_loads_and_the_quadrant_filter_follows(server, chromium_browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    # The server's very first visitor follows a shared deep link: the page, not "Page not found".
    page.goto(f"{server}/missing?quadrant=SW")
    wait_until_idle(page)
    assert page.get_by_role("dialog").count() == 0
    expect(page.locator("h1").first).to_have_text(
        "Children missing from home, placement or education"
    )
    page.goto(server)
    wait_until_idle(page)
    expect(page.locator(NAVIGATION).first).to_be_visible(timeout=APP_TIMEOUT_MS)
    hrefs = page_links(page)
    assert len(hrefs) >= 13  # overview, 9 themes, across themes, actions, data
    for href in hrefs:
        page.goto(href)
        wait_until_idle(page)
        assert_no_exception(page, href)
        name = href.rstrip("/").rsplit("/", 1)[-1] or "overview"
        if href.rstrip("/") == server.rstrip("/"):
            name = "overview"
        wait_for_charts(page)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    # An inspection lead picks North East on the permanency page: the URL and the charts follow.
    page.goto(f"{server}/permanency")
    wait_until_idle(page)
    quadrant = page.locator(FILTER_BAR).get_by_role("combobox", name="Quadrant")
    pick_option(page, quadrant, "NE · North East")
    page.wait_for_url("**quadrant=NE**", timeout=APP_TIMEOUT_MS)
    page.keyboard.press("Escape")  # close the menu: the screenshot shows the page
    expect(page.locator(".gtitle").first).to_contain_text("NE met", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    assert_no_exception(page, "permanency with NE")
    wait_for_charts(page)
    page.screenshot(path=str(ARTIFACTS / "permanency-NE.png"), full_page=True)

    # The copied link reopens the same view in a fresh session.
    shared = page.url
    other = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    other.goto(shared)
    wait_until_idle(other)
    expect(other.locator(".gtitle").first).to_contain_text("NE met", timeout=APP_TIMEOUT_MS)
    assert_no_exception(other, "shared link")


def test_the_import_template_is_made_when_its_button_is_clicked(
    server, chromium_browser, sample_dir
):
    import openpyxl

    from analytics import ingest

    page = chromium_browser.new_page(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    page.goto(f"{server}/data")
    wait_until_idle(page)
    assert_no_exception(page, "data")
    button = page.locator(".st-key-template_download").get_by_role("button")
    with page.expect_download(timeout=APP_TIMEOUT_MS) as download:
        button.click()
    assert download.value.suggested_filename == "audit-import-template.xlsx"
    clicked = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    made = openpyxl.load_workbook(io.BytesIO(ingest.template_workbook(sample_dir)))
    # The same workbook as the command line's `template`: every sheet, every cell.
    assert clicked.sheetnames == made.sheetnames
    for name in made.sheetnames:
        cells = [list(row) for row in made[name].iter_rows(values_only=True)]
        assert [list(row) for row in clicked[name].iter_rows(values_only=True)] == cells, name
        rules = [(v.sqref, v.formula1) for v in made[name].data_validations.dataValidation]
        assert [
            (v.sqref, v.formula1) for v in clicked[name].data_validations.dataValidation
        ] == rules
    assert "cases" in made.sheetnames and made["lists"].max_row > 1
    assert made["cases"].data_validations.dataValidation  # the drop-downs are what it is for
    wait_until_idle(page)
    assert_no_exception(page, "data after the template download")
