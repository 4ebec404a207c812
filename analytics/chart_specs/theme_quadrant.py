"""The theme by quadrant heatmap: the share of standards met in each theme's latest audited
round, by quadrant and county, with the change since the theme's previous round."""

from __future__ import annotations

import pandas as pd

from analytics import charts, narrative, queries
from analytics.chart_specs.columns import SHARE_COLUMNS
from analytics.chart_specs.common import (
    LATEST,
    empty_in_every_theme,
    make_view,
    selected_cases,
    subtitle_for,
)
from analytics.chart_specs.redraw import heatmap_redraw
from analytics.chart_specs.rule import SHARE_MET, Rule
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext
from analytics.domain import COUNTY, Filters
from analytics.store import Store


def build_view(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw every theme by quadrant (the theme is ignored)."""
    summary = queries.theme_summary(store, filters)
    subtitle = subtitle_for(selected_cases(summary), LATEST, filters)
    figure = charts.theme_quadrant_figure(summary, subtitle, filters.quadrants)
    alt = narrative.theme_heatmap_alt(summary)
    return make_view(SPEC_NAME, figure, summary, subtitle, alt, None, LATEST, filters)


def notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """The heatmap's speaker notes."""
    return narrative.theme_heatmap_notes(data, shown)


SPEC_NAME = "theme_quadrant"
SPEC = ChartSpec(
    name=SPEC_NAME,
    label="theme x quadrant summary",
    words="Theme by quadrant: share of standards met",
    scope="every_theme",
    view=build_view,
    empty=empty_in_every_theme,
    columns=(
        ("title", "Theme"),
        ("quadrant", "Area"),
        ("round_id", "Round"),
        ("cases", "Cases"),
        ("n", "n"),
        ("met", "Met"),
        *SHARE_COLUMNS,
        ("round_id_previous", "Previous round"),
        ("n_previous", "n (previous)"),
        ("met_previous", "Met (previous)"),
        ("pct_met_previous", "pct met (previous)"),
        ("change", "Change (pct points)"),
        ("beyond_chance", "Beyond chance"),
    ),
    suppression=Rule(
        counts=(
            "cases",
            "n",
            "met",
            "_not_met",
            "n_previous",
            "met_previous",
            "_not_met_previous",
        ),
        implicit={
            "_not_met": ("n", ("met",)),
            "_not_met_previous": ("n_previous", ("met_previous",)),
        },
        rows=((("met", "_not_met"), "n"), (("met_previous", "_not_met_previous"), "n_previous")),
        group=("theme_id",),
        total_row=("quadrant", COUNTY),
        derived={
            **SHARE_MET,
            "pct_met_previous": ("met_previous", "n_previous"),
            "change": ("met", "n", "met_previous", "n_previous"),
        },
    ),
    redraw=heatmap_redraw,
    notes=notes,
)
