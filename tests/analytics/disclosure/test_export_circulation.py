"""For circulation, no word or picture of an export shows what its table hides."""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import numpy as np
import pytest
from fixtures_export import image_server  # noqa: F401
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from analytics import narrative
from analytics.disclosure import export_view, for_circulation, stamp_text, stamped
from analytics.domain import COUNTY, Filters
from analytics.export import build_pack, pack_charts, view_bytes
from analytics.views import chart_view, theme_titles

C = "c"
MADE_ON = dt.date(2020, 6, 1)


def pct(value: float) -> str:
    return narrative.pct(value)


def hidden_rows(shown, column: str) -> list[int]:
    return [i for i, v in enumerate(shown[column]) if v == C]


def forbidden(view, threshold: int) -> list[re.Pattern]:
    """Phrases that would quote a value the circulated table hides, for one chart."""
    data = view.data.reset_index(drop=True)
    shown = for_circulation(view, view.name, threshold)
    found: list[str] = []
    if view.name == "quadrant_comparison":
        for i in hidden_rows(shown, "pct_met"):
            if data["quadrant"].iat[i] == COUNTY and data["n"].iat[i] > 0:
                found.append(rf"{data['question_id'].iat[i]} \({pct(data['pct_met'].iat[i])}")
    if view.name == "finding_frequency":
        for i in hidden_rows(shown, "pct_not_met"):
            if data["scope"].iat[i] == "Selection":
                found.append(rf"{data['question_id'].iat[i]} {pct(data['pct_not_met'].iat[i])}")
    if view.name == "round_trend":
        for i in hidden_rows(shown, "pct_met_from"):
            found.append(rf"{data['question_id'].iat[i]} {pct(data['pct_met_from'].iat[i])} to")
        for i in hidden_rows(shown, "pct_met_to"):
            found.append(rf"{data['question_id'].iat[i]} \S+ to {pct(data['pct_met_to'].iat[i])}")
    if view.name == "cohort_profile":
        for i in hidden_rows(shown, "cases"):
            value, cases = data["value"].iat[i], int(data["cases"].iat[i])
            found.append(rf"\b{re.escape(str(value))} {cases}\b")
            found.append(rf"{re.escape(str(value))} \({cases} cases\)")
    cases = re.match(r"n=(\d+) cases", view.subtitle)
    if cases and 0 < int(cases.group(1)) < threshold:
        found.append(rf"n={cases.group(1)} cases")
    return [re.compile(p) for p in found]


def pack_texts(deck) -> list[str]:
    """Every text of a deck a reader can see: shapes, tables, notes, alt text."""
    out = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if shape.has_table:
                out += [c.text for row in shape.table.rows for c in row.cells]
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                out.append(shape._element.nvPicPr.cNvPr.get("descr"))
        out.append(slide.notes_slide.notes_text_frame.text)
    return out


@pytest.fixture(scope="module", params=[("placed_at_home", ()), ("permanency", ())])
def circulated_pack(request, sample, image_server):  # noqa: F811
    theme, quadrants = request.param
    chosen = Filters(quadrants=quadrants)
    data = build_pack(sample, theme, chosen, threshold=5, made_on=MADE_ON)
    views = [chart_view(sample, name, t, chosen) for name, t in pack_charts(sample, theme)]
    return Presentation(io.BytesIO(data)), views


def test_no_text_of_a_circulation_pack_quotes_a_hidden_value(circulated_pack):
    deck, views = circulated_pack
    text = "\n".join(pack_texts(deck))
    patterns = [p for view in views for p in forbidden(view, 5)]
    assert len(patterns) >= 5  # these cohorts are small: much is hidden
    for pattern in patterns:
        assert not pattern.search(text), pattern.pattern


def test_the_reviewed_leaks_are_gone(sample):
    # placed_at_home, county: HOME-06 is 1 of 10 met (10%), hidden in the table.
    view = chart_view(sample, "quadrant_comparison", "placed_at_home")
    assert "HOME-06 (10% met)" in view.title  # the standard mode says it ...
    assert "HOME-06" not in export_view(view, 5).title  # ... the circulated title does not
    cohort = export_view(chart_view(sample, "cohort_profile", "placed_at_home"), 5)
    assert cohort.title == "10 cases audited (NW c; NE c; SW c; SE c)"
    grades = cohort.figure.data[4]  # quadrant, team, gender, age band, grade
    assert "Good" in list(grades.x)
    assert list(grades.text)[list(grades.x).index("Good")] == C  # the picture said "2"
    trend = chart_view(sample, "round_trend", "permanency")
    row = trend.data.reset_index(drop=True).query("question_id == 'PERM-05'").iloc[0]
    assert bool(row["beyond_chance"]) and f"PERM-05 up from {pct(row['pct_met_from'])} to" in (
        trend.alt_text
    )
    assert f"PERM-05 {C} to {pct(row['pct_met_to'])}" in export_view(trend, 5).alt_text


