"""The named queries against the tiny hand-made store: whole expected rows, computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from analytics import queries
from analytics.domain import Filters
from analytics.errors import AuditDataError, UnknownValueError
from analytics.stats import wilson_interval

NAN = float("nan")


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Return the frame's rows as tuples, NaN/NA/None normalised to None."""
    out = []
    for record in frame[columns].itertuples(index=False):
        out.append(tuple(None if _missing(v) else v for v in record))
    return out


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def test_quadrant_comparison_whole_rows(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha")
    columns = ["question_id", "quadrant", "n", "met", "partially_met", "not_met",
               "not_applicable", "pct_met"]  # fmt: skip
    assert rows(frame, columns) == [
        ("Q1", "NW", 2, 1, 0, 1, 0, 0.5),
        ("Q1", "NE", 1, 1, 0, 0, 0, 1.0),
        ("Q1", "SW", 1, 0, 1, 0, 0, 0.0),
        ("Q1", "SE", 0, 0, 0, 0, 0, None),
        ("Q1", "County", 4, 2, 1, 1, 0, 0.5),
        ("Q2", "NW", 1, 1, 0, 0, 1, 1.0),
        ("Q2", "NE", 1, 0, 0, 1, 0, 0.0),
        ("Q2", "SW", 1, 0, 0, 1, 0, 0.0),
        ("Q2", "SE", 0, 0, 0, 0, 0, None),
        ("Q2", "County", 3, 1, 0, 2, 1, pytest.approx(1 / 3)),
    ]
    assert set(frame["round_id"]) == {"r2"}  # the latest audited round by default
    county = frame[(frame["question_id"] == "Q1") & (frame["quadrant"] == "County")].iloc[0]
    assert (county["ci_low"], county["ci_high"]) == pytest.approx(wilson_interval(2, 4))
    empty = frame[frame["quadrant"] == "SE"]
    assert empty["ci_low"].isna().all()


def test_quadrant_comparison_flags_selection_and_filters_team(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha", Filters(quadrants=("NE",), teams=("T1",)))
    assert frame.loc[frame["selected"], "quadrant"].unique().tolist() == ["NE"]
    nw = frame[(frame["question_id"] == "Q1") & (frame["quadrant"] == "NW")]
    assert rows(nw, ["n", "met", "not_met"]) == [(1, 1, 0)]  # A2 (team T2) left out


def test_quadrant_comparison_earlier_round(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha", Filters(round_id="r1"))
    county = frame[frame["quadrant"] == "County"]
    assert rows(county, ["question_id", "n", "met", "pct_met"]) == [
        ("Q1", 2, 0, 0.0),
        ("Q2", 2, 1, 0.5),
    ]


def test_finding_frequency_selection_and_county(tiny):
    frame = queries.finding_frequency(tiny, "alpha", Filters(quadrants=("NW",)))
    columns = ["scope", "question_id", "n", "not_met", "partially_met", "pct_not_met", "rank"]
    assert rows(frame, columns) == [
        ("Selection", "Q1", 2, 1, 0, 0.5, 1),
        ("Selection", "Q2", 1, 0, 0, 0.0, 2),
        ("County", "Q2", 3, 2, 0, pytest.approx(2 / 3), 1),
        ("County", "Q1", 4, 1, 1, 0.25, 2),
    ]


def test_finding_frequency_across_themes_uses_latest_rounds(tiny):
    frame = queries.finding_frequency(tiny)
    county = frame[frame["scope"] == "County"]
    assert rows(county, ["theme_id", "question_id", "n"]) == [
        ("alpha", "Q2", 3),
        ("alpha", "Q1", 4),
    ]


def test_round_trend_with_fisher(tiny):
    frame = queries.round_trend(tiny, "alpha")
    columns = ["question_id", "round_from", "round_to", "n_from", "met_from", "n_to", "met_to",
               "change", "test", "beyond_chance"]  # fmt: skip
    assert rows(frame, columns) == [
        ("Q1", "r1", "r2", 2, 0, 4, 2, 0.5, "fisher", False),
        ("Q2", "r1", "r2", 2, 1, 3, 1, pytest.approx(1 / 3 - 1 / 2), "fisher", False),
    ]
    # Q1: [[0, 2], [2, 2]]; hypergeometric P(X=0)=6/15, P(X=2)=1/15 are <= observed: p = 7/15.
    assert frame.loc[0, "p_value"] == pytest.approx(7 / 15)


def test_round_trend_single_round_is_empty(sample):
    assert queries.round_trend(sample, "private_fostering").empty


def test_cohort_profile(tiny):
    frame = queries.cohort_profile(tiny, "alpha", Filters(quadrants=("NW", "NE")))
    assert rows(frame, ["dimension", "value", "cases"]) == [
        ("age_band", "0-4", 2),
        ("age_band", "5-9", 1),
        ("gender", "Female", 2),
        ("gender", "Male", 1),
        ("overall_grade", "Good", 1),
        ("overall_grade", "Inadequate", 1),
        ("overall_grade", "Requires improvement", 1),
        ("quadrant", "NE", 1),
        ("quadrant", "NW", 2),
        ("team", "T1", 2),
        ("team", "T2", 1),
    ]


def test_category_matrix(tiny):
    frame = queries.category_matrix(tiny)
    columns = ["category", "theme_id", "quadrant", "n", "met"]
    assert rows(frame[frame["theme_id"] == "alpha"], columns) == [
        ("Timeliness", "alpha", "County", 4, 2),
        ("Timeliness", "alpha", "NE", 1, 1),
        ("Timeliness", "alpha", "NW", 2, 1),
        ("Timeliness", "alpha", "SW", 1, 0),
        ("Voice of the child", "alpha", "County", 3, 1),
        ("Voice of the child", "alpha", "NE", 1, 0),
        ("Voice of the child", "alpha", "NW", 1, 1),
        ("Voice of the child", "alpha", "SW", 1, 0),
    ]


def test_recurring_weaknesses_needs_three_themes(tiny, sample):
    assert queries.recurring_weaknesses(tiny).empty  # one audited theme only
    weak = queries.recurring_weaknesses(sample)
    # The seed's central message: management oversight and supervision is weak across themes.
    assert "Management oversight and supervision" in weak["category"].tolist()
    assert (weak["weak_themes"] >= 3).all()


def test_action_status_rag_and_measures(tiny):
    frame = queries.action_status(tiny, as_of=dt.date(2020, 5, 1))
    columns = ["action_id", "rag", "days_overdue", "round_before", "n_before", "pct_met_before",
               "round_after", "n_after", "pct_met_after"]  # fmt: skip
    assert rows(frame, columns) == [
        ("X1", "Overdue", 16, "r1", 2, 0.0, "r2", 4, 0.5),
        ("X2", "Due soon", None, "r1", 4, 0.25, "r2", 7, pytest.approx(3 / 7)),
        ("X5", "No due date", None, None, None, None, None, None, None),
        ("X3", "On track", None, None, None, None, None, None, None),
        ("X4", "Complete", None, None, None, None, None, None, None),
    ]


def test_action_status_filters(tiny):
    frame = queries.action_status(tiny, as_of=dt.date(2020, 5, 1), owners=("SM",))
    assert frame["action_id"].tolist() == ["X1", "X3"]
    frame = queries.action_status(tiny, as_of=dt.date(2020, 5, 1), statuses=("complete",))
    assert frame["action_id"].tolist() == ["X4"]


def test_quotes_keep_county_wide_ones(tiny):
    assert queries.quotes(tiny, "alpha", Filters(quadrants=("NW",)))["quote_id"].tolist() == ["QT2"]
    assert queries.quotes(tiny, "alpha")["quote_id"].tolist() == ["QT1", "QT2"]


def test_cases_behind_a_cell(tiny):
    frame = queries.cases_behind(tiny, "alpha", "Q1", Filters(quadrants=("NW",)))
    assert rows(frame, ["audit_id", "child_ref", "response", "comment"]) == [
        ("A2", "SYN-A2", "Not met", "comment A2-Q1"),
        ("A1", "SYN-A1", "Met", "comment A1-Q1"),
    ]


def test_theme_summary_change_since_previous_round(tiny):
    frame = queries.theme_summary(tiny)
    county = frame[frame["quadrant"] == "County"].iloc[0]
    assert (county["round_id"], county["cases"], county["n"], county["met"]) == ("r2", 4, 7, 3)
    assert county["round_id_previous"] == "r1"
    assert county["change"] == pytest.approx(3 / 7 - 1 / 4)
    assert not county["beyond_chance"]
    assert frame["quadrant"].tolist() == ["NW", "NE", "SW", "County"]


def test_store_contents(tiny):
    frame = queries.store_contents(tiny)
    assert rows(frame, ["theme_id", "round_id", "cases", "responses"]) == [
        ("alpha", "r1", 2, 4),
        ("alpha", "r2", 4, 8),
        ("alpha", "r3", 0, 0),
        ("beta", "b1", 0, 0),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: queries.quadrant_comparison(s, "gamma"), "Unknown theme 'gamma'. Allowed: alpha, beta."),
        (lambda s: queries.quadrant_comparison(s, "alpha", Filters(round_id="r9")),
         "Unknown round for theme 'alpha' 'r9'. Allowed: r1, r2, r3."),
        (lambda s: queries.finding_frequency(s, "alpha", Filters(quadrants=("North",))),
         "Unknown quadrant 'North'. Allowed: NW, NE, SW, SE."),
        (lambda s: queries.cases_behind(s, "alpha", "Q9"),
         "Unknown question for theme 'alpha' 'Q9'. Allowed: Q1, Q2."),
    ],
)  # fmt: skip
def test_unknown_values_are_named(tiny, call, message):
    with pytest.raises(UnknownValueError) as caught:
        call(tiny)
    assert str(caught.value) == message


def test_hostile_strings_are_bound_not_spliced(tiny):
    hostile = "alpha' OR 1=1; DROP VIEW responses; --"
    with pytest.raises(UnknownValueError):
        queries.quadrant_comparison(tiny, hostile)
    frame = queries.quadrant_comparison(tiny, "alpha", Filters(teams=(hostile,)))
    assert frame["n"].sum() == 0  # no team matches; nothing was executed as SQL
    assert not queries.themes(tiny).empty


def test_missing_store_says_how_to_make_one(tmp_path):
    from analytics.store import Store

    with pytest.raises(AuditDataError, match="python -m analytics generate"):
        Store(tmp_path / "nowhere")


def test_planned_theme_has_no_round_with_data(tiny):
    assert queries.resolve_round(tiny, "beta", None) is None
    assert math.isnan(float("nan"))
