"""The importer: every refusal rule, all-or-nothing, history, replace, undo, concurrency."""

from __future__ import annotations

import datetime as dt
import getpass
import io
import os
import re
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import (
    ANALYST,
    copy_store,
    csvs,
    data_rows,
    latest_snapshot,
    round_tables,
    table_rows,
    tree_hashes,
    xlsx,
)

from analytics import audit_trail, ingest, queries
from analytics.domain import Filters
from analytics.errors import AuditDataError, ImportRefused
from analytics.export.tables import data_source
from analytics.ingest import Source, reading
from analytics.ingest import xlsx as xlsx_reader
from analytics.ingest.sample_round import benchmark_import
from analytics.lake.catalog import Lake
from analytics.store import Store, write_new_store

ALPHA_QUESTIONS = ["Q1", "Q2"]


def good() -> dict[str, pd.DataFrame]:
    """A valid new round r9 of the tiny store's theme alpha: 4 cases x 2 questions."""
    return round_tables("alpha", "r9", ALPHA_QUESTIONS)


def refused(data_dir: Path, files, **options) -> pd.DataFrame:
    """Import, expect a refusal, check the store did not change at all; return the problems."""
    before, snapshot = tree_hashes(data_dir), latest_snapshot(data_dir)
    with pytest.raises(ImportRefused) as caught:
        ingest.import_files(data_dir, files, **options, actor=ANALYST)
    assert latest_snapshot(data_dir) == snapshot, "a refused import committed a snapshot"
    assert tree_hashes(data_dir) == before, "a refused import changed the store"
    problems = caught.value.problems
    assert list(problems.columns) == ["sheet", "row", "column", "value", "rule", "fix"]
    assert problems["fix"].str.len().min() > 10  # every problem says how to fix it
    return problems


ANY = object()  # find(): any value


def find(
    problems: pd.DataFrame,
    sheet: str,
    row: int | None,
    column: str | None,
    rule: str,
    value: object = ANY,
    fix: str | None = None,
):
    """Return the problem naming this sheet, Excel row, column, value (None: empty) and rule,
    whose fix holds `fix`; or fail listing every problem."""
    for record in problems.to_dict("records"):
        row_ok = pd.isna(record["row"]) if row is None else record["row"] == row
        column_ok = pd.isna(record["column"]) if column is None else record["column"] == column
        if value is ANY:
            value_ok = True
        else:
            value_ok = pd.isna(record["value"]) if value is None else record["value"] == value
        fix_ok = fix is None or fix in record["fix"]
        if (record["sheet"] == sheet and row_ok and column_ok and value_ok and fix_ok
                and rule in record["rule"]):  # fmt: skip
            return record
    raise AssertionError(f"no problem {sheet!r} row {row} {column!r} value {value!r} '{rule}' "
                         f"(fix: {fix!r}) in:\n{problems.to_string()}")  # fmt: skip


def edit(table: str, index: int, column: str, value):
    def mutate(tables):
        tables[table].loc[index, column] = value
        return tables

    return mutate


def with_sheet(name: str, rows: list[dict]):
    def mutate(tables):
        tables[name] = pd.DataFrame(rows)
        return tables

    return mutate


def drop(table: str, column: str | None = None, where=None):
    def mutate(tables):
        if column is not None:
            tables[table] = tables[table].drop(columns=column)
        elif where is not None:
            tables[table] = tables[table][~where(tables[table])]
        else:
            del tables[table]
        return tables

    return mutate


def rename_case(old: str, new: str):
    def mutate(tables):
        for name in ("cases", "responses"):
            tables[name]["audit_id"] = tables[name]["audit_id"].replace(old, new)
        return tables

    return mutate


def duplicate_row(table: str, index: int):
    def mutate(tables):
        frame = tables[table]
        tables[table] = pd.concat([frame, frame.iloc[[index]]], ignore_index=True)
        return tables

    return mutate


def all_cases(column: str, value):
    def mutate(tables):
        tables["cases"][column] = value
        return tables

    return mutate


