"""Imports are atomic, all-or-nothing, and safe when run at once."""

from __future__ import annotations

import os
import threading

import pytest
from ingest_helpers import (
    ALPHA_QUESTIONS,
    ANALYST,
    data_rows,
    good,
    latest_snapshot,
    round_tables,
    table_rows,
    write,
    xlsx,
)
from paths import ROOT

from analytics import audit_trail, ingest, queries
from analytics.errors import ImportRefused
from analytics.lake.catalog import Lake
from analytics.store import Store

# --- atomic, all-or-nothing, concurrent --------------------------------------------------------


def test_an_import_is_one_snapshot_with_its_rows_history_and_event(tiny_dir):
    before = latest_snapshot(tiny_dir)
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    lake = Lake(tiny_dir)
    try:
        after = lake.latest_snapshot()
        assert after == before + 1 and lake.data_snapshot() == after
        made = lake.snapshots()[-1]
        assert (made.snapshot_id, made.author, made.message) == (
            after,
            ANALYST.user,
            "import imp-0001 (round.xlsx)",
        )
        trail = f"SELECT action, what, detail FROM {lake.alias}.audit_trail AT (VERSION => $s)"
        assert lake.con.execute(trail, {"s": before}).fetchall() == []
        assert lake.con.execute(trail, {"s": after}).fetchall() == [
            ("import", "round.xlsx", "imp-0001")
        ]
    finally:
        lake.close()
    sql = ("SELECT (SELECT count(*) FROM cases WHERE round_id = 'r9') AS cases, "
           "(SELECT count(*) FROM responses WHERE round_id = 'r9') AS responses, "
           "(SELECT coalesce(sum(answers), 0) FROM response_counts WHERE round_id = 'r9') "
           "AS answers, "
           "(SELECT count(*) FROM rounds WHERE round_id = 'r9') AS rounds, "
           "(SELECT count(*) FROM round_completeness) AS completeness, "
           "(SELECT coalesce(list(import_id), []) FROM imports) AS history")  # fmt: skip
    assert Store(tiny_dir, as_of=before).query(sql).iloc[0].tolist()[:5] == [0, 0, 0, 0, 0]
    assert list(Store(tiny_dir, as_of=before).query(sql)["history"].iloc[0]) == []
    now = Store(tiny_dir, as_of=after).query(sql).iloc[0]
    assert now.tolist()[:5] == [4, 8, 8, 1, 1] and list(now["history"]) == ["imp-0001"]


def test_a_refused_import_commits_no_snapshot(tiny_dir, tmp_path):
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    taken = round_tables("alpha", "r2", ALPHA_QUESTIONS, prefix="R")  # r2 holds cases already
    with pytest.raises(ImportRefused, match="already loaded"):
        ingest.import_files(tiny_dir, [xlsx(taken)], actor=ANALYST)
    assert latest_snapshot(tiny_dir) == before and data_rows(tiny_dir) == rows
    assert audit_trail.read_trail(tiny_dir).empty
    # Refused as a store's first import, it makes no store either.
    new = tmp_path / "new-store"
    tables = round_tables("permanency", "2021-03", ["PERM-01", "NOT-A-QUESTION"])
    with pytest.raises(ImportRefused):
        ingest.import_files(new, [xlsx(tables)], actor=ANALYST)
    assert not new.exists()


def test_a_crash_while_writing_leaves_the_store_as_it_was(tiny_dir, monkeypatch):
    real = ingest.apply_import

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # the rows are written in the transaction, then...
        raise RuntimeError("power cut")

    monkeypatch.setattr(ingest, "apply_import", crash)
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    with pytest.raises(RuntimeError):
        ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    assert latest_snapshot(tiny_dir) == before
    assert data_rows(tiny_dir) == rows and table_rows(tiny_dir, "imports") == []
    monkeypatch.undo()
    assert ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST).import_id == "imp-0001"


def test_an_import_leaves_the_other_rounds_files_as_they_were(tiny_dir):
    lake = Lake(tiny_dir)
    before = lake.files_at(lake.latest_snapshot())
    lake.close()
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    lake = Lake(tiny_dir)
    after = lake.files_at(lake.latest_snapshot())
    lake.close()
    for table in ("cases", "responses", "case_counts", "response_counts"):
        assert set(before[table]) < set(after[table])  # the same files, and one more
        assert [f for f in set(after[table]) - set(before[table]) if "round_id=r9/" in f]


@pytest.mark.parametrize(
    "point", ["import:validated", "import:rows-written", "import:before-commit"]
)
def test_an_import_killed_at_any_point_leaves_the_last_snapshot_intact(tiny_dir, tmp_path, point):
    import signal
    import subprocess
    import sys

    files = write(tmp_path, [xlsx(good())])
    before, rows = latest_snapshot(tiny_dir), data_rows(tiny_dir)
    root = ROOT
    run = subprocess.Popen(
        [sys.executable, "-m", "analytics", "ingest", *files, "--data-dir", str(tiny_dir)],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "AUDIT_STOP_AT": point},
    )  # fmt: skip
    try:
        assert run.stdout.readline().strip() == f"stopped at {point}"  # waits there, no sleep
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert latest_snapshot(tiny_dir) == before and data_rows(tiny_dir) == rows
    assert table_rows(tiny_dir, "imports") == [] and audit_trail.read_trail(tiny_dir).empty
    again = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)  # the store still works
    assert again.import_id == "imp-0001" and latest_snapshot(tiny_dir) == before + 1


def test_two_imports_at_once_are_serialised(tiny_dir):
    files = [xlsx(good(), "r9.xlsx"),
             xlsx(round_tables("alpha", "r8", ALPHA_QUESTIONS, prefix="E"), "r8.xlsx")]  # fmt: skip
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(source):
        barrier.wait()
        try:
            results.append(ingest.import_files(tiny_dir, [source], actor=ANALYST))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(r.import_id for r in results) == ["imp-0001", "imp-0002"]
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r8", "r9"]
    assert len(ingest.import_history(tiny_dir)) == 2


def test_two_identical_imports_at_once_load_once(tiny_dir):
    barrier = threading.Barrier(2)
    results = []
    source = xlsx(good())

    def run():
        barrier.wait()
        results.append(ingest.import_files(tiny_dir, [source], actor=ANALYST))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.changed for r in results) == [False, True]
    assert Store(tiny_dir).query("SELECT count(*) AS n FROM cases")["n"][0] == 10


def test_readers_never_see_half_an_import(tiny_dir):
    store = Store(tiny_dir)
    seen, stop = set(), threading.Event()
    sql = ("SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM responses) "
           "AS responses, (SELECT count(*) FROM imports) AS imports")  # fmt: skip

    def read():
        while not stop.is_set():
            seen.add(tuple(store.query(sql).iloc[0].tolist()))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i, round_id in enumerate(("r5", "r6", "r7")):
            tables = round_tables("alpha", round_id, ALPHA_QUESTIONS, prefix=f"P{i}-")
            ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    finally:
        stop.set()
        reader.join()
    assert seen <= {(6, 12, 0), (10, 20, 1), (14, 28, 2), (18, 36, 3)}, seen
