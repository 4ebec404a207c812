"""The two category heatmaps: the share met by practice area and theme (category_matrix), and by
practice area and quadrant (category_by_quadrant), each theme at its latest audited round."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from analytics import charts, narrative, queries
from analytics.catalogue import category_order
from analytics.chart_specs.columns import SHARE_COLUMNS
from analytics.chart_specs.common import (
    LATEST,
    empty_in_every_theme,
    make_view,
    no_cases_message,
    selected_cases,
    subtitle_for,
    theme_titles,
    without_quadrants,
)
from analytics.chart_specs.redraw import heatmap_redraw
from analytics.chart_specs.rule import ALL_THEMES, SHARE_MET, Rule
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext
from analytics.domain import COUNTY, Filters
from analytics.store import Store


def _view(name: str, by: str, store: Store, filters: Filters) -> ChartView:
    # The quadrant view always shows all four quadrants and the county, so it ignores the
    # quadrant selection (and its n is the county's); the theme view describes the selection.
    scope = filters if by == "theme" else replace(filters, quadrants=())
    subtitle = subtitle_for(selected_cases(queries.theme_summary(store, scope)), LATEST, scope)
    matrix = queries.category_matrix(store, scope)
    figure = charts.category_matrix_figure(
        matrix, by, subtitle, theme_titles(store), category_order()
    )
    keep = matrix["quadrant"] == COUNTY if by == "theme" else matrix["theme_id"] == ALL_THEMES
    data = matrix[keep].reset_index(drop=True)
    alt = narrative.category_matrix_alt(matrix)
    return make_view(name, figure, data, subtitle, alt, None, LATEST, filters)


def by_theme(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw the practice areas by theme (the theme is ignored: every theme)."""
    return _view("category_matrix", "theme", store, filters)


def by_quadrant(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw the practice areas by quadrant (every quadrant, the county's n)."""
    return _view("category_by_quadrant", "quadrant", store, filters)


def empty_by_quadrant(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> str | None:
    """Every quadrant is drawn: empty only when no theme has cases for the teams."""
    return no_cases_message(store, None, without_quadrants(filters))


def notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """The practice areas' speaker notes."""
    return narrative.category_matrix_notes(
        data, None if context.titles is None else dict(context.titles), shown
    )


def no_notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """No speaker notes: this chart is not on a slide."""
    return []


CATEGORY_MATRIX = ChartSpec(
    name="category_matrix",
    label="category matrix",
    words="Category matrix: share met by practice area and theme",
    scope="every_theme",
    view=by_theme,
    empty=empty_in_every_theme,
    columns=(
        ("category", "Category"),
        ("theme_id", "Theme"),
        ("quadrant", "Area"),
        ("n", "n"),
        ("met", "Met"),
        *SHARE_COLUMNS,
    ),
    suppression=Rule(
        counts=("met", "n", "_not_met"),
        implicit={"_not_met": ("n", ("met",))},
        rows=((("met", "_not_met"), "n"),),
        group=("category",),
        total_row=("theme_id", ALL_THEMES),
        derived=SHARE_MET,
    ),
    redraw=heatmap_redraw,
    notes=notes,
    slide_tick_characters=18,
)
CATEGORY_BY_QUADRANT = ChartSpec(
    name="category_by_quadrant",
    label="category by quadrant",
    words="Category by quadrant: share met by practice area and quadrant",
    scope="every_theme",
    view=by_quadrant,
    empty=empty_by_quadrant,
    columns=(
        ("category", "Category"),
        ("quadrant", "Area"),
        ("n", "n"),
        ("met", "Met"),
        *SHARE_COLUMNS,
    ),
    suppression=Rule(
        counts=("met", "n", "_not_met"),
        implicit={"_not_met": ("n", ("met",))},
        rows=((("met", "_not_met"), "n"),),
        group=("category",),
        total_row=("quadrant", COUNTY),
        derived=SHARE_MET,
    ),
    redraw=heatmap_redraw,
    notes=no_notes,
)
