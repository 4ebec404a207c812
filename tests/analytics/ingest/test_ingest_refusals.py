"""The importer's refusals: every rule, every problem at once, and personal data flagged in a
file never echoed back in full."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from ingest_helpers import (
    ALPHA_QUESTIONS,
    ANALYST,
    ROUND,
    all_cases,
    copy_store,
    csvs,
    drop,
    duplicate_row,
    edit,
    find,
    good,
    refused,
    rename_case,
    round_tables,
    with_sheet,
    xlsx,
)
from paths import ROOT

from analytics import ingest
from analytics.ingest import Source, reading

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
    from analytics.ingest import template

    assert ingest.DEFAULT_MAX_MB == reading.DEFAULT_MAX_MB == 50
    source = Path(template.__file__).read_text()
    assert "Files up to {DEFAULT_MAX_MB} MB" in source  # the instructions use the one number
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize" not in config  # the uploader takes the importer's limit itself
