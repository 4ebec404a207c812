"""Reading a tracker's layout (analytics.ingest.trackers.layout) and its words (vocabulary)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
import xlsxwriter

from analytics.ingest.reading import Source
from analytics.ingest.trackers import vocabulary
from analytics.ingest.trackers.layout import TrackerColumn, find_header_rows, read_trackers
from analytics.ingest.trackers.model import SheetLayout, TrackerMapping


def _merged_workbook() -> bytes:
    """A quadrant tracker as Excel writes it: title rows, a two-row header with group labels
    merged across their standards and field headers merged down, a spacer column, a column of
    values with no header, repeated "Comments" headers, real dates, and NA answers."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    notes = book.add_worksheet("Instructions")
    notes.write("A1", "Fill in one row per child.")
    notes.write("A3", "Use Yes, No, Partially or N/A.")
    sheet = book.add_worksheet("North West")
    sheet.write("A1", "Permanency audit tracker")
    sheet.write("A2", "Quarter 3")
    # Row 4 and 5: the header. A and B merged down; C..E and G..H grouped; F a spacer.
    sheet.merge_range("A4:A5", "Child ref")
    sheet.merge_range("B4:B5", "Date of\naudit")
    sheet.merge_range("C4:E4", "Planning")
    sheet.write_row("C5", ["PPMs are managed", "Comments", "Policy is followed"])
    sheet.merge_range("G4:H4", "Voice")
    sheet.write_row("G5", ["Child is heard", "Comments"])
    sheet.write("J4", "Grade")
    rows = [
        ("C-001", dt.date(2020, 11, 5), "Yes", "late", "NA", "N/A", None, "RI", "x"),
        ("C-002", dt.date(2020, 11, 6), " No ", None, "n/a", "Partially", None, "Good", None),
    ]
    for offset, (ref, day, a, comment, b, c, d, grade, extra) in enumerate(rows):
        row = 5 + offset  # 0-based: Excel row 6 and 7
        sheet.write(row, 0, ref)
        sheet.write_datetime(row, 1, dt.datetime.combine(day, dt.time()), date)
        sheet.write_row(row, 2, [a, comment, b])
        sheet.write_row(row, 6, [c, d])
        sheet.write(row, 9, grade)
        if extra:
            sheet.write(row, 10, extra)  # column K: values, no header
    sheet.write("A9", "   ")  # a blank-looking row is no case
    book.add_worksheet("Empty")
    book.close()
    return buffer.getvalue()


def _cells(body: pd.DataFrame) -> dict[int, list[str | None]]:
    """Return a body's cells column by column, blanks as None."""
    return {c: [None if pd.isna(v) else v for v in body[c]] for c in body.columns}


def test_merged_two_row_header_with_title_rows_spacer_and_unheaded_column() -> None:
    read = read_trackers([Source("nw.xlsx", _merged_workbook())])
    assert not read.problems
    assert read.ignored_sheets == [
        "Instructions (no header row in its first 20 rows)",
        "Empty (empty)",
    ]
    assert len(read.sheets) == 1
    sheet = read.sheets[0]
    assert (sheet.file_name, sheet.sheet_name, sheet.label) == (
        "nw.xlsx",
        "North West",
        "North West",
    )
    assert sheet.header_rows == (4, 5)
    assert sheet.columns == [
        TrackerColumn(1, "A", "Child ref", "Child ref", None),
        TrackerColumn(2, "B", "Date of audit", "Date of audit", None),
        TrackerColumn(3, "C", "Planning / PPMs are managed", "Planning", "PPMs are managed"),
        TrackerColumn(4, "D", "Planning / Comments", "Planning", "Comments"),
        TrackerColumn(5, "E", "Planning / Policy is followed", "Planning", "Policy is followed"),
        TrackerColumn(7, "G", "Voice / Child is heard", "Voice", "Child is heard"),
        TrackerColumn(8, "H", "Voice / Comments", "Voice", "Comments"),
        TrackerColumn(10, "J", "Grade", "Grade", None),
        TrackerColumn(11, "K", "(column K, no header)", None, None),
    ]
    assert sheet.body.index.tolist() == [6, 7]
    assert _cells(sheet.body) == {
        1: ["C-001", "C-002"],
        2: ["2020-11-05", "2020-11-06"],  # a real Excel date, as the template reader gives it
        3: ["Yes", "No"],
        4: ["late", None],
        5: ["NA", "n/a"],  # answers, never missing
        7: ["N/A", "Partially"],
        8: [None, None],
        10: ["RI", "Good"],
        11: ["x", None],
    }
    assert sheet.headers[0] == "Child ref"


