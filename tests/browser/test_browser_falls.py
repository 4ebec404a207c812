"""A declining round, imported through the Data page's own uploader and import button, reads as a
fall in a real browser: the theme headline's change points down in the loss colour, and the
overview's row shows the fall."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from browser_helpers import (
    APP_TIMEOUT_MS,
    BROWSER_MARKS,
    assert_no_exception,
    confirm_import,
    dashboard,
    upload_on_data_page,
    wait_until_idle,
)
from ingest_helpers import copy_store
from playwright.sync_api import expect

from analytics import narrative, queries
from analytics.domain import QUADRANTS
from analytics.ingest.sample_round import workbook
from analytics.store import Store

pytestmark = BROWSER_MARKS

THEME, ROUND = "permanency", "2020-10-rereview"  # planned in the sample: the import completes it
QUESTIONS = [f"PERM-{i:02d}" for i in range(1, 11)]
CASES = 40


def declining_round() -> dict[str, pd.DataFrame]:
    """40 permanency cases answering every standard, one answer in ten met (the sample's final
    round meets far more): a fall beyond chance."""
    ids = [f"DROP-{i:03d}" for i in range(CASES)]
    cases = pd.DataFrame({
        "audit_id": ids, "theme_id": THEME, "round_id": ROUND,
        "quadrant": [QUADRANTS[i % 4] for i in range(CASES)],
        "team": ["Looked After" if i % 2 else "Family Safeguarding" for i in range(CASES)],
        "child_ref": [f"SYN-D{i:07d}" for i in range(CASES)],
        "audit_date": pd.Timestamp("2020-10-05"), "gender": "Female", "age_band": "5-9",
        "overall_grade": "Requires improvement",
    })  # fmt: skip
    responses = pd.DataFrame([
        {"audit_id": a, "question_id": q, "comment": "Seen on the case record.",
         "response": "Met" if (i + j) % 10 == 0 else "Not met"}
        for i, a in enumerate(ids) for j, q in enumerate(QUESTIONS)
    ])  # fmt: skip
    return {"cases": cases, "responses": responses}


def test_a_declining_round_shows_a_red_down_arrow_and_a_fall_on_the_overview(
    sample_dir: Path, tmp_path: Path, chromium_browser
):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    upload = tmp_path / "decline.xlsx"
    upload.write_bytes(workbook(declining_round()))
    with dashboard(data_dir) as url:
        page = chromium_browser.new_page(viewport={"width": 1440, "height": 1000})
        upload_on_data_page(page, url, upload)
        confirm_import(page, CASES, f"Imported {upload.name} as")

        # The expected figures are read from the store the page's import wrote.
        store = Store(data_dir)
        figures = queries.headline(store, THEME)
        change = figures["change"]
        assert figures["round_id"] == ROUND and change.change < 0 and change.beyond_chance
        expected_delta = narrative.signed_points(change.change).replace(narrative.MINUS, "-")
        row = queries.overview_table(store).set_index("theme").loc["Permanency for children"]
        expected_cell = f"{narrative.signed_points(row['change_pts'] / 100)}, beyond chance"
        assert expected_cell.startswith(narrative.MINUS)

        page.goto(f"{url}/{THEME}")
        wait_until_idle(page)
        assert_no_exception(page, THEME)
        metric = page.locator('[data-testid="stMetric"]').filter(
            has_text="Change since previous round"
        )
        value = metric.locator('[data-testid="stMetricValue"]').inner_text()
        assert (
            value
            == f"{narrative.pct(figures['pct_met_previous'])} → {narrative.pct(figures['pct_met'])}"
        )
        delta = metric.locator('[data-testid="stMetricDelta"]')
        assert delta.inner_text().strip() == expected_delta
        # Streamlit names its arrow by direction: the down arrow, never the up one.
        assert delta.locator('[data-testid="stMetricDeltaIcon-Down"]').count() == 1
        assert delta.locator('[data-testid="stMetricDeltaIcon-Up"]').count() == 0
        red, green, blue = delta.evaluate(
            "e => getComputedStyle(e).color.match(/\\d+/g).slice(0, 3).map(Number)"
        )
        assert red > 120 and red > green + 60 and red > blue + 60, (red, green, blue)
        description = metric.locator('[data-testid="stMetricDeltaDescription"]').inner_text()
        assert description.strip() == "beyond chance"

        page.goto(url)
        wait_until_idle(page)
        assert_no_exception(page, "overview")
        row = (
            page.locator('[data-testid="stDataFrame"]')
            .first.locator('[role="row"]')
            .filter(has_text="Permanency for children")
        )
        # The grid fills its (screen-reader) cells just after the run ends: wait for the cell.
        cell = row.first.locator('[role="gridcell"]').filter(has_text=expected_cell)
        expect(cell).to_have_count(1, timeout=APP_TIMEOUT_MS)
        cells = [c.inner_text() for c in row.first.locator('[role="gridcell"]').all()]
        assert expected_cell in cells, cells
        page.close()
