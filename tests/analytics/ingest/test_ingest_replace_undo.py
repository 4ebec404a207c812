"""Replacing a loaded round, and undoing an import exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from ingest_helpers import (
    ALPHA_QUESTIONS,
    ANALYST,
    data_rows,
    find,
    good,
    latest_snapshot,
    refused,
    round_tables,
    table_rows,
    xlsx,
)

from analytics import audit_trail, ingest, queries
from analytics.errors import AuditDataError
from analytics.store import Store

# --- replace and undo ------------------------------------------------------------------------


def test_replace_needs_the_flag_then_replaces_the_round(tiny_dir):
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, n_cases=8, prefix="R")
    find(refused(tiny_dir, [xlsx(tables)]), "cases", 2, "round_id", "already loaded")
    result = ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    assert "replaces 4 stored cases" in result.message
    store = Store(tiny_dir)
    ids = store.query("SELECT audit_id FROM cases WHERE round_id = 'r2' ORDER BY 1")["audit_id"]
    assert ids.tolist() == [f"R{i}" for i in range(1, 9)]  # the old A1..A4 are gone from views
    history = ingest.import_history(tiny_dir)
    assert history.loc[0, "replaced"] == "alpha/r2"
    # The replaced cases are still there as of the snapshot the import was applied to.
    record = Store(tiny_dir).query("SELECT base_snapshot, changed FROM imports").iloc[0]
    assert "cases:alpha/r2" in list(record["changed"])
    kept = table_rows(tiny_dir, "cases", int(record["base_snapshot"]))
    assert [row[0] for row in kept if row[2] == "r2"] == ["A1", "A2", "A3", "A4"]


def test_replacement_may_reuse_the_audit_ids_of_the_round_it_replaces(tiny_dir):
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, prefix="A")  # A1..A4 as stored in r2
    assert ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST).changed


def test_undo_restores_the_previous_rows_exactly(tiny_dir):
    before_data, before_manifest = data_rows(tiny_dir), Store(tiny_dir).manifest()
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, n_cases=8, prefix="R")
    tables["rounds"] = pd.DataFrame(
        [{"theme_id": "alpha", "round_id": "r2", "label": "Two, redone"}]
    )
    first = ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    second = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    assert data_rows(tiny_dir) != before_data
    manifest = Store(tiny_dir).manifest()
    assert manifest["synthetic"] == "mixed"
    assert manifest["notice"] == (
        "This store mixes synthetic sample data with imported audit rounds. Synthetic sample (no "
        "real child is described): alpha r1. Imported from audit files (real data): alpha r2, r9."
    )
    ingest.undo_import(tiny_dir, second.import_id, actor=ANALYST)
    result = ingest.undo_import(tiny_dir, first.import_id, actor=ANALYST)
    # r2's file in every partitioned table (cases, responses and their roll-ups), and rounds
    assert (result.cases_removed, result.cases_restored) == (8, 4)  # R1..R8 go, A1..A4 return
    assert data_rows(tiny_dir) == before_data
    assert Store(tiny_dir).manifest() == before_manifest
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["action", "what", "detail", "user", "outcome"]].values.tolist()[::-1] == [
        ["import", "round.xlsx", "imp-0001", ANALYST.user, "done"],
        ["import", "round.xlsx", "imp-0002", ANALYST.user, "done"],
        ["undo-import", "imp-0002", "round.xlsx", ANALYST.user, "done"],
        ["undo-import", "imp-0001", "round.xlsx", ANALYST.user, "done"],
    ]
    history = ingest.import_history(tiny_dir)
    assert history["state"].str.startswith("undone").all() and not history["can_undo"].any()
    assert Store(tiny_dir).query("SELECT count(*) AS n FROM cases")["n"][0] == 6


def test_undo_in_any_order_when_imports_are_independent(tiny_dir):
    before = data_rows(tiny_dir)
    first = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r8", ALPHA_QUESTIONS, prefix="E"))], actor=ANALYST
    )
    ingest.undo_import(tiny_dir, first.import_id, actor=ANALYST)  # the older one first
    assert queries.audited_rounds(Store(tiny_dir), "alpha") == ["r1", "r2", "r8"]
    ingest.undo_import(tiny_dir, "imp-0002", actor=ANALYST)
    assert data_rows(tiny_dir) == before


def test_undo_refuses_when_a_later_import_replaced_its_round(tiny_dir):
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    again = round_tables("alpha", "r9", ALPHA_QUESTIONS, prefix="M")
    ingest.import_files(tiny_dir, [xlsx(again)], replace=True, actor=ANALYST)
    history = ingest.import_history(tiny_dir).set_index("import_id")
    assert history.loc["imp-0002", "replaced"] == "alpha/r9 (from imp-0001)"
    assert "imp-0002 changed what imp-0001 loaded" in history.loc["imp-0001", "state"]
    before = latest_snapshot(tiny_dir)
    with pytest.raises(AuditDataError, match="undo imp-0002 first"):
        ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    assert latest_snapshot(tiny_dir) == before
    ingest.undo_import(tiny_dir, "imp-0002", actor=ANALYST)
    undone = ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    assert (undone.cases_removed, undone.cases_restored) == (4, 0)


def test_undo_refuses_to_orphan_a_later_imports_answers(tiny_dir):
    questions = pd.DataFrame([{"theme_id": "beta", "question_id": "B-01", "text": "A standard",
                               "category": "Recording"}])  # fmt: skip
    first = round_tables("beta", "b2", ["B-01"], prefix="X")
    ingest.import_files(tiny_dir, [xlsx(first | {"questions": questions})], actor=ANALYST)
    ingest.import_files(
        tiny_dir, [xlsx(round_tables("beta", "b3", ["B-01"], prefix="Y"))], actor=ANALYST
    )
    with pytest.raises(AuditDataError, match=r"answers to beta question B-01.*imp-0002"):
        ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)


def test_undo_unknown_or_twice(tiny_dir):
    with pytest.raises(AuditDataError, match="No import 'imp-0042'"):
        ingest.undo_import(tiny_dir, "imp-0042", actor=ANALYST)
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    with pytest.raises(AuditDataError, match="already undone"):
        ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    # Undone, the same file imports again, under a new id.
    assert ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST).import_id == "imp-0002"


def test_replaced_rows_are_invisible_to_queries_but_kept_in_the_earlier_snapshot(tiny_dir):
    before = latest_snapshot(tiny_dir)
    tables = round_tables("alpha", "r2", ALPHA_QUESTIONS, n_cases=8, prefix="R")
    ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    sql = ("SELECT (SELECT count(*) FROM cases WHERE round_id = 'r2') AS cases, "
           "(SELECT count(*) FROM responses WHERE round_id = 'r2') AS responses, "
           "(SELECT sum(cases) FROM case_counts WHERE round_id = 'r2') AS rolled_up")  # fmt: skip
    assert Store(tiny_dir).query(sql).iloc[0].tolist() == [8, 16, 8]
    assert Store(tiny_dir, as_of=before).query(sql).iloc[0].tolist() == [4, 8, 4]


def test_imports_table_is_a_store_view_with_timestamps(tiny_dir):
    base = latest_snapshot(tiny_dir)
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    frame = Store(tiny_dir).query(
        "SELECT import_id, user, imported_at, typeof(imported_at) AS type, base_snapshot, "
        "changed FROM imports"
    )
    assert frame.loc[0, ["import_id", "user", "type", "base_snapshot"]].tolist() == [
        "imp-0001",
        "qa.analyst@council.example",
        "TIMESTAMP",
        base,
    ]
    # the round's cases (with its responses, roll-ups and completeness), its rounds row
    assert list(frame.loc[0, "changed"]) == ["cases:alpha/r9", "rounds:alpha/r9"]
    assert abs(
        pd.Timestamp.now(tz="UTC").tz_localize(None) - frame.loc[0, "imported_at"]
    ) < pd.Timedelta(minutes=5)


def test_first_import_into_a_missing_directory_creates_a_catalogue_store(tmp_path):
    data_dir = tmp_path / "new-store"
    tables = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    ingest.import_files(data_dir, [xlsx(tables)], actor=ANALYST)
    store = Store(data_dir)
    assert queries.audited_rounds(store, "permanency") == ["2021-03"]
    assert queries.audited_rounds(store, "missing") == []  # seed rounds hold no cases here
    assert store.manifest()["synthetic"] is False
