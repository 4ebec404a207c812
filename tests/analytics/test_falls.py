"""A fall between rounds reads as a fall everywhere it is summarised: the headline metric (arrow
down, the loss colour beyond chance), titles, alt text, speaker notes, the slide pack, the
drafted report and the overview. The sample data only ever improves, so these stores fall.

Two hand-made stores (theme alpha, standards Q1 and Q2, rounds r1 then r2):

- **noise**: the tiny store with its rounds swapped. r1 = cases A1-A4 (3 of 7 met), r2 = B1, B2
  (1 of 4 met): a fall of 5/28 (18 points), within noise (case level: 2 of 4 against 1 of 2,
  Fisher p = 1).
- **fall**: 20 cases a round, 5 per quadrant. r1: Q1 met in all 20, Q2 in 16 (36 of 40, 90%);
  r2: Q1 met in 4, Q2 in 8 (12 of 40, 30%): a fall of 60 points, beyond chance (case level,
  answers / 2: 18 of 20 against 6 of 20). Q1 100% to 20%, Q2 80% to 40%: both beyond chance.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import docx
import pandas as pd
import pytest
from conftest import tiny_tables
from fixtures_export import image_server  # noqa: F401
from paths import ROOT
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from analytics import narrative, queries
from analytics.domain import QUADRANTS, Filters
from analytics.export import build_pack
from analytics.narrative import Metric, headline_metrics
from analytics.report_doc import build_report
from analytics.stats import ChangeResult
from analytics.store import Store, write_new_store
from analytics.views import chart_view

MADE_ON = dt.date(2020, 6, 1)


def fisher_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher's exact p for [[a, b], [c, d]], from the hypergeometric law: the sum of
    the probabilities of every table with the same margins no likelier than the one seen."""
    row, column, total = a + b, a + c, a + b + c + d

    def probability(x: int) -> float:
        return math.comb(column, x) * math.comb(total - column, row - x) / math.comb(total, row)

    seen = probability(a)
    low, high = max(0, row + column - total), min(row, column)
    return sum(p for x in range(low, high + 1) if (p := probability(x)) <= seen * (1 + 1e-7))


def noise_tables() -> dict[str, pd.DataFrame]:
    """The tiny store with rounds r1 and r2 swapped: its later round is the worse one."""
    tables = tiny_tables()
    swap = {"r1": "r2", "r2": "r1"}
    for name in ("cases", "responses"):
        tables[name] = tables[name].assign(round_id=tables[name]["round_id"].map(swap))
    tables["quotes"] = tables["quotes"].assign(round_id="r1")
    return tables


def fall_tables() -> dict[str, pd.DataFrame]:
    """20 cases a round; r2 meets Q1 in 4 (not 20) and Q2 in 8 (not 16)."""
    tables = tiny_tables()
    met = {("r1", "Q1"): 20, ("r1", "Q2"): 16, ("r2", "Q1"): 4, ("r2", "Q2"): 8}
    cases, responses = [], []
    for round_id, day, grade in (("r1", dt.date(2020, 1, 2), "Good"),
                                 ("r2", dt.date(2020, 4, 2), "Requires improvement")):  # fmt: skip
        for i in range(20):
            audit_id, quadrant, team = f"{round_id}-{i:02d}", QUADRANTS[i % 4], "T1"
            cases.append({
                "audit_id": audit_id, "theme_id": "alpha", "round_id": round_id,
                "quadrant": quadrant, "team": team, "child_ref": f"SYN-{audit_id}",
                "audit_date": day, "gender": "Female", "age_band": "5-9", "overall_grade": grade,
            })  # fmt: skip
            for question in ("Q1", "Q2"):
                responses.append({
                    "audit_id": audit_id, "theme_id": "alpha", "round_id": round_id,
                    "question_id": question,
                    "response": "Met" if i < met[(round_id, question)] else "Not met",
                    "comment": f"comment {audit_id}-{question}", "quadrant": quadrant,
                    "team": team,
                })  # fmt: skip
    tables["cases"], tables["responses"] = pd.DataFrame(cases), pd.DataFrame(responses)
    return tables


