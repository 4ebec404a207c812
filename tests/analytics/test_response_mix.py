"""The mix of responses by quadrant: its query on the tiny store (whole rows, by hand), its
figure, and the words around it (tests/README.md lists the tiny store's cases)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics import charts, queries
from analytics.chart_specs.response_mix import (
    response_mix_alt,
    response_mix_figure,
    response_mix_notes,
    response_mix_title,
)
from analytics.domain import RESPONSE_COLOURS, Filters

COLUMNS = ["theme_id", "round_id", "quadrant", "met", "partially_met", "not_met",
           "not_applicable", "answers", "pct_met", "pct_partially_met", "pct_not_met",
           "pct_not_applicable", "selected"]  # fmt: skip

# Round r2, both questions pooled (Q1, Q2 per case):
#   NW: A1 Met, Not applicable; A2 Not met, Met -> met 2, partially 0, not met 1, n/a 1; 4
#       answers: 2/4, 0/4, 1/4, 1/4.
#   NE: A3 Met, Not met -> 1, 0, 1, 0; 2 answers: 1/2, 0, 1/2, 0.
#   SW: A4 Partially met, Not met -> 0, 1, 1, 0; 2 answers: 0, 1/2, 1/2, 0.
#   SE: no case -> 0 answers, every share NULL.
#   County: 2+1+0 = 3 met, 1 partially, 1+1+1 = 3 not met, 1 n/a; 8 answers: 3/8, 1/8, 3/8, 1/8.
R2_ROWS = [
    ("alpha", "r2", "NW", 2, 0, 1, 1, 4, 0.5, 0.0, 0.25, 0.25, False),
    ("alpha", "r2", "NE", 1, 0, 1, 0, 2, 0.5, 0.0, 0.5, 0.0, False),
    ("alpha", "r2", "SW", 0, 1, 1, 0, 2, 0.0, 0.5, 0.5, 0.0, False),
    ("alpha", "r2", "SE", 0, 0, 0, 0, 0, None, None, None, None, False),
    ("alpha", "r2", "County", 3, 1, 3, 1, 8, 0.375, 0.125, 0.375, 0.125, True),
]


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[object, ...]]:
    """Return the frame's rows as plain tuples, NaN as None."""
    return [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in record)
        for record in frame[columns].itertuples(index=False)
    ]


def test_whole_rows_in_the_latest_round(tiny):
    frame = queries.response_mix(tiny, "alpha")  # r2, the latest audited round
    assert rows(frame, COLUMNS) == R2_ROWS  # no quadrant chosen: the county is the selection


def test_a_team_filter_and_the_selected_quadrants(tiny):
    frame = queries.response_mix(tiny, "alpha", Filters(quadrants=("NE", "SW"), teams=("T1",)))
    # Team T1 leaves A2 (NW, T2: Not met, Met) out: NW keeps A1 (Met, Not applicable), 2
    # answers: 1/2 met, 1/2 n/a. NE and SW are all T1. County: 3-1 = 2 met, 1 partially,
    # 3-1 = 2 not met, 1 n/a; 6 answers: 2/6, 1/6, 2/6, 1/6. The quadrants are flagged, not
    # filtered: every area stays.
    assert rows(frame, COLUMNS) == [
        ("alpha", "r2", "NW", 1, 0, 0, 1, 2, 0.5, 0.0, 0.0, 0.5, False),
        ("alpha", "r2", "NE", 1, 0, 1, 0, 2, 0.5, 0.0, 0.5, 0.0, True),
        ("alpha", "r2", "SW", 0, 1, 1, 0, 2, 0.0, 0.5, 0.5, 0.0, True),
        ("alpha", "r2", "SE", 0, 0, 0, 0, 0, None, None, None, None, False),
        ("alpha", "r2", "County", 2, 1, 2, 1, 6, pytest.approx(1 / 3), pytest.approx(1 / 6),
         pytest.approx(1 / 3), pytest.approx(1 / 6), False),
    ]  # fmt: skip


def test_an_earlier_round(tiny):
    frame = queries.response_mix(tiny, "alpha", Filters(round_id="r1"))
    # r1: B1 (NW) Not met, Met; B2 (NE) Not met, Not met. County 1 met, 3 not met of 4.
    assert rows(frame, ["round_id", "quadrant", "met", "not_met", "answers", "pct_met"]) == [
        ("r1", "NW", 1, 1, 2, 0.5),
        ("r1", "NE", 0, 2, 2, 0.0),
        ("r1", "SW", 0, 0, 0, None),
        ("r1", "SE", 0, 0, 0, None),
        ("r1", "County", 1, 3, 4, 0.25),
    ]


