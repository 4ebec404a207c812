"""The thematic overview report as a Word document (python-docx), laid out like the seed report."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.shape import CT_NonVisualDrawingProps
from docx.shape import InlineShape
from docx.shared import Inches, Mm, Pt, RGBColor, Twips
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from analytics import charts as chart_builders
from analytics import queries
from analytics.domain import (
    DEFAULT_MARKING,
    QUADRANTS,
    RAG_COLOURS,
    ROUND_STATUSES_WITH_DATA,
    WORDING_BANDS,
    Filters,
)
from analytics.errors import AuditDataError
from analytics.export.fonts import text_width
from analytics.export.formats import MIME_TYPES
from analytics.export.text import xml_safe
from analytics.images import figure_image, image_export_available
from analytics.report_doc import findings as F
from analytics.report_doc import theme as T
from analytics.report_doc import wording as W
from analytics.store import Store

ProgressCallback = Callable[[float, str], None]
"""Called as progress(fraction done 0..1, what is being done)."""

CHART_WIDTH_INCHES = 6.3
# A4 portrait with 20 mm margins: a text width of 170 mm.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM, MARGIN_MM = 210, 297, 20
TEXT_WIDTH_MM = PAGE_WIDTH_MM - 2 * MARGIN_MM
TABLE_FONT_PT = 10
MM_PER_POINT = 25.4 / 72
# Table Grid's cell margins (0.19 cm each side) and 1 mm to spare for rounding.
CELL_PADDING_MM = 4.8
SHORT_TEXT_MM = 34  # a cell text that fits on one line this wide (a date) is kept whole
CHART_PIXELS_WIDTH = 800  # drawn at 6.3 in, its 13 px text prints at about 7.5 pt
DOCX_MIME = MIME_TYPES["docx"]
CONCLUDING = "concluding"
UNDERWAY = "underway"
PLANNED = "planned"


@dataclass
class _Charts:
    """Whether charts go in, and the notes to print about them."""

    threshold: int | None
    available: bool = False
    reason: str = ""
    figures: int = 0
    notes: list[str] = field(default_factory=list)


def _round_needs_theme(store: Store, round_id: str) -> str:
    holders = [
        str(t)
        for t in queries.themes(store)["theme_id"]
        if round_id in set(queries.rounds(store, t)["round_id"])
    ]
    where = f"it is a round of {', '.join(holders)}" if holders else "no theme has this round"
    return (
        f"Round {round_id!r}: a round id belongs to one theme, so a round can only be chosen "
        f"together with its theme (on the command line, --theme); {where}."
    )


def _check_inputs(
    store: Store, themes: Sequence[str] | None, filters: Filters, threshold: int | None
) -> list[str]:
    if threshold is not None and (isinstance(threshold, bool) or int(threshold) < 1):
        raise AuditDataError(f"Suppression threshold must be a whole number of 1 or more, got "
                             f"{threshold!r}.")  # fmt: skip
    if not themes:
        # An empty selection means all: every theme that holds audit results, in report order.
        audited = [t for t in queries.themes(store)["theme_id"] if queries.audited_rounds(store, t)]
        if filters.round_id is not None and len(audited) != 1:
            raise AuditDataError(_round_needs_theme(store, filters.round_id))
        return audited
    chosen: list[str] = []
    for theme in themes:
        queries.check_theme(store, theme)
        if theme not in chosen:
            chosen.append(theme)
    return chosen


def _image_export() -> tuple[bool, str]:
    return image_export_available()


def _render_png(figure: go.Figure) -> bytes:
    return figure_image(figure, fmt="png", width=CHART_PIXELS_WIDTH)


# --- python-docx helpers ---------------------------------------------------------------------


def _shade(cell: _Cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)


def _luminance(colour: str) -> float:
    """Return the colour's relative luminance (WCAG 2)."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _dark(colour: str) -> bool:
    """Return whether white text reads better than black on this fill (higher contrast)."""
    lum = _luminance(colour)
    white, black = 1.0, 0.0
    return (white + 0.05) / (lum + 0.05) > (lum + 0.05) / (black + 0.05)


