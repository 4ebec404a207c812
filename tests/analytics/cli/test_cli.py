"""The command line: round trips, exit codes and messages."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from paths import ROOT

from analytics.cli import main
from analytics.lake.catalog import Lake
from analytics.lake.extensions import extension_directory


def run_cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


PLAIN_REPORT = """
WITH answered AS (
    SELECT question_id, quadrant, response
    FROM plain.responses
    WHERE theme_id = 'permanency' AND round_id = '2020-04-final'
),
areas AS (
    SELECT question_id, quadrant, response FROM answered
    UNION ALL
    SELECT question_id, 'County', response FROM answered
)
SELECT question_id, quadrant,
       count(*) FILTER (WHERE response <> 'Not applicable') AS n,
       count(*) FILTER (WHERE response = 'Met') AS met,
       count(*) FILTER (WHERE response = 'Partially met') AS partially_met,
       count(*) FILTER (WHERE response = 'Not met') AS not_met,
       count(*) FILTER (WHERE response = 'Met')
           / count(*) FILTER (WHERE response <> 'Not applicable') AS pct_met
FROM areas
GROUP BY question_id, quadrant
ORDER BY question_id, list_position(['NW', 'NE', 'SW', 'SE', 'County'], quadrant)
"""


def test_report_csv_is_what_plain_duckdb_computes(sample_dir):
    code, out = run_cli("report", "--theme", "permanency", "--format", "csv",
                        "--data-dir", str(sample_dir))  # fmt: skip
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 10 * 5  # every question x the four quadrants and the county
    assert set(table["theme_id"]) == {"permanency"}
    assert set(table["round_id"]) == {"2020-04-final"}
    # Plain DuckDB, as the README attaches the store: the extensions from their wheels, read-only.
    con = duckdb.connect(config={"extension_directory": str(extension_directory())})
    con.execute("LOAD ducklake; LOAD sqlite_scanner")
    con.execute(
        f"ATTACH 'ducklake:sqlite:{sample_dir}/catalog.sqlite' AS plain "
        f"(DATA_PATH '{sample_dir}/files/', OVERRIDE_DATA_PATH true, READ_ONLY)"
    )
    plain = con.sql(PLAIN_REPORT).df()
    columns = ["question_id", "quadrant", "n", "met", "partially_met", "not_met", "pct_met"]
    pd.testing.assert_frame_equal(table[columns], plain[columns], check_dtype=False)
    county = table[(table["quadrant"] == "County") & (table["question_id"] == "PERM-05")]
    assert county[["n", "met"]].values.tolist() == [[61, 20]]  # the seed's 61 cases; 33% met


def test_report_json_and_quadrant_filter(sample_dir):
    code, out = run_cli("report", "--theme", "private_fostering", "--quadrant", "NE",
                        "--format", "json", "--data-dir", str(sample_dir))  # fmt: skip
    assert code == 0
    records = json.loads(out)
    assert {r["quadrant"] for r in records} == {"NE"}
    assert len(records) == 15


def test_report_table(sample_dir):
    code, out = run_cli("report", "--theme", "missing", "--data-dir", str(sample_dir))
    assert code == 0 and "MIS-10" in out


def test_bad_theme_exits_2_with_message(sample_dir, capsys):
    code = main(["report", "--theme", "nope", "--data-dir", str(sample_dir)])
    assert code == 2
    assert "Unknown theme 'nope'" in capsys.readouterr().err


def test_generate_via_subprocess(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "generate", "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "271 cases, 3179 responses" in result.stdout


def _data_file(data_dir, table: str, inside: str = "") -> Path:
    """Return the one data file of a table (in a partition) as the store's catalog lists it."""
    lake = Lake(data_dir)
    try:
        (path,) = [f for f in lake.files_at(lake.latest_snapshot())[table] if inside in f]
    finally:
        lake.close()
    return Path(path)


