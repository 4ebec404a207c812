"""The store beyond one machine: a PostgreSQL catalog with its Parquet files in a bucket, chosen
by one setting. Run against a throwaway PostgreSQL and moto's S3 endpoint on 127.0.0.1
(tests/services.py): when either cannot start, these tests fail, never skip."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator

import pandas as pd
import pytest
from ingest_helpers import ANALYST
from paths import ROOT
from replica_workers import replica, round_counts
from services import PostgresService, S3Service, free_port
from streamlit.testing.v1 import AppTest

from analytics import queries
from analytics.config import resolve_data_dir
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.generate import generate_store
from analytics.lake.catalog import Lake
from analytics.lake.location import StoreLocation, parse_location
from analytics.store import Store, write_new_store
from tests.conftest import tiny_tables

SPAWN = multiprocessing.get_context("spawn")
THEME = "permanency"  # a sample theme with two audited rounds


def _aws_environment(s3: S3Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the AWS_* variables at the test endpoint (spawned children inherit them)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": s3.key_id,
        "AWS_SECRET_ACCESS_KEY": s3.secret,
        "AWS_REGION": s3.region,
        "AWS_ENDPOINT_URL": s3.endpoint_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


def _write_tiny(setting: str) -> None:
    """Write the tiny hand-made store to the setting's catalog and bucket."""
    write_new_store(setting, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})


def _bucket_keys(s3: S3Service, bucket: str) -> list[str]:
    listed = s3.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def _catalog_keys(lake: Lake, bucket: str) -> list[str]:
    """The object keys of every data file the catalog lists at its newest snapshot."""
    files = lake.files_at(lake.latest_snapshot())
    prefix = f"s3://{bucket}/"
    paths = [path for listed in files.values() for path in listed or []]
    assert all(path.startswith(prefix) for path in paths), paths
    return sorted(path[len(prefix) :] for path in paths)


# --- the sample store on PostgreSQL + S3 ------------------------------------------------------


@pytest.fixture(scope="module")
def sample_remote(
    postgres_service: PostgresService,
    s3_service: S3Service,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple]:
    """The sample store generated into a fresh PostgreSQL database and bucket, named by
    AUDIT_STORE (the older AUDIT_DATA_DIR, also set, loses). Yields (setting, bucket)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _aws_environment(s3_service, monkeypatch)
        database, bucket = postgres_service.new_database(), s3_service.new_bucket()
        setting = f"postgres:{database.libpq} data_path=s3://{bucket}/lake/"
        monkeypatch.setenv("AUDIT_STORE", setting)
        monkeypatch.setenv("AUDIT_DATA_DIR", str(tmp_path_factory.mktemp("not-the-store")))
        generate_store(resolve_data_dir())
        yield setting, bucket


def test_the_sample_store_on_postgres_and_s3_answers_like_the_local_one(
    sample_remote, sample_dir, s3_service
):
    setting, bucket = sample_remote
    remote, local = Store(setting), Store(sample_dir)
    # Every data file the catalog lists is an object in the bucket, under the prefix (the
    # bucket also keeps files that older snapshots read).
    keys = _bucket_keys(s3_service, bucket)
    assert set(_catalog_keys(remote.lake, bucket)) <= set(keys)
    assert keys and all(key.startswith("lake/") and key.endswith(".parquet") for key in keys)
    assert any(key.startswith("lake/main/responses/theme_id=permanency/") for key in keys)

    question = queries.question_ids(local, THEME)[0]
    nw = Filters(quadrants=("NW",))
    for name, args in [
        ("quadrant_comparison", (THEME,)),
        ("quadrant_comparison", (THEME, nw)),
        ("cohort_profile", (THEME,)),  # reads the cases' Parquet files over httpfs
        ("round_trend", (THEME,)),
        ("theme_summary", ()),
        ("category_matrix", ()),
        ("action_status", ()),
        ("store_contents", ()),
        ("cases_behind", (THEME, question)),  # cases and responses files, joined
    ]:
        expected = getattr(queries, name)(local, *args)
        assert len(expected), name
        pd.testing.assert_frame_equal(getattr(queries, name)(remote, *args), expected, obj=name)
    made = {key: value for key, value in remote.manifest().items() if key != "generated_at"}
    assert made == {k: v for k, v in local.manifest().items() if k != "generated_at"}
    assert remote.where.folder is None and remote.location == setting
    remote.close()


def _overview(monkeypatch: pytest.MonkeyPatch, **environment: str) -> tuple[list, list]:
    """Run the dashboard's first page with this environment: its text and its charts."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    return [block.value for block in app.markdown], charts


