"""The executive slide pack of the current view: which slides, in which order, with which words.

A theme's pack: title; quadrant comparison, finding frequency, round trend (with two rounds) and
cohort profile; the findings table; the actions; the quotes. The overview's pack: title; the
theme x quadrant summary and the category matrix; each audited theme's quadrant comparison; the
theme table; the actions; the quotes (or a slide saying there are none). Every chart comes from
analytics.views.chart_view, every image from analytics.images, every sentence from
analytics.narrative. For circulation, chart titles, subtitles, alt text and the charts themselves
are made again from the suppressed tables (analytics.export.circulation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go

from analytics import narrative, queries, views
from analytics.domain import (
    COUNTY,
    DEFAULT_MARKING,
    QUADRANTS,
    RAG_COLOURS,
    RAG_OVERDUE,
    Filters,
)
from analytics.errors import AuditDataError
from analytics.export.circulation import export_view, stamped
from analytics.export.slides import Cell, Deck
from analytics.export.suppression import SUPPRESSED, for_circulation, mode_text
from analytics.export.tables import data_source, theme_title
from analytics.images import DEFAULT_HEIGHT, DEFAULT_WIDTH, image_later
from analytics.store import Store, read_manifest
from analytics.views import ChartView

Progress = Callable[[float, str], None]
NO_QUOTES = "No quotes recorded for this selection."
FINDINGS_PER_SLIDE = 10
ACTIONS_PER_SLIDE = 8
ACTION_SLIDES = 2
QUOTES = 4
CHART_LABELS = {
    "quadrant_comparison": "quadrant comparison",
    "finding_frequency": "finding frequency",
    "round_trend": "round trend",
    "cohort_profile": "cohort profile",
    "category_matrix": "category matrix",
    "theme_quadrant": "theme x quadrant summary",
}


def pack_charts(store: Store, theme: str | None) -> list[tuple[str, str | None]]:
    """Return the (chart name, theme) of each chart slide of a theme's or the overview's pack."""
    if theme is None:
        audited = list(views.theme_titles(store))
        return [("theme_quadrant", None), ("category_matrix", None)] + [
            ("quadrant_comparison", t) for t in audited
        ]
    queries.check_theme(store, theme)
    if not queries.audited_rounds(store, theme):
        raise AuditDataError(f"Theme {theme!r} has no audited round yet: there is no pack to make.")
    charts = [("quadrant_comparison", theme), ("finding_frequency", theme)]
    if len(queries.audited_rounds(store, theme)) >= 2:
        charts.append(("round_trend", theme))
    return [*charts, ("cohort_profile", theme)]


def slide_figure(view: ChartView, threshold: int | None = None) -> go.Figure:
    """Return the chart for a slide: without its own title and subtitle, which the slide shows,
    and stamped with the mode that made it."""
    figure = go.Figure(view.figure)  # a copy: the cached view's figure stays as it is
    height = int(figure.layout.height or DEFAULT_HEIGHT)
    figure.update_layout(
        title={"text": "", "subtitle": {"text": ""}}, margin={"t": 40}, height=max(height - 50, 200)
    )
    return stamped(figure, threshold)


def _pct_n(shown: pd.DataFrame, row: int, pct: str = "pct_met", n: str = "n") -> str:
    share, base = shown[pct].iat[row], shown[n].iat[row]
    if base == SUPPRESSED:
        return SUPPRESSED
    if share == SUPPRESSED:
        return f"{SUPPRESSED} (n={int(base)})"
    return f"{narrative.pct(share)} (n={int(base)})" if base else "–"


def _trend_for(
    store: Store, theme: str, filters: Filters, compare_round: str | None = None
) -> tuple[pd.DataFrame, str]:
    trend = queries.round_trend(store, theme, filters, round_from=compare_round)
    if trend.empty:
        return trend, ""
    return trend, views.round_label(store, theme, str(trend["round_from"].iat[0]))


class _Builder:
    def __init__(
        self,
        store: Store,
        theme: str | None,
        filters: Filters,
        threshold: int | None,
        marking: str,
        made_on: dt.date,
        progress: Progress | None,
    ):
        self.store, self.theme, self.filters, self.threshold = store, theme, filters, threshold
        self.made_on, self.progress = made_on, progress
        self.title = theme_title(store, theme)
        footer = f"Audit Insight · {made_on:%d %B %Y} · {narrative.short(self.title, 45)}"
        self.deck = Deck(marking, footer, f"Mode: {mode_text(threshold)}")
        self.titles = views.theme_titles(store)
        self._shown: dict[int, pd.DataFrame] = {}

    def report(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)

    def shown(self, view_or_frame, name: str) -> pd.DataFrame | None:
        """Return the table as circulated (None in the standard mode), computed once per frame."""
        if self.threshold is None:
            return None
        frame = getattr(view_or_frame, "data", view_or_frame)
        if id(frame) not in self._shown:
            self._shown[id(frame)] = for_circulation(frame, name, self.threshold)
        return self._shown[id(frame)]

    def title_slide(self, round_text: str) -> None:
        manifest = read_manifest(self.store.data_dir)
        lines = [
            "Executive slide pack" if self.theme else "Executive slide pack: every audited theme",
            f"Round: {round_text}",
            f"Filters: {self.filters.describe()}",
            f"Date: {self.made_on:%d %B %Y}",
            f"Data source: {data_source(self.store)}",
            f"Mode: {mode_text(self.threshold)}",
        ]
        notes = [
            "Drafted by Audit Insight from the audit store; every sentence in these notes is "
            "generated from the numbers on the slides.",
            f"Mode: {mode_text(self.threshold)}. A count below the threshold, and anything that "
            f"would reveal it, shows as {SUPPRESSED} in tables and notes, and is left out of the "
            f"charts (a {SUPPRESSED} marks its place); titles quote only what the tables show."
            if self.threshold
            else f"Mode: {mode_text(self.threshold)} (not suppressed for circulation).",
        ]
        if manifest.get("synthetic"):
            notes.append(str(manifest.get("notice", "Synthetic sample data.")))
        self.deck.title_slide(self.title, lines, "\n".join(notes))

    def exported(self, view: ChartView) -> ChartView:
        """Return the view as this pack shows it (made again from the suppressed table)."""
        return export_view(view, self.threshold, self.titles, self.shown(view, view.name))

    def in_mode(self, notes: str, view: ChartView, shown_view: ChartView) -> str:
        """Return notes that quote the chart's finding as this pack's title does."""
        # The notes open with the chart's finding; for circulation it is the one made from the
        # suppressed table (the standard one may compare shares that the table hides).
        return notes if self.threshold is None else notes.replace(view.title, shown_view.title)

    def chart_slide(
        self,
        view: ChartView,
        shown_view: ChartView,
        png: bytes,
        trend: pd.DataFrame | None,
        trend_from: str,
    ) -> None:
        notes = narrative.chart_notes(
            view.name,
            view.data,
            quadrants=view.filters.quadrants,
            shown=self.shown(view, view.name),
            trend=trend,
            trend_from=trend_from,
            trend_shown=None if trend is None else self.shown(trend, "round_trend"),
            titles=self.titles,
        )
        notes = self.in_mode(notes, view, shown_view)
        height = int(slide_figure(shown_view).layout.height)
        title = shown_view.title
        if not self.theme and view.theme_id is not None:
            title = f"{self.titles[view.theme_id]} — {title}"
        self.deck.chart_slide(
            title, shown_view.subtitle, png, (DEFAULT_WIDTH, height), shown_view.alt_text, notes
        )

    def findings_slides(self, view: ChartView, shown_view: ChartView) -> None:
        frame = view.data.reset_index(drop=True)
        shown = self.shown(view, view.name)
        shown = frame if shown is None else shown
        areas = [*(self.filters.quadrants or QUADRANTS), COUNTY]
        questions = list(dict.fromkeys(frame["question_id"]))
        rows = []
        for question in questions:
            at = {
                frame["quadrant"].iat[i]: i
                for i in range(len(frame))
                if frame["question_id"].iat[i] == question
            }
            text = frame["text"].iat[next(iter(at.values()))]
            cells = [Cell(f"{question} · {narrative.short(str(text), 55)}")]
            cells += [Cell(_pct_n(shown, at[a]) if a in at else "–") for a in areas]
            rows.append(cells)
        header = ["Standard", *(a if a != COUNTY else "County" for a in areas)]
        where = narrative.selection_name(self.filters.quadrants)
        where = "by quadrant" if where == "the county" else where
        other = 7.33 / len(areas)
        notes = (
            "Each cell is the share of applicable cases that met the standard, with n (the "
            "applicable cases). Not applicable answers are left out.\n"
            + self.in_mode(
                "\n".join(
                    narrative.quadrant_comparison_notes(
                        frame, self.filters.quadrants, self.shown(view, view.name)
                    )[:3]
                ),
                view,
                shown_view,
            )
        )
        self._paged_table(
            f"Findings by standard: share of cases met, {where} and the county",
            shown_view.subtitle + " · cells: % met (n)",
            header,
            rows,
            [5.0, *[other] * len(areas)],
            notes,
            FINDINGS_PER_SLIDE,
            font_size=11,
        )

    def theme_table_slides(self, view: ChartView, shown_view: ChartView) -> None:
        frame = view.data.reset_index(drop=True)
        shown = self.shown(view, view.name)
        shown = frame if shown is None else shown
        areas = [*QUADRANTS, COUNTY]
        rows = []
        for theme_id in dict.fromkeys(frame["theme_id"]):
            at = {
                frame["quadrant"].iat[i]: i
                for i in range(len(frame))
                if frame["theme_id"].iat[i] == theme_id
            }
            county = at.get(COUNTY)
            change = "–"
            if county is not None and pd.notna(frame["change"].iat[county]):
                verdict = "beyond chance" if frame["beyond_chance"].iat[county] else "within noise"
                points = shown["change"].iat[county]
                change = (
                    SUPPRESSED if points == SUPPRESSED else f"{points * 100:+.0f} pts, {verdict}"
                )
            first = next(iter(at.values()))
            rows.append(
                [
                    Cell(narrative.short(str(frame["title"].iat[first]), 45)),
                    *(Cell(_pct_n(shown, at[a]) if a in at else "–") for a in areas),
                    Cell(change),
                ]
            )
        header = ["Theme", *QUADRANTS, "County", "Change since previous round"]
        notes = "\n".join(narrative.theme_heatmap_notes(frame, self.shown(view, view.name)))
        self._paged_table(
            "Every audited theme: share of standards met by quadrant",
            shown_view.subtitle + " · cells: % met (n)",
            header,
            rows,
            [3.6, 1.35, 1.35, 1.35, 1.35, 1.35, 1.98],
            notes,
            FINDINGS_PER_SLIDE,
        )

    def _paged_table(
        self,
        title: str,
        subtitle: str,
        header: Sequence[str],
        rows: list[list[Cell]],
        widths: Sequence[float],
        notes: str,
        per_slide: int,
        font_size: int = 12,
    ) -> None:
        pages = [rows[i : i + per_slide] for i in range(0, len(rows), per_slide)] or [[]]
        for number, page in enumerate(pages, start=1):
            suffix = f" ({number} of {len(pages)})" if len(pages) > 1 else ""
            self.deck.table_slide(title + suffix, subtitle, header, page, widths, notes, font_size)

    def actions_slides(self) -> None:
        actions = queries.action_status(self.store, as_of=self.made_on, theme=self.theme)
        if actions.empty:
            return
        shown = actions.head(ACTIONS_PER_SLIDE * ACTION_SLIDES)
        rows = [
            [
                Cell(f"{a.action_id}: {narrative.short(str(a.text), 95)}"),
                Cell(narrative.short(str(a.owner), 40)),
                Cell(f"{a.due_date:%d %b %Y}" if pd.notna(a.due_date) else "no date"),
                Cell(str(a.status)),
                Cell(str(a.rag), RAG_COLOURS.get(str(a.rag), "505A5F").lstrip("#")),
            ]
            for a in shown.itertuples(index=False)
        ]
        overdue = int((actions["rag"] == RAG_OVERDUE).sum())
        title = f"Actions: {overdue} of {len(actions)} overdue"
        subtitle = f"RAG as at {self.made_on:%d %B %Y}; overdue first"
        if len(actions) > len(shown):
            subtitle += f"; the first {len(shown)} shown, all in the Actions tracker"
        self._paged_table(
            title,
            subtitle,
            ["Action", "Owner", "Due", "Status", "RAG"],
            rows,
            [6.1, 2.6, 1.35, 1.25, 1.03],
            narrative.actions_notes(actions),
            ACTIONS_PER_SLIDE,
        )

    def quotes_slide(self) -> None:
        quotes = queries.quotes(self.store, self.theme, self.filters).head(QUOTES)
        title = "What practitioners and managers said"
        if quotes.empty:
            notes = "The audit recorded no quotes for this theme and selection."
            self.deck.quotes_slide(title, [], notes, empty=NO_QUOTES)
            return
        items = []
        for q in quotes.itertuples(index=False):
            who = str(q.role) + (f", {q.quadrant}" if isinstance(q.quadrant, str) else "")
            if self.theme is None:
                who += f" ({self.titles.get(q.theme_id, q.theme_id)})"
            items.append((str(q.text), who))
        roles = ", ".join(dict.fromkeys(str(q.role).lower() for q in quotes.itertuples()))
        count = "1 quote" if len(items) == 1 else f"{len(items)} quotes"
        notes = f"{count} from the audit ({roles})."
        self.deck.quotes_slide(title, items, notes)


def build_pack(
    store: Store,
    theme: str | None,
    filters: Filters = queries.ALL,
    threshold: int | None = None,
    marking: str = DEFAULT_MARKING,
    progress: Progress | None = None,
    *,
    charts: Sequence[tuple[str, str | None]] | None = None,
    made_on: dt.date | None = None,
    compare_round: str | None = None,
) -> bytes:
    """Return the PPTX slide pack of a theme (or of every audited theme when theme is None).

    `progress(fraction, message)` is called as the pack is built; `charts` overrides which
    (chart name, theme) slides are shown; `threshold` suppresses counts under it for circulation;
    `compare_round` is the earlier round the round trend compares with (default: the one before).
    """
    if threshold is not None and threshold < 1:
        raise AuditDataError(f"Suppression threshold must be at least 1, got {threshold}.")
    builder = _Builder(
        store, theme, filters, threshold, marking, made_on or dt.date.today(), progress
    )
    plan = list(charts) if charts is not None else pack_charts(store, theme)
    steps = 2 * len(plan) + 4
    builder.report(0.0, "Gathering the numbers")
    # Each chart's image starts rendering as soon as its view is built, so the browser draws
    # while the next chart's numbers are queried; the slides then collect the images in order.
    built: list[tuple[ChartView, ChartView, Callable[[], bytes], pd.DataFrame | None, str]] = []
    for i, (name, chart_theme) in enumerate(plan, start=1):
        label = CHART_LABELS.get(name, name)
        where = f" ({builder.titles.get(chart_theme, chart_theme)})" if chart_theme else ""
        builder.report(i / steps, f"Chart {i} of {len(plan)}: {label}{where}")
        compare = compare_round if chart_theme == theme else None
        view = views.chart_view(store, name, chart_theme, filters, compare_round=compare)
        trend, trend_from = None, ""
        if name == "quadrant_comparison" and chart_theme is not None:
            trend, trend_from = _trend_for(store, chart_theme, filters, compare)
        if name == "round_trend":
            if view.data.empty:
                continue  # one audited round in this selection: nothing to compare
            trend_from = views.round_label(store, str(chart_theme), view.data["round_from"].iat[0])
        shown_view = builder.exported(view)
        figure = slide_figure(shown_view, threshold)
        image = image_later(figure, "png", width=DEFAULT_WIDTH, height=int(figure.layout.height))
        built.append((view, shown_view, image, trend, trend_from))
    if theme is not None:
        round_text = views.round_label(
            store, theme, queries.resolve_round(store, theme, filters.round_id)
        )
    else:
        round_text = "each theme's latest audited round"
    builder.title_slide(round_text)
    for i, (view, shown_view, image, trend, trend_from) in enumerate(built, start=1):
        builder.report((len(plan) + i) / steps, f"Image {i} of {len(built)}: {shown_view.title}")
        builder.chart_slide(view, shown_view, image(), trend, trend_from)
    builder.report((2 * len(plan) + 1) / steps, "Findings table")
    wanted = "quadrant_comparison" if theme is not None else "theme_quadrant"
    summary = next((b for b in built if b[0].name == wanted), None)
    if summary is not None and theme is None:
        builder.theme_table_slides(summary[0], summary[1])
    elif summary is not None:
        builder.findings_slides(summary[0], summary[1])
    builder.report((2 * len(plan) + 2) / steps, "Actions")
    builder.actions_slides()
    builder.report((2 * len(plan) + 3) / steps, "Quotes")
    builder.quotes_slide()
    data = builder.deck.save()
    builder.report(1.0, "Slide pack ready")
    return data
