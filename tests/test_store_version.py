"""The store's version (Store.fingerprint) names the data: the audit trail inside the store is
not data, so recording an export, even the first, leaves it alone; every writer changes it."""

from __future__ import annotations

from pathlib import Path

from conftest import tiny_tables
from ingest_helpers import ANALYST, round_tables, xlsx
from streamlit.testing.v1 import AppTest

from analytics import audit_trail, export, ingest
from analytics.domain import Filters
from analytics.report_doc import document as report_document
from analytics.store import Store, write_new_store

ALPHA_QUESTIONS = ["Q1", "Q2"]


def record_export(data_dir: Path, what: str) -> bytes:
    """Export as the dashboard's download buttons do (the role checked, the export recorded)."""
    return export.recorded_export(
        Store(data_dir), ANALYST, lambda: b"bytes", what=what, theme="alpha",
        filters=Filters(), threshold=None,
    )  # fmt: skip


def test_the_first_export_on_a_new_store_leaves_its_version(tiny_dir):
    store = Store(tiny_dir)
    assert not (tiny_dir / audit_trail.TRAIL_DIR).exists()  # brand new: no trail yet
    before = store.fingerprint()
    record_export(tiny_dir, "first.pptx")
    assert (tiny_dir / audit_trail.TRAIL_DIR).is_dir()  # the folder was created by the export
    assert store.fingerprint() == before
    assert Store(tiny_dir).fingerprint() == before  # another process agrees
    record_export(tiny_dir, "second.docx")
    assert store.fingerprint() == before
    assert len(audit_trail.read_trail(tiny_dir)) == 2


def test_every_writer_changes_the_version(tiny_dir):
    store = Store(tiny_dir)
    seen = [store.fingerprint()]
    done = ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))], actor=ANALYST
    )
    seen.append(store.fingerprint())
    ingest.undo_import(tiny_dir, done.import_id, actor=ANALYST)
    seen.append(store.fingerprint())
    write_new_store(tiny_dir, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})
    seen.append(store.fingerprint())
    assert len(set(seen)) == 4, seen
    # The trail is carried through every version, and its events still change nothing.
    record_export(tiny_dir, "after.csv")
    assert store.fingerprint() == seen[-1]


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
    assert not (tiny_dir / audit_trail.TRAIL_DIR).exists()
    # Clicking the download records the export (AppTest cannot click it), then the page reruns.
    record_export(tiny_dir, "alpha-report.docx")
    app.run()
    assert not app.exception
    assert len(app.get("download_button")) == 1
