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
    wait_until_idle,
)

pytestmark = BROWSER_MARKS

# Page address -> the keys of the tables (ui/tables.show) it must show whole.
TABLES = {
    "": ("overview_themes", "overview_urgent"),
    "?quadrant=NE": ("overview_themes", "overview_urgent"),
    "actions": ("actions_table",),
    "across_themes": ("recurring_weaknesses",),
    "permanency": ("actions_permanency",),
    "data": ("store_contents", "themes"),
}


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
        for key in keys:
            scroller = page.locator(f".st-key-{key}_box .dvn-scroller")
            scroller.wait_for(timeout=APP_TIMEOUT_MS)  # the grid has been laid out
            widths = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
            measured[(address, key)] = widths
    page.close()
    cut_off = {k: w for k, w in measured.items() if w[0] > w[1]}
    assert not cut_off, f"tables wider than their box (scrollWidth, clientWidth): {cut_off}"
    assert all(client >= 900 for _, client in measured.values())  # measured at full width
