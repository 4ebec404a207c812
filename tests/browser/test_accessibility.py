"""Accessibility in the real browser: axe-core (installed from the npm registry by the test command,
tests/browser/axe/package.json) on every page at a desktop and a phone width, the keyboard alone
from the page's start to a chart's PNG, and the phone layout (issue 16, WCAG 2.2 AA).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import (
    APP_TIMEOUT_MS,
    ARTIFACTS,
    AXE,
    BROWSER_MARKS,
    FILTER_BAR,
    assert_no_exception,
    axe_violations,
    dashboard,
    page_links,
    wait_for_charts,
    wait_until_idle,
)
from paths import TESTS

pytestmark = BROWSER_MARKS

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_PRESSES = 7  # "under 8 presses"


@pytest.fixture(scope="module")
def server(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on a copy of the sample store (a download is recorded in its audit trail)."""
    data_dir = tmp_path_factory.mktemp("accessibility") / "data"
    shutil.copytree(sample_dir, data_dir)
    with dashboard(data_dir) as url:
        yield url


@pytest.fixture(scope="module")
def addresses(server, chromium_browser) -> list[str]:
    """Every page, as the navigation lists it."""
    page = chromium_browser.new_page(viewport=DESKTOP)
    page.goto(server)
    wait_until_idle(page)
    found = page_links(page)
    page.close()
    assert len(found) >= 13  # overview, 9 themes, across themes, actions, data
    return found


def wait_for_layout(page, layout: str) -> None:
    """Wait until the page is drawn for this column width: the browser has said how wide the
    column is (ui/screen.py), the run that followed is over and every chart is drawn."""
    page.wait_for_selector(f".st-key-layout_{layout}", state="attached", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    wait_for_charts(page)


def open_every_expander(page) -> None:
    """Open every expander ("Data behind this chart" and the others): axe checks what is shown."""
    closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(closed.count()):
        closed.first.click()
    wait_until_idle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stExpander\"] details')]"
        ".every(d => d.open)",
        timeout=APP_TIMEOUT_MS,
    )


def test_axe_core_is_installed_from_the_registry_at_its_pinned_version():
    pinned = json.loads((TESTS / "browser" / "axe" / "package.json").read_text())
    installed = json.loads((AXE.parent / "package.json").read_text())
    assert installed["version"] == pinned["dependencies"]["axe-core"]


# While the Themes menu is open only: Streamlit draws it at the end of the page, outside its
# landmarks (a moderate best-practice finding); it belongs to the header's navigation.
MENU_OPEN = {"region": "the open Themes menu, drawn outside the header's landmark"}
# Views beyond each page as first opened: a quadrant chosen, and for circulation.
MORE_VIEWS = ("/?quadrant=NE", "/permanency?quadrant=NE&suppress_below=5")


