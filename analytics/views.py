"""A chart as the dashboard shows it: the figure, exactly the plotted numbers, title, subtitle, alt.

The pages, the export buttons, the slide pack and `python -m analytics export` all build charts
here, so a number on screen and the same number in an export come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import plotly.graph_objects as go

from analytics import charts, narrative, queries
from analytics.catalogue import category_order
from analytics.domain import COUNTY, INCOMPLETE, Filters
from analytics.errors import UnknownValueError
from analytics.store import Store

CHART_NAMES = charts.CHART_NAMES
TOP_FINDINGS = 12


@dataclass(frozen=True)
class ChartView:
    """One chart with its data and the words around it."""

    name: str
    figure: go.Figure
    data: pd.DataFrame
    title: str
    subtitle: str
    alt_text: str
    theme_id: str | None
    round_label: str
    filters: Filters
    # Set when the selection has no cases: the chart is empty and says this instead.
    empty_message: str | None = None


def round_label(store: Store, theme: str, round_id: str | None) -> str:
    """Return a round's label ("Final (April 2020)"), marked "· incomplete" while the round is
    held back, or a note that there is none."""
    if round_id is None:
        return "no audited round"
    label = str(queries.round_labels(store, theme).get(round_id, round_id))
    held = set(queries.held_rounds(store, theme)["round_id"])
    # Opened explicitly, a held-back round's charts, pack and report say it is incomplete.
    return f"{label} · {INCOMPLETE}" if round_id in held else label


def theme_titles(store: Store) -> dict[str, str]:
    """Return theme id -> title for the themes that hold audit results."""
    frame = queries.themes(store)
    return {
        t: title
        for t, title in zip(frame["theme_id"], frame["title"], strict=True)
        if queries.audited_rounds(store, t)
    }


def subtitle_for(n_cases: int | None, round_text: str, filters: Filters) -> str:
    """Return the statistical subtitle: n, round and filters."""
    cases = f"n={n_cases} cases · " if n_cases is not None else ""
    return f"{cases}{round_text} · {filters.describe()}"


def _top_findings(ranked: pd.DataFrame) -> pd.DataFrame:
    # Keep the selection's top standards and the county rows for the same standards.
    top = ranked[ranked["scope"] == "Selection"].head(TOP_FINDINGS)
    keys = set(zip(top["theme_id"], top["question_id"], strict=True))
    pairs = zip(ranked["theme_id"], ranked["question_id"], strict=True)
    # A boolean Series, not a list: an empty list would select no columns instead of no rows.
    kept = pd.Series([pair in keys for pair in pairs], index=ranked.index, dtype=bool)
    return ranked[kept].reset_index(drop=True)


def _cases(store: Store, theme: str, filters: Filters) -> int:
    profile = queries.cohort_profile(store, theme, filters)
    return int(profile.loc[profile["dimension"] == "quadrant", "cases"].sum())


def _in_round(filters: Filters, round_id: str) -> Filters:
    return replace(filters, round_id=round_id)


def _selected_cases(summary: pd.DataFrame) -> int:
    # Cases audited in the selection, over every theme's latest round (theme_summary rows).
    return int(summary.loc[summary["selected"], "cases"].sum())


LATEST = "each theme's latest round"
LATEST_AUDITED = "any theme's latest audited round"


def no_cases_message(store: Store, theme: str | None, filters: Filters) -> str | None:
    """Return the plain message when the selection has no cases, else None: in the theme's chosen
    round (default: its latest), or with no theme in every theme's latest audited round."""
    if not filters.quadrants and not filters.teams:
        return None  # the whole county: every round with results has cases
    if theme is None:
        if _selected_cases(queries.theme_summary(store, filters)):
            return None
        return narrative.no_cases_message(filters.teams, filters.quadrants, LATEST_AUDITED)
    round_id = queries.resolve_round(store, theme, filters.round_id)
    if round_id is None or _cases(store, theme, _in_round(filters, round_id)):
        return None
    title = queries.theme_info(store, theme)["title"]
    where = f"round {round_label(store, theme, round_id)} of {title}"
    return narrative.no_cases_message(filters.teams, filters.quadrants, where)


def empty_message(
    store: Store, name: str, theme: str | None, filters: Filters, compare_round: str | None = None
) -> str | None:
    """Return the plain message when the named chart's selection has no cases, else None.

    The trend needs cases in both of its rounds; the quadrant comparison and heatmap always
    show every quadrant (the selection highlighted), so they are empty only without quadrants.
    """
    if name == "quadrant_comparison":
        filters = replace(filters, quadrants=())
    if name in CROSS_THEME_VIEWS or theme is None:
        if name == "category_by_quadrant":
            filters = replace(filters, quadrants=())
        return no_cases_message(store, None, filters)
    message = no_cases_message(store, theme, filters)
    if message is not None or name != "round_trend":
        return message
    current = queries.resolve_round(store, theme, filters.round_id)
    earlier = queries.earlier_rounds(store, theme, current)
    other = compare_round or (earlier[0] if earlier else None)
    return None if other is None else no_cases_message(store, theme, _in_round(filters, other))


def _emptied(view: ChartView, message: str) -> ChartView:
    # Nothing plotted and no rows: the title, alt text and exports say why instead.
    figure = charts.empty_figure(message, view.subtitle)
    return replace(view, figure=figure, data=view.data.iloc[0:0], title=message,
                   alt_text=message, empty_message=message)  # fmt: skip


