"""Sign-in for real: a real OpenID Connect provider (oidc-provider-mock) on this machine, the
dashboard under `streamlit run` with [auth] configured, and Debian's chromium. Then ten signed-in
sessions at once, each changing filters and exporting, with the audit trail checked."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from browser_helpers import (
    ACCOUNT,
    APP_TIMEOUT_MS,
    ARTIFACTS,
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    FILTER_BAR,
    NAVIGATION,
    axe_violations,
    dashboard,
    free_port,
    pick_option_async,
    wait_until_idle,
    wait_until_idle_async,
)
from ingest_helpers import copy_store

from analytics import audit_trail, export, views
from analytics.domain import QUADRANT_LABELS, QUADRANTS, Filters
from analytics.store import Store

pytestmark = BROWSER_MARKS

SESSIONS = 10
SESSIONS_TIMEOUT_S = 600
# Ten tabs drawing charts at once on a 2-core machine: each step may wait longer than alone; the
# whole run stays bounded by SESSIONS_TIMEOUT_S.
CROWD_STEP_TIMEOUT_MS = 180_000
COOKIE_SECRET = "a-test-cookie-secret-of-decent-length"
SIGN_IN_COOKIE = "_streamlit_user"  # Streamlit's signed sign-in cookie (itsdangerous)


@dataclass(frozen=True)
class User:
    email: str
    role: str
    home: str | None = None  # an inspection lead's quadrant

    @property
    def roles_line(self) -> str:
        home = f', quadrant = "{self.home}"' if self.home else ""
        return f'"{self.email}" = {{ role = "{self.role}"{home} }}'


READER = User("reader@council.example", "reader")
LEAD_NE = User("lead.ne@council.example", "inspection_lead", "NE")
# Exports only in the download test (the crowd's exports are counted in the audit trail).
EXPORTER = User("director.downloads@council.example", "leadership")
# Ten people at once: a lead per quadrant, and leadership and analysts with no home quadrant.
CROWD = [
    *(User(f"lead.{q.lower()}@council.example", "inspection_lead", q) for q in QUADRANTS),
    *(User(f"director{i}@council.example", "leadership") for i in range(3)),
    *(User(f"analyst{i}@council.example", "analyst") for i in range(3)),
]
assert len(CROWD) == SESSIONS


@dataclass(frozen=True)
class Site:
    url: str
    oidc: str
    data_dir: Path


@pytest.fixture(scope="module")
def site(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The provider, and the dashboard configured to sign in with it, over a copy of the sample."""
    import oidc_provider_mock

    folder = tmp_path_factory.mktemp("signin")
    data_dir = copy_store(sample_dir, folder / "data")
    users = {u.email: u for u in (READER, LEAD_NE, EXPORTER, *CROWD)}
    roles = folder / "roles.toml"
    roles.write_text("[users]\n" + "\n".join(u.roles_line for u in users.values()) + "\n")
    with oidc_provider_mock.run_server_in_thread() as provider:
        oidc = f"http://localhost:{provider.server_port}"
        for user in users.values():
            claims = {"email": user.email, "name": user.email.split("@")[0]}
            assert httpx.put(f"{oidc}/users/{quote(user.email)}", json=claims).status_code == 204
        port = free_port()
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{COOKIE_SECRET}"\n'
            'client_id = "audit-insight"\nclient_secret = "not-a-real-secret"\n'
            f'server_metadata_url = "{oidc}/.well-known/openid-configuration"\n'
        )
        env = {"AUDIT_ROLES_FILE": str(roles)}
        with dashboard(data_dir, env, ["--secrets.files", str(secrets)], port) as url:
            yield Site(url, oidc, data_dir)


