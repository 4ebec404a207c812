"""Who may do what: roles from one small TOML file, checked by the engine before any change.

The dashboard maps a signed-in user's claims (email, groups) to an Actor through an AccessPolicy;
the command line acts as the local operator. Every protected call in analytics/ (import, undo,
export) takes the Actor and calls `require`, so hiding a button is never the only guard.
"""

from __future__ import annotations

import getpass
import os
import socket
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from analytics.config import PROJECT_ROOT
from analytics.domain import QUADRANTS
from analytics.errors import AuditDataError

ROLES_FILE_ENV = "AUDIT_ROLES_FILE"
DEFAULT_ROLES_FILE = PROJECT_ROOT / ".streamlit" / "roles.toml"


class Permission(StrEnum):
    """What a role may do. IMPORT covers undoing an import too."""

    READ = "read"
    EXPORT = "export"
    IMPORT = "import"


@dataclass(frozen=True)
class Role:
    """A role: its id as written in the roles file, a label, and what it may do."""

    role_id: str
    label: str
    permissions: frozenset[Permission]


_READ, _EXPORT, _IMPORT = Permission.READ, Permission.EXPORT, Permission.IMPORT
ROLES: dict[str, Role] = {
    role.role_id: role
    for role in (
        Role("reader", "Reader", frozenset({_READ})),
        Role("inspection_lead", "Inspection lead", frozenset({_READ, _EXPORT})),
        Role("leadership", "Leadership", frozenset({_READ, _EXPORT})),
        Role("analyst", "QA analyst", frozenset({_READ, _EXPORT, _IMPORT})),
    )
}


class AccessRefused(AuditDataError):
    """A protected action asked for by someone whose role does not allow it."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user id (email where known), a display name, a role, a home quadrant."""

    user: str
    name: str
    role: str | None
    quadrant: str | None = None
    signed_in: bool = False

    def can(self, permission: Permission) -> bool:
        """Return whether this actor's role allows `permission`."""
        role = ROLES.get(self.role or "")
        return role is not None and permission in role.permissions

    @property
    def role_label(self) -> str:
        """Return the role's label, or 'no role'."""
        role = ROLES.get(self.role or "")
        return role.label if role else "no role"

    @property
    def default_quadrants(self) -> tuple[str, ...]:
        """Return the quadrants a page opens on for this actor (an inspection lead's own)."""
        return (self.quadrant,) if self.quadrant else ()


def require(actor: Actor, permission: Permission, what: str) -> None:
    """Raise AccessRefused unless `actor` may do `permission` (`what` names the action)."""
    if not actor.can(permission):
        raise AccessRefused(
            f"{actor.name} ({actor.role_label}) may not {what}: that needs a role with the "
            f"'{permission}' permission ({', '.join(roles_with(permission))}). Nothing was changed."
        )


def roles_with(permission: Permission) -> list[str]:
    """Return the ids of the roles that allow `permission`."""
    return [role.role_id for role in ROLES.values() if permission in role.permissions]


def local_operator(how: str = "command line") -> Actor:
    """Return the actor of the command line or of the open local mode: the machine's own user.

    Whoever can run the command line can write the store's files anyway; the role says so.
    """
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        login = f"uid {os.getuid()}"
    user = f"{login}@{socket.gethostname()}"
    return Actor(user=user, name=f"{user} ({how})", role="analyst")


@dataclass(frozen=True)
class Grant:
    """One line of the roles file: a role and, for an inspection lead, the home quadrant."""

    role: str
    quadrant: str | None = None


@dataclass(frozen=True)
class AccessPolicy:
    """The roles file: users (by email) and groups (by a claim of the ID token) to roles."""

    users: Mapping[str, Grant] = field(default_factory=dict)
    groups: Mapping[str, Grant] = field(default_factory=dict)
    group_claim: str = "groups"
    default_role: str | None = None

    def actor_for(self, claims: Mapping[str, object]) -> Actor:
        """Return the actor for a signed-in user's claims; a user's own line beats groups."""
        # An address the provider says it has not verified matches no line of the roles file
        # (some providers let users type their own); its `sub` still names the user.
        verified = claims.get("email_verified") is not False
        email = str(claims.get("email") or "").strip().lower() if verified else ""
        user = email or str(claims.get("sub") or "unknown")
        name = str(claims.get("name") or user)
        grant = self.users.get(email) if email else None
        if grant is None:
            grant = _strongest(self.groups[g] for g in _claim_list(claims, self.group_claim)
                               if g in self.groups)  # fmt: skip
        if grant is None and self.default_role:
            grant = Grant(self.default_role)
        if grant is None:
            return Actor(user=user, name=name, role=None, signed_in=True)
        return Actor(user, name, grant.role, grant.quadrant, signed_in=True)


def _claim_list(claims: Mapping[str, object], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


def _strongest(grants: Iterable[Grant]) -> Grant | None:
    # A user in several groups gets the role that allows most; ties keep the first listed.
    best: Grant | None = None
    for grant in grants:
        if best is None or len(ROLES[grant.role].permissions) > len(ROLES[best.role].permissions):
            best = grant
    return best


def roles_file() -> Path:
    """Return the roles file: $AUDIT_ROLES_FILE, else .streamlit/roles.toml."""
    return Path(os.environ.get(ROLES_FILE_ENV) or DEFAULT_ROLES_FILE)


def load_policy(path: Path | None = None) -> AccessPolicy:
    """Read and check the roles file; a missing file is a policy that grants nobody anything."""
    path = roles_file() if path is None else Path(path)
    if not path.is_file():
        return AccessPolicy()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise AuditDataError(f"The roles file {path} is not valid TOML: {error}.") from None
    problems: list[str] = []
    users = _grants(raw.get("users", {}), "users", problems)
    groups = _grants(raw.get("groups", {}), "groups", problems)
    default_role = str(raw.get("default_role") or "") or None
    if default_role and default_role not in ROLES:
        problems.append(f"default_role {default_role!r} is not a role ({', '.join(ROLES)})")
    group_claim = str(raw.get("group_claim") or "groups")
    if problems:
        raise AuditDataError(f"The roles file {path} has problems: " + "; ".join(problems) + ".")
    users = {email.strip().lower(): grant for email, grant in users.items()}
    return AccessPolicy(users, groups, group_claim, default_role)


def _grants(section: object, name: str, problems: list[str]) -> dict[str, Grant]:
    if not isinstance(section, Mapping):
        problems.append(f"[{name}] must be a table of names to {{ role = ... }}")
        return {}
    grants = {}
    for key, entry in section.items():
        where = f"[{name}] {key!r}"
        if isinstance(entry, str):
            entry = {"role": entry}
        if not isinstance(entry, Mapping):
            problems.append(f"{where} must be {{ role = ..., quadrant = ... }}")
            continue
        role, quadrant = str(entry.get("role") or ""), entry.get("quadrant")
        if role not in ROLES:
            problems.append(f"{where} has role {role!r}; roles: {', '.join(ROLES)}")
            continue
        if quadrant is not None and quadrant not in QUADRANTS:
            problems.append(f"{where} has quadrant {quadrant!r}; quadrants: {', '.join(QUADRANTS)}")
            continue
        grants[str(key)] = Grant(role, quadrant)
    return grants
