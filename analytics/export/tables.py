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
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import queries, stats
from analytics.chart_specs import CHARTS, ChartView
from analytics.disclosure.circulation import export_view
from analytics.disclosure.suppression import SUPPRESSED, for_circulation, mode_text
from analytics.domain import Filters
from analytics.export.text import xml_safe
from analytics.formulas import neutralise
from analytics.ingest.writing import read_history
from analytics.store import Store

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell, MergedCell


# Shares are written as percentages (0-100, one decimal) so the headings can say "pct": these,
# and every pct_* column.
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
        *(f"ci_not_met_{end}" for end in ("low", "high")),
        *(f"ci_{end}_{side}" for end in ("low", "high") for side in ("from", "to")),
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
        if column in PERCENT_COLUMNS or column.startswith("pct_"):
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


def with_intervals(name: str, data: pd.DataFrame) -> pd.DataFrame:
    """Return the chart's data with the Wilson 95% intervals its export adds (pct 0-1)."""
    data = data.reset_index(drop=True)
    spec = CHARTS.get(name)
    if spec is None or not spec.intervals or data.empty:
        return data
    out = data.copy()
    for low, high, count, n in spec.intervals:
        successes = pd.to_numeric(out[count], errors="coerce").fillna(0).to_numpy(dtype=float)
        size = pd.to_numeric(out[n], errors="coerce").fillna(0).to_numpy(dtype=float)
        out[low], out[high] = stats.wilson_bounds(successes, size)
    return out