ROUND = {"theme_id": "alpha", "round_id": "r9", "label": "Round nine"}
PICK = "Choose from the drop-down list"
PRIVATE = "Remove personal details"
RULES = [
    # (rule, mutation, (sheet, Excel row, column, words of the rule, value, words of the fix))
    ("unknown theme", edit("cases", 0, "theme_id", "gamma"),
     ("cases", 2, "theme_id", "unknown theme", "gamma", "lists sheet of the template: alpha, beta.")),
    ("unknown question for the theme", edit("responses", 1, "question_id", "Q9"),
     ("responses", 3, "question_id", "not in the audit tool of the case's theme (alpha)", "Q9",
      "Use a question id of that theme")),
    ("unknown quadrant", edit("cases", 1, "quadrant", "Middle"),
     ("cases", 3, "quadrant", "quadrant must be one of: NW, NE, SW, SE", "Middle", f"{PICK}: NW, NE, SW, SE.")),
    ("unknown response", edit("responses", 0, "response", "Yes"),
     ("responses", 2, "response", "response must be one of", "Yes", f"{PICK}: Met, Partially met")),
    ("unknown grade", edit("cases", 2, "overall_grade", "Excellent"),
     ("cases", 4, "overall_grade", "overall_grade must be one of", "Excellent", f"{PICK}: Outstanding")),
    ("unknown gender", edit("cases", 3, "gender", "F"), ("cases", 5, "gender", "gender must be one of", "F", PICK)),
    ("unparseable date", edit("cases", 0, "audit_date", "05/03/2021"),
     ("cases", 2, "audit_date", "not a date in the form YYYY-MM-DD", "05/03/2021", "or format the cell as a date")),
    ("impossible date", edit("cases", 0, "audit_date", "2021-02-30"),
     ("cases", 2, "audit_date", "not a real calendar date", "2021-02-30", "Check the day and month")),
    ("date in the future", edit("cases", 1, "audit_date", "2999-01-01"),
     ("cases", 3, "audit_date", "in the future", "2999-01-01", "cannot be dated ahead")),
    ("implausibly old date", edit("cases", 1, "audit_date", "1901-01-01"),
     ("cases", 3, "audit_date", "before 1990", "1901-01-01", "Check the year")),
    ("round ends before it starts", with_sheet("rounds", [ROUND | {"start_date": "2021-03-31", "end_date": "2021-03-01"}]),
     ("rounds", 2, "end_date", "end_date is before start_date", "2021-03-01", "ends on or after the day it starts")),
    ("round with no dates and no cases", with_sheet("rounds", [{"theme_id": "alpha", "round_id": "r10"}]),
     ("rounds", 2, "start_date", "needed for a round with no cases", None, "Fill in the round's first and last day")),
    ("round with cases but planned", with_sheet("rounds", [ROUND | {"status": "planned"}]),
     ("rounds", 2, "status", "must be complete or concluding", "planned", "Set the status to complete")),
    ("audit date outside the round's dates", with_sheet("rounds", [ROUND | {"start_date": "2021-04-01", "end_date": "2021-04-30"}]),
     ("cases", 2, "audit_date", "outside the dates of round r9 on the rounds sheet (2021-04-01 to 2021-04-30)",
      "2021-03-05", "widen the round's start_date and end_date")),
    ("round id that is not a folder name", all_cases("round_id", "2021/03"),
     ("cases", 2, "round_id", "letters, digits", "2021/03", "Use an id such as 2021-03")),
    ("duplicate audit_id in the file", edit("cases", 1, "audit_id", "N1"),
     ("cases", 3, "audit_id", "appears more than once in the file (first on row 2)", "N1", "its own audit_id")),
    ("audit_id already stored", rename_case("N1", "A1"),
     ("cases", 2, "audit_id", "already in the store (in alpha / r2)", "A1", "Each case audit is imported once")),
    ("response for an unknown case", edit("responses", 0, "audit_id", "ZZ"),
     ("responses", 2, "audit_id", "no case with this audit_id", "ZZ", "Add the case to the cases sheet")),
    ("case without responses", drop("responses", where=lambda f: f["audit_id"] == "N4"),
     ("cases", 5, "audit_id", "the case has no responses", "N4", "Add its answers on the responses sheet")),
    ("question answered twice", duplicate_row("responses", 0),
     ("responses", 10, "question_id", "more than once (first on row 2)", "Q1", "Keep one answer per case")),
    ("missing sheet", drop("responses"),
     ("responses", None, None, "the responses sheet is missing", None, "Add a sheet named responses")),
    ("missing column", drop("cases", "quadrant"),
     ("cases", None, "quadrant", "required column quadrant is missing", None, "Add a column headed quadrant in row 1")),
    ("empty required value", edit("cases", 0, "quadrant", None),
     ("cases", 2, "quadrant", "quadrant is empty", None, "Fill in the child's quadrant")),
    ("round already loaded", all_cases("round_id", "r2"),
     ("cases", 2, "round_id", "round r2 of alpha is already loaded (4 cases)", "r2", "--replace")),
    ("email in a comment", edit("responses", 2, "comment", "mum: jo.bloggs@example.org"),
     ("responses", 4, "comment", "email address", "mum: j•.••••••@•••••••.•rg", PRIVATE)),
    ("phone number in a comment", edit("responses", 2, "comment", "call 07700 900123"),
     ("responses", 4, "comment", "phone number", "call 0•••• ••••23", PRIVATE)),
    ("lower-case postcode in a comment", edit("responses", 2, "comment", "moved to b1 1aa"),
     ("responses", 4, "comment", "postcode", "moved to b• •aa", PRIVATE)),
    ("postcode as team", edit("cases", 1, "team", "SW1A 1AA"), ("cases", 3, "team", "postcode", "S••• •AA", PRIVATE)),
    ("name as child_ref", edit("cases", 0, "child_ref", "Jane Smith"),
     ("cases", 2, "child_ref", "person's name", "J••• S••••", "never the child's name")),
    ("NHS number as child_ref", edit("cases", 0, "child_ref", "943 476 5919"),
     ("cases", 2, "child_ref", "NHS number", "9•• ••• ••19", PRIVATE)),
    ("NHS number without spaces", edit("cases", 0, "child_ref", "9434765919"),
     ("cases", 2, "child_ref", "NHS number", "9•••••••19", PRIVATE)),
    ("date of birth as child_ref", edit("cases", 0, "child_ref", "2012-05-04"),
     ("cases", 2, "child_ref", "date of birth", "••••-••-••", "pseudonymous case reference")),
    ("age band Excel turned into a date", edit("cases", 0, "age_band", "2026-09-05"),
     ("cases", 2, "age_band", "age_band must be a band", "2026-09-05", "Format the column as Text")),
    ("unknown category", with_sheet("questions", [{"theme_id": "alpha", "question_id": "Q3", "text": "New", "category": "Cooking"}]),
     ("questions", 2, "category", "unknown category", "Cooking", "Use a category from the lists sheet")),
    ("question reworded without replace", with_sheet("questions", [{"theme_id": "alpha", "question_id": "Q1", "text": "Other words", "category": "Timeliness"}]),
     ("questions", 2, "text", "already in the store with other wording", "Other words", "copy the stored wording")),
    ("no cases: headers only", lambda t: t | {"cases": t["cases"].iloc[0:0]},
     ("cases", None, None, "there are no cases to import", None, "Add one row per audited case")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_each_rule_refuses_and_names_the_place(tiny_dir, mutation, expected):
    problems = refused(tiny_dir, [xlsx(mutation(good()))])
    find(problems, *expected)


def test_values_that_only_resemble_personal_data_import(tiny_dir):
    tables = good()
    tables["cases"]["child_ref"] = ["9434765918", "REF-2", "REF-3", "REF-4"]  # check digit fails
    tables["responses"]["comment"] = [
        "Reviewed in q2 2nd visit",
        "see 1st review",
        "ok",
        "QA 4th",
    ] * 2
    assert ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST).changed


PERSONAL_HEADERS = [
    ("First Name", "name"), ("surname", "name"), ("child_name", "name"), ("Full name", "name"),
    ("DOB", "date of birth"), ("Date of Birth", "date of birth"), ("Home Address", "address"),
    ("Post Code", "postcode"), ("NHS Number", "NHS number"), ("NHS No.", "NHS number"),
    ("Phone", "phone number"), ("Mobile number", "phone number"), ("E-mail", "email address"),
    ("email_address", "email address"), ("D.O.B.", "date of birth"), ("DoB", "date of birth"),
    # CamelCase and digits, as audit tools export them
    ("DateOfBirth", "date of birth"), ("ChildName", "name"), ("ChildFirstName", "name"),
    ("HomeAddress", "address"), ("AddressLine1", "address"), ("Address1", "address"),
    ("MobileNumber", "phone number"), ("HomePhone", "phone number"),
    ("TelephoneNumber", "phone number"), ("ContactEmail", "email address"), ("ParentName", "name"),
    ("CarerName", "name"), ("Postcode1", "postcode"), ("NHSNumber", "NHS number"),
    ("dateofbirth", "date of birth"),
]  # fmt: skip


@pytest.mark.parametrize(("header", "what"), PERSONAL_HEADERS)
def test_personal_data_columns_are_refused_with_the_reason(tiny_dir, header, what):
    tables = good()
    tables["cases"][header] = "x"
    problems = refused(tiny_dir, [xlsx(tables)])
    record = find(
        problems, "cases", None, header, f"holds {'a' if what[0] not in 'aeiou' else 'an'}"
    )
    assert what in record["rule"] and "personal data cannot be imported" in record["rule"]


def test_organisational_name_columns_are_not_personal(tiny_dir):
    tables = good()
    for header in ("TeamName", "file_name", "School name", "Concerns addressed"):
        tables["cases"][header] = "North team"  # a team, not a person: ignored, not refused
    tables["cases"] = tables["cases"].rename(columns={"child_ref": "ChildRef"})  # a template column
    result = ingest.preview(tiny_dir, [xlsx(tables)])
    assert result.ok, result.problems
    assert result.ignored_columns == ["cases: TeamName", "cases: file_name", "cases: School name",
                                      "cases: Concerns addressed"]  # fmt: skip


def test_every_problem_is_reported_at_once(tiny_dir):
    tables = good()
    tables["cases"].loc[0, "quadrant"] = "Middle"
    tables["cases"].loc[1, "audit_date"] = "yesterday"
    tables["responses"].loc[3, "response"] = "Maybe"
    tables["cases"]["Surname"] = "Smith"
    problems = refused(tiny_dir, [xlsx(tables)])
    find(problems, "cases", None, "Surname", "personal data")
    find(problems, "cases", 2, "quadrant", "quadrant must be one of")
    find(problems, "cases", 3, "audit_date", "not a date")
    find(problems, "responses", 5, "response", "response must be one of")
    assert problems.iloc[0]["column"] == "Surname"  # whole-column problems come first


FILE_PROBLEMS = [
    ("empty file", [Source("round.xlsx", b"")], ("round.xlsx", "the file is empty")),
    ("not a workbook", [Source("round.xlsx", b"this is not a zip")], ("round.xlsx", "not an Excel workbook")),
    ("a zip that is not a workbook", "docx", ("round.xlsx", "not an Excel workbook")),
    ("neither workbook nor CSV", [Source("round.pdf", b"%PDF-1.4 ...")], ("round.pdf", "only an Excel workbook (.xlsx) or CSV files")),
    ("binary named .csv", [Source("cases.csv", bytes(range(256)) * 4)], ("cases.csv", "not a CSV text file")),
    ("CSV not named after a table", [Source("export.csv", b"audit_id\nA\n")], ("export.csv", "must be named after its table")),
    ("no file at all", [], ("(file)", "no file was given")),
]  # fmt: skip


@pytest.mark.parametrize(("files", "expected"), [r[1:] for r in FILE_PROBLEMS],
                         ids=[r[0] for r in FILE_PROBLEMS])  # fmt: skip
def test_file_problems(tiny_dir, files, expected):
    if files == "docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        files = [Source("round.xlsx", buffer.getvalue())]
    find(refused(tiny_dir, files), expected[0], None, None, expected[1])


def test_oversized_file_is_refused_without_reading_it(tiny_dir, tmp_path):
    path = tmp_path / "round.xlsx"
    path.write_bytes(xlsx(good()).data)
    problems = refused(tiny_dir, [path], max_mb=0.001)
    record = find(problems, "round.xlsx", None, None, "larger than the 0.001 MB limit")
    assert record["value"].endswith("MB")
    assert ingest.import_files(tiny_dir, [path], max_mb=1, actor=ANALYST).changed


def test_csv_problems_name_the_file_and_row(tiny_dir):
    tables = good()
    tables["cases"].loc[2, "quadrant"] = "Centre"
    find(refused(tiny_dir, csvs(tables)), "cases.csv", 4, "quadrant", "quadrant must be one of")
    find(refused(tiny_dir, csvs({"cases": tables["cases"]})), "responses.csv", None, None,
         "the responses file is missing")  # fmt: skip


def test_untouched_template_loads_nothing(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    template = Source("template.xlsx", ingest.template_workbook(data_dir))
    problems = refused(data_dir, [template])
    find(problems, "cases", None, None, "there are no cases to import")


# --- what a valid import loads -----------------------------------------------------------------


def test_valid_import_shows_in_quadrant_comparison(tiny_dir):
    result = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    assert result.changed and result.import_id == "imp-0001"
    store = Store(tiny_dir)
    frame = queries.quadrant_comparison(store, "alpha", Filters(round_id="r9"))
    q1 = frame[frame["question_id"] == "Q1"].set_index("quadrant")
    # N1 NW Met, N2 NE Not met, N3 SW Partially met, N4 SE Not applicable
    assert q1.loc["NW", "met"] == 1 and q1.loc["NW", "n"] == 1
    assert q1.loc["NE", "not_met"] == 1 and q1.loc["SE", "n"] == 0
    assert q1.loc["County", "n"] == 3 and q1.loc["County", "met"] == 1
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r9"]
    history = ingest.import_history(tiny_dir)
    assert history.loc[0, ["import_id", "user", "cases", "responses", "theme_rounds", "state"]].tolist() == [
        "imp-0001", "qa.analyst@council.example", 4, 8, "alpha/r9", "active"]  # fmt: skip


def test_responses_carry_theme_round_quadrant_and_team_from_their_case(tiny_dir):
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    rows = Store(tiny_dir).query(
        "SELECT audit_id, question_id, theme_id, round_id, quadrant, team FROM responses "
        "WHERE round_id = 'r9' AND question_id = 'Q1' ORDER BY audit_id"
    )
    assert rows.values.tolist() == [
        ["N1", "Q1", "alpha", "r9", "NW", "T2"], ["N2", "Q1", "alpha", "r9", "NE", "T1"],
        ["N3", "Q1", "alpha", "r9", "SW", "T2"], ["N4", "Q1", "alpha", "r9", "SE", "T1"],
    ]  # fmt: skip
    # The round's responses are a partition of their own: one file, in its theme's and round's
    # folder, so a query of another round never opens it.
    lake = Lake(tiny_dir)
    files = lake.files_at(lake.latest_snapshot())["responses"]
    lake.close()
    r9 = [f for f in files if "theme_id=alpha/round_id=r9/" in f]
    assert len(r9) == 1 and len(files) == 3  # r1, r2 and r9


def test_new_round_is_made_from_the_audit_dates(tiny_dir):
    tables = good()
    tables["cases"]["audit_date"] = ["2021-03-02", "2021-03-09", "2021-03-05", "2021-03-20"]
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    row = queries.rounds(Store(tiny_dir), "alpha").set_index("round_id").loc["r9"]
    assert (row["label"], row["status"]) == ("r9", "complete")
    assert (row["start_date"].date(), row["end_date"].date()) == (
        dt.date(2021, 3, 2),
        dt.date(2021, 3, 20),
    )


def test_new_round_from_the_rounds_sheet(tiny_dir):
    tables = good() | {"rounds": pd.DataFrame([ROUND | {"start_date": "2021-03-01",
                                                        "end_date": "2021-03-31"}])}  # fmt: skip
    result = ingest.preview(tiny_dir, [xlsx(tables)])
    assert result.rounds[["round_id", "label", "change"]].values.tolist() == [
        ["r9", "Round nine", "new round"]
    ]
    assert result.quadrants[["NW", "NE", "SW", "SE", "total"]].values.tolist() == [[1, 1, 1, 1, 4]]
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    contents = queries.store_contents(Store(tiny_dir)).set_index("round_id").loc["r9"]
    assert (contents["label"], contents["cases"], contents["responses"]) == ("Round nine", 4, 8)


def test_cases_in_a_planned_round_make_it_complete(tiny_dir):
    tables = round_tables("alpha", "r3", ALPHA_QUESTIONS)
    result = ingest.preview(tiny_dir, [xlsx(tables)])
    assert result.rounds["change"].tolist() == ["planned round, now complete"]
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r3"]
    assert len(queries.rounds(store, "alpha")) == 3  # revised in place, not duplicated


def test_planned_theme_loads_through_a_questions_sheet(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    questions = pd.DataFrame(
        [
            {"theme_id": "placement_stability", "question_id": "PS-01",
             "text": "Placement moves are planned", "category": "Planning and contingency"},
            {"theme_id": "placement_stability", "question_id": "PS-02",
             "text": "The child's view of the placement is recorded", "category": "Voice of the child"},
        ]
    )  # fmt: skip
    tables = round_tables("placement_stability", "2021-01", ["PS-01", "PS-02"], n_cases=8)
    result = ingest.import_files(data_dir, [xlsx(tables | {"questions": questions})], actor=ANALYST)
    assert "placement_stability: planned theme, now complete" in result.message
    store = Store(data_dir)
    theme = queries.themes(store).set_index("theme_id").loc["placement_stability"]
    assert theme["status"] == "complete"
    assert queries.audited_rounds(store, "placement_stability") == ["2021-01"]
    frame = queries.quadrant_comparison(store, "placement_stability")
    assert sorted(frame["question_id"].unique()) == ["PS-01", "PS-02"]
    assert frame[frame["quadrant"] == "County"]["n"].tolist() == [6, 6]
    summary = queries.theme_summary(store)
    assert "placement_stability" in set(summary["theme_id"])
    # The seed's other planned themes are untouched, and the catalogue round is still there.
    assert queries.rounds(store, "placement_stability")["round_id"].tolist() == [
        "2020-underway",
        "2021-01",
    ]


def test_identical_reimport_changes_nothing_and_says_so(tiny_dir):
    source = xlsx(good())  # the same bytes (a workbook records when it was saved)
    first = ingest.import_files(tiny_dir, [source], actor=ANALYST)
    before, snapshot = tree_hashes(tiny_dir), latest_snapshot(tiny_dir)
    again = ingest.import_files(tiny_dir, [source], actor=ANALYST)
    assert not again.changed and again.import_id == first.import_id
    assert "already imported as imp-0001" in again.message and "nothing changed" in again.message
    assert latest_snapshot(tiny_dir) == snapshot and tree_hashes(tiny_dir) == before
    assert ingest.preview(tiny_dir, [source]).already_imported == "imp-0001"


def test_csv_files_are_one_import_like_the_workbook(tiny_dir, tmp_path):
    other = copy_store(tiny_dir, tmp_path / "other")
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    paths = []
    for source in csvs(good()):
        path = tmp_path / source.name
        path.write_bytes(source.data)
        paths.append(path)
    result = ingest.import_files(other, paths, actor=ANALYST)
    assert result.preview.file_name == "cases.csv, responses.csv"
    sql = "SELECT * EXCLUDE (comment) FROM responses ORDER BY audit_id, question_id"
    pd.testing.assert_frame_equal(Store(tiny_dir).query(sql), Store(other).query(sql))


def test_lenient_spellings_are_normalised(tiny_dir):
    tables = good()
    tables["cases"]["quadrant"] = ["North West", "ne", " SW ", "South East"]
    tables["responses"]["response"] = tables["responses"]["response"].str.upper()
    tables["cases"] = tables["cases"].rename(
        columns={"audit_id": "Audit ID", "theme_id": "Theme ID"}
    )
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    store = Store(tiny_dir)
    quadrants = store.query("SELECT DISTINCT quadrant FROM cases WHERE round_id = 'r9' ORDER BY 1")
    assert quadrants["quadrant"].tolist() == ["NE", "NW", "SE", "SW"]
    answers = store.query(
        "SELECT DISTINCT response FROM responses WHERE round_id = 'r9' ORDER BY 1"
    )
    assert answers["response"].tolist() == ["Met", "Not applicable", "Not met", "Partially met"]


# --- replace and undo ------------------------------------------------------------------------


def test_replace_needs_the_flag_then_replaces_the_round(tiny_dir):
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, n_cases=8, prefix="R")
    find(refused(tiny_dir, [xlsx(tables)]), "cases", 2, "round_id", "already loaded")
    result = ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    assert "replaces 4 stored cases" in result.message
    store = Store(tiny_dir)
    ids = store.query("SELECT audit_id FROM cases WHERE round_id = 'r2' ORDER BY 1")["audit_id"]
    assert ids.tolist() == [f"R{i}" for i in range(1, 9)]  # the old A1..A4 are gone from views
    history = ingest.import_history(tiny_dir)
    assert history.loc[0, "replaced"] == "alpha/r2"
    # The replaced cases are still there as of the snapshot the import was applied to.
    record = Store(tiny_dir).query("SELECT base_snapshot, changed FROM imports").iloc[0]
    assert "cases:alpha/r2" in list(record["changed"])
    kept = table_rows(tiny_dir, "cases", int(record["base_snapshot"]))
    assert [row[0] for row in kept if row[2] == "r2"] == ["A1", "A2", "A3", "A4"]


def test_replacement_may_reuse_the_audit_ids_of_the_round_it_replaces(tiny_dir):
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, prefix="A")  # A1..A4 as stored in r2
    assert ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST).changed


