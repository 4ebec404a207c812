"""The command line for a QA team's own tracker: map, ingest --mapping/--round, mappings."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from paths import TESTS

from analytics.cli import main
from analytics.ingest.trackers.model import TrackerMapping, parse_mapping
from analytics.ingest.trackers.saved import save_mapping, saved_mappings
from analytics.lake.catalog import Lake
from analytics.store import Store
from tests.ingest_helpers import ANALYST

FIXTURES = TESTS / "fixtures" / "trackers"
SW_CSV = FIXTURES / "SW_permanency.csv"
QUESTIONS = [f"PERM-{n:02d}" for n in range(1, 11)]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sw_mapping(name: str = "SW permanency tracker") -> TrackerMapping:
    """The South West CSV's mapping, written by hand: its headers in file order, the ten standard
    columns in PERM-01..10 order (README of the fixtures)."""
    with SW_CSV.open(encoding="utf-8", newline="") as handle:
        headers = next(csv.reader(handle))
    standards = dict(zip(headers[4:14], QUESTIONS, strict=True))
    return TrackerMapping(
        name=name,
        theme_id="permanency",
        layouts=[
            {
                "source": "SW_permanency.csv",
                "headers": headers,
                "fields": {"case_ref": "Case Reference", "team": "Team",
                           "audit_date": "Audited on", "overall_grade": "Overall Grade"},
                "standards": standards,
                "ignored": ["Next review"],
                "quadrant": "SW",
            }
        ],
    )  # fmt: skip


def answers(data_dir: Path, round_id: str) -> dict[str, int]:
    store = Store(data_dir)
    try:
        frame = store.query(
            "SELECT response, count(*) AS n FROM responses WHERE theme_id = 'permanency' "
            "AND round_id = $round GROUP BY response ORDER BY response",
            {"round": round_id},
        )
    finally:
        store.close()
    return dict(zip(frame["response"], frame["n"].astype(int), strict=True))


# Counted by hand from the SW rows (tests/fixtures/trackers/make_trackers.py, SW_ROWS).
SW_ANSWERS = {"Met": 22, "Not applicable": 5, "Not met": 16, "Partially met": 17}


def test_ingest_with_a_mapping_file_imports_the_tracker_and_saves_the_mapping(tmp_path, capsys):
    data_dir = tmp_path / "store"
    mapping_file = tmp_path / "sw.json"
    mapping_file.write_text(sw_mapping().to_json(), encoding="utf-8")
    code, out, err = run(capsys, "ingest", SW_CSV, "--mapping", mapping_file, "--round",
                         "2021-03", "--data-dir", data_dir)  # fmt: skip
    assert (code, err) == (0, "")
    assert "Importing with the mapping 'SW permanency tracker' (file)." in out
    assert "6 cases, 60 responses" in out
    assert "Columns ignored (neither mapped nor refused), not imported: " in out
    assert "Next review" in out
    assert answers(data_dir, "2021-03") == SW_ANSWERS
    assert saved_mappings(data_dir) == [sw_mapping()]
    # the same file, mapping and round again: already imported, nothing changes
    code, out, _ = run(capsys, "ingest", SW_CSV, "--mapping", "sw permanency tracker",
                       "--round", "2021-03", "--data-dir", data_dir)  # fmt: skip
    assert code == 0
    assert "(saved in the store)" in out and "is already imported as imp-0001" in out


def test_a_tracker_whose_layout_is_saved_imports_with_no_mapping(tmp_path, capsys):
    data_dir = tmp_path / "store"
    mapping_file = tmp_path / "sw.json"
    mapping_file.write_text(sw_mapping().to_json(), encoding="utf-8")
    assert run(capsys, "ingest", SW_CSV, "--mapping", mapping_file, "--round", "2021-03",
               "--data-dir", data_dir)[0] == 0  # fmt: skip
    renamed = tmp_path / "South West April.csv"  # next round's file, renamed; same layout
    renamed.write_bytes(SW_CSV.read_bytes().replace(b"2021-03-", b"2021-04-"))
    code, out, err = run(capsys, "ingest", renamed, "--round", "2021-04", "--data-dir", data_dir)
    assert (code, err) == (0, "")
    assert out.startswith(
        "Recognised the layout of the saved mapping 'SW permanency tracker': importing with it."
    )
    assert answers(data_dir, "2021-04") == SW_ANSWERS
    # mapping it again for the stored round says it holds the SW cases (replaced only on purpose)
    code, out, _ = run(capsys, "map", renamed, "--theme", "permanency", "--round", "2021-03",
                       "--out", tmp_path / "again.json", "--name", "SW Permanency Tracker",
                       "--data-dir", data_dir)  # fmt: skip
    assert code == 0
    assert (
        "Round 2021-03: stored with 6 cases; importing into it replaces them only with --replace "
        "(import every quadrant's tracker of the round together)."
    ) in out.splitlines()
    assert "This layout is that of the saved mapping 'SW permanency tracker'" in out
    assert (
        "A mapping called 'SW permanency tracker' is already saved in the store: importing with "
        "this one replaces it (or choose another --name)."
    ) in out
    # No --round: the stored round holding its audit dates (2021-04), so the same import again.
    code, out, err = run(capsys, "ingest", renamed, "--data-dir", data_dir)
    assert (code, err) == (0, "")
    assert "is already imported as imp-0002 (an identical file): nothing changed." in out


def test_a_layout_with_a_column_added_is_offered_with_the_differences(tmp_path, capsys):
    data_dir = tmp_path / "store"
    mapping_file = tmp_path / "sw.json"
    mapping_file.write_text(sw_mapping().to_json(), encoding="utf-8")
    assert run(capsys, "ingest", SW_CSV, "--mapping", mapping_file, "--round", "2021-03",
               "--data-dir", data_dir)[0] == 0  # fmt: skip
    lines = SW_CSV.read_text(encoding="utf-8").splitlines()
    wider = tmp_path / "sw_wider.csv"
    wider.write_text("\r\n".join([lines[0] + ",Social worker"] + [r + ",x" for r in lines[1:]]))
    code, out, err = run(capsys, "ingest", wider, "--round", "2021-04", "--data-dir", data_dir)
    assert code == 2 and out == ""
    assert (
        "error: The layout is close to the saved mapping 'SW permanency tracker', but differs: "
        "sw_wider.csv: added Social worker." in err
    )
    assert "--mapping 'SW permanency tracker' --round 2021-04" in err
    assert f"python -m analytics map {wider} --theme permanency --round 2021-04" in err
    assert answers(data_dir, "2021-04") == {}


def test_a_tracker_with_no_saved_mapping_is_told_to_map_it_first(tmp_path, capsys):
    code, out, err = run(capsys, "ingest", SW_CSV, "--round", "2021-03", "--data-dir",
                         tmp_path / "store")  # fmt: skip
    assert code == 2 and out == ""
    assert "is not the import template (no cases or responses sheet) and no saved mapping" in err
    assert f"python -m analytics map {SW_CSV} --theme THEME --round 2021-03" in err
    assert not (tmp_path / "store").exists()


def test_without_round_the_round_is_named_from_the_audit_dates_and_refused_for_the_template(
    tmp_path, capsys
):
    mapping_file = tmp_path / "sw.json"
    mapping_file.write_text(sw_mapping().to_json(), encoding="utf-8")
    code, out, err = run(capsys, "ingest", SW_CSV, "--mapping", mapping_file, "--data-dir",
                         tmp_path / "store")  # fmt: skip
    assert (code, err) == (0, "")
    assert "  permanency / 2021-03: new round (6 cases)" in out.splitlines()  # March 2021 audits
    assert answers(tmp_path / "store", "2021-03") == SW_ANSWERS
    code, out, _ = run(capsys, "ingest", SW_CSV, "--mapping", mapping_file, "--round", "2021-03",
                       "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 0 and "is already imported as imp-0001" in out
    shutil.rmtree(tmp_path / "store")
    code, _, err = run(capsys, "ingest", FIXTURES / "same_round_template.xlsx", "--round",
                       "2021-03", "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 2
    assert "--round is for a tracker (with --mapping); the template's rounds are given" in err
    assert not (tmp_path / "store").exists()


def test_a_damaged_or_unknown_mapping_exits_2_with_every_reason(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    document = json.loads(sw_mapping().to_json())
    document["answers"] = {"Yes": "Fine"}
    document["layouts"][0]["quadrant"] = "Middle"
    broken.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = run(capsys, "ingest", SW_CSV, "--mapping", broken, "--round", "2021-03",
                         "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 2 and out == ""
    assert err.startswith("error: the mapping broken.json cannot be used:\n")
    assert "  layouts.0.quadrant: Input should be 'NW', 'NE', 'SW' or 'SE'" in err
    assert "  answers.Yes: Input should be 'Met', 'Partially met', 'Not met' or" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "ingest", SW_CSV, "--mapping", "No such tracker", "--round",
                       "2021-03", "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 2
    assert err == (
        "error: No saved mapping is called 'No such tracker'. Saved mappings: none yet.\n"
    )


def test_mappings_lists_the_saved_ones_prints_one_and_reports_a_damaged_row(tiny_dir, capsys):
    code, out, _ = run(capsys, "mappings", "--data-dir", tiny_dir)
    assert code == 0
    assert out == (
        f"No tracker mappings saved in {tiny_dir} yet (importing a tracker saves its mapping).\n"
    )
    save_mapping(tiny_dir, sw_mapping(), ANALYST)
    save_mapping(tiny_dir, sw_mapping("An older SW tracker"), ANALYST)
    half = {"slug": ["half-written"], "name": ["half written"], "mapping": ['{"name": ']}
    lake = Lake(tiny_dir)  # a row no mapping reads from (written by hand, say)
    lake.write(lambda w: w.append("tracker_mappings", pd.DataFrame(half)), author="t", message="t")
    lake.close()
    code, out, err = run(capsys, "mappings", "--data-dir", tiny_dir)
    assert code == 0
    assert out.splitlines() == [
        "name                   theme       sheets             slug",
        "An older SW tracker    permanency  SW_permanency.csv  an-older-sw-tracker",
        "SW permanency tracker  permanency  SW_permanency.csv  sw-permanency-tracker",
    ]
    assert err.startswith("warning: a saved mapping cannot be read: half-written: not a JSON")
    for name in ("SW permanency tracker", "sw-permanency-tracker"):
        code, out, _ = run(capsys, "mappings", name, "--data-dir", tiny_dir)
        assert code == 0 and out == sw_mapping().to_json()


def test_map_refuses_an_unknown_theme_or_round_id_without_writing(tmp_path, capsys):
    out_file = tmp_path / "m.json"
    code, out, err = run(capsys, "map", SW_CSV, "--theme", "nope", "--round", "2021-03",
                         "--out", out_file, "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 2 and out == ""
    assert err.startswith("error: Unknown theme 'nope'. Allowed: permanency, ")
    code, _, err = run(capsys, "map", SW_CSV, "--theme", "permanency", "--round", "March 2021",
                       "--out", out_file, "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 2 and "--round 'March 2021' is not a round id" in err
    code, _, err = run(capsys, "map", SW_CSV, "--theme", "permanency", "--round", "2021-03",
                       "--out", SW_CSV, "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 2 and "is one of the tracker's files" in err
    assert not out_file.exists() and not (tmp_path / "store").exists()


# The four-quadrant round, counted by hand (tests/fixtures/trackers/README.md): 30 cases, 294
# answers (6 blank cells are not answered).
ROUND_ANSWERS = {"Met": 105, "Not applicable": 25, "Not met": 87, "Partially met": 77}
SHEETS = ["North West", "NE tracker", "SW_permanency", "SE"]


def mapped_line(out: str, sheet: str, column: str) -> list[str]:
    """Return the cells of the `Mapped` table's line for one sheet and column letter."""
    for line in out.splitlines():
        cells = [c for c in line.strip().split("  ") if c.strip()]
        if len(cells) > 2 and cells[0].strip() == sheet and cells[1].strip() == column:
            return [c.strip() for c in cells]
    raise AssertionError(f"no line for {sheet} {column}")


