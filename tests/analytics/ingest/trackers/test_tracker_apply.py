"""Translating a tracker with its mapping: the exact rows, every word and date form, every
tracker problem in the tracker's own words, identity, and the import through the template's
validator and writer (issue 12, points 2, 4 and 7)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import tiny_tables
from ingest_helpers import ANALYST, data_rows, latest_snapshot, tree_hashes, xlsx

from analytics import ingest
from analytics.errors import ImportRefused
from analytics.ingest import Source, TrackerImport
from analytics.ingest.problems import Problems
from analytics.ingest.state import store_state
from analytics.ingest.trackers.apply import apply_mapping, audit_id_for, parse_date
from analytics.ingest.trackers.layout import TrackerColumn, TrackerRead, TrackerSheet
from analytics.ingest.trackers.model import SheetLayout, TrackerMapping
from analytics.store import Store, write_new_store

ROUND = "r3"  # the tiny store's planned round of alpha: 2020-10-01 to 2020-10-31
HEADERS = [
    "Child ref", "Date of audit", "Team", "1. Visits are timely (Y/N)", "Q1 comments",
    "The child is heard", "Plans reviewed", "Overall grade", "Gender", "Notes",
]  # fmt: skip
# Rows 4-6 under two title rows and the header row 3.
ROWS = [
    ["C-101", "05/10/2020", "T1", "Yes", "Seen monthly", "No", "Partially", "RI", "F", "chase"],
    ["C-102", "2020-10-12", "T2", "N/A", None, "Y", None, "Good", "Male", None],
    ["C-103", "30.10.2020", "T1", "✓", None, "✗", "NA", "Outstanding", "Girl", None],
]


def layout(**changes) -> SheetLayout:
    """The North West sheet's layout (every header mapped but Notes)."""
    values = {
        "source": "North West",
        "headers": HEADERS,
        "fields": {
            "case_ref": "Child ref",
            "audit_date": "Date of audit",
            "team": "Team",
            "overall_grade": "Overall grade",
            "gender": "Gender",
        },
        "standards": {
            "1. Visits are timely (Y/N)": "Q1",
            "The child is heard": "Q2",
            "Plans reviewed": "Q3",
        },
        "comments": {"Q1 comments": "Q1"},
        "ignored": ["Notes"],
        "quadrant": "NW",
    }
    return SheetLayout(**(values | changes))


def mapping(layouts: list[SheetLayout] | None = None, **changes) -> TrackerMapping:
    return TrackerMapping(
        name="Alpha tracker", theme_id="alpha", layouts=layouts or [layout()], **changes
    )


def tracker_sheet(
    label: str = "North West",
    headers: list[str] = HEADERS,
    rows: list[list[str | None]] = ROWS,
    header_row: int = 3,
    file_name: str = "tracker.xlsx",
) -> TrackerSheet:
    """A sheet as the reader gives it: text cells, index = Excel row, columns = column numbers."""
    columns = [
        TrackerColumn(number=i, letter=chr(64 + i), header=h, upper=h, lower=None)
        for i, h in enumerate(headers, start=1)
    ]
    body = pd.DataFrame(
        rows,
        index=range(header_row + 1, header_row + 1 + len(rows)),
        columns=range(1, len(headers) + 1),
        dtype="str",
    )
    return TrackerSheet(
        file_name=file_name,
        sheet_name=label,
        label=label,
        header_rows=(header_row,),
        columns=columns,
        body=body,
    )


def tracker_read(*sheets: TrackerSheet, ignored: list[str] | None = None) -> TrackerRead:
    return TrackerRead(
        sheets=list(sheets) or [tracker_sheet()],
        problems=Problems(),
        ignored_sheets=ignored or [],
        sha256="0" * 64,
    )


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """The tiny store with a third standard for alpha (3 cases x 3 standards)."""
    tables = tiny_tables()
    extra = pd.DataFrame(
        [("alpha", "Q3", "Plans are reviewed", "Timeliness", "Plans were reviewed.")],
        columns=tables["questions"].columns,
    )
    tables["questions"] = pd.concat([tables["questions"], extra], ignore_index=True)
    data_dir = tmp_path / "store"
    write_new_store(data_dir, tables.items(), {"synthetic": True, "notice": "tiny + Q3"})
    return data_dir


