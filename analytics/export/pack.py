"""The executive slide pack of the current view: which slides, in which order, with which words.

A theme's pack: title; quadrant comparison, finding frequency, round trend (with two rounds) and
cohort profile; the findings table; the actions; the quotes. The overview's pack: title; the
theme x quadrant summary and the category matrix; each audited theme's quadrant comparison; the
theme table; the actions; the quotes (or a slide saying there are none). Every chart comes from
analytics.views.chart_view, every image from analytics.images, every sentence from
analytics.narrative. For circulation, chart titles, subtitles, alt text and the charts themselves
are made again from the suppressed tables (analytics.disclosure.circulation).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go

from analytics import narrative, queries, views
from analytics.chart_specs import CHARTS, ChartView, NotesContext, chart_notes
from analytics.charts import literal, question_label
from analytics.disclosure.circulation import export_view, stamped
from analytics.disclosure.suppression import SUPPRESSED, for_circulation, mode_text
from analytics.domain import (
    COUNTY,
    DEFAULT_MARKING,
    QUADRANTS,
    RAG_COLOURS,
    RAG_OVERDUE,
    Filters,
)
from analytics.errors import AuditDataError
from analytics.export.fonts import text_width
from analytics.export.slides import Cell, Deck, chart_area
from analytics.export.tables import data_source, theme_title
from analytics.export.text import day_month_year, xml_safe
from analytics.images import DEFAULT_HEIGHT, DEFAULT_WIDTH, image_later
from analytics.store import Store

Progress = Callable[[float, str], None]
NO_QUOTES = "No quotes recorded for this selection."
# At most this many actions (overdue first); the rest are in the Actions tracker.
ACTIONS_SHOWN = 16
# On a slide a standard's axis label is whole, on at most two lines of at least this many
# characters (longer where a text needs), and each row of a chart is tall enough for its label's
# lines (13 px text): more lines would shrink a chart of many standards past reading.
LABEL_CHARACTERS, LABEL_LINES = 70, 2
LABEL_LINE_PX, ROW_PADDING_PX, CHART_FURNITURE_PX = 15, 4, 110
# The cohort's panels: 13 px tick text, room either side of a label, a bar's least room.
TICK_PX, TICK_GAP_PX, MIN_BAR_SLOT_PX, PANEL_GAP = 13, 14, 40, 0.04
QUOTES = 4


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


def slide_figure(
    view: ChartView, threshold: int | None = None, area: tuple[int, int] | None = None
) -> go.Figure:
    """Return the chart for a slide: without its own title and subtitle, which the slide shows,
    with every standard's label whole, shaped to fill `area` (the slide's free width and height)
    where its rows allow, and stamped with the mode that made it."""
    figure = go.Figure(view.figure)  # a copy: the cached view's figure stays as it is
    height = int(figure.layout.height or DEFAULT_HEIGHT) - 50
    spec = CHARTS[view.name]
    if spec.question_rows:
        height = max(height, _whole_question_labels(figure, view.data))
    if spec.slide_tick_characters is not None:
        _level_category_ticks(figure, spec.slide_tick_characters)
    if area is not None:
        height = max(height, round(DEFAULT_WIDTH * area[1] / area[0]))
    figure.update_layout(
        title={"text": "", "subtitle": {"text": ""}}, margin={"t": 40}, height=max(height, 200)
    )
    return stamped(figure, threshold)


def _values(trace: object, axis: str) -> list[str]:
    """Return the category names a trace plots along `axis` ("x" or "y")."""
    values = getattr(trace, axis, None)
    return [] if values is None else [v for v in values if isinstance(v, str)]


def _whole_question_labels(figure: go.Figure, data: pd.DataFrame) -> int:
    """Write each standard's axis label whole, wrapped; return the height its rows need."""
    # The chart's own labels are shortened ("…"): show the whole text as the tick text instead,
    # so the traces, and any mark placed on a label, keep their categories.
    questions = {str(q): str(t) for q, t in data[["question_id", "text"]].drop_duplicates().values}
    categories = list(dict.fromkeys(y for trace in figure.data for y in _values(trace, "y")))
    if not categories:
        return 0
    owner = {}
    for category in categories:
        owners = [q for q in questions if category.startswith(literal(q) + " · ")]
        owner[category] = max(owners, key=len, default=None)
    wrap = LABEL_CHARACTERS
    while True:
        whole = [
            category if q is None else question_label(q, questions[q], wrap=wrap)
            for category, q in owner.items()
        ]
        if all(label.count("<br>") < LABEL_LINES for label in whole):
            break
        wrap += 5
    figure.update_yaxes(tickmode="array", tickvals=categories, ticktext=whole)
    lines = max(label.count("<br>") + 1 for label in whole)
    row = max(lines * LABEL_LINE_PX + ROW_PADDING_PX, 34)
    return len(categories) * row + CHART_FURNITURE_PX


