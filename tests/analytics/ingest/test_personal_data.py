"""Personal data where it hides (phone numbers, names for references, staff and carer columns,
control characters) and scans that stay linear in their input (issue 13, defects 1 and 6)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from ingest_helpers import csvs, round_tables, xlsx

from analytics.catalogue import catalogue_table
from analytics.ingest import Source, TrackerImport, preview
from analytics.ingest.spec import TEXT_MAX, VALUE_PATTERNS, VALUE_SCAN, mask_personal
from analytics.ingest.trackers.layout import read_trackers
from analytics.ingest.trackers.propose import propose

QUESTIONS = ["Q1", "Q2"]  # the tiny store's theme alpha
PHONE_RULE = "the comment looks like it holds a phone number (masked here)"
PRIVATE = "Remove personal details"


def tables(n_cases: int = 4) -> dict[str, pd.DataFrame]:
    """A valid new round r9 of the tiny store's theme alpha (n_cases x 2 answers)."""
    return round_tables("alpha", "r9", QUESTIONS, n_cases=n_cases)


def problem_rows(problems: pd.DataFrame) -> list[list[object]]:
    """Return the problems as [sheet, row, column, rule] lists (row None for a whole column)."""
    frame = problems[["sheet", "row", "column", "rule"]].astype(object)
    return frame.where(frame.notna(), None).values.tolist()


# --- defect 1: a long text cell is refused for its length, never scanned ----------------------


def test_long_comments_are_refused_for_their_length_at_once(tiny_dir):
    long_one = tables()
    long_one["responses"].loc[0, "comment"] = "a" * 100_000  # CSV: no cell limit
    full_cells = tables(n_cases=40)  # 80 answers, each a full Excel cell
    full_cells["responses"]["comment"] = "a" * 32_767
    files = [csvs(long_one), [xlsx(full_cells)]]
    assert preview(tiny_dir, csvs(tables())).ok  # the importer's modules loaded: not timed
    # CPU seconds of this process: the work done, whatever else the machine is running.
    start = time.process_time()
    results = [preview(tiny_dir, batch) for batch in files]
    seconds = time.process_time() - start
    assert seconds < 3, f"refusing 100,000 + 80 x 32,767 characters took {seconds:.1f} s"
    csv_problems, xlsx_problems = (r.problems for r in results)
    assert problem_rows(csv_problems) == [
        [
            "responses.csv",
            2,
            "comment",
            "the comment is 100,000 characters long: the limit is 5,000",
        ]
    ]
    assert csv_problems["value"].iloc[0].endswith("…") and len(csv_problems["value"].iloc[0]) < 200
    assert problem_rows(xlsx_problems) == [
        ["responses", row, "comment", "the comment is 32,767 characters long: the limit is 5,000"]
        for row in range(2, 82)
    ]


def test_a_long_cell_shows_only_its_start_masked(tiny_dir):
    frames = tables()
    frames["responses"].loc[0, "comment"] = "call 07700 900123 " + "x" * TEXT_MAX
    problems = preview(tiny_dir, [xlsx(frames)]).problems
    assert problem_rows(problems) == [
        ["responses", 2, "comment", f"the comment is {TEXT_MAX + 18:,} characters long: the "
         f"limit is {TEXT_MAX:,}"]
    ]  # fmt: skip
    shown = problems["value"].iloc[0]
    assert shown.startswith("call 0•••• ••••23 xxx") and "900123" not in shown


# Inputs built to make a backtracking pattern try every start against the rest of the text.
ADVERSARIAL = {
    "letters": "a",
    "digits": "1",
    "zero digits": "0",
    "spaced digits": "0 ",
    "dotted words": "a.",
    "plus signs": "+4",
    "brackets": "(0",
    "at signs": "a@",
    "postcode-like": "A1",
}
SIZES = (4_000, 32_000, 100_000)  # and 1,000,000 for all patterns at once


def _seconds(scan, text: str) -> float:
    """Return the CPU seconds one scan of the text takes (not slowed by other processes)."""
    start = time.process_time()
    scan(text)
    return time.process_time() - start