def export_table(
    view: ChartView, threshold: int | None = None, titles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return the chart's data as exported and shown: human headings, pct 0-100, "c" if hidden.

    `titles` (theme id -> title) names themes by title rather than id.
    """
    return chart_table(view.name, view.data, threshold, titles)


def chart_table(
    name: str,
    data: pd.DataFrame,
    threshold: int | None = None,
    titles: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return export_table for a chart's name and data (what export_table uses of a view)."""
    data = for_circulation(with_intervals(name, data), name, threshold)
    if titles and "theme_id" in data.columns:
        data["theme_id"] = [titles.get(t, t) for t in data["theme_id"]]
    spec = CHARTS.get(name)  # a table beside the charts keeps its own columns
    columns = list(spec.columns) if spec is not None else [(c, c) for c in data.columns]
    columns = [(source, heading) for source, heading in columns if source in data.columns]
    return pd.DataFrame(
        {
            heading: pd.Series([_cell(v, source) for v in data[source]], dtype=object)
            for source, heading in columns
        }
    )


def screen_table(
    view: ChartView, threshold: int | None = None, titles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return export_table with typed columns for display: numeric unless a cell shows "c"."""
    return typed(export_table(view, threshold, titles))


def typed(table: pd.DataFrame) -> pd.DataFrame:
    """Return an exported table with typed columns: numeric unless a cell shows "c"."""
    table = table.copy()
    for column in table.columns:
        values = table[column]
        if values.map(lambda v: v == SUPPRESSED).any():
            # A column mixing numbers and "c" cannot be one Arrow type: show it all as text.
            table[column] = values.map(lambda v: "" if v is None else _csv_value(v)).astype(str)
        else:
            table[column] = pd.Series(values.tolist(), dtype=None).infer_objects()
    return table


def theme_titles(store: Store) -> dict[str, str]:
    """Return theme id -> title for every theme in the store."""
    frame = queries.themes(store)
    return dict(zip(frame["theme_id"], frame["title"], strict=True))


def theme_title(store: Store, theme_id: str | None) -> str:
    """Return a theme's title, or "All audited themes" for a view across themes."""
    if theme_id is None:
        return "All audited themes"
    titles = queries.themes(store).set_index("theme_id")["title"]
    return str(titles.get(theme_id, theme_id))


def data_source(store: Store, date: Callable[[dt.date], str] = dt.date.isoformat) -> str:
    """Return where the numbers come from, without any server path: the kind of store, when it
    was generated, and the last import into it (dates written by `date`)."""
    manifest = store.manifest()
    if manifest.get("synthetic") == "mixed":  # a sample store that real rounds were added to
        imported = ", ".join(str(r) for r in manifest.get("imported_rounds") or [])
        text = f"Audit Insight store: synthetic sample rounds and imported rounds ({imported})"
    elif manifest.get("synthetic"):
        text = "Audit Insight store: synthetic sample data; no real child is described"
        made = str(manifest.get("generated_at") or "")[:10]
        if made:
            text += f"; generated {date(dt.date.fromisoformat(made))}"
    else:
        text = "Audit Insight store: imported audit rounds"
    history = read_history(store)
    active = history[history["status"] == "active"] if "status" in history.columns else history
    if len(active):
        last = active.iloc[-1]
        when = pd.Timestamp(last["imported_at"])
        text += f"; last import {last['import_id']} on {date(when.date())}"
    # The snapshot names the exact data: `--as-of` on the command line reads it again.
    return f"{text}; store snapshot {store.snapshot}"


def header_block(
    store: Store, view: ChartView, threshold: int | None, made_on: dt.date | None = None
) -> list[tuple[str, str]]:
    """Return the (label, value) lines written above the data: what, where from, which mode."""
    # For circulation the finding and subtitle are made again from the suppressed table, so
    # they quote no number the table hides.
    shown = export_view(view, threshold, theme_titles(store))
    lines = [
        ("Audit Insight", "data behind a chart"),
        ("Chart", CHARTS[view.name].words),
        ("Finding", shown.title),
        ("Subtitle", shown.subtitle),
        ("Theme", theme_title(store, view.theme_id)),
        ("Round", view.round_label),
        ("Filters", view.filters.describe()),
        ("Date", (made_on or dt.date.today()).isoformat()),
        ("Data source", data_source(store)),
        ("Mode", mode_text(threshold)),
    ]
    if threshold is not None:
        lines.append(
            (
                "Note",
                f'"{SUPPRESSED}" marks a suppressed cell: a count under {threshold}, or one hidden '
                "so that such a count cannot be worked out; pct columns are 0-100.",
            )
        )
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
    return neutralise(xml_safe(value))


def table_xlsx(
    header: Sequence[tuple[str, str]], table: pd.DataFrame, sheet: str = "Data"
) -> bytes:
    """Return the header block and the table as XLSX: numbers as numbers, text as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = sheet
    bold = Font(bold=True)

    def put(
        row: int, column: int, value: object, number_format: str | None = None
    ) -> Cell | MergedCell:
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
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 14)
    ws.freeze_panes = ws.cell(row=top + 1, column=1).coordinate
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def chart_csv(
    store: Store, view: ChartView, threshold: int | None = None, made_on: dt.date | None = None
) -> bytes:
    """Return the chart's data as CSV with its header block."""
    return table_csv(
        header_block(store, view, threshold, made_on),
        export_table(view, threshold, theme_titles(store)),
    )


def chart_xlsx(
    store: Store, view: ChartView, threshold: int | None = None, made_on: dt.date | None = None
) -> bytes:
    """Return the chart's data as XLSX with its header block."""
    return table_xlsx(
        header_block(store, view, threshold, made_on),
        export_table(view, threshold, theme_titles(store)),
    )


# The actions tracker as exported: (data column, heading); shares 0-100 like the charts'.
ACTION_COLUMNS: list[tuple[str, str]] = [
    ("action_id", "Action id"),
    ("theme_id", "Theme"),
    ("kind", "Type"),
    ("text", "Action"),
    ("outcome", "Outcome"),
    ("owner", "Owner"),
    ("due_date", "Due"),
    ("status", "Status"),
    ("rag", "RAG"),
    ("days_overdue", "Days overdue"),
    ("question_ids", "Linked questions"),
    ("round_before", "Round before"),
    ("n_before", "n (before)"),
    ("pct_met_before", "pct met (before)"),
    ("round_after", "Round after"),
    ("n_after", "n (after)"),
    ("pct_met_after", "pct met (after)"),
]
_ACTION_PERCENTS = frozenset({"pct_met_before", "pct_met_after"})
_ACTION_COUNTS = frozenset({"n_before", "n_after", "days_overdue"})


def _action_cell(value: object, column: str) -> object:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in value)
    if column in _ACTION_PERCENTS:
        return _cell(value, "pct_met")
    if column in _ACTION_COUNTS:
        return _cell(value, "n")
    return _cell(value, column)


def actions_export_table(actions: pd.DataFrame, titles: Mapping[str, str]) -> pd.DataFrame:
    """Return the actions as exported: human headings, theme titles, shares 0-100, numbers as
    numbers (a suppressed "c" stays text)."""
    data = actions.reset_index(drop=True)
    if "theme_id" in data.columns:
        data = data.assign(theme_id=[titles.get(t, t) for t in data["theme_id"]])
    columns = [(c, h) for c, h in ACTION_COLUMNS if c in data.columns]
    return pd.DataFrame(
        {h: pd.Series([_action_cell(v, c) for v in data[c]], dtype=object) for c, h in columns}
    )


def actions_header(
    store: Store,
    as_of: dt.date,
    theme: str | None,
    filters: Filters,
    threshold: int | None,
    made_on: dt.date | None = None,
) -> list[tuple[str, str]]:
    """Return the header block of the actions tracker's export: what, as of when, which view."""
    lines = [
        ("Audit Insight", "actions tracker"),
        ("RAG as of", as_of.isoformat()),
        ("Theme", theme_title(store, theme) if theme else "All themes"),
        ("Filters", filters.describe()),
        (
            "Scope",
            "Actions are county-wide: every action is listed; its before and after measures "
            "count only the chosen quadrants and teams.",
        ),
        ("Date", (made_on or dt.date.today()).isoformat()),
        ("Data source", data_source(store)),
        ("Mode", mode_text(threshold)),
    ]
    note = "pct columns are percentages (0-100)."
    if threshold is not None:
        note = f'"{SUPPRESSED}" marks a measure withheld for circulation; ' + note
    lines.append(("Note", note))
    return lines