@pytest.fixture
def state(store_dir: Path):
    store = Store(store_dir)
    yield store_state(store)
    store.close()


def hand_id(case_ref: str, round_id: str = ROUND) -> str:
    """The audit_id rule, written out: trk- + sha256(theme \\n round \\n case_ref)[:16]."""
    return "trk-" + hashlib.sha256(f"alpha\n{round_id}\n{case_ref}".encode()).hexdigest()[:16]


def rows_of(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if pd.isna(v) else v for v in row)
        for row in frame.itertuples(index=False, name=None)
    ]


def problems_of(result, state) -> pd.DataFrame:
    from analytics.ingest.validate import check

    return check(result, state, replace=False).problems


# --- the exact rows --------------------------------------------------------------------------


def test_three_cases_by_three_standards_become_the_exact_rows(state):
    result = apply_mapping(tracker_read(), mapping(), ROUND, state)
    a, b, c = hand_id("C-101"), hand_id("C-102"), hand_id("C-103")
    assert a == audit_id_for("alpha", ROUND, "C-101")
    cases = result.sheets["cases"].frame
    assert list(cases.columns) == [
        "_row", "audit_id", "theme_id", "round_id", "quadrant", "team", "child_ref",
        "audit_date", "gender", "age_band", "overall_grade",
    ]  # fmt: skip
    assert rows_of(cases) == [
        (4, a, "alpha", "r3", "NW", "T1", "C-101", "2020-10-05", "Female", None,
         "Requires improvement"),
        (5, b, "alpha", "r3", "NW", "T2", "C-102", "2020-10-12", "Male", None, "Good"),
        (6, c, "alpha", "r3", "NW", "T1", "C-103", "2020-10-30", "Female", None, "Outstanding"),
    ]  # fmt: skip
    assert rows_of(result.sheets["responses"].frame) == [
        (4, a, "Q1", "Met", "Seen monthly"),
        (4, a, "Q2", "Not met", None),
        (4, a, "Q3", "Partially met", None),
        (5, b, "Q1", "Not applicable", None),
        (5, b, "Q2", "Met", None),  # Q3 blank: not answered, no row
        (6, c, "Q1", "Met", None),
        (6, c, "Q2", "Not met", None),
        (6, c, "Q3", "Not applicable", None),
    ]
    assert result.sheets["cases"].row_labels.tolist() == ["North West"] * 3
    assert result.ignored_columns == ["North West: Notes"]
    assert problems_of(result, state).empty


def test_blank_answers_are_not_applicable_when_the_mapping_says_so(state):
    result = apply_mapping(tracker_read(), mapping(blank_answer="Not applicable"), ROUND, state)
    responses = result.sheets["responses"].frame
    assert rows_of(responses[responses["_row"] == 5]) == [
        (5, hand_id("C-102"), "Q1", "Not applicable", None),
        (5, hand_id("C-102"), "Q2", "Met", None),
        (5, hand_id("C-102"), "Q3", "Not applicable", None),
    ]


def test_a_comment_on_a_blank_answer_is_a_problem_never_dropped(state):
    rows = [r.copy() for r in ROWS]
    rows[1][3] = None  # C-102: Q1 blank ...
    rows[1][4] = "Could not find the file"  # ... with a comment
    result = apply_mapping(tracker_read(tracker_sheet(rows=rows)), mapping(), ROUND, state)
    assert rows_of(problems_of(result, state)) == [
        ("North West", 5, "Q1 comments", "Could not find the file",
         "a comment on a standard with no answer (a blank answer is not answered)",
         "Fill in the answer beside the comment, or say in the mapping that a blank answer "
         "means Not applicable."),
    ]  # fmt: skip


# --- vocabularies ----------------------------------------------------------------------------

ANSWER_WORDS = {
    "Met": ["Yes", "Y", "✓", "✔", "Met", "Fully met", "yes ", "YES"],
    "Partially met": ["Partially", "Part", "Partly", "P", "Partially met"],
    "Not met": ["No", "N", "✗", "✘", "Not met"],
    "Not applicable": ["N/A", "NA", "n/a", "Not applicable"],
}


