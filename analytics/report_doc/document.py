"""The thematic overview report as a Word document (python-docx), laid out like the seed report."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import _Cell

from analytics import queries
from analytics.domain import RAG_COLOURS, ROUND_STATUSES_WITH_DATA, WORDING_BANDS, Filters
from analytics.errors import AuditDataError
from analytics.report_doc import findings as F
from analytics.report_doc import theme as T
from analytics.report_doc import wording as W
from analytics.store import Store, read_manifest
from analytics.views import ChartView, chart_view

ProgressCallback = Callable[[float, str], None]
"""Called as progress(fraction done 0..1, what is being done)."""

CHART_WIDTH_INCHES = 6.3
CHART_PIXELS_WIDTH = 1100
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class _Charts:
    """Whether and how charts go in, and the notes to print about them."""

    threshold: int | None
    available: bool = False
    reason: str = ""
    figures: int = 0
    notes: list[str] = field(default_factory=list)


def _check_inputs(store: Store, themes: Sequence[str] | None, threshold: int | None) -> list[str]:
    if threshold is not None and (isinstance(threshold, bool) or int(threshold) < 1):
        raise AuditDataError(f"Suppression threshold must be a whole number of 1 or more, got "
                             f"{threshold!r}.")  # fmt: skip
    if not themes:
        # An empty selection means all: every theme that holds audit results, in report order.
        return [t for t in queries.themes(store)["theme_id"] if queries.audited_rounds(store, t)]
    chosen: list[str] = []
    for theme in themes:
        queries.check_theme(store, theme)
        if theme not in chosen:
            chosen.append(theme)
    return chosen


def _image_export() -> tuple[bool, str]:
    try:
        from analytics.images import image_export_available
    except ImportError as error:  # the image module is optional: the report works without it
        return False, f"the image export module is not installed ({error})"
    return image_export_available()


# --- python-docx helpers ---------------------------------------------------------------------


def _shade(cell: _Cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)


def _dark(colour: str) -> bool:
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 150


def _repeat_header(row) -> None:
    # A long action plan breaks across pages; Word repeats a row marked as header on each page.
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _set_alt_text(shape, description: str, title: str) -> None:
    """Set the picture's alt text on both places Word and screen readers read it from."""
    inline = shape._inline
    inline.docPr.set("descr", description)
    inline.docPr.set("title", title)
    inline.graphic.graphicData.pic.nvPicPr.cNvPr.set("descr", description)


def _bullets(doc: DocxDocument, lines: Sequence[str], style: str = "List Bullet") -> None:
    for line in lines:
        doc.add_paragraph(line, style=style)


def _note(doc: DocxDocument, text: str) -> None:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.italic = True


# --- charts ----------------------------------------------------------------------------------


def _counts_hidden(view: ChartView, threshold: int) -> bool:
    """Return whether any count the chart plots (or lets a reader derive) would be suppressed."""
    data = view.data
    pairs = {
        "quadrant_comparison": [("met", "n")],
        "round_trend": [("met_from", "n_from"), ("met_to", "n_to")],
    }[view.name]
    for met, n in pairs:
        for column in (data[met], data[n] - data[met], data[n]):
            if column.map(lambda v: 0 < v < threshold).any():
                return True
    return False


def _add_chart(doc: DocxDocument, charts: _Charts, view: ChartView) -> None:
    if charts.threshold is not None and _counts_hidden(view, charts.threshold):
        _note(doc, W.CHART_SUPPRESSED.format(threshold=charts.threshold))
        return
    from analytics.images import figure_image

    try:
        png = figure_image(view.figure, fmt="png", width=CHART_PIXELS_WIDTH)
    except Exception as error:  # a chart is a convenience: the report still goes out without it
        _note(doc, W.CHART_FAILED.format(reason=str(error) or type(error).__name__))
        return
    doc.add_paragraph(W.FIGURE_CAPTION.format(k=charts.figures + 1, title=view.title),
                      style="Caption")  # fmt: skip
    shape = doc.add_picture(io.BytesIO(png), width=Inches(CHART_WIDTH_INCHES))
    _set_alt_text(shape, view.alt_text, view.title)
    doc.add_paragraph(view.subtitle, style="Caption")
    charts.figures += 1


# --- sections --------------------------------------------------------------------------------


