"""A store at a URL (s3://, gs://, https://, file://): read-only, read by DuckDB. No network here,
so the URL path is exercised with file:// URLs and the remote schemes' failure is checked."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import audit_trail, export, queries
from analytics import store as store_module
from analytics.access import Actor
from analytics.cli import main
from analytics.config import resolve_data_dir
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.store import Store

ROOT = Path(__file__).resolve().parent.parent


def test_urls_stay_strings_and_paths_become_paths(monkeypatch):
    assert resolve_data_dir("s3://bucket/audit/") == "s3://bucket/audit"
    assert resolve_data_dir("/srv/audit") == Path("/srv/audit")
    monkeypatch.setenv("AUDIT_DATA_DIR", "gs://council-audit/store")
    assert resolve_data_dir() == "gs://council-audit/store"


def test_a_file_url_answers_exactly_as_the_folder_does(tiny_dir):
    by_url, by_path = Store(f"file://{tiny_dir}"), Store(tiny_dir)
    for name, args in [
        ("quadrant_comparison", ("alpha", Filters(quadrants=("NW",)))),
        ("finding_frequency", ("alpha",)),
        ("round_trend", ("alpha",)),
        ("cohort_profile", ("alpha",)),
        ("category_matrix", ()),
        ("action_status", ()),
    ]:
        got = getattr(queries, name)(by_url, *args)
        assert got.equals(getattr(queries, name)(by_path, *args)), name
        assert len(got)
    assert by_url.manifest() == by_path.manifest() == {"synthetic": True, "notice": "tiny"}


def test_a_url_store_is_read_only_and_says_why(tiny_dir):
    store = Store(f"file://{tiny_dir}")
    assert store.remote and store.last_changed() is None
    with pytest.raises(AuditDataError, match="read from a URL, so it is read-only here"):
        _ = store.data_dir


def test_a_url_stores_version_follows_its_manifest(tiny_dir, monkeypatch):
    monkeypatch.setattr(store_module, "REMOTE_RECHECK_SECONDS", 0.0)
    store = Store(f"file://{tiny_dir}")
    before = store.fingerprint()
    assert store.fingerprint() == before
    (tiny_dir / "store.json").write_text(json.dumps({"synthetic": True, "notice": "republished"}))
    assert store.fingerprint() != before


def test_a_url_stores_version_is_not_read_on_every_call(tiny_dir, monkeypatch):
    store = Store(f"file://{tiny_dir}")
    calls = []
    monkeypatch.setattr(store, "manifest", lambda: calls.append(1) or {})
    for _ in range(50):
        store.fingerprint()
    assert calls == []  # read when opened; again only after REMOTE_RECHECK_SECONDS


@pytest.mark.parametrize(
    "url", ["s3://council-audit/store", "gs://council-audit/store", "https://example.invalid/store"]
)
def test_remote_schemes_need_httpfs_and_fail_at_once_without_it(url):
    started = time.monotonic()
    with pytest.raises(AuditDataError) as error:
        Store(url)
    assert f"Reading the store at {url} needs DuckDB's httpfs extension" in str(error.value)
    assert time.monotonic() - started < 5  # no download attempt, no network wait


def test_a_quote_in_the_location_cannot_break_out_of_the_sql(tiny_dir, tmp_path):
    odd = tmp_path / "it's; DROP VIEW cases; --"
    shutil.copytree(tiny_dir, odd)
    store = Store(f"file://{odd}")
    assert int(queries.store_contents(store)["cases"].sum()) == 6


def test_the_command_line_reads_a_url_store(tiny_dir, capsys):
    assert (
        main(["report", "--theme", "alpha", "--format", "csv", "--data-dir", f"file://{tiny_dir}"])
        == 0
    )
    url_csv = capsys.readouterr().out
    assert main(["report", "--theme", "alpha", "--format", "csv", "--data-dir", str(tiny_dir)]) == 0
    assert url_csv == capsys.readouterr().out and "alpha,r2,Q1,NW" in url_csv


def test_the_dashboard_runs_on_a_url_store(sample_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", f"file://{sample_dir}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "Synthetic sample data" in at.info[0].value
    cases = at.dataframe[0].value["Cases"].tolist()[:5]
    assert [str(c) for c in cases] == ["61", "21", "91", "48", "10"]


def test_exports_from_a_url_store_are_recorded_in_the_shared_trail_folder(
    tiny_dir, tmp_path, monkeypatch
):
    store = Store(f"file://{tiny_dir}")
    lead = Actor("lead.ne@council.example", "Lead", "inspection_lead", "NE")
    make = lambda: b"x"  # noqa: E731
    with pytest.raises(AuditDataError, match="set AUDIT_TRAIL_DIR to a folder the replicas share"):
        export.recorded_export(
            store, lead, make, what="a.csv", theme="alpha", filters=Filters(), threshold=None
        )
    monkeypatch.setenv("AUDIT_TRAIL_DIR", str(tmp_path / "shared"))
    assert (
        export.recorded_export(
            store, lead, make, what="a.csv", theme="alpha", filters=Filters(), threshold=None
        )
        == b"x"
    )
    assert audit_trail.read_trail(tmp_path / "shared")["what"].tolist() == ["a.csv"]
    assert not (tiny_dir / "audit_trail").exists()  # the store itself is never written


def test_imports_into_a_url_store_are_refused_before_anything_is_written(
    tiny_dir, tmp_path, capsys
):
    from ingest_helpers import ANALYST, round_tables, xlsx

    from analytics import ingest

    url = f"file://{tiny_dir}"
    before = sorted(p.name for p in tiny_dir.rglob("*"))
    with pytest.raises(
        AuditDataError, match="read from a URL, so it is read-only here: imports go"
    ):
        ingest.import_files(url, [xlsx(round_tables("alpha", "r9", ["Q1", "Q2"]))], actor=ANALYST)
    assert sorted(p.name for p in tiny_dir.rglob("*")) == before
    path = tmp_path / "round.xlsx"
    path.write_bytes(xlsx(round_tables("alpha", "r9", ["Q1", "Q2"])).data)
    assert main(["ingest", str(path), "--data-dir", "s3://council-audit/store"]) == 2
    assert "read-only here" in capsys.readouterr().err
    assert not Path("s3:").exists()  # Path() never folded the URL into a local folder


def test_a_replicas_data_page_is_read_only_and_shows_the_shared_trail(
    sample_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("AUDIT_DATA_DIR", f"file://{sample_dir}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert not at.get("file_uploader")
    assert any("reads the store at a URL, read-only" in i.value for i in at.info)
    assert any("set AUDIT_TRAIL_DIR" in w.value for w in at.warning)  # no trail to show: says why
    monkeypatch.setenv("AUDIT_TRAIL_DIR", str(tmp_path / "shared"))
    lead = Actor("lead.ne@council.example", "Lead", "inspection_lead", "NE")
    audit_trail.record(tmp_path / "shared", audit_trail.Event(lead, "export", "from-a-replica.csv"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    trail = next(d.value for d in at.dataframe if "By (role)" in d.value.columns)
    assert trail[["By (role)", "What"]].values.tolist() == [
        ["lead.ne@council.example (Inspection lead)", "from-a-replica.csv"]
    ]


def test_with_a_shared_trail_the_writers_imports_are_recorded_there(
    tiny_dir, tmp_path, monkeypatch
):
    from ingest_helpers import ANALYST, round_tables, xlsx

    from analytics import ingest

    monkeypatch.setenv("AUDIT_TRAIL_DIR", str(tmp_path / "shared"))
    done = ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r9", ["Q1", "Q2"]))], actor=ANALYST
    )
    ingest.undo_import(tiny_dir, done.import_id, actor=ANALYST)
    shared = audit_trail.read_trail(tmp_path / "shared")
    assert shared[["action", "what"]].values.tolist() == [
        ["undo-import", "imp-0001"],
        ["import", "round.xlsx"],
    ]
    assert audit_trail.read_trail(tiny_dir).empty  # one trail for the deployment
    history = ingest.import_history(f"file://{tiny_dir}")  # read through DuckDB, read-only
    assert history["import_id"].tolist() == ["imp-0001"] and not history["can_undo"].any()
    assert history["state"].iloc[0].startswith("undone ")