def _repeat_header(row: _Row) -> None:
    # A long action plan breaks across pages; Word repeats a row marked as header on each page.
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _a4(doc: DocxDocument) -> None:
    """Lay every section out on A4 portrait with the report's margins."""
    for section in doc.sections:
        section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
        section.left_margin = section.right_margin = Mm(MARGIN_MM)
        section.top_margin = section.bottom_margin = Mm(MARGIN_MM)


def _marking(doc: DocxDocument, marking: str) -> None:
    """Print the protective marking centred at the top and bottom of every page, as UK
    government markings are placed (and as the slide pack prints it)."""
    if not marking.strip():
        return
    for section in doc.sections:
        for edge in (section.header, section.footer):
            paragraph = edge.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(xml_safe(marking.strip())).bold = True


def text_mm(text: str, bold: bool = False) -> float:
    """Return the width of `text` in Arial at the table's size, in millimetres."""
    return text_width(text, TABLE_FONT_PT, bold) * MM_PER_POINT


def column_widths(columns: Sequence[Sequence[str]], total_mm: int) -> list[int]:
    """Share `total_mm` (whole mm) among table columns, each given as its cells' texts with the
    (bold) header first.

    Each column gets at least its longest word, and its short texts (a date, a status) on one
    line; the rest goes where it makes the table shortest. A row is as tall as its tallest
    cell; that maximum is smoothed (a 6-norm) so the height is convex in the widths, and moving
    millimetres between pairs of columns finds the best split.
    """
    widths_of = [[text_mm(text, bold=row == 0) for row, text in enumerate(col)] for col in columns]
    words_of = [
        [text_mm(word, bold=row == 0) for row, text in enumerate(col) for word in text.split()]
        for col in columns
    ]

    def fits(mm: float) -> int:
        return math.ceil(mm + CELL_PADDING_MM)

    least = [fits(max(words, default=0)) for words in words_of]
    with_short = [
        max([floor, *(fits(w) for w in col if fits(w) <= SHORT_TEXT_MM)])
        for floor, col in zip(least, widths_of, strict=True)
    ]
    if sum(with_short) <= total_mm:  # else too many short texts to keep whole: break at words
        least = with_short
    if sum(least) > total_mm:  # words too long for the page break whatever the widths
        least = [w * total_mm // sum(least) for w in least]
    text = np.array(widths_of).T  # rows x columns

    def height(widths: Sequence[int]) -> float:
        room = np.maximum(1.0, np.array(widths) - CELL_PADDING_MM)
        lines = np.maximum(1.0, text / room)
        return float(((lines**6).sum(axis=1) ** (1 / 6)).sum())

    widths = list(least)
    widths[0] += total_mm - sum(least)
    current = height(widths)
    for step in (16, 8, 4, 2, 1):
        improved = True
        while improved:
            improved = False
            for giver, taker in itertools.permutations(range(len(columns)), 2):
                if widths[giver] - step < least[giver]:
                    continue
                trial = widths.copy()
                trial[giver] -= step
                trial[taker] += step
                if (then := height(trial)) < current - 1e-9:
                    widths, current, improved = trial, then, True
    return widths


def _fix_widths(table: Table, widths_mm: Sequence[int]) -> None:
    """Set the columns' widths where Word and LibreOffice each read them: the grid, every cell
    and the table itself, with autofit off so neither program re-measures the columns."""
    # In whole twips, as written; the last column takes the rounding, so they sum exactly.
    total = Twips(Mm(sum(widths_mm)).twips)
    widths = [Twips(Mm(w).twips) for w in widths_mm[:-1]]
    widths.append(Twips(total.twips - sum(w.twips for w in widths)))
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(total.twips))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        # A row never breaks across pages: its cells are read side by side.
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _set_alt_text(shape: InlineShape, description: str, title: str) -> None:
    """Set the picture's alt text on both places Word and screen readers read it from."""
    inline = shape._inline
    inline.docPr.set("descr", description)
    inline.docPr.set("title", title)
    # python-docx leaves pic:cNvPr typed as its descriptor class; at run time it is the element.
    picture = cast(CT_NonVisualDrawingProps, inline.graphic.graphicData.pic.nvPicPr.cNvPr)
    picture.set("descr", description)


