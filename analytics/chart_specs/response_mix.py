"""The response mix: the share of answers met, partially met, not met and not applicable, by
quadrant and county (the example of a chart added as one spec: README, "Adding a chart").

One row per area (NW, NE, SW, SE, County) from queries.response_mix: the answers of each
response pooled over the theme's questions, and their shares of all answers (Not applicable
included, so an area's four shares add up to 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analytics import charts, queries
from analytics.chart_specs.common import (
    cases_in,
    make_view,
    needed_theme,
    no_cases_message,
    round_label,
    subtitle_for,
    without_quadrants,
)
from analytics.chart_specs.redraw import blank, c_marks, hidden, not_shown, pct_shown, rows_where
from analytics.chart_specs.rule import Rule
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext
from analytics.domain import (
    COUNTY,
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PARTIALLY_MET,
    RESPONSE_COLOURS,
    Filters,
)
from analytics.narrative import _shown, area_name, pct, selection_name
from analytics.stats import SUPPRESSED
from analytics.store import Store

# Each response with its count and share columns, in the order the bars stack.
RESPONSE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    (MET, "met", "pct_met"),
    (PARTIALLY_MET, "partially_met", "pct_partially_met"),
    (NOT_MET, "not_met", "pct_not_met"),
    (NOT_APPLICABLE, "not_applicable", "pct_not_applicable"),
)
NO_RESULTS_TITLE = "No audit results for this selection"


def _county(frame: pd.DataFrame) -> pd.Series | None:
    rows = frame[frame["quadrant"] == COUNTY]
    if rows.empty or rows["answers"].iat[0] == 0:
        return None
    return rows.iloc[0]


def _ends(names: list[str], shares: list[float]) -> tuple[str, str]:
    """Return the areas at the lowest and at the highest share, ties named together ("NE and
    SW (50%)")."""
    low, high = min(shares), max(shares)
    lowest = [n for n, s in zip(names, shares, strict=True) if s == low]
    highest = [n for n, s in zip(names, shares, strict=True) if s == high]
    return f"{selection_name(lowest)} ({pct(low)})", f"{selection_name(highest)} ({pct(high)})"


def response_mix_figure(
    frame: pd.DataFrame, quadrants: tuple[str, ...] = (), subtitle: str = ""
) -> go.Figure:
    """Return a 100% stacked bar per area: the shares of its answers met, partially met, not
    met and not applicable; quadrants outside the selection faded."""
    areas = [str(area) for area in frame["quadrant"]]
    opacity = [
        1.0 if not quadrants or area in quadrants or area == COUNTY else charts.FADED_OPACITY
        for area in areas
    ]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "x": charts._values(frame[share]),
            "y": areas,
            "name": response,
            "marker": {"color": RESPONSE_COLOURS[response], "opacity": opacity},
            "customdata": charts._rows(frame[[count, "answers"]]),
            "hovertemplate": (
                f"%{{y}} · {response}: %{{x:.0%}} "
                "(%{customdata[0]} of %{customdata[1]} answers)<extra></extra>"
            ),
        }
        for response, count, share in RESPONSE_COLUMNS
    ]
    axes = {
        "xaxis": charts.axis("Share of answers", range=[0, 1], tickformat=".0%",
                             gridcolor=charts._GRID),
        "yaxis": charts.axis(categoryorder="array", categoryarray=areas[::-1]),  # NW at the top
    }  # fmt: skip
    title = response_mix_title(frame, quadrants)
    layout = charts._layout(title, subtitle, 140 + 40 * len(areas), axes, barmode="stack")
    return charts.figure_from_spec(traces, layout)