def test_undo_restores_the_previous_rows_exactly(tiny_dir):
    before_data, before_manifest = data_rows(tiny_dir), Store(tiny_dir).manifest()
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, n_cases=8, prefix="R")
    tables["rounds"] = pd.DataFrame(
        [{"theme_id": "alpha", "round_id": "r2", "label": "Two, redone"}]
    )
    first = ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    second = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    assert data_rows(tiny_dir) != before_data
    manifest = Store(tiny_dir).manifest()
    assert manifest["synthetic"] == "mixed"
    assert manifest["notice"] == (
        "This store mixes synthetic sample data with imported audit rounds. Synthetic sample (no "
        "real child is described): alpha r1. Imported from audit files (real data): alpha r2, r9."
    )
    ingest.undo_import(tiny_dir, second.import_id, actor=ANALYST)
    result = ingest.undo_import(tiny_dir, first.import_id, actor=ANALYST)
    # r2's file in every partitioned table (cases, responses and their roll-ups), and rounds
    assert (result.cases_removed, result.cases_restored) == (8, 4)  # R1..R8 go, A1..A4 return
    assert data_rows(tiny_dir) == before_data
    assert Store(tiny_dir).manifest() == before_manifest
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["action", "what", "detail", "user", "outcome"]].values.tolist()[::-1] == [
        ["import", "round.xlsx", "imp-0001", ANALYST.user, "done"],
        ["import", "round.xlsx", "imp-0002", ANALYST.user, "done"],
        ["undo-import", "imp-0002", "round.xlsx", ANALYST.user, "done"],
        ["undo-import", "imp-0001", "round.xlsx", ANALYST.user, "done"],
    ]
    history = ingest.import_history(tiny_dir)
    assert history["state"].str.startswith("undone").all() and not history["can_undo"].any()
    assert Store(tiny_dir).query("SELECT count(*) AS n FROM cases")["n"][0] == 6