def _bullets(doc: DocxDocument, lines: Sequence[str], style: str = "List Bullet") -> None:
    for line in lines:
        doc.add_paragraph(line, style=style)


def _note(doc: DocxDocument, text: str) -> Paragraph:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.italic = True
    return paragraph


# --- charts ----------------------------------------------------------------------------------


def chart_figure(chart: T.ChartData, quadrants: Sequence[str]) -> go.Figure:
    """Return the chart as drawn in the report: from the printed data, without a title."""
    if chart.name == "quadrant_comparison":
        # Naming every quadrant draws the same chart as naming none (all are highlighted), and
        # avoids the builder's own title, which needs at least one county share to be shown.
        figure = chart_builders.quadrant_comparison_figure(
            chart.frame, tuple(quadrants) or QUADRANTS, ""
        )
    else:
        figure = chart_builders.round_trend_figure(chart.frame, "", chart.round_labels)
    # The caption above says what the chart shows; the builder's title states a dashboard
    # finding (such as a quadrant met fewer standards than the county) that is not tested.
    figure.update_layout(title={"text": "", "subtitle": {"text": ""}}, margin={"t": 40})
    return figure


def _add_chart(
    doc: DocxDocument, charts: _Charts, chart: T.ChartData, quadrants: Sequence[str]
) -> None:
    try:
        png = _render_png(chart_figure(chart, quadrants))
    except Exception as error:  # a chart is a convenience: the report still goes out without it
        _note(doc, W.CHART_FAILED.format(reason=str(error) or type(error).__name__))
        return
    caption = W.FIGURE_CAPTION.format(k=charts.figures + 1, title=chart.caption)
    # Caption above, picture, note below: one block that never breaks across a page.
    above = doc.add_paragraph(caption, style="Caption")
    figure = doc.add_paragraph()
    shape = figure.add_run().add_picture(io.BytesIO(png), width=Inches(CHART_WIDTH_INCHES))
    _set_alt_text(shape, chart.alt_text, chart.caption)
    below = doc.add_paragraph(chart.note, style="Caption")
    for paragraph in (above, figure, below):
        paragraph.paragraph_format.keep_together = True
    above.paragraph_format.keep_with_next = True
    figure.paragraph_format.keep_with_next = True
    charts.figures += 1


# --- sections --------------------------------------------------------------------------------


def _introduction(
    doc: DocxDocument, store: Store, chosen: Sequence[str], future_section: int
) -> None:
    doc.add_heading("1. Introduction", level=1)
    for paragraph in W.INTRO:
        doc.add_paragraph(paragraph)
    themes = queries.themes(store)
    completed, later = [], 0
    for theme in themes.itertuples(index=False):
        rounds = queries.rounds(store, theme.theme_id)
        done = queries.audited_rounds(store, theme.theme_id)
        if not done:
            later += 1
            continue
        last = rounds[rounds["round_id"] == done[-1]].iloc[0]
        # A round being concluded is said so by its status (its label may say it too).
        template = W.CONCLUDING_ITEM if last["status"] == CONCLUDING else W.COMPLETED_ITEM
        completed.append(template.format(
            title=theme.title, label=last["label"], start=F.long_date(last["start_date"]),
            end=F.long_date(last["end_date"]),
        ))  # fmt: skip
    doc.add_paragraph(W.COMPLETED_INTRO if completed else W.NONE_COMPLETED)
    _bullets(doc, completed)
    if later:
        # As in the seed: the introduction lists what is complete; the rest has its own section.
        doc.add_paragraph(W.LATER_POINTER.format(number=future_section))
    titles = themes.set_index("theme_id")["title"]
    doc.add_paragraph(W.COVERS.format(themes="; ".join(str(titles[t]) for t in chosen)))


