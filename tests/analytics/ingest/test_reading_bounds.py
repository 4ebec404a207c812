"""Reading files safely: zip bombs, unclosed CSV quotes, cut-off sheets, links, mapping files."""

from __future__ import annotations

import functools
import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from ingest_helpers import ANALYST, csvs, round_tables, tree_hashes, xlsx_bytes
from paths import ROOT

from analytics import ingest
from analytics.errors import ImportRefused
from analytics.ingest import Source, reading
from analytics.ingest import xlsx as xlsx_reader
from analytics.ingest.trackers.layout import read_trackers
from analytics.ingest.trackers.model import MappingRefused, parse_mapping
from analytics.ingest.trackers.saved import load_mapping, read_saved
from analytics.lake.catalog import Lake

QUESTIONS = ["Q1", "Q2"]
CASES_SHEET = "xl/worksheets/sheet1.xml"  # pandas writes the cases table first


def good() -> dict[str, pd.DataFrame]:
    """A valid new round r9 of the tiny store's theme alpha: 4 cases x 2 questions."""
    return round_tables("alpha", "r9", QUESTIONS)


def refused(data_dir: Path, files: list) -> pd.DataFrame:
    """Import, expect a refusal that leaves the store unchanged; return the problems."""
    before = tree_hashes(data_dir)
    with pytest.raises(ImportRefused) as caught:
        ingest.import_files(data_dir, files, actor=ANALYST)
    assert tree_hashes(data_dir) == before, "a refused import changed the store"
    return caught.value.problems


def rows(problems: pd.DataFrame) -> list[tuple]:
    """Return each problem as (sheet, row, column, rule) for whole-row comparisons."""
    return [
        (p["sheet"], None if pd.isna(p["row"]) else int(p["row"]), p["column"], p["rule"])
        for p in problems.to_dict("records")
    ]


# --- 1. zip bombs: refused while unpacking, within time and memory -------------------------


