"""End to end: four hand-made quadrant trackers in four layouts become one round (issue 12).

The trackers are committed files (tests/fixtures/trackers, described in its README). Every
expected number below was counted BY HAND from the rows typed into them (one letter per
standard: see the README), never by the mapper: cases and answers per quadrant, Met /
Partially met / Not met / Not applicable per standard and quadrant, the comments and the blank
(not answered) cells. The same round is also committed as the import template
(same_round_template.xlsx); the two routes must give the same store.
"""

from __future__ import annotations

import csv
import hashlib
import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from ingest_helpers import ANALYST, data_rows, latest_snapshot
from paths import TESTS

from analytics.catalogue import catalogue_table
from analytics.cli import main
from analytics.ingest import Source, TrackerImport, import_files, preview
from analytics.ingest.trackers import saved
from analytics.ingest.trackers.layout import read_trackers
from analytics.ingest.trackers.model import TrackerMapping, parse_mapping
from analytics.ingest.trackers.propose import propose
from analytics.store import Store

FIXTURES = TESTS / "fixtures" / "trackers"
THEME = "permanency"
ROUND = "2021-03"
NEXT_ROUND = "2021-08"  # four_quadrants_2021-08.xlsx: every date five months on
QUADRANT_FILES = ("north_west.xlsx", "ne_tracker.xlsx", "SW_permanency.csv", "se.xlsx")
WORKBOOK = "four_quadrants.xlsx"
TEMPLATE = "same_round_template.xlsx"
MAPPING_NAME = "Permanency quadrant trackers"

# --- what the proposal must map, with no edit (sheet -> column letter -> what it maps to) -----
# Blank spacer columns (North West C and O) are not columns at all. "ignored": an auditor code
# column (joins the contract with moderation) and a date that is not the audit's.
EXPECTED_COLUMNS: dict[str, dict[str, str]] = {
    "North West": {
        "A": "case_ref", "B": "audit_date",
        "D": "PERM-01", "E": "PERM-02", "F": "PERM-03", "G": "PERM-04", "H": "PERM-05",
        "I": "PERM-06", "J": "PERM-07", "K": "comment on PERM-07", "L": "PERM-08",
        "M": "PERM-09", "N": "PERM-10", "P": "overall_grade",
    },
    "NE tracker": {
        "A": "case_ref", "B": "team", "C": "audit_date", "D": "ignored",
        "E": "PERM-01", "F": "comment on PERM-01", "G": "PERM-02", "H": "PERM-03",
        "I": "PERM-04", "J": "PERM-05", "K": "PERM-06", "L": "PERM-07",
        "M": "comment on PERM-07", "N": "PERM-08", "O": "PERM-09", "P": "PERM-10",
        "Q": "overall_grade",
    },
    "SW_permanency": {
        "A": "case_ref", "B": "team", "C": "audit_date", "D": "ignored",
        "E": "PERM-01", "F": "PERM-02", "G": "PERM-03", "H": "PERM-04", "I": "PERM-05",
        "J": "PERM-06", "K": "PERM-07", "L": "PERM-08", "M": "PERM-09", "N": "PERM-10",
        "O": "overall_grade",
    },
    "SE": {
        "A": "case_ref", "B": "quadrant", "C": "team", "D": "audit_date", "E": "gender",
        "F": "age_band", "G": "PERM-04", "H": "PERM-01", "I": "PERM-07",
        "J": "comment on PERM-07", "K": "PERM-02", "L": "PERM-10", "M": "PERM-03",
        "N": "PERM-06", "O": "PERM-09", "P": "PERM-05", "Q": "PERM-08", "R": "overall_grade",
    },
}  # fmt: skip
# The CSV file's sheet is its file name; in the workbook it is a sheet "SW_permanency".
EXPECTED_COLUMNS["SW_permanency.csv"] = EXPECTED_COLUMNS["SW_permanency"]

# Every word typed in an answer, grade, gender or quadrant cell of four_quadrants.xlsx, how often,
# and what it means. Counts by hand from the answer counts below, less the odd spellings typed
# once: Yes = NW's 30 Met less one "yes"; "No " (a trailing space) is read as No; n/a = NW's one
# + SE's 7; Y = NE's 23 Met less one "y"; Met = SW's 22 less one "Fully met"; Not met = SW's
# 16 less one "Not Met"; ✓ = SE's 30 less one ✔; Part = SE's 21 less one "Partly".
EXPECTED_WORDS = [
    ("answer", "Yes", 29, "Met"), ("answer", "yes", 1, "Met"), ("answer", "No", 23, "Not met"),
    ("answer", "Partially", 20, "Partially met"), ("answer", "N/A", 6, "Not applicable"),
    ("answer", "n/a", 8, "Not applicable"),
    ("answer", "Y", 22, "Met"), ("answer", "y", 1, "Met"), ("answer", "N", 22, "Not met"),
    ("answer", "P", 19, "Partially met"), ("answer", "NA", 6, "Not applicable"),
    ("answer", "Met", 21, "Met"), ("answer", "Fully met", 1, "Met"),
    ("answer", "Not met", 15, "Not met"), ("answer", "Not Met", 1, "Not met"),
    ("answer", "Partially met", 17, "Partially met"),
    ("answer", "Not applicable", 5, "Not applicable"),
    ("answer", "✓", 29, "Met"), ("answer", "✔", 1, "Met"), ("answer", "✗", 26, "Not met"),
    ("answer", "Part", 20, "Partially met"), ("answer", "Partly", 1, "Partially met"),
    # NW Good 3, RI 3, Inadequate 1, Outstanding 1; NE Good 2, Requires Improvement 3,
    # Inadequate 1, Outstanding 1; SW Good 2, Inadequate 1, Req. Imp. 2, Requires improvement 1;
    # SE Good 3, RI 2, Requires improvement 2, Inadequate 1, Outstanding 1.
    ("grade", "Good", 10, "Good"), ("grade", "RI", 5, "Requires improvement"),
    ("grade", "Inadequate", 4, "Inadequate"), ("grade", "Outstanding", 3, "Outstanding"),
    ("grade", "Requires Improvement", 3, "Requires improvement"),
    ("grade", "Requires improvement", 3, "Requires improvement"),
    ("grade", "Req. Imp.", 2, "Requires improvement"),
    ("gender", "F", 3, "Female"), ("gender", "Girl", 1, "Female"), ("gender", "M", 3, "Male"),
    ("gender", "Boy", 1, "Male"), ("gender", "Not recorded", 1, "Not recorded"),
    ("quadrant", "SE", 6, "SE"), ("quadrant", "South East", 3, "SE"),
]  # fmt: skip

