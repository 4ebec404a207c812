"""Roles from the roles file, refusals in the engine, and the audit trail that records each action."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from ingest_helpers import ANALYST, copy_store, round_tables, tree_hashes, xlsx
from paths import ROOT

from analytics import audit_trail, export, ingest, views
from analytics.access import (
    AccessPolicy,
    AccessRefused,
    Actor,
    Grant,
    Permission,
    load_policy,
    local_operator,
    require,
)
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.lake.catalog import Lake, Snapshot
from analytics.store import Store

ROLES_FILE = """
group_claim = "groups"

[users]
"Lead.NE@Council.example" = { role = "inspection_lead", quadrant = "NE" }
"analyst@council.example" = "analyst"
"reader@council.example" = { role = "reader" }

[groups]
"plt" = { role = "leadership" }
"qa-team" = { role = "analyst" }
"staff" = { role = "reader" }
"""
READER = Actor("reader@council.example", "Reader", "reader", signed_in=True)
LEAD_NE = Actor("lead.ne@council.example", "Lead NE", "inspection_lead", "NE", signed_in=True)
ALPHA_QUESTIONS = ["Q1", "Q2"]


def snapshots(data_dir: Path) -> list[Snapshot]:
    """The store's snapshots, oldest first."""
    lake = Lake(data_dir)
    try:
        return lake.snapshots()
    finally:
        lake.close()


def data_snapshot(data_dir: Path) -> int:
    """The newest snapshot that changed the store's data (what pages read)."""
    lake = Lake(data_dir)
    try:
        return lake.data_snapshot()
    finally:
        lake.close()


def only_the_trail_changed(data_dir: Path, since: int) -> bool:
    """Whether every snapshot after `since` (one at least) only appended to the audit trail."""
    lake = Lake(data_dir)
    try:
        trail_id = lake.con.execute(
            f"SELECT table_id FROM {lake.meta}.ducklake_table WHERE table_name = 'audit_trail'"
        ).fetchone()[0]
        later = [s for s in lake.snapshots() if s.snapshot_id > since]
    finally:
        lake.close()
    return bool(later) and all(s.changes == f"inserted_into_table:{trail_id}" for s in later)


@pytest.fixture
def policy(tmp_path: Path) -> AccessPolicy:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES_FILE)
    return load_policy(path)


def test_users_match_by_email_whatever_the_case(policy):
    actor = policy.actor_for({"email": "lead.ne@council.EXAMPLE", "name": "Pat"})
    assert actor == Actor("lead.ne@council.example", "Pat", "inspection_lead", "NE", True)
    assert actor.default_quadrants == ("NE",)
    assert policy.actor_for({"email": "analyst@council.example"}).role == "analyst"


def test_a_users_own_line_beats_their_groups(policy):
    actor = policy.actor_for({"email": "reader@council.example", "groups": ["qa-team"]})
    assert actor.role == "reader"


def test_groups_give_the_role_that_allows_most(policy):
    claims = {"email": "someone@council.example", "groups": ["staff", "qa-team", "plt"]}
    assert policy.actor_for(claims).role == "analyst"
    assert policy.actor_for({"sub": "x", "groups": "plt"}).role == "leadership"


def test_unlisted_users_get_no_role_unless_a_default_is_set(policy, tmp_path):
    nobody = policy.actor_for({"email": "new@council.example"})
    assert nobody.role is None and nobody.signed_in
    assert not any(nobody.can(p) for p in Permission)
    path = tmp_path / "default.toml"
    path.write_text('default_role = "reader"\n')
    assert load_policy(path).actor_for({"email": "new@council.example"}).role == "reader"


def test_a_missing_roles_file_grants_nothing(tmp_path):
    assert load_policy(tmp_path / "absent.toml").actor_for({"email": "a@b.c"}).role is None