@pytest.mark.parametrize("unit", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_every_personal_data_scan_is_linear_in_its_input(unit):
    scans = {
        "all patterns at once": lambda t: re.search(VALUE_SCAN, t),
        **{what: (lambda t, p=p: list(re.finditer(p, t))) for p, what, _ in VALUE_PATTERNS},
        "confirmations": lambda t: [c(t) for _, _, c in VALUE_PATTERNS if c is not None],
        "masking": mask_personal,
    }
    for name, scan in scans.items():
        timings = []
        sizes = (*SIZES, 1_000_000) if name == "all patterns at once" else SIZES
        for size in sizes:  # smallest first: a quadratic scan fails at 32k, not after an hour
            text = (unit * size)[:size]
            seconds = _seconds(scan, text)
            timings.append(seconds)
            # Linear takes well under a microsecond a character; quadratic took 10 s at 32k.
            assert seconds < 1 + size * 3e-6, f"{name}: {size:,} characters took {seconds:.2f} s"
        print(name, unit, [f"{s:.4f}" for s in timings])


# --- defect 6: phone numbers in every common UK format ----------------------------------------

PHONES = [
    "(01632) 960001", "+44 (0)1632 960001", "01632 960001", "01632-960-001", "+441632960001",
    "07700 900123", "07700900123", "+44 7700 900 123", "0161 496 0000", "020 7946 0000",
    "(020) 7946 0000", "0044 20 7946 0000",
]  # fmt: skip


def test_uk_phone_numbers_in_every_common_format_are_refused_masked(tiny_dir):
    frames = tables(n_cases=6)  # 12 answers, one phone number each
    frames["responses"]["comment"] = [f"mum on {phone}, after 5" for phone in PHONES]
    problems = preview(tiny_dir, [xlsx(frames)]).problems
    assert problem_rows(problems) == [
        ["responses", row, "comment", PHONE_RULE] for row in range(2, 14)
    ]
    assert problems["fix"].str.startswith(PRIVATE).all()
    for phone, shown in zip(PHONES, problems["value"], strict=True):
        digits = re.sub(r"\D", "", phone)
        assert shown.startswith("mum on ") and shown.endswith(", after 5"), shown
        assert digits[-6:-2] not in re.sub(r"\D", "", shown), shown  # the middle never shown


def test_a_phone_number_as_the_team_is_refused(tiny_dir):
    frames = tables()
    frames["cases"].loc[1, "team"] = "+44 20 7946 0000"
    problems = preview(tiny_dir, [xlsx(frames)]).problems
    assert problem_rows(problems) == [
        ["cases", 3, "team", "the team looks like it holds a phone number (masked here)"]
    ]
    assert problems["value"].iloc[0] == "+4• •• •••• ••00"


NOT_PHONES = [
    "Seen on 12/03/2024", "Round 2021-03 complete", "85% met", "In 2024 and 2025",
    "3 of 10 visits", "id P-2024-001", "case NE0201", "10 of 12 cases met", "0 of 3 plans",
    "visits 01/02/2021 and 03/04/2021", "ref 2024/017", "score 07.5",
]  # fmt: skip


def test_numbers_that_are_not_phone_numbers_import(tiny_dir):
    frames = tables(n_cases=6)
    frames["responses"]["comment"] = NOT_PHONES
    result = preview(tiny_dir, [xlsx(frames)])
    assert result.ok, result.problems.to_string()


# --- defect 6: a child_ref must look like a reference ------------------------------------------

NOT_REFERENCES = ["john smith", "Jayden", "JAYDEN", "Smith, J", "j.smith", "JAYDEN-SMITH",
                  "SMITH/J", "JOHN_SMITH"]  # fmt: skip
REFERENCES = ["C-0001", "PF-2024-017", "2024/017", "NW123", "SYN-347205123", "SYN-SETUP-1"]
REFERENCE_RULE = "the child_ref is not a case reference: it may be a person's name (masked here)"


def test_a_child_ref_that_is_not_a_reference_is_refused_masked(tiny_dir):
    frames = tables(n_cases=len(NOT_REFERENCES))
    frames["cases"]["child_ref"] = NOT_REFERENCES
    problems = preview(tiny_dir, [xlsx(frames)]).problems
    assert problem_rows(problems) == [
        ["cases", row, "child_ref", REFERENCE_RULE] for row in range(2, 10)
    ]
    assert problems["value"].tolist() == ["j••• s••••", "J•••••", "J•••••", "S••••, •", "•.s••••",
                                          "J•••••-S••••", "S••••/•", "J•••_S••••"]  # fmt: skip
    assert problems["fix"].str.contains("at least one digit").all()


def test_references_of_the_sample_and_the_trackers_import(tiny_dir):
    frames = tables(n_cases=len(REFERENCES))
    frames["cases"]["child_ref"] = REFERENCES
    result = preview(tiny_dir, [xlsx(frames)])
    assert result.ok, result.problems.to_string()


def test_the_reference_rule_is_stated_where_the_template_and_data_page_read_it():
    from analytics.ingest.spec import REFERENCE_RULE_TEXT, SHEETS, contract_summary

    help_text = next(c.help for c in SHEETS["cases"] if c.name == "child_ref")
    assert REFERENCE_RULE_TEXT in help_text
    summary = contract_summary().set_index("column")
    assert REFERENCE_RULE_TEXT in summary.loc["child_ref", "holds"]


# --- defect 6: staff-name and carer columns are refused, with how to remove them ---------------

STAFF_HEADERS = [
    "Social worker", "Allocated worker", "Carer", "Foster carer", "Key worker", "Team manager",
    "Supervising social worker", "Personal adviser", "IRO",
]  # fmt: skip
STAFF_RULE = (
    "the column holds people's names (staff, carers or family): personal data cannot be imported"
)


def test_staff_and_carer_columns_are_refused_with_how_to_remove_them(tiny_dir):
    frames = tables()
    for header in STAFF_HEADERS:
        frames["cases"][header] = "W-01"  # even codes: the header says the column is of people
    problems = preview(tiny_dir, [xlsx(frames)]).problems
    assert problem_rows(problems) == [["cases", None, h, STAFF_RULE] for h in STAFF_HEADERS]
    assert problems["value"].tolist() == STAFF_HEADERS
    assert problems["fix"].str.contains("Delete the column from the file itself").all()


def test_team_and_standard_like_headers_are_not_people(tiny_dir):
    frames = tables()
    kept = ["Social work team", "Worker visits recorded", "Carer's assessment completed?"]
    for header in kept:
        frames["cases"][header] = "Yes"
    result = preview(tiny_dir, [xlsx(frames)])
    assert result.ok, result.problems.to_string()
    assert result.ignored_columns == [f"cases: {h}" for h in kept]


def test_a_tracker_column_of_staff_is_refused_by_the_same_rule(tmp_path: Path):
    """A tracker's "Carer" column holding codes is refused as the template's is; a standard ending
    in "carer" (its wording) is not."""
    questions = catalogue_table("questions")
    questions = questions[questions["theme_id"] == "permanency"][["question_id", "text"]]
    wording = questions.set_index("question_id")["text"]
    header = f"Child ref,Date of audit,Quadrant,{wording['PERM-01']},Foster carer"
    rows = [header, "P-1,01/03/2021,NW,Yes,FC-1", "P-2,02/03/2021,NE,No,FC-2"]
    source = Source("tracker.csv", ("\n".join(rows) + "\n").encode())
    proposal = propose(read_trackers([source], 50), questions.reset_index(drop=True),
                       "permanency", "P")  # fmt: skip
    maps_to = proposal.columns.set_index("header")["maps_to"]
    assert maps_to["Foster carer"] == "refused"
    problems = preview(
        tmp_path / "store", [source], tracker=TrackerImport(proposal.mapping, "2021-03")
    ).problems
    assert problem_rows(problems) == [
        ["tracker.csv", None, "Foster carer", STAFF_RULE + ", even when the mapping leaves it out"]
    ]


@pytest.mark.parametrize(
    "header, cells, refused",
    [
        ("Seen by IRO", ["Yes", "No"], False),
        ("Placed with parents", ["Yes", "Yes"], False),
        ("Child seen by worker", ["No", "Yes"], False),
        ("Visited by worker", ["Jane Doe", "Sam Roe"], True),  # the cells name people
        ("Child's social worker", ["SW-1", "SW-2"], True),  # a role alone: the header decides
    ],
)
def test_a_tracker_column_saying_something_of_a_role_is_judged_by_its_cells(header, cells, refused):
    from analytics.ingest.spec import PEOPLE_BY_ROLE
    from analytics.ingest.trackers.layout import TrackerColumn
    from analytics.ingest.trackers.refusals import refusal

    column = TrackerColumn(5, "E", header, None, header)  # a one-row header
    assert refusal(column, pd.Series(cells)) == (PEOPLE_BY_ROLE if refused else None)


# --- defect 6: control characters, whatever the file type --------------------------------------


def test_control_characters_in_a_workbook_are_refused_shown_escaped(tiny_dir):
    frames = tables()
    frames["responses"].loc[0, "comment"] = "seen_x0000_alone"  # Excel's escape of a NUL
    frames["cases"].loc[1, "team"] = "T_x001B_[31m1"  # an ANSI escape
    problems = preview(tiny_dir, [xlsx(frames)]).problems
    assert problems[["sheet", "row", "column", "value", "rule"]].values.tolist() == [
        ["cases", 3, "team", "T\\x1b[31m1", "the team holds a control character (\\x1b)"],
        ["responses", 2, "comment", "seen\\x00alone", "the comment holds a control character "
         "(\\x00)"],
    ]  # fmt: skip
    assert problems["fix"].str.contains("invisible character").all()


def test_control_characters_in_csv_files_are_refused_the_same_way(tiny_dir):
    frames = tables()
    frames["responses"].loc[1, "comment"] = "bell\x07 and del\x7f and nel\x85 too"
    frames["responses"].loc[2, "comment"] = "tab\tnew\nline\r\nkept"  # ordinary white space
    frames["cases"].loc[0, "child_ref"] = "C-\x01"
    problems = preview(tiny_dir, csvs(frames)).problems
    assert problems[["sheet", "row", "column", "value", "rule"]].values.tolist() == [
        ["cases.csv", 2, "child_ref", "C-\\x01", "the child_ref holds a control character "
         "(\\x01)"],
        ["responses.csv", 3, "comment", "bell\\x07 and del\\x7f and nel\\x85 too",
         "the comment holds a control character (\\x07, \\x7f, \\x85)"],
    ]  # fmt: skip


def test_a_role_under_a_group_heading_is_refused_a_name_under_an_organisation_is_not():
    from analytics.ingest.spec import PEOPLE_BY_ROLE
    from analytics.ingest.trackers.layout import TrackerColumn
    from analytics.ingest.trackers.refusals import refusal

    def column(upper: str, lower: str) -> TrackerColumn:
        return TrackerColumn(5, "E", f"{upper} / {lower}", upper, lower)

    codes = pd.Series(["W-1", "W-2"])
    assert refusal(column("Case details", "Supervising social worker"), codes) == PEOPLE_BY_ROLE
    assert refusal(column("School", "Name"), pd.Series(["Oak Primary", "Elm High"])) is None
    assert refusal(column("Visits", "Worker visits recorded"), pd.Series(["Yes", "No"])) is None


def test_a_child_ref_that_is_a_date_in_any_common_form_is_a_date_of_birth(tiny_dir):
    frames = tables()
    frames["cases"]["child_ref"] = ["04/05/2012", "4.5.12", "2012-05-04", "C-0004"]
    problems = preview(tiny_dir, csvs(frames)).problems
    assert problems[["sheet", "row", "column", "value", "rule"]].values.tolist() == [
        ["cases.csv", row, "child_ref", shown, "the child_ref looks like a date of birth (masked "
         "here)"] for row, shown in ((2, "••/••/••••"), (3, "•.•.••"), (4, "••••-••-••"))
    ]  # fmt: skip


def test_a_bidirectional_override_is_refused_as_a_control_character(tiny_dir):
    frames = tables()
    frames["responses"].loc[2, "comment"] = "ok \u202egnp.exe"  # shows as "ok exe.png"
    problems = preview(tiny_dir, csvs(frames)).problems
    assert problems[["sheet", "row", "column", "value", "rule"]].values.tolist() == [
        ["responses.csv", 4, "comment", "ok \\u202egnp.exe",
         "the comment holds a control character (\\u202e)"],
    ]  # fmt: skip
