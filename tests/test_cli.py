"""The command line: round trips, exit codes and messages."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout

import pandas as pd

from analytics import queries
from analytics.cli import main


def run_cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def test_report_csv_matches_query(sample_dir, sample):
    code, out = run_cli("report", "--theme", "permanency", "--format", "csv",
                        "--data-dir", str(sample_dir))  # fmt: skip
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 10 * 5  # every question x the four quadrants and the county
    assert set(table["round_id"]) == {"2020-04-final"}
    expected = queries.quadrant_comparison(sample, "permanency")
    assert table["met"].tolist() == expected["met"].tolist()


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
