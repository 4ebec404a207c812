"""Reading an import (an XLSX workbook or CSV files) into sheets of text with Excel row numbers.

Every cell becomes text (or missing) exactly as a user would read it: numbers without a trailing
.0, date cells as YYYY-MM-DD, TRUE/FALSE. Problems with the files themselves (too big, empty, not
a workbook or CSV, a missing or duplicated sheet, a ragged CSV row, a formula with no saved
result) are collected for every file, never raised as a traceback, and the readable files are
still read so that every problem is reported at once.
"""

from __future__ import annotations

import codecs
import collections
import csv
import hashlib
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
from openpyxl.utils.exceptions import CellCoordinatesException, InvalidFileException

from analytics.ingest.problems import ROW, Problems, Sheet
from analytics.ingest.spec import SHEET_ORDER, SHEETS, normalise_header
from analytics.ingest.xlsx import (
    MAX_CELLS,
    MAX_UNPACK_RATIO,
    MAX_UNPACKED_BYTES,
    DamagedWorkbook,
    NotAWorkbook,
    TooBigUnpacked,
    TooManyCells,
    Workbook,
)

DEFAULT_MAX_MB = 50
# A row wider than a spreadsheet can hold (Excel's 16,384 columns) is no audit table.
MAX_COLUMNS = 16_384
# How far down a sheet to look for the column names when row 1 holds a title instead.
HEADER_SEARCH_ROWS = 20
# What a damaged or unusual sheet can raise while being read: bad values and structure, a broken
# zip stream, malformed XML (ElementTree's and lxml's parse errors are SyntaxErrors), and
# openpyxl's own errors on the careful path.
_SHEET_ERRORS = (
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    EOFError,
    SyntaxError,
    zipfile.BadZipFile,
    zlib.error,
    pa.ArrowException,
    CellCoordinatesException,
    InvalidFileException,
)
RESAVE = "Open it in Excel and save it again as 'CSV UTF-8 (comma delimited)'."


@dataclass(frozen=True)
class Source:
    """One file to import: its name as the user knows it and its bytes."""

    name: str
    data: bytes
    size: int | None = None  # set, with no bytes, for a file too big to read into memory
    unreadable: tuple[str, str] | None = None  # (rule, fix) for a path that could not be read

    @property
    def nbytes(self) -> int:
        """Return the file's size in bytes."""
        return len(self.data) if self.size is None else self.size


@dataclass
class ReadResult:
    """The sheets read from one import, the problems met, and the import's identity."""

    file_name: str
    sha256: str
    sheets: dict[str, Sheet]
    problems: Problems
    supplied: set[str] = field(default_factory=set)  # tables given, even if unreadable