def response_mix_title(frame: pd.DataFrame, quadrants: tuple[str, ...] = ()) -> str:
    """Return the finding: the selection's share of answers met against the county's, or with
    no quadrant chosen the county's and the quadrants' lowest and highest."""
    county = _county(frame)
    if county is None:
        return NO_RESULTS_TITLE
    county_share = pct(county["pct_met"])
    if quadrants:
        chosen = frame[frame["quadrant"].isin(quadrants)]
        met, answers = int(chosen["met"].sum()), int(chosen["answers"].sum())
        where = selection_name(quadrants)
        if answers == 0:
            verb = "has" if len(quadrants) == 1 else "have"
            return f"{where} {verb} no answers; the county's are {county_share} met"
        return f"{where}: {pct(met / answers)} of answers met; the county {county_share}"
    areas = frame[(frame["quadrant"] != COUNTY) & (frame["answers"] > 0)]
    if len(areas) == 1:
        return f"{county_share} of the county's answers met, all from {areas['quadrant'].iat[0]}"
    lowest, highest = _ends(list(areas["quadrant"]), list(areas["pct_met"]))
    return f"{county_share} of the county's answers met; lowest {lowest}, highest {highest}"


def response_mix_alt(frame: pd.DataFrame) -> str:
    """Return one sentence describing the response mix chart for screen readers."""
    county = _county(frame)
    if county is None:
        return "No audit results to show."
    shares = [f"{pct(county[share])} {response.lower()}" for response, _, share in RESPONSE_COLUMNS]
    return (
        "Stacked bar chart of the mix of answers in each quadrant and the county; in the "
        f"county {', '.join(shares[:-1])} and {shares[-1]} (n={int(county['answers'])} answers)."
    )


def _mix(frame: pd.DataFrame, row: int, shown: pd.DataFrame | None) -> str:
    """Return "of 8 answers: 3 met (38%), ... and 1 not applicable (12%)", a hidden count as c
    and a share built on a hidden count left unsaid."""
    total = str(int(frame["answers"].iat[row])) if _shown(shown, row, "answers") else SUPPRESSED
    parts = []
    for response, count, share in RESPONSE_COLUMNS:
        number = str(int(frame[count].iat[row])) if _shown(shown, row, count) else SUPPRESSED
        parts.append(
            f"{number} {response.lower()} ({pct(frame[share].iat[row])})"
            if _shown(shown, row, count, share, "answers")
            else f"{number} {response.lower()}"
        )
    return f"of {total} answers: {', '.join(parts[:-1])} and {parts[-1]}"


def _spread(frame: pd.DataFrame, rows: list[int], shown: pd.DataFrame | None, share: str) -> str:
    """Return "SW (0%) to NW and NE (50%)" over the quadrants with answers; empty when fewer
    than two, or when any of their shares is withheld (the range would say more than is shown)."""
    count = share.removeprefix("pct_")
    if len(rows) < 2 or not all(_shown(shown, i, count, share, "answers") for i in rows):
        return ""
    names = [str(frame["quadrant"].iat[i]) for i in rows]
    lowest, highest = _ends(names, [float(frame[share].iat[i]) for i in rows])
    return f"from {lowest} to {highest}"


def response_mix_notes(frame: pd.DataFrame, shown: pd.DataFrame | None = None) -> list[str]:
    """Return sentences on the mix of responses: the selected quadrants' and the county's mix,
    the quadrants' range met and not met, and the quadrants without answers. `shown` is the
    table as circulated: a count hidden there is said as c, and no share is built on it."""
    frame = frame.reset_index(drop=True)
    if _county(frame) is None:
        return ["There are no audit results for this selection."]
    county = int(frame.index[frame["quadrant"] == COUNTY][0])
    chosen = frame["selected"] if "selected" in frame.columns else pd.Series(False, frame.index)
    focus = [int(i) for i in frame.index[chosen & (frame["quadrant"] != COUNTY)]]
    sentences = []
    for i in focus:
        where = area_name(str(frame["quadrant"].iat[i]))
        if frame["answers"].iat[i] == 0:
            sentences.append(f"{where} has no answers for this selection.")
        else:
            sentences.append(f"In {where}, {_mix(frame, i, shown)}.")
    sentences.append(f"Across the county, {_mix(frame, county, shown)}.")
    answered = [int(i) for i in frame.index[(frame["quadrant"] != COUNTY) & (frame["answers"] > 0)]]
    met, not_met = (_spread(frame, answered, shown, s) for s in ("pct_met", "pct_not_met"))
    if met and not_met:
        sentences.append(
            f"By quadrant, the share of answers met ranges {met}, and the share not met {not_met}."
        )
    elif met or not_met:
        words = "met" if met else "not met"
        sentences.append(f"By quadrant, the share of answers {words} ranges {met or not_met}.")
    empty = [
        str(frame["quadrant"].iat[i])
        for i in frame.index
        if frame["quadrant"].iat[i] != COUNTY and frame["answers"].iat[i] == 0 and i not in focus
    ]
    if empty:
        sentences.append(f"No answers from {selection_name(empty)}.")
    return sentences


