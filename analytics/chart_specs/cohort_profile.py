"""The cohort profile: the audited cases of a theme's round by quadrant, team, gender, age band
and overall grade."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import charts, narrative, queries
from analytics.chart_specs.common import (
    empty_in_theme,
    make_view,
    needed_theme,
    round_label,
    subtitle_for,
)
from analytics.chart_specs.redraw import hidden, rows_where
from analytics.chart_specs.rule import Rule
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext
from analytics.domain import QUADRANTS, Filters
from analytics.stats import SUPPRESSED
from analytics.store import Store


def build_view(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw the cohort of one theme's round."""
    theme = needed_theme(store, theme)
    label = round_label(store, theme, queries.resolve_round(store, theme, filters.round_id))
    data = queries.cohort_profile(store, theme, filters)
    cases = int(data.loc[data["dimension"] == "quadrant", "cases"].sum())
    subtitle = subtitle_for(cases, label, filters)
    figure = charts.cohort_profile_figure(data, subtitle)
    alt = narrative.cohort_alt(data)
    return make_view(SPEC_NAME, figure, data, subtitle, alt, theme, label, filters)


def notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """The cohort's speaker notes."""
    return narrative.cohort_notes(data, shown)


def cohort_profile_redraw(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    quadrants = rows_where(data, data["dimension"] == "quadrant")
    if not quadrants:
        title = narrative.cohort_title(data)
    else:
        total = int(data["cases"].iloc[quadrants].sum())
        parts = "; ".join(
            f"{data['value'].iat[i]} {shown['cases'].iat[i]}"
            for q in QUADRANTS
            for i in quadrants
            if data["value"].iat[i] == q
        )
        count = str(total) if total >= threshold else SUPPRESSED
        title = f"{count} cases audited ({parts})"
    grades = rows_where(data, data["dimension"] == "overall_grade")
    alt = "Bar charts of the audited cases by quadrant, team, gender, age band and grade"
    if grades:
        top = max(grades, key=lambda i: (data["cases"].iat[i], -i))
        if hidden(shown, top, "cases"):
            alt += f"; grade counts under {threshold} are not shown."
        else:
            alt += (
                f"; the most common overall grade is {data['value'].iat[top]} "
                f"({int(data['cases'].iat[top])} cases)."
            )
    else:
        alt += "."
    plotted = data.copy()
    gone = np.asarray([hidden(shown, i, "cases") for i in range(len(data))], dtype=bool)
    plotted["cases"] = plotted["cases"].where(~gone, 0)
    figure = charts.cohort_profile_figure(plotted, view.subtitle)
    # The builder draws one bar trace per dimension, in its own order, rows in data order.
    for trace, dimension in zip(figure.data, charts.PROFILE_DIMENSIONS, strict=False):
        rows = rows_where(data, data["dimension"] == dimension)
        trace.text = [SUPPRESSED if gone[i] else str(int(data["cases"].iat[i])) for i in rows]
    return title, alt, figure


SPEC_NAME = "cohort_profile"
SPEC = ChartSpec(
    name=SPEC_NAME,
    label="cohort profile",
    words="Cohort profile: the audited cases",
    scope="theme",
    view=build_view,
    empty=empty_in_theme,
    columns=(
        ("dimension", "Dimension"),
        ("value", "Group"),
        ("cases", "Cases"),
        ("share", "pct of cases"),
    ),
    suppression=Rule(
        counts=("cases",),
        group=("dimension",),
        group_sums_known=True,  # every dimension adds up to the cohort, printed in the title
        derived={"share": ("cases",)},
    ),
    redraw=cohort_profile_redraw,
    notes=notes,
    slide_tick_characters=12,
)