def test_map_then_ingest_then_next_round_with_no_mapping_step(tmp_path, capsys):
    data_dir, out_file = tmp_path / "store", tmp_path / "county.json"
    four = FIXTURES / "four_quadrants.xlsx"
    code, out, err = run(capsys, "map", four, "--theme", "permanency", "--round", "2021-03",
                         "--out", out_file, "--name", "County permanency trackers",
                         "--data-dir", data_dir)  # fmt: skip
    assert (code, err) == (0, "")
    mapping = parse_mapping(out_file.read_bytes())
    assert mapping.name == "County permanency trackers" and mapping.theme_id == "permanency"
    assert [layout.source for layout in mapping.layouts] == SHEETS
    assert [layout.quadrant for layout in mapping.layouts] == ["NW", "NE", "SW", None]
    assert mapping.layouts[3].fields["quadrant"] == "Quadrant"
    lines = out.splitlines()
    assert lines[0] == (
        f"Wrote the mapping 'County permanency trackers' (theme permanency) to {out_file}."
    )
    assert (
        "  North West: 14 columns, 8 rows below the header (row 4); quadrant: NW; team: none"
        in lines
    )
    assert (
        "  NE tracker: 17 columns, 7 rows below the header (row 1, 2); quadrant: NE; team: column 'Case details / Team'"
        in lines
    )
    assert (
        "  SE: 18 columns, 9 rows below the header (row 1); quadrant: column 'Quadrant'; team: column 'Team'"
        in lines
    )
    # every column but the auditor and the next-review date: 14 + 16 + 14 + 18
    assert "Mapped (62 columns):" in lines
    assert mapped_line(out, "North West", "A")[2:] == ["Child ref", "case_ref"]
    assert mapped_line(out, "North West", "K")[2:] == ["Comments", "comment on PERM-07"]
    assert mapped_line(out, "SE", "J")[2:] == ["Q3 comments", "comment on PERM-07"]
    sw_07 = mapped_line(out, "SW_permanency", "K")  # "the parents ... in PPMs": a word changed
    assert sw_07[2:4] == ["The voice of the child and the parents is evident in PPMs", "PERM-07"]
    assert 85 <= int(sw_07[4]) < 100 and sw_07[5].startswith("PERM-")
    ignored = lines.index("Ignored (not imported) (2):")
    assert [line.split()[:2] for line in lines[ignored + 2 : ignored + 4]] == [
        ["NE", "tracker"], ["SW_permanency", "D"]
    ]  # fmt: skip
    assert (
        "Sheets ignored (not imported): Instructions (no header row in its first 20 rows)" in lines
    )
    assert "Not mapped" not in out and "Refused" not in out
    words = [line.split() for line in lines[lines.index("Words seen (each word's meaning; edit "
                                                         "the mapping to change one):") + 2 :]]  # fmt: skip
    assert ["answer", "✓", "29", "Met", "standard", "words"] in words
    assert ["grade", "Req.", "Imp.", "2", "Requires", "improvement", "standard", "words"] in words
    assert lines[-1] == (
        f"  python -m analytics ingest {four} --mapping {out_file} --round 2021-03"
    )
    assert (
        lines[-3]
        == "Round 2021-03: a new round of permanency, created from the audit dates on import."
    )

    code, out, err = run(capsys, "ingest", four, "--mapping", out_file, "--round", "2021-03",
                         "--data-dir", data_dir)  # fmt: skip
    assert (code, err) == (0, "")
    assert "Imported four_quadrants.xlsx as imp-0001: 30 cases, 294 responses." in out
    assert (
        "Columns ignored (neither mapped nor refused), not imported: NE tracker: Case details / "
        "Auditor; SW_permanency: Next review\n"
        "Sheets and rows not imported: Instructions (no header row in its first 20 rows)\n"
    ) in out
    assert answers(data_dir, "2021-03") == ROUND_ANSWERS
    assert saved_mappings(data_dir) == [mapping]

    next_round = FIXTURES / "four_quadrants_2021-08.xlsx"
    code, out, err = run(capsys, "ingest", next_round, "--round", "2021-08", "--data-dir",
                         data_dir)  # fmt: skip
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        "Recognised the layout of the saved mapping 'County permanency trackers': importing "
        "with it.",
        "Imported four_quadrants_2021-08.xlsx as imp-0002: 30 cases, 294 responses.",
    ]
    assert answers(data_dir, "2021-08") == ROUND_ANSWERS

    added = FIXTURES / "four_quadrants_2021-08_added_column.xlsx"
    code, out, err = run(capsys, "ingest", added, "--round", "2021-08", "--replace",
                         "--data-dir", data_dir)  # fmt: skip
    assert code == 2 and out == ""
    assert err.startswith(
        "error: The layout is close to the saved mapping 'County permanency trackers', but "
        "differs: North West: added Review due.\n"
    )
    code, out, err = run(capsys, "ingest", added, "--round", "2021-08", "--replace", "--mapping",
                         "County permanency trackers", "--data-dir", data_dir)  # fmt: skip
    assert (code, err) == (0, "")
    assert "not imported: North West: Review due; NE tracker" in out
    assert answers(data_dir, "2021-08") == ROUND_ANSWERS