def test_permissions_per_role():
    assert [READER.can(p) for p in Permission] == [True, False, False]
    assert [LEAD_NE.can(p) for p in Permission] == [True, True, False]
    assert [ANALYST.can(p) for p in Permission] == [True, True, True]
    leadership = Actor("d@council.example", "Director", "leadership")
    assert [leadership.can(p) for p in Permission] == [True, True, False]
    assert local_operator().can(Permission.IMPORT)  # the command line writes the files anyway


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[users]\n'a@b.c' = { role = 'owner' }\n", "[users] 'a@b.c' has role 'owner'; roles:"),
        ("[users]\n'a@b.c' = { role = 'inspection_lead', quadrant = 'N' }\n", "quadrant 'N'"),
        ("[groups]\n'g' = 3\n", "[groups] 'g' must be { role = ..., quadrant = ... }"),
        ("default_role = 'admin'\n", "default_role 'admin' is not a role"),
        ("[users\n", "is not valid TOML"),
    ],
)
def test_a_bad_roles_file_is_refused_naming_the_line(tmp_path, text, message):
    path = tmp_path / "roles.toml"
    path.write_text(text)
    with pytest.raises(AuditDataError) as error:
        load_policy(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_require_names_who_what_and_which_roles_may():
    with pytest.raises(AccessRefused) as error:
        require(READER, Permission.IMPORT, "import audit rounds")
    assert str(error.value) == (
        "Reader (Reader) may not import audit rounds: that needs a role with the 'import' "
        "permission (analyst). Nothing was changed."
    )


def test_a_reader_cannot_import_and_nothing_is_written(tiny_dir):
    before, data = snapshots(tiny_dir)[-1].snapshot_id, data_snapshot(tiny_dir)
    with pytest.raises(AccessRefused):
        ingest.import_files(
            tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))], actor=READER
        )
    assert only_the_trail_changed(tiny_dir, before) and data_snapshot(tiny_dir) == data
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["user", "role", "action", "what", "outcome"]].values.tolist() == [
        [READER.user, "reader", "import", "round.xlsx", "refused"]
    ]
    assert "may not import round.xlsx" in trail.loc[0, "detail"]


def test_a_lead_cannot_undo_an_import(tiny_dir):
    done = ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))], actor=ANALYST
    )
    before, data = snapshots(tiny_dir)[-1].snapshot_id, data_snapshot(tiny_dir)
    with pytest.raises(AccessRefused):
        ingest.undo_import(tiny_dir, done.import_id, actor=LEAD_NE)
    assert only_the_trail_changed(tiny_dir, before) and data_snapshot(tiny_dir) == data
    assert ingest.import_history(tiny_dir).loc[0, "state"] == "active"
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["user", "action", "what", "outcome"]].values.tolist() == [
        [LEAD_NE.user, "undo-import", "imp-0001", "refused"],
        [ANALYST.user, "import", "round.xlsx", "done"],
    ]


def test_exports_are_recorded_with_filters_and_mode(tiny):
    filters = Filters(quadrants=("NE", "NW"), round_id="r2")
    view = views.chart_view(tiny, "quadrant_comparison", "alpha", filters)
    data = export.recorded_export(
        tiny, LEAD_NE, lambda: export.view_bytes(tiny, view, "csv", 3),
        what="alpha.csv", theme="alpha", filters=filters, threshold=3,
    )  # fmt: skip
    assert data.startswith("\ufeff".encode())
    trail = audit_trail.read_trail(tiny.data_dir)
    assert trail.drop(columns=["event_id", "at"]).to_dict("records") == [
        {
            "user": LEAD_NE.user, "role": "inspection_lead", "action": "export", "what": "alpha.csv",
            "theme_id": "alpha", "round_id": "r2", "quadrants": "NE,NW", "teams": "",
            "mode": "for circulation: counts under 3 suppressed", "outcome": "done", "detail": "",
            "snapshot_id": tiny.snapshot,
        }
    ]  # fmt: skip


def test_a_reader_cannot_export_and_the_bytes_are_never_made(tiny):
    made = []
    with pytest.raises(AccessRefused):
        export.recorded_export(
            tiny, READER, lambda: made.append(1) or b"x",
            what="alpha.pptx", theme="alpha", filters=Filters(), threshold=None,
        )  # fmt: skip
    assert made == []
    trail = audit_trail.read_trail(tiny.data_dir)
    assert trail[["action", "what", "outcome"]].values.tolist() == [
        ["export", "alpha.pptx", "refused"]
    ]


