"""In a real browser: the report drafted with a theme page's own buttons (draft, then download)
is an A4 DOCX, titled, whose action-plan table has columns sized to their content."""

from __future__ import annotations

import datetime as dt
import io
import time

from browser_helpers import BROWSER_MARKS, assert_no_exception, dashboard, wait_until_idle
from docx import Document
from docx.shared import Mm
from ingest_helpers import copy_store

from analytics import queries
from analytics.report_doc import wording
from analytics.store import Store

pytestmark = BROWSER_MARKS

THEME = "permanency"  # the sample's theme with the most actions on its own page
A4_MM, TOLERANCE_MM = (210, 297), 0.5
# The page offers no report without charts: drafting one draws every chart (kaleido).
DRAFT_TIMEOUT_MS = 240_000


def test_the_drafted_report_is_a4_with_fitted_action_columns(
    sample_dir, tmp_path, chromium_browser
):
    from playwright.sync_api import expect

    # Downloads are recorded in the store's audit trail: the dashboard works on a copy.
    data_dir = copy_store(sample_dir, tmp_path / "data")
    store = Store(data_dir)
    rounds = queries.rounds(store, THEME).set_index("round_id")
    default_round = queries.resolve_round(store, THEME, None)
    month = rounds.loc[default_round, "end_date"].strftime("%B %Y")
    started = time.monotonic()
    with dashboard(data_dir) as url:
        page = chromium_browser.new_page(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        page.goto(f"{url}/{THEME}")
        wait_until_idle(page)
        assert_no_exception(page, THEME)
        days = {dt.date.today()}
        page.get_by_role("button", name="Draft the report (Word)").click()
        download_button = page.get_by_role("button", name="Download the report (.docx)")
        expect(download_button).to_be_visible(timeout=DRAFT_TIMEOUT_MS)
        wait_until_idle(page)
        assert_no_exception(page, "after drafting the report")
        drafted = time.monotonic()
        with page.expect_download(timeout=DRAFT_TIMEOUT_MS) as download:
            download_button.click()
        days.add(dt.date.today())  # the name carries the day: the test may cross midnight
        name = download.value.suggested_filename
        document = Document(io.BytesIO(download.value.path().read_bytes()))
        wait_until_idle(page)
        assert_no_exception(page, "after downloading the report")
        page.close()
    seconds = {"draft": drafted - started, "all": time.monotonic() - started}

    assert name in {f"{THEME}-report-{day:%Y-%m-%d}.docx" for day in days}
    title = document.paragraphs[0]
    assert (title.style.name, title.text) == ("Title", f"{wording.REPORT_TITLE} \u2014 {month}")

    assert document.sections
    for section in document.sections:
        width_mm, height_mm = section.page_width / Mm(1), section.page_height / Mm(1)
        assert abs(width_mm - A4_MM[0]) <= TOLERANCE_MM, width_mm
        assert abs(height_mm - A4_MM[1]) <= TOLERANCE_MM, height_mm

    plans = [
        table
        for table in document.tables
        if tuple(cell.text for cell in table.rows[0].cells) == wording.ACTION_COLUMNS
    ]
    assert len(plans) == 1  # one theme, one action plan
    plan = plans[0]
    tracked = queries.action_status(store, theme=THEME)
    listed = sorted(row.cells[0].text for row in plan.rows[1:])
    assert listed == sorted(tracked.loc[tracked["kind"] == "action", "text"])  # not next steps
    widths_mm = [column.width / Mm(1) for column in plan.columns]
    assert len(set(widths_mm)) > 1, widths_mm  # not five equal columns
    first = document.sections[0]
    text_width_mm = (first.page_width - first.left_margin - first.right_margin) / Mm(1)
    assert abs(sum(widths_mm) - text_width_mm) <= TOLERANCE_MM, widths_mm  # fits the page
    print(f"report drafted in {seconds['draft']:.0f} s, test's browser part {seconds['all']:.0f} s")