def _level_category_ticks(figure: go.Figure, characters: int) -> None:
    """Set each small multiple's category labels level, wrapped onto lines, not slanted, and
    give each panel a width in proportion to the labels it holds (and move its title with it)."""
    by_axis: dict[str, list[str]] = {}
    for trace in figure.data:
        axis = "xaxis" + (trace.xaxis or "x")[1:]
        known = by_axis.setdefault(axis, [])
        known.extend(v for v in _values(trace, "x") if v not in known)
    needs = []
    for axis, values in by_axis.items():
        wrapped = ["<br>".join(textwrap.wrap(v, characters)) or v for v in values]
        figure.layout[axis].update(tickmode="array", tickvals=values, ticktext=wrapped, tickangle=0)
        widest = max(text_width(line, TICK_PX) for label in wrapped for line in label.split("<br>"))
        needs.append(len(values) * max(widest + TICK_GAP_PX, MIN_BAR_SLOT_PX))
    if len(needs) < 2:
        return
    share = (1 - PANEL_GAP * (len(needs) - 1)) / sum(needs)
    start = 0.0
    for axis, need in zip(by_axis, needs, strict=True):
        old = tuple(figure.layout[axis].domain)
        end = start + need * share
        figure.layout[axis].domain = (start, min(end, 1.0))
        for note in figure.layout.annotations:  # the panel's title, centred over it
            if note.xref == "paper" and abs(note.x - (old[0] + old[1]) / 2) < 1e-6:
                note.x = (start + end) / 2
        start = end + PANEL_GAP


def status_cell(status: object, rag: object) -> str:
    """Return an action's status and RAG for a slide ('Complete'; 'In progress · Overdue')."""
    said = str(status).strip().capitalize() if pd.notna(status) else "Status not recorded"
    return narrative.status_and_rag(said, rag)


