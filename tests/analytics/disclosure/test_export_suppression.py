"""Suppression for circulation against hand-computed tables, secondary suppression included."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analytics.disclosure import for_circulation, mode_text
from analytics.disclosure.suppression import hidden_cells

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
    # By hand, threshold 5. A reader knows every relation at once: n = met + partially met +
    # not met in each row, the County row is the sum of the quadrants in each column, and a
    # quadrant's cases (n + not applicable) are printed on the cohort chart. A hidden cell is at
    # least 1 (zeros are printed). Each small count must be able to reach 5 in some table that
    # agrees with everything left printed; the cells hidden to allow that are the cheapest to
    # move (by value).
    # Q1 NW partially met 3: raising it by 2 needs, in its row (n and cases fixed), not met 7
    #   down by 2 (cheaper than met 10); in its column another quadrant down by 2: SW 5, the
    #   smallest; SW's row then takes the 2 back on not met (6, cheaper than met 9), which also
    #   balances the not met column. So NW and SW lose partially met and not met (a 2 x 2
    #   rectangle: 3 + 7 = 10, 5 + 6 = 11 by row; 3 + 5 = 8, 7 + 6 = 13 by column: NW partially
    #   met can be anything from 1 to 7). NE, SE and the County keep everything.
    # Q2 NW not applicable 2: the County's is the same 2 (the other quadrants have none), so
    #   both must rise by 3 together; NW's cases (18) are fixed, so NW n falls by 3, and with it
    #   met (6, cheaper than not met 10); the County's cases (78) are fixed, so County n and met
    #   fall by 3 too (met 30 is cheaper than not met 46): that balances the met column.
    assert as_rows(out, columns) == [
        ("NW", 10, C, C, 0, 20),
        ("NE", 8, 6, 6, 0, 20),
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
    # Q1: 13 of 15 met leaves 2 not met (never printed, but n - met): for it to reach 5, met
    #   (13, cheaper than n 15) must be able to fall by 3, so met and its share go.
    # Q2: n_to 3 and met_to 3 are small; with n_to hidden nothing bounds either, so they go
    #   alone (and every share, change and p-value built on them).
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
    # Male 3 and Not recorded 1 are small; the cohort of 12 is printed (in the title), so for
    # Male to reach 5 another gender must fall by 2: Not recorded is already at its least (1),
    # so Female 8 goes as well. Quadrants are all 6.
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
    # alpha: 8 of 10 leaves 2 not met; for it to reach 5 alpha's met (8, cheaper than n 10)
    # must fall by 3, and then another met must rise by 3 to keep "All themes": beta's (10,
    # cheaper than the total's 18). The totals stay.
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


def test_the_reviewed_table_gives_no_cell_back():
    # Each sum checked alone left this table open: NW not met = County 9 - SE 1 - SW 6 = 2.
    frame = qc_frame([
        ("Q1", "NW", 1, 9, 2, 0, 12),
        ("Q1", "NE", 5, 0, 0, 0, 5),
        ("Q1", "SW", 5, 1, 6, 0, 12),
        ("Q1", "SE", 0, 0, 1, 3, 1),
        ("Q1", "County", 11, 10, 9, 3, 30),
    ])  # fmt: skip
    hidden = hidden_cells(frame, "quadrant_comparison", 5)
    assert (0, "not_met") in hidden and (2, "not_met") in hidden and (4, "not_met") in hidden
    assert_unrecoverable(frame, hidden, 5)


def test_a_lone_hidden_cell_with_zero_partners_is_protected():
    # SE: not met 14 is its whole n, and the cases (14) are printed on the cohort chart: if
    # anything in SE were hidden it would come straight back, so nothing there is; the small
    # not-applicable counts of NW and NE (3 and 3) are covered by the County's 6 and each other.
    frame = qc_frame([
        ("Q1", "NW", 3, 1, 1, 3, 5),
        ("Q1", "NE", 3, 4, 1, 3, 8),
        ("Q1", "SW", 14, 0, 0, 0, 14),
        ("Q1", "SE", 0, 0, 14, 0, 14),
        ("Q1", "County", 20, 5, 16, 6, 41),
    ])  # fmt: skip
    out = for_circulation(frame, "quadrant_comparison", 5)
    columns = ["quadrant", "met", "partially_met", "not_met", "not_applicable", "n"]
    assert as_rows(out, columns)[2:4] == [("SW", 14, 0, 0, 0, 14), ("SE", 0, 0, 14, 0, 14)]
    assert_unrecoverable(frame, hidden_cells(frame, "quadrant_comparison", 5), 5)


# --- an independent reader: every relation at once -------------------------------------------

AREAS = ("NW", "NE", "SW", "SE", "County")
COUNTS = ("met", "partially_met", "not_met", "not_applicable", "n")


def known_cases(frame: pd.DataFrame, threshold: int) -> dict[str, bool]:
    """Which areas' numbers of cases a reader has: the cohort chart's, as circulated."""
    first = frame[frame["question_id"] == frame["question_id"].iloc[0]].set_index("quadrant")
    cases = {a: int(first.at[a, "n"] + first.at[a, "not_applicable"]) for a in AREAS}
    cohort = pd.DataFrame({"dimension": "quadrant", "value": list(AREAS[:4]),
                           "cases": [cases[a] for a in AREAS[:4]]})  # fmt: skip
    cohort["share"] = cohort["cases"] / max(cases["County"], 1)
    shown = for_circulation(cohort, "cohort_profile", threshold)["cases"].tolist()
    known = {a: v != C for a, v in zip(AREAS[:4], shown, strict=True)}
    # The cohort's total is printed in its title unless it is itself small.
    known["County"] = cases["County"] == 0 or cases["County"] >= threshold
    return known


def reader_system(frame: pd.DataFrame, hidden: set, threshold: int):
    """Return (A, b, unknown variables, lower bounds) of what a reader can write down."""
    cells = [(r, c) for r in range(len(frame)) for c in COUNTS]
    known = known_cases(frame, threshold)
    totals = [("cases", a) for a in AREAS]
    value = {cell: float(frame.at[cell[0], cell[1]]) for cell in cells}
    for _, area in totals:
        rows = frame.index[frame["quadrant"] == area]
        value[("cases", area)] = float(frame.at[rows[0], "n"] + frame.at[rows[0], "not_applicable"])
    unknown = [c for c in cells if c in hidden] + [t for t in totals if not known[t[1]]]
    equations = []
    for r in range(len(frame)):
        equations.append({(r, "met"): 1, (r, "partially_met"): 1, (r, "not_met"): 1, (r, "n"): -1})
        area = frame.at[r, "quadrant"]
        equations.append({(r, "n"): 1, (r, "not_applicable"): 1, ("cases", area): -1})
    for _, block in frame.groupby("question_id").groups.items():
        county = next(r for r in block if frame.at[r, "quadrant"] == "County")
        for c in COUNTS:
            equation = {(r, c): 1 for r in block if r != county}
            equation[(county, c)] = -1
            equations.append(equation)
    at = {v: i for i, v in enumerate(unknown)}
    a = np.zeros((len(equations), len(unknown)))
    b = np.zeros(len(equations))
    for k, equation in enumerate(equations):
        for v, coefficient in equation.items():
            if v in at:
                a[k, at[v]] += coefficient
            else:
                b[k] -= coefficient * value[v]
    lower = [1 if v in hidden else 0 for v in unknown]
    return a, b, unknown, lower, value


def largest(a, b, unknown, lower, v) -> float:
    objective = np.zeros(len(unknown))
    objective[unknown.index(v)] = -1
    result = linprog(objective, A_eq=a, b_eq=b, bounds=[(lo, None) for lo in lower])
    assert result.status in (0, 3), result.message
    return math.inf if result.status == 3 else -result.fun


def assert_unrecoverable(frame: pd.DataFrame, hidden: set, threshold: int) -> None:
    """No hidden cell comes back exactly; no small count can be confined below the threshold
    unless hiding every printed non-zero cell could not lift it further either."""
    frame = frame.reset_index(drop=True)
    a, b, unknown, lower, value = reader_system(frame, hidden, threshold)
    rank = np.linalg.matrix_rank(a) if len(unknown) else 0
    everything = {(r, c) for r in range(len(frame)) for c in COUNTS if frame.at[r, c] > 0}
    wide = reader_system(frame, everything, threshold)
    for v in unknown:
        unit = np.zeros((1, len(unknown)))
        unit[0, unknown.index(v)] = 1
        determined = np.linalg.matrix_rank(np.vstack([a, unit])) == rank
        small = 0 < value[v] < threshold
        assert not (determined and (small or v in hidden)), (v, value[v], "is given back")
        if small:
            top = largest(a, b, unknown, lower, v)
            reachable = min(threshold, largest(*wide[:4], v))
            assert top >= reachable - 1e-6, (v, value[v], top, reachable)


@st.composite
def comparison_tables(draw):
    cases = [draw(st.integers(0, 14)) for _ in range(4)]
    rows = []
    for q in range(draw(st.integers(1, 2))):
        per = []
        for c in cases:
            na = draw(st.integers(0, c))
            met = draw(st.integers(0, c - na))
            partly = draw(st.integers(0, c - na - met))
            per.append((met, partly, c - na - met - partly, na, c - na))
        county = tuple(sum(p[i] for p in per) for i in range(5))
        rows += [
            (f"Q{q}", area, *counts) for area, counts in zip(AREAS, [*per, county], strict=True)
        ]
    return qc_frame(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(comparison_tables(), st.sampled_from([3, 5]))
def test_no_hidden_cell_is_recoverable_from_all_the_relations_together(frame, threshold):
    assert_unrecoverable(frame, hidden_cells(frame, "quadrant_comparison", threshold), threshold)


@pytest.mark.parametrize(("theme", "threshold"), [("placed_at_home", 5), ("private_fostering", 10),
                                                  ("permanency", 10)])  # fmt: skip
def test_no_hidden_cell_is_recoverable_in_the_sample(sample, theme, threshold):
    from analytics.views import chart_view

    data = chart_view(sample, "quadrant_comparison", theme).data.reset_index(drop=True)
    hidden = hidden_cells(data, "quadrant_comparison", threshold)
    assert hidden  # these cohorts are small: something must be hidden
    assert_unrecoverable(data, hidden, threshold)