# --- the round, by hand ------------------------------------------------------------------------
# (child_ref, quadrant, team, audit_date, gender, age_band, overall_grade), as typed.
EXPECTED_CASES = [
    ("NW-101", "NW", None, "2021-03-02", None, None, "Good"),
    ("NW-102", "NW", None, "2021-03-03", None, None, "Requires improvement"),
    ("NW-103", "NW", None, "2021-03-05", None, None, "Good"),
    ("NW-104", "NW", None, "2021-03-09", None, None, "Inadequate"),
    ("NW-105", "NW", None, "2021-03-11", None, None, "Outstanding"),
    ("NW-106", "NW", None, "2021-03-12", None, None, "Requires improvement"),
    ("NW-107", "NW", None, "2021-03-16", None, None, "Good"),
    ("NW-108", "NW", None, "2021-03-23", None, None, "Requires improvement"),
    ("NE0201", "NE", "LAC 1", "2021-03-01", None, None, "Good"),
    ("NE0202", "NE", "LAC 2", "2021-03-04", None, None, "Requires improvement"),
    ("NE0203", "NE", "LAC 1", "2021-03-08", None, None, "Inadequate"),
    ("NE0204", "NE", "Court team", "2021-03-10", None, None, "Outstanding"),
    ("NE0205", "NE", "LAC 2", "2021-03-15", None, None, "Requires improvement"),
    ("NE0206", "NE", "Court team", "2021-03-18", None, None, "Requires improvement"),
    ("NE0207", "NE", "LAC 1", "2021-03-24", None, None, "Good"),
    ("SW-301", "SW", "Children Looked After", "2021-03-02", None, None, "Good"),
    ("SW-302", "SW", "Children Looked After", "2021-03-03", None, None, "Inadequate"),
    ("SW-303", "SW", "Permanence Team", "2021-03-09", None, None, "Requires improvement"),
    ("SW-304", "SW", "Permanence Team", "2021-03-17", None, None, "Requires improvement"),
    ("SW-305", "SW", "Children Looked After", "2021-03-22", None, None, "Requires improvement"),
    ("SW-306", "SW", "Permanence Team", "2021-03-30", None, None, "Good"),
    ("SE-401", "SE", "SE Looked After", "2021-03-01", "Female", "0-4", "Good"),
    ("SE-402", "SE", "SE Looked After", "2021-03-02", "Male", "5-9", "Requires improvement"),
    ("SE-403", "SE", "SE Court", "2021-03-04", "Female", "10-15", "Requires improvement"),
    ("SE-404", "SE", "SE Court", "2021-03-10", "Male", "0-4", "Good"),
    ("SE-405", "SE", "SE Looked After", "2021-03-12", "Female", "5-9", "Inadequate"),
    ("SE-406", "SE", "SE Looked After", "2021-03-19", "Male", "0-4", "Outstanding"),
    ("SE-407", "SE", "SE Court", "2021-03-25", "Not recorded", "10-15", "Requires improvement"),
    ("SE-408", "SE", "SE Court", "2021-03-26", "Female", "5-9", "Good"),
    ("SE-409", "SE", "SE Looked After", "2021-03-31", "Male", "0-4", "Requires improvement"),
]
EXPECTED_CASES_PER_QUADRANT = {"NW": 8, "NE": 7, "SW": 6, "SE": 9}
# Answers stored: every cell but the six blank ones in SE (9 x 10 - 6).
EXPECTED_RESPONSES_PER_QUADRANT = {"NW": 80, "NE": 70, "SW": 60, "SE": 84}
NOT_ANSWERED = {
    ("SE-401", "PERM-05"), ("SE-402", "PERM-10"), ("SE-404", "PERM-04"),
    ("SE-406", "PERM-07"), ("SE-408", "PERM-08"), ("SE-409", "PERM-03"),
}  # fmt: skip
EXPECTED_COMMENTS = {
    ("NW-101", "PERM-07"): "Child's wishes recorded in the PPM notes",
    ("NW-103", "PERM-07"): "Parents' views summarised",
    ("NW-106", "PERM-07"): "No record of the child's view",
    ("NE0201", "PERM-01"): "PPM chaired by the service manager",
    ("NE0203", "PERM-07"): "No record of the parents' views",
    ("NE0205", "PERM-01"): "Meeting delayed twice",
    ("NE0207", "PERM-07"): "Child seen alone before the PPM",
    ("SE-401", "PERM-07"): "Child's voice clear in the PPM record",
    ("SE-405", "PERM-07"): "Parents not invited to the PPM",
}
# Met, Partially met, Not met, Not applicable per standard, for each quadrant (counted down
# each tracker's column by hand) ...
EXPECTED_BY_QUADRANT: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "NW": {
        "PERM-01": (4, 2, 2, 0), "PERM-02": (2, 2, 4, 0), "PERM-03": (3, 2, 2, 1),
        "PERM-04": (4, 2, 2, 0), "PERM-05": (2, 3, 3, 0), "PERM-06": (3, 0, 1, 4),
        "PERM-07": (3, 3, 2, 0), "PERM-08": (2, 2, 3, 1), "PERM-09": (2, 3, 2, 1),
        "PERM-10": (5, 1, 2, 0),
    },
    "NE": {
        "PERM-01": (3, 2, 2, 0), "PERM-02": (2, 2, 3, 0), "PERM-03": (3, 2, 2, 0),
        "PERM-04": (1, 3, 3, 0), "PERM-05": (3, 2, 2, 0), "PERM-06": (3, 0, 0, 4),
        "PERM-07": (2, 3, 2, 0), "PERM-08": (1, 1, 4, 1), "PERM-09": (1, 3, 2, 1),
        "PERM-10": (4, 1, 2, 0),
    },
    "SW": {
        "PERM-01": (3, 1, 2, 0), "PERM-02": (1, 3, 2, 0), "PERM-03": (3, 1, 2, 0),
        "PERM-04": (2, 2, 2, 0), "PERM-05": (2, 2, 2, 0), "PERM-06": (2, 0, 0, 4),
        "PERM-07": (3, 2, 1, 0), "PERM-08": (1, 2, 2, 1), "PERM-09": (2, 2, 2, 0),
        "PERM-10": (3, 2, 1, 0),
    },
    "SE": {
        "PERM-01": (4, 2, 3, 0), "PERM-02": (2, 2, 5, 0), "PERM-03": (4, 2, 2, 0),
        "PERM-04": (2, 3, 3, 0), "PERM-05": (3, 3, 2, 0), "PERM-06": (3, 0, 0, 6),
        "PERM-07": (3, 2, 3, 0), "PERM-08": (1, 3, 3, 1), "PERM-09": (3, 3, 3, 0),
        "PERM-10": (5, 1, 2, 0),
    },
}  # fmt: skip
# ... and for the round (the four quadrants added by hand).
EXPECTED_ROUND: dict[str, tuple[int, int, int, int]] = {
    "PERM-01": (14, 7, 9, 0),
    "PERM-02": (7, 9, 14, 0),
    "PERM-03": (13, 7, 8, 1),
    "PERM-04": (9, 10, 10, 0),
    "PERM-05": (10, 10, 9, 0),
    "PERM-06": (11, 0, 1, 18),
    "PERM-07": (11, 10, 8, 0),
    "PERM-08": (5, 8, 12, 4),
    "PERM-09": (8, 11, 9, 2),
    "PERM-10": (17, 5, 7, 0),
}
EXPECTED_ROUND_TOTALS = (105, 77, 87, 25)  # 294 answers
ANSWERS = ("Met", "Partially met", "Not met", "Not applicable")


