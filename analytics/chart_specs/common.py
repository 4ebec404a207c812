"""What the chart specs share: round labels, subtitles, counts of cases, and when a selection
has no cases."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go

from analytics import charts, narrative, queries
from analytics.chart_specs.spec import ChartView
from analytics.domain import INCOMPLETE, Filters
from analytics.errors import UnknownValueError
from analytics.store import Store

TOP_FINDINGS = 12


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


def top_findings(ranked: pd.DataFrame) -> pd.DataFrame:
    # Keep the selection's top standards and the county rows for the same standards.
    top = ranked[ranked["scope"] == "Selection"].head(TOP_FINDINGS)
    keys = set(zip(top["theme_id"], top["question_id"], strict=True))
    pairs = zip(ranked["theme_id"], ranked["question_id"], strict=True)
    # A boolean Series, not a list: an empty list would select no columns instead of no rows.
    kept = pd.Series([pair in keys for pair in pairs], index=ranked.index, dtype=bool)
    return ranked[kept].reset_index(drop=True)


def cases_in(store: Store, theme: str, filters: Filters) -> int:
    profile = queries.cohort_profile(store, theme, filters)
    return int(profile.loc[profile["dimension"] == "quadrant", "cases"].sum())


def in_round(filters: Filters, round_id: str) -> Filters:
    return replace(filters, round_id=round_id)


def selected_cases(summary: pd.DataFrame) -> int:
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
        if selected_cases(queries.theme_summary(store, filters)):
            return None
        return narrative.no_cases_message(filters.teams, filters.quadrants, LATEST_AUDITED)
    round_id = queries.resolve_round(store, theme, filters.round_id)
    if round_id is None or cases_in(store, theme, in_round(filters, round_id)):
        return None
    title = queries.theme_info(store, theme)["title"]
    where = f"round {round_label(store, theme, round_id)} of {title}"
    return narrative.no_cases_message(filters.teams, filters.quadrants, where)


def make_view(name: str, figure: go.Figure, data: pd.DataFrame, subtitle: str, alt: str,
          theme: str | None, label: str, filters: Filters) -> ChartView:  # fmt: skip
    return ChartView(
        name, figure, data, charts.plain_title(figure), subtitle, alt, theme, label, filters
    )


def needed_theme(store: Store, theme: str | None) -> str:
    """Return the theme of a chart that needs one; without one, an error listing them."""
    if theme is None:
        raise UnknownValueError(
            "theme (needed for this chart)", None, queries.themes(store)["theme_id"]
        )
    return theme


def empty_in_theme(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> str | None:
    """The chart has no cases when the selection has none in the theme's round (every theme's
    latest audited round without a theme)."""
    return no_cases_message(store, theme, filters)


def empty_in_every_theme(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> str | None:
    """A chart over every theme has no cases when the selection has none in any theme."""
    return no_cases_message(store, None, filters)


def without_quadrants(filters: Filters) -> Filters:
    """A chart that shows every quadrant (the chosen ones highlighted) is empty only when the
    selection without its quadrants is."""
    return replace(filters, quadrants=())