def sources_from_paths(
    paths: Iterable[str | os.PathLike[str]], max_mb: float = DEFAULT_MAX_MB
) -> list[Source]:
    """Return the files as sources; a file that is too big, missing, a folder, not a regular
    file, or a link to a file outside its own folder is flagged, never read (its problem is
    reported with the others when the import is read)."""
    limit = int(max_mb * 1_000_000)
    sources = []
    for path in map(Path, paths):
        try:
            if path.is_dir():
                rule = f"{path} is a folder, not a file"
                fix = "Name the workbook (.xlsx), or the CSV files, inside the folder."
                sources.append(Source(path.name or str(path), b"", unreadable=(rule, fix)))
                continue
            # A link may point anywhere: what it points to is read only when it is in the same
            # folder, so a link can never show another file's lines in the problem table.
            if path.is_symlink() and not path.resolve().is_relative_to(path.parent.resolve()):
                rule = f"{path} is a link to a file outside its folder: it is not read"
                fix = "Copy the file itself into the folder and name the copy."
                sources.append(Source(path.name, b"", unreadable=(rule, fix)))
                continue
            status = path.stat()
            if not stat.S_ISREG(status.st_mode):  # a pipe or a device: reading could never end
                rule = f"{path} is not a regular file"
                fix = "Name the workbook (.xlsx) or the CSV files themselves."
                sources.append(Source(path.name, b"", unreadable=(rule, fix)))
            elif status.st_size > limit:
                sources.append(Source(path.name, b"", status.st_size))  # refused later, never read
            else:
                with path.open("rb") as file:
                    data = file.read(limit + 1)  # never more, should the file grow meanwhile
                too_big = len(data) > limit
                sources.append(
                    Source(path.name, b"", len(data)) if too_big else Source(path.name, data)
                )
        except FileNotFoundError:
            rule = f"file not found: {path}"
            sources.append(Source(path.name, b"", unreadable=(rule, "Check the path and name.")))
        except OSError as error:
            rule = f"the file cannot be read: {error.strerror or error} ({path})"
            fix = "Check the file's permissions, or copy it somewhere readable."
            sources.append(Source(path.name, b"", unreadable=(rule, fix)))
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
    result = ReadResult(names, import_sha256(sources) if sources else "", {}, Problems())
    problems = result.problems
    if not sources:
        problems.add_one(
            "(file)",
            None,
            None,
            None,
            "no file was given",
            "Choose the filled-in template (.xlsx) or the CSV files.",
        )
        return result
    for source in sources:
        suffix = PurePosixPath(source.name).suffix.lower()
        table = csv_table(source.name) if suffix == ".csv" else None
        if table is not None:
            result.supplied.add(table)  # given, if unreadable: never "the file is missing"
    usable = usable_sources(sources, max_mb, problems)
    workbooks = [s for s in sources if PurePosixPath(s.name).suffix.lower() == ".xlsx"]
    if workbooks and len(sources) > 1:
        problems.add_one(
            names,
            None,
            None,
            None,
            "an import is one workbook, or CSV files, not several workbooks or a mix",
            "Import each workbook on its own, or put all the tables in one workbook.",
        )
        return result
    if workbooks and usable:
        _read_workbook(usable[0], result)
    elif usable:
        _read_csvs(usable, result)
    return result


def usable_sources(sources: list[Source], max_mb: float, problems: Problems) -> list[Source]:
    """Return the sources that can be read; report each unreadable, too big, empty or
    wrongly typed file (shared by the template reader and the tracker reader)."""
    limit = int(max_mb * 1_000_000)
    usable = []
    for source in sources:
        size = source.nbytes
        suffix = PurePosixPath(source.name).suffix.lower()
        if source.unreadable is not None:
            problems.add_one(source.name, None, None, None, *source.unreadable)
        elif size > limit:
            problems.add_one(
                source.name,
                None,
                None,
                f"{size / 1e6:.1f} MB",
                f"the file is larger than the {max_mb:g} MB limit",
                "Split the rounds into separate files, or ask for a higher limit (--max-mb).",
            )
        elif size == 0:
            problems.add_one(
                source.name,
                None,
                None,
                None,
                "the file is empty",
                "Export the audit round again and choose that file.",
            )
        elif suffix not in (".xlsx", ".csv"):
            problems.add_one(
                source.name,
                None,
                None,
                suffix or "(no extension)",
                "only an Excel workbook (.xlsx) or CSV files (.csv) can be imported",
                "Save it from Excel as an .xlsx workbook (or as CSV UTF-8 files).",
            )
        else:
            usable.append(source)
    return usable


# --- the template, or a tracker? -----------------------------------------------------------

# The template's own ids: a CSV whose header names one is the template under another name.
_TEMPLATE_IDS = frozenset({"audit_id", "question_id"})


def is_template(sources: Sequence[Source]) -> bool:
    """Return whether the files are the import template (a sheet or CSV file named after a
    table, or a CSV whose header names audit_id or question_id) rather than a QA team's own
    tracker. Files that cannot be told apart (unreadable, empty, another type, a damaged
    workbook) count as the template, whose reader then says what is wrong with them."""
    if not sources:
        return True  # the template's reader says a file is needed
    for source in sources:
        name = source.name.lower()
        if not name.endswith((".xlsx", ".csv")) or source.unreadable or not source.nbytes:
            return True
        if name.endswith(".csv"):
            if csv_table(source.name) is not None or _has_template_header(source.data):
                return True
            continue
        try:
            sheets = Workbook(source.data, cells=False).sheet_names
        except Exception:  # any damage: the template's reader says what it is
            return True
        if any(normalise_header(sheet) in SHEET_ORDER for sheet in sheets):
            return True
    return False