@pytest.mark.parametrize(
    ("word", "means"), [(w, m) for m, words in ANSWER_WORDS.items() for w in words]
)
def test_every_standard_answer_word(state, word, means):
    rows = [r.copy() for r in ROWS]
    rows[0][3] = word
    result = apply_mapping(tracker_read(tracker_sheet(rows=rows)), mapping(), ROUND, state)
    first = result.sheets["responses"].frame.iloc[0]
    assert (first["_row"], first["question_id"], first["response"]) == (4, "Q1", means)


@pytest.mark.parametrize(
    ("word", "means"),
    [("Outstanding", "Outstanding"), ("Good", "Good"), ("RI", "Requires improvement"),
     ("Req. Imp.", "Requires improvement"), ("requires improvement", "Requires improvement"),
     ("Inadequate", "Inadequate")],
)  # fmt: skip
def test_grade_words(state, word, means):
    rows = [r.copy() for r in ROWS]
    rows[0][7] = word
    result = apply_mapping(tracker_read(tracker_sheet(rows=rows)), mapping(), ROUND, state)
    assert result.sheets["cases"].frame["overall_grade"].iloc[0] == means


def test_a_numeric_scale_needs_a_stated_mapping(state):
    rows = [r.copy() for r in ROWS]
    for row in rows:
        row[3] = "4"  # Q1 on a 1-4 scale: no default meaning
    result = apply_mapping(tracker_read(tracker_sheet(rows=rows)), mapping(), ROUND, state)
    problems = problems_of(result, state)
    assert rows_of(problems[["sheet", "row", "column", "value", "rule"]]) == [
        ("North West", 4, "1. Visits are timely (Y/N)", "4",
         "the answer '4' has no meaning in the mapping (3 cells in this column, rows 4 to 6)"),
    ]  # fmt: skip
    assert "'4'" in problems["fix"].iloc[0] and "answers" in problems["fix"].iloc[0]
    stated = apply_mapping(
        tracker_read(tracker_sheet(rows=rows)), mapping(answers={"4": "Met"}), ROUND, state
    )
    assert problems_of(stated, state).empty
    responses = stated.sheets["responses"].frame
    assert responses.loc[responses["question_id"] == "Q1", "response"].tolist() == ["Met"] * 3
    words = stated.words.set_index(["kind", "word"])
    assert words.loc[("answer", "4"), ["count", "means", "from"]].tolist() == [3, "Met", "mapping"]


def test_words_seen_are_listed_with_their_meaning(state):
    result = apply_mapping(tracker_read(), mapping(), ROUND, state)
    words = result.words
    assert list(words.columns) == ["kind", "word", "count", "means", "from"]
    answers = words[words["kind"] == "answer"].set_index("word")["means"].to_dict()
    assert answers == {
        "Yes": "Met", "No": "Not met", "Partially": "Partially met", "N/A": "Not applicable",
        "Y": "Met", "✓": "Met", "✗": "Not met", "NA": "Not applicable",
    }  # fmt: skip
    grades = words[words["kind"] == "grade"].set_index("word")["count"].to_dict()
    assert grades == {"RI": 1, "Good": 1, "Outstanding": 1}


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020-11-05", "2020-11-05"),  # ISO, and a real Excel date as the reader gives it
        ("2020-11-05 00:00:00", "2020-11-05"),
        ("05/11/2020 00:00", "2020-11-05"),  # Excel's CSV export of a date cell
        ("5/11/2020 13:45:00", "2020-11-05"),
        ("05/11/2020", "2020-11-05"),  # UK day first: 5 November
        ("5/11/2020", "2020-11-05"),
        ("05-11-2020", "2020-11-05"),
        ("05.11.2020", "2020-11-05"),
        ("25/11/2020", "2020-11-25"),
        ("29/02/2020", "2020-02-29"),
    ],
)
def test_date_forms(text, iso):
    assert parse_date(text) == (iso, None)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("31/02/2020", "not a real calendar date (no such day in that month)"),
        ("29/02/2021", "not a real calendar date (no such day in that month)"),
        ("2020-13-01", "not a real calendar date (no such day in that month)"),
        ("05/11/20", "the year has two digits: the century is never guessed"),
        ("11/25/2020", "month 25 does not exist: the date looks month-first (US); dates are read "
                       "day first, and never guessed"),
        ("5 Nov 2020", "not a date: write it as YYYY-MM-DD, or day/month/year as 05/11/2020, "
                       "05-11-2020 or 05.11.2020"),
        ("05/11-2020", "not a date: write it as YYYY-MM-DD, or day/month/year as 05/11/2020, "
                       "05-11-2020 or 05.11.2020"),
        ("44140", "not a date: write it as YYYY-MM-DD, or day/month/year as 05/11/2020, "
                  "05-11-2020 or 05.11.2020"),
    ],
)  # fmt: skip
def test_date_refusals_are_never_guessed(text, why):
    assert parse_date(text) == (None, why)