def sign_in(page, site: Site, email: str) -> None:
    """Sign in through the provider's form and wait for the dashboard to finish running."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.oidc}/**", timeout=APP_TIMEOUT_MS)
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{site.url}/**", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)


def test_signed_out_only_the_sign_in_page(site, chromium_browser):
    page = chromium_browser.new_page()
    for path in ("", "/data", "/permanency?quadrant=NE"):
        page.goto(site.url + path)
        wait_until_idle(page)
        assert page.get_by_role("button").filter(has_text="Sign in").count() == 1
        assert page.locator(NAVIGATION).count() == 0
        assert page.locator('[data-testid="stDataFrame"], .js-plotly-plot').count() == 0
    page.close()


def test_the_sign_in_page_and_the_account_line_pass_axe(site, chromium_browser):
    page = chromium_browser.new_context().new_page()
    page.goto(site.url)
    wait_until_idle(page)
    assert axe_violations(page) == []  # the sign-in page (WCAG 2.2 AA: test_accessibility.py)
    sign_in(page, site, LEAD_NE.email)
    page.wait_for_url("**quadrant=NE**", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    assert axe_violations(page) == []  # signed in: the account line and its Sign out button
    page.close()


def test_a_lead_signs_in_lands_on_their_quadrant_and_signs_out(site, chromium_browser):
    from playwright.sync_api import expect

    page = chromium_browser.new_context().new_page()
    page.goto(site.url)
    wait_until_idle(page)
    sign_in(page, site, LEAD_NE.email)
    page.wait_for_url("**quadrant=NE**", timeout=APP_TIMEOUT_MS)
    expect(page.locator(ACCOUNT)).to_contain_text("Signed in: lead.ne · Role: Inspection lead")
    expect(page.locator(FILTER_BAR).get_by_text("NE · North East")).to_be_visible()
    assert page.locator(NAVIGATION).count() >= 5  # four pages and the Themes menu
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signed-in-lead-NE.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.oidc}/**", timeout=APP_TIMEOUT_MS)
    page.get_by_role("button", name="End session").click()  # the provider confirms
    page.wait_for_url(f"{site.url}/**", timeout=APP_TIMEOUT_MS)
    wait_until_idle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.locator(NAVIGATION).count() == 0


def test_a_reader_cannot_import(site, chromium_browser):
    from playwright.sync_api import expect

    page = chromium_browser.new_context().new_page()
    page.goto(site.url)
    wait_until_idle(page)
    sign_in(page, site, READER.email)
    page.goto(f"{site.url}/data")
    wait_until_idle(page)
    expect(page.get_by_text("needs the QA analyst role")).to_be_visible()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert page.get_by_role("heading", name="Audit trail").count() == 0
    page.goto(f"{site.url}/permanency")
    wait_until_idle(page)
    expect(page.get_by_text("Exports need the inspection lead").first).to_be_visible()
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0


def signed_cookie(secret: str, claims: dict) -> str:
    """A sign-in cookie header for `claims`, signed as Streamlit signs it, with `secret`."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    value = create_signed_value(secret, SIGN_IN_COOKIE, json.dumps(claims)).decode()
    return f"{SIGN_IN_COOKIE}={value}"


def test_a_download_is_served_to_the_signed_in_only(site, chromium_browser):
    context = chromium_browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(site.url)
    wait_until_idle(page)
    sign_in(page, site, EXPORTER.email)
    page.goto(f"{site.url}/permanency")
    wait_until_idle(page)
    with page.expect_download(timeout=APP_TIMEOUT_MS) as info:
        page.locator(".st-key-dl_permanency_qc_csv").get_by_role("button", name="CSV").click()
    download = info.value
    assert download.failure() is None
    data = download.path().read_bytes()
    url = download.url
    assert url.startswith(f"{site.url}/media/") and url.endswith(".csv"), url
    assert data.startswith(b"\xef\xbb\xbfAudit Insight,")  # the export, not an error page

    own = context.request.get(url)  # the user's browser, as a second tab would ask
    assert (own.status, own.body()) == (200, data)
    cookie = next(c["value"] for c in context.cookies() if c["name"] == SIGN_IN_COOKIE)
    alone = httpx.get(url, headers={"Cookie": f"{SIGN_IN_COOKIE}={cookie}"})
    assert (alone.status_code, alone.content) == (200, data)  # the cookie is what counts

    middle = len(cookie) // 2
    garbled = cookie[:middle] + ("A" if cookie[middle] != "A" else "B") + cookie[middle + 1 :]
    claims = {"email": EXPORTER.email, "is_logged_in": True, "origin": site.url}
    refused = {
        "no cookie": {},
        "a garbled cookie": {"Cookie": f"{SIGN_IN_COOKIE}={garbled}"},
        "a cookie signed with another secret": {
            "Cookie": signed_cookie("another-secret-of-the-same-length!!", claims)
        },
        "a signed cookie that says signed out": {
            "Cookie": signed_cookie(COOKIE_SECRET, {**claims, "is_logged_in": False})
        },
        "a signed-in user the roles file does not know": {
            "Cookie": signed_cookie(COOKIE_SECRET, {**claims, "email": "nobody@elsewhere.example"})
        },
    }
    for what, headers in refused.items():
        response = httpx.get(url, headers=headers)
        assert response.status_code in (401, 403), (what, response.status_code)
        assert data not in response.content, what
    context.close()


def expected_quadrants(index: int, user: User) -> tuple[str, ...]:
    """The quadrants session `index` ends with: its home (if any) plus the one it picks."""
    picked = QUADRANTS[(index + 1) % 4] if user.home else QUADRANTS[index % 4]
    return (user.home, picked) if user.home else (picked,)


