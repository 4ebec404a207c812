"""Speaker notes in words, generated from the numbers (analytics.narrative)."""

from __future__ import annotations

import pandas as pd

from analytics import narrative, queries
from analytics.chart_specs import NotesContext, chart_notes
from analytics.disclosure import for_circulation
from analytics.domain import Filters


def test_quadrant_comparison_notes_by_hand(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha", Filters(quadrants=("NE",)))
    notes = narrative.quadrant_comparison_notes(frame, ("NE",))
    # NE (round two): Q1 1 of 1 met against the county's 2 of 4; Q2 0 of 1 against 1 of 3.
    assert notes[0] == "NE met 1 of 2 standards less often than the county."
    assert notes[1] == "Across the county 43% of applicable answers met the 2 standards (3 of 7)."
    assert notes[2] == (
        "In North East (NE), lowest: Q2 (The child is heard) at 0% met (0 of 1); "
        "highest: Q1 (Visits are timely) at 100% met (1 of 1)."
    )
    assert "ranges from SW (0%) to NW (67%)" in notes[4]
    assert notes[-1].startswith("Samples are small (at most 2 applicable cases")


def test_trend_sentence_counts_changes_beyond_chance():
    trend = pd.DataFrame({
        "question_id": ["P1", "P2", "P3"], "change": [0.4, -0.35, 0.05],
        "pct_met_from": [0.1, 0.8, 0.5], "pct_met_to": [0.5, 0.45, 0.55],
        "beyond_chance": [True, True, False],
    })  # fmt: skip
    assert narrative.trend_sentence(trend, "Interim (January 2020)") == (
        "2 changes since the Interim (January 2020) round are beyond chance: "
        "P1 up from 10% to 50%; P2 down from 80% to 45%."
    )
    quiet = trend.assign(beyond_chance=False)
    assert narrative.trend_sentence(quiet, "Round one") == (
        "No change since the Round one round is beyond chance (3 standards compared)."
    )


def test_notes_never_speak_a_suppressed_figure(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha", Filters(quadrants=("NE",)))
    shown = for_circulation(frame, "quadrant_comparison", 5)
    text = chart_notes("quadrant_comparison", frame, shown, NotesContext(quadrants=("NE",)))
    assert text.split("\n") == [
        "NE met 1 of 2 standards less often than the county.",
        "Samples are small (fewer than 30 applicable cases per quadrant and standard): "
        "differences inside the intervals are noise.",
    ]


def test_cohort_and_actions_notes(tiny):
    profile = queries.cohort_profile(tiny, "alpha")
    assert narrative.cohort_notes(profile)[0] == "4 cases audited (NW 2; NE 1; SW 1)."
    actions = queries.action_status(tiny, as_of=pd.Timestamp("2020-05-01").date(), theme="alpha")
    assert narrative.actions_notes(actions) == (
        "4 actions: 1 overdue, 1 due soon, 1 on track, 1 complete. Overdue actions sit with: SM."
    )


def test_a_withheld_change_gives_no_direction():
    trend = pd.DataFrame({
        "question_id": ["P1", "P2"], "change": [0.4, -0.35], "pct_met_from": [0.1, 0.8],
        "pct_met_to": [0.5, 0.45], "beyond_chance": [True, True],
    })  # fmt: skip
    shown = pd.DataFrame({"pct_met_from": ["10%", "c"], "pct_met_to": ["50%", "c"]})
    assert narrative.trend_sentence(trend, "Round one", shown) == (
        "2 changes since the Round one round are beyond chance: P1 up from 10% to 50%; "
        "P2 (figures withheld)."
    )


def test_finding_frequency_notes_count_only_the_shares_shown():
    frame = pd.DataFrame({
        "scope": ["Selection"] * 3, "theme_id": ["t"] * 3, "question_id": ["A", "B", "C"],
        "text": ["a", "b", "c"], "pct_not_met": [0.5, 0.2, 0.1], "n": [10, 10, 10],
    })  # fmt: skip
    some = pd.DataFrame({"pct_not_met": ["c", "20%", "10%"], "n": ["10", "10", "10"]})
    assert narrative.finding_frequency_notes(frame, some)[-1] == (
        "In none of the 2 standards shown were a third or more of cases not met."
    )
    hidden = pd.DataFrame({"pct_not_met": ["c"] * 3, "n": ["10"] * 3})
    assert narrative.finding_frequency_notes(frame, hidden) == [
        "The shares not met are withheld for circulation."
    ]