class _ThemeRow(Protocol):
    """One row of queries.themes, as itertuples gives it."""

    title: str
    lead: object


def _future_item(theme: _ThemeRow, rounds: pd.DataFrame) -> tuple[str, str]:
    """Return (status, line) for a theme not yet audited: underway or planned, by its round."""
    coming = rounds[~rounds["status"].isin(ROUND_STATUSES_WITH_DATA)]
    lead = T.plain(theme.lead, "not stated")
    if coming.empty:
        return PLANNED, W.PLANNED_ITEM_NO_ROUND.format(title=theme.title, lead=lead)
    underway = coming[coming["status"] == UNDERWAY]
    first = (underway if len(underway) else coming).iloc[0]
    status = UNDERWAY if first["status"] == UNDERWAY else PLANNED
    return status, W.PLANNED_ITEM.format(
        title=theme.title, lead=lead, label=first["label"],
        start=F.long_date(first["start_date"]), end=F.long_date(first["end_date"]),
    )  # fmt: skip


def _action_table(doc: DocxDocument, rows: Sequence[T.ActionRow]) -> None:
    table = doc.add_table(rows=1, cols=len(W.ACTION_COLUMNS))
    table.style = "Table Grid"
    header = table.rows[0]
    _repeat_header(header)
    for cell, name in zip(header.cells, W.ACTION_COLUMNS, strict=True):
        run = cell.paragraphs[0].add_run(name)
        run.bold = True
        run.font.size = Pt(TABLE_FONT_PT)
    texts = [list(W.ACTION_COLUMNS)]
    for row in rows:
        cells = table.add_row().cells
        values = (row.action, row.outcome, row.owner, row.due, row.status)
        texts.append(list(values))
        for cell, value in zip(cells, values, strict=True):
            cell.paragraphs[0].add_run(value).font.size = Pt(TABLE_FONT_PT)
        colour = RAG_COLOURS.get(row.rag)
        if colour:
            _shade(cells[-1], colour)
            if _dark(colour):
                for run in cells[-1].paragraphs[0].runs:
                    run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    _fix_widths(table, column_widths(list(zip(*texts, strict=True)), TEXT_WIDTH_MM))


def _findings(doc: DocxDocument, text: T.ThemeText, threshold: int | None) -> None:
    uncharacterised = W.UNCHARACTERISED if threshold is None else W.UNCHARACTERISED_CIRCULATION
    groups = (
        (F.GROUP_STRENGTH, W.STRENGTHS),
        (F.GROUP_IMPROVEMENT, W.AREAS),
        (F.GROUP_UNCHARACTERISED, uncharacterised),
    )
    for group, heading in groups:
        members = [f for f in text.findings if f.group == group]
        if members:
            doc.add_heading(heading, level=3)
            _bullets(doc, [f.paragraph() for f in members])
    if any(f.group == F.GROUP_NOT_APPLICABLE for f in text.findings):
        doc.add_paragraph(W.NOT_APPLICABLE_NOTE.format(
            texts=F.listed(text.findings, F.GROUP_NOT_APPLICABLE)))  # fmt: skip
    if any(f.group == F.GROUP_SUPPRESSED for f in text.findings):
        doc.add_paragraph(W.SUPPRESSED_BASE.format(
            threshold=threshold, texts=F.listed(text.findings, F.GROUP_SUPPRESSED)))  # fmt: skip
    doc.add_paragraph(text.trend_summary)
    if text.quadrant_summary:
        doc.add_paragraph(text.quadrant_summary)


