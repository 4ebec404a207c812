"""The data behind a chart as CSV and XLSX: header block, exact numbers, formula safety."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from fixtures_export import HOSTILE, hostile, hostile_dir  # noqa: F401

from analytics.chart_specs import CHARTS
from analytics.domain import Filters
from analytics.export import chart_csv, chart_xlsx, export_table, screen_table
from analytics.formulas import neutralise
from analytics.views import chart_view

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
MADE_ON = dt.date(2020, 5, 1)


def read_csv(data: bytes) -> tuple[list[list[str]], list[list[str]]]:
    """Return (header block rows, table rows) of an exported CSV."""
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    blank = rows.index([])
    return rows[:blank], rows[blank + 1 :]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("start", DANGEROUS)
def test_neutralise_quotes_every_formula_start(start):
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise(f"a{start}") == f"a{start}"


def test_tiny_quadrant_comparison_csv_whole_rows(tiny):
    view = chart_view(tiny, "quadrant_comparison", "alpha")
    header, rows = read_csv(chart_csv(tiny, view, None, MADE_ON))
    assert dict(header)["Theme"] == "Alpha theme"
    assert dict(header)["Round"] == "Round two"
    assert dict(header)["Filters"] == "all quadrants (county); all teams"
    assert dict(header)["Date"] == "2020-05-01"
    assert dict(header)["Mode"] == "standard"
    # Where the numbers come from, in words: never a path on the server.
    assert dict(header)["Data source"] == (
        "Audit Insight store: synthetic sample data; no real child is described; "
        f"store snapshot {tiny.snapshot}"
    )
    assert str(tiny.data_dir) not in ",".join(v for _, v in header)
    assert rows[0] == ["Question", "Standard", "Category", "Area", "n", "Met", "Partially met",
                       "Not met", "Not applicable", "pct met", "95% CI low (pct)",
                       "95% CI high (pct)"]  # fmt: skip
    # Hand-computed from tests/conftest.py's tiny store (round two): Wilson bounds to 0.1 pt.
    assert rows[1:] == [
        ["Q1", "Visits are timely", "Timeliness", "NW", "2", "1", "0", "1", "0", "50", "9.5", "90.5"],
        ["Q1", "Visits are timely", "Timeliness", "NE", "1", "1", "0", "0", "0", "100", "20.7", "100"],
        ["Q1", "Visits are timely", "Timeliness", "SW", "1", "0", "1", "0", "0", "0", "0", "79.3"],
        ["Q1", "Visits are timely", "Timeliness", "SE", "0", "0", "0", "0", "0", "", "", ""],
        ["Q1", "Visits are timely", "Timeliness", "County", "4", "2", "1", "1", "0", "50", "15", "85"],
        ["Q2", "The child is heard", "Voice of the child", "NW", "1", "1", "0", "0", "1", "100", "20.7", "100"],
        ["Q2", "The child is heard", "Voice of the child", "NE", "1", "0", "0", "1", "0", "0", "0", "79.3"],
        ["Q2", "The child is heard", "Voice of the child", "SW", "1", "0", "0", "1", "0", "0", "0", "79.3"],
        ["Q2", "The child is heard", "Voice of the child", "SE", "0", "0", "0", "0", "0", "", "", ""],
        ["Q2", "The child is heard", "Voice of the child", "County", "3", "1", "0", "2", "1", "33.3", "6.1", "79.2"],
    ]  # fmt: skip


def test_circulation_csv_says_its_mode_and_shows_c(tiny):
    view = chart_view(tiny, "quadrant_comparison", "alpha", Filters(quadrants=("NW",)))
    header, rows = read_csv(chart_csv(tiny, view, 5, MADE_ON))
    assert dict(header)["Mode"] == "for circulation: counts under 5 suppressed"
    assert dict(header)["Filters"] == "NW; all teams"
    # Every count in the tiny store is under 5: all non-zero counts and every share go.
    county_q1 = rows[5]
    assert county_q1[:4] == ["Q1", "Visits are timely", "Timeliness", "County"]
    assert county_q1[4:] == ["c", "c", "c", "c", "0", "c", "c", "c"]
    # A circulated header quotes only what the table shows: NW's shares and the county's all
    # rest on counts under 5, so the finding names none, and NW's 2 cases are not given.
    assert dict(header)["Chart"].startswith("Quadrant comparison")
    assert dict(header)["Finding"] == "NW and the county: shares not shown (c)"
    assert dict(header)["Subtitle"] == "n=c cases · Round two · NW; all teams"


@pytest.mark.parametrize("name", CHARTS)
def test_csv_numbers_are_the_plotted_numbers(sample, name):
    theme = None if CHARTS[name].scope == "every_theme" else "permanency"
    view = chart_view(sample, name, theme)
    _, rows = read_csv(chart_csv(sample, view, None))
    table = export_table(view)
    assert len(rows) - 1 == len(view.data) == len(table)
    if "n" in table.columns:
        assert [int(v) for v in (r[rows[0].index("n")] for r in rows[1:])] == view.data[
            "n"
        ].tolist()
    if "pct met" in table.columns:
        column = rows[0].index("pct met")
        expected = [round(v * 100, 1) for v in view.data["pct_met"]]
        assert [float(r[column]) for r in rows[1:]] == expected


def test_hostile_text_is_inert_in_csv(hostile):  # noqa: F811
    for name in ("quadrant_comparison", "finding_frequency", "round_trend", "cohort_profile"):
        view = chart_view(hostile, name, "alpha", Filters(teams=("@T1", "-T2")))
        header, rows = read_csv(chart_csv(hostile, view, None, MADE_ON))
        cells = [cell for row in header + rows for cell in row]
        for cell in cells:
            assert not cell.startswith(DANGEROUS) or is_number(cell), (name, cell)
        if name != "cohort_profile":
            assert "'" + HOSTILE in cells
        assert dict(header)["Filters"] == "all quadrants (county); @T1, -T2"  # not at the start
    profile = chart_view(hostile, "cohort_profile", "alpha")
    _, rows = read_csv(chart_csv(hostile, profile))
    assert ["team", "'-T2", "1", "25"] in rows and ["team", "'@T1", "3", "75"] in rows


def test_negative_numbers_stay_numbers_in_csv(tiny):
    view = chart_view(tiny, "round_trend", "alpha")
    _, rows = read_csv(chart_csv(tiny, view))
    change = rows[0].index("Change (pct points)")
    assert [r[change] for r in rows[1:]] == ["50", "-16.7"]


def test_hostile_text_is_inert_in_xlsx(hostile):  # noqa: F811
    view = chart_view(hostile, "quadrant_comparison", "alpha", Filters(teams=("@T1",)))
    book = openpyxl.load_workbook(io.BytesIO(chart_xlsx(hostile, view, None, MADE_ON)))
    sheet = book["Data"]
    texts, numbers = [], []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # never a formula
            if isinstance(cell.value, str):
                assert not cell.value.startswith(DANGEROUS), (cell.coordinate, cell.value)
                texts.append(cell.value)
            elif cell.value is not None:
                numbers.append(cell.value)
    assert "'" + HOSTILE in texts
    assert "'+SUM(1,2) the child is heard" in texts
    assert all(isinstance(v, int | float) for v in numbers) and numbers


def test_xlsx_has_the_header_block_and_typed_numbers(tiny):
    view = chart_view(tiny, "quadrant_comparison", "alpha")
    sheet = openpyxl.load_workbook(io.BytesIO(chart_xlsx(tiny, view, 5, MADE_ON)))["Data"]
    labels = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, 12)}
    assert labels["Theme"] == "Alpha theme"
    assert labels["Round"] == "Round two"
    assert labels["Mode"] == "for circulation: counts under 5 suppressed"
    assert labels["Date"] == "2020-05-01"
    top = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Question")
    assert sheet.cell(top + 1, 5).value == "c"  # n of NW: 2, suppressed
    assert sheet.cell(top + 4, 9).value == 0  # zero stays a number
    plain = openpyxl.load_workbook(io.BytesIO(chart_xlsx(tiny, view, None, MADE_ON)))["Data"]
    assert plain.cell(top + 5, 5).value == 4 and plain.cell(top + 5, 10).value == 50.0


def test_screen_table_is_typed_unless_suppressed(tiny):
    view = chart_view(tiny, "quadrant_comparison", "alpha")
    plain = screen_table(view)
    assert plain["n"].dtype.kind == "i" and plain["pct met"].dtype.kind == "f"
    circulated = screen_table(view, 5)
    assert circulated["n"].tolist()[:2] == ["c", "c"]


def test_finding_frequency_and_round_trend_carry_intervals_and_theme_titles(tiny):
    view = chart_view(tiny, "finding_frequency", "alpha")
    _, rows = read_csv(chart_csv(tiny, view, None, MADE_ON))
    head = rows[0]
    assert head[head.index("pct not met") + 1 : head.index("pct not met") + 3] == [
        "95% CI low, not met (pct)",
        "95% CI high, not met (pct)",
    ]
    # Q2 in round two: 2 of 3 not met; Wilson 95% interval 20.8% to 93.9%, by hand:
    # p = 2/3, z = 1.96: centre (p + z^2/2n) / (1 + z^2/n) = 0.5731, half-width 0.3654.
    q2 = next(r for r in rows[1:] if r[head.index("Question")] == "Q2" and r[1] == "County")
    at = head.index("95% CI low, not met (pct)")
    assert q2[at : at + 2] == ["20.8", "93.9"]
    assert {r[head.index("Theme")] for r in rows[1:]} == {"Alpha theme"}
    trend = chart_view(tiny, "round_trend", "alpha")
    _, rows = read_csv(chart_csv(tiny, trend, None, MADE_ON))
    head = rows[0]
    for side in ("from", "to"):
        assert f"95% CI low ({side}, pct)" in head and f"95% CI high ({side}, pct)" in head
    # Q1, round one: 0 of 2 met: centre 0.9604 / 2.9208 = 0.3288, half-width the same.
    q1 = rows[1]
    assert q1[head.index("95% CI low (from, pct)") : head.index("95% CI high (from, pct)") + 1] == [
        "0",
        "65.8",
    ]
    # For circulation an interval goes with the count it rests on.
    _, rows = read_csv(chart_csv(tiny, trend, 5, MADE_ON))
    assert rows[1][head.index("95% CI low (from, pct)")] == "c"


def test_file_names_say_the_mode():
    from analytics.export import file_name

    day = dt.date(2020, 6, 1)
    chosen = Filters(quadrants=("NE",))
    assert file_name("csv", "permanency", "round_trend", chosen, day) == (
        "audit-insight_permanency_round-trend_NE_2020-06-01.csv"
    )
    assert file_name("pptx", None, None, Filters(), day, threshold=5) == (
        "audit-insight_all-themes_slide-pack_for-circulation_2020-06-01.pptx"
    )
