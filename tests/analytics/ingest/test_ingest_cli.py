"""The importer's command line, and the data directory it accepts (a store, or an empty or
new folder; never anything else)."""

from __future__ import annotations

import datetime as dt
import getpass
import io
import re
import zipfile

import pandas as pd
import pytest
from ingest_helpers import (
    ALPHA_QUESTIONS,
    ANALYST,
    csvs,
    data_rows,
    find,
    good,
    latest_snapshot,
    refused,
    round_tables,
    tree_hashes,
    write,
    xlsx,
)
from paths import ROOT

from analytics import ingest, queries
from analytics.errors import AuditDataError
from analytics.ingest import Source, reading
from analytics.ingest import xlsx as xlsx_reader
from analytics.store import Store

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
    root = ROOT
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
