"""Reading an import (an XLSX workbook or CSV files) into sheets of text with Excel row numbers.

Every cell becomes text (or missing) exactly as a user would read it: numbers without a trailing
.0, date cells as YYYY-MM-DD, TRUE/FALSE. Problems with the file itself (too big, empty, not a
workbook or CSV, a missing sheet) are collected, never raised as a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from analytics.ingest.spec import SHEET_ORDER, normalise_header
from analytics.ingest.xlsx import NotAWorkbook, Workbook

DEFAULT_MAX_MB = 50
# A workbook is a zip: refuse one that unpacks to far more than its size (a "zip bomb").
MAX_UNPACK_RATIO = 20
ROW = "_row"  # the column holding each row's number as Excel shows it


@dataclass(frozen=True)
class Source:
    """One file to import: its name as the user knows it and its bytes."""

    name: str
    data: bytes
    size: int | None = None  # set, with no bytes, for a file too big to read into memory

    @property
    def nbytes(self) -> int:
        """Return the file's size in bytes."""
        return len(self.data) if self.size is None else self.size


@dataclass
class Sheet:
    """One table read from the file: its cells as text, with the Excel row number in `_row`."""

    table: str  # cases | responses | rounds | questions
    label: str  # where the user finds it: the sheet name, or the CSV file name
    frame: pd.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # column name -> header as typed


@dataclass
class FileProblem:
    """A problem with a whole file, sheet or column (the row is not known)."""

    sheet: str
    column: str | None
    value: str | None
    rule: str
    fix: str


@dataclass
class ReadResult:
    """The sheets read from one import, the problems met, and the import's identity."""

    file_name: str
    sha256: str
    sheets: dict[str, Sheet]
    problems: list[FileProblem]


def sources_from_paths(paths: Iterable[str | Path], max_mb: float = DEFAULT_MAX_MB) -> list[Source]:
    """Return the files as sources; an oversized file is read as empty bytes and flagged later."""
    sources = []
    for path in map(Path, paths):
        size = path.stat().st_size  # raises FileNotFoundError for a missing file
        if size > max_mb * 1_000_000:
            sources.append(Source(path.name, b"", size))  # refused later, never read
        else:
            sources.append(Source(path.name, path.read_bytes()))
    return sources


def import_sha256(sources: list[Source]) -> str:
    """Return the import's identity: the hash of its files' names and bytes, in name order."""
    if len(sources) == 1:
        return hashlib.sha256(sources[0].data).hexdigest()
    digest = hashlib.sha256()
    for source in sorted(sources, key=lambda s: s.name.lower()):
        digest.update(source.name.lower().encode() + b"\0")
        digest.update(hashlib.sha256(source.data).digest())
    return digest.hexdigest()


def read_sources(sources: list[Source], max_mb: float = DEFAULT_MAX_MB) -> ReadResult:
    """Read one import (one workbook, or CSV files named after the tables) into sheets."""
    names = ", ".join(s.name for s in sources) or "(no file)"
    result = ReadResult(names, import_sha256(sources) if sources else "", {}, [])
    problems = result.problems
    if not sources:
        problems.append(
            FileProblem(
                "(file)",
                None,
                None,
                "no file was given",
                "Choose the filled-in template (.xlsx) or the CSV files.",
            )
        )
        return result
    limit = int(max_mb * 1_000_000)
    usable = []
    for source in sources:
        size = source.nbytes
        suffix = PurePosixPath(source.name).suffix.lower()
        if size > limit:
            problems.append(
                FileProblem(
                    source.name,
                    None,
                    f"{size / 1e6:.1f} MB",
                    f"the file is larger than the {max_mb:g} MB limit",
                    "Split the rounds into separate files, or ask for a higher limit (--max-mb).",
                )
            )
        elif size == 0:
            problems.append(
                FileProblem(
                    source.name,
                    None,
                    None,
                    "the file is empty",
                    "Export the audit round again and choose that file.",
                )
            )
        elif suffix not in (".xlsx", ".csv"):
            fix = "Save it from Excel as an .xlsx workbook (or as CSV UTF-8 files)."
            problems.append(
                FileProblem(
                    source.name,
                    None,
                    suffix or "(no extension)",
                    "only an Excel workbook (.xlsx) or CSV files (.csv) can be imported",
                    fix,
                )
            )
        else:
            usable.append(source)
    if problems:
        return result
    workbooks = [s for s in usable if s.name.lower().endswith(".xlsx")]
    if workbooks and len(usable) > 1:
        problems.append(
            FileProblem(
                names,
                None,
                None,
                "an import is one workbook, or CSV files, not several workbooks or a mix",
                "Import each workbook on its own, or put all the tables in one workbook.",
            )
        )
        return result
    if workbooks:
        _read_workbook(workbooks[0], limit, result)
    else:
        _read_csvs(usable, result)
    return result


# --- CSV -------------------------------------------------------------------------------------


def _csv_table(name: str) -> str | None:
    # "cases.csv", "Cases.csv", "2021-03 cases.csv" and "round_responses.csv" all name a table.
    words = normalise_header(PurePosixPath(name).stem).split("_")
    return words[-1] if words and words[-1] in SHEET_ORDER else None


