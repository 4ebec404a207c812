"""Proposing a tracker's mapping (analytics.ingest.trackers.propose) with the real catalogue."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import xlsxwriter
from paths import ROOT, TESTS

from analytics.ingest.reading import Source
from analytics.ingest.trackers.layout import read_trackers
from analytics.ingest.trackers.model import parse_mapping
from analytics.ingest.trackers.propose import (
    COLUMN_COLUMNS,
    STANDARD_MATCH_MARGIN,
    STANDARD_MATCH_MIN,
    likely_theme,
    normalise_wording,
    propose,
)

CATALOGUE = ROOT / "analytics" / "catalogue" / "questions.csv"
FIXTURES = TESTS / "fixtures" / "trackers"


def _questions(theme: str) -> pd.DataFrame:
    table = pd.read_csv(CATALOGUE, dtype=str)
    return table[table["theme_id"] == theme][["question_id", "text"]].reset_index(drop=True)


def _csv(name: str, rows: list[list[str]]) -> Source:
    buffer = io.StringIO()
    for row in rows:
        buffer.write(",".join(f'"{c}"' if "," in c else c for c in row) + "\n")
    return Source(name, buffer.getvalue().encode())


def _maps(proposal, sheet: str | None = None) -> dict[str, str]:
    columns = proposal.columns
    if sheet is not None:
        columns = columns[columns["sheet"] == sheet]
    return dict(zip(columns["header"], columns["maps_to"], strict=True))


# Headers as QA teams type them: the catalogue's wording give or take numbering, case,
# punctuation, "&", a "(Y/N)" hint, or a small change of words.
PERMANENCY_HEADERS = {
    "PERM-01": "1. PERMANENCY PLANNING MEETINGS ARE MANAGED EFFECTIVELY SO THAT DRIFT & DELAY ARE LIMITED",
    "PERM-02": "Q2 The permanency policy is followed, and drives planning for the child?",
    "PERM-03": "3) A permanence plan is in place by the second looked after review (Y/N)",
    "PERM-04": "The quadrant tracker gives a clear overview of the outcome, plan & tracking for a child considered at PPM",
    "PERM-05": "Tracker PPMs are booked and held within 1 month (under 5s) or 3 months (over 5s)",
    "PERM-06": "Court Timescales Are Adhered To",
    "PERM-07": "The voice of the child and the parents is evident in PPMs",
    "PERM-08": "A family group conference is used early, to identify family and friends to be assessed",
    "PERM-09": "Supervision & management oversight of permanence planning are evident - not only once the child is in proceedings",
    "PERM-10": "Social worker and team manager attend the PPM",
}  # fmt: skip
FOSTERING_HEADERS = {
    "PF-01": "1. The initial visit is completed within the required timescale once a notification is received",
    "PF-02": "Subsequent visits carried out within timescale (Y/N)",
    "PF-03": "Child seen regularly & alone",
    "PF-04": "Contact arrangements between the child and their family are clearly identified?",
    "PF-05": "The childs health needs are addressed with the carers, with how they will be managed and monitored",
    "PF-06": "Educational provision in place for the child",
    "PF-07": "Management oversight & supervision are regular and of good quality",
    "PF-08": "Safeguarding concerns effectively risk assessed",
    "PF-09": "The assessment shows analysis, curiosity & challenge, explores the carer's parenting capacity and seeks the views of the child's parents and wider family",
    "PF-10": "Health and safety checks evidenced by a copy of the document on the case record",
    "PF-11": "DBS checks completed on all adults and over 16s in the household and outcome recorded",
    "PF-12": "The LA engages with the parents and encourages a written agreement between parent and private foster carer",
    "PF-13": "Practice standards on suitability of accommodation (including the child's own room and bed) are applied",
    "PF-14": "Where operational teams are involved, communication and information sharing are joined up and inform the child's plan",
    "PF-15": "The arrangement was notified before or at its start",
}  # fmt: skip
# Headers that must never map: a general comment, a near-miss, another theme's question, and
# short headers whose words are all in a question (token_set_ratio would give them 100).
NOT_STANDARDS = [
    "Any other comments",
    "Social worker visits",
    "Management oversight and supervision are regular and of good quality",  # PF-07
    "Permanency",
    "Court",
    "Permanency is discussed at supervision",
]


@pytest.mark.parametrize(
    ("theme", "headers"),
    [("permanency", PERMANENCY_HEADERS), ("private_fostering", FOSTERING_HEADERS)],
)
def test_every_standard_maps_from_its_wording_without_help(theme, headers) -> None:
    rows = [["Child ref", "Audit date", *headers.values()]]
    rows.append(["C1", "2021-03-01", *["Yes"] * len(headers)])
    read = read_trackers([_csv("NW tracker.csv", rows)])
    proposal = propose(read, _questions(theme), theme, "NW tracker")
    standards = proposal.columns.iloc[2:]
    assert standards["maps_to"].tolist() == list(headers)
    assert (standards["score"] >= STANDARD_MATCH_MIN).all()
    assert (standards["score"] - standards["runner_up_score"] >= STANDARD_MATCH_MARGIN).all()
    assert proposal.mapping.layouts[0].standards == {h: q for q, h in headers.items()}
    assert proposal.problems.empty


def test_headers_that_must_not_map_are_unmatched_or_ignored_with_their_scores() -> None:
    rows = [["Child ref", "Audit date", "1. Court timescales are adhered to", *NOT_STANDARDS]]
    rows.append(["C1", "2021-03-01", "Yes", "fine", "Yes", "No", "Yes", "No", "Yes"])
    read = read_trackers([_csv("NW.csv", rows)])
    proposal = propose(read, _questions("permanency"), "permanency", "NW")
    got = proposal.columns.set_index("header")
    assert got.loc["1. Court timescales are adhered to", "maps_to"] == "PERM-06"
    for header in NOT_STANDARDS:
        row = got.loc[header]
        assert row["maps_to"] in ("unmatched", "ignored"), header
        assert row["score"] < STANDARD_MATCH_MIN, header
        assert pd.notna(row["runner_up"]), header
    # Answers under a header that matches nothing: a standard for a person to choose.
    assert got.loc["Social worker visits", "maps_to"] == "unmatched"
    assert "PERM-10, scores 43.5" in got.loc["Social worker visits", "why"]
    # "Any other comments" is no standard's comment, and holds no answers.
    assert got.loc["Any other comments", "maps_to"] == "ignored"
    assert set(proposal.mapping.layouts[0].ignored) == set(NOT_STANDARDS)


def test_two_questions_scoring_within_the_margin_is_unmatched_never_guessed() -> None:
    questions = pd.DataFrame(
        {"question_id": ["V1", "V2"], "text": ["Visits are timely", "Visits are timelx"]}
    )
    rows = [["Ref", "Date", "Visits are timel"], ["C1", "2021-03-01", "Yes"]]
    proposal = propose(read_trackers([_csv("NW.csv", rows)]), questions, "t", "NW")
    # "visits are timel" is one deletion from both: 100 × (1 - 1/33) = 97.0 each.
    assert proposal.columns.iloc[2].tolist() == [
        "NW.csv",
        "C",
        "Visits are timel",
        "unmatched",
        97.0,
        "V2",
        97.0,
        "V1 scores 97 but V2 scores 97 (a match must lead by 5): choose the standard",
    ]


def test_normalised_wording() -> None:
    assert normalise_wording("3) A plan is in place (Y/N)?") == "a plan is in place"
    assert normalise_wording("Q10 Family & friends' views") == "family and friends views"
    assert normalise_wording("PERM-05 - Tracker PPMs (under 5s)") == "tracker ppms under 5s"
    assert normalise_wording("No. 4: Voice of the child") == "voice of the child"


def test_fields_by_header_and_by_values_and_auditors() -> None:
    header = ["Case no", "Audited on", "Overall judgement", "Locality", "Team", "Sex",
              "Age range", "Reviewer", "Audited by", "When seen", "Court timescales are adhered to"]  # fmt: skip
    rows = [
        header,
        ["C1", "05/03/2021", "RI", "NW", "T1", "F", "0-4", "A07", "Jane Smith", "2021-03-01", "Y"],
        ["C2", "06/03/2021", "Good", "North West", "T2", "Boy", "5-9", "A03", "John Brown", "2021-03-02", "N"],
    ]  # fmt: skip
    proposal = propose(
        read_trackers([_csv("tracker.csv", rows)]), _questions("permanency"), "permanency", "T"
    )
    assert _maps(proposal) == {
        "Case no": "case_ref",
        "Audited on": "audit_date",
        "Overall judgement": "overall_grade",
        "Locality": "quadrant",
        "Team": "team",
        "Sex": "gender",
        "Age range": "age_band",
        "Reviewer": "ignored",
        "Audited by": "refused",  # auditors' names: auditors are pseudonymous
        "When seen": "ignored",  # dates, but the audit date is "Audited on"
        "Court timescales are adhered to": "PERM-06",
    }
    assert proposal.columns.set_index("header").loc["When seen", "why"] == (
        "holds dates, but the audit date is column B"
    )
    layout = proposal.mapping.layouts[0]
    assert layout.fields == {
        "case_ref": "Case no",
        "audit_date": "Audited on",
        "overall_grade": "Overall judgement",
        "quadrant": "Locality",
        "team": "Team",
        "gender": "Sex",
        "age_band": "Age range",
    }
    assert layout.quadrant is None and layout.ignored == ["Reviewer", "When seen"]
    assert proposal.mapping.quadrants == {"NW": "NW", "North West": "NW"}
    assert proposal.mapping.genders == {"F": "Female", "Boy": "Male"}
    assert proposal.mapping.grades == {"Good": "Good", "RI": "Requires improvement"}


def test_fields_found_by_their_values_alone() -> None:
    rows = [
        ["Ref", "When", "Where", "Result", "Court timescales are adhered to"],
        ["C1", "5/3/2021", "NE", "Good", "Yes"],
        ["C2", "2021-03-06", "N.E.", "Req. Imp.", "No"],
    ]
    proposal = propose(read_trackers([_csv("t.csv", rows)]), _questions("permanency"), "p", "T")
    got = proposal.columns[["header", "maps_to", "score", "why"]].astype(object)
    got = got.where(got.notna(), None).values.tolist()
    assert got == [
        ["Ref", "case_ref", None, "the header names the case reference"],
        ["When", "audit_date", None, "the cells hold dates"],
        ["Where", "quadrant", None, "the cells hold quadrant words"],
        ["Result", "overall_grade", None, "the cells hold overall grade words"],
        ["Court timescales are adhered to", "PERM-06", 100.0, "the wording matches PERM-06"],
    ]


def test_comment_columns_become_their_standards_comment() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("NE tracker")
    sheet.merge_range("A1:A2", "Child ref")
    sheet.merge_range("B1:B2", "Date of audit")
    sheet.write_row("C1", ["Q3 Court timescales are adhered to", "Q3 comments"])
    sheet.merge_range("C1:C2", "Q3 Court timescales are adhered to")
    sheet.merge_range("D1:D2", "Q3 comments")
    sheet.merge_range("E1:F1", "Voice")
    sheet.write_row("E2", ["The voice of the child and of the parents is evident within PPMs"])
    sheet.write("F2", "Comments")
    sheet.merge_range("G1:G2", "Social worker and team manager attend the PPM")
    sheet.merge_range("H1:H2", "Comments")
    sheet.merge_range("I1:I2", "PERM-03 notes")
    sheet.merge_range("J1:J2", "Any other comments")
    sheet.write_row("A3", ["C1", "2021-03-01", "Y", "late", "N", "ok", "Y", "x", "y", "z"])
    book.close()
    proposal = propose(
        read_trackers([Source("ne.xlsx", buffer.getvalue())]),
        _questions("permanency"),
        "permanency",
        "NE",
    )
    assert proposal.columns[["column", "header", "maps_to"]].values.tolist() == [
        ["A", "Child ref", "case_ref"],
        ["B", "Date of audit", "audit_date"],
        ["C", "Q3 Court timescales are adhered to", "PERM-06"],
        ["D", "Q3 comments", "comment on PERM-06"],
        [
            "E",
            "Voice / The voice of the child and of the parents is evident within PPMs",
            "PERM-07",
        ],
        ["F", "Voice / Comments", "comment on PERM-07"],
        ["G", "Social worker and team manager attend the PPM", "PERM-10"],
        ["H", "Comments", "comment on PERM-10"],
        ["I", "PERM-03 notes", "comment on PERM-03"],
        ["J", "Any other comments", "ignored"],
    ]
    layout = proposal.mapping.layouts[0]
    assert layout.comments == {
        "Q3 comments": "PERM-06",
        "Voice / Comments": "PERM-07",
        "Comments": "PERM-10",
        "PERM-03 notes": "PERM-03",
    }
    assert layout.quadrant == "NE"  # from the sheet's name


def test_quadrant_from_column_sheet_file_argument_or_a_problem() -> None:
    rows = [["Ref", "Date", "Court timescales are adhered to"], ["C1", "2021-03-01", "Yes"]]
    questions = _questions("permanency")

    def layout_and_problems(name: str, quadrant: str | None):
        proposal = propose(read_trackers([_csv(name, rows)]), questions, "p", "T", quadrant)
        return proposal.mapping.layouts[0].quadrant, proposal.problems["rule"].tolist()

    assert layout_and_problems("SE_permanency.csv", "NW") == ("SE", [])
    assert layout_and_problems("tracker.csv", "NW") == ("NW", [])
    assert layout_and_problems("tracker.csv", None) == (
        None,
        ["no column, sheet name or file name gives the quadrant"],
    )
    # A sheet's name comes before its workbook's.
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    for name in ("South West", "Sheet2"):
        sheet = book.add_worksheet(name)
        for number, row in enumerate(rows):
            sheet.write_row(number, 0, row)
    book.close()
    read = read_trackers([Source("NE audits.xlsx", buffer.getvalue())])
    proposal = propose(read, questions, "p", "T", "NW", team="Team 4")
    assert [(x.source, x.quadrant, x.team) for x in proposal.mapping.layouts] == [
        ("South West", "SW", "Team 4"),
        ("Sheet2", "NE", "Team 4"),
    ]


def test_every_word_seen_is_listed_and_unknown_words_are_problems() -> None:
    rows = [
        ["Ref", "Date", "Grade", "Court timescales are adhered to", "PERM-07"],
        ["C1", "2021-03-01", "RI", "Yes", "Amber"],
        ["C2", "2021-03-02", "Good", "yes", "N/A"],
        ["C3", "2021-03-03", "Good", "", "NA"],
    ]
    proposal = propose(read_trackers([_csv("NW.csv", rows)]), _questions("permanency"), "p", "T")
    assert proposal.words.values.tolist() == [
        ["answer", "Amber", 1, None, None],
        ["answer", "N/A", 1, "Not applicable", "standard words"],
        ["answer", "NA", 1, "Not applicable", "standard words"],
        ["answer", "Yes", 1, "Met", "standard words"],
        ["answer", "yes", 1, "Met", "standard words"],
        ["grade", "Good", 2, "Good", "standard words"],
        ["grade", "RI", 1, "Requires improvement", "standard words"],
    ]
    # One spelling per word in the mapping (words are matched ignoring case).
    assert proposal.mapping.answers == {
        "N/A": "Not applicable",
        "NA": "Not applicable",
        "Yes": "Met",
    }
    assert proposal.problems[["value", "rule"]].values.tolist() == [
        ["Amber", "the answer word 'Amber' (1 cells) has no standard meaning"]
    ]


def test_personal_data_is_refused_but_a_standard_saying_addresses_is_not() -> None:
    rows = [
        ["Child ref", "Child name", "DOB", "Date", "Home address",
         "Supervision develops the safety plan and addresses and reviews its action points"],
        ["C1", "Test Child", "2015-01-01", "2021-03-01", "1 Road", "Yes"],
    ]  # fmt: skip
    proposal = propose(read_trackers([_csv("NW.csv", rows)]), _questions("missing"), "m", "T")
    assert [m for m in proposal.columns["maps_to"]] == [
        "case_ref", "refused", "refused", "audit_date", "refused", "MIS-04"
    ]  # fmt: skip
    assert proposal.columns["why"].iloc[2] == (
        "the header says it holds a date of birth: delete the column from the tracker "
        "(personal data is never imported)"
    )


def test_the_four_fixture_layouts_map_with_no_edit_and_round_trip() -> None:
    read = read_trackers(
        [Source("four_quadrants.xlsx", (FIXTURES / "four_quadrants.xlsx").read_bytes())]
    )
    proposal = propose(read, _questions("permanency"), "permanency", "Four quadrants")
    assert proposal.problems.empty and proposal.ignored_sheets == [
        "Instructions (no header row in its first 20 rows)"
    ]
    assert proposal.columns.columns.tolist() == list(COLUMN_COLUMNS)
    layouts = {x.source: x for x in proposal.mapping.layouts}
    ten = {f"PERM-{n:02d}" for n in range(1, 11)}
    for source, comments, quadrant in [
        ("North West", {"PERM-07"}, "NW"),
        ("NE tracker", {"PERM-01", "PERM-07"}, "NE"),
        ("SW_permanency", set(), "SW"),
        ("SE", {"PERM-07"}, None),  # the Quadrant column gives it
    ]:
        layout = layouts[source]
        assert set(layout.standards.values()) == ten, source
        assert set(layout.comments.values()) == comments, source
        assert layout.quadrant == quadrant, source
        assert {"case_ref", "audit_date", "overall_grade"} <= set(layout.fields), source
    assert layouts["SE"].standards["Q1 The quadrant tracker gives a clear overview of the outcome, plan and tracking for a child considered at PPM"] == "PERM-04"  # fmt: skip
    assert layouts["NE tracker"].ignored == ["Case details / Auditor"]
    assert layouts["SW_permanency"].ignored == ["Next review"]
    assert parse_mapping(proposal.mapping.to_json()) == proposal.mapping
    assert proposal.words["means"].notna().all()


def test_the_likely_theme_is_the_one_whose_standards_the_headers_carry() -> None:
    every_theme = pd.read_csv(CATALOGUE, dtype=str)[["theme_id", "question_id", "text"]]
    four = read_trackers([Source("four.xlsx", (FIXTURES / "four_quadrants.xlsx").read_bytes())])
    assert likely_theme(four, every_theme) == "permanency"
    pf = every_theme[every_theme["theme_id"] == "private_fostering"]["text"].head(3).tolist()
    reworded = [f"{n}. {text.upper()} (Y/N)" for n, text in enumerate(pf, start=1)]
    tracker = _csv(
        "pf.csv", [["Child ref", "Date", *reworded], ["P-1", "01/02/2021", "Y", "N", "Y"]]
    )
    assert likely_theme(read_trackers([tracker]), every_theme) == "private_fostering"
    none = _csv("x.csv", [["Child ref", "Date", "Visits"], ["P-1", "01/02/2021", "Y"]])
    assert likely_theme(read_trackers([none]), every_theme) is None