def workbook_with_sheet(sheet_xml_chunks, repeat: int) -> bytes:
    """Return a real workbook whose cases sheet is replaced by `repeat` copies of the chunks,
    streamed in (the test never holds the unpacked sheet in memory)."""
    original = zipfile.ZipFile(io.BytesIO(xlsx_bytes(good())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for info in original.infolist():
            if info.filename != CASES_SHEET:
                book.writestr(info, original.read(info))
                continue
            with book.open(CASES_SHEET, "w") as sheet:
                head, body, tail = sheet_xml_chunks
                sheet.write(head)
                for _ in range(repeat):
                    sheet.write(body)
                sheet.write(tail)
    return out.getvalue()


@functools.cache  # built once: the three tests that read it share it
def bomb(unpacked_mb: int) -> bytes:
    """Return a workbook whose cases sheet unpacks to about `unpacked_mb` MB of rows."""
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>N1</t></is></c></row>'
    body = row * (1_000_000 // len(row))
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    return workbook_with_sheet((head, body, b"</sheetData></worksheet>"), unpacked_mb)


def declare_size(data: bytes, member: str, size: int) -> bytes:
    """Return the zip with `member`'s size patched to `size` in its local and central headers
    (the deflate stream still unpacks to the real size: the headers lie)."""
    patched = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    struct.pack_into("<I", patched, info.header_offset + 22, size)  # local header
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == member.encode():
            struct.pack_into("<I", patched, position + 24, size)  # central directory
        position += 4
    return bytes(patched)


MEASURE = """
import json, resource, sys, time
from pathlib import Path
from analytics.ingest.reading import Source, read_sources
from analytics.ingest.trackers.layout import read_trackers
path = Path(sys.argv[1])
source = Source(path.name, path.read_bytes())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
read = (read_sources if sys.argv[2] == "template" else read_trackers)([source])
seconds = time.perf_counter() - start
growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
problems = read.problems.frame({}).astype(object).to_dict("records")
print(json.dumps({"seconds": seconds, "growth_mb": growth_mb, "problems": problems}, default=str))
"""


def measure(tmp_path: Path, data: bytes, reader: str, name: str = "round.xlsx") -> dict:
    """Read the workbook in a process of its own; return its seconds, peak memory growth (MB)
    and problems."""
    path = tmp_path / name
    path.write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), reader],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("reader", ["template", "tracker"])
def test_a_zip_bomb_is_refused_in_seconds_and_little_memory(tmp_path, reader):
    data = bomb(300)  # 300 MB of sheet XML in about 0.3 MB
    assert len(data) < 3_000_000
    found = measure(tmp_path, data, reader)
    assert found["seconds"] < 5 and found["growth_mb"] < 200, found
    [problem] = found["problems"]
    assert problem["sheet"] == "round.xlsx"
    budget = f"{200 * len(data) / 1e6:,.1f} MB"  # the limit, not the file's size, is named
    assert f"unpacks to more than {budget}, 200 times its own size" in problem["rule"], problem
    assert "save it again" in problem["fix"], problem


def test_a_bomb_whose_headers_understate_its_size_is_refused_within_bounds(tmp_path):
    # The zip's headers say the sheet is 1,000 bytes; its deflate stream unpacks to 300 MB.
    data = declare_size(bomb(300), CASES_SHEET, 1_000)
    found = measure(tmp_path, data, "template")
    assert found["seconds"] < 5 and found["growth_mb"] < 200, found
    [problem] = found["problems"]
    assert (problem["sheet"], problem["column"]) == ("round.xlsx", None), problem
    assert problem["rule"] == (
        f"the workbook is damaged: its part {CASES_SHEET} (sheet 'cases') does not unpack to "
        "the size and checksum recorded for it"
    )


def test_every_part_is_unpacked_within_one_budget_for_the_whole_workbook():
    book = xlsx_reader.Workbook(xlsx_bytes(good()), "round.xlsx")
    assert book.budget == 200 * len(book.data)
    sheet = book.sheets["cases"]
    size = len(book.read_part(sheet))
    spent = book.unpacked
    book.read_part(sheet)  # reading a part again costs nothing more
    assert book.unpacked == spent
    book.budget = spent + size // 2  # what is left cannot hold the responses sheet
    with pytest.raises(xlsx_reader.TooBigUnpacked):
        book.read_part(book.sheets["responses"])


def test_the_careful_path_is_given_only_parts_unpacked_within_the_budget():
    # A sheet the fast path does not read (CDATA) goes to openpyxl, fed the parts read here.
    data = workbook_with_sheet(
        (
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[audit_id]]></t>'
            b'</is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>N1</t></is></c></row>',
            b"",
            b"</sheetData></worksheet>",
        ),
        0,
    )
    book = xlsx_reader.Workbook(data, "round.xlsx")
    assert book.grid("cases").values.tolist() == [["audit_id"], ["N1"]]
    assert set(book.parts_read) == set(zipfile.ZipFile(io.BytesIO(data)).namelist()) - {
        "xl/worksheets/sheet2.xml"  # the other sheet is not needed to read this one
    }


# --- 2. an unclosed quote in a CSV is refused, naming the row and the quote ---------------


def responses_csv(edit) -> Source:
    """Return responses.csv of the good round with its text lines edited."""
    lines = good()["responses"].to_csv(index=False).splitlines()
    return Source("responses.csv", ("\n".join(edit(lines)) + "\n").encode())


def unclosed_at(index: int):
    def edit(lines):
        lines[index] = lines[index].removesuffix(",ok") + ',"she said no'
        return lines

    return edit


QUOTE_NEVER_CLOSED = (
    'a quote (") opens in column comment and is never closed: every line after it was read '
    "into that one cell"
)