def plotted(figure, trace_name: str, label: str) -> float | None:
    """The x value a trace plots at a y label (None where it plots nothing)."""
    for trace in figure.data:
        if trace.name == trace_name and label in list(trace.y):
            x = list(trace.x)[list(trace.y).index(label)]
            return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
    return None


def test_the_redrawn_quadrant_comparison_leaves_out_hidden_points(sample):
    view = chart_view(sample, "quadrant_comparison", "permanency")
    data = view.data.reset_index(drop=True)
    shown = for_circulation(view, view.name, 5)
    figure = export_view(view, 5).figure
    from analytics.charts import question_label

    checked = {True: 0, False: 0}
    for i in range(len(data)):
        if data["n"].iat[i] == 0:
            continue
        area = "County" if data["quadrant"].iat[i] == COUNTY else data["quadrant"].iat[i]
        label = question_label(data["question_id"].iat[i], data["text"].iat[i])
        hidden = shown["pct_met"].iat[i] == C
        x = plotted(figure, area, label)
        assert (x is None) if hidden else x == pytest.approx(data["pct_met"].iat[i])
        checked[hidden] += 1
    assert checked[True] and checked[False]
    marks = [t for t in figure.data if t.mode == "text"]
    assert marks and set(marks[0].text) == {C}


def test_the_redrawn_cohort_and_heatmap_show_c_not_the_count(sample):
    cohort = export_view(chart_view(sample, "cohort_profile", "placed_at_home"), 5).figure
    quadrant = cohort.data[0]  # NW 3, NE 2, SW 3, SE 2: all under 5
    assert set(quadrant.x) == {"NW", "NE", "SW", "SE"}
    assert list(quadrant.text) == [C] * 4 and list(quadrant.y) == [0] * 4
    view = chart_view(sample, "category_matrix", None)
    titles = theme_titles(sample)
    heat = next(t for t in export_view(view, 10, titles).figure.data if t.type == "heatmap")
    shown = for_circulation(view, view.name, 10)
    data = view.data.reset_index(drop=True)
    hidden = [i for i in range(len(data)) if shown["pct_met"].iat[i] == C]
    assert hidden
    for i in hidden:
        column = titles.get(data["theme_id"].iat[i], data["theme_id"].iat[i])
        r, c = list(heat.y).index(data["category"].iat[i]), list(heat.x).index(column)
        assert np.isnan(heat.z[r][c]) and heat.text[r][c].startswith(C)


def test_every_image_says_its_mode(sample, image_server):  # noqa: F811
    view = chart_view(sample, "quadrant_comparison", "missing")
    for threshold in (None, 5):
        annotations = [a.text for a in stamped(view.figure, threshold).layout.annotations]
        assert stamp_text(threshold) in annotations
        svg = view_bytes(sample, view, "svg", threshold).decode()
        words = "standard mode" if threshold is None else "for circulation: counts under 5"
        assert words in svg
    assert stamp_text(5).startswith("Audit Insight · for circulation: counts under 5 suppressed")


def test_a_standard_export_is_the_chart_as_on_screen(sample):
    view = chart_view(sample, "cohort_profile", "placed_at_home")
    assert export_view(view, None) is view


def test_notes_open_with_the_circulated_finding(sample, image_server):  # noqa: F811
    chosen = Filters(quadrants=("NE",))
    deck = Presentation(io.BytesIO(build_pack(sample, "permanency", chosen, threshold=5,
                                              made_on=MADE_ON)))  # fmt: skip
    view = chart_view(sample, "quadrant_comparison", "permanency", chosen)
    circulated = export_view(view, 5)
    # The standard finding compares NE with the county on every standard, hidden shares too.
    assert view.title != circulated.title
    slide = deck.slides[1]
    assert slide.shapes.title.text == circulated.title
    notes = slide.notes_slide.notes_text_frame.text
    assert notes.startswith(circulated.title + ".") and view.title not in notes