def test_bad_and_out_of_round_dates_are_problems_on_the_trackers_cells(state):
    rows = [r.copy() for r in ROWS]
    rows[0][1] = "31/02/2020"
    rows[1][1] = "12/25/2020"
    rows[2][1] = "05/11/2020"  # real, but November: round r3 is October 2020
    result = apply_mapping(tracker_read(tracker_sheet(rows=rows)), mapping(), ROUND, state)
    problems = problems_of(result, state)
    assert rows_of(problems[["sheet", "row", "column", "value", "rule"]]) == [
        ("North West", 4, "Date of audit", "31/02/2020",
         "not a real calendar date (no such day in that month)"),
        ("North West", 5, "Date of audit", "12/25/2020",
         "month 25 does not exist: the date looks month-first (US); dates are read day first, "
         "and never guessed"),
        ("North West", 6, "Date of audit", "05/11/2020",
         "the audit date is outside round r3 (2020-10-01 to 2020-10-31)"),
    ]  # fmt: skip


# --- tracker problems ------------------------------------------------------------------------


def test_validator_problems_name_the_trackers_sheet_and_header(state):
    headers = [*HEADERS, "Age"]
    rows = [[*r, "5 to 9"] for r in ROWS]
    sheet_layout = layout(headers=headers, fields=layout().fields | {"age_band": "Age"})
    result = apply_mapping(
        tracker_read(tracker_sheet(headers=headers, rows=rows)),
        mapping([sheet_layout]),
        ROUND,
        state,
    )
    problems = problems_of(result, state)
    assert rows_of(problems[["sheet", "row", "column", "value"]]) == [
        ("North West", 4, "Age", "5 to 9"),
        ("North West", 5, "Age", "5 to 9"),
        ("North West", 6, "Age", "5 to 9"),
    ]
    assert set(problems["rule"]) == {"age_band must be a band such as 0-4, 16-17 or 18+"}


def test_missing_fields_headers_quadrant_and_personal_data_all_at_once(state):
    headers = ["Child name", "Ref", "Date of audit", "Visits", "Unmapped thing"]
    rows = [["Ann Example", "C-1", "2020-10-02", "Yes", "x"]]
    sheet = tracker_sheet(label="Sheet1", headers=headers, rows=rows, header_row=1)
    bad = SheetLayout(
        source="Sheet1",
        headers=headers,
        fields={"audit_date": "Date of audit"},  # no case_ref
        standards={"Visits": "Q1", "Voice (Y/N)": "Q2"},  # Voice is not in the sheet
        ignored=["Child name"],  # ignored by the mapping: still refused
    )
    result = apply_mapping(tracker_read(sheet), mapping([bad]), ROUND, state)
    problems = result.problems.frame({})
    found = rows_of(problems[["sheet", "row", "column", "rule"]])
    assert (
        "Sheet1", None, "Child name",
        "the column holds a person's name: personal data cannot be imported, even when the "
        "mapping leaves it out",
    ) in found  # fmt: skip
    assert (
        "Sheet1",
        None,
        "case_ref",
        "no column gives the case reference: a tracker must have one",
    ) in found
    assert (
        "Sheet1", None, "Voice (Y/N)",
        "the mapping names a column headed 'Voice (Y/N)', but the sheet has none",
    ) in found  # fmt: skip
    assert (
        "Sheet1", None, "quadrant",
        "nothing gives the cases' quadrant: no column, no quadrant for the sheet, and none in "
        "the sheet's or file's name",
    ) in found  # fmt: skip
    assert len(found) == 4
    listed = problems.set_index("column")["fix"]
    assert listed["Voice (Y/N)"].startswith(
        "The sheet's headers are: Child name; Ref; Date of audit; Visits; Unmapped thing."
    )
    assert "Delete column A ('Child name')" in listed["Child name"]
    assert result.ignored_columns == ["Sheet1: Ref", "Sheet1: Unmapped thing"]