@pytest.mark.parametrize(
    ("where", "edit", "row", "rule"),
    [
        ("on the last row", unclosed_at(8), 9,
         'a quote (") opens in column comment and is never closed (the file ends inside it)'),
        ("mid-file, nothing after closes it", unclosed_at(3), 4, QUOTE_NEVER_CLOSED),
        ("mid-file, closed by a later value's quote",
         lambda lines: [*unclosed_at(3)(lines)[:7], lines[7].replace(",ok", ',"fine, ok"'),
                        *lines[8:]],
         4, 'a quote (") opens in column comment and is not closed where the value ends: the '
            "next 4 lines were read into that one cell"),
        ("mid-file of a file past the csv module's field limit",
         lambda lines: unclosed_at(3)(lines) + [lines[8]] * 10_000, 4, QUOTE_NEVER_CLOSED),
    ],
)  # fmt: skip
def test_an_unclosed_quote_is_refused_naming_the_row_and_the_quote(
    tiny_dir, where, edit, row, rule
):
    problems = refused(tiny_dir, [csvs(good())[0], responses_csv(edit)])
    assert rows(problems) == [("responses.csv", row, "comment", rule)], where
    assert problems["value"][0] == '"she said no'
    assert "two quotes" in problems["fix"][0]


def test_quoted_values_over_several_lines_and_quotes_inside_values_are_still_read(tiny_dir):
    tables = good()
    tables["responses"].loc[0, "comment"] = 'Line one\nline "two", closed'
    tables["responses"].loc[1, "comment"] = 'a 5" gap'
    files = [csvs(tables)[0], Source("responses.csv", tables["responses"].to_csv(index=False)
                                     .encode())]  # fmt: skip
    result = ingest.preview(tiny_dir, files)
    assert result.ok, result.problems


def test_the_tracker_reader_refuses_an_unclosed_quote_the_same_way():
    text = 'Child ref,Date of audit,Comments\nC-001,2021-03-01,"fine\nC-002,2021-03-02,ok\n'
    read = read_trackers([Source("NW tracker.csv", text.encode())])
    assert not read.sheets
    assert rows(read.problems.frame({})) == [
        ("NW tracker.csv", 2, "Comments", QUOTE_NEVER_CLOSED.replace("comment", "Comments"))
    ]


@pytest.mark.parametrize("reader", ["template", "tracker"])
def test_a_row_wider_than_a_spreadsheet_is_refused_before_a_frame_is_built(reader):
    header = ",".join(f"c{i}" for i in range(1_000_000))  # about 7 MB, one line
    source = Source("responses.csv", (header + "\n" + "x,y\n").encode())
    started = time.process_time()
    read = reading.read_sources([source]) if reader == "template" else read_trackers([source])
    assert time.process_time() - started < 3  # took 20 s and 800 MB before the cap
    assert rows(read.problems.frame({})) == [
        ("responses.csv", 1, None, "the row has 1,000,000 columns: more than a spreadsheet "
         "holds (16,384)")
    ]  # fmt: skip


@functools.cache
def workbook_of_too_many_cells() -> bytes:
    """The good round with 2,000,001 rows of one numbered cell as its cases sheet: 60 MB of XML,
    far less than 200 times its packed size (no zip bomb)."""
    original = zipfile.ZipFile(io.BytesIO(xlsx_bytes(good())))
    cells = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i)
                     for i in range(1, 2_000_002))  # fmt: skip
    sheet = b"<worksheet><sheetData>" + cells + b"</sheetData></worksheet>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for info in original.infolist():
            book.writestr(info, sheet if info.filename == CASES_SHEET else original.read(info))
    return out.getvalue()


@pytest.mark.parametrize("reader", ["template", "tracker"])
def test_a_sheet_of_more_cells_than_a_round_holds_is_refused_before_its_cells_are_parsed(reader):
    source = Source("round.xlsx", workbook_of_too_many_cells())
    started = time.process_time()
    read = reading.read_sources([source]) if reader == "template" else read_trackers([source])
    assert time.process_time() - started < 3  # 2.7 M rows took 47 s and 3 GB before the cap
    assert ("cases", None, None, "it has more than 2,000,000 cells: far more than an audit "
            "round holds, so it is refused unread") in rows(read.problems.frame({}))  # fmt: skip


