"""The command line under a full disk, hostile text and awkward values: a whole file or none,
no raw control characters on the terminal, a team whose name starts with a dash."""

from __future__ import annotations

import builtins
import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_export import hostile_dir  # noqa: F401 (teams "@T1" and "-T2")
from ingest_helpers import round_tables
from paths import ROOT

from analytics.cli import main
from analytics.cli.terminal import terminal_text

OLD = b"the previous export, kept whole"


def export_csv(data_dir: Path, out: Path) -> int:
    return main(["export", "--theme", "alpha", "--format", "csv", "--out", str(out),
                 "--data-dir", str(data_dir)])  # fmt: skip


class _FullDisk(io.RawIOBase):
    """A file that takes a few bytes, then fails as a full disk does."""

    def __init__(self, real):
        self.real = real

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.real.write(bytes(data[:10]))
        self.real.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self) -> None:
        self.real.close()
        super().close()


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """Every file opened for writing under tmp_path/out fails with ENOSPC after 10 bytes."""
    folder = tmp_path / "out"
    folder.mkdir()
    real_open = io.open

    def opening(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        inside = isinstance(file, str | os.PathLike) and Path(file).parent == folder
        return _FullDisk(handle) if inside and "w" in mode else handle

    monkeypatch.setattr(io, "open", opening)
    monkeypatch.setattr(builtins, "open", opening)
    return folder


def test_a_full_disk_leaves_the_previous_file_and_no_partial_one(tiny_dir, full_disk, capsys):
    out = full_disk / "qc.csv"
    handle = os.open(out, os.O_WRONLY | os.O_CREAT)  # below open(), which the fixture fails
    os.write(handle, OLD)
    os.close(handle)
    assert export_csv(tiny_dir, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: No space left on device")
    assert out.read_bytes() == OLD
    assert sorted(p.name for p in full_disk.iterdir()) == ["qc.csv"]  # no temporary left


def test_a_full_disk_leaves_no_new_file(tiny_dir, full_disk, capsys):
    assert export_csv(tiny_dir, full_disk / "new.csv") == 2
    assert list(full_disk.iterdir()) == []


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 64 KB file system, nearly full (needs root; skipped elsewhere)."""
    folder = tmp_path / "small"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        (folder / "filler").write_bytes(b"x" * (60 * 1024))
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_real_full_disk(tiny_dir, tiny_tmpfs, capsys):
    out = tiny_tmpfs / "chart.xlsx"  # an xlsx of the tiny store is about 6 KB: 4 KB are free
    assert main(["export", "--theme", "alpha", "--format", "xlsx", "--out", str(out),
                 "--data-dir", str(tiny_dir)]) == 2  # fmt: skip
    assert capsys.readouterr().err.startswith("error: No space left on device")
    assert sorted(p.name for p in tiny_tmpfs.iterdir()) == ["filler"]


# --- control characters from the data never reach the terminal raw ---------------------------


def test_terminal_text_escapes_control_characters():
    assert terminal_text("red \x1b[31mX\x1b[0m\r\x07\x00\u202etab\tok\n") == (
        "red \\x1b[31mX\\x1b[0m\\r\\x07\\x00\\u202etab\tok\n"
    )


def test_a_refused_value_with_escape_sequences_is_printed_escaped(tiny_dir, tmp_path):
    tables = round_tables("alpha", "r2", ["Q1", "Q2"], n_cases=2, audit_date="2020-04-02")
    tables["responses"].loc[0, "response"] = "\x1b[31mMet\x1b[0m"
    files = []
    for name, frame in tables.items():  # a file name can hold escape sequences too
        path = tmp_path / (f"{name}\x1b[31m.csv" if name == "cases" else f"{name}.csv")
        path.write_text(frame.to_csv(index=False), encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "ingest", *files, "--data-dir", str(tiny_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    printed = done.stdout + done.stderr
    assert "\x1b" not in printed and "Traceback" not in printed
    assert "\\x1b[31m" in printed  # the value, escaped


# --- a team whose name starts with a dash ----------------------------------------------------


@pytest.mark.parametrize("team", [["--team", "-T2"], ["--team=-T2"]])
def test_a_team_starting_with_a_dash(hostile_dir, capsys, team):  # noqa: F811
    args = ["report", "--theme", "alpha", "--round", "r2", *team, "--quadrant", "NW",
            "--format", "csv", "--data-dir", str(hostile_dir)]  # fmt: skip
    assert main(args) == 0
    rows = capsys.readouterr().out.splitlines()
    # A2 (NW, team -T2) answered Q1 not met and Q2 met.
    assert rows[1:] == ["alpha,r2,Q1,NW,1,0,0,1,0.0", "alpha,r2,Q2,NW,1,1,0,0,1.0"]


def test_several_teams_each_after_its_option(hostile_dir, capsys):  # noqa: F811
    args = ["report", "--theme", "alpha", "--round", "r2", "--team", "-T2", "--team", "@T1",
            "--quadrant", "NW", "--format", "csv", "--data-dir", str(hostile_dir)]  # fmt: skip
    assert main(args) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[1:] == ["alpha,r2,Q1,NW,2,1,0,1,0.5", "alpha,r2,Q2,NW,1,1,0,0,1.0"]