def _store(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    write_new_store(path, tables.items(), {"synthetic": True, "notice": "falling"})
    return path


@pytest.fixture
def noise_dir(tmp_path: Path) -> Path:
    return _store(tmp_path / "noise", noise_tables())


@pytest.fixture
def fall_dir(tmp_path: Path) -> Path:
    return _store(tmp_path / "fall", fall_tables())


# --- the signed number -------------------------------------------------------------------------


def test_signed_points_carry_the_sign_of_the_change():
    assert [narrative.signed_points(c) for c in (0.2, -0.2, -0.6, 0.0, -0.004, 0.004)] == [
        "+20 pts", "\u221220 pts", "\u221260 pts", "0 pts", "\u22120.4 pts", "+0.4 pts",
    ]  # fmt: skip


# --- the headline ------------------------------------------------------------------------------


def test_headline_for_a_fall_within_noise_points_down_in_grey(noise_dir):
    figures = queries.headline(Store(noise_dir), "alpha")
    metrics, caption = headline_metrics(figures)
    # Case level: r1 7 answers from 4 cases (2 per case): 3/2 -> 2 met of 7/2 -> 4; r2 4 answers
    # from 2 cases: 1/2 -> 1 of 2. Fisher on [[2, 2], [1, 1]].
    assert fisher_p(2, 2, 1, 1) == pytest.approx(1.0)
    assert metrics[2] == Metric(
        "Change since previous round",
        "43% \u2192 25%",
        "A fall of 18 pts, within noise: fisher test on case-level counts (answers \u00f7 2 per "
        "case), p = 1.000",
        "-18 pts",  # an ASCII minus: Streamlit's arrow points down
        "off",  # within noise: grey, but still down
        "within noise",
        "auto",
    )
    assert [(m.label, m.value) for m in metrics] == [
        ("Cases audited", "2"), ("Standards met", "25%"),
        ("Change since previous round", "43% \u2192 25%"), ("Graded good or better", "0%"),
    ]  # fmt: skip
    assert caption == "n = 4 applicable answers from 2 cases"


def test_headline_for_a_fall_beyond_chance_points_down_in_the_loss_colour(fall_dir):
    metrics, caption = headline_metrics(queries.headline(Store(fall_dir), "alpha"))
    p = fisher_p(18, 2, 6, 14)  # case level: 36/2 of 40/2 against 12/2 of 40/2
    assert p < 0.05
    assert metrics[2] == Metric(
        "Change since previous round",
        "90% \u2192 30%",
        "A fall of 60 pts, beyond chance: fisher test on case-level counts (answers \u00f7 2 per "
        f"case), p = {p:.3f}",
        "-60 pts",
        "normal",  # Streamlit draws a negative delta red under "normal"
        "beyond chance",
        "auto",
    )
    assert [(m.label, m.value) for m in metrics][:2] == [
        ("Cases audited", "20"), ("Standards met", "30%"),
    ]  # fmt: skip
    assert caption == "n = 40 applicable answers from 20 cases"


def test_a_rise_still_points_up_and_no_change_shows_no_arrow():
    up = narrative.change_metric(ChangeResult(0.6, 0.001, "fisher", True, 2), 0.3, 0.9)
    assert (up.value, up.delta, up.delta_color, up.delta_arrow) == (
        "30% \u2192 90%", "+60 pts", "normal", "auto",
    )  # fmt: skip
    assert up.help.startswith("A rise of 60 pts, beyond chance: ")
    flat = narrative.change_metric(ChangeResult(0.0, 1.0, "fisher", False, 2), 0.5, 0.5)
    assert (flat.delta, flat.delta_color, flat.delta_arrow) == ("0 pts", "off", "off")
    assert flat.help.startswith("No change, within noise: ")


# --- titles, alt text, notes ---------------------------------------------------------------------


def test_trend_title_alt_and_notes_word_a_fall_as_a_fall(fall_dir):
    store = Store(fall_dir)
    view = chart_view(store, "round_trend", "alpha")
    assert view.title == "2 declined beyond chance; 0 within noise"
    assert view.alt_text == (
        "Dumbbell chart of the share met in 2 standards between Round one and Round two; beyond "
        "chance: Q1 down from 100% to 20%; Q2 down from 80% to 40%."
    )
    trend = queries.round_trend(store, "alpha")
    assert narrative.round_trend_notes(trend, "Round one") == [
        "2 changes since the Round one round are beyond chance: Q1 down from 100% to 20%; Q2 "
        "down from 80% to 40%."
    ]


def test_a_fall_within_noise_is_not_called_a_change(noise_dir):
    store = Store(noise_dir)
    view = chart_view(store, "round_trend", "alpha")
    assert view.title == "No change beyond chance in 2 standards between the two rounds"
    assert view.alt_text.endswith("; no change is beyond chance.")
    assert narrative.round_trend_notes(queries.round_trend(store, "alpha"), "Round one") == [
        "No change since the Round one round is beyond chance (2 standards compared).",
        "2 standards moved within noise: with samples this small, those movements may be chance.",
    ]


def test_theme_notes_say_a_theme_declined(fall_dir):
    summary = queries.theme_summary(Store(fall_dir))
    assert narrative.theme_heatmap_notes(summary) == [
        "Only audited theme: Alpha theme (30% met, n=40).",
        "Alpha theme declined beyond chance since its previous round (90% to 30%).",
    ]


def test_one_standard_or_equal_shares_are_worded_properly():
    one = pd.DataFrame({"question_id": ["PF-01"] * 2, "quadrant": ["NE", "County"],
                        "pct_met": [0.0, 0.0], "met": [0, 0], "n": [3, 3]})  # fmt: skip
    assert narrative.quadrant_comparison_title(one) == "1 standard: PF-01 at 0% met"
    equal = pd.DataFrame({"question_id": ["Q1", "Q2"], "quadrant": ["County"] * 2,
                          "pct_met": [0.5, 0.5], "met": [2, 3], "n": [4, 6]})  # fmt: skip
    assert narrative.quadrant_comparison_title(equal) == "2 standards, all at 50% met"
    differ = equal.assign(pct_met=[0.25, 0.5], met=[1, 3])
    assert narrative.quadrant_comparison_title(differ) == (
        "2 standards: lowest is Q1 (25% met), highest Q2 (50%)"
    )
    assert narrative.quadrant_comparison_alt(one).endswith("by quadrant, only NE (0%).")


# --- the overview ------------------------------------------------------------------------------


def test_the_overview_row_shows_the_fall(fall_dir):
    row = queries.overview_table(Store(fall_dir)).set_index("theme").loc["Alpha theme"]
    assert (row["change_pts"], row["change"]) == (pytest.approx(-60.0), "beyond chance")


# --- the pack and the report -----------------------------------------------------------------


def test_the_overview_pack_says_the_theme_fell(fall_dir, image_server):  # noqa: F811
    deck = Presentation(io.BytesIO(build_pack(Store(fall_dir), None, Filters(), made_on=MADE_ON)))
    table_slide = next(s for s in deck.slides if s.shapes.title.text.startswith("Every audited"))
    table = next(shape for shape in table_slide.shapes if shape.has_table).table
    header = [cell.text for cell in table.rows[0].cells]
    alpha = [cell.text for cell in table.rows[1].cells]
    assert alpha[header.index("Change since previous round")] == "\u221260 pts, beyond chance"
    notes = table_slide.notes_slide.notes_text_frame.text
    assert "Alpha theme declined beyond chance since its previous round (90% to 30%)." in notes
    theme_slide = next(s for s in deck.slides if s.shapes.title.text.startswith("Alpha theme"))
    notes = theme_slide.notes_slide.notes_text_frame.text
    assert (
        "2 changes since the Round one round are beyond chance: Q1 down from 100% to 20%; Q2 "
        "down from 80% to 40%." in notes.split("\n")
    )
    everything = "\n".join(
        shape.text_frame.text for s in deck.slides for shape in s.shapes if shape.has_text_frame
    ) + "\n".join(s.notes_slide.notes_text_frame.text for s in deck.slides)
    assert not any(word in everything for word in ("improved", "+60", " up from"))


def test_the_report_words_each_fall_as_a_decline(fall_dir):
    data = build_report(Store(fall_dir), ["alpha"], Filters(), as_of=MADE_ON, charts=False)
    lines = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    q1, q2 = fisher_p(20, 0, 4, 16), fisher_p(16, 4, 8, 12)
    assert q1 < 0.001 and 0.001 <= q2 < 0.05
    assert "Compared with Round one, all 2 standards changed beyond chance (2 declined)." in lines
    findings = lines[lines.index("Areas for improvement (variable, or not routinely met)") + 1 :][
        :2
    ]
    assert findings == [
        "Visits are timely: not routinely (4 of 20 cases, 20%). Down from 20 of 20 cases (100%) "
        "in Round one: a decline beyond chance (Fisher's exact test, p < 0.001).",
        "The child is heard: variable (8 of 20 cases, 40%). Down from 16 of 20 cases (80%) in "
        f"Round one: a decline beyond chance (Fisher's exact test, p = {q2:.3f}).",
    ]
    assert not any("improvement beyond chance" in line for line in lines)


# --- the theme page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("store", "delta", "colour"), [("noise", "-18 pts", "gray"), ("fall", "-60 pts", "red")]
)
def test_the_theme_pages_change_metric_points_down(store, delta, colour, tmp_path, monkeypatch):
    data_dir = _store(tmp_path / store, noise_tables() if store == "noise" else fall_tables())
    monkeypatch.setenv("AUDIT_DATA_DIR", str(data_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/theme.py").run()  # the first theme: alpha
    assert not at.exception
    change = next(m for m in at.metric if m.label == "Change since previous round")
    assert change.proto.delta == delta and change.proto.delta.startswith("-")
    assert change.proto.direction == change.proto.MetricDirection.DOWN
    assert change.proto.color == getattr(change.proto.MetricColor, colour.upper())
    assert change.proto.delta_description == (
        "within noise" if store == "noise" else "beyond chance"
    )
