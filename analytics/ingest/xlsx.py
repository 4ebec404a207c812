"""A fast reader of XLSX workbooks: every cell of a sheet as text, indexed by its Excel row.

Numbers read without a trailing .0, date cells as YYYY-MM-DD, booleans as TRUE/FALSE. Sheets in
the usual layout are read by a vectorised pass over their XML; anything unusual by openpyxl.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_MAIN_NS = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


# A formula cell without a saved result: <c r="B2"><f>A2*2</f></c>, with no <v>.
_CELL = re.compile(rb"<(?:\w+:)?c\s(?P<attrs>[^>]*?)(?:/>|>(?P<inner>.*?)</(?:\w+:)?c>)", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>(?P<text>.*?)</(?:\w+:)?f>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]|<(?:\w+:)?is[\s>]")
_TEXT_RESULT = re.compile(rb'(?:^|\s)t="str"')
_REF = re.compile(rb'(?:^|\s)r="([A-Z]{1,3})(\d+)"')


class NotAWorkbook(Exception):
    """The bytes are not an XLSX workbook."""


# A workbook is a zip: one that unpacks to far more than its size is a "zip bomb". Excel's own
# workbooks unpack to 5-20 times their size; every part read counts against one budget.
MAX_UNPACK_RATIO = 200
MAX_UNPACKED_BYTES = 1_000_000_000
_CHUNK = 1 << 22  # unpacked a chunk at a time, so memory never runs far past the budget
# More cells than this in one sheet is no audit round (the 10,000-case, 40-standard tracker of
# the benchmark has 450,000), and would take gigabytes to read: refused before parsing.
MAX_CELLS = 2_000_000
# The end of a sheet's XML as every writer ends it: a sheet without it was cut short.
_SHEET_END = re.compile(rb"</(?:\w+:)?worksheet>\s*$")


class TooBigUnpacked(Exception):
    """The workbook unpacks to more than its budget: refused while unpacking."""

    def __init__(self, budget: int):
        self.budget = budget
        super().__init__(f"the workbook unpacks to more than {budget:,} bytes")


class DamagedWorkbook(Exception):
    """A part of the workbook does not unpack as its zip headers record, or is cut off."""

    def __init__(self, part: str, sheet: str | None = None, cut_off: bool = False):
        self.part, self.sheet, self.cut_off = part, sheet, cut_off
        super().__init__(f"the part {part} of the workbook is damaged")


class TooManyCells(Exception):
    """A sheet holds more than MAX_CELLS cells: refused before its cells are parsed."""

    def __init__(self, sheet: str):
        self.sheet = sheet
        super().__init__(f"the sheet {sheet} has more than {MAX_CELLS:,} cells")


def unpack_budget(size: int) -> int:
    """Return how many bytes a workbook of `size` bytes may unpack to: 200 times its size,
    and never more than 1 GB."""
    return min(MAX_UNPACK_RATIO * size, MAX_UNPACKED_BYTES)


class Workbook:
    """An XLSX package: its sheets by name, shared strings, and which cell styles are dates.

    Every part is unpacked through read_part, within one budget for the whole workbook
    (unpack_budget): TooBigUnpacked is raised as soon as the parts read pass it, whatever the
    zip's headers say.
    """

    def __init__(self, data: bytes, name: str = "workbook.xlsx", *, cells: bool = True):
        """Open the package; with cells=False only its sheets are listed (no shared strings or
        styles parsed: telling a template from a tracker needs no more)."""
        self.data = data
        self.name = name
        self.budget = unpack_budget(len(data))
        self._unpacked: dict[str, int] = {}  # part -> bytes unpacked (each part counted once)
        self.sheets: dict[str, str] = {}  # sheet name -> its part
        self.chart_sheets: list[str] = []  # chart tabs, left out
        self.archive = archive = zipfile.ZipFile(io.BytesIO(data))
        if sum(info.file_size for info in archive.infolist()) > self.budget:
            raise TooBigUnpacked(self.budget)  # what the headers declare is already too much
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise NotAWorkbook
        root = self._xml("xl/workbook.xml")
        ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if ns not in _MAIN_NS:
            raise NotAWorkbook
        self.ns = ns
        properties = root.find(f"{{{ns}}}workbookPr")
        self.date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        targets = self._relationships("xl/_rels/workbook.xml.rels")
        for sheet in root.iter(f"{{{ns}}}sheet"):
            rel = next((sheet.get(f"{{{r}}}id") for r in _REL_NS if sheet.get(f"{{{r}}}id")), None)
            if rel not in targets:
                continue
            if "/chartsheets/" in targets[rel]:  # a chart tab holds no cells: not a table
                self.chart_sheets.append(sheet.get("name", ""))
            else:
                self.sheets[sheet.get("name", "")] = targets[rel]
        self.sheet_names = list(self.sheets)
        self.shared: list[str] = []
        self.date_styles: set[int] = set()
        if not cells:
            return
        shared_path = next((t for t in targets.values() if t.endswith("sharedStrings.xml")), None)
        if shared_path in names:
            self.shared = self._shared_strings(shared_path)
        styles_path = next((t for t in targets.values() if t.endswith("styles.xml")), None)
        if styles_path in names:
            self.date_styles = self._date_styles(styles_path)

    @property
    def unpacked(self) -> int:
        """Return the bytes unpacked so far (each part counted once, however often read)."""
        return sum(self._unpacked.values())

    @property
    def parts_read(self) -> list[str]:
        """Return the parts unpacked so far."""
        return list(self._unpacked)

    def read_part(self, path: str) -> bytes:
        """Return one part of the package, unpacked within what is left of the budget."""
        allowed = self.budget - (self.unpacked - self._unpacked.get(path, 0))
        try:
            with self.archive.open(path) as stream:
                data = _read_at_most(stream, allowed + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            # a broken stream, a size or checksum that does not match, an unknown method or a
            # password
            raise DamagedWorkbook(path, self._sheet_of(path)) from None
        self._unpacked[path] = max(len(data), self._unpacked.get(path, 0))
        if len(data) > allowed:
            raise TooBigUnpacked(self.budget)
        return data

    def _sheet_of(self, path: str) -> str | None:
        return next((name for name, target in self.sheets.items() if target == path), None)

    def sheet_xml(self, sheet_name: str) -> bytes:
        """Return a sheet's XML; DamagedWorkbook if it is cut off before its end."""
        path = self.sheets[sheet_name]
        xml = self.read_part(path)
        if not _SHEET_END.search(xml[-256:]):
            raise DamagedWorkbook(path, sheet_name, cut_off=True)
        # Counted at C speed; "<x:c " is the same cell with a namespace prefix.
        if xml.count(b"<c ") + xml.count(b":c ") > MAX_CELLS:
            raise TooManyCells(sheet_name)
        return xml

    def _xml(self, path: str) -> ElementTree.Element:
        # ElementTree neither fetches external entities nor expands nested ones without limit.
        return ElementTree.fromstring(self.read_part(path))

    def _relationships(self, path: str) -> dict[str, str]:
        targets = {}
        for rel in self._xml(path).iter(_PKG_REL):
            target = rel.get("Target", "")
            full = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id", "")] = str(PurePosixPath(full))
        return targets

    def _shared_strings(self, path: str) -> list[str]:
        ns = self.ns
        text_tag, run_tag = f"{{{ns}}}t", f"{{{ns}}}r"
        strings = []
        for item in self._xml(path).iter(f"{{{ns}}}si"):
            if len(item) == 1 and item[0].tag == text_tag:  # plain text, by far the most common
                strings.append(_unescape_ooxml(item[0].text or ""))
                continue
            # Rich text is runs of <r><t>; <rPh> phonetic hints are not part of the value.
            parts = [child.text or "" for child in item if child.tag == text_tag]
            for run in (child for child in item if child.tag == run_tag):
                parts.extend(t.text or "" for t in run if t.tag == text_tag)
            strings.append(_unescape_ooxml("".join(parts)))
        return strings

    def _date_styles(self, path: str) -> set[int]:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        ns = self.ns
        root = self._xml(path)
        custom = {
            int(f.get("numFmtId", "-1")): f.get("formatCode", "")
            for f in root.iter(f"{{{ns}}}numFmt")
        }
        cell_xfs = root.find(f"{{{ns}}}cellXfs")
        dates = set()
        for index, xf in enumerate([] if cell_xfs is None else cell_xfs.findall(f"{{{ns}}}xf")):
            fmt_id = int(xf.get("numFmtId", "0"))
            code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, ""))
            if is_date_format(code):
                dates.add(index)
        return dates

    def grid(self, sheet_name: str) -> pd.DataFrame:
        """Return the sheet's cells as text, one column per sheet column, indexed by Excel row."""
        try:
            cells = _fast_cells(self.sheet_xml(sheet_name))
            text = None if cells is None else self._to_text(*cells[2:])
        except (ValueError, TypeError, KeyError, IndexError, pa.ArrowException):
            cells = text = None  # an unusual sheet: the careful path decides
        if cells is None or text is None:
            cells = self._openpyxl_cells(sheet_name)
            text = self._to_text(*cells[2:])
        rows, cols = cells[0], cells[1]
        keep = ~pd.isna(text)
        frame = pd.DataFrame({"row": rows[keep], "col": cols[keep], "value": text[keep]})
        if frame.empty:
            return pd.DataFrame()
        if frame.duplicated(["row", "col"]).any():
            raise ValueError("a cell appears twice")
        return frame.pivot(index="row", columns="col", values="value")

    def uncached_formulas(self, sheet_name: str) -> list[tuple[int, int, str]]:
        """Return (row, column, formula) of each formula cell with no saved result.

        Such a cell reads as empty (a workbook written by a program that does not calculate, and
        never opened in Excel): the user must be told, not given an empty value.
        """
        xml = self.sheet_xml(sheet_name)
        start, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
        data = xml[start:end] if start >= 0 and end > start else b""
        if not _FORMULA.search(data):
            return []
        found = []
        for cell in _CELL.finditer(data):
            inner = cell.group("inner") or b""
            formula = _FORMULA_TEXT.search(inner)
            # A saved result is a non-empty <v> (or inline text); an empty one counts only for a
            # formula typed as text (t="str"), whose result may be "".
            if formula is None or _VALUE.search(inner) or _TEXT_RESULT.search(cell["attrs"]):
                continue
            ref = _REF.search(cell.group("attrs"))
            if ref is None:
                continue
            column = 0
            for char in ref.group(1).decode():
                column = column * 26 + ord(char) - 64
            text = html.unescape((formula.group("text") or b"").decode("utf-8", "replace"))
            found.append((int(ref.group(2)), column, "=" + text if text else "(a shared formula)"))
        return found

    def _to_text(self, kinds: np.ndarray, styles: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = values.astype(object)
        shared = kinds == "s"
        if shared.any():
            table = np.array([*self.shared, None], dtype=object)  # the last entry: a bad index
            digits = pa.array(values[shared], pa.string())
            try:
                index = np.array(pc.fill_null(pc.cast(digits, pa.int64()), -1), dtype=np.int64)
            except pa.ArrowInvalid:  # a damaged index: such cells read as empty
                index = pd.to_numeric(pd.Series(values[shared], dtype="str"), errors="coerce")
                index = np.array(index.fillna(-1), dtype=np.int64)
            index[(index < 0) | (index >= len(self.shared))] = len(self.shared)
            out[shared] = table[index]
        booleans = kinds == "b"
        out[booleans] = np.where(values[booleans] == "1", "TRUE", "FALSE")
        numeric = (kinds == "n") & pd.notna(values)
        dated = numeric & np.isin(styles, list(self.date_styles))
        if dated.any():
            out[dated] = _serial_to_text(values[dated], self.date1904)
        plain = numeric & ~dated
        if plain.any():
            out[plain] = [_number_text(v) for v in values[plain]]
        escaped = np.isin(kinds, ["str", "inlineStr", "e", "d"])
        if escaped.any():
            out[escaped] = [
                None if v is None else _unescape_ooxml(html.unescape(v)) for v in values[escaped]
            ]
        return out

    def _openpyxl_cells(self, sheet_name: str) -> tuple[np.ndarray, ...]:
        # The careful path for a sheet the fast path does not recognise (an unusual writer).
        import openpyxl

        book = openpyxl.load_workbook(
            io.BytesIO(self._careful_package(sheet_name)), read_only=True, data_only=True
        )
        sheet = book[sheet_name]
        sheet.reset_dimensions()
        rows, cols, values = [], [], []
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None or not hasattr(cell, "column"):
                    continue
                rows.append(cell.row)
                cols.append(cell.column)
                values.append(_python_text(cell.value))
        book.close()
        size = len(values)
        return (
            np.array(rows, dtype=np.int64),
            np.array(cols, dtype=np.int64),
            np.full(size, "py", dtype=object),
            np.zeros(size, dtype=np.int64),
            np.array(values, dtype=object),
        )

    def _careful_package(self, sheet_name: str) -> bytes:
        """Return the workbook as openpyxl is given it: every part but the other sheets,
        unpacked within the budget and stored uncompressed (it never unpacks the original)."""
        target = self.sheets[sheet_name]
        others = {path for path in self.sheets.values() if path != target}
        others |= {str(PurePosixPath(p).parent / "_rels" / f"{PurePosixPath(p).name}.rels")
                   for p in others}  # fmt: skip
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:
            for name in dict.fromkeys(self.archive.namelist()):  # a name twice: read once
                if name not in others and not name.endswith("/"):
                    package.writestr(name, self.read_part(name))
        return out.getvalue()


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Return the stream's bytes, unpacked a chunk at a time, stopping at `limit`."""
    buffer = io.BytesIO()
    while buffer.tell() < limit:
        chunk = stream.read(min(_CHUNK, limit - buffer.tell()))
        if not chunk:
            break
        buffer.write(chunk)
    return buffer.getvalue()


def _fast_cells(xml: bytes) -> tuple[np.ndarray, ...] | None:
    """Return (rows, cols, types, styles, raw values) of a sheet's cells; None if unusual.

    A vectorised pass (pyarrow's regex kernels) over the sheet's XML: a 100,000-row sheet in well
    under a second, where a cell-by-cell parser takes several. It handles the layout Excel,
    LibreOffice, openpyxl and xlsxwriter write; anything else goes to the careful path.
    """
    start, end = xml.find(b"<sheetData"), xml.find(b"</sheetData>")
    if start < 0 or b"<![CDATA[" in xml:
        return None
    if end < 0:  # <sheetData/>: no cells at all
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty.astype(object), empty, empty.astype(object)
    data = xml[start:end]
    data.decode("utf-8")  # raises on a sheet that is not UTF-8: the careful path decides
    # One Arrow string over the XML's own bytes (no copy, no re-encoding).
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    body = pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data))
    pieces = pc.list_flatten(pc.split_pattern(body, "<c "))[1:]
    # Every cell must start "<c " with an r="A1" reference, else this is not the usual layout.
    if pc.count_substring_regex(body, r"<(?:\w+:)?c[\s/>]")[0].as_py() != len(pieces):
        return None
    # Writers put the attributes in the order r, s, t: one pass reads all three. A cell whose
    # attributes come otherwise is read attribute by attribute.
    cell = pc.extract_regex(
        pieces,
        r'^r="(?P<col>[A-Z]{1,3})(?P<row>\d+)"(?: s="(?P<s>\d+)")?(?: t="(?P<t>\w+)")?'
        r"(?:\s[^>]*)?(?P<end>/?)>",
    )
    if cell.null_count:
        attrs = pc.struct_field(pc.extract_regex(pieces, r"^(?P<a>[^>]*)"), "a")
        ref = pc.extract_regex(attrs, r'(?:^|\s)r="(?P<col>[A-Z]{1,3})(?P<row>\d+)"')
        if ref.null_count:
            return None
        letters, row_text = pc.struct_field(ref, "col"), pc.struct_field(ref, "row")
        style = pc.struct_field(pc.extract_regex(attrs, r'(?:^|\s)s="(?P<s>\d+)"'), "s")
        kind = pc.struct_field(pc.extract_regex(attrs, r'(?:^|\s)t="(?P<t>\w+)"'), "t")
    else:
        letters, row_text = pc.struct_field(cell, "col"), pc.struct_field(cell, "row")
        style, kind = pc.struct_field(cell, "s"), pc.struct_field(cell, "t")
    # Each piece ends where the next cell starts, so its <v> (if any) is this cell's value.
    value = pc.struct_field(pc.extract_regex(pieces, r"<v>(?P<v>[^<]*)</v>"), "v")
    kinds = pc.if_else(pc.equal(kind, ""), "n", pc.fill_null(kind, "n"))
    kinds = kinds.to_numpy(zero_copy_only=False).astype(object)
    values = value.to_numpy(zero_copy_only=False).astype(object)
    inline = kinds == "inlineStr"
    if inline.any():
        text = pc.extract_regex(pieces.filter(pa.array(inline)), r"(?s)<is>(?P<x>.*?)</is>")
        stripped = pc.replace_substring_regex(
            pc.replace_substring_regex(pc.struct_field(text, "x"), r"(?s)<rPh\b.*?</rPh>", ""),
            r"<[^>]*>",
            "",
        )
        values[inline] = stripped.to_numpy(zero_copy_only=False)
    rows = pc.cast(row_text, pa.int64()).to_numpy()
    styles = pc.cast(pc.if_else(pc.equal(style, ""), "0", pc.fill_null(style, "0")), pa.int64())
    return rows, _column_numbers(letters), kinds, styles.to_numpy(), values