# --- the spec ----------------------------------------------------------------------------------


def build_view(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw the mix of one theme's round, every quadrant and the county."""
    theme = needed_theme(store, theme)
    label = round_label(store, theme, queries.resolve_round(store, theme, filters.round_id))
    data = queries.response_mix(store, theme, filters)
    subtitle = subtitle_for(cases_in(store, theme, filters), label, filters)
    figure = response_mix_figure(data, filters.quadrants, subtitle)
    return make_view(SPEC_NAME, figure, data, subtitle, response_mix_alt(data), theme, label,
                     filters)  # fmt: skip


def empty(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> str | None:
    """Every quadrant is drawn (the chosen ones highlighted): empty only when the theme's round
    has no cases for the teams."""
    return no_cases_message(store, theme, without_quadrants(filters))


def notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """The mix's speaker notes."""
    return response_mix_notes(data, shown)


SHARES = tuple(share for _, _, share in RESPONSE_COLUMNS)


def redraw(
    view: ChartView, data: pd.DataFrame, shown: pd.DataFrame, threshold: int,
    titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:  # fmt: skip
    """The mix for circulation: an area with any share hidden is left out (a stacked bar with a
    part missing would misplace the others) and marked c."""
    plotted = blank(data, shown, {share: SHARES for share in SHARES})
    gone = plotted["pct_met"].isna() & (data["answers"] > 0)
    # Nothing of a left-out area is drawn, not even in its hover text.
    counts = [count for _, count, _ in RESPONSE_COLUMNS] + ["answers"]
    plotted.loc[gone, counts] = 0
    plotted.loc[gone, list(SHARES)] = 0.0
    figure = response_mix_figure(plotted, view.filters.quadrants, view.subtitle)
    c_marks(figure, [str(area) for area in data.loc[gone, "quadrant"]])
    county = rows_where(data, data["quadrant"] == COUNTY)
    if county and not hidden(shown, county[0], "pct_met") and data["answers"].iat[county[0]]:
        title = f"{pct_shown(shown, county[0], 'pct_met')} of the county's answers met"
    else:
        title = f"The county's mix of answers: not shown ({SUPPRESSED})"
    title += not_shown(int(gone.sum()))
    alt = (
        "Stacked bar chart of the mix of answers in each quadrant and the county; shares "
        f"resting on counts under {threshold} are not shown."
    )
    return title, alt, figure


SPEC_NAME = "response_mix"
SPEC = ChartSpec(
    name=SPEC_NAME,
    label="response mix",
    words="Response mix: the share of answers of each kind, by quadrant",
    scope="theme",
    view=build_view,
    empty=empty,
    columns=(
        ("quadrant", "Area"),
        ("met", "Met"),
        ("partially_met", "Partially met"),
        ("not_met", "Not met"),
        ("not_applicable", "Not applicable"),
        ("answers", "Answers"),
        ("pct_met", "pct met"),
        ("pct_partially_met", "pct partially met"),
        ("pct_not_met", "pct not met"),
        ("pct_not_applicable", "pct not applicable"),
    ),
    suppression=Rule(
        counts=("met", "partially_met", "not_met", "not_applicable", "answers"),
        rows=((("met", "partially_met", "not_met", "not_applicable"), "answers"),),
        group=("theme_id",),  # one block: the quadrants add up to the county row
        total_row=("quadrant", COUNTY),
        derived={share: (count, "answers") for _, count, share in RESPONSE_COLUMNS},
    ),
    redraw=redraw,
    notes=notes,
)