def test_recording_an_export_adds_a_snapshot_but_leaves_the_data_snapshot(tiny_dir):
    store = Store(tiny_dir)
    made_from = store.snapshot
    latest = snapshots(tiny_dir)[-1].snapshot_id
    for what in ("first.csv", "second.csv"):
        export.recorded_export(store, LEAD_NE, lambda: b"x", what=what, theme="alpha",
                               filters=Filters(), threshold=None)  # fmt: skip
    added = [(s.snapshot_id, s.author, s.message) for s in snapshots(tiny_dir)]
    assert added[-2:] == [
        (latest + 1, LEAD_NE.user, "export first.csv"),
        (latest + 2, LEAD_NE.user, "export second.csv"),
    ]
    assert only_the_trail_changed(tiny_dir, latest)
    assert data_snapshot(tiny_dir) == made_from == store.snapshot  # what pages read: the same
    assert Store(tiny_dir).fingerprint() == store.fingerprint() == f"snapshot-{made_from}"
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["what", "snapshot_id"]].values.tolist() == [
        ["second.csv", made_from], ["first.csv", made_from]
    ]  # fmt: skip


def test_an_exports_event_names_the_snapshot_it_was_made_from_not_the_newest(tiny_dir):
    first = Store(tiny_dir)
    ingest.import_files(tiny_dir, [xlsx(round_tables("alpha", "r9", ALPHA_QUESTIONS))],
                        actor=ANALYST)  # fmt: skip
    newest = Store(tiny_dir)
    assert newest.snapshot > first.snapshot
    for store, what in ((first, "as-of.csv"), (newest, "now.csv")):
        export.recorded_export(store, LEAD_NE, lambda: b"x", what=what, theme="alpha",
                               filters=Filters(), threshold=None)  # fmt: skip
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["action", "what"]].values.tolist() == [
        ["export", "now.csv"], ["export", "as-of.csv"], ["import", "round.xlsx"]
    ]  # fmt: skip
    assert trail["snapshot_id"].tolist()[:2] == [newest.snapshot, first.snapshot]
    assert trail["snapshot_id"].isna().tolist() == [False, False, True]  # an import: none


