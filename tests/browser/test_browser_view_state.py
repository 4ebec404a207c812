"""The view state in a real browser: the quadrant filter driven by the keyboard alone, and a
copied link that reopens the same drill-down, comparison and circulation mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_helpers import (
    APP_TIMEOUT_MS,
    BROWSER_MARKS,
    FILTER_BAR,
    assert_no_exception,
    dashboard,
    pick_option,
    wait_until_idle,
)

from analytics.domain import QUADRANT_LABELS

pytestmark = BROWSER_MARKS
MAX_TABS = 12  # the header (skip link, page links, Themes menu, main menu) comes first


@pytest.fixture(scope="module")
def server(sample_dir: Path) -> Iterator[str]:
    """The dashboard on the sample store."""
    with dashboard(sample_dir) as url:
        yield url


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def tab_to(page, target) -> None:
    """Press Tab until `target` has the keyboard focus (as a keyboard user reaches it)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {target}")


def chips(page) -> list[str]:
    """Return the quadrants shown as chosen in the filter bar's Quadrant filter."""
    widget = page.locator(FILTER_BAR).get_by_test_id("stMultiSelect").first
    tags = widget.locator("[data-tag]")
    return [tags.nth(i).get_attribute("aria-label") for i in range(tags.count())]


@pytest.mark.parametrize(("typed", "chosen"), [("NE", "NE"), ("east", "NE")])
def test_the_keyboard_alone_selects_exactly_one_quadrant(server, chromium_browser, typed, chosen):
    from playwright.sync_api import expect

    page = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/permanency")
    wait_until_idle(page)
    quadrant = page.locator(FILTER_BAR).get_by_role("combobox", name="Quadrant")
    tab_to(page, quadrant)
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**quadrant={chosen}**", timeout=APP_TIMEOUT_MS)
    page.keyboard.press("Escape")
    wait_until_idle(page)
    assert_no_exception(page, f"typed {typed}")
    assert query(page.url)["quadrant"] == [chosen]
    expect(page.locator(".gtitle").first).to_contain_text(f"{chosen} met", timeout=APP_TIMEOUT_MS)
    assert chips(page) == [f"{chosen} · {QUADRANT_LABELS[chosen]}"]
    # The drill-down follows the filter bar: its cell is the chosen quadrant.
    cell = page.get_by_role("combobox", name="Cases in")
    expect(cell).to_have_value(f"{chosen} · {QUADRANT_LABELS[chosen]}")
    page.close()


def test_a_copied_link_reopens_the_same_drill_down_comparison_and_mode(server, chromium_browser):
    from playwright.sync_api import expect

    page = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/permanency?quadrant=NE")
    wait_until_idle(page)
    pick_option(
        page, page.get_by_role("combobox", name="Standard"), standard_label(page, "PERM-08")
    )
    wait_until_idle(page)
    pick_option(page, page.get_by_role("combobox", name="Cases in"), "SW · South West")
    page.wait_for_url("**area=SW**", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    assert_no_exception(page, "drill-down picked")
    wanted = query(page.url)
    assert (wanted["standard"], wanted["area"], wanted["quadrant"]) == (["PERM-08"], ["SW"], ["NE"])
    assert wanted["compare"] == ["2020-01-interim"]
    before = drill_state(page)

    other = chromium_browser.new_context().new_page()  # a colleague who opens the copied link
    other.set_viewport_size({"width": 1400, "height": 1000})
    other.goto(page.url)
    wait_until_idle(other)
    assert_no_exception(other, "copied link")
    assert drill_state(other) == before
    assert query(other.url) == wanted
    expect(other.locator(".gtitle").first).to_contain_text("NE met")

    # For circulation with another threshold: the link brings the mode back, and no case list.
    page.locator(FILTER_BAR).get_by_text("For circulation").click()
    page.wait_for_url("**suppress_below=5**", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    threshold = page.locator(FILTER_BAR).get_by_role("spinbutton")
    threshold.fill("8")
    threshold.press("Enter")
    page.wait_for_url("**suppress_below=8**", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    third = chromium_browser.new_context().new_page()
    third.goto(page.url)
    wait_until_idle(third)
    bar = third.locator(FILTER_BAR)
    expect(bar.get_by_role("switch", name="For circulation")).to_be_checked()
    expect(bar.get_by_role("spinbutton")).to_have_value("8")
    expect(third.get_by_text("Lists of cases are not shown for circulation")).to_be_visible()
    assert query(third.url)["suppress_below"] == ["8"]
    for opened in (page, other, third):
        opened.close()


def standard_label(page, question_id: str) -> str:
    """Return the drill-down's option text for a standard ("PERM-08 · A family group …")."""
    combobox = page.get_by_role("combobox", name="Standard")
    combobox.click()
    if combobox.get_attribute("aria-expanded") != "true":
        page.keyboard.press("ArrowDown")
    option = page.get_by_role("option").filter(has_text=f"{question_id} ·").first
    text = option.inner_text().strip()
    page.keyboard.press("Escape")
    return text


def drill_state(page) -> dict[str, str]:
    """What the drill-down and the trend show: the standard, the cell, the comparison round and
    the list's caption (how many cases, where)."""
    shown = {
        name: page.get_by_role("combobox", name=name).input_value()
        for name in ("Standard", "Cases in", "Compare with the earlier round")
    }
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="pseudonymous")
    return {**shown, "caption": caption.inner_text()}
