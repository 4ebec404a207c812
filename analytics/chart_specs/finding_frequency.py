"""The finding frequency: the standards most often not met, the selection ranked beside the
county (for one theme, or every theme's standards pooled on the overview)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import charts, narrative, queries
from analytics.chart_specs.columns import ANSWER_COLUMNS, QUESTION_COLUMNS
from analytics.chart_specs.common import (
    LATEST,
    TOP_FINDINGS,
    cases_in,
    empty_in_theme,
    make_view,
    round_label,
    selected_cases,
    subtitle_for,
    top_findings,
)
from analytics.chart_specs.redraw import blank, c_marks, pct_shown, rows_where
from analytics.chart_specs.rule import ANSWER_COUNTS, Rule
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext
from analytics.domain import Filters
from analytics.stats import SUPPRESSED
from analytics.store import Store


def build_view(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw the ranking: one theme's standards, or with no theme every theme's."""
    data = top_findings(queries.finding_frequency(store, theme, filters))
    if theme is None:
        label = LATEST
        cases = selected_cases(queries.theme_summary(store, filters))
    else:
        label = round_label(store, theme, queries.resolve_round(store, theme, filters.round_id))
        cases = cases_in(store, theme, filters)
    subtitle = subtitle_for(cases, label, filters)
    figure = charts.finding_frequency_figure(data, subtitle, TOP_FINDINGS)
    alt = narrative.finding_frequency_alt(data)
    return make_view(SPEC_NAME, figure, data, subtitle, alt, theme, label, filters)


def notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """The ranking's speaker notes."""
    return narrative.finding_frequency_notes(data, shown)


def finding_frequency_redraw(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    chosen = rows_where(data, data["scope"] == "Selection")
    if not chosen:
        title = narrative.finding_frequency_title(data)
    else:
        top = chosen[0]
        text = narrative.short(str(data["text"].iat[top]), 70)
        share = pct_shown(shown, top, "pct_not_met")
        share = "share not shown" if share == SUPPRESSED else f"{share} not met"
        title = f"Most often not met: {text} ({share})"
    listed = "; ".join(
        f"{data['question_id'].iat[i]} {pct_shown(shown, i, 'pct_not_met')}" for i in chosen[:3]
    )
    alt = (
        f"Bar chart ranking {len(chosen)} standards by the share of cases not met"
        + (f"; the top three are {listed}" if listed else "")
        + f"; shares resting on counts under {threshold} are not shown."
    )
    # A stacked bar with one part missing would misplace the other: leave out both.
    both = ("pct_not_met", "pct_partially_met")
    plotted = blank(data, shown, {"pct_not_met": both, "pct_partially_met": both})
    figure = charts.finding_frequency_figure(plotted, view.subtitle, len(chosen) or 1)
    labels = [
        charts.question_label(data["question_id"].iat[i], data["text"].iat[i], 60)
        for i in chosen
        if np.isnan(plotted["pct_not_met"].iat[i])
    ]
    c_marks(figure, labels)
    return title, alt, figure


SPEC_NAME = "finding_frequency"
SPEC = ChartSpec(
    name=SPEC_NAME,
    label="finding frequency",
    words="Finding frequency: standards most often not met",
    scope="theme_or_all",
    view=build_view,
    empty=empty_in_theme,
    columns=(
        ("rank", "Rank"),
        ("scope", "Scope"),
        ("theme_id", "Theme"),
        *QUESTION_COLUMNS,
        *ANSWER_COLUMNS,
        ("pct_not_met", "pct not met"),
        ("ci_not_met_low", "95% CI low, not met (pct)"),
        ("ci_not_met_high", "95% CI high, not met (pct)"),
        ("pct_partially_met", "pct partially met"),
        ("pct_met", "pct met"),
    ),
    suppression=Rule(
        counts=(*ANSWER_COUNTS, "n"),
        rows=((ANSWER_COUNTS, "n"),),
        derived={
            "pct_met": ("met", "n"),
            "pct_partially_met": ("partially_met", "n"),
            "pct_not_met": ("not_met", "n"),
            "ci_not_met_low": ("not_met", "n"),
            "ci_not_met_high": ("not_met", "n"),
        },
    ),
    redraw=finding_frequency_redraw,
    notes=notes,
    intervals=(("ci_not_met_low", "ci_not_met_high", "not_met", "n"),),
    question_rows=True,
)
