"""The audit trail: who imported, undid or exported what, when, with which filters and mode.

Append-only, inside the store (the lake table `audit_trail`), so it travels with the data. An
import's, undo's or mapping's own event is appended inside that change's transaction
(append_event), so the change and its record land together or not at all. Exports and refusals
are recorded in a transaction of their own that takes no writers' turn (record); a snapshot that
only adds to the trail is no change to the data, so the data snapshot pages read and key their
caches on stays where it was, and no slide pack or report just built goes stale.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

import duckdb
import pandas as pd

from analytics.access import AccessRefused, Actor, Permission, require
from analytics.contract import RECORD_SCHEMAS
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.lake.catalog import Lake, Writer, first_line, quoted, with_lake
from analytics.lake.location import StoreLocation, is_store, parse_location

T = TypeVar("T")
TABLE = "audit_trail"
SCHEMA = RECORD_SCHEMAS[TABLE]
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)
Location = StoreLocation | str | os.PathLike[str]


@dataclass(frozen=True)
class Event:
    """One action to record. `snapshot_id`: the data snapshot an export was made from."""

    actor: Actor
    action: str
    what: str
    theme_id: str | None = None
    filters: Filters | None = None
    mode: str = ""
    outcome: str = "done"
    detail: str = ""
    snapshot_id: int | None = None

    def row(self) -> dict[str, object]:
        """Return the event as one row of the trail."""
        filters = self.filters or Filters()
        return {
            "event_id": f"{time.time_ns():x}-{uuid.uuid4().hex[:12]}",
            "at": datetime.now(UTC).replace(tzinfo=None),
            "user": self.actor.user,
            "role": self.actor.role or "",
            "action": self.action,
            "what": self.what,
            "theme_id": self.theme_id or "",
            "round_id": filters.round_id or "",
            "quadrants": ",".join(filters.quadrants),
            "teams": ",".join(filters.teams),
            "mode": self.mode,
            "outcome": self.outcome,
            "detail": self.detail,
            "snapshot_id": self.snapshot_id,
        }

    def frame(self) -> pd.DataFrame:
        """Return the event as a one-row frame of the trail's columns."""
        frame = pd.DataFrame([self.row()], columns=list(COLUMNS))
        frame["snapshot_id"] = frame["snapshot_id"].astype("Int64")
        return frame


def append_event(writer: Writer, event: Event) -> None:
    """Append an event inside a change's own transaction: the two commit together or not at all."""
    writer.append(TABLE, event.frame())


def record(location: Location, event: Event, *, lake: Lake | None = None) -> int:
    """Append one event in a transaction of its own (no writers' turn); return its snapshot id.

    `lake`: an open catalog of that store to use (the dashboard's), else one is opened.
    """
    return with_lake(location, lake, lambda open_lake: _record(open_lake, event))


def _record(lake: Lake, event: Event) -> int:
    message = f"{event.action} {event.what}".strip()
    if event.outcome != "done":
        message += f" ({event.outcome})"
    _, snapshot = lake.write(
        lambda writer: append_event(writer, event),
        author=event.actor.user,
        message=message,
        exclusive=False,
    )
    return snapshot


def require_recorded(
    location: Location, permission: Permission, event: Event, *, lake: Lake | None = None
) -> None:
    """Raise AccessRefused unless the event's actor has `permission`; record a refusal.

    A refusal is recorded in the trail of an existing store that can be written here (nothing
    is created; a read-only store records nothing, and the refusal still stands).
    """
    try:
        require(event.actor, permission, f"{event.action} {event.what}".strip())
    except AccessRefused as refused:
        refusal = replace(event, outcome="refused", detail=str(refused))
        try:
            if lake is not None or is_store(parse_location(location)):
                with_lake(
                    location, lake, lambda open_lake: _record_unless_read_only(open_lake, refusal)
                )
        except AuditDataError as failed:  # the refusal stands, and says it went unrecorded
            raise AccessRefused(
                f"{refused} The refusal could not be recorded in the audit trail: {failed}"
            ) from failed
        raise


def _record_unless_read_only(lake: Lake, event: Event) -> None:
    if not lake.read_only:
        _record(lake, event)


def require_writable(lake: Lake, what: str) -> None:
    """Raise AuditDataError if events cannot be recorded in this store here (it is read-only
    here): an export that cannot be recorded is not made."""
    if lake.read_only:
        raise AuditDataError(
            f"Every {what} is recorded in the store's audit trail, and the store at "
            f"{lake.location.shown()} is read-only here ({lake.read_only}). Nothing was exported."
        )


def read_trail(location: Location, *, lake: Lake | None = None) -> pd.DataFrame:
    """Return every recorded event, newest first (an empty frame with the columns if none)."""
    return with_lake(location, lake, _read)


def _read(lake: Lake) -> pd.DataFrame:
    cursor = lake.con.cursor()
    try:
        trail = cursor.execute(
            f"SELECT {', '.join(map(quoted, COLUMNS))} FROM {lake.alias}.{TABLE} "
            f"ORDER BY {quoted('at')} DESC, event_id DESC"
        ).df()
    except duckdb.CatalogException:  # a store no one has written to yet: no trail
        return SCHEMA.empty_table().to_pandas()
    except duckdb.Error as error:
        raise AuditDataError(
            f"The audit trail of the store at {lake.location.shown()} could not be read: "
            f"{first_line(error)}"
        ) from error
    finally:
        cursor.close()
    trail["snapshot_id"] = trail["snapshot_id"].astype("Int64")
    return trail
