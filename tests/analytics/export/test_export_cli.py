"""`python -m analytics export`: every format, and exit 2 with a message on bad input."""

from __future__ import annotations

import io
import struct
import subprocess
import sys

import openpyxl
import pytest
from fixtures_export import image_server  # noqa: F401
from ingest_helpers import copy_store
from pptx import Presentation

from analytics import audit_trail
from analytics.cli import main
from analytics.store import Store


@pytest.fixture(scope="module")
def sample_dir(sample_dir, tmp_path_factory):
    """A copy of the sample store: every export is recorded in its audit trail."""
    return copy_store(sample_dir, tmp_path_factory.mktemp("export-cli") / "data")


def export(data_dir, out, *args: str) -> int:
    return main(["export", *args, "--out", str(out), "--data-dir", str(data_dir)])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_data_formats(sample_dir, tmp_path, fmt, capsys):
    out = tmp_path / f"qc.{fmt}"
    assert export(sample_dir, out, "--theme", "permanency", "--quadrant", "NE", "--format", fmt,
                  "--suppress-below", "5") == 0  # fmt: skip
    assert f"Wrote {out}" in capsys.readouterr().out
    data = out.read_bytes()
    if fmt == "csv":
        text = data.decode("utf-8-sig")
        assert "Mode,for circulation: counts under 5 suppressed" in text
        assert "Filters,NE; all teams" in text
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data))["Data"]
        assert sheet["A1"].value == "Audit Insight"


def test_chart_option_and_a_chart_across_themes(sample_dir, tmp_path):
    out = tmp_path / "matrix.csv"
    assert export(sample_dir, out, "--chart", "category_matrix", "--format", "csv") == 0
    assert "Theme,All audited themes" in out.read_text(encoding="utf-8-sig")
    out = tmp_path / "trend.csv"
    assert export(sample_dir, out, "--theme", "permanency", "--chart", "round_trend",
                  "--format", "csv") == 0  # fmt: skip
    assert "Change (pct points)" in out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_image_formats(sample_dir, tmp_path, fmt, image_server):  # noqa: F811
    out = tmp_path / f"qc.{fmt}"
    assert export(sample_dir, out, "--theme", "missing", "--format", fmt) == 0
    data = out.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", data[16:20])[0] == 2200
    else:
        assert data.lstrip().startswith(b"<svg") and b'width="1100"' in data[:400]


def test_pptx(sample_dir, tmp_path, image_server):  # noqa: F811
    out = tmp_path / "pack.pptx"
    assert export(sample_dir, out, "--theme", "placed_at_home", "--format", "pptx",
                  "--marking", "OFFICIAL") == 0  # fmt: skip
    deck = Presentation(str(out))
    assert deck.slides[0].shapes.title.text == (
        "Children placed at home with parents subject to a care order"
    )
    assert any(
        shape.has_text_frame and shape.text_frame.text == "OFFICIAL"
        for shape in deck.slides[0].shapes
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--theme", "nope", "--format", "csv"], "Unknown theme 'nope'"),
        (["--theme", "permanency", "--round", "zzz", "--format", "csv"], "Unknown round"),
        (["--theme", "permanency", "--team", "Nobody", "--format", "csv"], "Unknown team"),
        (["--format", "csv"], "--theme is needed for the quadrant_comparison chart"),
        (["--format", "pptx", "--round", "2020-04"], "--round needs --theme"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(sample_dir, tmp_path, capsys, args, message):
    assert export(sample_dir, tmp_path / "x.csv", *args) == 2
    assert message in capsys.readouterr().err


def test_missing_folder_exits_2(sample_dir, tmp_path, capsys):
    code = export(sample_dir, tmp_path / "no" / "x.csv", "--theme", "missing", "--format", "csv")
    assert code == 2 and "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--theme", "missing", "--format", "doc"], "invalid choice: 'doc'"),
        (["--theme", "missing", "--format", "csv", "--chart", "pie"], "invalid choice: 'pie'"),
        (["--theme", "missing", "--format", "csv", "--suppress-below", "1"], "must be 2 or more"),
    ],
)
def test_argument_errors_exit_2(sample_dir, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        export(sample_dir, tmp_path / "x.csv", *args)
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_export_via_subprocess(sample_dir, tmp_path):
    out = tmp_path / "ff.csv"
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "export", "--theme", "pathway_planning", "--chart",
         "finding_frequency", "--format", "csv", "--out", str(out), "--data-dir", str(sample_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Scope" in out.read_text(encoding="utf-8-sig")


def test_an_ignored_option_is_said_on_stderr(sample_dir, tmp_path, capsys):
    out = tmp_path / "matrix.csv"
    assert export(sample_dir, out, "--chart", "category_matrix", "--theme", "permanency",
                  "--format", "csv") == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "--theme permanency ignored: the category_matrix chart spans every theme" in err
    assert export(sample_dir, out, "--theme", "permanency", "--format", "csv") == 0
    assert capsys.readouterr().err == ""  # nothing ignored, nothing said


def test_chart_is_ignored_for_a_pack_and_says_so(sample_dir, tmp_path, capsys, monkeypatch):
    import analytics.cli.export as command

    # The pack itself is tested elsewhere; here only what the command says about --chart.
    monkeypatch.setattr(command, "export_bytes", lambda *args: b"pack")
    out = tmp_path / "pack.pptx"
    assert export(sample_dir, out, "--theme", "permanency", "--format", "pptx",
                  "--chart", "round_trend") == 0  # fmt: skip
    assert "--chart round_trend is ignored for pptx" in capsys.readouterr().err
    assert out.read_bytes() == b"pack"


def test_command_line_exports_are_recorded_as_the_local_operator(sample_dir, tmp_path):
    import getpass

    out = tmp_path / "recorded.csv"
    assert export(sample_dir, out, "--theme", "missing", "--quadrant", "SW", "--format", "csv",
                  "--suppress-below", "5") == 0  # fmt: skip
    event = audit_trail.read_trail(sample_dir).iloc[0]
    assert event["user"].startswith(f"{getpass.getuser()}@") and event["role"] == "analyst"
    assert (event["action"], event["what"], event["theme_id"], event["quadrants"]) == (
        "export",
        "recorded.csv",
        "missing",
        "SW",
    )
    assert event["mode"] == "for circulation: counts under 5 suppressed"
    with Store(sample_dir) as store:  # made from the data snapshot, which the export left as it was
        assert event["snapshot_id"] == store.snapshot