def _export_many(data_dir: str, worker: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    actor = Actor(f"user{worker}@council.example", f"User {worker}", "leadership")
    lake = Lake(data_dir)  # one connection per process, as a dashboard replica keeps
    barrier.wait()
    for i in range(EVENTS_EACH):
        event = audit_trail.Event(actor, "export", f"{worker}-{i}.png")
        audit_trail.record(data_dir, event, lake=lake)
    lake.close()


WORKERS, EVENTS_EACH = 3, 4


def test_concurrent_events_from_several_processes_are_each_recorded_once(tiny_dir):
    before = snapshots(tiny_dir)[-1].snapshot_id
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    workers = [
        context.Process(target=_export_many, args=(str(tiny_dir), w, barrier))
        for w in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * WORKERS
    trail = audit_trail.read_trail(tiny_dir)
    expected = sorted(f"{w}-{i}.png" for w in range(WORKERS) for i in range(EVENTS_EACH))
    assert sorted(trail["what"]) == expected
    assert trail["event_id"].is_unique
    assert len(snapshots(tiny_dir)) - 1 - before == WORKERS * EVENTS_EACH  # one snapshot each
    assert only_the_trail_changed(tiny_dir, before)


def test_an_import_carries_the_trail_forward(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    audit_trail.record(data_dir, audit_trail.Event(LEAD_NE, "export", "before.csv"))
    tables = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    ingest.import_files(data_dir, [xlsx(tables)], actor=ANALYST)
    assert audit_trail.read_trail(data_dir)["what"].tolist() == ["round.xlsx", "before.csv"]
    assert (
        Store(data_dir).query("SELECT count(*) AS n FROM cases WHERE round_id = '2021-03'")["n"][0]
        == 4
    )


def test_the_trail_answers_who_exported_the_ne_permanency_pack(tiny_dir):
    for actor, theme, quadrants, what in [
        (LEAD_NE, "permanency", ("NE",), "audit-insight_permanency_slide-pack_NE.pptx"),
        (ANALYST, "permanency", (), "audit-insight_permanency_slide-pack.pptx"),
        (LEAD_NE, "missing", ("NE",), "audit-insight_missing_slide-pack_NE.pptx"),
    ]:
        event = audit_trail.Event(actor, "export", what, theme, Filters(quadrants=quadrants))
        audit_trail.record(tiny_dir, event)
    trail = audit_trail.read_trail(tiny_dir)
    found = trail[(trail["theme_id"] == "permanency") & trail["quadrants"].str.split(",").map(lambda q: "NE" in q)
                  & trail["what"].str.endswith(".pptx")]  # fmt: skip
    assert found["user"].tolist() == [LEAD_NE.user]


def test_an_empty_trail_has_the_columns(tiny_dir):
    assert audit_trail.read_trail(tiny_dir).columns.tolist() == list(audit_trail.COLUMNS)


def test_grant_of_a_quadrant_only_where_given():
    policy = AccessPolicy(users={"a@b.c": Grant("leadership")})
    assert policy.actor_for({"email": "a@b.c"}).default_quadrants == ()


def test_the_example_roles_and_secrets_files_are_valid():
    root = ROOT / ".streamlit"
    policy = load_policy(root / "roles.example.toml")
    assert policy.actor_for({"email": "NE.Lead@council.example"}).default_quadrants == ("NE",)
    assert (
        policy.actor_for({"email": "x@council.example", "groups": ["qa-division"]}).role
        == "analyst"
    )
    import tomllib

    auth = tomllib.loads((root / "secrets.example.toml").read_text())["auth"]
    assert set(auth) == {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    }
    assert auth["redirect_uri"].endswith("/oauth2callback")


def test_rewriting_a_store_keeps_its_audit_trail(tiny_dir):
    from analytics.generate import generate_store

    audit_trail.record(tiny_dir, audit_trail.Event(LEAD_NE, "export", "before.csv"))
    generate_store(tiny_dir)  # the whole store rewritten (the sample, here)
    assert audit_trail.read_trail(tiny_dir)["what"].tolist() == ["before.csv"]


def test_there_is_no_trail_without_a_store_and_a_refusal_creates_none(tmp_path):
    missing = tmp_path / "new"
    with pytest.raises(AuditDataError, match="No audit store at"):
        audit_trail.record(missing, audit_trail.Event(LEAD_NE, "export", "early.csv"))
    event = audit_trail.Event(READER, "import", "round.xlsx")
    with pytest.raises(AccessRefused):
        audit_trail.require_recorded(missing, Permission.IMPORT, event)
    assert not missing.exists()


def test_the_benchmark_never_overwrites_a_store_it_did_not_build(tiny_dir):
    from benchmark.measure import bench_store

    before = tree_hashes(tiny_dir)
    with pytest.raises(AuditDataError, match="holds a store the benchmark did not build"):
        bench_store(4000, tiny_dir)
    assert tree_hashes(tiny_dir) == before


def test_an_unverified_email_matches_no_line(policy):
    claims = {"email": "analyst@council.example", "email_verified": False, "sub": "x-123"}
    actor = policy.actor_for(claims)
    assert actor.role is None and actor.user == "x-123"
    assert policy.actor_for({**claims, "email_verified": True}).role == "analyst"


def test_a_refusal_that_cannot_be_recorded_is_still_a_refusal_and_says_so(tiny_dir, monkeypatch):
    from analytics.lake.catalog import Lake

    def full_disk(self, *args, **kwargs):
        raise AuditDataError("The audit store at X could not be changed (disk full).")

    monkeypatch.setattr(Lake, "write", full_disk)
    event = audit_trail.Event(READER, "import", "round.xlsx")
    with pytest.raises(AccessRefused) as caught:
        audit_trail.require_recorded(tiny_dir, Permission.IMPORT, event)
    assert str(caught.value).endswith(
        "Nothing was changed. The refusal could not be recorded in the audit trail: The audit "
        "store at X could not be changed (disk full)."
    )