def _theme_section(
    doc: DocxDocument,
    number: int,
    text: T.ThemeText,
    filters: Filters,
    charts: _Charts,
    rag_as_of: dt.date,
) -> None:
    doc.add_heading(f"{number}. {text.title}", level=1)
    sub = iter(range(1, 100))

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_AUDITED}", level=2)
    intro = [text.cohort, text.genders, text.scope, text.round_sentence, text.selection]
    doc.add_paragraph(" ".join(s for s in intro if s))
    if charts.available and text.quadrant_chart is not None:
        _add_chart(doc, charts, text.quadrant_chart, filters.quadrants)

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_FINDINGS}", level=2)
    _findings(doc, text, charts.threshold)
    if charts.available and text.trend_chart is not None:
        _add_chart(doc, charts, text.trend_chart, filters.quadrants)

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_QUOTES}", level=2)
    if text.quotes:
        _bullets(doc, text.quotes, style="Quote")
    else:
        doc.add_paragraph(W.NO_QUOTES)

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_RECOMMENDATIONS}", level=2)
    if text.recommendations:
        # Bullets, not "List Number": python-docx shares one numbering across every list.
        _bullets(doc, text.recommendations)
    else:
        doc.add_paragraph(W.NO_RECOMMENDATIONS)

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_ACTIONS}", level=2)
    if text.actions_note:
        doc.add_paragraph(text.actions_note)
    if text.actions:
        _action_table(doc, text.actions)
        as_of_note = _note(doc, W.RAG_AS_OF.format(date=F.long_date(rag_as_of)))
        as_of_note.paragraph_format.space_before = Pt(4)  # clear of the table's last row

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_NEXT}", level=2)
    _bullets(doc, text.next_steps)


def _future(doc: DocxDocument, store: Store, number: int) -> None:
    doc.add_heading(f"{number}. {W.SECTION_FUTURE}", level=1)
    items: dict[str, list[str]] = {UNDERWAY: [], PLANNED: []}
    for theme in queries.themes(store).itertuples(index=False):
        if not queries.audited_rounds(store, theme.theme_id):
            status, line = _future_item(theme, queries.rounds(store, theme.theme_id))
            items[status].append(line)
    if not any(items.values()):
        doc.add_paragraph(W.NO_FUTURE)
    for status, lines in items.items():
        if lines:
            doc.add_paragraph(W.FUTURE_INTRO[status])
            _bullets(doc, lines)


def _band_rules() -> list[str]:
    rules = []
    uppers = [None, *(lower for lower, _ in WORDING_BANDS[:-1])]
    for (lower, word), upper in zip(WORDING_BANDS, uppers, strict=True):
        if upper is None:
            rule = W.BAND_RULE_TOP.format(low=f"{lower:.0%}")
        elif lower == 0:
            rule = W.BAND_RULE_BOTTOM.format(high=f"{upper:.0%}")
        else:
            rule = W.BAND_RULE_MID.format(low=f"{lower:.0%}", high=f"{upper:.0%}")
        rules.append(W.BAND_ROW.format(word=f"\u201c{word}\u201d", rule=rule))
    return rules


def _source_line(manifest: Mapping[str, Any]) -> str:
    """Say where the numbers come from: the synthetic sample, imported rounds, or both."""
    synthetic = manifest.get("synthetic")
    if synthetic == "mixed":  # the sample store with imported rounds (analytics.ingest)
        return W.SOURCE_MIXED.format(notice=manifest.get("notice", "")).strip()
    return W.SOURCE_SYNTHETIC if synthetic else W.SOURCE_REAL