def test_undo_in_any_order_when_imports_are_independent(tiny_dir):
    before = data_rows(tiny_dir)
    first = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r8", ALPHA_QUESTIONS, prefix="E"))], actor=ANALYST
    )
    ingest.undo_import(tiny_dir, first.import_id, actor=ANALYST)  # the older one first
    assert queries.audited_rounds(Store(tiny_dir), "alpha") == ["r1", "r2", "r8"]
    ingest.undo_import(tiny_dir, "imp-0002", actor=ANALYST)
    assert data_rows(tiny_dir) == before


def test_undo_refuses_when_a_later_import_replaced_its_round(tiny_dir):
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    again = round_tables("alpha", "r9", ALPHA_QUESTIONS, prefix="M")
    ingest.import_files(tiny_dir, [xlsx(again)], replace=True, actor=ANALYST)
    history = ingest.import_history(tiny_dir).set_index("import_id")
    assert history.loc["imp-0002", "replaced"] == "alpha/r9 (from imp-0001)"
    assert "imp-0002 changed what imp-0001 loaded" in history.loc["imp-0001", "state"]
    before = latest_snapshot(tiny_dir)
    with pytest.raises(AuditDataError, match="undo imp-0002 first"):
        ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    assert latest_snapshot(tiny_dir) == before
    ingest.undo_import(tiny_dir, "imp-0002", actor=ANALYST)
    undone = ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    assert (undone.cases_removed, undone.cases_restored) == (4, 0)


def test_undo_refuses_to_orphan_a_later_imports_answers(tiny_dir):
    questions = pd.DataFrame([{"theme_id": "beta", "question_id": "B-01", "text": "A standard",
                               "category": "Recording"}])  # fmt: skip
    first = round_tables("beta", "b2", ["B-01"], prefix="X")
    ingest.import_files(tiny_dir, [xlsx(first | {"questions": questions})], actor=ANALYST)
    ingest.import_files(
        tiny_dir, [xlsx(round_tables("beta", "b3", ["B-01"], prefix="Y"))], actor=ANALYST
    )
    with pytest.raises(AuditDataError, match=r"answers to beta question B-01.*imp-0002"):
        ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)


def test_undo_unknown_or_twice(tiny_dir):
    with pytest.raises(AuditDataError, match="No import 'imp-0042'"):
        ingest.undo_import(tiny_dir, "imp-0042", actor=ANALYST)
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    with pytest.raises(AuditDataError, match="already undone"):
        ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    # Undone, the same file imports again, under a new id.
    assert ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST).import_id == "imp-0002"


def test_replaced_rows_are_invisible_to_queries_but_kept_in_the_earlier_snapshot(tiny_dir):
    before = latest_snapshot(tiny_dir)
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, n_cases=8, prefix="R")
    ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    sql = ("SELECT (SELECT count(*) FROM cases WHERE round_id = 'r2') AS cases, "
           "(SELECT count(*) FROM responses WHERE round_id = 'r2') AS responses, "
           "(SELECT sum(cases) FROM case_counts WHERE round_id = 'r2') AS rolled_up")  # fmt: skip
    assert Store(tiny_dir).query(sql).iloc[0].tolist() == [8, 16, 8]
    assert Store(tiny_dir, as_of=before).query(sql).iloc[0].tolist() == [4, 8, 4]


def test_imports_table_is_a_store_view_with_timestamps(tiny_dir):
    base = latest_snapshot(tiny_dir)
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    frame = Store(tiny_dir).query(
        "SELECT import_id, user, imported_at, typeof(imported_at) AS type, base_snapshot, "
        "changed FROM imports"
    )
    assert frame.loc[0, ["import_id", "user", "type", "base_snapshot"]].tolist() == [
        "imp-0001",
        "qa.analyst@council.example",
        "TIMESTAMP",
        base,
    ]
    # the round's cases (with its responses, roll-ups and completeness), its rounds row
    assert list(frame.loc[0, "changed"]) == ["cases:alpha/r9", "rounds:alpha/r9"]
    assert abs(
        pd.Timestamp.now(tz="UTC").tz_localize(None) - frame.loc[0, "imported_at"]
    ) < pd.Timedelta(minutes=5)


