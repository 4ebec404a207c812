"""Reading a QA team's own tracker (XLSX sheets or CSV files, any layout) into sheets of text.

A tracker keeps one row per case and one column per standard, often under title rows, with a
two-row header (group labels merged across the columns below them), blank spacer columns,
and one sheet or file per quadrant. This module finds each sheet's header and columns; what the
columns mean is for the mapping (propose.py) and its application (apply.py).

Cells keep their own type as the template reader gives it (a real Excel date is YYYY-MM-DD
text); "NA" and "N/A" stay text, never missing: they are answers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pandas as pd
from openpyxl.utils import get_column_letter

from analytics.ingest.problems import Problems
from analytics.ingest.reading import (
    DEFAULT_MAX_MB,
    HEADER_SEARCH_ROWS,
    Source,
    _report_formulas,
    clean_grid,
    decode_text,
    import_sha256,
    open_workbook,
    parse_csv,
    read_sheet,
    usable_sources,
)

# A header cell that reads as a number or a date is a value, not a column name.
_VALUE_LIKE = re.compile(
    r"^[-+£$]?\d[\d,]*(?:\.\d+)?%?$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T][\d:.]+)?$"
)
# Header cells are nearly all different; a row of answers repeats its words.
_HEADER_DISTINCT = 0.8
# A row above the header is a row of group labels when it has at least this many.
_GROUP_LABELS = 3
_DATE_INSIDE = re.compile(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")


@dataclass(frozen=True)
class TrackerColumn:
    """One column of a tracker sheet and its header as shown.

    A one-row header is `lower` (upper None); in a two-row header `upper` is the group label
    (filled right across the group's columns) or a field header merged down both rows.
    """

    number: int  # 1-based Excel column
    letter: str
    header: str  # "upper / lower" when both rows have text, else whichever has
    upper: str | None
    lower: str | None


@dataclass
class TrackerSheet:
    """One sheet (or CSV file) of a tracker: its header rows, columns and the cells below."""

    file_name: str
    sheet_name: str | None  # None for a CSV file
    label: str  # what a problem's `sheet` says: the sheet name, or the CSV file's name
    header_rows: tuple[int, ...]  # Excel rows
    columns: list[TrackerColumn]  # blank spacer columns left out
    # Text cells below the header: index = Excel row, columns = Excel column numbers, all-blank
    # rows dropped, values stripped, blank = NA.
    body: pd.DataFrame

    @property
    def headers(self) -> list[str]:
        """Return the columns' headers in order."""
        return [column.header for column in self.columns]

    def column(self, header: str) -> TrackerColumn | None:
        """Return the column with this header, or None."""
        return next((c for c in self.columns if c.header == header), None)


@dataclass
class TrackerRead:
    """A tracker's sheets, the problems met reading it, the sheets ignored (with why) and the
    files' identity."""

    sheets: list[TrackerSheet]
    problems: Problems
    ignored_sheets: list[str] = field(default_factory=list)
    sha256: str = ""


# The last tracker read, kept for the next step of the same import: the proposal reads it, the
# preview and the import read it again (the Data page, the command line's map then ingest in
# one process). One entry, and only a tracker of up to this many cells, so memory stays small.
_LAST_READ: dict[tuple[object, ...], TrackerRead] = {}
_CACHED_CELLS_MAX = 1_000_000


def read_trackers(sources: list[Source], max_mb: float = DEFAULT_MAX_MB) -> TrackerRead:
    """Read a tracker (XLSX workbooks and/or CSV files making one round) into sheets.

    The result is shared with later reads of the same files: treat it as read-only."""
    key = (import_sha256(sources) if sources else "", tuple(s.name for s in sources), max_mb)
    if key in _LAST_READ:
        return _LAST_READ[key]
    read = _read(sources, max_mb, str(key[0]))
    if sum(sheet.body.size for sheet in read.sheets) <= _CACHED_CELLS_MAX:
        _LAST_READ.clear()
        _LAST_READ[key] = read
    return read


def _read(sources: list[Source], max_mb: float, sha256: str) -> TrackerRead:
    read = TrackerRead([], Problems(), [], sha256)
    if not sources:
        read.problems.add_one(
            "(file)",
            None,
            None,
            None,
            "no file was given",
            "Choose the tracker's workbook (.xlsx) or its CSV files.",
        )
        return read
    usable = usable_sources(sources, max_mb, read.problems)
    workbooks = [s for s in usable if PurePosixPath(s.name).suffix.lower() == ".xlsx"]
    several = len(workbooks) > 1
    for source in usable:
        if source in workbooks:
            _read_workbook(source, several, read)
        else:
            text = decode_text(source, read.problems)
            grid = None if text is None else parse_csv(text, source.name, read.problems)
            if grid is not None:
                grid.columns = range(1, grid.shape[1] + 1)
                _add_sheet(read, source.name, None, source.name, grid)
    return read


def _read_workbook(source: Source, several: bool, read: TrackerRead) -> None:
    book = open_workbook(source, read.problems)
    if book is None:
        return
    for chart in book.chart_sheets:
        label = f"{source.name} / {chart}" if several else chart
        read.ignored_sheets.append(f"{label} (a chart)")
    for sheet_name in book.sheet_names:
        label = f"{source.name} / {sheet_name}" if several else sheet_name
        found = read_sheet(book, sheet_name, read.problems)
        if found is not None:
            grid, formulas = found
            _add_sheet(read, source.name, sheet_name, label, grid, formulas)


def _add_sheet(
    read: TrackerRead,
    file_name: str,
    sheet_name: str | None,
    label: str,
    grid: pd.DataFrame,
    formulas: list[tuple[int, int, str]] | None = None,
) -> None:
    grid = clean_grid(grid) if not grid.empty else grid
    if not grid.empty:
        grid = grid.loc[:, grid.notna().any()]  # a column of blank-looking cells is a spacer
    if grid.empty:
        read.ignored_sheets.append(f"{label} (empty)")
        return
    header_rows = find_header_rows(grid)
    if not header_rows:
        read.ignored_sheets.append(
            f"{label} (no header row in its first {HEADER_SEARCH_ROWS} rows)"
        )
        return
    body = grid.loc[grid.index > header_rows[-1]]
    columns = _columns(grid, header_rows, body)
    body = body[[c.number for c in columns]].dropna(how="all")
    body = body.rename_axis(index=None, columns=None)
    body.index = body.index.astype("int64")
    read.sheets.append(TrackerSheet(file_name, sheet_name, label, header_rows, columns, body))
    if formulas:
        names: dict[object, str] = {c.number: c.header for c in columns}
        _report_formulas(read.problems, label, formulas, names, header_rows[-1])


def _filled(row: pd.Series) -> list[str]:
    return [str(v) for v in row.dropna()]


def _is_text_row(cells: list[str]) -> bool:
    """Whether most of a row's filled cells are words, not numbers or dates."""
    words = sum(not _VALUE_LIKE.match(cell) for cell in cells)
    return words * 2 > len(cells)


def _is_header_like(cells: list[str]) -> bool:
    return _is_text_row(cells) and len({c.casefold() for c in cells}) >= _HEADER_DISTINCT * len(
        cells
    )


def find_header_rows(grid: pd.DataFrame) -> tuple[int, ...]:
    """Return the Excel rows of a sheet's header (one or two rows), or () when none is found.

    The header is the first of the first rows whose filled cells are at least half the widest
    of those rows (and at least two) and mostly words, not numbers or dates. The row directly
    above it is an upper header row when it has a label over a column the header leaves blank
    (a field header merged down) or group labels over three or more of its columns (and no
    date: a title row above the header is not a header); the row
    directly below is a lower header row when it names columns the header leaves blank (the
    columns under a merged group label) and reads as headers (words, nearly all different).
    """
    first = grid.iloc[:HEADER_SEARCH_ROWS]
    counts = first.notna().sum(axis=1)
    widest = int(counts.max()) if len(counts) else 0
    needed = max(2, math.ceil(widest / 2))
    header = None
    for number, count in counts.items():
        if count >= needed and _is_text_row(_filled(first.loc[number])):
            header = int(number)
            break
    if header is None:
        return ()
    filled = grid.loc[header].notna()
    above, below = header - 1, header + 1
    if above in grid.index:
        cells = _filled(grid.loc[above])
        upper_filled = grid.loc[above].notna()
        fills_gap = bool((upper_filled & ~filled).any())
        # Group labels are several (a title row "NW tracker" | "Updated 05/11/2020" is one or
        # two cells, and would make next round's headers differ) and hold no date.
        dated = any(_DATE_INSIDE.search(cell) for cell in cells)
        if _is_header_like(cells) and not dated and (fills_gap or len(cells) >= _GROUP_LABELS):
            return (above, header)
    if below in grid.index:
        lower_filled = grid.loc[below].notna()
        fills_gap = bool((lower_filled & ~filled).any())
        if fills_gap and _is_header_like(_filled(grid.loc[below])):
            return (header, below)
    return (header,)


def _columns(
    grid: pd.DataFrame, header_rows: tuple[int, ...], body: pd.DataFrame
) -> list[TrackerColumn]:
    """Return the sheet's columns with their headers; spacer columns (no header, no values)
    left out; a column with values but no header kept as "(column F, no header)"."""
    lower = grid.loc[header_rows[-1]]
    upper = grid.loc[header_rows[0]] if len(header_rows) == 2 else None
    has_values = body.notna().any()
    numbers = sorted(int(c) for c in grid.columns)
    columns = []
    group: str | None = None  # the upper label being filled rightwards
    previous = None
    for number in numbers:
        low = _header_text(lower[number])
        up = _header_text(upper[number]) if upper is not None else None
        if previous is None or number != previous + 1 or low is None:
            group = None  # a spacer column (or one with no lower header) ends a merged group
        if upper is not None:
            if up is not None:
                # A group label has headers below it; a field header merged down has none.
                group = up if low is not None else None
            elif low is not None:
                up = group
        previous = number
        if up is None and low is None and not has_values.get(number, False):
            continue
        letter = get_column_letter(number)
        if up is not None and low is not None:
            header = f"{up} / {low}"
        else:
            header = up or low or f"(column {letter}, no header)"
        columns.append(TrackerColumn(number, letter, header, up, low))
    return _unique_headers(columns)


def _header_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    text = " ".join(str(value).split())  # a header typed over two lines (Alt+Enter)
    return text or None


def _unique_headers(columns: list[TrackerColumn]) -> list[TrackerColumn]:
    """Return the columns with a repeated header numbered ("Comments", "Comments (2)"): a
    mapping names columns by header, so each must be told apart."""
    seen: dict[str, int] = {}
    unique = []
    for column in columns:
        count = seen.get(column.header, 0) + 1
        seen[column.header] = count
        if count > 1:
            header = f"{column.header} ({count})"
            while header in seen:
                count += 1
                header = f"{column.header} ({count})"
            seen[header] = 1
            column = TrackerColumn(column.number, column.letter, header, column.upper, column.lower)
        unique.append(column)
    return unique