def _introduction(doc: DocxDocument, store: Store, chosen: Sequence[str]) -> None:
    doc.add_heading("1. Introduction", level=1)
    for paragraph in W.INTRO:
        doc.add_paragraph(paragraph)
    themes = queries.themes(store)
    completed, underway = [], []
    for theme in themes.itertuples(index=False):
        rounds = queries.rounds(store, theme.theme_id)
        done = queries.audited_rounds(store, theme.theme_id)
        if done:
            last = rounds[rounds["round_id"] == done[-1]].iloc[0]
            item = W.COMPLETED_ITEM.format(
                title=theme.title, label=last["label"], start=F.long_date(last["start_date"]),
                end=F.long_date(last["end_date"]),
            )  # fmt: skip
            concluding = theme.status == "concluding" and "conclud" not in str(last["label"])
            suffix = W.CONCLUDING_SUFFIX if concluding else ""
            completed.append(item + suffix)
        else:
            underway.append(_planned_item(theme, rounds))
    doc.add_paragraph(W.COMPLETED_INTRO if completed else W.NONE_COMPLETED)
    _bullets(doc, completed)
    if underway:
        doc.add_paragraph(W.UNDERWAY_INTRO)
        _bullets(doc, underway)
    titles = themes.set_index("theme_id")["title"]
    doc.add_paragraph(W.COVERS.format(themes="; ".join(str(titles[t]) for t in chosen)))


def _planned_item(theme, rounds: pd.DataFrame) -> str:
    # Any round not yet holding results (planned or underway) is a round still to come.
    planned = rounds[~rounds["status"].isin(ROUND_STATUSES_WITH_DATA)]
    lead = T.plain(theme.lead, "not stated")
    if planned.empty:
        return W.PLANNED_ITEM_NO_ROUND.format(title=theme.title, lead=lead)
    first = planned.iloc[0]
    return W.PLANNED_ITEM.format(
        title=theme.title, lead=lead, label=first["label"],
        start=F.long_date(first["start_date"]), end=F.long_date(first["end_date"]),
    )  # fmt: skip


def _action_table(doc: DocxDocument, rows: Sequence[T.ActionRow]) -> None:
    table = doc.add_table(rows=1, cols=len(W.ACTION_COLUMNS))
    table.style = "Table Grid"
    header = table.rows[0]
    _repeat_header(header)
    for cell, name in zip(header.cells, W.ACTION_COLUMNS, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(name).bold = True
    for row in rows:
        cells = table.add_row().cells
        values = (row.action, row.outcome, row.owner, row.due, row.status)
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
        colour = RAG_COLOURS.get(row.rag)
        if colour:
            _shade(cells[-1], colour)
            if _dark(colour):
                for run in cells[-1].paragraphs[0].runs:
                    run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def _theme_section(
    doc: DocxDocument,
    number: int,
    text: T.ThemeText,
    store: Store,
    filters: Filters,
    charts: _Charts,
    as_of: dt.date,
) -> None:
    doc.add_heading(f"{number}. {text.title}", level=1)
    sub = iter(range(1, 100))

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_AUDITED}", level=2)
    intro = [text.cohort, text.genders, text.scope, text.round_sentence, text.selection]
    doc.add_paragraph(" ".join(s for s in intro if s))
    chosen = Filters(quadrants=filters.quadrants, round_id=text.round_id, teams=filters.teams)
    if charts.available and text.cases:
        _add_chart(doc, charts, chart_view(store, "quadrant_comparison", text.theme_id, chosen))

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_FINDINGS}", level=2)
    groups = ((F.STRENGTH, W.STRENGTHS), (F.IMPROVEMENT, W.AREAS))
    for group, heading in groups:
        members = [f for f in text.findings if f.group == group]
        if members:
            doc.add_heading(heading, level=3)
            _bullets(doc, [f.paragraph() for f in members])
    if any(f.group == F.NOT_APPLICABLE for f in text.findings):
        doc.add_paragraph(W.NOT_APPLICABLE.format(texts=F.listed(text.findings, F.NOT_APPLICABLE)))
    if any(f.group == F.SUPPRESSED for f in text.findings):
        doc.add_paragraph(W.SUPPRESSED_BASE.format(
            threshold=charts.threshold, texts=F.listed(text.findings, F.SUPPRESSED)))  # fmt: skip
    doc.add_paragraph(text.trend_summary)
    if text.quadrant_summary:
        doc.add_paragraph(text.quadrant_summary)
    if charts.available and text.earlier_round:
        _add_chart(doc, charts, chart_view(store, "round_trend", text.theme_id, chosen))

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
        _note(doc, W.RAG_AS_OF.format(date=F.long_date(as_of)))

    doc.add_heading(f"{number}.{next(sub)} {W.SECTION_NEXT}", level=2)
    _bullets(doc, text.next_steps)


