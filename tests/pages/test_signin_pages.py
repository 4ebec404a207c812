"""The dashboard with sign-in configured (AppTest with an [auth] secret and a seeded user), and
without it (local mode): who sees what, and what the server refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from filter_bar import account, filter_bar
from ingest_helpers import copy_store, round_tables, xlsx
from paths import ROOT
from streamlit.testing.v1 import AppTest

from analytics import audit_trail
from analytics.access import AccessRefused
from analytics.errors import AuditDataError
from analytics.lake.catalog import Lake
from ui import auth

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-test-secret-that-is-long-enough",
    "client_id": "audit-insight",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ROLES = """
[users]
"lead.ne@council.example" = { role = "inspection_lead", quadrant = "NE" }
"analyst@council.example" = { role = "analyst" }
"reader@council.example" = { role = "reader" }
"""


@pytest.fixture
def store_copy(sample_dir, tmp_path, monkeypatch) -> Path:
    data_dir = copy_store(sample_dir, tmp_path / "data")
    monkeypatch.setenv("AUDIT_DATA_DIR", str(data_dir))
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv("AUDIT_ROLES_FILE", str(roles))
    return data_dir


def signed_in_app(email: str | None) -> AppTest:
    """The dashboard with [auth] configured; `email` signed in, or nobody (None)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False} if email is None else {
        "is_logged_in": True, "email": email, "name": email.split("@")[0]
    }  # fmt: skip
    return at


def texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("text", "markdown", "info", "warning", "caption")
                     for e in getattr(at, kind))  # fmt: skip


def test_signed_out_sees_only_the_sign_in_page(store_copy):
    at = signed_in_app(None).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.get("plotly_chart") and not at.multiselect
    with pytest.raises(ValueError, match=r"Known pages: \['Sign in'\]"):
        at.switch_page("app_pages/data.py")  # no other page is registered for a signed-out user


def test_a_user_without_a_role_is_told_and_sees_no_data(store_copy):
    at = signed_in_app("stranger@council.example").run()
    assert not at.exception
    shown = at.warning[0].value.replace("\\", "")  # Markdown escapes, as the page renders them
    assert "signed in as stranger@council.example, but the roles file gives you no access" in shown
    assert [b.label for b in at.button] == ["Sign out"] and not at.dataframe


def test_an_inspection_lead_lands_on_their_quadrant(store_copy):
    at = signed_in_app("lead.ne@council.example").run()
    assert not at.exception
    assert filter_bar(at).multiselect(key="filter_quadrants").value == ["NE"]
    assert at.query_params["quadrant"] == "NE"
    assert "Signed in: lead.ne · Role: Inspection lead" in texts(at)
    at.switch_page("app_pages/theme.py").run()
    assert not at.exception
    assert any(b.label == "PNG" for b in at.get("download_button"))  # leads may export


def test_a_link_with_a_quadrant_wins_over_the_home_quadrant(store_copy):
    at = signed_in_app("lead.ne@council.example")
    at.query_params["quadrant"] = ["SW"]
    at.run()
    assert filter_bar(at).multiselect(key="filter_quadrants").value == ["SW"]


def test_a_reader_sees_data_but_cannot_import_or_export(store_copy):
    at = signed_in_app("reader@council.example").run()
    at.switch_page("app_pages/theme.py").run()
    assert not at.exception
    assert not at.get("download_button")
    assert "Exports need the inspection lead, leadership or analyst role." in texts(at)
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    assert not at.get("file_uploader")
    assert "Loading and undoing audit rounds needs the QA analyst role." in texts(at)
    assert "Audit trail" not in [h.value for h in at.header]


def test_the_server_refuses_a_reader_who_reaches_the_import_code(store_copy, monkeypatch):
    # As if the upload had been reached anyway (a crafted request): the engine refuses.
    monkeypatch.setattr(auth, "current_actor", lambda: signed_in_reader())
    from ui import importing

    before = data_snapshot(store_copy)
    with pytest.raises(AccessRefused):
        importing.run_import([xlsx(round_tables("missing", "2021-05", ["MIS-01"]))], replace=False)
    assert data_snapshot(store_copy) == before  # the refusal is recorded; the data is the same
    assert audit_trail.read_trail(store_copy)["outcome"].tolist() == ["refused"]


def data_snapshot(data_dir: Path) -> int:
    """The newest snapshot that changed the store's data (not its audit trail)."""
    lake = Lake(data_dir)
    try:
        return lake.data_snapshot()
    finally:
        lake.close()


def signed_in_reader():
    from analytics.access import Actor

    return Actor("reader@council.example", "reader", "reader", signed_in=True)


def test_an_analyst_can_import_and_sees_the_audit_trail(store_copy):
    audit_trail.record(
        store_copy, audit_trail.Event(signed_in_reader(), "export", "x.csv", outcome="refused")
    )
    at = signed_in_app("analyst@council.example").run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    assert at.get("file_uploader")
    assert "Audit trail" in [h.value for h in at.header]
    trail = next(d.value for d in at.dataframe if "By (role)" in d.value.columns)
    assert trail[["By (role)", "Action", "What", "Outcome"]].values.tolist() == [
        ["reader@council.example (Reader)", "export", "x.csv", "refused"]
    ]
    assert any(b.label == "Download the audit trail (CSV)" for b in at.get("download_button"))


def test_local_mode_is_open_and_says_so(store_copy):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert not at.exception
    assert account(at).warning[0].value.startswith("Local mode: no sign-in is configured")
    at.switch_page("app_pages/data.py").run()
    assert at.get("file_uploader") and "Audit trail" in [h.value for h in at.header]


def test_a_broken_secrets_file_lets_nobody_in(store_copy, tmp_path, monkeypatch):
    import streamlit as st

    broken = tmp_path / "secrets.toml"
    broken.write_text('[auth]\nclient_id = "audit-insight\n')  # a missing quote
    monkeypatch.setattr(auth, "secrets_files", lambda: [broken])

    class Unreadable:
        def __contains__(self, key):
            raise st.errors.StreamlitSecretNotFoundError("Error parsing secrets file")

    monkeypatch.setattr(st, "secrets", Unreadable())
    with pytest.raises(AuditDataError, match="cannot be read, so nobody is let in"):
        auth.auth_configured()
    monkeypatch.setattr(auth, "secrets_files", lambda: [tmp_path / "absent.toml"])
    assert auth.auth_configured() is False  # no file at all: the open local mode, with its banner