def test_figure_a_stacked_bar_per_area_with_the_shares(tiny):
    frame = queries.response_mix(tiny, "alpha", Filters(quadrants=("NE",)))
    figure = response_mix_figure(frame, ("NE",), "n=4 cases")
    go.Figure(figure.to_dict())  # plotly's own validation accepts the unvalidated spec
    assert [t.name for t in figure.data] == ["Met", "Partially met", "Not met", "Not applicable"]
    assert [t.marker.color for t in figure.data] == [RESPONSE_COLOURS[t.name] for t in figure.data]
    assert {(t.type, t.orientation) for t in figure.data} == {("bar", "h")}
    assert figure.layout.barmode == "stack"
    for trace in figure.data:
        assert trace.y == ("NW", "NE", "SW", "SE", "County")
        # NE chosen: the other quadrants faded, NE and the county at full strength.
        assert trace.marker.opacity == (0.3, 1.0, 0.3, 0.3, 1.0)
    # The shares of R2_ROWS, column by column; SE has none.
    assert [t.x for t in figure.data] == [
        (0.5, 0.5, 0.0, None, 0.375),
        (0.0, 0.0, 0.5, None, 0.125),
        (0.25, 0.5, 0.5, None, 0.375),
        (0.25, 0.0, 0.0, None, 0.125),
    ]
    assert charts.plain_title(figure) == "NE: 50% of answers met; the county 38%"
    assert figure.layout.title.subtitle.text == "n=4 cases"


def test_figure_without_a_choice_fades_nothing(tiny):
    figure = response_mix_figure(queries.response_mix(tiny, "alpha"))
    assert {t.marker.opacity for t in figure.data} == {(1.0, 1.0, 1.0, 1.0, 1.0)}


def test_words_for_the_county(tiny):
    frame = queries.response_mix(tiny, "alpha")
    # County met 3/8 = 37.5% -> "38%" (half to even); partially met and n/a 1/8 = 12.5% -> "12%".
    # By quadrant met: SW 0, NW and NE 1/2. Not met: NW 1/4, NE and SW 1/2.
    assert response_mix_title(frame) == (
        "38% of the county's answers met; lowest SW (0%), highest NW and NE (50%)"
    )
    assert response_mix_alt(frame) == (
        "Stacked bar chart of the mix of answers in each quadrant and the county; in the county "
        "38% met, 12% partially met, 38% not met and 12% not applicable (n=8 answers)."
    )
    assert response_mix_notes(frame) == [
        "Across the county, of 8 answers: 3 met (38%), 1 partially met (12%), 3 not met (38%) "
        "and 1 not applicable (12%).",
        "By quadrant, the share of answers met ranges from SW (0%) to NW and NE (50%), and the "
        "share not met from NW (25%) to NE and SW (50%).",
        "No answers from SE.",
    ]


def test_words_for_chosen_quadrants(tiny):
    frame = queries.response_mix(tiny, "alpha", Filters(quadrants=("NE",)))
    assert response_mix_title(frame, ("NE",)) == "NE: 50% of answers met; the county 38%"
    notes = response_mix_notes(frame)
    assert notes[0] == (
        "In North East (NE), of 2 answers: 1 met (50%), 0 partially met (0%), 1 not met (50%) "
        "and 0 not applicable (0%)."
    )
    assert notes[1].startswith("Across the county, of 8 answers:")
    # SE chosen with NW (team T1: NW 1 met of 2): pooled 1 of 2 met; county 2 of 6 (33%).
    chosen = queries.response_mix(tiny, "alpha", Filters(quadrants=("NW", "SE"), teams=("T1",)))
    assert (
        response_mix_title(chosen, ("NW", "SE")) == "NW and SE: 50% of answers met; the county 33%"
    )
    assert response_mix_notes(chosen)[:2] == [
        "In North West (NW), of 2 answers: 1 met (50%), 0 partially met (0%), 0 not met (0%) "
        "and 1 not applicable (50%).",
        "South East (SE) has no answers for this selection.",
    ]
    alone = queries.response_mix(tiny, "alpha", Filters(quadrants=("SE",)))
    assert response_mix_title(alone, ("SE",)) == "SE has no answers; the county's are 38% met"


def test_notes_never_say_a_share_of_a_withheld_count(tiny):
    frame = queries.response_mix(tiny, "alpha", Filters(quadrants=("NW",)))
    shown = frame.astype(object)
    shown.loc[0, ["met", "pct_met"]] = "c"  # NW's met withheld for circulation
    # NW's 2 of 4 met is not said, and the range met, which would place NW's hidden share
    # among the others', is left out: only the range not met is said.
    assert response_mix_notes(frame, shown) == [
        "In North West (NW), of 4 answers: c met, 0 partially met (0%), 1 not met (25%) and "
        "1 not applicable (25%).",
        "Across the county, of 8 answers: 3 met (38%), 1 partially met (12%), 3 not met (38%) "
        "and 1 not applicable (12%).",
        "By quadrant, the share of answers not met ranges from NW (25%) to NE and SW (50%).",
        "No answers from SE.",
    ]


def test_words_without_answers(tiny):
    # Team T2's only case (A2) is in r2: in r1 it has no answers anywhere.
    frame = queries.response_mix(tiny, "alpha", Filters(round_id="r1", teams=("T2",)))
    assert frame["answers"].tolist() == [0, 0, 0, 0, 0]
    assert response_mix_title(frame) == "No audit results for this selection"
    assert response_mix_alt(frame) == "No audit results to show."
    assert response_mix_notes(frame) == ["There are no audit results for this selection."]
