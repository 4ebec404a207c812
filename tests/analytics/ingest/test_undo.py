"""Undoing an import: one new snapshot that puts back exactly the rows the import changed, the
history kept (marked undone), refused without writing anything when a later import depends on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from ingest_helpers import ANALYST, round_tables, xlsx
from paths import ROOT

from analytics import audit_trail, ingest
from analytics.contract import TABLES
from analytics.errors import AuditDataError
from analytics.lake.catalog import Lake
from analytics.store import Store

ALPHA_QUESTIONS = ["Q1", "Q2"]


def good() -> dict[str, pd.DataFrame]:
    """A valid new round r9 of the tiny store's theme alpha: 4 cases x 2 questions."""
    return round_tables("alpha", "r9", ALPHA_QUESTIONS)


def replacing_r2() -> dict[str, pd.DataFrame]:
    """Eight new cases for alpha r2 (the tiny store has four), with r2's label revised."""
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, n_cases=8, prefix="R")
    tables["rounds"] = pd.DataFrame(
        [{"theme_id": "alpha", "round_id": "r2", "label": "Two, redone"}]
    )
    return tables


def _value(value: object) -> object:
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        return tuple(value.tolist() if hasattr(value, "tolist") else value)
    return None if pd.isna(value) else value


def table_rows(store: Store, table: str) -> list[tuple]:
    """Return a table's whole rows, sorted."""
    frame = store.query(f"SELECT * FROM {table}")
    rows = [tuple(_value(v) for v in row) for row in frame.itertuples(index=False)]
    return sorted(rows, key=repr)


def store_rows(location: Path) -> dict[str, list[tuple]]:
    """Return every contract table's whole rows but the import history's, and the manifest."""
    with Store(location) as store:
        rows = {table: table_rows(store, table) for table in TABLES if table != "imports"}
        rows["manifest"] = [tuple(sorted(store.manifest().items(), key=repr))]
    return rows


def latest(location: Path) -> int:
    lake = Lake(location)
    try:
        return lake.latest_snapshot()
    finally:
        lake.close()


def history_rows(location: Path) -> pd.DataFrame:
    with Store(location) as store:
        return store.query("SELECT * FROM imports ORDER BY import_id")


def test_undo_of_a_replacing_import_restores_the_replaced_rows_exactly(tiny_dir):
    before = store_rows(tiny_dir)
    result = ingest.import_files(tiny_dir, [xlsx(replacing_r2())], replace=True, actor=ANALYST)
    imported = store_rows(tiny_dir)
    assert imported["cases"] != before["cases"] and imported["rounds"] != before["rounds"]
    record = history_rows(tiny_dir).iloc[0]
    assert sorted(record["changed"]) == ["cases:alpha/r2", "rounds:alpha/r2"]
    at_import = latest(tiny_dir)

    undone = ingest.undo_import(tiny_dir, result.import_id, actor=ANALYST)

    # One new snapshot, named after the undo and its author.
    assert undone.snapshot == latest(tiny_dir) == at_import + 1
    lake = Lake(tiny_dir)
    last = lake.snapshots()[-1]
    lake.close()
    assert (last.snapshot_id, last.author, last.message) == (
        at_import + 1, ANALYST.user, "undo imp-0001 (round.xlsx)")  # fmt: skip
    # Every row of every table (cases, responses, both roll-ups, rounds, completeness, ...) and
    # the manifest are as they were before the import.
    assert store_rows(tiny_dir) == before
    assert (undone.cases_removed, undone.cases_restored) == (8, 4)
    assert undone.message == (
        f"Undid imp-0001 (round.xlsx) as snapshot {at_import + 1}: its 8 case(s) are gone; 4 "
        f"case(s) it had replaced are back as they were at snapshot {record['base_snapshot']}."
    )
    # The history survives: the same row, marked undone.
    after = history_rows(tiny_dir).iloc[0]
    assert after["status"] == "undone" and pd.notna(after["undone_at"])
    same = [c for c in record.index if c not in ("status", "undone_at", "changed", "theme_rounds")]
    assert after[same].tolist() == record[same].tolist()
    assert list(after["changed"]) == list(record["changed"])
    history = ingest.import_history(tiny_dir)
    assert history.loc[0, "state"] == f"undone {after['undone_at']:%Y-%m-%d %H:%M}"
    assert not history.loc[0, "can_undo"]
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["action", "what", "detail", "user", "outcome"]].values.tolist()[::-1] == [
        ["import", "round.xlsx", "imp-0001", ANALYST.user, "done"],
        ["undo-import", "imp-0001", "round.xlsx", ANALYST.user, "done"],
    ]


def test_a_blocked_undo_writes_nothing(tiny_dir):
    before = store_rows(tiny_dir)
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    again = round_tables("alpha", "r9", ALPHA_QUESTIONS, prefix="M")
    ingest.import_files(tiny_dir, [xlsx(again)], replace=True, actor=ANALYST)
    history = ingest.import_history(tiny_dir).set_index("import_id")
    assert history.loc["imp-0002", "replaced"] == "alpha/r9 (from imp-0001)"
    assert history.loc["imp-0001", "state"] == (
        "active; imp-0002 changed what imp-0001 loaded: undo imp-0002 first")  # fmt: skip
    assert history["can_undo"].tolist() == [True, False]
    snapshot, rows = latest(tiny_dir), store_rows(tiny_dir)
    trail = audit_trail.read_trail(tiny_dir)
    with pytest.raises(AuditDataError, match=r"undo imp-0002 first\. Nothing was undone\.$"):
        ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    assert latest(tiny_dir) == snapshot  # no snapshot: not even an event
    assert store_rows(tiny_dir) == rows
    assert audit_trail.read_trail(tiny_dir).equals(trail)
    ingest.undo_import(tiny_dir, "imp-0002", actor=ANALYST)
    undone = ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    assert (undone.cases_removed, undone.cases_restored) == (4, 0)
    assert store_rows(tiny_dir) == before


def test_undo_without_a_store(tmp_path):
    folder = tmp_path / "Documents"
    folder.mkdir()
    with pytest.raises(AuditDataError, match="No audit store"):
        ingest.undo_import(folder, "imp-0001", actor=ANALYST)
    assert list(folder.iterdir()) == []
    assert ingest.import_history(folder).empty


UNDO_SCRIPT = """
import sys
from ingest_helpers import ANALYST
from analytics import ingest
ingest.undo_import(sys.argv[1], "imp-0001", actor=ANALYST)
"""


def test_an_undo_killed_before_its_commit_leaves_the_store_as_it_was(tiny_dir):
    ingest.import_files(tiny_dir, [xlsx(replacing_r2())], replace=True, actor=ANALYST)
    snapshot, rows, history = latest(tiny_dir), store_rows(tiny_dir), history_rows(tiny_dir)
    env = {**os.environ, "AUDIT_STOP_AT": "undo:before-commit",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-c", UNDO_SCRIPT, str(tiny_dir)], env=env, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "stopped at undo:before-commit"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert latest(tiny_dir) == snapshot
    assert store_rows(tiny_dir) == rows
    assert history_rows(tiny_dir).equals(history)
    ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)  # the store still works
    assert history_rows(tiny_dir)["status"].tolist() == ["undone"]