def audit_id_for(case_ref: str, round_id: str = ROUND) -> str:
    """The documented rule (README and trackers.apply's docstring), written out independently."""
    digest = hashlib.sha256(f"{THEME}\n{round_id}\n{case_ref}".encode()).hexdigest()
    return "trk-" + digest[:16]


def sources(*names: str) -> list[Source]:
    return [Source(name, (FIXTURES / name).read_bytes()) for name in names]


def theme_questions() -> pd.DataFrame:
    questions = catalogue_table("questions")
    return questions[questions["theme_id"] == THEME][["question_id", "text"]].reset_index(drop=True)


def proposed(*names: str, name: str = MAPPING_NAME):
    return propose(read_trackers(sources(*names), 50), theme_questions(), THEME, name)


def tracker_import(*names: str, round_id: str = ROUND) -> TrackerImport:
    return TrackerImport(proposed(*names).mapping, round_id)


def table(data_dir: Path, name: str, round_id: str = ROUND) -> pd.DataFrame:
    """Return a round's cases, responses or rounds row as stored, sorted, dates as text."""
    order = {"cases": "audit_id", "responses": "audit_id, question_id"}.get(name, "round_id")
    store = Store(data_dir)
    try:
        frame = store.query(
            f"SELECT * FROM {name} WHERE theme_id = $theme AND round_id = $round ORDER BY {order}",
            {"theme": THEME, "round": round_id},
        )
    finally:
        store.close()
    for column in ("audit_date", "start_date", "end_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame.reset_index(drop=True)


def plain(value: object) -> object:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def answer_counts(responses: pd.DataFrame, by: list[str]) -> dict:
    counts = responses.groupby([*by, "response"]).size()
    out: dict = {}
    for key, n in counts.items():
        *group, response = key
        group_key = tuple(group) if len(group) > 1 else group[0]
        out.setdefault(group_key, [0, 0, 0, 0])[ANSWERS.index(response)] = int(n)
    return {k: tuple(v) for k, v in out.items()}


def assert_round_as_typed(data_dir: Path, round_id: str = ROUND) -> None:
    """The store holds the round exactly as typed into the trackers (whole rows). Another
    round's copy has the same rows with its dates in the round's month (2021-03-02 -> 08-02)."""
    cases = table(data_dir, "cases", round_id)
    got = [
        (
            row.child_ref, row.quadrant, plain(row.team),
            row.audit_date,
            plain(row.gender), plain(row.age_band), row.overall_grade,
        )
        for row in cases.sort_values("child_ref").itertuples()
    ]  # fmt: skip
    expected = sorted(
        (ref, q, team, round_id + date[len("2021-03") :], gender, band, grade)
        for ref, q, team, date, gender, band, grade in EXPECTED_CASES
    )
    assert got == expected
    assert list(cases["audit_id"]) == sorted(audit_id_for(r[0], round_id) for r in EXPECTED_CASES)
    assert set(cases["theme_id"]) == {THEME} and set(cases["round_id"]) == {round_id}
    assert cases["quadrant"].value_counts().to_dict() == EXPECTED_CASES_PER_QUADRANT

    responses = table(data_dir, "responses", round_id)
    assert responses["quadrant"].value_counts().to_dict() == EXPECTED_RESPONSES_PER_QUADRANT
    assert answer_counts(responses, ["question_id"]) == EXPECTED_ROUND
    for quadrant, expected_counts in EXPECTED_BY_QUADRANT.items():
        in_quadrant = responses[responses["quadrant"] == quadrant]
        assert answer_counts(in_quadrant, ["question_id"]) == expected_counts, quadrant
    assert tuple(responses["response"].value_counts()[list(ANSWERS)]) == EXPECTED_ROUND_TOTALS
    ref_of = dict(zip(cases["audit_id"], cases["child_ref"], strict=True))
    pairs = zip(responses["audit_id"], responses["question_id"], strict=True)
    answered = {(ref_of[a], q) for a, q in pairs}
    every = {(r[0], f"PERM-{n:02d}") for r in EXPECTED_CASES for n in range(1, 11)}
    assert every - answered == NOT_ANSWERED
    commented = responses[responses["comment"].map(plain).notna() & (responses["comment"] != "")]
    comments = {
        (ref_of[row.audit_id], row.question_id): row.comment for row in commented.itertuples()
    }
    assert comments == EXPECTED_COMMENTS
    # Each response carries its case's quadrant and team.
    merged = responses.merge(cases, on="audit_id", suffixes=("", "_case"))
    assert (merged["quadrant"] == merged["quadrant_case"]).all()
    assert merged["team"].map(plain).tolist() == merged["team_case"].map(plain).tolist()


def test_the_hand_counts_add_up() -> None:
    """The hand counts agree with one another (a typo in one would show here)."""
    for quadrant, per_standard in EXPECTED_BY_QUADRANT.items():
        assert (
            sum(sum(c) for c in per_standard.values())
            == (EXPECTED_RESPONSES_PER_QUADRANT[quadrant])
        )
    for question, total in EXPECTED_ROUND.items():
        parts = [EXPECTED_BY_QUADRANT[q][question] for q in EXPECTED_BY_QUADRANT]
        assert tuple(map(sum, zip(*parts, strict=True))) == total, question
    assert tuple(map(sum, zip(*EXPECTED_ROUND.values(), strict=True))) == EXPECTED_ROUND_TOTALS
    assert sum(EXPECTED_ROUND_TOTALS) + len(NOT_ANSWERED) == 10 * len(EXPECTED_CASES)
    assert pd.Series([c[1] for c in EXPECTED_CASES]).value_counts().to_dict() == (
        EXPECTED_CASES_PER_QUADRANT
    )


# --- the proposal ------------------------------------------------------------------------------


def mapped_columns(columns: pd.DataFrame, sheet: str) -> dict[str, str]:
    rows = columns[columns["sheet"] == sheet]
    return dict(zip(rows["column"], rows["maps_to"], strict=True))


def test_the_workbook_of_four_layouts_is_proposed_with_no_edit_needed() -> None:
    proposal = proposed(WORKBOOK)
    for sheet, expected in EXPECTED_COLUMNS.items():
        if sheet == "SW_permanency.csv":
            continue
        assert mapped_columns(proposal.columns, sheet) == expected, sheet
    standards = proposal.columns[proposal.columns["maps_to"].str.startswith("PERM-")]
    assert (standards["score"] >= 85).all()
    assert not (proposal.columns["maps_to"].isin(["unmatched", "refused"])).any()
    # Quadrants: North West, NE tracker and SW_permanency by name, SE by its column.
    layouts = {layout.source: layout for layout in proposal.mapping.layouts}
    assert {s: layouts[s].quadrant for s in layouts} == {
        "North West": "NW", "NE tracker": "NE", "SW_permanency": "SW", "SE": None,
    }  # fmt: skip
    assert layouts["SE"].fields["quadrant"] == "Quadrant"
    # Every word seen is listed, with how often and what it means; none is left without one.
    words = proposal.words
    seen = [(w.kind, str(w.word), int(w.count), w.means) for w in words.itertuples()]
    assert sorted(seen) == sorted(EXPECTED_WORDS)
    assert set(words["from"]) == {"standard words"}
    assert proposal.problems.empty and proposal.ignored_sheets == [
        "Instructions (no header row in its first 20 rows)"
    ]


@pytest.mark.parametrize("file_name", QUADRANT_FILES)
def test_each_quadrant_file_is_proposed_alone(file_name: str) -> None:
    proposal = proposed(file_name)
    [sheet] = proposal.columns["sheet"].unique()
    assert mapped_columns(proposal.columns, sheet) == EXPECTED_COLUMNS[sheet]


def test_the_mapping_file_round_trips() -> None:
    mapping = proposed(WORKBOOK).mapping
    again = parse_mapping(mapping.to_json().encode(), "mapping.json")
    assert again == mapping and again.digest == mapping.digest
    assert isinstance(again, TrackerMapping)


# --- one round, three routes, one store ---------------------------------------------------------


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh store loaded from the same round written as the import template."""
    data_dir = tmp_path_factory.mktemp("template") / "store"
    import_files(data_dir, sources(TEMPLATE), actor=ANALYST)
    return data_dir


def test_the_template_fixture_is_the_round_as_typed(template_store: Path) -> None:
    assert_round_as_typed(template_store)


def test_four_files_in_four_layouts_import_as_one_round(
    tmp_path: Path, template_store: Path
) -> None:
    data_dir = tmp_path / "store"
    tracker = tracker_import(*QUADRANT_FILES)
    result = import_files(data_dir, sources(*QUADRANT_FILES), actor=ANALYST, tracker=tracker)
    assert result.changed
    assert_round_as_typed(data_dir)
    for name in ("cases", "responses", "rounds"):
        pd.testing.assert_frame_equal(table(data_dir, name), table(template_store, name))
    assert table(data_dir, "rounds")[["start_date", "end_date"]].values.tolist() == [
        ["2021-03-01", "2021-03-31"]
    ]
    # The auditor codes and SW's "Next review" were listed as ignored, never imported.
    ignored = " | ".join(result.preview.ignored_columns)
    assert "Auditor" in ignored and "Next review" in ignored
    # The same files with the same mapping and round again: already imported, nothing changes.
    before, snapshot = data_rows(data_dir), latest_snapshot(data_dir)
    again = import_files(data_dir, sources(*QUADRANT_FILES), actor=ANALYST, tracker=tracker)
    assert not again.changed and again.preview.already_imported == result.import_id
    assert latest_snapshot(data_dir) == snapshot and data_rows(data_dir) == before


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> Ran:
    """Run `python -m analytics ARGS` in this process (analytics/__main__.py calls main)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return Ran(code, out.getvalue(), err.getvalue())


def test_the_workbook_through_the_command_line_reports_the_hand_counts(
    tmp_path: Path, template_store: Path
) -> None:
    data_dir, mapping = tmp_path / "store", tmp_path / "mapping.json"
    mapped = run_cli("map", str(FIXTURES / WORKBOOK), "--theme", THEME, "--round", ROUND,
                     "--out", str(mapping), "--name", MAPPING_NAME,
                     "--data-dir", str(data_dir))  # fmt: skip
    assert mapped.returncode == 0, mapped.stderr
    assert "Instructions" in mapped.stdout  # the sheet with no header row is said to be ignored
    loaded = run_cli("ingest", str(FIXTURES / WORKBOOK), "--mapping", str(mapping),
                     "--round", ROUND, "--data-dir", str(data_dir))  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert "30 cases, 294 responses" in loaded.stdout
    assert "Auditor" in loaded.stdout and "Next review" in loaded.stdout
    assert_round_as_typed(data_dir)
    for name in ("cases", "responses", "rounds"):
        pd.testing.assert_frame_equal(table(data_dir, name), table(template_store, name))

    report = run_cli("report", "--theme", THEME, "--round", ROUND, "--format", "csv",
                     "--data-dir", str(data_dir))  # fmt: skip
    assert report.returncode == 0, report.stderr
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    got = {
        (r["question_id"], r["quadrant"]): (int(r["n"]), int(r["met"]),
                                            int(r["partially_met"]), int(r["not_met"]))
        for r in rows
    }  # fmt: skip
    expected = {}
    for quadrant, per_standard in EXPECTED_BY_QUADRANT.items():
        for question, (met, partly, not_met, _na) in per_standard.items():
            expected[(question, quadrant)] = (met + partly + not_met, met, partly, not_met)
    for question, (met, partly, not_met, _na) in EXPECTED_ROUND.items():
        expected[(question, "County")] = (met + partly + not_met, met, partly, not_met)
    assert got == expected
    assert {(r["theme_id"], r["round_id"]) for r in rows} == {(THEME, ROUND)}
    for r in rows:
        assert float(r["pct_met"]) == pytest.approx(int(r["met"]) / int(r["n"]))

    # Next round: the same layouts, dates five months on. Recognised by the saved mapping: no
    # mapping step; the round comes from the audit dates (library) or is given (--round).
    next_file = FIXTURES / f"four_quadrants_{NEXT_ROUND}.xlsx"
    checked = preview(data_dir, [next_file])
    assert checked.ok, checked.problems
    assert MAPPING_NAME in (checked.mapping_note or "")
    assert checked.rounds[["round_id", "cases"]].values.tolist() == [[NEXT_ROUND, 30]]
    next_round = run_cli("ingest", str(next_file), "--round", NEXT_ROUND,
                         "--data-dir", str(data_dir))  # fmt: skip
    assert next_round.returncode == 0, next_round.stderr
    assert MAPPING_NAME in next_round.stdout
    assert_round_as_typed(data_dir, NEXT_ROUND)
    assert len(table(data_dir, "cases", ROUND)) == 30  # the first round is untouched


def test_a_layout_with_a_column_added_is_offered_the_saved_mapping(tmp_path: Path) -> None:
    data_dir = tmp_path / "store"
    import_files(data_dir, sources(WORKBOOK), actor=ANALYST, tracker=tracker_import(WORKBOOK))
    [mapping] = saved.saved_mappings(data_dir)
    assert mapping.name == MAPPING_NAME
    added = read_trackers(sources(f"four_quadrants_{NEXT_ROUND}_added_column.xlsx"), 50)
    recognition = saved.recognise(added, [mapping])
    assert recognition.mapping == mapping and not recognition.exact
    differences = recognition.differences
    assert differences[["sheet", "added", "removed"]].values.tolist() == [
        ["North West", "Review due", ""]
    ]
    # Not imported without a person's say: the tracker must be mapped (or the mapping chosen).
    checked = preview(data_dir, sources(f"four_quadrants_{NEXT_ROUND}_added_column.xlsx"))
    assert not checked.ok and "Review due" in " ".join(checked.problems["rule"])


# --- bad trackers -------------------------------------------------------------------------------


def problems_of(file_name: str, tmp_path: Path, mapping: TrackerMapping | None = None):
    mapping = mapping or proposed(file_name, name=file_name).mapping
    checked = preview(tmp_path / "store", sources(file_name),
                      tracker=TrackerImport(mapping, ROUND))  # fmt: skip
    return checked


def test_a_header_that_is_no_standard_is_unmatched_never_guessed(tmp_path: Path) -> None:
    proposal = proposed("bad_unmatched_header.xlsx")
    columns = proposal.columns.set_index("column")
    assert columns.loc["M", "header"] == "Permanency is discussed at supervision"
    assert columns.loc["M", "maps_to"] == "unmatched"
    assert columns.loc["M", "score"] < 85
    assert list(columns.loc[list("CDEFGHIJKL"), "maps_to"]) == [
        f"PERM-{n:02d}" for n in range(1, 11)
    ]
    checked = problems_of("bad_unmatched_header.xlsx", tmp_path, proposal.mapping)
    assert checked.ok, checked.problems
    assert dict(checked.counts.values.tolist())["responses"] == 20
    assert any("Permanency is discussed at supervision" in c for c in checked.ignored_columns)


def test_personal_data_columns_are_refused(tmp_path: Path) -> None:
    proposal = proposed("bad_personal_data.xlsx")
    columns = proposal.columns.set_index("column")
    assert columns.loc[["B", "C"], "maps_to"].tolist() == ["refused", "refused"]
    problems = problems_of("bad_personal_data.xlsx", tmp_path, proposal.mapping).problems
    refused = problems[problems["column"].isin(["Child name", "DOB"])]
    assert sorted(refused["column"]) == ["Child name", "DOB"]
    assert set(refused["sheet"]) == {"North West"}
    assert "name" in refused.set_index("column").loc["Child name", "rule"]
    assert "date of birth" in refused.set_index("column").loc["DOB", "rule"]
    # The values are never repeated in a problem.
    assert not problems["value"].astype(str).str.contains("Test Child").any()


def test_an_answer_word_with_no_meaning_is_a_problem(tmp_path: Path) -> None:
    problems = problems_of("bad_answer_word.xlsx", tmp_path).problems
    assert problems[["sheet", "row", "column", "value"]].values.tolist() == [
        ["North West", 3, "4. The quadrant tracker gives a clear overview of the outcome, plan "
         "and tracking for a child considered at PPM", "Maybe"]
    ]  # fmt: skip


def test_impossible_dates_and_two_digit_years_are_problems(tmp_path: Path) -> None:
    problems = problems_of("bad_dates.xlsx", tmp_path).problems
    assert problems[["sheet", "row", "column", "value"]].values.tolist() == [
        ["North West", 2, "Date of audit", "30/02/2021"],
        ["North West", 3, "Date of audit", "05/03/21"],
    ]
    assert "calendar" in problems["rule"].iloc[0] and "two digits" in problems["rule"].iloc[1]


def test_a_numeric_scale_needs_a_stated_mapping(tmp_path: Path) -> None:
    proposal = proposed("bad_numeric_scale.xlsx")
    answers = proposal.words[proposal.words["kind"] == "answer"]
    assert sorted(answers["word"].astype(str)) == ["1", "2", "3", "4"]
    assert answers["means"].isna().all()
    problems = problems_of("bad_numeric_scale.xlsx", tmp_path, proposal.mapping).problems
    assert set(problems["row"]) == {2, 3}
    assert set(problems["value"].astype(str)) == {"1", "2", "3", "4"}
    # Stated: 1 Met, 2 Partially met, 3 Not met, 4 Not applicable. Row 2 is 1,2,3,4,1,2,3,4,1,2
    # (3 Met, 3 Partially met, 2 Not met, 2 Not applicable); row 3 is ten 4s.
    scale = {"1": "Met", "2": "Partially met", "3": "Not met", "4": "Not applicable"}
    stated = TrackerMapping.model_validate({**proposal.mapping.model_dump(), "answers": scale})
    data_dir = tmp_path / "stated"
    import_files(data_dir, sources("bad_numeric_scale.xlsx"), actor=ANALYST,
                 tracker=TrackerImport(stated, ROUND))  # fmt: skip
    responses = table(data_dir, "responses")
    assert responses["response"].value_counts().to_dict() == {
        "Not applicable": 12, "Met": 3, "Partially met": 3, "Not met": 2,
    }  # fmt: skip


def test_audit_dates_outside_the_stored_round_are_problems(tmp_path: Path) -> None:
    """The March trackers given the seed's planned round 2020-10-rereview (1 September to 31
    October 2020): every case's date is a problem, at its own sheet, Excel row and header."""
    mapping = proposed(WORKBOOK).mapping
    checked = preview(tmp_path / "store", sources(WORKBOOK),
                      tracker=TrackerImport(mapping, "2020-10-rereview"))  # fmt: skip
    problems = checked.problems
    rows = {sheet: sorted(frame["row"]) for sheet, frame in problems.groupby("sheet")}
    assert rows == {
        "North West": list(range(5, 13)), "NE tracker": list(range(3, 10)),
        "SW_permanency": list(range(2, 8)), "SE": list(range(2, 11)),
    }  # fmt: skip
    columns = problems.groupby("sheet")["column"].unique().map(list).to_dict()
    assert columns == {
        "North West": ["Date of audit"], "NE tracker": ["Case details / Date of audit"],
        "SW_permanency": ["Audited on"], "SE": ["Date"],
    }  # fmt: skip
    assert problems["rule"].str.contains("outside round 2020-10-rereview").all()
    first = problems.drop_duplicates("sheet").set_index("sheet")["value"].to_dict()
    # As typed: UK text, a real Excel date (read as ISO), ISO text, d/m/yyyy text.
    assert first == {
        "North West": "02/03/2021", "NE tracker": "2021-03-01", "SW_permanency": "2021-03-02",
        "SE": "1/3/2021",
    }  # fmt: skip


def test_a_standard_worded_with_addresses_maps_but_an_address_column_is_refused(
    tmp_path: Path,
) -> None:
    """MIS-04's wording holds "addresses" (a verb): it maps and imports; a column headed
    "Home address" beside it is personal data and refused, mapped or not."""
    rows = [
        "Child ref,Date of audit,Supervision develops the safety plan and addresses and reviews "
        "its action points (Y/N),Key information is recorded consistently within the missing "
        "episode,Home address",
        "M-1,03/05/2021,Yes,No,1 Any Street",
        "M-2,04/05/2021,Partially,N/A,2 Any Street",
    ]
    source = Source("NE_missing.csv", ("\n".join(rows) + "\n").encode())
    questions = catalogue_table("questions")
    missing = questions[questions["theme_id"] == "missing"][["question_id", "text"]]
    proposal = propose(read_trackers([source], 50), missing, "missing", "NE missing tracker")
    maps_to = dict(zip(proposal.columns["header"], proposal.columns["maps_to"], strict=True))
    assert [maps_to[h] for h in proposal.columns["header"]] == [
        "case_ref", "audit_date", "MIS-04", "MIS-02", "refused",
    ]  # fmt: skip
    checked = preview(tmp_path / "store", [source],
                      tracker=TrackerImport(proposal.mapping, "2021-05"))  # fmt: skip
    refused = checked.problems
    assert refused[["sheet", "column"]].values.tolist() == [["NE_missing.csv", "Home address"]]
    assert refused["row"].isna().all()  # the whole column
    assert "an address" in refused["rule"].iloc[0]
    assert not refused["value"].astype(str).str.contains("Any Street").any()
    # Without the address column the same tracker imports: 2 cases, 4 answers (N/A is one).
    kept = [",".join(line.split(",")[:4]) for line in rows]
    clean = Source("NE_missing.csv", ("\n".join(kept) + "\n").encode())
    mapping = propose(read_trackers([clean], 50), missing, "missing", "NE missing").mapping
    result = import_files(tmp_path / "store", [clean], actor=ANALYST,
                          tracker=TrackerImport(mapping, "2021-05"))  # fmt: skip
    assert dict(result.preview.counts.values.tolist())["responses"] == 4
    assert dict(result.preview.counts.values.tolist())["cases"] == 2


def test_a_column_of_auditors_names_is_refused_even_when_the_mapping_ignores_it(
    tmp_path: Path,
) -> None:
    """Auditors are pseudonymous: codes (A12) are ignored, names are refused, whatever the
    mapping says (here a hand-edited one that lists the column as ignored)."""
    wording = theme_questions().set_index("question_id")["text"]
    header = f"Child ref,Date of audit,Quadrant,{wording['PERM-01']},Auditor"

    def tracker(auditors: tuple[str, str]) -> Source:
        rows = [
            header,
            f"P-1,01/03/2021,NW,Yes,{auditors[0]}",
            f"P-2,02/03/2021,NE,No,{auditors[1]}",
        ]
        return Source("tracker.csv", ("\n".join(rows) + "\n").encode())

    codes, names = tracker(("A12", "B07")), tracker(("Sam Field", "Jo Marsh"))
    mapping = propose(read_trackers([codes], 50), theme_questions(), THEME, "P").mapping
    assert mapping.layouts[0].ignored == ["Auditor"]
    assert preview(tmp_path / "store", [codes], tracker=TrackerImport(mapping, ROUND)).ok
    refused = preview(tmp_path / "store", [names], tracker=TrackerImport(mapping, ROUND)).problems
    assert refused[["sheet", "column", "value"]].values.tolist() == [
        ["tracker.csv", "Auditor", "Auditor"]
    ]
    assert "auditors' names" in refused["rule"].iloc[0]
    assert not refused.astype(str).apply(lambda c: c.str.contains("Marsh")).any().any()
    by_name = propose(read_trackers([names], 50), theme_questions(), THEME, "P").columns
    assert by_name.set_index("header").loc["Auditor", "maps_to"] == "refused"


def test_renamed_quadrant_files_next_round_keep_their_own_quadrants(tmp_path: Path) -> None:
    """Two quadrants' CSVs with the same headers; next round both files are renamed. Each is
    recognised, and each case keeps the quadrant its own file's name gives."""
    wording = theme_questions().set_index("question_id")["text"]
    header = f"Child ref,Date of audit,{wording['PERM-01']},{wording['PERM-02']}"

    def csv_file(name: str, day: str, refs: tuple[str, ...]) -> Source:
        rows = [header, *(f"{ref},{day},Yes,No" for ref in refs)]
        return Source(name, ("\n".join(rows) + "\n").encode())

    store = tmp_path / "store"
    first = [csv_file("NW_tracker.csv", "02/03/2021", ("W-1", "W-2")),
             csv_file("NE_tracker.csv", "03/03/2021", ("E-1",))]  # fmt: skip
    mapping = propose(read_trackers(first, 50), theme_questions(), THEME, "Two quadrants").mapping
    assert [layout.quadrant for layout in mapping.layouts] == ["NW", "NE"]
    import_files(store, first, actor=ANALYST, tracker=TrackerImport(mapping, ROUND))
    later = [csv_file("NW tracker Feb.csv", "02/02/2022", ("W-3",)),
             csv_file("NE tracker Feb.csv", "03/02/2022", ("E-2", "E-3"))]  # fmt: skip
    result = import_files(store, later, actor=ANALYST)  # recognised: no mapping given
    assert result.changed and "Two quadrants" in (result.preview.mapping_note or "")
    cases = table(store, "cases", "2022-02")
    assert sorted(zip(cases["child_ref"], cases["quadrant"], strict=True)) == [
        ("E-2", "NE"), ("E-3", "NE"), ("W-3", "NW"),
    ]  # fmt: skip


def test_a_column_of_peoples_names_is_refused_a_team_column_is_a_team(tmp_path: Path) -> None:
    """ "Social Worker" holding names is refused even though the mapping ignores it; "Social
    Worker Team" holding team names is the team field (proposed with no edit)."""
    wording = theme_questions().set_index("question_id")["text"]
    header = (
        f"Child ref,Date of audit,Quadrant,Social Worker Team,{wording['PERM-01']},Social Worker"
    )
    rows = [header, "P-1,01/03/2021,NW,Looked After,Yes,Sam Field",
            "P-2,02/03/2021,NE,Care Leavers,No,Jo Marsh"]  # fmt: skip
    source = Source("tracker.csv", ("\n".join(rows) + "\n").encode())
    proposal = propose(read_trackers([source], 50), theme_questions(), THEME, "P")
    maps_to = proposal.columns.set_index("header")["maps_to"]
    assert maps_to[["Social Worker Team", "Social Worker"]].tolist() == ["team", "refused"]
    kept = proposal.mapping.model_copy(
        update={
            "layouts": [
                proposal.mapping.layouts[0].model_copy(update={"ignored": ["Social Worker"]})
            ]
        }
    )
    problems = preview(tmp_path / "store", [source], tracker=TrackerImport(kept, ROUND)).problems
    assert problems[["column", "value"]].values.tolist() == [["Social Worker", "Social Worker"]]
    assert "people's names" in problems["rule"].iloc[0]


def test_a_row_filled_only_in_columns_not_imported_is_listed_never_dropped_silently(
    tmp_path: Path,
) -> None:
    wording = theme_questions().set_index("question_id")["text"]
    rows = [f"Child ref,Date of audit,Quadrant,{wording['PERM-01']},Auditor",
            "P-1,01/03/2021,NW,Yes,A01", "P-2,02/03/2021,NE,No,A02", ",,,,A03"]  # fmt: skip
    source = Source("tracker.csv", ("\n".join(rows) + "\n").encode())
    mapping = propose(read_trackers([source], 50), theme_questions(), THEME, "P").mapping
    checked = preview(tmp_path / "store", [source], tracker=TrackerImport(mapping, ROUND))
    assert checked.ok and dict(checked.counts.values.tolist())["cases"] == 2
    assert checked.ignored_sheets == ["tracker.csv: row 4 (only columns not imported are filled)"]