def test_quadrant_column_words_and_blank_quadrant(state):
    headers = [*HEADERS, "Area"]
    rows = [[*ROWS[0], "North West"], [*ROWS[1], "Mars"], [*ROWS[2], None]]
    sheet_layout = layout(
        headers=headers, fields=layout().fields | {"quadrant": "Area"}, quadrant=None
    )
    result = apply_mapping(
        tracker_read(tracker_sheet(label="Tracker", headers=headers, rows=rows)),
        mapping([sheet_layout.model_copy(update={"source": "Tracker"})]),
        ROUND,
        state,
    )
    problems = problems_of(result, state)
    assert rows_of(problems[["sheet", "row", "column", "value", "rule"]]) == [
        ("Tracker", 5, "Area", "Mars", "the quadrant 'Mars' has no meaning in the mapping"),
        ("Tracker", 6, "Area", None, "the case has no quadrant"),
    ]
    assert result.sheets["cases"].frame["quadrant"].iloc[0] == "NW"


def test_quadrant_from_the_sheet_name(state):
    sheet_layout = layout(source="SE tracker", quadrant=None)
    result = apply_mapping(
        tracker_read(tracker_sheet(label="SE tracker")), mapping([sheet_layout]), ROUND, state
    )
    assert result.sheets["cases"].frame["quadrant"].tolist() == ["SE"] * 3


def test_several_sheets_are_one_round_and_a_case_twice_is_reported_once(state):
    north_west = tracker_sheet()
    south_east = tracker_sheet(label="South East", rows=[ROWS[2], [*ROWS[0][:1], *ROWS[1][1:]]])
    layouts = [layout(), layout(source="South East", quadrant="SE")]
    extra = tracker_sheet(label="Instructions", headers=["Read me"], rows=[["x"]])
    read = tracker_read(
        north_west, south_east, extra, ignored=["Cover (no header row in its first 20 rows)"]
    )
    result = apply_mapping(read, mapping(layouts), ROUND, state)
    cases = result.sheets["cases"].frame
    assert cases["quadrant"].tolist() == ["NW", "NW", "NW", "SE", "SE"]
    assert result.sheets["cases"].row_labels.tolist() == ["North West"] * 3 + ["South East"] * 2
    assert result.ignored_sheets == [
        "Cover (no header row in its first 20 rows)",
        "Instructions (no layout in the mapping)",
    ]
    problems = problems_of(result, state)
    # C-103 and C-101 are on both sheets: each reported once, on its second appearance.
    assert rows_of(problems[["sheet", "row", "column", "value", "rule"]]) == [
        ("South East", 4, "Child ref", "C-103",
         "the case reference appears more than once in this round (first on North West row 6)"),
        ("South East", 5, "Child ref", "C-101",
         "the case reference appears more than once in this round (first on North West row 4)"),
    ]  # fmt: skip


