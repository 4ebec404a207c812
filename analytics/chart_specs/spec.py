"""What a chart is: its spec (how it is queried, drawn, worded, exported, protected and
redrawn for circulation) and the view it makes (the figure with exactly its plotted numbers).

Every other module looks a chart up in analytics.chart_specs.CHARTS by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import pandas as pd
import plotly.graph_objects as go

from analytics.chart_specs.rule import Rule
from analytics.domain import Filters
from analytics.store import Store

# Which theme a chart takes: one ("theme"), one or none for every theme pooled
# ("theme_or_all"), or none, each theme at its latest audited round ("every_theme").
Scope = Literal["theme", "theme_or_all", "every_theme"]


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


class ViewBuilder(Protocol):
    """Queries a chart's numbers and draws it: the figure, its data, subtitle and alt text."""

    def __call__(
        self, store: Store, theme: str | None, filters: Filters, compare_round: str | None
    ) -> ChartView: ...


class EmptyCheck(Protocol):
    """Returns the plain message when the chart's selection has no cases, else None."""

    def __call__(
        self, store: Store, theme: str | None, filters: Filters, compare_round: str | None
    ) -> str | None: ...


@dataclass(frozen=True)
class NotesContext:
    """What a chart's speaker notes may draw on beyond its own numbers."""

    quadrants: tuple[str, ...] = ()
    trend: pd.DataFrame | None = None  # the theme's round trend, beside its quadrant comparison
    trend_from: str | None = None  # the label of the trend's earlier round
    trend_shown: pd.DataFrame | None = None  # the trend as circulated
    titles: Mapping[str, str] | None = None  # theme id -> title


# A chart's speaker notes (one sentence per item) from its data and the data as circulated
# (None: the standard mode).
NotesWriter = Callable[[pd.DataFrame, pd.DataFrame | None, NotesContext], list[str]]

# A chart redrawn for circulation: (view, data, suppressed table, threshold, theme titles) ->
# (title, alt text, figure), none of them showing a hidden number.
Redraw = Callable[
    [ChartView, pd.DataFrame, pd.DataFrame, int, Mapping[str, str]], tuple[str, str, go.Figure]
]


@dataclass(frozen=True)
class ChartSpec:
    """Everything about one chart, declared once."""

    name: str
    label: str  # in words, lower case: progress messages, the pack ("quadrant comparison")
    words: str  # the export's "Chart" line ("Quadrant comparison: share of cases meeting ...")
    scope: Scope
    view: ViewBuilder  # its query, figure, title, subtitle and alt text
    empty: EmptyCheck
    columns: tuple[tuple[str, str], ...]  # the export's (data column, heading), in order
    suppression: Rule  # how its table hangs together, so that a hidden count stays hidden
    redraw: Redraw  # the chart for circulation, from the suppressed table
    notes: NotesWriter
    # Wilson intervals the export adds where the data has none: (low, high, count, n).
    intervals: tuple[tuple[str, str, str, str], ...] = ()
    question_rows: bool = False  # one row per standard: a slide gives every label its room
    slide_tick_characters: int | None = None  # category labels levelled to lines this long