async def crowd_session(
    browser, site: Site, index: int, user: User, timings: list[float], focus: asyncio.Lock
) -> dict:
    """One person: sign in, open permanency, pick a quadrant, export the quadrant comparison's CSV.

    The ten pages share one browser window's focus, and an open drop-down closes when another
    page takes focus; `focus` serialises only that gesture (open, pick), never the server's work.
    """

    async def timed(action):
        start = time.perf_counter()
        result = await action()
        timings.append(time.perf_counter() - start)
        return result

    context = await browser.new_context(accept_downloads=True)
    context.set_default_timeout(CROWD_STEP_TIMEOUT_MS)
    page = await context.new_page()
    await timed(lambda: page.goto(site.url))
    await wait_until_idle_async(page, CROWD_STEP_TIMEOUT_MS)

    async def sign_in_async():
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{site.oidc}/**", timeout=CROWD_STEP_TIMEOUT_MS)
        await page.get_by_placeholder("sub").fill(user.email)
        await page.get_by_role("button", name="Authorize").click()
        await page.wait_for_url(f"{site.url}/**", timeout=CROWD_STEP_TIMEOUT_MS)
        await wait_until_idle_async(page, CROWD_STEP_TIMEOUT_MS)

    await timed(sign_in_async)

    async def open_theme():
        await page.goto(f"{site.url}/permanency")
        await wait_until_idle_async(page, CROWD_STEP_TIMEOUT_MS)

    await timed(open_theme)
    want = expected_quadrants(index, user)

    async def pick_quadrant():
        combo = page.locator(FILTER_BAR).get_by_role("combobox", name="Quadrant")
        async with focus:
            await page.bring_to_front()
            await pick_option_async(page, combo, f"{want[-1]} · {QUADRANT_LABELS[want[-1]]}")
        await page.wait_for_url(f"**quadrant={want[-1]}**", timeout=CROWD_STEP_TIMEOUT_MS)
        await page.keyboard.press("Escape")
        await wait_until_idle_async(page, CROWD_STEP_TIMEOUT_MS)

    try:
        await timed(pick_quadrant)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"crowd-{index}-failed.png"), full_page=True)
        raise

    async def download_csv():
        async with page.expect_download(timeout=CROWD_STEP_TIMEOUT_MS) as info:
            # The quadrant comparison's CSV: ui.render keys its buttons dl_<theme>_qc_<format>.
            await (
                page.locator(".st-key-dl_permanency_qc_csv")
                .get_by_role("button", name="CSV")
                .click()
            )
        download = await info.value
        failure = await download.failure()
        if failure:
            await page.screenshot(
                path=str(ARTIFACTS / f"crowd-{index}-download.png"), full_page=True
            )
        assert failure is None, f"{user.email}: the download failed ({failure}, {download.url})"
        return Path(await download.path()).read_bytes()

    data = await timed(download_csv)
    await wait_until_idle_async(page, CROWD_STEP_TIMEOUT_MS)
    url = page.url
    shown = (
        await page.locator(FILTER_BAR)
        .get_by_role("combobox", name="Quadrant")
        .evaluate("e => e.closest('[data-testid=\"stMultiSelect\"]').innerText")
    )
    await context.close()
    return {"user": user, "want": want, "csv": data, "url": url, "shown": shown}


def csv_rows(data: bytes) -> tuple[dict[str, str], list[list[str]]]:
    """Split an export CSV into its header block and its table rows."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    blank = rows.index([])
    return {r[0]: r[1] for r in rows[:blank]}, rows[blank + 1 :]


def test_ten_sessions_at_once_keep_their_filters_and_export_correctly(site):
    from playwright.async_api import async_playwright

    timings: list[float] = []

    async def run_all() -> list[dict]:
        async with async_playwright() as playwright:
            chromium = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            try:
                focus = asyncio.Lock()
                sessions = [
                    crowd_session(chromium, site, i, u, timings, focus) for i, u in enumerate(CROWD)
                ]
                return await asyncio.wait_for(asyncio.gather(*sessions), SESSIONS_TIMEOUT_S)
            finally:
                await chromium.close()

    started = time.perf_counter()
    # Its own thread, so its event loop never meets the sync API's loop of the other tests.
    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(asyncio.run, run_all()).result()
    elapsed = time.perf_counter() - started

    store = Store(site.data_dir)
    for result in results:
        want = result["want"]
        assert all(f"quadrant={q}" in result["url"] for q in want), result["url"]
        assert not any(f"quadrant={q}" in result["url"] for q in QUADRANTS if q not in want)
        assert all(f"{q} · {QUADRANT_LABELS[q]}" in result["shown"] for q in want)
        header, table = csv_rows(result["csv"])
        assert header["Filters"] == Filters(quadrants=want).describe()
        assert header["Mode"] == "standard"
        view = views.chart_view(store, "quadrant_comparison", "permanency", Filters(quadrants=want))
        assert table == csv_rows(export.chart_csv(store, view))[1]  # exactly the plotted numbers

    trail = audit_trail.read_trail(site.data_dir)
    exports = trail[(trail["action"] == "export") & (trail["user"].isin([u.email for u in CROWD]))]
    assert sorted(exports["user"]) == sorted(u.email for u in CROWD)  # each exactly once
    by_user = dict(zip(exports["user"], exports["quadrants"], strict=True))
    assert by_user == {r["user"].email: ",".join(r["want"]) for r in results}
    assert set(exports["outcome"]) == {"done"} and set(exports["theme_id"]) == {"permanency"}

    p95 = statistics.quantiles(timings, n=20)[-1]
    report = (
        f"{SESSIONS} sessions, {len(timings)} timed actions in {elapsed:.1f} s; "
        f"action p50 {statistics.median(timings):.2f} s, p95 {p95:.2f} s, max {max(timings):.2f} s"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "concurrency.txt").write_text(report + "\n")
    print(report)