def test_first_import_into_a_missing_directory_creates_a_catalogue_store(tmp_path):
    data_dir = tmp_path / "new-store"
    tables = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    ingest.import_files(data_dir, [xlsx(tables)], actor=ANALYST)
    store = Store(data_dir)
    assert queries.audited_rounds(store, "permanency") == ["2021-03"]
    assert queries.audited_rounds(store, "missing") == []  # seed rounds hold no cases here
    assert store.manifest()["synthetic"] is False


# --- atomic, all-or-nothing, concurrent --------------------------------------------------------


def test_an_import_is_one_snapshot_with_its_rows_history_and_event(tiny_dir):
    before = latest_snapshot(tiny_dir)
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    lake = Lake(tiny_dir)
    try:
        after = lake.latest_snapshot()
        assert after == before + 1 and lake.data_snapshot() == after
        made = lake.snapshots()[-1]
        assert (made.snapshot_id, made.author, made.message) == (
            after,
            ANALYST.user,
            "import imp-0001 (round.xlsx)",
        )
        trail = f"SELECT action, what, detail FROM {lake.alias}.audit_trail AT (VERSION => $s)"
        assert lake.con.execute(trail, {"s": before}).fetchall() == []
        assert lake.con.execute(trail, {"s": after}).fetchall() == [
            ("import", "round.xlsx", "imp-0001")
        ]
    finally:
        lake.close()
    sql = ("SELECT (SELECT count(*) FROM cases WHERE round_id = 'r9') AS cases, "
           "(SELECT count(*) FROM responses WHERE round_id = 'r9') AS responses, "
           "(SELECT coalesce(sum(answers), 0) FROM response_counts WHERE round_id = 'r9') "
           "AS answers, "
           "(SELECT count(*) FROM rounds WHERE round_id = 'r9') AS rounds, "
           "(SELECT count(*) FROM round_completeness) AS completeness, "
           "(SELECT coalesce(list(import_id), []) FROM imports) AS history")  # fmt: skip
    assert Store(tiny_dir, as_of=before).query(sql).iloc[0].tolist()[:5] == [0, 0, 0, 0, 0]
    assert list(Store(tiny_dir, as_of=before).query(sql)["history"].iloc[0]) == []
    now = Store(tiny_dir, as_of=after).query(sql).iloc[0]
    assert now.tolist()[:5] == [4, 8, 8, 1, 1] and list(now["history"]) == ["imp-0001"]


def test_a_refused_import_commits_no_snapshot(tiny_dir, tmp_path):
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    taken = round_tables("alpha", "r2", ALPHA_QUESTIONS, prefix="R")  # r2 holds cases already
    with pytest.raises(ImportRefused, match="already loaded"):
        ingest.import_files(tiny_dir, [xlsx(taken)], actor=ANALYST)
    assert latest_snapshot(tiny_dir) == before and data_rows(tiny_dir) == rows
    assert audit_trail.read_trail(tiny_dir).empty
    # Refused as a store's first import, it makes no store either.
    new = tmp_path / "new-store"
    tables = round_tables("permanency", "2021-03", ["PERM-01", "NOT-A-QUESTION"])
    with pytest.raises(ImportRefused):
        ingest.import_files(new, [xlsx(tables)], actor=ANALYST)
    assert not new.exists()


def test_a_crash_while_writing_leaves_the_store_as_it_was(tiny_dir, monkeypatch):
    real = ingest.apply_import

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # the rows are written in the transaction, then...
        raise RuntimeError("power cut")

    monkeypatch.setattr(ingest, "apply_import", crash)
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    with pytest.raises(RuntimeError):
        ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    assert latest_snapshot(tiny_dir) == before
    assert data_rows(tiny_dir) == rows and table_rows(tiny_dir, "imports") == []
    monkeypatch.undo()
    assert ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST).import_id == "imp-0001"


def test_an_import_leaves_the_other_rounds_files_as_they_were(tiny_dir):
    lake = Lake(tiny_dir)
    before = lake.files_at(lake.latest_snapshot())
    lake.close()
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    lake = Lake(tiny_dir)
    after = lake.files_at(lake.latest_snapshot())
    lake.close()
    for table in ("cases", "responses", "case_counts", "response_counts"):
        assert set(before[table]) < set(after[table])  # the same files, and one more
        assert [f for f in set(after[table]) - set(before[table]) if "round_id=r9/" in f]


@pytest.mark.parametrize(
    "point", ["import:validated", "import:rows-written", "import:before-commit"]
)
def test_an_import_killed_at_any_point_leaves_the_last_snapshot_intact(tiny_dir, tmp_path, point):
    import signal
    import subprocess
    import sys

    files = write(tmp_path, [xlsx(good())])
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    root = Path(__file__).resolve().parent.parent
    run = subprocess.Popen(
        [sys.executable, "-m", "analytics", "ingest", *files, "--data-dir", str(tiny_dir)],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "AUDIT_STOP_AT": point},
    )  # fmt: skip
    try:
        assert run.stdout.readline().strip() == f"stopped at {point}"  # waits there, no sleep
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert latest_snapshot(tiny_dir) == before and data_rows(tiny_dir) == rows
    assert table_rows(tiny_dir, "imports") == [] and audit_trail.read_trail(tiny_dir).empty
    again = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)  # the store still works
    assert again.import_id == "imp-0001" and latest_snapshot(tiny_dir) == before + 1


def test_two_imports_at_once_are_serialised(tiny_dir):
    files = [xlsx(good(), "r9.xlsx"),
             xlsx(round_tables("alpha", "r8", ALPHA_QUESTIONS, prefix="E"), "r8.xlsx")]  # fmt: skip
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(source):
        barrier.wait()
        try:
            results.append(ingest.import_files(tiny_dir, [source], actor=ANALYST))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(r.import_id for r in results) == ["imp-0001", "imp-0002"]
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r8", "r9"]
    assert len(ingest.import_history(tiny_dir)) == 2


def test_two_identical_imports_at_once_load_once(tiny_dir):
    barrier = threading.Barrier(2)
    results = []
    source = xlsx(good())

    def run():
        barrier.wait()
        results.append(ingest.import_files(tiny_dir, [source], actor=ANALYST))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.changed for r in results) == [False, True]
    assert Store(tiny_dir).query("SELECT count(*) AS n FROM cases")["n"][0] == 10


def test_readers_never_see_half_an_import(tiny_dir):
    store = Store(tiny_dir)
    seen, stop = set(), threading.Event()
    sql = ("SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM responses) "
           "AS responses, (SELECT count(*) FROM imports) AS imports")  # fmt: skip

    def read():
        while not stop.is_set():
            seen.add(tuple(store.query(sql).iloc[0].tolist()))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i, round_id in enumerate(("r5", "r6", "r7")):
            tables = round_tables("alpha", round_id, ALPHA_QUESTIONS, prefix=f"P{i}-")
            ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    finally:
        stop.set()
        reader.join()
    assert seen <= {(6, 12, 0), (10, 20, 1), (14, 28, 2), (18, 36, 3)}, seen


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


# --- property: random cells never crash the importer ------------------------------------------

