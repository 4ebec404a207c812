"""A real browser (Playwright driving Debian's chromium) against `streamlit run` on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_dir: Path) -> Iterator[str]:
    """Start the dashboard on the sample store; yield its base URL; stop it."""
    port = _free_port()
    env = {**os.environ, "AUDIT_DATA_DIR": str(sample_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:  # poll the health endpoint: bounded in time, no fixed sleep between checks
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
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_until_idle(page) -> None:
    """Wait for the app to finish running: content drawn and no running indicator."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=APP_TIMEOUT_MS)
    page.wait_for_selector(
        '[data-testid="stStatusWidget"]', state="detached", timeout=APP_TIMEOUT_MS
    )


def assert_no_exception(page, where: str) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"{where}: {exceptions.first.inner_text()}"


def test_every_page_loads_and_the_quadrant_filter_follows(server, chromium_browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    wait_until_idle(page)
    links = page.locator('[data-testid="stSidebarNav"] a')
    expect(links.first).to_be_visible(timeout=APP_TIMEOUT_MS)
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 13  # overview, 9 themes, across themes, actions, data
    for href in hrefs:
        page.goto(href)
        wait_until_idle(page)
        assert_no_exception(page, href)
        name = href.rstrip("/").rsplit("/", 1)[-1] or "overview"
        if href.rstrip("/") == server.rstrip("/"):
            name = "overview"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    # An inspection lead picks North East on the permanency page: the URL and the charts follow.
    page.goto(f"{server}/permanency")
    wait_until_idle(page)
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="Quadrant").click()
    page.get_by_role("option", name="NE · North East").click()
    page.wait_for_url("**quadrant=NE**", timeout=APP_TIMEOUT_MS)
    expect(page.locator(".gtitle").first).to_contain_text("NE met", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    assert_no_exception(page, "permanency with NE")
    page.screenshot(path=str(ARTIFACTS / "permanency-NE.png"), full_page=True)

    # The copied link reopens the same view in a fresh session.
    shared = page.url
    other = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    other.goto(shared)
    wait_until_idle(other)
    expect(other.locator(".gtitle").first).to_contain_text("NE met", timeout=APP_TIMEOUT_MS)
    assert_no_exception(other, "shared link")
