"""The store's version (its data snapshot, Store.fingerprint) names the data: the audit trail is
not data, so recording an export, even the first, leaves it alone; every writer changes it. A
Store reads the one snapshot it opened on; a new Store reads the newest."""

from __future__ import annotations

from pathlib import Path

from conftest import tiny_tables
from ingest_helpers import ANALYST, round_tables, xlsx
from streamlit.testing.v1 import AppTest

from analytics import audit_trail, export, ingest
from analytics.domain import Filters
from analytics.lake.catalog import Lake
from analytics.report_doc import document as report_document
from analytics.store import Store, write_new_store

ALPHA_QUESTIONS = ["Q1", "Q2"]


def record_export(data_dir: Path, what: str) -> bytes:
    """Export as the dashboard's download buttons do (the role checked, the export recorded)."""
    return export.recorded_export(
        Store(data_dir), ANALYST, lambda: b"bytes", what=what, theme="alpha",
        filters=Filters(), threshold=None,
    )  # fmt: skip


def latest_snapshot(data_dir: Path) -> int:
    lake = Lake(data_dir)
    try:
        return lake.latest_snapshot()
    finally:
        lake.close()


def test_the_first_export_on_a_new_store_leaves_its_version(tiny_dir):
    before = Store(tiny_dir).fingerprint()
    assert audit_trail.read_trail(tiny_dir).empty  # brand new: no event yet
    latest = latest_snapshot(tiny_dir)
    record_export(tiny_dir, "first.pptx")
    assert latest_snapshot(tiny_dir) == latest + 1  # the event is a snapshot of its own...
    assert Store(tiny_dir).fingerprint() == before  # ...but no change to the data
    record_export(tiny_dir, "second.docx")
    assert Store(tiny_dir).fingerprint() == before
    assert len(audit_trail.read_trail(tiny_dir)) == 2


def test_every_writer_changes_the_version(tiny_dir):
    seen = [Store(tiny_dir).fingerprint()]
    done = ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))], actor=ANALYST
    )
    seen.append(Store(tiny_dir).fingerprint())
    ingest.undo_import(tiny_dir, done.import_id, actor=ANALYST)
    seen.append(Store(tiny_dir).fingerprint())
    write_new_store(tiny_dir, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})
    seen.append(Store(tiny_dir).fingerprint())
    assert len(set(seen)) == 4, seen
    # The trail stays through every writer, and its events still change nothing.
    record_export(tiny_dir, "after.csv")
    assert Store(tiny_dir).fingerprint() == seen[-1]
    assert len(audit_trail.read_trail(tiny_dir)) >= 3  # import, undo, export


def test_a_store_reads_the_snapshot_it_opened_on(tiny_dir):
    store = Store(tiny_dir)
    before = store.query("SELECT count(*) AS n FROM cases")["n"].iloc[0]
    ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))], actor=ANALYST
    )
    assert store.query("SELECT count(*) AS n FROM cases")["n"].iloc[0] == before
    assert Store(tiny_dir).query("SELECT count(*) AS n FROM cases")["n"].iloc[0] > before


def test_a_report_just_built_is_still_offered_after_its_export_is_recorded(tiny_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(tiny_dir))
    monkeypatch.setattr(report_document, "_image_export", lambda: (False, "not in this test"))

    def page() -> None:
        from ui.report import report_button

        report_button(["alpha"], key="t")

    app = AppTest.from_function(page, default_timeout=60).run()
    app.button(key="report_doc_t_build").click().run()
    assert not app.exception
    assert len(app.get("download_button")) == 1
    assert audit_trail.read_trail(tiny_dir).empty
    # Clicking the download records the export (AppTest cannot click it), then the page reruns.
    record_export(tiny_dir, "alpha-report.docx")
    app.run()
    assert not app.exception
    assert len(app.get("download_button")) == 1
