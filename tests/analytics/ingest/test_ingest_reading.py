"""The reader: every cell as the user typed it, CSV as Excel writes it, workbooks as people
fill them in."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from ingest_helpers import (
    ANALYST,
    csvs,
    find,
    good,
    refused,
    xlsx,
)

from analytics import ingest
from analytics.ingest import Source, reading
from analytics.ingest import xlsx as xlsx_reader
from analytics.store import Store

# --- the reader: every cell as the user typed it -------------------------------------------------


def test_fast_workbook_reader_agrees_with_openpyxl(monkeypatch):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(["Audit ID", "audit_date", "n", "flag", "text"])
    sheet.append(["A1", dt.date(2021, 3, 4), 12345, True, "a & b <c>"])
    sheet.append([None] * 5)
    sheet.append([12, dt.datetime(2021, 3, 4, 10, 30), 0.1, False, "  padded  "])
    sheet.append([None, None, 1e20, None, "line\nbreak"])
    sheet["E6"] = "=1+1"  # a formula with no cached value reads as empty, and is reported
    buffer = io.BytesIO()
    book.save(buffer)
    source = Source("x.xlsx", buffer.getvalue())
    read = reading.read_sources([source])
    fast = read.sheets["cases"].frame
    find(read.problems.frame({}), "Cases", 6, "text", "cell E6 holds a formula with no saved result",
         "=1+1", "save it")  # fmt: skip
    monkeypatch.setattr(xlsx_reader, "_fast_cells", lambda xml: None)
    careful = reading.read_sources([source]).sheets["cases"].frame
    pd.testing.assert_frame_equal(fast, careful)
    assert fast.astype(object).where(fast.notna(), None).to_dict("records") == [
        {"_row": 2, "audit_id": "A1", "audit_date": "2021-03-04", "n": "12345", "flag": "TRUE", "text": "a & b <c>"},
        {"_row": 4, "audit_id": "12", "audit_date": "2021-03-04T10:30:00", "n": "0.1", "flag": "FALSE", "text": "padded"},
        {"_row": 5, "audit_id": None, "audit_date": None, "n": "1e+20", "flag": None, "text": "line\nbreak"},
    ]  # fmt: skip


def test_numbers_and_dates_typed_in_excel_import(tiny_dir):
    tables = good()
    tables["cases"]["audit_date"] = [dt.date(2021, 3, d) for d in (1, 2, 3, 4)]
    tables["cases"]["audit_id"] = [101, 102, 103, 104]
    tables["responses"]["audit_id"] = tables["responses"]["audit_id"].map(
        {"N1": 101, "N2": 102, "N3": 103, "N4": 104}
    )
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    rows = Store(tiny_dir).query(
        "SELECT audit_id, audit_date FROM cases WHERE round_id = 'r9' ORDER BY 1"
    )
    assert rows["audit_id"].tolist() == ["101", "102", "103", "104"]
    assert rows["audit_date"].dt.day.tolist() == [1, 2, 3, 4]


def test_problems_csv_cannot_run_formulas():
    problems = pd.DataFrame([{"sheet": "cases", "row": 2, "column": "team", "value": "=HYPERLINK(1)",
                              "rule": "r", "fix": "f"}])  # fmt: skip
    text = ingest.problems_csv(problems).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and text.startswith("sheet,row,column")


# --- reading: CSV as Excel writes it, workbooks as people fill them in ------------------------


def test_ragged_csv_rows_are_reported_by_row(tiny_dir):
    tables = good()
    lines = tables["responses"].to_csv(index=False).splitlines()
    lines[3] += ",she said, no"  # an unquoted comma in a comment
    files = [csvs(tables)[0], Source("responses.csv", ("\n".join(lines) + "\n").encode())]
    problems = refused(tiny_dir, files)
    find(problems, "responses.csv", 4, None, "the row has 6 values but the header has 4 columns",
         "she said, no", "double quotes")  # fmt: skip
    assert len(problems) == 1


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("Excel's sep= line", lambda text: ("sep=;\n" + text.replace(",", ";")).encode()),
        ("a leading blank line", lambda text: ("\n" + text).encode()),
        ("UTF-16 with BOM, tabs", lambda text: text.replace(",", "\t").encode("utf-16")),
        ("CRLF and a UTF-8 BOM", lambda text: text.replace("\n", "\r\n").encode("utf-8-sig")),
    ],
)
def test_csv_variants_excel_writes_are_read(tiny_dir, name, encode):
    tables = good()
    files = [Source("cases.csv", encode(tables["cases"].to_csv(index=False))), csvs(tables)[1]]
    result = ingest.preview(tiny_dir, files)
    assert result.ok, result.problems
    assert result.counts.set_index("what")["rows"]["cases"] == 4


def test_rows_are_numbered_as_excel_shows_them_after_a_sep_line(tiny_dir):
    tables = good()
    tables["cases"].loc[1, "quadrant"] = "Middle"
    text = "sep=,\n" + tables["cases"].to_csv(index=False)
    problems = refused(tiny_dir, [Source("cases.csv", text.encode()), csvs(tables)[1]])
    find(problems, "cases.csv", 3, "quadrant", "must be one of", "Middle")  # Excel hides sep=


def test_a_browsers_copy_suffix_still_names_the_table(tiny_dir):
    files = [Source(f"{s.name[:-4]} (1).csv", s.data) for s in csvs(good())]
    assert ingest.preview(tiny_dir, files).ok


def test_csv_date_problems_say_how_to_fix_a_csv(tiny_dir):
    tables = good()
    tables["cases"].loc[0, "audit_date"] = "05/03/2021"
    record = find(refused(tiny_dir, csvs(tables)), "cases.csv", 2, "audit_date", "not a date")
    assert record["fix"] == "Write the date as YYYY-MM-DD (e.g. 2021-03-15) in the CSV file."


def test_two_sheets_for_one_table_are_refused_naming_both(tiny_dir):
    import openpyxl

    tables = good()
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in (("Cases", tables["cases"]), ("cases ", tables["cases"]),
                        ("responses", tables["responses"])):  # fmt: skip
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    problems = refused(tiny_dir, [Source("round.xlsx", buffer.getvalue())])
    find(
        problems,
        "Cases, cases ",
        None,
        None,
        "two sheets hold the cases table ('Cases' and 'cases ')",
    )
    assert len(problems) == 1, problems  # not "missing", and no cascade from the responses


def test_title_rows_above_the_header_are_named(tiny_dir):
    import openpyxl

    tables = good()
    book = openpyxl.load_workbook(io.BytesIO(xlsx(tables).data))
    book["cases"].insert_rows(1, 2)
    book["cases"]["A1"] = "Audit export March"
    book["responses"].insert_rows(1)
    book["responses"]["B1"] = "Answers"
    book["responses"]["A2"] = None
    for cell in book["responses"][2]:
        cell.value = None  # no column names anywhere on this sheet
    buffer = io.BytesIO()
    book.save(buffer)
    problems = refused(tiny_dir, [Source("round.xlsx", buffer.getvalue())])
    find(problems, "cases", 1, None, "row 1 holds 'Audit export March', not the column names "
         "(they are in row 3)", "Audit export March", "Delete any title rows")  # fmt: skip
    find(problems, "responses", 1, None, "row 1 holds none of the template's column names "
         "(found 'Answers')", "Answers")  # fmt: skip
    assert "missing" not in " ".join(problems["rule"]), problems  # one problem, not one a column


def test_a_formula_with_no_saved_result_is_a_problem(tiny_dir):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx(good()).data))
    book["cases"]["E3"] = '=UPPER("t1")'  # team, written by a program that does not calculate
    buffer = io.BytesIO()
    book.save(buffer)
    problems = refused(tiny_dir, [Source("round.xlsx", buffer.getvalue())])
    find(problems, "cases", 3, "team", "cell E3 holds a formula with no saved result",
         '=UPPER("t1")', "paste the values")  # fmt: skip