def test_report_on_a_damaged_store_exits_2_naming_the_directory(tiny_dir, capsys):
    damaged = _data_file(tiny_dir, "themes")
    damaged.write_bytes(b"not parquet")
    code = main(["report", "--theme", "alpha", "--data-dir", str(tiny_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: The audit store at {tiny_dir} could not be opened")
    assert str(damaged) in err
    assert "Traceback" not in err


def test_report_in_a_subprocess_on_a_damaged_round_exits_2(tiny_dir):
    _data_file(tiny_dir, "response_counts", "round_id=r2/").write_bytes(b"not parquet")
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "report", "--theme", "alpha",
         "--data-dir", str(tiny_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: The audit store at {tiny_dir} has an unreadable file for alpha round r2"
    )
    assert "Traceback" not in result.stderr
    earlier = subprocess.run(
        [sys.executable, "-m", "analytics", "report", "--theme", "alpha", "--round", "r1",
         "--format", "csv", "--data-dir", str(tiny_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert earlier.returncode == 0, earlier.stderr  # the other round still answers
    assert "alpha,r1,Q1,County,2,0,0,2,0.0" in earlier.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--theme", "permanency", "--team", "Nobody"],
         "error: Unknown team 'Nobody' for theme permanency. Allowed: Family Safeguarding, "
         "Looked After.\n"),
        (["--theme", "placement_stability"],
         "error: Theme placement_stability (Placement stability) has no audited round yet, so "
         "there is nothing to report. Planned: 2020-underway (Underway (2020), April "
         "2020–September 2020).\n"),
        (["--theme", "permanency", "--round", "2020-10-rereview"],
         "error: Round 2020-10-rereview (Re-review (about 6 months on), September 2020–October "
         "2020) of theme permanency is planned: it has no audit results yet. Rounds with "
         "results: 2020-01-interim, 2020-04-final.\n"),
        (["--theme", "permanency", "--round", "zzz"],
         "error: Unknown round 'zzz' for theme permanency. Allowed: 2020-01-interim, "
         "2020-04-final, 2020-10-rereview.\n"),
    ],
)  # fmt: skip
def test_report_refuses_what_would_print_nothing(sample_dir, capsys, args, message):
    code = main(["report", *args, "--data-dir", str(sample_dir)])
    captured = capsys.readouterr()
    assert (code, captured.err, captured.out) == (2, message, "")


def test_report_for_a_team(sample_dir):
    code, out = run_cli("report", "--theme", "pathway_planning", "--team", "CWD", "--quadrant",
                        "NW", "--format", "csv", "--data-dir", str(sample_dir))  # fmt: skip
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and set(table["quadrant"]) == {"NW"}
    # NW's CWD team: cohorts.csv gives it 2 plans, so 2 answers to PP-01 (none not applicable).
    assert table.loc[table["question_id"] == "PP-01", "n"].tolist() == [2]


def test_generate_never_replaces_a_file_given_as_the_data_dir(tmp_path, capsys):
    from analytics.cli import main

    precious = tmp_path / "round.xlsx"
    precious.write_bytes(b"a workbook")
    assert main(["generate", "--data-dir", str(precious)]) == 2
    assert "is a file, not an audit store folder" in capsys.readouterr().err
    assert precious.read_bytes() == b"a workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["round.xlsx"]  # nothing made beside it


def test_an_os_error_is_a_message_not_a_traceback(tiny_dir, tmp_path, capsys):
    from analytics.cli import main

    folder = tmp_path / "out"
    folder.mkdir()
    code = main(
        [
            "export",
            "--theme",
            "alpha",
            "--format",
            "csv",
            "--out",
            str(folder / "x" / "y.csv"),
            "--data-dir",
            str(tiny_dir),
        ]
    )
    assert code == 2 and "Traceback" not in capsys.readouterr().err


def test_several_quadrants_after_one_option_or_repeated(tiny_dir, capsys):
    from analytics.cli import main

    outputs = []
    for quadrant_args in (["--quadrant", "NW", "NE"], ["--quadrant", "NW", "--quadrant", "NE"]):
        assert (
            main(
                [
                    "report",
                    "--theme",
                    "alpha",
                    "--format",
                    "csv",
                    *quadrant_args,
                    "--data-dir",
                    str(tiny_dir),
                ]
            )
            == 0
        )
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert sorted({line.split(",")[3] for line in outputs[0].splitlines()[1:]}) == ["NE", "NW"]


def test_a_reader_that_stops_reading_ends_the_command_quietly(sample_dir):
    # `… | head -1`: the command ends as a process ended by SIGPIPE does (141), and prints no
    # error for a pipe its reader closed.
    command = [sys.executable, "-m", "analytics", "sql", "SELECT * FROM responses"]
    command += ["--format", "csv", "--data-dir", str(sample_dir)]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    ) as child:  # fmt: skip
        first = child.stdout.readline()
        child.stdout.close()  # as head does, after its line
        err = child.stderr.read()
        code = child.wait(timeout=60)
    assert first == "audit_id,theme_id,round_id,question_id,response,comment,quadrant,team\n"
    assert (code, err) == (141, "")
