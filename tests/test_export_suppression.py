"""Suppression for circulation against hand-computed tables, secondary suppression included."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.export import for_circulation, mode_text
from analytics.export.suppression import RULES, hidden_cells

C = "c"
QC_COLUMNS = (
    "question_id quadrant met partially_met not_met not_applicable n pct_met ci_low ci_high"
)


def qc_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=QC_COLUMNS.split()[:7])
    frame["pct_met"] = frame["met"] / frame["n"]
    frame["ci_low"] = frame["pct_met"] - 0.1
    frame["ci_high"] = frame["pct_met"] + 0.1
    return frame


def as_rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


def test_quadrant_comparison_row_and_county_secondary_suppression():
    frame = qc_frame([
        # Q1: only NW has a small count (partially met 3).
        ("Q1", "NW", 10, 3, 7, 0, 20),
        ("Q1", "NE", 8, 6, 6, 0, 20),
        ("Q1", "SW", 9, 5, 6, 0, 20),
        ("Q1", "SE", 8, 6, 6, 0, 20),
        ("Q1", "County", 35, 20, 25, 0, 80),
        # Q2: two not-applicable answers in NW (and so in the county).
        ("Q2", "NW", 6, 0, 10, 2, 16),
        ("Q2", "NE", 7, 0, 13, 0, 20),
        ("Q2", "SW", 8, 0, 12, 0, 20),
        ("Q2", "SE", 9, 0, 11, 0, 20),
        ("Q2", "County", 30, 0, 46, 2, 76),
    ])  # fmt: skip
    out = for_circulation(frame, "quadrant_comparison", 5)
    columns = ["quadrant", "met", "partially_met", "not_met", "not_applicable", "n"]
    # By hand, threshold 5:
    # Q1 NW: partially met 3 is small; a row total (n) is printed, so its smallest shown partner
    #   (not met 7) goes too. The County row totals each column: NW alone hidden in a column
    #   would be County minus the others, so SW partially met (5, the smallest) and NE not met
    #   (6, first of the ties) go; each of those rows then needs a partner: NE partially met 6,
    #   SW not met 6. SE and the County keep everything.
    # Q2 NW: not applicable 2 is small. A quadrant's cases (n + not applicable) are printed on
    #   the cohort chart, so n goes; met (6, the smallest) goes so that met + partially met +
    #   not met cannot give n back. The County's not applicable is the same 2: n and met go too.
    assert as_rows(out, columns) == [
        ("NW", 10, C, C, 0, 20),
        ("NE", 8, C, C, 0, 20),
        ("SW", 9, C, C, 0, 20),
        ("SE", 8, 6, 6, 0, 20),
        ("County", 35, 20, 25, 0, 80),
        ("NW", C, 0, 10, C, C),
        ("NE", 7, 0, 13, 0, 20),
        ("SW", 8, 0, 12, 0, 20),
        ("SE", 9, 0, 11, 0, 20),
        ("County", C, 0, 46, C, C),
    ]
    # A share (and its interval) goes with its numerator or its base.
    shown = [row[0] != C for row in as_rows(out, ["pct_met"])]
    assert shown == [True] * 5 + [False, True, True, True, False]
    assert (out["ci_low"] == C).tolist() == (out["pct_met"] == C).tolist()


def test_no_threshold_returns_the_numbers_unchanged():
    frame = qc_frame([("Q1", "NW", 1, 1, 1, 0, 3)])
    out = for_circulation(frame, "quadrant_comparison", None)
    pd.testing.assert_frame_equal(out, frame)
    assert mode_text(None) == "standard"
    assert mode_text(5) == "for circulation: counts under 5 suppressed"


def test_round_trend_hides_a_small_complement():
    frame = pd.DataFrame({
        "question_id": ["Q1", "Q2"],
        "n_from": [15, 12], "met_from": [13, 6], "pct_met_from": [13 / 15, 0.5],
        "n_to": [20, 3], "met_to": [9, 3], "pct_met_to": [0.45, 1.0],
        "change": [0.45 - 13 / 15, 0.5], "p_value": [0.02, 0.2],
    })  # fmt: skip
    out = for_circulation(frame, "round_trend", 5)
    # Q1: 13 of 15 met leaves 2 not met (never printed, but n - met): met and its share go.
    # Q2: n_to 3 is itself small, so n_to, met_to and the share go.
    columns = ["n_from", "met_from", "pct_met_from", "n_to", "met_to", "pct_met_to", "change",
               "p_value"]  # fmt: skip
    assert as_rows(out, columns) == [
        (15, C, C, 20, 9, 0.45, C, C),
        (12, 6, 0.5, C, C, C, C, C),
    ]


def test_cohort_profile_dimensions_add_up_to_the_cohort():
    frame = pd.DataFrame(
        [("gender", "Female", 8), ("gender", "Male", 3), ("gender", "Not recorded", 1),
         ("quadrant", "NW", 6), ("quadrant", "NE", 6)],
        columns=["dimension", "value", "cases"],
    )  # fmt: skip
    frame["share"] = frame["cases"] / 12
    out = for_circulation(frame, "cohort_profile", 5)
    # Male 3 and Not recorded 1 are small; together 4 < 5 could still be read off the cohort
    # of 12, so Female 8 goes as well. Quadrants are all 6.
    assert out["cases"].tolist() == [C, C, C, 6, 6]
    assert out["share"].tolist() == [C, C, C, 0.5, 0.5]


def test_category_matrix_all_themes_row_is_a_column_total():
    frame = pd.DataFrame(
        [("Recording", "alpha", "County", 10, 8), ("Recording", "beta", "County", 20, 10),
         ("Recording", "All themes", "County", 30, 18)],
        columns=["category", "theme_id", "quadrant", "n", "met"],
    )  # fmt: skip
    frame["pct_met"] = frame["met"] / frame["n"]
    out = for_circulation(frame, "category_matrix", 5)
    # alpha: 8 of 10 leaves 2 not met, so alpha's met goes; "All themes" minus beta would give
    # it back, so beta's met goes too. The totals stay.
    assert as_rows(out, ["theme_id", "n", "met", "pct_met"]) == [
        ("alpha", 10, C, C),
        ("beta", 20, C, C),
        ("All themes", 30, 18, 0.6),
    ]


def test_zero_is_not_suppressed_and_threshold_is_checked():
    frame = qc_frame([("Q1", "NW", 0, 0, 9, 0, 9), ("Q1", "County", 0, 0, 9, 0, 9)])
    out = for_circulation(frame, "quadrant_comparison", 5)
    assert as_rows(out, ["met", "not_met", "n"]) == [(0, 9, 9), (0, 9, 9)]
    with pytest.raises(ValueError, match="at least 1"):
        for_circulation(frame, "quadrant_comparison", 0)


@pytest.mark.parametrize("name", ["quadrant_comparison", "finding_frequency", "round_trend",
                                  "cohort_profile", "category_matrix"])  # fmt: skip
def test_no_published_sum_reveals_a_hidden_cell_in_the_sample(sample, name):
    # The invariant behind every rule: within each published sum, hidden cells are either none,
    # or at least two adding up to the threshold, or the total itself is hidden.
    from analytics.export.suppression import _constraints, _values
    from analytics.views import chart_view

    theme = None if name == "category_matrix" else "permanency"
    data = chart_view(sample, name, theme).data.reset_index(drop=True)
    threshold = 10  # high, so that the sample's counts of about 15 need secondary suppression
    hidden = hidden_cells(data, name, threshold)
    values = _values(data, RULES[name])
    for parts, total in _constraints(data, RULES[name]):
        gone = [p for p in parts if p in hidden]
        if total is not None and total in hidden:
            assert gone or all(values.at[r, c] == 0 for r, c in parts)
            continue
        assert not gone or (
            len(gone) >= 2 and sum(values.at[r, c] for r, c in gone) >= threshold
        ), (parts, gone)