def test_a_dashboard_replica_shows_the_store_as_the_local_dashboard_does(
    sample_remote, sample_dir, monkeypatch
):
    setting, _ = sample_remote
    monkeypatch.delenv("AUDIT_STORE")
    local = _overview(monkeypatch, AUDIT_DATA_DIR=str(sample_dir))
    remote = _overview(monkeypatch, AUDIT_STORE=setting)
    assert remote[1] and remote == local


def test_gs_data_paths_are_read_through_the_s3_api_with_an_hmac_key(
    postgres_database, s3_service, s3_bucket, monkeypatch
):
    # Google Cloud Storage itself cannot be reached offline: its S3-compatible API is stood in
    # for by the test endpoint (AWS_ENDPOINT_URL), so the gs:// credentials' path runs here.
    _aws_environment(s3_service, monkeypatch)
    setting = f"postgres:{postgres_database.libpq} data_path=gs://{s3_bucket}/lake/"
    _write_tiny(setting)
    with Store(setting) as store:
        assert round_counts(store, ["r1", "r2"]) == [["r1", 2, 4], ["r2", 4, 8]]
        files = store.lake.files_at(store.snapshot)
    assert files["cases"] and all(p.startswith(f"gs://{s3_bucket}/lake/") for p in files["cases"])
    keys = _bucket_keys(s3_service, s3_bucket)
    assert "lake/main/cases/theme_id=alpha/round_id=r2" in {key.rsplit("/", 1)[0] for key in keys}


def test_a_folder_every_machine_mounts_may_hold_the_data_files(postgres_database, tmp_path):
    shared = tmp_path / "mnt" / "audit"
    setting = f"postgres:{postgres_database.libpq} data_path={shared}"
    _write_tiny(setting)
    with Store(setting) as store:
        assert round_counts(store, ["r1", "r2"]) == [["r1", 2, 4], ["r2", 4, 8]]
    assert (shared / "main" / "cases" / "theme_id=alpha" / "round_id=r2").is_dir()


# --- several replicas -------------------------------------------------------------------------

REPLICA_ROUNDS = ["r8", "r9"]