def _has_template_header(data: bytes) -> bool:
    """Return whether a CSV's first lines name a template id column (audit_id, question_id)."""
    head = data[:65536].decode("utf-8-sig", errors="replace").splitlines()[:HEADER_SEARCH_ROWS]
    cells = (cell for line in head for cell in re.split(r"[,;\t]", line))
    return any(normalise_header(cell.strip('" ')) in _TEMPLATE_IDS for cell in cells)


# --- CSV -------------------------------------------------------------------------------------

# A browser saves a second download of cases.csv as "cases (1).csv".
_DOWNLOAD_COPY = re.compile(r"\s*\(\d+\)$")


def csv_table(name: str) -> str | None:
    """Return the table a CSV file's name says it holds, or None.

    "cases.csv", "Cases.csv", "cases (1).csv", "2021-03 cases.csv" and "round_responses.csv" all
    name a table.
    """
    stem = _DOWNLOAD_COPY.sub("", PurePosixPath(name).stem)
    words = normalise_header(stem).split("_")
    return words[-1] if words and words[-1] in SHEET_ORDER else None


def _read_csvs(sources: list[Source], result: ReadResult) -> None:
    by_table: dict[str, list[Source]] = {}
    for source in sources:
        table = csv_table(source.name)
        if table is None:
            result.problems.add_one(
                source.name,
                None,
                None,
                source.name,
                "a CSV file must be named after its table",
                "Name the files cases.csv, responses.csv, and (optional) rounds.csv, "
                "questions.csv.",
            )
            continue
        by_table.setdefault(table, []).append(source)
    for table, files in by_table.items():
        if len(files) > 1:
            both = " and ".join(s.name for s in files)
            result.problems.add_one(
                ", ".join(s.name for s in files),
                None,
                None,
                None,
                f"two files hold the {table} table ({both})",
                f"Import one {table} file: put all the rows in it.",
            )
            continue
        source = files[0]
        text = decode_text(source, result.problems)
        if text is None:
            continue
        grid = parse_csv(text, source.name, result.problems)
        if grid is not None:
            _add_sheet(result, table, source.name, grid, is_csv=True)


def decode_text(source: Source, problems: Problems) -> str | None:
    """Return a CSV file's text (UTF-8, UTF-16 or Excel's cp1252); report one it cannot be."""
    data = source.data
    # Excel's "Unicode Text" and some exports are UTF-16 with a byte-order mark.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\0" not in data[:65536] and data[:4] != b"PK\x03\x04":
        for encoding in ("utf-8-sig", "cp1252"):  # Excel's "CSV UTF-8", then its older default
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        problems.add_one(
            source.name,
            None,
            None,
            None,
            "the file is not readable text (not UTF-8)",
            "Open it in Excel and save as 'CSV UTF-8 (comma delimited)'.",
        )
        return None
    problems.add_one(
        source.name,
        None,
        None,
        None,
        "the file is not a CSV text file (it looks like a binary or Excel file)",
        "Open it in Excel and save as 'CSV UTF-8', or import the .xlsx workbook itself.",
    )
    return None


_SEP_LINE = re.compile(r'^"?sep=(.)"?,*\s*$', re.IGNORECASE)


def parse_csv(text: str, name: str, problems: Problems) -> pd.DataFrame | None:
    """Return the CSV's records as a grid indexed by the row Excel shows (one per record);
    report a file that cannot be read, or whose quote opens a value and never closes it."""
    lines = io.StringIO(text, newline="")
    # Excel writes (and hides) a first line "sep=;" naming the separator: row 1 is the next one.
    first = lines.readline()
    sep = _SEP_LINE.match(first.strip("\r\n"))
    if sep:
        delimiter = sep.group(1)
        body = text[len(first) :]
    else:
        sample = next((line for line in text.splitlines() if line.strip(" ,;\t")), "")
        delimiter = max((",", ";", "\t"), key=sample.count)  # Excel in some locales uses ;
        lines.seek(0)
        body = text
    records: list[list[str]] = []
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    failure = None
    cells = 0
    try:
        for record in reader:
            records.append(record)
            cells += len(record)
            if cells > MAX_CELLS:
                _report_too_many_cells(name, problems)
                return None
    except csv.Error as error:
        failure = error
    # A record over several lines, or a quote on the last line, may be an unclosed quote.
    suspect = failure is not None or reader.line_num > len(records) or _last_line_quoted(body)
    if suspect and _report_unclosed_quote(body, delimiter, name, problems):
        return None
    if failure is not None:
        problems.add_one(
            name,
            len(records) + 1,
            None,
            None,
            f"the CSV file cannot be read from this row on: {failure}",
            RESAVE,
        )
        return None
    width = max(map(len, records), default=0)
    if width > MAX_COLUMNS:  # refused before a frame of that width is built
        widest = next(i for i, record in enumerate(records, start=1) if len(record) == width)
        problems.add_one(
            name,
            widest,
            None,
            None,
            f"the row has {width:,} columns: more than a spreadsheet holds ({MAX_COLUMNS:,})",
            "Check the separator and that this is the audit table; " + RESAVE,
        )
        return None
    padded = [r if len(r) == width else r + [""] * (width - len(r)) for r in records]
    return pd.DataFrame(padded, index=pd.RangeIndex(1, len(records) + 1), dtype="str")


