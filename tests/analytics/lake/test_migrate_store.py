"""migrate-store: a store in the old layout (Parquet folders, store.json) becomes a DuckLake store,
every row, the history, the audit trail, the saved mappings and the manifest carried over."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics import cli
from analytics.errors import AuditDataError
from analytics.lake.catalog import Lake
from analytics.lake.migrate import migrate_store
from analytics.store import Store

D = dt.date
T = dt.datetime
S = pa.string()


def write(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    """Write one old-layout Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(fields))


CASE_FILE = schema(*[(n, S) for n in ("audit_id", "quadrant", "team", "child_ref")],
                   ("audit_date", pa.date32()),
                   *[(n, S) for n in ("gender", "age_band", "overall_grade")])  # fmt: skip
RESPONSE_FILE = schema(*[(n, S) for n in ("audit_id", "question_id", "response", "comment",
                                          "quadrant", "team")])  # fmt: skip
OLD_IMPORTS = schema(
    ("import_id", S), ("file_name", S), ("sha256", S), ("cases", pa.int64()),
    ("responses", pa.int64()), ("rounds", pa.int64()), ("questions", pa.int64()),
    ("theme_rounds", pa.list_(S)), ("imported_at", pa.timestamp("us")), ("user", S),
    ("replaced", S), ("status", S), ("undone_at", pa.timestamp("us")),
    ("files_added", pa.list_(S)), ("files_removed", pa.list_(S)),
)  # fmt: skip
OLD_TRAIL = schema(*[(n, S) for n in ("event_id",)], ("at", pa.timestamp("us")),
                   *[(n, S) for n in ("user", "role", "action", "what", "theme_id", "round_id",
                                      "quadrants", "teams", "mode", "outcome", "detail")])  # fmt: skip

CASES = {  # (theme, round) -> audit_id, quadrant, team, gender, age band, grade
    ("alpha", "r1"): [("B1", "NW", "T1", "Male", "5-9", "Inadequate"),
                      ("B2", "NE", "T1", "Female", "0-4", "Inadequate")],
    ("alpha", "r2"): [("A1", "NW", "T1", "Female", "0-4", "Good"),
                      ("A2", "NW", "T1", "Female", "0-4", "Good"),
                      ("A3", "SW", "T2", "Male", "5-9", "Requires improvement")],
}  # fmt: skip
ANSWERS = {"B1": ("Not met", "Met"), "B2": ("Not met", "Not met"), "A1": ("Met", "Met"),
           "A2": ("Met", "Not applicable"), "A3": ("Partially met", "Not met")}  # fmt: skip
MAPPING_TEXT = '{\n  "name": "NW permanency tracker",\n  "theme_id": "alpha"\n}\n'
MANIFEST_TEXT = '{\n  "synthetic": true,\n  "notice": "Old store"\n}\n'
TRAIL = [
    {"event_id": "e1", "at": T(2026, 1, 2, 9, 0), "user": "ana", "role": "analyst",
     "action": "import", "what": "round.xlsx", "theme_id": "alpha", "round_id": "",
     "quadrants": "", "teams": "", "mode": "", "outcome": "done", "detail": "imp-0001"},
    {"event_id": "e2", "at": T(2026, 1, 3, 10, 0), "user": "bo", "role": "viewer",
     "action": "export", "what": "chart.csv", "theme_id": "alpha", "round_id": "r2",
     "quadrants": "NW", "teams": "", "mode": "exact", "outcome": "done", "detail": ""},
]  # fmt: skip


def case_row(theme: str, round_id: str, case: tuple) -> dict:
    audit_id, quadrant, team, gender, age_band, grade = case
    return {"audit_id": audit_id, "theme_id": theme, "round_id": round_id, "quadrant": quadrant,
            "team": team, "child_ref": f"REF-{audit_id}", "audit_date": D(2020, 4, 2),
            "gender": gender, "age_band": age_band, "overall_grade": grade}  # fmt: skip


def response_rows(theme: str, round_id: str, case: tuple) -> list[dict]:
    audit_id, quadrant, team, *_ = case
    return [
        {"audit_id": audit_id, "theme_id": theme, "round_id": round_id, "question_id": question,
         "response": answer, "comment": f"c {audit_id}", "quadrant": quadrant, "team": team}
        for question, answer in zip(("Q1", "Q2"), ANSWERS[audit_id], strict=True)
    ]  # fmt: skip


def without_partition(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("theme_id", "round_id")}


