"""What the real-browser tests share: starting `streamlit run` on 127.0.0.1, Debian's chromium,
and waiting for the app to finish running (never a fixed sleep)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
STARTUP_TIMEOUT_S = 60
APP_TIMEOUT_MS = 60_000
CONTENT = '[data-testid="stMainBlockContainer"] h1'
# The app root says whether a script run is going on; a widget change sets "rerunRequested" at
# once, so waiting for "notRunning" after an action cannot pass before its rerun (unlike the
# status widget, which Streamlit shows only after a delay).
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# The filter bar above every page (ui/filters.py) and the account line under it (ui/auth.py).
FILTER_BAR = ".st-key-filter_bar"
ACCOUNT = ".st-key-account"
# The navigation: in the header, a link per page and the Themes menu; on a narrow screen, our own
# links in the sidebar (ui/navigation_links.py).
NAVIGATION = (
    '[data-testid="stTopNavLink"], [data-testid="stTopNavSection"], '
    '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]'
)

# The test command sets AUDIT_REQUIRE_BROWSER=1: there a missing chromium fails the run instead of
# skipping the browser tests silently.
if not Path(CHROMIUM).exists() and os.environ.get("AUDIT_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"Debian's chromium is needed for the browser tests ({CHROMIUM} missing)")

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dashboard(
    data_dir: Path, env: dict[str, str] | None = None, args: Sequence[str] = (), port: int = 0
) -> Iterator[str]:
    """Run the dashboard (as scripts/run.sh does) on 127.0.0.1 over `data_dir`; yield its URL."""
    port = port or free_port()
    environment = {**os.environ, "AUDIT_DATA_DIR": str(data_dir), **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", *args],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:  # poll the health endpoint: bounded in time
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"streamlit did not start:\n{output}")
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


# axe-core, installed from the npm registry by the test command (tests/browser/axe/package.json).
AXE = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (heading order among them).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# The rules switched off, each with its reason. Nothing else is.
ALLOWED = {
    # Streamlit's file uploader (the Data page) marks its drop zone role="presentation" and gives
    # it an aria-label (a minor finding): the button and the file input inside carry their own
    # labels.
    "presentation-role-conflict": "Streamlit's file drop zone: labelled controls inside it",
}


def axe_violations(page, also_allowed: dict[str, str] | None = None) -> list[dict]:
    """Run axe-core on the page; return its violations not in ALLOWED (rule, impact, where),
    nor in `also_allowed` (rule: reason) where a test says why."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({
                rule: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}));
        }""",
        AXE_TAGS,
    )
    return [v for v in found if v["rule"] not in {**ALLOWED, **(also_allowed or {})}]


def page_links(page) -> list[str]:
    """Return every page's address as the navigation offers it: the header's links, then the
    theme pages in its Themes menu (opened and closed again)."""
    links = page.locator('[data-testid="stTopNavLink"]')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    page.get_by_test_id("stTopNavSection").filter(has_text="Themes").click()
    themes = page.locator('[data-testid="stTopNavDropdownLink"]')
    themes.first.wait_for(timeout=APP_TIMEOUT_MS)
    hrefs += [themes.nth(i).get_attribute("href") for i in range(themes.count())]
    page.keyboard.press("Escape")
    return [href for href in hrefs if href]


def wait_until_idle(page) -> None:
    """Wait for the app to finish running: content drawn and no running indicator."""
    page.wait_for_selector(CONTENT, timeout=APP_TIMEOUT_MS)
    page.wait_for_selector(IDLE, state="attached", timeout=APP_TIMEOUT_MS)


async def wait_until_idle_async(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """wait_until_idle for Playwright's async API."""
    await page.wait_for_selector(CONTENT, timeout=timeout_ms)
    await page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)


def wait_for_charts(page) -> None:
    """Wait until the browser has drawn every plotly chart of the page (for screenshots)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        ".every(chart => chart.querySelector('.main-svg'))",
        timeout=APP_TIMEOUT_MS,
    )


def pick_option(page, combobox, option: str) -> None:
    """Open a select box's menu and click one option (a click that only focused opens no menu:
    the arrow key then does)."""
    combobox.click()
    if combobox.get_attribute("aria-expanded") != "true":
        page.keyboard.press("ArrowDown")
    page.get_by_role("option", name=option).click()


async def pick_option_async(page, combobox, option: str) -> None:
    """pick_option for Playwright's async API."""
    await combobox.click()
    if await combobox.get_attribute("aria-expanded") != "true":
        await page.keyboard.press("ArrowDown")
    await page.get_by_role("option", name=option).click()


def assert_no_exception(page, where: str) -> None:
    """Fail if the page shows a Streamlit exception box."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"{where}: {exceptions.first.inner_text()}"


def upload_on_data_page(page, url: str, upload: Path) -> None:
    """Open the Data page, choose `upload` in its own file uploader and wait for the page's
    check of it (its "Standards answered" table)."""
    from playwright.sync_api import expect

    page.goto(f"{url}/data")
    wait_until_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    expect(page.get_by_text("Standards answered", exact=True)).to_be_visible(timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)


def confirm_import(page, cases: int, done_text: str) -> None:
    """Click the Data page's "Import N cases" button and wait until it says `done_text`."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=f"Import {cases} cases").click()
    expect(page.get_by_text(done_text)).to_be_visible(timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    assert_no_exception(page, "data page after the import")