def _read_csvs(sources: list[Source], result: ReadResult) -> None:
    seen: dict[str, str] = {}
    for source in sources:
        table = _csv_table(source.name)
        if table is None:
            result.problems.append(
                FileProblem(
                    source.name,
                    None,
                    source.name,
                    "a CSV file must be named after its table",
                    "Name the files cases.csv, responses.csv, and (optional) rounds.csv, "
                    "questions.csv.",
                )
            )
            continue
        if table in seen:
            result.problems.append(
                FileProblem(
                    source.name,
                    None,
                    source.name,
                    f"two files hold the {table} table ({seen[table]} and {source.name})",
                    f"Import one {table} file: put all the rows in it.",
                )
            )
            continue
        seen[table] = source.name
        text = _decode(source, result)
        if text is None:
            continue
        frame = _parse_csv(text, source.name, result)
        if frame is not None:
            _add_sheet(result, table, source.name, frame)


def _decode(source: Source, result: ReadResult) -> str | None:
    data = source.data
    if b"\0" in data[:65536] or data[:4] == b"PK\x03\x04":
        result.problems.append(
            FileProblem(
                source.name,
                None,
                None,
                "the file is not a CSV text file (it looks like a binary or Excel file)",
                "Open it in Excel and save as 'CSV UTF-8', or import the .xlsx workbook itself.",
            )
        )
        return None
    for encoding in ("utf-8-sig", "cp1252"):  # Excel's "CSV UTF-8", then its older default
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    result.problems.append(
        FileProblem(
            source.name,
            None,
            None,
            "the file is not readable text (not UTF-8)",
            "Open it in Excel and save as 'CSV UTF-8 (comma delimited)'.",
        )
    )
    return None


def _parse_csv(text: str, name: str, result: ReadResult) -> pd.DataFrame | None:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)  # Excel in some locales uses ;
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            header=None,
            sep=delimiter,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as error:
        result.problems.append(
            FileProblem(
                name,
                None,
                None,
                f"the CSV file cannot be read: {str(error).strip()[:200]}",
                "Open it in Excel and save it again as 'CSV UTF-8 (comma delimited)'.",
            )
        )
        return None
    # Record i (0-based) is row i + 1 in Excel, which shows one record per row.
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    return raw


# --- XLSX ------------------------------------------------------------------------------------


def _read_workbook(source: Source, limit: int, result: ReadResult) -> None:
    not_workbook = FileProblem(
        source.name,
        None,
        None,
        "the file is not an Excel workbook (.xlsx) that can be opened",
        "Open it in Excel and 'Save As' an Excel Workbook (.xlsx), then import that file.",
    )
    try:
        book = Workbook(source.data)
        unpacked = book.unpacked_size
        if unpacked > max(limit, 1_000_000) * MAX_UNPACK_RATIO:
            result.problems.append(
                FileProblem(
                    source.name,
                    None,
                    f"{unpacked / 1e6:.0f} MB",
                    "the workbook unpacks to far more data than its size suggests",
                    "Save the workbook again from Excel, or split it into smaller files.",
                )
            )
            return
    except (zipfile.BadZipFile, NotAWorkbook, KeyError, ElementTree.ParseError, ValueError):
        result.problems.append(not_workbook)
        return
    by_table: dict[str, str] = {}
    for sheet_name in book.sheet_names:
        table = normalise_header(sheet_name)
        if table in SHEET_ORDER and table not in by_table:
            by_table[table] = sheet_name
    for table, sheet_name in by_table.items():
        try:
            grid = book.grid(sheet_name)
        except Exception:  # any failure of the careful path means the sheet cannot be read
            result.problems.append(
                FileProblem(
                    sheet_name,
                    None,
                    None,
                    "this sheet of the workbook cannot be read",
                    "Open the workbook in Excel, save it again and import the saved file.",
                )
            )
            continue
        _add_sheet(result, table, sheet_name, grid)


# --- shared ----------------------------------------------------------------------------------


def _add_sheet(result: ReadResult, table: str, label: str, grid: pd.DataFrame) -> None:
    """Turn a grid (index = Excel row, one column per sheet column) into a Sheet."""
    # Arrow-backed text columns: stripping and blank checks run vectorised.
    grid = grid.astype("str")
    for column in grid.columns:
        stripped = grid[column].str.strip()
        grid[column] = stripped.where(stripped != "")
    grid = grid.dropna(how="all")
    if grid.empty:
        result.problems.append(
            FileProblem(
                label,
                None,
                None,
                "the sheet is empty: it has no header row",
                "Use the template: row 1 holds the column names, data starts in row 2.",
            )
        )
        result.sheets[table] = Sheet(
            table, label, pd.DataFrame({ROW: pd.Series([], dtype="int64")})
        )
        return
    header_row = grid.index[0]
    header = grid.loc[header_row]
    body = grid.loc[grid.index > header_row]
    names: dict[object, str] = {}
    headers: dict[str, str] = {}
    for position, typed in header.items():
        if pd.isna(typed):
            continue
        name = normalise_header(typed)
        if name in headers:
            result.problems.append(
                FileProblem(
                    label,
                    name,
                    str(typed),
                    "two columns have the same name",
                    "Delete or rename one of them: each column name appears once.",
                )
            )
            continue
        names[position] = name
        headers[name] = str(typed)
    frame = body[list(names)].rename(columns=names)
    frame = frame.dropna(how="all")
    frame.insert(0, ROW, frame.index.to_numpy(dtype=np.int64))
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    result.sheets[table] = Sheet(table, label, frame, headers)
