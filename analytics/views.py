"""A chart as the dashboard shows it: the figure, exactly the plotted numbers, title, subtitle, alt.

The pages, the export buttons, the slide pack and `python -m analytics export` all build charts
here, so a number on screen and the same number in an export come from one place. What each
chart is (its query, drawing and words) is its spec in analytics.chart_specs.CHARTS.
"""

from __future__ import annotations

from dataclasses import replace

from analytics import charts, queries
from analytics.chart_specs import CHARTS, ChartView
from analytics.chart_specs.common import no_cases_message, round_label, theme_titles
from analytics.domain import Filters
from analytics.errors import UnknownValueError
from analytics.store import Store

__all__ = [
    "ChartView",
    "chart_view",
    "empty_message",
    "no_cases_message",
    "round_label",
    "theme_titles",
]


def empty_message(
    store: Store, name: str, theme: str | None, filters: Filters, compare_round: str | None = None
) -> str | None:
    """Return the plain message when the named chart's selection has no cases, else None."""
    return CHARTS[name].empty(store, theme, filters, compare_round)


def _emptied(view: ChartView, message: str) -> ChartView:
    # Nothing plotted and no rows: the title, alt text and exports say why instead.
    figure = charts.empty_figure(message, view.subtitle)
    return replace(view, figure=figure, data=view.data.iloc[0:0], title=message,
                   alt_text=message, empty_message=message)  # fmt: skip


def chart_view(
    store: Store,
    name: str,
    theme: str | None,
    filters: Filters = queries.ALL,
    compare_round: str | None = None,
) -> ChartView:
    """Return the named chart for a theme and filters (charts over every theme ignore the theme).

    `compare_round` chooses the earlier round of round_trend (default: the one before).
    finding_frequency with no theme ranks every theme's standards.
    """
    spec = CHARTS.get(name)
    if spec is None:
        raise UnknownValueError("chart", name, CHARTS)
    view = spec.view(store, theme, filters, compare_round)
    message = spec.empty(store, theme, filters, compare_round)
    return view if message is None else _emptied(view, message)