def _data_source(
    doc: DocxDocument,
    store: Store,
    number: int,
    filters: Filters,
    threshold: int | None,
    charts: _Charts,
    as_of: dt.date,
) -> None:
    doc.add_heading(f"{number}. {W.SECTION_SOURCE}", level=1)
    lines = [_source_line(store.manifest())]
    lines.append(W.SOURCE_FILTERS.format(filters=filters.describe()))
    if threshold is not None:
        lines.append(W.SOURCE_SUPPRESSION.format(below=threshold - 1))
    lines += charts.notes
    lines.append(W.SOURCE_GENERATED.format(date=F.long_date(as_of)))
    lines.append(W.SOURCE_SNAPSHOT.format(snapshot=store.snapshot))
    for line in lines:
        doc.add_paragraph(line)
    doc.add_paragraph(W.SOURCE_METHOD)
    _bullets(doc, _band_rules())
    doc.add_paragraph(W.SOURCE_TESTS.format(min_base=W.MIN_BAND_BASE, small=W.SMALL_BASE))
    for line in W.SIGN_OFF:
        doc.add_paragraph(line)


def _title(doc: DocxDocument, texts: Sequence[T.ThemeText], as_of: dt.date) -> None:
    # The month is that of the latest round the report covers (the chosen round, if any).
    ends = [t.round_end for t in texts if t.round_end is not None]
    month = f" \u2014 {max(ends):%B %Y}" if ends else ""
    doc.add_heading(W.REPORT_TITLE + month, level=0)
    _note(doc, W.DRAFT_NOTE.format(date=F.long_date(as_of)))
    doc.core_properties.title = W.REPORT_TITLE + month
    doc.core_properties.author = "Audit Insight"


# --- the report ------------------------------------------------------------------------------


def build_report(
    store: Store,
    themes: list[str] | None,
    filters: Filters,
    threshold: int | None = None,
    charts: bool = True,
    progress: ProgressCallback | None = None,
    *,
    as_of: dt.date | None = None,
    marking: str = DEFAULT_MARKING,
) -> bytes:
    """Return the thematic overview report (DOCX bytes) for the themes (None: every audited one),
    with the protective `marking` at the top and bottom of every page.

    `filters` apply to every theme (a round id must exist for each chosen theme, and needs the
    theme named unless only one theme is audited); `threshold` suppresses counts below it for
    circulation; `as_of` dates the report (today). RAG is worked out as the Actions tracker's
    default does: at the end of the latest audited round.
    """
    as_of = as_of or dt.date.today()
    rag_as_of = queries.actions_as_of(store)
    chosen = _check_inputs(store, themes, filters, threshold)
    report = progress or (lambda fraction, message: None)
    steps = 2 * len(chosen) + 2  # read each theme, write each theme, the rest, save

    plan = _Charts(threshold=threshold)
    if charts:
        plan.available, plan.reason = _image_export()
        if not plan.available:
            plan.notes.append(W.CHARTS_UNAVAILABLE.format(reason=plan.reason))
        elif threshold is not None:
            plan.notes.append(W.CHARTS_CIRCULATION)
    else:
        plan.notes.append(W.CHARTS_OFF)

    report(0.0, "Reading the themes and rounds")
    titles = queries.themes(store).set_index("theme_id")["title"]
    texts = []
    for index, theme in enumerate(chosen):
        report((index + 1) / steps, f"Reading {titles[theme]}")
        texts.append(T.theme_text(store, theme, filters, threshold, rag_as_of))

    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    _title(doc, texts, as_of)
    if charts and not plan.available:
        _note(doc, W.CHARTS_UNAVAILABLE.format(reason=plan.reason))
    future_section = len(chosen) + 2
    _introduction(doc, store, chosen, future_section)
    for index, text in enumerate(texts):
        report((len(chosen) + index + 1) / steps, f"Writing {text.title}")
        _theme_section(doc, index + 2, text, filters, plan, rag_as_of)
    report((steps - 1) / steps, "Writing the future audits and data source")
    _future(doc, store, future_section)
    _data_source(doc, store, future_section + 1, filters, threshold, plan, as_of)
    doc.core_properties.identifier = f"store snapshot {store.snapshot}"
    _a4(doc)  # every section, however many were added on the way
    _marking(doc, marking)
    out = io.BytesIO()
    doc.save(out)
    report(1.0, "Report ready")
    return out.getvalue()