IMPORT_ROW = {
    "import_id": "imp-0001", "file_name": "round.xlsx", "sha256": "ab" * 32, "cases": 3,
    "responses": 6, "rounds": 1, "questions": 0, "theme_rounds": ["alpha/r2"],
    "imported_at": T(2026, 1, 2, 9, 0), "user": "ana", "replaced": None, "status": "active",
    "undone_at": None,
    "files_added": ["cases/theme_id=alpha/round_id=r2/imp-0001.parquet"], "files_removed": [],
}  # fmt: skip


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A store in the old layout, written file by file as the old writers did."""
    root = tmp_path / "old"
    root.mkdir()
    (root / "store.json").write_text(MANIFEST_TEXT)
    write(root / "themes/part-0.parquet",
          [{"theme_id": "alpha", "title": "Alpha", "status": "complete", "lead": "L",
            "scope": "S", "sort_order": 1},
           {"theme_id": "beta", "title": "Beta", "status": "planned", "lead": "M",
            "scope": "U", "sort_order": 2}],
          schema(("theme_id", S), ("title", S), ("status", S), ("lead", S), ("scope", S),
                 ("sort_order", pa.int32())))  # fmt: skip
    write(root / "rounds/part-0.parquet",
          [{"theme_id": "alpha", "round_id": "r1", "label": "One", "start_date": D(2020, 1, 1),
            "end_date": D(2020, 1, 31), "status": "complete"}],
          schema(("theme_id", S), ("round_id", S), ("label", S), ("start_date", pa.date32()),
                 ("end_date", pa.date32()), ("status", S)))  # fmt: skip
    write(root / "rounds/imp-0001.parquet",
          [{"theme_id": "alpha", "round_id": "r2", "label": "Two", "start_date": D(2020, 4, 1),
            "end_date": D(2020, 4, 30), "status": "complete"}],
          schema(("theme_id", S), ("round_id", S), ("label", S), ("start_date", pa.date32()),
                 ("end_date", pa.date32()), ("status", S)))  # fmt: skip
    # Two question files, the older one written before seed_finding existed: unioned by name.
    write(root / "questions/part-0.parquet",
          [{"theme_id": "alpha", "question_id": "Q1", "text": "Timely", "category": "Time"}],
          schema(("theme_id", S), ("question_id", S), ("text", S), ("category", S)))  # fmt: skip
    write(root / "questions/part-1.parquet",
          [{"theme_id": "alpha", "question_id": "Q2", "text": "Heard", "category": "Voice",
            "seed_finding": "Not always."}],
          schema(("theme_id", S), ("question_id", S), ("text", S), ("category", S),
                 ("seed_finding", S)))  # fmt: skip
    for (theme, round_id), cases in CASES.items():
        stem = "imp-0001" if round_id == "r2" else "part-0"
        folder = f"theme_id={theme}/round_id={round_id}/{stem}.parquet"
        write(
            root / "cases" / folder,
            [without_partition(case_row(theme, round_id, c)) for c in cases],
            CASE_FILE,
        )
        write(root / "responses" / folder,
              [without_partition(r) for c in cases for r in response_rows(theme, round_id, c)],
              RESPONSE_FILE)  # fmt: skip
        # An old roll-up file, deliberately wrong: the roll-ups are made again from the rows.
        write(root / "case_counts" / folder, [{"quadrant": "NW", "cases": 99}],
              schema(("quadrant", S), ("cases", pa.int64())))  # fmt: skip
    write(root / "actions/part-0.parquet",
          [{"action_id": "X1", "theme_id": "alpha", "kind": "action", "text": "Fix", "outcome": "O",
            "owner": "SM", "due_date": D(2020, 5, 1), "status": "in progress",
            "question_ids": ["Q1", "Q2"]}],
          schema(("action_id", S), ("theme_id", S), ("kind", S), ("text", S), ("outcome", S),
                 ("owner", S), ("due_date", pa.date32()), ("status", S),
                 ("question_ids", pa.list_(S))))  # fmt: skip
    write(root / "quotes/part-0.parquet",
          [{"quote_id": "QT1", "theme_id": "alpha", "round_id": "r2", "quadrant": None,
            "role": "Practitioner", "text": "County-wide."}],
          schema(*[(n, S) for n in ("quote_id", "theme_id", "round_id", "quadrant", "role",
                                    "text")]))  # fmt: skip
    write(root / "imports/log.parquet", [IMPORT_ROW], OLD_IMPORTS)
    write(root / "round_completeness/imp-0001.parquet",
          [{"theme_id": "alpha", "round_id": "r2", "import_id": "imp-0001", "cases": 3,
            "standards": 2, "expected": 6, "answered": 6}],
          schema(("theme_id", S), ("round_id", S), ("import_id", S), ("cases", pa.int64()),
                 ("standards", pa.int64()), ("expected", pa.int64()),
                 ("answered", pa.int64())))  # fmt: skip
    for event in TRAIL:
        write(root / "audit_trail" / f"{event['event_id']}.parquet", [event], OLD_TRAIL)
    write(root / "audit_trail/e1-merged.parquet", [TRAIL[0]], OLD_TRAIL)  # a merge repeats it
    write(root / "audit_trail/.e3.parquet.part", [TRAIL[0]], OLD_TRAIL)  # unfinished: not read
    (root / "tracker_mappings").mkdir()
    (root / "tracker_mappings/nw-permanency-tracker.json").write_text(MAPPING_TEXT)
    write(root / ".history/imp-0001/rounds/part-0.parquet", [], OLD_IMPORTS)  # not carried over
    return root


def rows(store: Store, table: str) -> list[tuple]:
    frame = store.query(f"SELECT * FROM {table} ORDER BY ALL")
    return [
        tuple(None if _missing(v) else _plain(v) for v in row)
        for row in frame.itertuples(index=False)
    ]


def _missing(value: object) -> bool:
    return value is None or (not hasattr(value, "__len__") and value != value)


def _plain(value: object) -> object:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def test_migrate_store_carries_over_every_row_and_record(old_store, tmp_path, capsys):
    new = tmp_path / "new"
    assert cli.main(["migrate-store", str(old_store), "--to", str(new)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Migrated {old_store} to {new} as snapshot 1: 5 cases, 10 responses, ")
    assert "imports made before the store was migrated to DuckLake can no longer be undone" in out

    lake = Lake(new)
    snapshots = lake.snapshots()
    assert [(s.snapshot_id, s.message) for s in snapshots[1:]] == [
        (1, f"migrated from {old_store}")]  # fmt: skip
    store = Store(new, lake=lake)
    assert store.snapshot == 1
    midnight = T(2020, 4, 2)
    assert rows(store, "cases") == sorted(
        (c[0], t, r, c[1], c[2], f"REF-{c[0]}", midnight, c[3], c[4], c[5])
        for (t, r), cases in CASES.items() for c in cases
    )  # fmt: skip
    assert rows(store, "responses") == sorted(
        tuple(row.values()) for (t, r), cases in CASES.items() for c in cases
        for row in response_rows(t, r, c)
    )  # fmt: skip
    # The roll-ups are counted again from the rows (the old, wrong one is not carried over).
    assert rows(store, "case_counts") == [
        ("alpha", "r1", "NE", "T1", "Female", "0-4", "Inadequate", 1),
        ("alpha", "r1", "NW", "T1", "Male", "5-9", "Inadequate", 1),
        ("alpha", "r2", "NW", "T1", "Female", "0-4", "Good", 2),
        ("alpha", "r2", "SW", "T2", "Male", "5-9", "Requires improvement", 1),
    ]
    assert rows(store, "response_counts") == [
        ("alpha", "r1", "Q1", "NE", "T1", "Not met", 1),
        ("alpha", "r1", "Q1", "NW", "T1", "Not met", 1),
        ("alpha", "r1", "Q2", "NE", "T1", "Not met", 1),
        ("alpha", "r1", "Q2", "NW", "T1", "Met", 1),
        ("alpha", "r2", "Q1", "NW", "T1", "Met", 2),
        ("alpha", "r2", "Q1", "SW", "T2", "Partially met", 1),
        ("alpha", "r2", "Q2", "NW", "T1", "Met", 1),
        ("alpha", "r2", "Q2", "NW", "T1", "Not applicable", 1),
        ("alpha", "r2", "Q2", "SW", "T2", "Not met", 1),
    ]
    assert rows(store, "themes") == [
        ("alpha", "Alpha", "complete", "L", "S", 1),
        ("beta", "Beta", "planned", "M", "U", 2),
    ]
    assert rows(store, "rounds") == [
        ("alpha", "r1", "One", T(2020, 1, 1), T(2020, 1, 31), "complete"),
        ("alpha", "r2", "Two", T(2020, 4, 1), T(2020, 4, 30), "complete"),
    ]
    assert rows(store, "questions") == [
        ("alpha", "Q1", "Timely", "Time", None),
        ("alpha", "Q2", "Heard", "Voice", "Not always."),
    ]
    assert rows(store, "actions") == [
        ("X1", "alpha", "action", "Fix", "O", "SM", T(2020, 5, 1), "in progress", ["Q1", "Q2"])
    ]
    assert rows(store, "quotes") == [("QT1", "alpha", "r2", None, "Practitioner", "County-wide.")]
    assert rows(store, "round_completeness") == [("alpha", "r2", "imp-0001", 3, 2, 6, 6)]
    assert rows(store, "round_acceptances") == []
    # The history: files_added / files_removed give way to the snapshot before the migration
    # and the keys its rounds name.
    old = {k: v for k, v in IMPORT_ROW.items() if k not in ("files_added", "files_removed")}
    assert rows(store, "imports") == [(*old.values(), 0, ["cases:alpha/r2", "rounds:alpha/r2"])]
    assert rows(store, "tracker_mappings") == [
        ("nw-permanency-tracker", "NW permanency tracker", MAPPING_TEXT)
    ]
    assert rows(store, "store_manifest") == [(MANIFEST_TEXT,)]
    assert store.manifest() == json.loads(MANIFEST_TEXT)
    trail = lake.con.execute(f"SELECT * FROM {lake.alias}.audit_trail ORDER BY event_id").fetchall()
    assert trail == [(*event.values(), None) for event in TRAIL]
    # A page query: the answers to Q1 in alpha r2, per response.
    answers = store.query(
        "SELECT response, count(*) AS n FROM responses WHERE theme_id = $theme "
        "AND round_id = $round AND question_id = 'Q1' GROUP BY ALL ORDER BY ALL",
        {"theme": "alpha", "round": "r2"},
    )
    assert answers.values.tolist() == [["Met", 2], ["Partially met", 1]]
    store.close()
    lake.close()


def test_an_import_made_before_the_migration_stays_listed_but_cannot_be_undone(old_store, tmp_path):
    from ingest_helpers import ANALYST

    from analytics import ingest

    new = tmp_path / "new"
    migrate_store(old_store, new)
    history = ingest.import_history(new)
    assert history[["import_id", "file_name", "theme_rounds", "state", "can_undo"]].values.tolist() == [
        ["imp-0001", "round.xlsx", "alpha/r2", "active; imp-0001 was imported before the store "
         "was migrated: imports made before the store was migrated to DuckLake can no longer be "
         "undone (the files they replaced were not carried over)", False]]  # fmt: skip
    lake = Lake(new)
    snapshot = lake.latest_snapshot()
    with pytest.raises(
        AuditDataError, match=r"imp-0001 was imported before the store was migrated"
    ):
        ingest.undo_import(new, "imp-0001", actor=ANALYST, lake=lake)
    assert lake.latest_snapshot() == snapshot
    lake.close()


def test_migrate_store_refuses_to_overwrite_or_to_read_a_non_store(old_store, tmp_path):
    new = tmp_path / "new"
    migrate_store(old_store, new)
    files = sorted(p.relative_to(new) for p in new.rglob("*"))
    with pytest.raises(AuditDataError, match="is not empty: migrate-store never overwrites"):
        migrate_store(old_store, new)
    assert sorted(p.relative_to(new) for p in new.rglob("*")) == files
    lake = Lake(new)
    assert lake.latest_snapshot() == 1
    lake.close()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(AuditDataError, match="is not an audit store in the old layout"):
        migrate_store(other, tmp_path / "fresh")
    with pytest.raises(AuditDataError, match="is already a DuckLake store"):
        migrate_store(new, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()
    # A damaged old file refuses the whole migration and leaves the new folder empty.
    (old_store / "quotes/part-0.parquet").write_bytes(b"not parquet")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AuditDataError, match=r"quotes/part-0.parquet could not be read"):
        migrate_store(old_store, empty)
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize("given_by", ["option", "environment"])
def test_migrate_store_carries_over_a_shared_audit_trail(
    old_store, tmp_path, capsys, monkeypatch, given_by
):
    # An old deployment with AUDIT_TRAIL_DIR set kept the events of that time in the shared
    # folder: both halves come over, an event in both once.
    shared = tmp_path / "shared-trail"
    later = {**TRAIL[1], "event_id": "e3", "at": T(2026, 2, 1, 8, 0), "user": "cy"}
    write(shared / "audit_trail" / "e3.parquet", [later], OLD_TRAIL)
    write(shared / "audit_trail" / "e2.parquet", [TRAIL[1]], OLD_TRAIL)
    new = tmp_path / "new"
    argv = ["migrate-store", str(old_store), "--to", str(new)]
    if given_by == "option":
        monkeypatch.delenv("AUDIT_TRAIL_DIR", raising=False)
        argv += ["--trail-dir", str(shared)]
    else:
        monkeypatch.setenv("AUDIT_TRAIL_DIR", str(shared))
    assert cli.main(argv) == 0
    assert f"3 audit-trail event(s) (with those in {shared})" in capsys.readouterr().out
    lake = Lake(new)
    trail = lake.con.execute(f'SELECT * FROM {lake.alias}.audit_trail ORDER BY "at"').fetchall()
    lake.close()
    assert trail == [(*event.values(), None) for event in (*TRAIL, later)]


def test_migrate_store_refuses_a_trail_folder_without_a_trail(old_store, tmp_path, capsys):
    new = tmp_path / "new"
    argv = ["migrate-store", str(old_store), "--to", str(new), "--trail-dir", str(tmp_path)]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path} holds no audit_trail/ folder: name the folder AUDIT_TRAIL_DIR named "
        "for the old store (or unset it). Nothing was migrated.\n"
    )
    assert not new.exists()