def _future(doc: DocxDocument, store: Store, number: int) -> None:
    doc.add_heading(f"{number}. {W.SECTION_FUTURE}", level=1)
    themes = queries.themes(store)
    planned = [
        _planned_item(theme, queries.rounds(store, theme.theme_id))
        for theme in themes.itertuples(index=False)
        if not queries.audited_rounds(store, theme.theme_id)
    ]
    doc.add_paragraph(W.FUTURE_INTRO if planned else W.NO_FUTURE)
    _bullets(doc, planned)


def _band_rules() -> list[str]:
    rules = []
    uppers = [None, *(lower for lower, _ in WORDING_BANDS[:-1])]
    for (lower, word), upper in zip(WORDING_BANDS, uppers, strict=True):
        low, high = f"{lower:.0%}", f"{(upper or 0) - 0.01:.0%}"
        if upper is None:
            rule = W.BAND_RULE_TOP.format(low=low)
        elif lower == 0:
            rule = W.BAND_RULE_BOTTOM.format(high=f"{upper:.0%}")
        else:
            rule = W.BAND_RULE_MID.format(low=low, high=high)
        rules.append(W.BAND_ROW.format(word=f"\u201c{word}\u201d", rule=rule))
    return rules


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
    manifest = read_manifest(store.data_dir)
    lines = [W.SOURCE_STORE.format(path=store.data_dir.resolve())]
    if manifest.get("synthetic"):
        lines.append(W.SOURCE_SYNTHETIC.format(notice=manifest.get("notice", "")).strip())
    else:
        lines.append(W.SOURCE_REAL)
    lines.append(W.SOURCE_FILTERS.format(filters=filters.describe()))
    if threshold is not None:
        lines.append(W.SOURCE_SUPPRESSION.format(below=threshold - 1))
    lines += charts.notes
    lines.append(W.SOURCE_GENERATED.format(date=F.long_date(as_of)))
    for line in lines:
        doc.add_paragraph(line)
    doc.add_paragraph(W.SOURCE_METHOD)
    _bullets(doc, _band_rules())
    doc.add_paragraph(W.SOURCE_TESTS.format(small=W.SMALL_BASE))


def _title(doc: DocxDocument, store: Store, chosen: Sequence[str], as_of: dt.date) -> None:
    ends = []
    for theme in chosen:
        done = queries.audited_rounds(store, theme)
        rounds = queries.rounds(store, theme)
        ends += rounds.loc[rounds["round_id"].isin(done[-1:]), "end_date"].tolist()
    month = f" \u2014 {pd.Timestamp(max(ends)):%B %Y}" if ends else ""
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
) -> bytes:
    """Return the thematic overview report (DOCX bytes) for the themes (None: every audited one).

    `filters` apply to every theme (a round id must exist for each chosen theme); `threshold`
    suppresses counts below it for circulation; `as_of` dates the report and its RAG (today).
    """
    as_of = as_of or dt.date.today()
    chosen = _check_inputs(store, themes, threshold)
    queries.check_quadrants(filters.quadrants)
    report = progress or (lambda fraction, message: None)
    steps = len(chosen) + 2

    plan = _Charts(threshold=threshold)
    if charts:
        plan.available, plan.reason = _image_export()
        if not plan.available:
            plan.notes.append(W.CHARTS_UNAVAILABLE.format(reason=plan.reason))
    else:
        plan.notes.append(W.CHARTS_OFF)

    report(0.0, "Reading the themes and rounds")
    titles = queries.themes(store).set_index("theme_id")["title"]
    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    _title(doc, store, chosen, as_of)
    if charts and not plan.available:
        _note(doc, W.CHARTS_UNAVAILABLE.format(reason=plan.reason))
    _introduction(doc, store, chosen)
    report(1 / steps, "Introduction written")
    for index, theme in enumerate(chosen):
        report((index + 1) / steps, f"Writing {titles[theme]}")
        text = T.theme_text(store, theme, filters, threshold, as_of)
        _theme_section(doc, index + 2, text, store, filters, plan, as_of)
    report((steps - 1) / steps, "Writing the future audits and data source")
    _future(doc, store, len(chosen) + 2)
    _data_source(doc, store, len(chosen) + 3, filters, threshold, plan, as_of)
    out = io.BytesIO()
    doc.save(out)
    report(1.0, "Report ready")
    return out.getvalue()
