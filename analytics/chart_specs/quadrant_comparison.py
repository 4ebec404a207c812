"""The quadrant comparison: the share of cases meeting each standard, by quadrant and county,
with Wilson intervals (the theme page's first chart)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analytics import charts, narrative, queries
from analytics.chart_specs.columns import ANSWER_COLUMNS, QUESTION_COLUMNS, SHARE_COLUMNS
from analytics.chart_specs.common import (
    cases_in,
    make_view,
    needed_theme,
    no_cases_message,
    round_label,
    subtitle_for,
    without_quadrants,
)
from analytics.chart_specs.redraw import blank, c_marks, hidden, not_shown, rows_where
from analytics.chart_specs.rule import ANSWER_COUNTS, SHARE_MET, Rule
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext
from analytics.domain import COUNTY, QUADRANTS, Filters
from analytics.stats import SUPPRESSED
from analytics.store import Store


def build_view(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw the comparison for one theme and round."""
    theme = needed_theme(store, theme)
    label = round_label(store, theme, queries.resolve_round(store, theme, filters.round_id))
    data = queries.quadrant_comparison(store, theme, filters)
    subtitle = subtitle_for(cases_in(store, theme, filters), label, filters)
    figure = charts.quadrant_comparison_figure(data, filters.quadrants, subtitle)
    alt = narrative.quadrant_comparison_alt(data)
    return make_view(SPEC_NAME, figure, data, subtitle, alt, theme, label, filters)


def empty(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> str | None:
    """Every quadrant is drawn (the chosen ones highlighted): empty only when the theme's round
    has no cases for the teams."""
    return no_cases_message(store, theme, without_quadrants(filters))


def notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """The comparison's speaker notes, with the change since the earlier round second."""
    sentences = narrative.quadrant_comparison_notes(data, context.quadrants, shown)
    trend = context.trend
    if trend is not None and not trend.empty and context.trend_from:
        sentences.insert(
            1, narrative.trend_sentence(trend.reset_index(drop=True), context.trend_from,
                                        context.trend_shown)
        )  # fmt: skip
    return sentences


def quadrant_comparison_redraw(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    quadrants = view.filters.quadrants
    county = rows_where(data, data["quadrant"] == COUNTY)
    questions = list(dict.fromkeys(data["question_id"]))
    if data.empty or data["n"].sum() == 0:
        title = narrative.quadrant_comparison_title(data, quadrants)
    elif quadrants:
        lower = compared = 0
        for question in questions:
            rows = rows_where(
                data, (data["question_id"] == question) & data["quadrant"].isin(quadrants)
            )
            at_county = rows_where(
                data, (data["question_id"] == question) & (data["quadrant"] == COUNTY)
            )
            usable = [i for i in rows if data["n"].iat[i] > 0]
            if not usable or not at_county or hidden(shown, at_county[0], "pct_met"):
                continue
            if any(hidden(shown, i, "met", "n") for i in usable):
                continue
            met = sum(int(data["met"].iat[i]) for i in usable)
            n = sum(int(data["n"].iat[i]) for i in usable)
            compared += 1
            lower += met / n < data["pct_met"].iat[at_county[0]]
        where = narrative.selection_name(quadrants)
        if compared:
            title = f"{where} met {lower} of {compared} standards less often than the county"
        else:
            title = f"{where} and the county: shares not shown ({SUPPRESSED})"
        title += not_shown(len(questions) - compared) if compared else ""
    else:
        usable = [i for i in county if data["n"].iat[i] > 0 and not hidden(shown, i, "pct_met")]
        if usable:
            ordered = sorted(usable, key=lambda i: (data["pct_met"].iat[i], i))
            low, high = ordered[0], ordered[-1]
            lowest = "lowest" if len(usable) == len(county) else "lowest shown"
            title = (
                f"{len(county)} standards: {lowest} is {data['question_id'].iat[low]} "
                f"({narrative.pct(data['pct_met'].iat[low])} met), highest "
                f"{data['question_id'].iat[high]} ({narrative.pct(data['pct_met'].iat[high])})"
                + not_shown(len(county) - len(usable))
            )
        else:
            title = f"{len(county)} standards: shares not shown ({SUPPRESSED})"
    alt = f"Dot chart of the share of cases meeting each of {len(questions)} standards by quadrant"
    if county and not any(hidden(shown, i, "met", "n") for i in county):
        met, n = int(data["met"].iloc[county].sum()), int(data["n"].iloc[county].sum())
        alt += f": overall {narrative.pct(met / n if n else math.nan)} met in the county (n={n})"
    pooled: dict[str, float] = {}
    for area in QUADRANTS:
        rows = rows_where(data, data["quadrant"] == area)
        if rows and not any(hidden(shown, i, "met", "n") for i in rows):
            met, n = int(data["met"].iloc[rows].sum()), int(data["n"].iloc[rows].sum())
            if n:
                pooled[area] = met / n
    if len(pooled) >= 2:
        areas = sorted(pooled, key=pooled.__getitem__)
        alt += (
            f"; lowest quadrant shown {areas[0]} ({narrative.pct(pooled[areas[0]])}), "
            f"highest {areas[-1]} ({narrative.pct(pooled[areas[-1]])})"
        )
    alt += f"; shares resting on counts under {threshold} are not shown."
    plotted = blank(data, shown, {"pct_met": ("ci_low", "ci_high")})
    gone = plotted["pct_met"].isna() & (data["n"] > 0)
    for column in ("ci_low", "ci_high"):
        plotted[column] = plotted[column].where(~gone)
    plotted.loc[gone, "n"] = 0  # the builder draws only rows with answers
    plotted["met"] = plotted["met"].where(~gone, 0)
    figure = charts.quadrant_comparison_figure(plotted, quadrants, view.subtitle)
    labels = {q: charts.question_label(q, t) for q, t in data[["question_id", "text"]].values}
    marks = [labels[q] for q in dict.fromkeys(data.loc[gone, "question_id"])]
    c_marks(figure, marks, x=0.0)
    return title, alt, figure


SPEC_NAME = "quadrant_comparison"
SPEC = ChartSpec(
    name=SPEC_NAME,
    label="quadrant comparison",
    words="Quadrant comparison: share of cases meeting each standard",
    scope="theme",
    view=build_view,
    empty=empty,
    columns=(
        *QUESTION_COLUMNS,
        ("quadrant", "Area"),
        *ANSWER_COLUMNS,
        ("not_applicable", "Not applicable"),
        *SHARE_COLUMNS,
    ),
    suppression=Rule(
        counts=(*ANSWER_COUNTS, "not_applicable", "n"),
        # A quadrant's number of cases (n + not applicable) is printed on the cohort chart.
        rows=(
            (ANSWER_COUNTS, "n"),
            (("n", "not_applicable"), None),
            ((*ANSWER_COUNTS, "not_applicable"), None),
        ),
        elsewhere=("quadrant",),
        group=("question_id",),
        total_row=("quadrant", COUNTY),
        derived=SHARE_MET,
    ),
    redraw=quadrant_comparison_redraw,
    notes=notes,
    question_rows=True,
)