# Views that span every theme (each at its latest audited round); they take no theme.
CROSS_THEME_VIEWS = ("category_matrix", "category_by_quadrant", "theme_quadrant")
VIEW_NAMES = (*CHART_NAMES, "category_by_quadrant", "theme_quadrant")


def _view(name: str, figure: go.Figure, data: pd.DataFrame, subtitle: str, alt: str,
          theme: str | None, label: str, filters: Filters) -> ChartView:  # fmt: skip
    return ChartView(
        name, figure, data, charts.plain_title(figure), subtitle, alt, theme, label, filters
    )


def _cross_theme_view(store: Store, name: str, filters: Filters) -> ChartView:
    if name == "theme_quadrant":
        summary = queries.theme_summary(store, filters)
        subtitle = subtitle_for(_selected_cases(summary), LATEST, filters)
        figure = charts.theme_quadrant_figure(summary, subtitle, filters.quadrants)
        return _view(name, figure, summary, subtitle, narrative.theme_heatmap_alt(summary), None,
                     LATEST, filters)  # fmt: skip
    by = "theme" if name == "category_matrix" else "quadrant"
    # The quadrant view always shows all four quadrants and the county, so it ignores the
    # quadrant selection (and its n is the county's); the theme view describes the selection.
    scope = filters if by == "theme" else replace(filters, quadrants=())
    subtitle = subtitle_for(_selected_cases(queries.theme_summary(store, scope)), LATEST, scope)
    matrix = queries.category_matrix(store, scope)
    figure = charts.category_matrix_figure(
        matrix, by, subtitle, theme_titles(store), category_order()
    )
    keep = matrix["quadrant"] == COUNTY if by == "theme" else matrix["theme_id"] == "All themes"
    data = matrix[keep].reset_index(drop=True)
    return _view(name, figure, data, subtitle, narrative.category_matrix_alt(matrix), None, LATEST,
                 filters)  # fmt: skip


def chart_view(
    store: Store,
    name: str,
    theme: str | None,
    filters: Filters = queries.ALL,
    compare_round: str | None = None,
) -> ChartView:
    """Return the named chart for a theme and filters (cross-theme views ignore the theme).

    `compare_round` chooses the earlier round of round_trend (default: the one before).
    finding_frequency with no theme ranks every theme's standards.
    """
    if name not in VIEW_NAMES:
        raise UnknownValueError("chart", name, VIEW_NAMES)
    view = _chart_view(store, name, theme, filters, compare_round)
    message = empty_message(store, name, theme, filters, compare_round)
    return view if message is None else _emptied(view, message)


def _chart_view(
    store: Store, name: str, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    if name in CROSS_THEME_VIEWS:
        return _cross_theme_view(store, name, filters)
    if name == "finding_frequency" and theme is None:
        data = _top_findings(queries.finding_frequency(store, None, filters))
        cases = _selected_cases(queries.theme_summary(store, filters))
        subtitle = subtitle_for(cases, LATEST, filters)
        figure = charts.finding_frequency_figure(data, subtitle, TOP_FINDINGS)
        return _view(name, figure, data, subtitle, narrative.finding_frequency_alt(data), None,
                     LATEST, filters)  # fmt: skip
    if theme is None:
        raise UnknownValueError(
            "theme (needed for this chart)", None, queries.themes(store)["theme_id"]
        )
    round_id = queries.resolve_round(store, theme, filters.round_id)
    label = round_label(store, theme, round_id)
    if name == "round_trend":
        # Always from the earlier round to the later one, whichever the filter chose.
        data = queries.round_trend(store, theme, filters, round_from=compare_round)
        labels = queries.round_labels(store, theme)
        if len(data):
            first, second = data["round_from"].iloc[0], data["round_to"].iloc[0]
            label = f"{labels.get(first, first)} to {labels.get(second, second)}"
            both = f"{_cases(store, theme, _in_round(filters, first))} and "
            both += f"{_cases(store, theme, _in_round(filters, second))} cases"
            subtitle = f"n={both} · {label} · {filters.describe()}"
        else:
            subtitle = subtitle_for(_cases(store, theme, filters), label, filters)
        figure = charts.round_trend_figure(data, subtitle, labels)
        alt = narrative.round_trend_alt(data, labels)
    elif name == "quadrant_comparison":
        data = queries.quadrant_comparison(store, theme, filters)
        subtitle = subtitle_for(_cases(store, theme, filters), label, filters)
        figure = charts.quadrant_comparison_figure(data, filters.quadrants, subtitle)
        alt = narrative.quadrant_comparison_alt(data)
    elif name == "finding_frequency":
        data = _top_findings(queries.finding_frequency(store, theme, filters))
        subtitle = subtitle_for(_cases(store, theme, filters), label, filters)
        figure = charts.finding_frequency_figure(data, subtitle, TOP_FINDINGS)
        alt = narrative.finding_frequency_alt(data)
    else:  # cohort_profile
        data = queries.cohort_profile(store, theme, filters)
        cases = int(data.loc[data["dimension"] == "quadrant", "cases"].sum())
        subtitle = subtitle_for(cases, label, filters)
        figure = charts.cohort_profile_figure(data, subtitle)
        alt = narrative.cohort_alt(data)
    return _view(name, figure, data, subtitle, alt, theme, label, filters)