@pytest.mark.parametrize("screen", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_nothing_on_any_page(server, addresses, chromium_browser, screen):
    page = chromium_browser.new_page(viewport=screen)
    found: dict[str, list[dict]] = {}
    for address in [*addresses, *(server + view for view in MORE_VIEWS)]:
        page.goto(address)
        wait_for_layout(page, "narrow" if screen is PHONE else "wide")
        assert_no_exception(page, address)
        open_every_expander(page)
        wait_for_charts(page)
        if violations := axe_violations(page):
            found[address] = violations
    page.close()
    assert not found, json.dumps(found, indent=1)[:6000]


def test_axe_finds_nothing_in_the_navigation_opened(server, chromium_browser):
    """The header's Themes menu on a desktop, and on a phone the sidebar with the page links."""
    from playwright.sync_api import expect

    page = chromium_browser.new_page(viewport=DESKTOP)
    page.goto(server)
    wait_for_layout(page, "wide")
    page.get_by_test_id("stTopNavSection").filter(has_text="Themes").click()
    expect(page.get_by_test_id("stTopNavDropdownLink").first).to_be_visible()
    assert axe_violations(page, MENU_OPEN) == []
    page.close()

    page = chromium_browser.new_page(viewport=PHONE)
    page.goto(server)
    wait_for_layout(page, "narrow")
    links = page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink")
    expect(links.first).to_be_hidden()  # closed: out of sight and out of the Tab order
    page.get_by_test_id("stExpandSidebarButton").click()
    expect(links.first).to_be_visible()
    assert links.count() >= 13
    assert axe_violations(page) == []
    page.close()


def presses_until(page, target, keys: list[str]) -> int:
    """Press `keys` in turn until `target` has the focus; return how many presses it took."""
    for count, key in enumerate(keys, start=1):
        page.keyboard.press(key)
        if target.evaluate("element => element === document.activeElement"):
            return count
    pytest.fail(f"{keys} never reached {target}")


def test_the_keyboard_alone_chooses_ne_and_downloads_the_comparison_png(server, chromium_browser):
    """An inspection lead, keyboard only: skip to the page, choose NE, download the PNG."""
    from playwright.sync_api import expect

    page = chromium_browser.new_page(viewport=DESKTOP, accept_downloads=True)
    page.goto(f"{server}/permanency")
    wait_until_idle(page)
    quadrant = page.locator(FILTER_BAR).get_by_role("combobox", name="Quadrant")
    # From the page's start: Tab to "Skip to main content", Enter, then Tab.
    to_filter = presses_until(page, quadrant, ["Tab", "Enter", *["Tab"] * MAX_PRESSES])
    assert to_filter <= MAX_PRESSES
    page.keyboard.type("NE")
    page.keyboard.press("Enter")
    page.wait_for_url("**quadrant=NE**", timeout=APP_TIMEOUT_MS)
    page.keyboard.press("Escape")  # close the menu; the focus stays in the filter
    wait_until_idle(page)
    expect(page.locator(".gtitle").first).to_contain_text("NE met", timeout=APP_TIMEOUT_MS)
    png = page.locator(".st-key-dl_permanency_qc_png").get_by_role("button", name="PNG")
    to_png = presses_until(page, png, ["Tab"] * (MAX_PRESSES + 1))
    assert to_png <= MAX_PRESSES, f"{to_png} presses from the quadrant filter to the PNG"
    with page.expect_download(timeout=APP_TIMEOUT_MS) as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".png") and "NE" in download.suggested_filename
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def test_a_phone_screen_has_the_filters_above_the_page(server, chromium_browser):
    from playwright.sync_api import expect

    # A new session (its first visit) on a touch screen.
    page = chromium_browser.new_page(viewport=PHONE, has_touch=True)
    page.goto(f"{server}/permanency?round=2020-04-final&standard=PERM-08&area=SW")
    wait_for_layout(page, "narrow")  # the run after the browser says the column is narrow...
    # ...is still the linked page and view, not the default page
    expect(page.locator("h1").first).to_have_text("Permanency for children")
    for kept in ("/permanency?", "round=2020-04-final", "standard=PERM-08", "area=SW"):
        assert kept in page.url, page.url
    expect(page.get_by_role("combobox", name="Cases in")).to_have_value("SW · South West")
    bar = page.locator(FILTER_BAR).bounding_box()
    title = page.locator("h1").first.bounding_box()
    assert bar is not None and title is not None
    assert bar["y"] + bar["height"] <= title["y"]  # above the page, not in the closed sidebar
    assert bar["x"] >= 0 and bar["x"] + bar["width"] <= PHONE["width"]
    quadrant = page.locator(FILTER_BAR).get_by_role("combobox", name="Quadrant")
    assert presses_until(page, quadrant, ["Tab"] * MAX_PRESSES) <= MAX_PRESSES
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-permanency-top.png"))
    # The lead chooses NE, reads its comparison and downloads its PNG, with taps.
    quadrant.tap()
    page.get_by_role("option", name="NE · North East").tap()
    page.wait_for_url("**quadrant=NE**", timeout=APP_TIMEOUT_MS)
    page.keyboard.press("Escape")  # the menu closes (a tap elsewhere does the same)
    wait_for_layout(page, "narrow")
    expect(page.locator(".gtitle").first).to_contain_text("NE met", timeout=APP_TIMEOUT_MS)
    png = page.locator(".st-key-dl_permanency_qc_png").get_by_role("button", name="PNG")
    png.scroll_into_view_if_needed()
    with page.expect_download(timeout=APP_TIMEOUT_MS) as info:
        png.tap()
    download = info.value
    assert download.failure() is None and "NE" in download.suggested_filename
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def test_a_phone_screen_draws_every_page_for_its_width(server, addresses, chromium_browser):
    """At 390 px: nothing wider than the screen, every plot at least 300 px wide, and no legend
    over its chart's title."""
    page = chromium_browser.new_page(viewport=PHONE)
    problems = []
    for address in addresses:
        page.goto(address)
        wait_for_layout(page, "narrow")
        assert_no_exception(page, address)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{address}: the page is {width} px wide")
        for chart in page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(c => {
                const box = e => e && e.getBoundingClientRect();
                const title = box(c.querySelector('.gtitle')), legend = box(c.querySelector('.legend'));
                return {
                    title: c.querySelector('.gtitle')?.textContent ?? '',
                    plots: [...c.querySelectorAll('.nsewdrag')].map(p => box(p).width),
                    overlap: !!(title && legend && legend.left < title.right && title.left < legend.right
                                && legend.top < title.bottom && title.top < legend.bottom),
                };
            })"""
        ):
            narrowest = min(chart["plots"], default=0)
            if narrowest < 300:
                problems.append(f"{address}: {chart['title']!r}: a plot {narrowest:.0f} px wide")
            if chart["overlap"]:
                problems.append(f"{address}: {chart['title']!r}: the legend covers the title")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = address.rstrip("/").rsplit("/", 1)[-1] if address.rstrip("/") != server else ""
        page.screenshot(path=str(ARTIFACTS / f"phone-{name or 'overview'}.png"))
    page.close()
    assert not problems, "\n".join(problems)