def _last_line_quoted(text: str) -> bool:
    tail = text.rstrip("\r\n")
    return '"' in tail[max(tail.rfind("\n"), tail.rfind("\r")) + 1 :]


def _report_unclosed_quote(text: str, delimiter: str, name: str, problems: Problems) -> bool:
    """Report the first quote that opens a value and is not closed where the value ends (every
    line after it read into one cell); return whether there is one.

    Read again strictly: a value that opens with a quote must end with one followed by the
    separator or the line's end. A value whose quote closes mid-line ('"Smith" said') is read
    as Excel reads it, as before; one whose quote closes lines later, or never, is refused.
    """
    try:  # at C speed first: read strictly, every record dropped as it is read
        collections.deque(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                     strict=True), maxlen=0)  # fmt: skip
        return False
    except csv.Error:
        pass  # find which record, line by line
    consumed: list[str] = []  # the lines of the record being read
    ended = False

    def source() -> Iterator[str]:
        nonlocal ended
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line
        ended = True

    reader = csv.reader(source(), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    row = 0
    while True:
        consumed.clear()
        try:
            record = next(reader)
        except StopIteration:
            return False
        except csv.Error as error:
            row += 1
            runaway = "field larger than field limit" in str(error)
            if len(consumed) > 1 or ended or runaway:
                break
            continue  # a quote closed on its own line: read leniently by the first pass
        row += 1
        if header is None and any(cell.strip() for cell in record):
            header = record
    opened = next(csv.reader(consumed[:1], delimiter=delimiter, strict=False), [""])
    index = len(opened) - 1  # the line ends inside the last value it starts
    named = header[index].strip() if header and index < len(header) else ""
    column = named or _cell_ref(1, index + 1).rstrip("0123456789")
    if ended and len(consumed) == 1:
        how = "is never closed (the file ends inside it)"
    elif ended or runaway:
        how = "is never closed: every line after it was read into that one cell"
    else:
        how = (
            f"is not closed where the value ends: the next {len(consumed) - 1} lines were read "
            "into that one cell"
        )
    cell = (opened[-1].splitlines() or [""])[0]
    problems.add_one(
        name,
        row,
        column,
        '"' + cell[:80],
        f'a quote (") opens in column {column} and {how}',
        "Close the quote where the value ends, or delete it; a quote inside a value is written "
        'as two quotes (""), as Excel does when it saves the file as CSV UTF-8.',
    )
    return True


# --- XLSX ------------------------------------------------------------------------------------


def open_workbook(source: Source, problems: Problems) -> Workbook | None:
    """Return the opened workbook; report one that is not a workbook, is damaged or is a zip
    bomb."""
    try:
        return Workbook(source.data, source.name)
    except (TooBigUnpacked, DamagedWorkbook) as error:
        _report_unpacking(error, source.name, problems)
    except (zipfile.BadZipFile, NotAWorkbook, KeyError, ElementTree.ParseError, ValueError):
        problems.add_one(
            source.name,
            None,
            None,
            None,
            "the file is not an Excel workbook (.xlsx) that can be opened",
            "Open it in Excel and 'Save As' an Excel Workbook (.xlsx), then import that file.",
        )
    return None


def _report_too_many_cells(where: str, problems: Problems) -> None:
    problems.add_one(
        where,
        None,
        None,
        None,
        f"it has more than {MAX_CELLS:,} cells: far more than an audit round holds, so it is "
        "refused unread",
        "Check that this is the audit table and not an export of a whole system; import one "
        "round at a time.",
    )


def _report_unpacking(
    error: TooBigUnpacked | DamagedWorkbook, file_name: str, problems: Problems
) -> None:
    """Report a workbook refused while unpacking: a zip bomb, or a damaged or cut-off part."""
    repair = (
        "Open the workbook in Excel (it offers to repair it), save it again and import the "
        "saved file; or export the round again."
    )
    if isinstance(error, TooBigUnpacked):
        limit = (
            "1 GB"
            if error.budget >= MAX_UNPACKED_BYTES
            else f"{error.budget / 1e6:,.1f} MB, {MAX_UNPACK_RATIO} times its own size"
        )
        problems.add_one(
            file_name,
            None,
            None,
            None,
            f"the workbook unpacks to more than {limit}: it is refused as a possible zip bomb, "
            "unpacked no further",
            "A workbook as Excel saves it unpacks to far less: open it in Excel, save it again "
            "and import the saved file. If you did not make the file, ask who sent it.",
        )
    elif error.cut_off:
        problems.add_one(
            error.sheet or file_name,
            None,
            None,
            None,
            f"the sheet {error.sheet!r} of {file_name} is damaged: its data is cut off before "
            "its end (the file was cut short, or not saved completely)",
            repair,
        )
    else:
        sheet = f" (sheet {error.sheet!r})" if error.sheet else ""
        problems.add_one(
            file_name,
            None,
            None,
            None,
            f"the workbook is damaged: its part {error.part}{sheet} does not unpack to the "
            "size and checksum recorded for it",
            repair,
        )


def read_sheet(
    book: Workbook, sheet_name: str, problems: Problems
) -> tuple[pd.DataFrame, list[tuple[int, int, str]]] | None:
    """Return a sheet's grid and its formulas with no saved result; report a damaged sheet
    (once the workbook has passed its unpacking budget, no sheet is read)."""
    if book.unpacked > book.budget:
        return None  # already reported
    try:
        return book.grid(sheet_name), book.uncached_formulas(sheet_name)
    except (TooBigUnpacked, DamagedWorkbook) as error:
        _report_unpacking(error, book.name, problems)
    except TooManyCells:
        _report_too_many_cells(sheet_name, problems)
    except _SHEET_ERRORS:
        problems.add_one(
            sheet_name,
            None,
            None,
            None,
            "this sheet of the workbook cannot be read",
            "Open the workbook in Excel, save it again and import the saved file.",
        )
    return None


def _read_workbook(source: Source, result: ReadResult) -> None:
    book = open_workbook(source, result.problems)
    if book is None:
        return
    by_table: dict[str, list[str]] = {}
    for sheet_name in book.sheet_names:
        table = normalise_header(sheet_name)
        if table in SHEET_ORDER:
            by_table.setdefault(table, []).append(sheet_name)
    for table, sheet_names in by_table.items():
        result.supplied.add(table)
        if len(sheet_names) > 1:
            both = " and ".join(repr(n) for n in sheet_names)
            result.problems.add_one(
                ", ".join(sheet_names),
                None,
                None,
                None,
                f"two sheets hold the {table} table ({both})",
                f"Keep one sheet named {table}: move all its rows there and delete the other.",
            )
            continue
        sheet_name = sheet_names[0]
        read = read_sheet(book, sheet_name, result.problems)
        if read is None:
            continue
        grid, formulas = read
        _add_sheet(result, table, sheet_name, grid, formulas=formulas)


# --- shared ----------------------------------------------------------------------------------


def _cell_ref(row: int, column: object) -> str:
    number = int(column) if isinstance(column, int | np.integer) else None
    if number is None:
        return f"row {row}"
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _find_header(grid: pd.DataFrame, table: str) -> tuple[int, bool]:
    """Return the header row (the first holding a template column name), and whether it is the
    first row that is not blank (else title rows sit above it, or no row holds the names)."""
    known = {c.name for c in SHEETS[table]}
    first = int(grid.index[0])
    for number in grid.index[:HEADER_SEARCH_ROWS]:
        if known & {normalise_header(v) for v in grid.loc[number].dropna()}:
            return int(number), int(number) == first
    return first, False


def clean_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """Return a grid as text with values stripped, blank cells missing, blank rows dropped."""
    # Arrow-backed text columns: stripping and blank checks run vectorised.
    grid = grid.astype("str")
    for column in grid.columns:
        stripped = grid[column].str.strip()
        grid[column] = stripped.where(stripped != "")
    return grid.dropna(how="all")


def _add_sheet(
    result: ReadResult,
    table: str,
    label: str,
    grid: pd.DataFrame,
    is_csv: bool = False,
    formulas: list[tuple[int, int, str]] | None = None,
) -> None:
    """Turn a grid (index = Excel row, one column per sheet column) into a Sheet."""
    problems = result.problems
    grid = clean_grid(grid)
    if grid.empty:
        problems.add_one(
            label,
            None,
            None,
            None,
            "the sheet is empty: it has no header row",
            "Use the template: row 1 holds the column names, data starts in row 2.",
        )
        empty = pd.DataFrame({ROW: pd.Series([], dtype="int64")})
        result.sheets[table] = Sheet(table, label, empty, is_csv=is_csv, header_found=False)
        return
    header_row, in_place = _find_header(grid, table)
    if not in_place:
        first = grid.index[0]
        found = " | ".join(str(v) for v in grid.loc[first].dropna().tolist()[:4])
        if header_row != first:
            rule = (
                f"row {first} holds {found!r}, not the column names (they are in row {header_row})"
            )
        else:
            rule = f"row {first} holds none of the template's column names (found {found!r})"
        problems.add_one(
            label,
            int(first),
            None,
            found[:200],
            rule,
            "Delete any title rows above the column names: row 1 holds the template's column "
            "names (e.g. audit_id, theme_id), data starts in row 2.",
        )
        if header_row == first:  # no row holds the column names: nothing can be checked
            result.sheets[table] = Sheet(
                table,
                label,
                pd.DataFrame({ROW: pd.Series([], dtype="int64")}),
                is_csv=is_csv,
                header_found=False,
            )
            return
    header = grid.loc[header_row]
    body = grid.loc[grid.index > header_row]
    names: dict[object, str] = {}
    headers: dict[str, str] = {}
    for position, typed in header.items():
        if pd.isna(typed):
            continue
        name = normalise_header(typed)
        if name in headers:
            problems.add_one(
                label,
                None,
                name,
                str(typed),
                "two columns have the same name",
                "Delete or rename one of them: each column name appears once.",
            )
            continue
        names[position] = name
        headers[name] = str(typed)
    if is_csv:
        width = int(header.notna().to_numpy().nonzero()[0].max()) + 1
        _report_ragged(problems, label, body, width)
    if formulas:
        _report_formulas(problems, label, formulas, names, header_row)
    frame = body[list(names)].rename(columns=names)
    frame = frame.dropna(how="all")
    frame.insert(0, ROW, frame.index.to_numpy(dtype=np.int64))
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    result.sheets[table] = Sheet(table, label, frame, headers, is_csv=is_csv)


def _report_ragged(problems: Problems, label: str, body: pd.DataFrame, width: int) -> None:
    """Report CSV rows with values beyond the header's last column (an unquoted separator)."""
    if body.shape[1] <= width:
        return
    extra = body.iloc[:, width:]
    ragged = extra.notna().any(axis=1)
    for row, values in extra[ragged].iterrows():
        cells = values.dropna().tolist()
        count = width + int(values.notna().to_numpy().nonzero()[0].max()) + 1
        problems.add_one(
            label,
            int(row),
            None,
            ", ".join(cells)[:200],
            f"the row has {count} values but the header has {width} columns",
            "A value probably holds the separator without quotes around it: put the value in "
            "double quotes, or save the file again from Excel as 'CSV UTF-8'.",
        )


def _report_formulas(
    problems: Problems,
    label: str,
    formulas: list[tuple[int, int, str]],
    names: dict[object, str],
    header_row: int,
) -> None:
    for row, column, formula in formulas:
        if row <= header_row:
            continue
        ref = _cell_ref(row, column)
        problems.add_one(
            label,
            row,
            names.get(column, ref.rstrip("0123456789")),
            formula,
            f"cell {ref} holds a formula with no saved result: it would import as empty",
            "Open the workbook in Excel (which calculates it) and save it, then import the "
            "saved file; or paste the values over the formulas.",
        )