@pytest.fixture(scope="module")
def replicas(postgres_service: PostgresService, s3_service: S3Service) -> Iterator[tuple]:
    """Two replicas (spawned processes, each with its own catalog connection) on the tiny store
    in PostgreSQL + a bucket: each reads a page, both import a different round at once (a
    barrier), then each reads its next page. Yields (setting, their reports by round)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _aws_environment(s3_service, monkeypatch)
        database, bucket = postgres_service.new_database(), s3_service.new_bucket()
        setting = f"postgres:{database.libpq} data_path=s3://{bucket}/lake/"
        _write_tiny(setting)
        barrier, results = SPAWN.Barrier(len(REPLICA_ROUNDS)), SPAWN.Queue()
        workers = [
            SPAWN.Process(
                target=replica, args=(setting, round_id, REPLICA_ROUNDS, barrier, results)
            )
            for round_id in REPLICA_ROUNDS
        ]
        try:
            for worker in workers:
                worker.start()
            reports = {
                report[0]: report[1:] for report in (results.get(timeout=180) for _ in workers)
            }
            for worker in workers:
                worker.join(timeout=60)
        finally:
            for worker in workers:
                if worker.is_alive():
                    worker.kill()
        yield setting, reports


def test_two_replicas_importing_different_rounds_at_once_both_land(replicas):
    setting, reports = replicas
    outcomes = sorted((round_id, report[0]) for round_id, report in reports.items())
    assert [round_id for round_id, _ in outcomes] == REPLICA_ROUNDS
    assert sorted(outcome for _, outcome in outcomes) == ["imp-0001", "imp-0002"], outcomes
    with Store(setting) as store:
        history = store.query("SELECT import_id, theme_rounds, status FROM imports")
        assert sorted(
            (rounds.tolist(), status)
            for rounds, status in history[["theme_rounds", "status"]].values
        ) == [(["alpha/r8"], "active"), (["alpha/r9"], "active")]
        # round_tables: 4 cases, each answering both alpha questions; r1 is untouched.
        assert round_counts(store, ["r1", *REPLICA_ROUNDS]) == [
            ["r1", 2, 4],
            ["r8", 4, 8],
            ["r9", 4, 8],
        ]
        imports = [s for s in store.lake.snapshots() if s.message.startswith("import ")]
    assert sorted(s.message for s in imports) == sorted(
        f"import {reports[r][0]} ({r}.xlsx)" for r in REPLICA_ROUNDS
    )
    assert {s.author for s in imports} == {ANALYST.user}


def test_a_replica_sees_the_other_replicas_import_on_its_next_page_run(replicas):
    _, reports = replicas
    both = [["r8", 4, 8], ["r9", 4, 8]]
    for round_id, (outcome, first_run, next_run, kept) in sorted(reports.items()):
        assert outcome.startswith("imp-"), outcome
        assert first_run == [], round_id  # neither round was there when its page first ran
        assert next_run == both, round_id  # its own round and the other replica's
        assert kept is True, round_id  # a page run in progress keeps its snapshot


# --- the setting ------------------------------------------------------------------------------

SETTING = (
    "postgres:dbname=audit host=db.internal user=audit password=s3cret "
    "data_path=s3://council-audit/lake"
)


def test_a_postgres_setting_names_the_catalog_and_where_the_files_live():
    assert parse_location(SETTING) == StoreLocation(
        SETTING,
        "postgres:dbname=audit host=db.internal user=audit password=s3cret",
        "s3://council-audit/lake/",
        None,
    )
    where = parse_location("postgres:dbname=audit data_path=/srv/shared/audit/ host=db")
    assert (where.catalog, where.data_path) == (
        "postgres:dbname=audit host=db",
        "/srv/shared/audit/",
    )
    assert not where.embedded and not where.remote_data  # a folder every machine shares


def test_the_password_is_never_shown():
    where = parse_location(SETTING)
    assert (
        where.shown()
        == str(where)
        == (
            "postgres:dbname=audit host=db.internal user=audit password=… "
            "data_path=s3://council-audit/lake"
        )
    )
    quoted = parse_location("postgres:password='two words' dbname=audit data_path=s3://b/p/")
    assert quoted.shown() == "postgres:password=… dbname=audit data_path=s3://b/p/"


def test_a_postgres_setting_without_a_data_path_is_refused_saying_what_to_add():
    with pytest.raises(AuditDataError) as caught:
        parse_location("postgres:dbname=audit host=db.internal password=s3cret")
    message = str(caught.value)
    assert "add data_path=s3://bucket/prefix/" in message and "s3cret" not in message


@pytest.mark.parametrize(
    "data_path", ["''", "'/mnt/Audit files/", "/", "''/"],
)  # fmt: skip
def test_a_postgres_setting_with_an_empty_or_unterminated_data_path_is_refused(data_path):
    with pytest.raises(AuditDataError, match="has no usable data_path"):
        parse_location(f"postgres:dbname=audit host=db.internal data_path={data_path}")


def test_audit_store_wins_over_the_older_audit_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("AUDIT_STORE", raising=False)
    monkeypatch.setenv("AUDIT_DATA_DIR", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    monkeypatch.setenv("AUDIT_STORE", SETTING)
    assert resolve_data_dir() == SETTING  # a string: a Path would fold the "//" of s3://
    assert resolve_data_dir(str(tmp_path / "other")) == tmp_path / "other"  # --data-dir wins


def test_an_unreachable_catalog_is_reported_without_the_password(monkeypatch):
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "5")
    nothing = (
        f"postgres:dbname=audit host=127.0.0.1 port={free_port()} user=lake password=s3cret "
        "data_path=s3://nowhere/lake/"
    )
    with pytest.raises(AuditDataError) as caught:
        Store(nothing)
    message = str(caught.value)
    assert "could not be opened" in message and "s3cret" not in message
    assert "password=…" in message


def test_the_undo_hint_runs_as_printed_and_never_shows_the_password(
    postgres_database, tmp_path, capsys
):
    import shlex

    from ingest_helpers import round_tables, xlsx_bytes

    from analytics.cli import main

    # The test cluster trusts 127.0.0.1, so a password is accepted and ignored: it must not be
    # printed. The data folder's name has a space (quoted as libpq quotes values), so the hint
    # must be quoted to run.
    shared = tmp_path / "shared files"
    setting = f"postgres:{postgres_database.libpq} password=s3cret data_path='{shared}/'"
    assert parse_location(setting).data_path == f"{shared}/"
    _write_tiny(setting)
    workbook = tmp_path / "round.xlsx"
    workbook.write_bytes(xlsx_bytes(round_tables("alpha", "r9", ["Q1", "Q2"])))
    assert main(["ingest", str(workbook), "--data-dir", setting]) == 0
    with Store(setting) as store:
        assert round_counts(store, ["r9"]) == [["r9", 4, 8]]
    out = capsys.readouterr().out
    assert "s3cret" not in out
    (hint,) = [line for line in out.splitlines() if line.startswith("Undo with: ")]
    argv = shlex.split(hint.removeprefix("Undo with: "))
    assert argv[:4] == ["python", "-m", "analytics", "undo-import"]
    # libpq then takes the password from PGPASSWORD or ~/.pgpass, as a real server needs
    assert argv[-2:] == ["--data-dir", setting.replace(" password=s3cret", "")]
    assert "password" not in hint
    assert main(argv[3:]) == 0
    assert "Undid imp-0001 (round.xlsx)" in capsys.readouterr().out
    assert (shared / "main" / "cases").is_dir()  # the files went to the quoted folder
    with Store(setting) as store:
        assert round_counts(store, ["r9"]) == []  # no round r9 holds cases now