def test_a_csv_of_more_cells_than_a_round_holds_is_refused_as_it_is_read(monkeypatch):
    monkeypatch.setattr(reading, "MAX_CELLS", 1_000)
    text = "audit_id,question_id,response\n" + "a1,q1,Met\n" * 400  # 1,203 cells
    read = reading.read_sources([Source("responses.csv", text.encode())])
    assert rows(read.problems.frame({})) == [
        ("responses.csv", None, None, "it has more than 1,000 cells: far more than an audit "
         "round holds, so it is refused unread")
    ]  # fmt: skip


# --- 3. a cut-off sheet, and links to files outside the folder -----------------------------


@pytest.mark.parametrize("reader", ["template", "tracker"])
def test_a_cut_off_sheet_is_reported_as_damaged_not_empty(reader):
    original = zipfile.ZipFile(io.BytesIO(xlsx_bytes(good())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for info in original.infolist():
            part = original.read(info)
            book.writestr(info, part[: len(part) // 2] if info.filename == CASES_SHEET else part)
    source = Source("round.xlsx", out.getvalue())
    read = reading.read_sources([source]) if reader == "template" else read_trackers([source])
    assert rows(read.problems.frame({})) == [
        ("cases", None, None, "the sheet 'cases' of round.xlsx is damaged: its data is cut off "
         "before its end (the file was cut short, or not saved completely)")
    ]  # fmt: skip


def test_a_link_to_a_file_outside_its_folder_is_refused_and_never_echoed(tiny_dir, tmp_path):
    outside = tmp_path / "elsewhere" / "private.txt"
    outside.parent.mkdir()
    outside.write_text("root:x:0:0:a private first line\n")
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "cases.csv").symlink_to(outside)
    responses = folder / "responses.csv"
    responses.write_bytes(csvs(good())[1].data)
    problems = refused(tiny_dir, [folder / "cases.csv", responses])
    assert rows(problems) == [
        ("cases.csv", None, None,
         f"{folder / 'cases.csv'} is a link to a file outside its folder: it is not read")
    ]  # fmt: skip
    assert "private" not in problems.to_string()


def test_a_link_within_its_folder_is_read(tiny_dir, tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    cases, responses = csvs(good())
    (folder / "cases-2021.csv").write_bytes(cases.data)
    (folder / "cases.csv").symlink_to("cases-2021.csv")
    (folder / "responses.csv").write_bytes(responses.data)
    result = ingest.preview(tiny_dir, [folder / "cases.csv", folder / "responses.csv"])
    assert result.ok, result.problems


def pipe(path: Path) -> Path:
    """Make a named pipe: reading it waits for a writer. One is held open for 3 seconds, so a
    reader that wrongly opens it gets an empty file and fails rather than waiting forever."""
    os.mkfifo(path)
    writer = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    closer = threading.Timer(3, os.close, [writer])
    closer.daemon = True  # never holds the test run open
    closer.start()
    return path


def test_a_file_that_is_not_a_regular_file_is_refused_without_reading_it(tmp_path):
    fifo = pipe(tmp_path / "cases.csv")
    [source] = reading.sources_from_paths([fifo])
    assert source.unreadable == (
        f"{fifo} is not a regular file",
        "Name the workbook (.xlsx) or the CSV files themselves.",
    )


# --- 4. mapping files: size first, a safe loader, every field checked ----------------------


def mapping_document(**changes) -> dict:
    """Return a valid mapping document with top-level fields changed."""
    document = {
        "format": "audit-insight/tracker-mapping/1",
        "name": "NW tracker",
        "theme_id": "permanency",
        "layouts": [
            {
                "source": "North West",
                "headers": ["Child ref", "Date of audit", "PERM-01 (Y/N)"],
                "fields": {"case_ref": "Child ref", "audit_date": "Date of audit"},
                "standards": {"PERM-01 (Y/N)": "PERM-01"},
            }
        ],
        "answers": {"Y": "Met", "N": "Not met"},
    }
    document.update(changes)
    return document


def mapping_text(**changes) -> bytes:
    return json.dumps(mapping_document(**changes)).encode()


def test_a_valid_mapping_with_a_byte_order_mark_is_read():
    assert parse_mapping(b"\xef\xbb\xbf" + mapping_text()).name == "NW tracker"


@pytest.mark.parametrize(
    ("kind", "data", "reason"),
    [
        ("100,000 nested brackets", b"[" * 100_000 + b"]" * 100_000,
         "the JSON is nested deeper than 20 levels"),
        ("a duplicated key", mapping_text()[:-1] + b', "name": "Other"}',
         'the key "name" appears twice in one object'),
        ("NaN", mapping_text()[:-1] + b', "extra": NaN}', "NaN is not a JSON value"),
        ("Infinity", mapping_text()[:-1] + b', "extra": -Infinity}',
         "-Infinity is not a JSON value"),
        ("a number of 5,000 digits", b'{"name": ' + b"9" * 5000 + b"}",
         "a number of 5,000 digits"),
        ("a number too big for a float", b'{"name": 1e999}', "the number 1e999 is too large"),
        ("Latin-1 text", mapping_text(name="Caf\u00e9").replace(b"Caf\\u00e9", b"Caf\xe9"),
         "the file is not UTF-8 text"),
        ("a YAML tag", b"!!python/object/apply:os.system ['true']", "not a JSON file"),
    ],
)  # fmt: skip
def test_a_hostile_mapping_file_is_refused_with_a_reason(kind, data, reason):
    with pytest.raises(MappingRefused) as caught:
        parse_mapping(data, "up.json")
    assert any(reason in r for r in caught.value.reasons), (kind, caught.value.reasons)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"theme_id": "perm anency"}, "theme_id: an id is letters, digits, '_', '-' or '.'"),
        ({"name": "NW\x1b[31m tracker"}, "name: a control character (U+001B) is not allowed"),
        ({"layouts": [{**mapping_document()["layouts"][0], "source": "North\u202eWest"}]},
         "layouts.0.source: a control character (U+202E) is not allowed"),
        ({"layouts": [{**mapping_document()["layouts"][0],
                       "standards": {"PERM-01 (Y/N)": "PERM 01; drop"}}]},
         "layouts.0.standards.PERM-01 (Y/N): an id is letters, digits"),
        ({"layouts": [{**mapping_document()["layouts"][0],
                       "headers": ["Child ref", "x" * 301]}]},
         "layouts.0.headers.1: String should have at most 300 characters"),
        ({"blank_answer": "skip"}, "blank_answer: Input should be 'not answered'"),
        ({"layouts": [mapping_document()["layouts"][0]] * 51},
         "layouts: List should have at most 50 items"),
    ],
)  # fmt: skip
def test_every_field_of_a_mapping_is_checked_and_named(changes, reason):
    with pytest.raises(MappingRefused) as caught:
        parse_mapping(mapping_text(**changes), "up.json")
    assert any(r.startswith(reason) for r in caught.value.reasons), caught.value.reasons


def test_a_hand_edited_saved_mapping_is_reported_not_a_traceback(tiny_dir, tmp_path):
    rows = {
        "deep": b"[" * 100_000,
        "escape": mapping_text(name="NW\x1b[2J"),
        "good": mapping_text(),
    }
    frame = pd.DataFrame(
        {"slug": list(rows), "name": list(rows), "mapping": [v.decode() for v in rows.values()]}
    )
    lake = Lake(tiny_dir)  # rows written by hand, not through save_mapping
    lake.write(lambda writer: writer.append("tracker_mappings", frame), author="t", message="t")
    lake.close()
    saved = read_saved(tiny_dir)
    assert [m.name for m in saved.mappings] == ["NW tracker"]
    assert saved.damaged == [
        "deep: the JSON is nested deeper than 20 levels",
        "escape: name: a control character (U+001B) is not allowed",
    ]
    deep = tmp_path / "deep.json"
    deep.write_bytes(rows["deep"])
    with pytest.raises(MappingRefused, match="nested deeper"):
        load_mapping(tiny_dir, str(deep))
    with pytest.raises(MappingRefused, match="not a regular file"):
        load_mapping(tiny_dir, str(pipe(tmp_path / "pipe.json")))