# INGEST_EXAMPLES=2000 for a long run; the default keeps the suite quick.
EXAMPLES = int(os.environ.get("INGEST_EXAMPLES", "50"))
CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["NW", "Met", "Good", "alpha", "Q1", "r9", "2021-03-05", "5-9", "N1", ""]),
    st.integers(-(10**12), 10**12),
    st.floats(allow_infinity=False, allow_nan=False),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.booleans(),
)


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("tiny-template") / "tiny"
    write_new_store(data_dir, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})
    return data_dir


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cells=st.lists(CELL, min_size=18, max_size=18), as_csv=st.booleans())
def test_random_cells_import_or_are_refused_never_crash(tiny_template, cells, as_csv):
    tables = good()
    case_columns = ["audit_id", "quadrant", "audit_date", "round_id", "theme_id", "overall_grade"]
    for i, column in enumerate(case_columns):
        tables["cases"][column] = tables["cases"][column].astype(object)
        tables["cases"].loc[i % 4, column] = cells[i]
    for i, column in enumerate(["audit_id", "question_id", "response", "comment"] * 3):
        tables["responses"][column] = tables["responses"][column].astype(object)
        tables["responses"].loc[i % 8, column] = cells[6 + i]
    files = csvs(tables) if as_csv else [xlsx({k: v.map(excel_safe) for k, v in tables.items()})]

    def ten_cases(data_dir: Path) -> None:
        assert Store(data_dir).query("SELECT count(*) AS n FROM cases")["n"][0] == 10

    imported_all_or_nothing(tiny_template, files, ten_cases)


def imported_all_or_nothing(template: Path, files, loaded=None) -> None:
    """Import the files into a fresh copy of the store: either they load (then `loaded(copy)`
    may check it), or they are refused with every problem named and fixable, and the copy is
    byte for byte as before."""
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "store"
        shutil.copytree(template, data_dir)
        before = tree_hashes(data_dir)
        try:
            result = ingest.import_files(data_dir, files, actor=ANALYST)
        except ImportRefused as refusal:
            assert len(refusal.problems) and tree_hashes(data_dir) == before
            assert refusal.problems["fix"].str.len().min() > 10
            return
        assert result.changed
        if loaded is not None:
            loaded(data_dir)


def excel_safe(value: object) -> object:
    """Return text as a workbook stores it: control characters escaped as _xHHHH_ (the reader
    turns them back), which is how Excel keeps them."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


# Text with control characters, line breaks and the like (no lone surrogates: not text at all).
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
HEADER = st.one_of(
    ANY_TEXT,
    st.sampled_from(["audit_id", "Audit ID", "QUADRANT", "DateOfBirth", "team_name", "", "Notes",
                     "question_id", "text", "start_date", "AuditID", "x\ny"]),
)  # fmt: skip
SHEET_NAME = st.one_of(
    st.sampled_from(["cases", "Cases ", "CASES", "responses", "Responses", "rounds", "questions",
                     "lists", "cases (2)", "Sheet1"]),
    st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs", "Pd")), max_size=20),
).filter(lambda name: name.strip() != "")  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    headers=st.lists(HEADER, min_size=4, max_size=4),
    names=st.lists(SHEET_NAME, min_size=4, max_size=4, unique_by=lambda n: n.strip().lower()),
    cells=st.lists(st.one_of(CELL, ANY_TEXT), min_size=8, max_size=8),
    as_csv=st.booleans(),
)
def test_random_headers_sheet_names_and_optional_sheets_never_crash(
    tiny_template, headers, names, cells, as_csv
):
    tables = good() | {
        "rounds": pd.DataFrame([ROUND | {"start_date": "2021-03-01", "end_date": "2021-03-31"}]),
        "questions": pd.DataFrame([{"theme_id": "alpha", "question_id": "Q3", "text": "New",
                                    "category": "Timeliness"}]),
    }  # fmt: skip
    for i, (table, frame) in enumerate(list(tables.items())):
        frame = frame.astype(object)
        columns = list(frame.columns)
        columns[i % len(columns)] = headers[i]
        frame.columns = columns
        frame.iloc[0, (i + 1) % len(columns)] = cells[2 * i]
        frame.iloc[-1, (i + 2) % len(columns)] = cells[2 * i + 1]
        tables[table] = frame
    renamed = dict(zip(names, tables.values(), strict=True))
    if as_csv:
        files = [Source(f"{name}.csv", frame.to_csv(index=False).encode())
                 for name, frame in renamed.items()]  # fmt: skip
    else:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            for name, frame in renamed.items():
                safe = frame.map(excel_safe)
                safe.columns = [excel_safe(str(c)) for c in frame.columns]
                safe.to_excel(writer, sheet_name=name[:31], index=False)
        files = [Source("round.xlsx", buffer.getvalue())]
    imported_all_or_nothing(tiny_template, files)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=2000), name=st.sampled_from(["round.xlsx", "cases.csv", "x.bin"]))
def test_random_bytes_are_refused_never_crash(tiny_template, data, name):
    result = ingest.preview(tiny_template, [Source(name, data)])
    assert not result.ok and len(result.problems)


# --- the command line ------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    import contextlib

    from analytics.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse refusing an option
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def write(folder: Path, sources: list[Source]) -> list[str]:
    """Write the sources into `folder` (made if need be); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in sources:
        path = folder / source.name
        path.write_bytes(source.data)
        paths.append(str(path))
    return paths


def test_cli_ingest_then_undo(tiny_dir, tmp_path):
    files = write(tmp_path, [xlsx(good())])
    code, out, _ = cli("ingest", *files, "--data-dir", str(tiny_dir))
    assert code == 0
    assert "Imported round.xlsx as imp-0001: 4 cases, 8 responses." in out
    assert "alpha / r9: new round (4 cases)" in out
    assert f"undo-import imp-0001 --data-dir {tiny_dir}" in out
    code, out, _ = cli("ingest", *files, "--data-dir", str(tiny_dir))
    assert code == 0 and "already imported as imp-0001" in out
    code, out, _ = cli("imports", "--data-dir", str(tiny_dir))
    assert code == 0 and "imp-0001" in out and f"{getpass.getuser()}@" in out and "alpha/r9" in out
    code, out, _ = cli("undo-import", "imp-0001", "--data-dir", str(tiny_dir))
    assert code == 0 and "Undid imp-0001 (round.xlsx)" in out
    code, _, err = cli("undo-import", "imp-0001", "--data-dir", str(tiny_dir))
    assert code == 2 and "already undone" in err


def test_cli_csv_files_are_one_import(tiny_dir, tmp_path):
    files = write(tmp_path, csvs(good()))
    code, out, _ = cli("ingest", *files, "--data-dir", str(tiny_dir))
    assert code == 0 and "Imported cases.csv, responses.csv as imp-0001" in out


def test_cli_refusal_prints_every_problem_and_exits_2(tiny_dir, tmp_path):
    tables = good()
    tables["cases"].loc[1, "quadrant"] = "Middle"
    tables["responses"].loc[4, "response"] = "Yes"
    files = write(tmp_path, [xlsx(tables)])
    errors_csv = tmp_path / "problems.csv"
    before = tree_hashes(tiny_dir)
    code, out, err = cli(
        "ingest", *files, "--data-dir", str(tiny_dir), "--errors-csv", str(errors_csv)
    )
    assert code == 2 and out == ""
    assert "round.xlsx was not imported (2 problems; nothing was changed)" in err
    lines = err.splitlines()
    assert re.match(r"\s*sheet\s+row\s+column\s+value\s+rule\s+fix", lines[1])
    assert any(
        re.match(r"\s*cases\s+3\s+quadrant\s+Middle\s+quadrant must be one of", x) for x in lines
    )
    assert any(re.match(r"\s*responses\s+6\s+response\s+Yes", x) for x in lines)
    table = pd.read_csv(errors_csv)
    assert table[["sheet", "row", "column", "value"]].values.tolist() == [
        ["cases", 3, "quadrant", "Middle"], ["responses", 6, "response", "Yes"]]  # fmt: skip
    assert tree_hashes(tiny_dir) == before


def test_cli_replace_and_size_limit(tiny_dir, tmp_path):
    files = write(tmp_path, [xlsx(round_tables("alpha", "r2", ALPHA_QUESTIONS, prefix="R"))])
    code, _, err = cli("ingest", *files, "--data-dir", str(tiny_dir))
    assert code == 2 and "already loaded" in err and "--replace" in err
    code, _, err = cli(
        "ingest", *files, "--data-dir", str(tiny_dir), "--replace", "--max-mb", "0.001"
    )
    assert code == 2 and "larger than the 0.001 MB limit" in err
    code, out, _ = cli("ingest", *files, "--data-dir", str(tiny_dir), "--replace")
    assert code == 0 and "replaces 4 stored cases" in out