def test_map_takes_the_quadrant_and_team_given_once_for_a_file_that_does_not_say(tmp_path, capsys):
    tracker = tmp_path / "tracker.csv"  # no quadrant in the file's name nor in a column
    tracker.write_bytes(SW_CSV.read_bytes())
    out_file = tmp_path / "m.json"
    code, out, _ = run(capsys, "map", tracker, "--theme", "permanency", "--round", "2021-03",
                       "--out", out_file, "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 0
    assert (
        "  tracker.csv: 15 columns, 6 rows below the header (row 1); quadrant: none found;" in out
    )
    settle = out.split("To settle before importing (edit the mapping, or the tracker):\n")[1]
    assert "no column, sheet name or file name gives the quadrant" in settle
    assert parse_mapping(out_file.read_bytes()).layouts[0].quadrant is None
    code, out, _ = run(capsys, "map", tracker, "--theme", "permanency", "--round", "2021-03",
                       "--out", out_file, "--quadrant", "NE", "--name", "NE spare tracker",
                       "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 0 and "To settle" not in out
    assert (
        "  tracker.csv: 15 columns, 6 rows below the header (row 1); quadrant: NE; team: column 'Team'"
        in out
    )
    layout = parse_mapping(out_file.read_bytes()).layouts[0]
    assert (layout.quadrant, layout.source) == ("NE", "tracker.csv")
    code, out, _ = run(capsys, "map", FIXTURES / "north_west.xlsx", "--theme", "permanency",
                       "--round", "2021-03", "--out", out_file, "--team", "NW Looked After",
                       "--data-dir", tmp_path / "store")  # fmt: skip
    assert code == 0
    assert "(row 4); quadrant: NW; team: NW Looked After" in out
    assert parse_mapping(out_file.read_bytes()).layouts[0].team == "NW Looked After"


def test_map_runs_as_a_process_and_a_missing_file_is_a_message_not_a_traceback(tmp_path):
    def process(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "analytics", *map(str, args), "--data-dir", tmp_path / "s"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    missing = process("map", tmp_path / "absent.xlsx", "--theme", "permanency", "--round",
                      "2021-03", "--out", tmp_path / "m.json")  # fmt: skip
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.splitlines()[0] == "error: " + str(tmp_path / "absent.xlsx") + (
        " could not be read as a tracker:"
    )
    assert f"file not found: {tmp_path / 'absent.xlsx'}" in missing.stderr
    assert "Traceback" not in missing.stderr and not (tmp_path / "m.json").exists()


def test_map_lists_an_unmatched_header_and_refused_columns_and_ingest_refuses_them(
    tmp_path, capsys
):
    data_dir, out_file = tmp_path / "store", tmp_path / "m.json"
    code, out, _ = run(capsys, "map", FIXTURES / "bad_unmatched_header.xlsx", "--theme",
                       "permanency", "--round", "2021-03", "--out", out_file,
                       "--data-dir", data_dir)  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    title = lines.index(
        "Not mapped (no standard scored 85 or more with a lead of 5: add them to the mapping's "
        "standards by hand if they are standards) (1):"
    )
    row = [c.strip() for c in lines[title + 2].split("  ") if c.strip()]
    assert row[:3] == ["North West", "M", "Permanency is discussed at supervision"]
    assert int(row[3]) < 85  # its best score, shown
    mapping = parse_mapping(out_file.read_bytes())
    assert "Permanency is discussed at supervision" not in mapping.layouts[0].standards

    code, out, _ = run(capsys, "map", FIXTURES / "bad_personal_data.xlsx", "--theme",
                       "permanency", "--round", "2021-03", "--out", out_file,
                       "--data-dir", data_dir)  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    title = lines.index("Refused (never imported; each says why and what to do) (2):")
    assert [line.split()[:4] for line in lines[title + 2 : title + 4]] == [
        ["North", "West", "B", "Child"], ["North", "West", "C", "DOB"]
    ]  # fmt: skip
    code, out, err = run(capsys, "ingest", FIXTURES / "bad_personal_data.xlsx", "--mapping",
                         out_file, "--round", "2021-03", "--data-dir", data_dir)  # fmt: skip
    assert code == 2
    problems = err.splitlines()[1:]
    assert problems[0].split()[:2] == ["sheet", "row"]
    refused = [line for line in problems if "Child name" in line or "DOB" in line]
    assert [line.split()[2:4] for line in refused] == [["Child", "name"], ["DOB", "DOB"]]
    assert "Test Child" not in err  # the names are never repeated
    assert not data_dir.exists()  # a refused first import makes no store
