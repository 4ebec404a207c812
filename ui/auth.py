"""Sign-in with st.login (OpenID Connect) and the signed-in user's role; open local mode without.

With an [auth] section in .streamlit/secrets.toml, nobody reaches a page before signing in, and
the roles file (analytics.access) says what each user may do. Without it the dashboard runs in
local mode: open to whoever can reach it, as the machine's own user, and it says so on every page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics.access import (
    AccessPolicy,
    Actor,
    Permission,
    load_policy,
    local_operator,
    roles_file,
)
from analytics.errors import AuditDataError
from analytics.narrative import escape_markdown

LOCAL_MODE_TEXT = (
    "Local mode: no sign-in is configured, so anyone who can open this address can see the data "
    "and load or undo imports. Configure [auth] in .streamlit/secrets.toml (see the README) "
    "before sharing it."
)


def auth_configured() -> bool:
    """Return whether an [auth] section (an identity provider) is configured.

    A secrets file that exists but cannot be read raises AuditDataError: falling back to the
    open local mode would let everyone in because of a typo.
    """
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError) as error:
        present = [path for path in secrets_files() if path.is_file()]
        if present:
            raise AuditDataError(
                f"The secrets file {present[0]} cannot be read, so nobody is let in until it "
                f"is fixed: {str(error).splitlines()[0]}"
            ) from None
        return False


def secrets_files() -> list[Path]:
    """Return the secrets files Streamlit looks for (.streamlit/secrets.toml and the like)."""
    return [Path(p) for p in st.config.get_option("secrets.files")]


@st.cache_resource(show_spinner=False, max_entries=8)
def _policy(path: str, changed_ns: int) -> AccessPolicy:
    del changed_ns  # part of the key only: an edited roles file is read again
    return load_policy(Path(path))


def policy() -> AccessPolicy:
    """Return the roles file's policy, read again whenever the file changes."""
    path = roles_file()
    changed = path.stat().st_mtime_ns if path.is_file() else 0
    return _policy(str(path), changed)


@st.cache_resource(show_spinner=False)
def _local_actor() -> Actor:
    return local_operator("local mode, no sign-in")


def signed_in() -> bool:
    """Return whether this session's user has signed in with the identity provider."""
    return bool(st.user.get("is_logged_in", False))


def current_actor() -> Actor:
    """Return who is using this session: the signed-in user with their role, or the local user."""
    if not auth_configured():
        return _local_actor()
    if not signed_in():
        return Actor(user="anonymous", name="Not signed in", role=None)
    return policy().actor_for(st.user.to_dict())


def can(permission: Permission) -> bool:
    """Return whether this session's user may do `permission` (the engine checks again)."""
    return current_actor().can(permission)


def gate() -> Actor | None:
    """Return this session's actor, or None after drawing why it cannot go on (sign in, no role).

    account_line() then says who is signed in (or that no sign-in is configured).
    """
    try:
        configured = auth_configured()
    except AuditDataError as error:  # a broken secrets file: say so, let nobody in
        st.error(str(error))
        st.stop()
    if not configured:
        return _local_actor()
    if not signed_in():
        return None
    try:
        actor = current_actor()
    except AuditDataError as error:  # a broken roles file: say so, let nobody in
        st.error(str(error))
        return None
    if actor.role is None:
        return None  # the sign-in page says why and offers to sign out
    return actor


def account_line(place: DeltaGenerator, actor: Actor) -> None:
    """Say, in `place` (under the filter bar), who is signed in with a way out, or that no
    sign-in is configured. Drawn after the filters: the Tab key reaches the filters first."""
    if not actor.signed_in:
        place.warning(LOCAL_MODE_TEXT)
        return
    who, out = place.columns([5, 1], vertical_alignment="center")
    who.text(f"Signed in: {actor.name} · Role: {actor.role_label}")
    if out.button("Sign out", key="sign_out"):
        st.logout()


def sign_in_page() -> None:
    """The only page a signed-out user (or one without a role) sees."""
    st.title("Audit Insight", anchor=False)
    if signed_in():
        try:
            who = current_actor().user
        except AuditDataError:  # the roles file is broken: gate() has shown why
            who = str(st.user.get("email") or "this account")
        st.warning(
            f"You are signed in as {escape_markdown(who)}, but the roles file gives you no "
            "access. Ask the QA team to add you."
        )
        if st.button("Sign out", key="sign_out_no_role"):
            st.logout()
        return
    st.write("Case-file audit findings for the QA team and leadership. Please sign in.")
    if st.button("Sign in", type="primary", key="sign_in"):
        st.login()
