"""The embedded store on DuckLake: extensions from the wheels only, a store that works wherever it
is copied, several processes at once (two imports, a dashboard reading during an import), and an
import killed at any point leaving the last snapshot whole."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from ingest_helpers import ANALYST, data_rows, latest_snapshot, round_tables, xlsx, xlsx_bytes
from lake_workers import ALPHA_QUESTIONS, import_round, read_while_importing
from paths import ROOT

from analytics import queries
from analytics.cli import main
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.lake import extensions
from analytics.lake.catalog import STOP_AT_ENV, Lake
from analytics.lake.location import parse_location
from analytics.store import Store

SPAWN = multiprocessing.get_context("spawn")


# --- extensions: from the wheels, never downloaded --------------------------------------------


def test_extensions_load_from_the_wheels_and_nothing_is_ever_fetched():
    con = extensions.connect("ducklake", "sqlite")
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions', 'extension_directory')"
        ).fetchall()
    )
    assert settings["autoinstall_known_extensions"] == "false"
    assert settings["autoload_known_extensions"] == "false"
    folder = Path(settings["extension_directory"])
    for name, entry in extensions.EXTENSIONS.items():
        link = next(folder.rglob(f"{entry}.duckdb_extension"))
        assert link.resolve() == extensions.wheel_file(name).resolve()
    started = time.monotonic()
    with pytest.raises(duckdb.Error):
        con.execute("LOAD spatial")  # not pinned: fails at once, no download attempted
    assert time.monotonic() - started < 5


def test_a_missing_extension_wheel_fails_at_once_naming_the_package(monkeypatch):
    monkeypatch.setitem(extensions.EXTENSIONS, "nosuch", "nosuch")
    with pytest.raises(AuditDataError) as caught:
        extensions.wheel_file("nosuch")
    assert f"duckdb-extension-nosuch=={duckdb.__version__}" in str(caught.value)


# --- where a store lives ---------------------------------------------------------------------


def test_a_copied_store_answers_exactly_as_the_original(tiny_dir, tmp_path):
    expected = queries.quadrant_comparison(Store(tiny_dir), "alpha", Filters())
    moved = tmp_path / "elsewhere" / "store"
    shutil.copytree(tiny_dir, moved)
    shutil.rmtree(tiny_dir)  # nothing may still point at the old folder
    store = Store(moved)
    assert queries.quadrant_comparison(store, "alpha", Filters()).equals(expected)
    assert data_rows(moved)["cases"]  # every file found under the new folder


def test_a_quote_in_the_location_cannot_break_out_of_the_sql(tiny_dir, tmp_path):
    odd = tmp_path / "it's; DROP VIEW cases; --"
    shutil.copytree(tiny_dir, odd)
    assert int(queries.store_contents(Store(odd))["cases"].sum()) == 6


def test_a_url_is_not_a_store_and_the_message_says_what_is(tmp_path):
    with pytest.raises(AuditDataError) as caught:
        parse_location("s3://bucket/audit")
    assert "postgres:" in str(caught.value) and "data_path=" in str(caught.value)


def test_no_store_at_a_folder_says_how_to_make_one(tmp_path):
    with pytest.raises(AuditDataError) as caught:
        Store(tmp_path / "nothing")
    assert "python -m analytics generate" in str(caught.value)


def test_the_command_line_reads_a_copied_store(tiny_dir, tmp_path, capsys):
    assert main(["report", "--theme", "alpha", "--format", "csv", "--data-dir", str(tiny_dir)]) == 0
    original = capsys.readouterr().out
    moved = shutil.copytree(tiny_dir, tmp_path / "moved")
    assert main(["report", "--theme", "alpha", "--format", "csv", "--data-dir", str(moved)]) == 0
    assert capsys.readouterr().out == original and "alpha,r2,Q1,NW" in original


# --- several processes at once -----------------------------------------------------------------


def test_two_imports_at_once_both_land(tiny_dir):
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=import_round, args=(str(tiny_dir), round_id, barrier, results))
        for round_id in ("r8", "r9")
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=180) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert [(r, status) for r, status, _ in outcomes] == [("r8", "ok"), ("r9", "ok")], outcomes
    assert sorted(o[2] for o in outcomes) == ["imp-0001", "imp-0002"]  # one id each, no clash
    store = Store(tiny_dir)
    history = store.query("SELECT import_id, theme_rounds FROM imports ORDER BY import_id")
    assert sorted(r for rounds in history["theme_rounds"] for r in rounds) == [
        "alpha/r8",
        "alpha/r9",
    ]
    counts = store.query(
        "SELECT round_id, count(*) AS n FROM cases WHERE round_id IN ('r8', 'r9') GROUP BY 1 "
        "ORDER BY 1"
    )
    assert counts.values.tolist() == [["r8", 4], ["r9", 4]]


def test_the_dashboard_reads_whole_snapshots_while_an_import_runs(tiny_dir):
    before = (
        Store(tiny_dir)
        .query("SELECT (SELECT count(*) FROM cases) AS c, (SELECT count(*) FROM responses) AS r")
        .values.tolist()[0]
    )
    barrier, results, stop = SPAWN.Barrier(2), SPAWN.Queue(), SPAWN.Event()
    reader = SPAWN.Process(
        target=read_while_importing, args=(str(tiny_dir), barrier, stop, results)
    )
    reader.start()
    from analytics import ingest

    tables = round_tables("alpha", "r9", ALPHA_QUESTIONS, n_cases=40)
    barrier.wait(timeout=60)
    ingest.import_files(tiny_dir, [_source(tables)], actor=ANALYST)
    stop.set()
    counts, errors, reads = results.get(timeout=120)
    reader.join(timeout=60)
    assert errors == []
    after = [before[0] + 40, before[1] + 40 * len(ALPHA_QUESTIONS)]
    assert set(map(tuple, counts)) <= {tuple(before), tuple(after)}, counts  # never a mix
    assert reads >= 3


def _source(tables):
    from ingest_helpers import xlsx

    return xlsx(tables)


# --- an import killed at any point -------------------------------------------------------------

CHECKPOINTS = ["import:validated", "import:rows-written", "import:before-commit"]


@pytest.mark.parametrize("checkpoint", CHECKPOINTS)
def test_an_import_killed_at_any_point_leaves_the_last_snapshot_whole(
    tiny_dir, tmp_path, checkpoint
):
    workbook = tmp_path / "round.xlsx"
    workbook.write_bytes(xlsx_bytes(round_tables("alpha", "r9", ALPHA_QUESTIONS)))
    before_rows, before_snapshot = data_rows(tiny_dir), latest_snapshot(tiny_dir)
    command = [sys.executable, "-m", "analytics", "ingest", str(workbook)]
    command += ["--data-dir", str(tiny_dir)]
    env = {**os.environ, STOP_AT_ENV: checkpoint, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as child:
        line = child.stdout.readline()  # the child says where it stopped, then waits there
        assert line.strip() == f"stopped at {checkpoint}", line
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert latest_snapshot(tiny_dir) == before_snapshot  # nothing was committed
    assert data_rows(tiny_dir) == before_rows  # and the last snapshot reads whole
    # Files the killed import wrote are listed by tidy-store, and removing them changes nothing.
    left = _orphans(tiny_dir)
    assert all("/files/main/" in path for path in left)
    assert any("/writer_turn/" in path for path in left)  # the turn it took, at any point
    wrote_rows = any("/responses/theme_id=alpha/round_id=r9/" in path for path in left)
    assert wrote_rows == (checkpoint != "import:validated")
    assert main(["tidy-store", "--data-dir", str(tiny_dir), "--older-than", "0", "--remove"]) == 0
    assert _orphans(tiny_dir) == []
    assert data_rows(tiny_dir) == before_rows
    assert not any(Path(path).exists() for path in left)
    # The store takes the same import afterwards.
    assert main(["ingest", str(workbook), "--data-dir", str(tiny_dir)]) == 0
    assert latest_snapshot(tiny_dir) > before_snapshot


def _orphans(data_dir: Path) -> list[str]:
    lake = Lake(data_dir)
    try:
        return lake.orphaned_files(dt.timedelta(0), remove=False)
    finally:
        lake.close()


def test_tidy_store_leaves_young_files_and_a_whole_store_alone(tiny_dir, capsys):
    stray = tiny_dir / "files" / "main" / "cases" / "stray.parquet"
    stray.write_bytes(b"a file an import is writing now")
    assert main(["tidy-store", "--data-dir", str(tiny_dir), "--remove"]) == 0  # default: 24 h
    assert stray.exists()
    assert capsys.readouterr().out == (
        "No data file outside the snapshots (not changed for 24 hours): nothing to tidy.\n"
    )
    assert main(["tidy-store", "--data-dir", str(tiny_dir), "--older-than", "0"]) == 0
    assert stray.exists()  # listed, not removed
    assert capsys.readouterr().out == (
        f"{stray}\n1 data file that no snapshot lists (not changed for 0 hours). Nothing was "
        "removed: run again with --remove to delete them.\n"
    )
    stray.unlink()
    assert _orphans(tiny_dir) == []  # a whole store's files are all listed by its snapshots


# --- the store's own faults: named, with what still works ---------------------------------------


def test_a_corrupt_catalog_is_named_and_nothing_crashes(tiny_dir):
    catalog = tiny_dir / "catalog.sqlite"
    catalog.write_bytes(b"this is not a database" * 100)
    with pytest.raises(AuditDataError) as caught:
        Store(tiny_dir)
    message = str(caught.value)
    assert message.startswith(f"The audit store at {tiny_dir} could not be opened: its catalog")


def test_a_read_only_store_is_read_and_refuses_writes_saying_why(tiny_dir, monkeypatch):
    from analytics.lake import catalog

    expected = queries.quadrant_comparison(Store(tiny_dir), "alpha", Filters())
    before = latest_snapshot(tiny_dir)
    real_access = os.access
    monkeypatch.setattr(
        catalog.os,
        "access",
        lambda path, mode: False if Path(path) == tiny_dir else real_access(path, mode),
    )
    store = Store(tiny_dir)
    assert queries.quadrant_comparison(store, "alpha", Filters()).equals(expected)
    with pytest.raises(AuditDataError) as caught:
        store.lake.write(lambda writer: None, author="test", message="nothing")
    assert "is read-only here" in str(caught.value) and "Its pages still read it" in str(
        caught.value
    )
    monkeypatch.undo()
    assert latest_snapshot(tiny_dir) == before


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_file_in_one_round_is_named_and_not_carried_into_the_next_import(
    tiny_dir, damage
):
    from analytics import ingest

    lake = Lake(tiny_dir)
    try:
        before = lake.files_at(lake.latest_snapshot())
    finally:
        lake.close()
    (damaged,) = [Path(f) for f in before["responses"] if "round_id=r1/" in f]
    whole = damaged.read_bytes()
    damaged.write_bytes(b"garbage" * 50 if damage == "garbage" else whole[: len(whole) // 2])
    ingest.import_files(
        tiny_dir, [_source(round_tables("alpha", "r9", ALPHA_QUESTIONS))], actor=ANALYST
    )
    store = Store(tiny_dir)
    # The other rounds answer, the new one included; the damaged round names the file at fault.
    assert queries.quadrant_comparison(store, "alpha", Filters(round_id="r9"))["n"].sum() > 0
    with pytest.raises(AuditDataError) as caught:
        queries.cases_behind(store, "alpha", "Q1", Filters(round_id="r1"))
    assert str(damaged) in str(caught.value)
    # The import wrote only r9's files; r1's damaged file is the one it was, not copied onward.
    after = store.lake.files_at(store.snapshot)["responses"]
    added = sorted(set(after) - set(before["responses"]))
    assert added and all("round_id=r9/" in f for f in added)
    assert [f for f in after if "round_id=r1/" in f] == [str(damaged)]


# --- one snapshot per page run --------------------------------------------------------------------


@pytest.mark.parametrize("page", ["overview", "permanency"])
def test_a_page_run_looks_the_snapshot_up_once(sample_dir, monkeypatch, page):
    from streamlit.testing.v1 import AppTest

    lookups: list[int] = []
    real = Lake.data_snapshot

    def counted(self: Lake) -> int:
        lookups.append(1)
        return real(self)

    monkeypatch.setattr(Lake, "data_snapshot", counted)
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    if page != "overview":
        at.switch_page("app_pages/theme.py")  # the first theme: permanency
    lookups.clear()
    at.run()
    assert not at.exception
    assert at.title[0].value == (
        "Audit Insight" if page == "overview" else "Permanency for children"
    )
    assert len(lookups) == 1  # every query and chart of the run read that one snapshot


# --- the area case counts follow every writer ----------------------------------------------------

AREA_COUNTS = (
    "SELECT theme_id, round_id, quadrant, team, category, cases FROM area_case_counts ORDER BY ALL"
)
AREA_COUNTS_FROM_THE_ROWS = (
    "SELECT r.theme_id, r.round_id, r.quadrant, r.team, q.category, "
    "count(DISTINCT r.audit_id) AS cases FROM responses AS r JOIN questions AS q "
    "USING (theme_id, question_id) WHERE r.response <> 'Not applicable' GROUP BY ALL ORDER BY ALL"
)


def _area_counts(data_dir: Path) -> list[tuple]:
    """Return the stored area case counts, having checked them against the rows themselves."""
    with Store(data_dir) as store:
        stored = [tuple(row) for row in store.query(AREA_COUNTS).itertuples(index=False)]
        recounted = store.query(AREA_COUNTS_FROM_THE_ROWS).itertuples(index=False)
        assert stored == [tuple(row) for row in recounted]
    return stored


def test_the_area_case_counts_follow_imports_undo_and_a_revised_category(tiny_dir):
    from analytics import ingest

    # The tiny store by hand (conftest): in r2, A1 answered Q1 (Timeliness) Met and Q2 (Voice
    # of the child) Not applicable, A2 to A4 answered both, so 4 cases for one and 3 the other.
    before = _area_counts(tiny_dir)
    assert sum(n for t, r, *_, c, n in before if (r, c) == ("r2", "Timeliness")) == 4
    assert sum(n for t, r, *_, c, n in before if (r, c) == ("r2", "Voice of the child")) == 3

    # A new round is counted (round_tables: N1 NW/T2, N2 NE/T1, N3 SW/T2, N4 SE/T1; answers
    # cycle Met, Not met, Partially met, Not applicable, so N3 skips Q2 and N4 skips Q1).
    ingest.import_files(tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))],
                        actor=ANALYST)  # fmt: skip
    r9 = [row for row in _area_counts(tiny_dir) if row[1] == "r9"]
    assert sorted((q, team, c, n) for _, _, q, team, c, n in r9) == [
        ("NE", "T1", "Timeliness", 1), ("NE", "T1", "Voice of the child", 1),
        ("NW", "T2", "Timeliness", 1), ("NW", "T2", "Voice of the child", 1),
        ("SE", "T1", "Voice of the child", 1),
        ("SW", "T2", "Timeliness", 1),
    ]  # fmt: skip

    # Q2 moves to Timeliness (with a round r8): every round of alpha is counted again, so a
    # case that answered both questions counts once there.
    questions = pd.DataFrame([{"theme_id": "alpha", "question_id": "Q2",
                               "text": "The child is heard", "category": "Timeliness"}])  # fmt: skip
    revising = round_tables("alpha", "r8", ALPHA_QUESTIONS, prefix="M") | {"questions": questions}
    ingest.import_files(tiny_dir, [xlsx(revising)], replace=True, actor=ANALYST)
    revised = _area_counts(tiny_dir)
    assert {c for *_, c, _ in revised} == {"Timeliness"}
    assert sum(n for t, r, *_, n in revised if r == "r2") == 4  # A1 to A4, each once

    # Undo puts the categories back, and the counts with them.
    last = ingest.import_history(tiny_dir)["import_id"].iloc[0]  # newest first
    ingest.undo_import(tiny_dir, last, actor=ANALYST)
    assert [row for row in _area_counts(tiny_dir) if row[1] != "r9"] == before


def test_a_store_older_than_the_area_case_counts_reads_them_and_gets_them_at_its_next_write(
    tiny_dir,
):
    from analytics import ingest

    counted = _area_counts(tiny_dir)
    lake = Lake(tiny_dir)
    try:  # the store as the first DuckLake version wrote it: no area case counts
        lake.write(
            lambda writer: writer.cursor.execute(f"DROP TABLE {writer.alias}.area_case_counts"),
            author="test", message="a store older than the roll-up",
        )  # fmt: skip
    finally:
        lake.close()
    # Read: counted from the snapshot's rows in memory, so the practice areas are all there.
    assert _area_counts(tiny_dir) == counted
    with Store(tiny_dir) as store:
        assert sorted(set(queries.weakest(store, min_cases=1)["kind"])) == ["area", "theme"]
    # The next write makes the table and counts every partition, not only the one it wrote.
    ingest.import_files(tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))],
                        actor=ANALYST)  # fmt: skip
    lake = Lake(tiny_dir)
    try:
        stored = lake.con.execute(
            f"SELECT * FROM {lake.alias}.area_case_counts WHERE round_id <> 'r9' ORDER BY ALL"
        ).fetchall()
    finally:
        lake.close()
    assert stored == counted
    assert len(_area_counts(tiny_dir)) == len(counted) + 6  # r9's six rows (above)


def test_tidy_store_removes_nothing_where_the_data_path_holds_others_files(tiny_dir, capsys):
    foreign = tiny_dir / "files" / "staging" / "theirs.parquet"
    foreign.parent.mkdir()
    foreign.write_bytes(b"another store's file")
    old = time.time() - 3 * 24 * 3600
    os.utime(foreign, (old, old))
    assert main(["tidy-store", "--data-dir", str(tiny_dir), "--remove"]) == 2
    assert capsys.readouterr().err == (
        f"error: The data path {tiny_dir}/files/ holds files that are not this store's (such as "
        f"{foreign}): nothing was removed. Give the store a data path of its own.\n"
    )
    assert foreign.exists()