def whole_finding(title: str, data: pd.DataFrame) -> str:
    """Return a chart's finding with every standard it names written out: a chart's title
    shortens a standard's text ("…"), a slide's title has room for all of it."""
    if "…" not in title or "text" not in data.columns:
        return title
    for text in sorted({str(t) for t in data["text"].dropna()}, key=len, reverse=True):
        # narrative.short cuts before a space: the longest such head followed by "…" is it.
        for end in range(len(text) - 1, 9, -1):
            if text[end] == " " and text[:end].rstrip() + "…" in title:
                title = title.replace(text[:end].rstrip() + "…", text, 1)
                break
    return title


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
        self.rag_as_of = queries.actions_as_of(store)  # as the Actions tracker's default
        self.title = theme_title(store, theme)
        footer = f"Audit Insight · {day_month_year(made_on)} · {narrative.short(self.title, 45)}"
        self.deck = Deck(marking, footer, f"Mode: {mode_text(threshold)}")
        self.titles = views.theme_titles(store)
        self._shown: dict[int, pd.DataFrame] = {}

    def report(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)

    def shown(self, view_or_frame: ChartView | pd.DataFrame, name: str) -> pd.DataFrame | None:
        """Return the table as circulated (None in the standard mode), computed once per frame."""
        if self.threshold is None:
            return None
        frame = getattr(view_or_frame, "data", view_or_frame)
        if id(frame) not in self._shown:
            self._shown[id(frame)] = for_circulation(frame, name, self.threshold)
        return self._shown[id(frame)]

    def title_slide(self, round_text: str) -> None:
        manifest = self.store.manifest()
        lines = [
            "Executive slide pack" if self.theme else "Executive slide pack: every audited theme",
            f"Round: {round_text}",
            f"Filters: {self.filters.describe()}",
            f"Date: {day_month_year(self.made_on)}",
            f"Data source: {data_source(self.store, day_month_year)}",
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

    def slide_title(self, view: ChartView, shown_view: ChartView) -> str:
        """Return a chart slide's title: the finding in full, after its theme in the overview."""
        title = whole_finding(shown_view.title, view.data)
        if not self.theme and view.theme_id is not None:
            title = f"{self.titles[view.theme_id]} — {title}"
        return title

    def chart_slide(
        self,
        view: ChartView,
        shown_view: ChartView,
        png: bytes,
        height: int,
        trend: pd.DataFrame | None,
        trend_from: str,
    ) -> None:
        context = NotesContext(
            quadrants=view.filters.quadrants,
            trend=trend,
            trend_from=trend_from,
            trend_shown=None if trend is None else self.shown(trend, "round_trend"),
            titles=self.titles,
        )
        notes = chart_notes(view.name, view.data, self.shown(view, view.name), context)
        notes = self.in_mode(notes, view, shown_view)
        self.deck.chart_slide(
            self.slide_title(view, shown_view), shown_view.subtitle, png, (DEFAULT_WIDTH, height),
            shown_view.alt_text, notes,
        )  # fmt: skip

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
            cells = [Cell(f"{question} · {text}")]
            cells += [Cell(_pct_n(shown, at[a]) if a in at else "–") for a in areas]
            rows.append(cells)
        header = ["Standard", *(a if a != COUNTY else "County" for a in areas)]
        where = narrative.selection_name(self.filters.quadrants)
        where = "by quadrant" if where == "the county" else where
        other = 6.33 / len(areas)
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
            [6.0, *[other] * len(areas)],
            notes,
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
                    SUPPRESSED
                    if points == SUPPRESSED
                    else f"{narrative.signed_points(points)}, {verdict}"
                )
            first = next(iter(at.values()))
            rows.append(
                [
                    Cell(str(frame["title"].iat[first])),
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
        )

    def _paged_table(
        self,
        title: str,
        subtitle: str,
        header: Sequence[str],
        rows: list[list[Cell]],
        widths: Sequence[float],
        notes: str,
    ) -> None:
        self.deck.table_slides(title, subtitle, header, rows, widths, notes)

    def actions_slides(self) -> None:
        actions = queries.action_status(self.store, as_of=self.rag_as_of, theme=self.theme)
        if actions.empty:
            return
        shown = actions.head(ACTIONS_SHOWN)
        rows = [
            [
                Cell(f"{a.action_id}: {a.text}"),
                Cell(str(a.owner)),
                Cell(day_month_year(a.due_date) if pd.notna(a.due_date) else "no date"),
                Cell(status_cell(a.status, a.rag), RAG_COLOURS.get(str(a.rag), "#505A5F")[1:]),
            ]
            for a in shown.itertuples(index=False)
        ]
        overdue = int((actions["rag"] == RAG_OVERDUE).sum())
        title = f"Actions: {overdue} of {len(actions)} overdue"
        subtitle = (
            f"RAG as at {day_month_year(self.rag_as_of)}, the end of the latest audited round"
        )
        if len(actions) > len(shown):
            subtitle += f"; the first {len(shown)} shown, all in the Actions tracker"
        self._paged_table(
            title,
            subtitle,
            ["Action", "Owner", "Due", "Status (RAG)"],
            rows,
            [6.6, 2.35, 1.25, 2.13],
            narrative.actions_notes(actions),
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
    built: list[
        tuple[ChartView, ChartView, Callable[[], bytes], int, pd.DataFrame | None, str]
    ] = []
    for i, (name, chart_theme) in enumerate(plan, start=1):
        label = CHARTS[name].label
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
        area = chart_area(builder.slide_title(view, shown_view), shown_view.subtitle)
        figure = slide_figure(shown_view, threshold, area)
        height = int(figure.layout.height)
        image = image_later(figure, "png", width=DEFAULT_WIDTH, height=height)
        built.append((view, shown_view, image, height, trend, trend_from))
    if theme is not None:
        round_text = views.round_label(
            store, theme, queries.resolve_round(store, theme, filters.round_id)
        )
    else:
        round_text = "each theme's latest audited round"
    builder.title_slide(round_text)
    for i, (view, shown_view, image, height, trend, trend_from) in enumerate(built, start=1):
        builder.report((len(plan) + i) / steps, f"Image {i} of {len(built)}: {shown_view.title}")
        builder.chart_slide(view, shown_view, image(), height, trend, trend_from)
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
    # The file names its data too (the title slide says it): File > Properties shows it.
    properties = builder.deck.prs.core_properties
    properties.identifier = f"store snapshot {store.snapshot}"
    properties.comments = xml_safe(f"Data source: {data_source(store, day_month_year)}")
    data = builder.deck.save()
    builder.report(1.0, "Slide pack ready")
    return data