def test_csv_with_title_rows_repeated_comments_and_na_kept_as_text() -> None:
    text = (
        "North East tracker,,,,,\n"
        ",,,,,\n"
        "Case no;x,Audit date,1. Visits are timely,Comments,2. Child is heard,Comments\n"
        "A1,05/11/2020,NA,,Y,fine\n"
        ",,,,,\n"
        "A2,2020-11-06,N/A,slow,✓,\n"
    )
    read = read_trackers([Source("NE tracker.csv", text.encode("utf-8-sig"))])
    assert not read.problems and read.ignored_sheets == []
    sheet = read.sheets[0]
    assert (sheet.sheet_name, sheet.label, sheet.header_rows) == (None, "NE tracker.csv", (3,))
    assert sheet.headers == [
        "Case no;x",
        "Audit date",
        "1. Visits are timely",
        "Comments",
        "2. Child is heard",
        "Comments (2)",
    ]
    assert [c.letter for c in sheet.columns] == ["A", "B", "C", "D", "E", "F"]
    assert sheet.body.index.tolist() == [4, 6]
    assert _cells(sheet.body) == {
        1: ["A1", "A2"],
        2: ["05/11/2020", "2020-11-06"],
        3: ["NA", "N/A"],
        4: [None, "slow"],
        5: ["Y", "✓"],
        6: ["fine", None],
    }


def test_several_workbooks_and_csv_make_one_round_with_labels_and_problems() -> None:
    book = _merged_workbook()
    csv_bytes = b"Ref,Date,Q1\nB1,2020-11-05,Yes\n"
    read = read_trackers(
        [
            Source("nw.xlsx", book),
            Source("copy.xlsx", book),
            Source("SE.csv", csv_bytes),
            Source("notes.txt", b"hello"),
            Source("blank.csv", b""),
        ]
    )
    assert [s.label for s in read.sheets] == [
        "nw.xlsx / North West",
        "copy.xlsx / North West",
        "SE.csv",
    ]
    assert read.ignored_sheets == [
        "nw.xlsx / Instructions (no header row in its first 20 rows)",
        "nw.xlsx / Empty (empty)",
        "copy.xlsx / Instructions (no header row in its first 20 rows)",
        "copy.xlsx / Empty (empty)",
    ]
    problems = read.problems.frame({})
    assert problems[["sheet", "rule"]].values.tolist() == [
        ["notes.txt", "only an Excel workbook (.xlsx) or CSV files (.csv) can be imported"],
        ["blank.csv", "the file is empty"],
    ]
    assert len(read.sha256) == 64


def test_a_header_of_one_row_under_a_title_cell_is_not_two_rows() -> None:
    # A title directly above the header (no blank row between) is not a group label.
    grid = pd.DataFrame(
        {1: ["Tracker", "Ref", "A1", "A2"], 2: [None, "Date", "2020-01-02", "2020-01-03"]},
        index=[1, 2, 3, 4],
    ).astype("str")
    assert find_header_rows(grid) == (2,)
    # A title and an "Updated <date>" cell directly above the header are not group labels: the
    # headers must be the same next round, when the date has changed.
    for updated in ("Updated 05/11/2020", "Updated 03/02/2021"):
        grid = pd.DataFrame(
            {1: ["NW tracker", "Ref", "A1"], 2: [updated, "Date", "2020-11-02"],
             3: [None, "Court timescales are adhered to", "Yes"],
             4: [None, "The child is seen", "No"], 5: [None, "Plans are reviewed", "Yes"]},
            index=[1, 2, 3],
        ).astype("str")  # fmt: skip
        assert find_header_rows(grid) == (2,)
    # Answers under the header are data, even where the header leaves a column blank.
    grid = pd.DataFrame(
        {1: ["Ref", "A1"], 2: ["Q1", "Yes"], 3: [None, "Yes"], 4: ["Q2", "Yes"]}, index=[1, 2]
    ).astype("str")
    assert find_header_rows(grid) == (1,)
    # Numbers and dates are never a header row.
    grid = pd.DataFrame({1: ["1", "2"], 2: ["2020-01-02", "2020-01-03"]}, index=[1, 2])
    assert find_header_rows(grid.astype("str")) == ()