def test_cli_missing_file_and_a_folder_are_problems_listed_together(tiny_dir, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    before = tree_hashes(tiny_dir)
    code, _, err = cli("ingest", str(tmp_path / "nowhere.xlsx"), "--data-dir", str(tiny_dir))
    assert code == 2 and f"file not found: {tmp_path / 'nowhere.xlsx'}" in err
    code, out, err = cli("ingest", str(folder), "--data-dir", str(tiny_dir))
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"{folder} is a folder, not a file" in err and "inside the folder" in err
    assert tree_hashes(tiny_dir) == before


@pytest.mark.parametrize("limit", ["nan", "-1", "0", "inf", "lots"])
def test_cli_refuses_a_size_limit_that_is_not_a_positive_number(tiny_dir, tmp_path, limit):
    files = write(tmp_path, [xlsx(good())])
    code, _, err = cli("ingest", *files, "--data-dir", str(tiny_dir), "--max-mb", limit)
    assert code == 2 and "argument --max-mb" in err and "Traceback" not in err


def test_cli_errors_csv_must_be_a_file(tiny_dir, tmp_path):
    tables = good()
    tables["cases"].loc[0, "quadrant"] = "Middle"
    files = write(tmp_path / "in", [xlsx(tables)])
    code, _, err = cli("ingest", *files, "--data-dir", str(tiny_dir), "--errors-csv", str(tmp_path))
    assert code == 2 and f"{tmp_path} is a folder" in err
    code, _, err = cli("ingest", *files, "--data-dir", str(tiny_dir), "--errors-csv",
                       str(tmp_path / "no" / "such" / "folder.csv"))  # fmt: skip
    assert code == 2 and "the problems could not be written to" in err and "Traceback" not in err


def test_cli_lists_the_columns_it_ignored(tiny_dir, tmp_path):
    tables = good()
    tables["cases"]["Reviewer notes"] = "n/a"
    code, out, _ = cli("ingest", *write(tmp_path, [xlsx(tables)]), "--data-dir", str(tiny_dir))
    assert code == 0
    assert "Columns not in the template, not imported: cases: Reviewer notes" in out


def test_cli_two_processes_at_once(tiny_dir, tmp_path):
    import subprocess
    import sys

    first = write(tmp_path / "a", csvs(good()))
    second = write(tmp_path / "b", csvs(round_tables("alpha", "r8", ALPHA_QUESTIONS, prefix="E")))
    command = [sys.executable, "-m", "analytics", "ingest", "--data-dir", str(tiny_dir)]
    root = Path(__file__).resolve().parent.parent
    runs = [subprocess.Popen([*command, *files], cwd=root, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for files in (first, second)]  # fmt: skip
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(o[0].split(" as ")[1].split(":")[0] for o in outputs) == ["imp-0001", "imp-0002"]
    assert queries.audited_rounds(Store(tiny_dir), "alpha") == ["r1", "r2", "r8", "r9"]


@pytest.mark.parametrize("content", [b"\t", b",,,\n,,\n", b"   \n\n"])
def test_a_csv_of_blanks_is_an_empty_sheet(tiny_dir, content):
    # Found by hypothesis: a file of separators only once crashed the reader.
    problems = refused(tiny_dir, [Source("cases.csv", content)])
    find(problems, "cases.csv", None, None, "the sheet is empty")


def test_the_fast_reader_handles_what_excel_and_the_usual_libraries_write(tiny_dir):
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})  # shared strings, as Excel writes
    sheet = book.add_worksheet("cases")
    sheet.write_row(0, 0, ["audit_id", "audit_date", "n"])
    sheet.write_row(1, 0, ["X&Y <1>", "2021-03-04", 3.0])
    sheet.write_datetime(
        2, 1, dt.datetime(2020, 4, 2), book.add_format({"num_format": "dd/mm/yyyy"})
    )
    sheet.write_formula(2, 0, '="a"&"b"', None, "ab")
    book.close()
    for data in (buffer.getvalue(), xlsx(good()).data):  # xlsxwriter, then openpyxl
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet_xml = archive.read("xl/worksheets/sheet1.xml")
        assert xlsx_reader._fast_cells(sheet_xml) is not None
    frame = reading.read_sources([Source("x.xlsx", buffer.getvalue())]).sheets["cases"].frame
    assert frame.astype(object).where(frame.notna(), None).values.tolist() == [
        [2, "X&Y <1>", "2021-03-04", "3"],
        [3, "ab", "2020-04-02", None],
    ]


# --- the data directory: a store, or an empty or new folder; never anything else ---------------


def test_a_data_dir_that_is_a_file_is_refused_and_kept(tmp_path):
    path = tmp_path / "audit.xlsx"
    path.write_bytes(b"the user's own workbook")
    with pytest.raises(AuditDataError, match="is a file, not an audit store folder"):
        ingest.import_files(path, [xlsx(good())], actor=ANALYST)
    with pytest.raises(AuditDataError, match="is a file"):
        ingest.preview(path, [xlsx(good())])
    assert path.read_bytes() == b"the user's own workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.xlsx"]


def test_a_folder_of_other_files_is_refused_and_kept(tmp_path):
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    tables = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    with pytest.raises(AuditDataError, match=r"holds other files and is not an audit store"):
        ingest.import_files(folder, [xlsx(tables)], actor=ANALYST)
    with pytest.raises(AuditDataError, match="not an audit store"):
        ingest.preview(folder, [xlsx(tables)])
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    with pytest.raises(AuditDataError, match="No audit store"):
        ingest.undo_import(folder, "imp-0001", actor=ANALYST)


def test_an_empty_folder_becomes_a_new_store(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    tables = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    assert ingest.preview(folder, [xlsx(tables)]).ok  # checked against the seed catalogue
    ingest.import_files(folder, [xlsx(tables)], actor=ANALYST)
    assert queries.audited_rounds(Store(folder), "permanency") == ["2021-03"]


def test_a_symlinked_data_dir_stays_a_link(tiny_dir, tmp_path):
    link = tmp_path / "current"
    link.symlink_to(tiny_dir)
    ingest.import_files(link, [xlsx(good())], actor=ANALYST)
    assert link.is_symlink() and link.resolve() == tiny_dir
    assert queries.audited_rounds(Store(tiny_dir), "alpha")[-1] == "r9"
    ingest.undo_import(link, "imp-0001", actor=ANALYST)
    assert link.is_symlink() and "r9" not in queries.audited_rounds(Store(tiny_dir), "alpha")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "tiny"]


def test_a_write_error_in_the_data_files_is_reported_and_commits_nothing(tiny_dir):
    # A file where the new round's folder goes: writing its data file fails, as on a damaged
    # or read-only disk.
    blocked = tiny_dir / "files" / "main" / "cases" / "theme_id=alpha" / "round_id=r9"
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("in the way")
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    with pytest.raises(AuditDataError) as caught:
        ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    message = str(caught.value)
    assert message.startswith(f"The audit store at {tiny_dir} could not be changed (")
    assert message.endswith("Nothing was written.") and "Traceback" not in message
    assert latest_snapshot(tiny_dir) == before and data_rows(tiny_dir) == rows


def test_a_full_disk_while_writing_is_reported_and_rolled_back(tiny_dir, monkeypatch):
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tiny_dir / "files"))

    monkeypatch.setattr(ingest, "apply_import", full)
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    with pytest.raises(AuditDataError, match=r"^Nothing was imported: .*files: No space left"):
        ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    assert latest_snapshot(tiny_dir) == before and data_rows(tiny_dir) == rows


# --- every problem at once ---------------------------------------------------------------------