def _column_numbers(letters: pa.Array) -> np.ndarray:
    """Return column numbers (A=1, AB=28) for an array of column letters."""
    codes: npt.NDArray[np.intp]
    codes, uniques = pd.factorize(letters.to_numpy(zero_copy_only=False))
    numbers = np.zeros(len(uniques), dtype=np.int64)
    for i, code in enumerate(uniques):
        for char in code:
            numbers[i] = numbers[i] * 26 + ord(char) - 64
    return numbers[codes]


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape_ooxml(text: str) -> str:
    # Excel writes control characters as _x000D_ inside strings.
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _serial_to_text(values: np.ndarray, date1904: bool) -> np.ndarray:
    serial = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    base = np.datetime64("1904-01-01") if date1904 else np.datetime64("1899-12-30")
    ok = np.isfinite(serial) & (serial >= 0) & (serial < 2_958_466)  # up to 9999-12-31
    out = np.full(len(values), None, dtype=object)
    if not ok.any():
        return out
    micro = np.round(serial[ok] * 86_400_000_000).astype(np.int64)
    stamps = base + micro.astype("timedelta64[us]")
    days = stamps.astype("datetime64[D]")
    has_time = stamps != days
    text = np.where(
        has_time,
        np.datetime_as_string(stamps, unit="s"),
        np.datetime_as_string(days, unit="D"),
    )
    out[ok] = text.astype(object)
    return out


def _number_text(raw: str) -> str:
    # Excel stores 12345 as "12345" and 0.1 as "0.1"; show whole numbers without ".0".
    if raw.lstrip("-").isdigit():
        return raw
    try:
        number = float(raw)
    except ValueError:
        return raw
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _python_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _number_text(repr(value))
    return str(value)