def test_identity_depends_on_files_mapping_and_round(state):
    first = apply_mapping(tracker_read(), mapping(), ROUND, state)
    again = apply_mapping(tracker_read(), mapping(), ROUND, state)
    other_round = apply_mapping(tracker_read(), mapping(), "r4", state)
    other_mapping = apply_mapping(tracker_read(), mapping(answers={"4": "Met"}), ROUND, state)
    assert first.sha256 == again.sha256
    assert len({first.sha256, other_round.sha256, other_mapping.sha256}) == 3
    assert other_round.sheets["cases"].frame["audit_id"].iloc[0] == hand_id("C-101", "r4")
    # A mapping renamed (the Data page's name box) translates the same file to the same import.
    renamed = apply_mapping(tracker_read(), mapping().model_copy(update={"name": "NW"}), ROUND,
                            state)  # fmt: skip
    assert renamed.sha256 == first.sha256


# --- the import ------------------------------------------------------------------------------


def workbook(sheets: dict[str, tuple[list[str], list[list]]], title: bool = True) -> bytes:
    """A tracker workbook: a title row and a note row above each sheet's header row."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (headers, rows) in sheets.items():
        sheet = book.create_sheet(name)
        if title:
            sheet.append([f"{name} audit tracker"])
            sheet.append(["Synthetic test data"])
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def tracker_file() -> Source:
    return Source("alpha tracker.xlsx", workbook({"North West": (HEADERS, ROWS)}))


def stored(data_dir: Path, table: str) -> pd.DataFrame:
    store = Store(data_dir)
    try:
        frame = store.query(f"SELECT * FROM {table} WHERE round_id = 'r3' ORDER BY ALL")
    finally:
        store.close()
    return frame.drop(columns=["import_id"], errors="ignore")


def test_tracker_import_equals_the_same_round_through_the_template(store_dir, tmp_path):
    twin = tmp_path / "twin"
    import shutil

    shutil.copytree(store_dir, twin)
    before = latest_snapshot(store_dir)
    result = ingest.import_files(
        store_dir, [tracker_file()], actor=ANALYST, tracker=TrackerImport(mapping(), ROUND)
    )
    assert result.changed
    a, b, c = hand_id("C-101"), hand_id("C-102"), hand_id("C-103")
    cases = pd.DataFrame(
        {
            "audit_id": [a, b, c],
            "theme_id": "alpha",
            "round_id": ROUND,
            "quadrant": "NW",
            "team": ["T1", "T2", "T1"],
            "child_ref": ["C-101", "C-102", "C-103"],
            "audit_date": ["2020-10-05", "2020-10-12", "2020-10-30"],
            "gender": ["Female", "Male", "Female"],
            "age_band": None,
            "overall_grade": ["Requires improvement", "Good", "Outstanding"],
        }
    )
    responses = pd.DataFrame(
        [
            (a, "Q1", "Met", "Seen monthly"), (a, "Q2", "Not met", None),
            (a, "Q3", "Partially met", None), (b, "Q1", "Not applicable", None),
            (b, "Q2", "Met", None), (c, "Q1", "Met", None), (c, "Q2", "Not met", None),
            (c, "Q3", "Not applicable", None),
        ],
        columns=["audit_id", "question_id", "response", "comment"],
    )  # fmt: skip
    ingest.import_files(twin, [xlsx({"cases": cases, "responses": responses})], actor=ANALYST)
    for table in ("cases", "responses"):
        pd.testing.assert_frame_equal(stored(store_dir, table), stored(twin, table))
    assert len(stored(store_dir, "responses")) == 8
    # The mapping is saved with its import, in the import's one snapshot.
    assert latest_snapshot(store_dir) == before + 1
    saved = Store(store_dir).query("SELECT slug, name, mapping FROM tracker_mappings")
    assert saved.values.tolist() == [["alpha-tracker", mapping().name, mapping().to_json()]]


def test_the_same_tracker_again_changes_nothing(store_dir):
    tracker, source = TrackerImport(mapping(), ROUND), tracker_file()  # the very same bytes
    first = ingest.import_files(store_dir, [source], actor=ANALYST, tracker=tracker)
    before, snapshot = data_rows(store_dir), latest_snapshot(store_dir)
    again = ingest.import_files(store_dir, [source], actor=ANALYST, tracker=tracker)
    assert (again.changed, again.import_id) == (False, first.import_id)
    assert "already imported" in again.message
    assert latest_snapshot(store_dir) == snapshot and data_rows(store_dir) == before


def test_a_tracker_with_no_mapping_is_refused_with_how_to_map_it(store_dir):
    before, snapshot = tree_hashes(store_dir), latest_snapshot(store_dir)
    with pytest.raises(ImportRefused) as caught:
        ingest.import_files(store_dir, [tracker_file()], actor=ANALYST)
    assert latest_snapshot(store_dir) == snapshot and tree_hashes(store_dir) == before
    problems = caught.value.problems
    assert len(problems) == 1
    assert problems["rule"].iloc[0].startswith("this is not the template")
    assert "python -m analytics map" in problems["fix"].iloc[0]
    assert "Data page" in problems["fix"].iloc[0]


def test_next_round_the_saved_mapping_is_recognised_and_used(store_dir):
    ingest.import_files(
        store_dir, [tracker_file()], actor=ANALYST, tracker=TrackerImport(mapping(), ROUND)
    )
    # Next round (the planned b1 of beta is not alpha's: a new round of alpha from its dates).
    rows = [[f"D-{i}", f"0{i}/12/2020", "T1", "Yes", None, "No", "P", "Good", "F", None]
            for i in range(1, 4)]  # fmt: skip
    source = Source("alpha tracker dec.xlsx", workbook({"North West": (HEADERS, rows)}))
    preview = ingest.preview(store_dir, [source])
    assert preview.ok, preview.problems
    assert "saved mapping 'Alpha tracker'" in preview.mapping_note
    given = ingest.preview(store_dir, [source], tracker=TrackerImport(None, "2021-dec"))
    assert given.ok and given.rounds["round_id"].tolist() == ["2021-dec"]
    assert preview.rounds[["round_id", "start_date", "end_date", "change"]].astype(
        str
    ).values.tolist() == [["2020-12", "2020-12-01", "2020-12-03", "new round"]]


def test_preview_shows_the_rows_as_stored_words_and_what_is_ignored(store_dir):
    source = Source(
        "alpha tracker.xlsx",
        workbook(
            {
                "North West": (HEADERS, ROWS),
                "Auditors": (["Auditor code", "Cases audited"], [["AU-1", "2"], ["AU-2", "1"]]),
            }
        ),
    )
    preview = ingest.preview(store_dir, [source], tracker=TrackerImport(mapping(), ROUND))
    assert preview.ok, preview.problems
    assert preview.ignored_columns == ["North West: Notes"]
    assert preview.ignored_sheets == ["Auditors (no layout in the mapping)"]
    assert rows_of(preview.sample["cases"][["sheet", "row", "child_ref", "audit_date"]]) == [
        ("North West", 4, "C-101", "2020-10-05"),
        ("North West", 5, "C-102", "2020-10-12"),
        ("North West", 6, "C-103", "2020-10-30"),
    ]
    assert len(preview.sample["responses"]) == 8
    assert dict(zip(preview.counts["what"], preview.counts["rows"], strict=True))["responses"] == 8
    assert set(preview.words["kind"]) == {"answer", "grade", "gender"}
    assert np.array_equal(preview.quadrants[["NW", "total"]].to_numpy(), [[3, 3]])


def csv_source(name: str, headers: list[str], rows: list[list]) -> Source:
    frame = pd.DataFrame(rows, columns=headers)
    return Source(name, frame.to_csv(index=False).encode("utf-8"))


def test_csv_files_of_two_quadrants_are_one_round_quadrant_from_the_file_name(store_dir):
    headers = ["Ref", "Audited on", "Visits are timely", "The child is heard"]
    north_east = csv_source("NE tracker.csv", headers, [["E-1", "01/10/2020", "Yes", "No"]])
    south_west = csv_source(
        "SW_alpha.csv",
        headers,
        [["W-1", "2020-10-02", "Part", None], ["W-2", "03.10.2020", "N", "Y"]],
    )
    layouts = [
        SheetLayout(
            source=name,
            headers=headers,
            fields={"case_ref": "Ref", "audit_date": "Audited on"},
            standards={"Visits are timely": "Q1", "The child is heard": "Q2"},
        )
        for name in ("NE tracker.csv", "SW_alpha.csv")
    ]
    tracker = TrackerImport(mapping(layouts), ROUND)
    result = ingest.import_files(
        store_dir, [north_east, south_west], actor=ANALYST, tracker=tracker
    )
    cases = stored(store_dir, "cases")
    assert rows_of(
        cases[["audit_id", "quadrant", "child_ref", "audit_date"]].astype(str)
    ) == sorted(
        [
            (hand_id("E-1"), "NE", "E-1", "2020-10-01"),
            (hand_id("W-1"), "SW", "W-1", "2020-10-02"),
            (hand_id("W-2"), "SW", "W-2", "2020-10-03"),
        ]
    )
    responses = stored(store_dir, "responses")
    assert rows_of(responses[["audit_id", "question_id", "response"]]) == sorted(
        [
            (hand_id("E-1"), "Q1", "Met"),
            (hand_id("E-1"), "Q2", "Not met"),
            (hand_id("W-1"), "Q1", "Partially met"),
            (hand_id("W-2"), "Q1", "Not met"),
            (hand_id("W-2"), "Q2", "Met"),
        ]
    )
    assert "3 cases, 5 responses" in result.message


def test_a_layout_with_a_column_added_is_offered_not_used(store_dir):
    ingest.import_files(
        store_dir, [tracker_file()], actor=ANALYST, tracker=TrackerImport(mapping(), ROUND)
    )
    headers = [*HEADERS, "Reviewer notes"]
    rows = [[*r, None] for r in ROWS]
    source = Source("alpha tracker dec.xlsx", workbook({"North West": (headers, rows)}))
    problems = ingest.preview(store_dir, [source]).problems
    assert len(problems) == 1
    assert "close to the saved mapping 'Alpha tracker'" in problems["rule"].iloc[0]
    assert "added Reviewer notes" in problems["rule"].iloc[0]


def test_a_comments_column_of_a_standard_not_mapped_is_a_problem(state):
    sheet_layout = layout(
        comments={"Q1 comments": "Q3"}, standards={"1. Visits are timely (Y/N)": "Q1"}
    )
    result = apply_mapping(tracker_read(), mapping([sheet_layout]), ROUND, state)
    assert rows_of(problems_of(result, state)[["sheet", "row", "column", "value", "rule"]]) == [
        ("North West", None, "Q1 comments", "Q3",
         "the comments column is mapped to Q3, which no column here answers"),
    ]  # fmt: skip


def test_a_wrong_round_id_or_theme_is_reported_once_not_per_case(state):
    bad_round = apply_mapping(tracker_read(), mapping(), "round 9!", state)
    assert rows_of(problems_of(bad_round, state)[["sheet", "row", "column", "value"]]) == [
        ("(round)", None, "round (given for the import)", "round 9!")
    ]
    no_theme = mapping().model_copy(update={"theme_id": "gamma"})
    bad_theme = apply_mapping(tracker_read(), no_theme, ROUND, state)
    assert rows_of(problems_of(bad_theme, state)[["sheet", "row", "column", "value", "rule"]]) == [
        ("(mapping)", None, "theme (from the mapping)", "gamma",
         "the mapping's theme is not in the store"),
    ]  # fmt: skip


def test_rows_without_a_reference_or_date_and_sheets_without_cases(state):
    notes_only = [[None] * 9 + ["a note under the table"]]
    empty = apply_mapping(tracker_read(tracker_sheet(rows=notes_only)), mapping(), ROUND, state)
    assert rows_of(problems_of(empty, state)[["sheet", "row", "column", "rule"]]) == [
        ("North West", None, None, "there are no cases under the header row"),
    ]
    rows = [
        ["C-1", None, "T1", "Yes", None, None, None, None, None, None],
        [None, "01/10/2020", "T1", "Yes", None, None, None, None, None, None],
    ]
    partial = apply_mapping(tracker_read(tracker_sheet(rows=rows)), mapping(), ROUND, state)
    assert rows_of(problems_of(partial, state)[["sheet", "row", "column", "rule"]]) == [
        ("North West", 4, "Date of audit", "the case has no audit date"),
        ("North West", 5, "Child ref", "the row has answers but no case reference"),
    ]