def test_a_missing_column_does_not_hide_the_other_problems(tiny_dir):
    tables = good()
    tables["cases"] = tables["cases"].drop(columns=["quadrant"])
    tables["cases"].loc[1, "audit_date"] = "yesterday"
    tables["responses"].loc[2, "question_id"] = "NOPE"
    tables["responses"].loc[3, "audit_id"] = "GHOST"
    tables["responses"].loc[4, "response"] = "Yes"
    problems = refused(tiny_dir, [xlsx(tables)])
    find(problems, "cases", None, "quadrant", "required column quadrant is missing")
    find(problems, "cases", 3, "audit_date", "not a date", "yesterday")
    find(problems, "responses", 4, "question_id", "not in the audit tool", "NOPE")
    find(problems, "responses", 5, "audit_id", "no case with this audit_id", "GHOST")
    find(problems, "responses", 6, "response", "response must be one of", "Yes")
    assert len(problems) == 5


def test_a_missing_join_column_is_reported_once_not_per_row(tiny_dir):
    tables = good()
    tables["responses"] = tables["responses"].drop(columns=["audit_id"])
    problems = refused(tiny_dir, [xlsx(tables)])
    find(problems, "responses", None, "audit_id", "required column audit_id is missing")
    assert len(problems) == 1, problems  # no "the case has no responses" for every case


def test_every_file_problem_is_reported_and_the_other_files_still_checked(tiny_dir):
    tables = good()
    tables["cases"].loc[0, "quadrant"] = "Middle"
    files = [*csvs(tables), Source("rounds.csv", b""), Source("notes.csv", b"a\n"),
             Source("round.pdf", b"%PDF")]  # fmt: skip
    problems = refused(tiny_dir, files)
    find(problems, "rounds.csv", None, None, "the file is empty")
    find(problems, "round.pdf", None, None, "only an Excel workbook", ".pdf")
    find(problems, "notes.csv", None, None, "must be named after its table", "notes.csv")
    find(problems, "cases.csv", 2, "quadrant", "quadrant must be one of", "Middle")
    assert len(problems) == 4


def test_an_unreadable_csv_is_not_also_called_missing(tiny_dir):
    tables = good()
    files = [Source("cases.csv", bytes(range(256)) * 4), csvs(tables)[1]]
    problems = refused(tiny_dir, files)
    find(problems, "cases.csv", None, None, "not a CSV text file")
    assert not problems["rule"].str.contains("missing").any(), problems


def test_one_missing_case_is_one_problem_not_one_per_answer(tiny_dir):
    tables = round_tables("alpha", "r9", ALPHA_QUESTIONS)
    tables["cases"].loc[1, "audit_id"] = None  # N2's row lost its id: its 2 answers are orphans
    problems = refused(tiny_dir, [xlsx(tables)])
    find(problems, "cases", 3, "audit_id", "audit_id is empty", None)
    record = find(problems, "responses", 4, "audit_id",
                  "no case with this audit_id on the cases sheet (2 answers, rows 4 to 5)", "N2",
                  "The cases sheet has 1 row(s) with no audit_id (row 3)")  # fmt: skip
    assert record is not None and len(problems) == 2, problems


def test_a_duplicated_audit_id_costs_two_problems_not_a_cascade(tiny_dir):
    tables = round_tables("alpha", "r9", ALPHA_QUESTIONS, n_cases=4)
    tables["cases"].loc[2, "audit_id"] = "N1"  # N3 retyped as N1
    problems = refused(tiny_dir, [xlsx(tables)])
    find(problems, "cases", 4, "audit_id", "appears more than once in the file (first on row 2)")
    find(problems, "responses", 6, "audit_id", "(2 answers, rows 6 to 7)", "N3")
    assert len(problems) == 2, problems


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


# --- the manifest says what is synthetic ------------------------------------------------------


def test_imports_into_the_sample_say_which_rounds_are_real(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    original = Store(data_dir).manifest()
    tables = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    result = ingest.import_files(data_dir, [xlsx(tables)], actor=ANALYST)
    manifest = Store(data_dir).manifest()
    assert manifest["synthetic"] == "mixed"  # truthy: every page keeps showing the notice
    notice = manifest["notice"]
    assert notice.startswith("This store mixes synthetic sample data with imported audit rounds.")
    assert "Synthetic sample (no real child is described): missing 2020-04;" in notice
    assert "permanency 2020-01-interim, 2020-04-final" in notice
    assert notice.endswith("Imported from audit files (real data): permanency 2021-03.")
    assert manifest["imported_rounds"] == ["permanency/2021-03"]
    # An export's data source must not call real rounds synthetic.
    store = Store(data_dir)
    assert data_source(store, date=str) == (
        "Audit Insight store: synthetic sample rounds and imported rounds (permanency/2021-03); "
        f"last import {result.import_id} on {dt.date.today()}; store snapshot {store.snapshot}"
    )
    ingest.undo_import(data_dir, result.import_id, actor=ANALYST)
    assert Store(data_dir).manifest() == original


def test_a_sample_whose_rounds_are_all_replaced_is_no_longer_synthetic(tiny_dir):
    for round_id, prefix in (("r1", "R"), ("r2", "S")):
        tables = round_tables("alpha", round_id, ALPHA_QUESTIONS, prefix=prefix)
        ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    manifest = Store(tiny_dir).manifest()
    assert manifest["synthetic"] is False
    assert manifest["notice"].startswith("Every audit round in this store was imported")


# --- the benchmark ------------------------------------------------------------------------------


def test_benchmark_round_and_its_refusal_without_a_store(tmp_path):
    from analytics.ingest import sample_round

    frames = sample_round.round_frames(5)
    assert len(frames["cases"]) == 5 and len(frames["responses"]) == 50
    assert frames["cases"]["audit_id"].is_unique
    with pytest.raises(AuditDataError, match="No audit store"):
        benchmark_import(tmp_path / "nothing", cases=5)


def test_benchmark_import_on_the_sample(sample_dir):
    before, snapshot = tree_hashes(sample_dir), latest_snapshot(sample_dir)
    seconds = benchmark_import(sample_dir, cases=50)
    assert 0 < seconds < 120
    assert benchmark_import(sample_dir, cases=50, kind="csv") > 0
    assert latest_snapshot(sample_dir) == snapshot and tree_hashes(sample_dir) == before
    assert not list(sample_dir.parent.glob(f".{sample_dir.name}.bench-*"))


# --- personal data flagged in a file is never echoed back in full ----------------------------


def test_flagged_personal_data_is_masked_on_screen_and_in_the_problems_csv(tiny_dir):
    tables = good()
    typed = {
        "phone": "call (01632) 960001 after 5",
        "NHS number": "NHS no 943 476 5919",
        "postcode": "moved to SW1A 1AA",
        "email": "carer jo.bloggs@example.org",
    }
    tables["responses"].loc[0:3, "comment"] = list(typed.values())
    problems = refused(tiny_dir, [xlsx(tables)])
    assert problems[["row", "column", "value", "rule"]].values.tolist() == [
        [2, "comment", "call (0••••) ••••01 after 5",
         "the comment looks like it holds a phone number (masked here)"],
        [3, "comment", "NHS no 9•• ••• ••19", "the comment looks like it holds an NHS number (masked here)"],
        [4, "comment", "moved to S••• •AA", "the comment looks like it holds a postcode (masked here)"],
        [5, "comment", "carer j•.••••••@•••••••.•rg",
         "the comment looks like it holds an email address (masked here)"],
    ]  # fmt: skip
    sheet = ingest.problems_csv(problems).decode("utf-8-sig")
    for raw in ("960001", "01632", "943 476 5919", "SW1A 1AA", "jo.bloggs", "example.org"):
        assert raw not in sheet and raw not in problems.to_string()
    assert "call (0••••) ••••01 after 5" in sheet


def test_the_template_and_the_uploader_state_one_size_limit():
    from analytics.ingest import reading, template

    assert ingest.DEFAULT_MAX_MB == reading.DEFAULT_MAX_MB == 50
    source = Path(template.__file__).read_text()
    assert "Files up to {DEFAULT_MAX_MB} MB" in source  # the instructions use the one number
    config = (Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize" not in config  # the uploader takes the importer's limit itself
