"""The data behind a chart as CSV and XLSX: a header block, human column names, inert text.

Formula safety: any text cell that starts with =, +, -, @, a tab or a carriage return gets a
leading single quote, so no spreadsheet runs it; numbers are written as numbers, and in XLSX
every text cell is an explicit string, never a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics import queries
from analytics.export.suppression import SUPPRESSED, for_circulation, mode_text
from analytics.store import Store, read_manifest
from analytics.views import ChartView

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters that XLSX (XML 1.0) cannot hold; tab, newline and carriage return can.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_QUESTION = [("question_id", "Question"), ("text", "Standard"), ("category", "Category")]
_ANSWERS = [("n", "n"), ("met", "Met"), ("partially_met", "Partially met"), ("not_met", "Not met")]
_SHARE = [("pct_met", "pct met"), ("ci_low", "95% CI low (pct)"), ("ci_high", "95% CI high (pct)")]

# Per chart: (data column, column heading), in the order written. Unlisted charts keep their own.
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "quadrant_comparison": [
        *_QUESTION,
        ("quadrant", "Area"),
        *_ANSWERS,
        ("not_applicable", "Not applicable"),
        *_SHARE,
    ],
    "finding_frequency": [
        ("rank", "Rank"),
        ("scope", "Scope"),
        ("theme_id", "Theme"),
        *_QUESTION,
        *_ANSWERS,
        ("pct_not_met", "pct not met"),
        ("pct_partially_met", "pct partially met"),
        ("pct_met", "pct met"),
    ],
    "round_trend": [
        *_QUESTION,
        ("round_from", "From round"),
        ("n_from", "n (from)"),
        ("met_from", "Met (from)"),
        ("pct_met_from", "pct met (from)"),
        ("round_to", "To round"),
        ("n_to", "n (to)"),
        ("met_to", "Met (to)"),
        ("pct_met_to", "pct met (to)"),
        ("change", "Change (pct points)"),
        ("p_value", "p-value"),
        ("test", "Test"),
        ("beyond_chance", "Beyond chance"),
    ],
    "cohort_profile": [
        ("dimension", "Dimension"),
        ("value", "Group"),
        ("cases", "Cases"),
        ("share", "pct of cases"),
    ],
    "category_matrix": [
        ("category", "Category"),
        ("theme_id", "Theme"),
        ("quadrant", "Area"),
        ("n", "n"),
        ("met", "Met"),
        *_SHARE,
    ],
    "category_by_quadrant": [
        ("category", "Category"),
        ("quadrant", "Area"),
        ("n", "n"),
        ("met", "Met"),
        *_SHARE,
    ],
    "theme_quadrant": [
        ("title", "Theme"),
        ("quadrant", "Area"),
        ("round_id", "Round"),
        ("cases", "Cases"),
        ("n", "n"),
        ("met", "Met"),
        *_SHARE,
        ("round_id_previous", "Previous round"),
        ("n_previous", "n (previous)"),
        ("met_previous", "Met (previous)"),
        ("pct_met_previous", "pct met (previous)"),
        ("change", "Change (pct points)"),
        ("beyond_chance", "Beyond chance"),
    ],
}
CHART_NAMES_IN_WORDS: dict[str, str] = {
    "quadrant_comparison": "Quadrant comparison: share of cases meeting each standard",
    "finding_frequency": "Finding frequency: standards most often not met",
    "round_trend": "Round trend: share met in two audit rounds",
    "cohort_profile": "Cohort profile: the audited cases",
    "category_matrix": "Category matrix: share met by practice area and theme",
    "category_by_quadrant": "Category by quadrant: share met by practice area and quadrant",
    "theme_quadrant": "Theme by quadrant: share of standards met",
}
# Shares are written as percentages (0-100, one decimal) so the headings can say "pct".
PERCENT_COLUMNS = frozenset(
    {
        "pct_met",
        "pct_not_met",
        "pct_partially_met",
        "ci_low",
        "ci_high",
        "pct_met_from",
        "pct_met_to",
        "share",
        "pct_met_previous",
        "change",
    }
)
COUNT_COLUMNS = frozenset(
    {
        "n",
        "met",
        "partially_met",
        "not_met",
        "not_applicable",
        "cases",
        "n_from",
        "met_from",
        "n_to",
        "met_to",
        "n_previous",
        "met_previous",
        "rank",
    }
)


def neutralise(text: str) -> str:
    """Return text a spreadsheet will not run: a leading quote before =, +, -, @, tab or CR."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: object, column: str) -> object:
    # Numbers stay numbers (counts as int, shares as percentages); everything else is text.
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if column in PERCENT_COLUMNS:
            return round(float(value) * 100, 1)
        if column in COUNT_COLUMNS and float(value).is_integer():
            return int(value)
        if column == "p_value":
            return round(float(value), 4)
        return float(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def export_table(view: ChartView, threshold: int | None = None) -> pd.DataFrame:
    """Return the chart's data as exported and shown: human headings, pct 0-100, "c" if hidden."""
    data = for_circulation(view, view.name, threshold)
    columns = COLUMNS.get(view.name) or [(c, c) for c in data.columns]
    columns = [(source, heading) for source, heading in columns if source in data.columns]
    return pd.DataFrame(
        {
            heading: pd.Series([_cell(v, source) for v in data[source]], dtype=object)
            for source, heading in columns
        }
    )


def screen_table(view: ChartView, threshold: int | None = None) -> pd.DataFrame:
    """Return export_table with typed columns for display: numeric unless a cell shows "c"."""
    table = export_table(view, threshold)
    for column in table.columns:
        values = table[column]
        if values.map(lambda v: v == SUPPRESSED).any():
            # A column mixing numbers and "c" cannot be one Arrow type: show it all as text.
            table[column] = values.map(lambda v: "" if v is None else _csv_value(v)).astype(str)
        else:
            table[column] = pd.Series(values.tolist(), dtype=None).infer_objects()
    return table


def theme_title(store: Store, theme_id: str | None) -> str:
    """Return a theme's title, or "All audited themes" for a view across themes."""
    if theme_id is None:
        return "All audited themes"
    titles = queries.themes(store).set_index("theme_id")["title"]
    return str(titles.get(theme_id, theme_id))


def data_source(store: Store) -> str:
    """Return where the numbers come from: the store folder and whether it is synthetic."""
    manifest = read_manifest(store.data_dir)
    kind = (
        "synthetic sample data; no real child is described"
        if manifest.get("synthetic")
        else "audit store"
    )
    return f"{store.data_dir.resolve()} ({kind})"


def header_block(
    store: Store, view: ChartView, threshold: int | None, made_on: dt.date | None = None
) -> list[tuple[str, str]]:
    """Return the (label, value) lines written above the data: what, where from, which mode."""
    # A finding or subtitle can quote small numbers ("NE 1", "n=2 cases"), so a circulated file
    # names the chart and leaves the counts to the suppressed table.
    chart = view.title if threshold is None else CHART_NAMES_IN_WORDS.get(view.name, view.name)
    lines = [
        ("Audit Insight", "data behind a chart"),
        ("Chart", chart),
        (
            "Subtitle",
            view.subtitle
            if threshold is None
            else f"{view.round_label} · {view.filters.describe()}",
        ),
        ("Theme", theme_title(store, view.theme_id)),
        ("Round", view.round_label),
        ("Filters", view.filters.describe()),
        ("Date", (made_on or dt.date.today()).isoformat()),
        ("Data source", data_source(store)),
        ("Mode", mode_text(threshold)),
    ]
    if threshold is not None:
        lines.append(("Note", f'"{SUPPRESSED}" marks a suppressed cell; pct columns are 0-100.'))
    else:
        lines.append(("Note", "pct columns are percentages (0-100)."))
    return lines


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return format(value, ".10g") if isinstance(value, float) else str(value)
    return neutralise(str(value))


def table_csv(header: Sequence[tuple[str, str]], table: pd.DataFrame) -> bytes:
    """Return the header block, a blank line and the table as CSV (UTF-8 with BOM, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for label, value in header:
        writer.writerow([neutralise(label), neutralise(value)])
    writer.writerow([])
    writer.writerow([neutralise(str(c)) for c in table.columns])
    for row in table.itertuples(index=False):
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _text(value: str) -> str:
    return neutralise(_ILLEGAL_XML.sub("", value))


def table_xlsx(
    header: Sequence[tuple[str, str]], table: pd.DataFrame, sheet: str = "Data"
) -> bytes:
    """Return the header block and the table as XLSX: numbers as numbers, text as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = sheet
    bold = Font(bold=True)

    def put(row: int, column: int, value: object, number_format: str | None = None):
        cell = ws.cell(row=row, column=column)
        if value is None:
            return cell
        if isinstance(value, int | float):
            cell.value = value
            if number_format:
                cell.number_format = number_format
        else:
            cell.value = _text(str(value))
            cell.data_type = "s"  # explicit: openpyxl would read a leading "=" as a formula
        return cell

    for row, (label, value) in enumerate(header, start=1):
        put(row, 1, label).font = bold
        put(row, 2, value)
    top = len(header) + 2
    for column, heading in enumerate(table.columns, start=1):
        put(top, column, str(heading)).font = bold
    formats = [
        "0.0" if str(h).startswith(("pct", "95% CI", "Change")) else None for h in table.columns
    ]
    for row, values in enumerate(table.itertuples(index=False), start=top + 1):
        for column, value in enumerate(values, start=1):
            put(row, column, value, formats[column - 1])
    for column, heading in enumerate(table.columns, start=1):
        width = max([len(str(heading)), *[len(str(v)) for v in table.iloc[:200, column - 1]]])
        ws.column_dimensions[ws.cell(row=top, column=column).column_letter].width = min(
            max(width + 2, 8), 60
        )
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 14)
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def chart_csv(
    store: Store, view: ChartView, threshold: int | None = None, made_on: dt.date | None = None
) -> bytes:
    """Return the chart's data as CSV with its header block."""
    return table_csv(header_block(store, view, threshold, made_on), export_table(view, threshold))


def chart_xlsx(
    store: Store, view: ChartView, threshold: int | None = None, made_on: dt.date | None = None
) -> bytes:
    """Return the chart's data as XLSX with its header block."""
    return table_xlsx(header_block(store, view, threshold, made_on), export_table(view, threshold))
