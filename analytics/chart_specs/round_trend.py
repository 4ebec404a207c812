"""The round trend: the share met in each standard in two audit rounds of a theme, and whether
the change is beyond chance."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analytics import charts, narrative, queries
from analytics.chart_specs.columns import QUESTION_COLUMNS
from analytics.chart_specs.common import (
    cases_in,
    in_round,
    make_view,
    needed_theme,
    no_cases_message,
    round_label,
    subtitle_for,
)
from analytics.chart_specs.redraw import blank, c_marks, hidden, pct_shown, rows_where
from analytics.chart_specs.rule import Rule
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext
from analytics.domain import Filters
from analytics.store import Store


def build_view(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> ChartView:
    """Query and draw the trend from the earlier round (`compare_round`, default the one
    before) to the chosen one, whichever the filter chose."""
    theme = needed_theme(store, theme)
    label = round_label(store, theme, queries.resolve_round(store, theme, filters.round_id))
    data = queries.round_trend(store, theme, filters, round_from=compare_round)
    labels = queries.round_labels(store, theme)
    if len(data):
        first, second = data["round_from"].iloc[0], data["round_to"].iloc[0]
        label = f"{labels.get(first, first)} to {labels.get(second, second)}"
        both = f"{cases_in(store, theme, in_round(filters, first))} and "
        both += f"{cases_in(store, theme, in_round(filters, second))} cases"
        subtitle = f"n={both} · {label} · {filters.describe()}"
    else:
        subtitle = subtitle_for(cases_in(store, theme, filters), label, filters)
    figure = charts.round_trend_figure(data, subtitle, labels)
    alt = narrative.round_trend_alt(data, labels)
    return make_view(SPEC_NAME, figure, data, subtitle, alt, theme, label, filters)


def empty(
    store: Store, theme: str | None, filters: Filters, compare_round: str | None
) -> str | None:
    """The trend needs cases in both of its rounds."""
    message = no_cases_message(store, theme, filters)
    if message is not None or theme is None:
        return message
    current = queries.resolve_round(store, theme, filters.round_id)
    earlier = queries.earlier_rounds(store, theme, current)
    other = compare_round or (earlier[0] if earlier else None)
    return None if other is None else no_cases_message(store, theme, in_round(filters, other))


def notes(data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext) -> list[str]:
    """The trend's speaker notes."""
    return narrative.round_trend_notes(data, context.trend_from or "previous", shown)


def round_trend_redraw(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    if data.empty:
        return narrative.round_trend_title(data), narrative.round_trend_alt(data), view.figure
    beyond = rows_where(data, data["beyond_chance"].fillna(False).astype(bool))
    known = [i for i in beyond if not hidden(shown, i, "change")]
    up = sum(data["change"].iat[i] > 0 for i in known)
    down = len(known) - up
    rest = len(data) - len(beyond)
    if not beyond:
        title = f"No change beyond chance in {len(data)} standards since the previous round"
    elif len(known) == len(beyond):
        parts = [f"{up} improved"] * bool(up) + [f"{down} declined"] * bool(down)
        title = f"{' and '.join(parts)} beyond chance; {rest} within noise"
    else:
        title = (
            f"{len(beyond)} changed beyond chance ({up} improved, {down} declined, "
            f"{len(beyond) - len(known)} not shown); {rest} within noise"
        )
    listed = "; ".join(
        f"{data['question_id'].iat[i]} {pct_shown(shown, i, 'pct_met_from')} to "
        f"{pct_shown(shown, i, 'pct_met_to')}"
        for i in beyond
    )
    names = trend_labels(view)
    first, last = str(data["round_from"].iloc[0]), str(data["round_to"].iloc[0])
    alt = (
        f"Dumbbell chart of the share met in {len(data)} standards between "
        f"{names.get(first, first)} and {names.get(last, last)}"
        + (f"; beyond chance: {listed}" if listed else "; no change is beyond chance")
        + f"; shares resting on counts under {threshold} are not shown."
    )
    plotted = blank(data, shown, {"pct_met_from": (), "pct_met_to": ()})
    figure = charts.round_trend_figure(plotted, view.subtitle, names)
    gone = plotted["pct_met_from"].isna() | plotted["pct_met_to"].isna()
    c_marks(
        figure,
        [
            charts.question_label(q, t)
            for q, t in data.loc[gone.to_numpy(), ["question_id", "text"]].values
        ],
        x=0.0,
    )
    return title, alt, figure


def trend_labels(view: ChartView) -> dict[str, str]:
    # The round labels the original figure used for its two marker traces.
    names = [t.name for t in view.figure.data if getattr(t, "mode", "") != "lines" and t.name]
    rounds = list(view.data["round_from"].iloc[:1]) + list(view.data["round_to"].iloc[:1])
    return dict(zip(rounds, names, strict=False))


SPEC_NAME = "round_trend"
SPEC = ChartSpec(
    name=SPEC_NAME,
    label="round trend",
    words="Round trend: share met in two audit rounds",
    scope="theme",
    view=build_view,
    empty=empty,
    columns=(
        *QUESTION_COLUMNS,
        ("round_from", "From round"),
        ("n_from", "n (from)"),
        ("met_from", "Met (from)"),
        ("pct_met_from", "pct met (from)"),
        ("ci_low_from", "95% CI low (from, pct)"),
        ("ci_high_from", "95% CI high (from, pct)"),
        ("round_to", "To round"),
        ("n_to", "n (to)"),
        ("met_to", "Met (to)"),
        ("pct_met_to", "pct met (to)"),
        ("ci_low_to", "95% CI low (to, pct)"),
        ("ci_high_to", "95% CI high (to, pct)"),
        ("change", "Change (pct points)"),
        ("p_value", "p-value"),
        ("test", "Test"),
        ("beyond_chance", "Beyond chance"),
    ),
    suppression=Rule(
        counts=("met_from", "n_from", "met_to", "n_to", "_not_met_from", "_not_met_to"),
        implicit={
            "_not_met_from": ("n_from", ("met_from",)),
            "_not_met_to": ("n_to", ("met_to",)),
        },
        rows=((("met_from", "_not_met_from"), "n_from"), (("met_to", "_not_met_to"), "n_to")),
        derived={
            "pct_met_from": ("met_from", "n_from"),
            "pct_met_to": ("met_to", "n_to"),
            "ci_low_from": ("met_from", "n_from"),
            "ci_high_from": ("met_from", "n_from"),
            "ci_low_to": ("met_to", "n_to"),
            "ci_high_to": ("met_to", "n_to"),
            "change": ("met_from", "n_from", "met_to", "n_to"),
            "p_value": ("met_from", "n_from", "met_to", "n_to"),
        },
    ),
    redraw=round_trend_redraw,
    notes=notes,
    intervals=(
        ("ci_low_from", "ci_high_from", "met_from", "n_from"),
        ("ci_low_to", "ci_high_to", "met_to", "n_to"),
    ),
    question_rows=True,
)