def test_a_formula_with_no_saved_result_is_a_problem() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("SE")
    sheet.write_row("A1", ["Ref", "Date", "Score"])
    sheet.write_row("A2", ["A1", "2020-11-05"])
    sheet.write_formula("C2", "=1+1", None, "")  # no saved result
    book.close()
    read = read_trackers([Source("se.xlsx", buffer.getvalue())])
    problems = read.problems.frame({})
    assert problems[["sheet", "row", "column", "value"]].values.tolist() == [
        ["SE", 2, "Score", "=1+1"]
    ]


# --- vocabulary ------------------------------------------------------------------------------


def _mapping(**words: dict[str, str]) -> TrackerMapping:
    layout = SheetLayout(source="Sheet1", headers=["Ref"])
    return TrackerMapping(name="T", theme_id="t", layouts=[layout], **words)


@pytest.mark.parametrize(
    ("kind", "word", "expected"),
    [
        ("answer", " yes ", "Met"),
        ("answer", "✓", "Met"),
        ("answer", "Fully  MET", "Met"),
        ("answer", "Part", "Partially met"),
        ("answer", "P", "Partially met"),
        ("answer", "✗", "Not met"),
        ("answer", "n", "Not met"),
        ("answer", "N/A", "Not applicable"),
        ("answer", "na", "Not applicable"),
        ("answer", "Not applicable", "Not applicable"),
        ("answer", "1", None),
        ("answer", "Green", None),
        ("grade", "RI", "Requires improvement"),
        ("grade", "Req. Imp.", "Requires improvement"),
        ("grade", "good", "Good"),
        ("grade", "Amber", None),
        ("gender", "Girl", "Female"),
        ("gender", "m", "Male"),
        ("gender", "Unknown", "Not recorded"),
        ("quadrant", "North-West", "NW"),
        ("quadrant", "n.e.", "NE"),
        ("quadrant", "Southwest", "SW"),
        ("quadrant", "se", "SE"),
        ("quadrant", "Central", None),
    ],
)
def test_default_words(kind: str, word: str, expected: str | None) -> None:
    assert vocabulary.meaning(kind, word) == expected


def test_a_mappings_own_words_come_first() -> None:
    mapping = _mapping(answers={"Green": "Met", "no": "Partially met"}, quadrants={"Central": "NE"})
    assert vocabulary.meaning("answer", "GREEN", mapping) == "Met"
    assert vocabulary.meaning("answer", "No", mapping) == "Partially met"
    assert vocabulary.meaning("answer", "Yes", mapping) == "Met"
    assert vocabulary.meaning("quadrant", "central", mapping) == "NE"
    with pytest.raises(ValueError, match="unknown kind"):
        vocabulary.meaning("colour", "red")


def test_seen_words_lists_every_word_with_its_meaning() -> None:
    values = pd.Series(["Yes", "yes", "Yes", "Amber", None, "  ", "NA", "Green", "Amber"])
    mapping = _mapping(answers={"green": "Met"})
    got = vocabulary.seen_words("answer", values, mapping)
    assert got.columns.tolist() == list(vocabulary.SEEN_COLUMNS)
    assert got.values.tolist() == [
        ["Amber", 2, None, None],
        ["Yes", 2, "Met", "standard words"],
        ["Green", 1, "Met", "mapping"],
        ["NA", 1, "Not applicable", "standard words"],
        ["yes", 1, "Met", "standard words"],
    ]
    assert vocabulary.seen_words("grade", pd.Series([None], dtype="str")).empty


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("North West", "NW"),
        ("NE tracker", "NE"),
        ("SE_permanency.csv", "SE"),
        ("south-west audits.xlsx", "SW"),
        ("N.W. quadrant", "NW"),
        ("NorthEast", "NE"),
        ("nwTracker", "NW"),
        ("News tracker", None),
        ("Sewing", None),
        ("Sheet1", None),
        ("NW and SE", None),
        (None, None),
    ],
)
def test_quadrant_in_name(name: str | None, expected: str | None) -> None:
    assert vocabulary.quadrant_in_name(name) == expected


def test_word_key() -> None:
    assert vocabulary.word_key("  Partially \t MET ") == "partially met"


def test_a_chart_tab_is_left_out_and_said_and_the_data_sheet_read() -> None:
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "NW"
    for row in [["Child ref", "Date of audit", "Q1"], ["C-1", "2021-03-01", "Yes"]]:
        sheet.append(row)
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=2))
    book.create_chartsheet("Chart of answers").add_chart(chart)
    data = io.BytesIO()
    book.save(data)
    read = read_trackers([Source("tracker.xlsx", data.getvalue())])
    assert [s.label for s in read.sheets] == ["NW"]
    assert read.ignored_sheets == ["Chart of answers (a chart)"]
    assert read.problems.frame({}).empty
