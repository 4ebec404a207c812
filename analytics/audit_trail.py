"""The audit trail: who imported, undid or exported what, when, with which filters and mode.

Append-only, inside the store (`<data dir>/audit_trail/`, one small Parquet file per event), so
it travels with the data. Events are written under the store's writer lock: an import clones
the store under the same lock, so no event is lost to a swap. An import's or undo's own event is
written into the new version before the swap, so the change and its record land together. The
dashboard's queries never read this folder, and the store's version (Store.fingerprint) does
not count it, so recording an export, even the first that creates the folder, invalidates no
cache and no slide pack or report just built.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.access import AccessRefused, Actor, Permission, require
from analytics.atomic import fsync_path, writer_lock
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.store import TRAIL_FOLDER, Store

TRAIL_DIR = TRAIL_FOLDER
# Where replicas reading a store at a URL record their events (a folder they share).
TRAIL_DIR_ENV = "AUDIT_TRAIL_DIR"
# Past this many event files, the next write merges them into one (readers drop duplicates by
# event_id, so a read during the merge still counts each event once).
COMPACT_AFTER_FILES = 500

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("at", pa.timestamp("us")),  # UTC
        ("user", pa.string()),
        ("role", pa.string()),
        ("action", pa.string()),  # import, undo-import, export
        ("what", pa.string()),  # file name, import id, or the export's file name
        ("theme_id", pa.string()),
        ("round_id", pa.string()),
        ("quadrants", pa.string()),  # comma-separated; empty means the county
        ("teams", pa.string()),
        ("mode", pa.string()),  # suppression mode of an export
        ("outcome", pa.string()),  # done, or refused
        ("detail", pa.string()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)


@dataclass(frozen=True)
class Event:
    """One action to record."""

    actor: Actor
    action: str
    what: str
    theme_id: str | None = None
    filters: Filters | None = None
    mode: str = ""
    outcome: str = "done"
    detail: str = ""

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
        }


def shared_folder() -> Path | None:
    """Return $AUDIT_TRAIL_DIR: where every event of a deployment goes when set (replicas
    reading a store at a URL need it; the writer sets it too, so one trail holds everything)."""
    shared = os.environ.get(TRAIL_DIR_ENV)
    return Path(shared) if shared else None


def folder_for(data_dir: Path) -> Path:
    """Return the folder whose audit_trail/ records events about a local store."""
    return shared_folder() or Path(data_dir)


def home(store: Store) -> Path:
    """Return the folder whose audit_trail/ holds this store's trail: $AUDIT_TRAIL_DIR when
    set, else the store's own folder; a store read from a URL needs the former."""
    shared = shared_folder()
    if shared is not None:
        return shared
    if store.remote:
        raise AuditDataError(
            f"The store at {store.location} is read from a URL, so this dashboard cannot record "
            f"exports in it: set {TRAIL_DIR_ENV} to a folder the replicas share "
            "(docs/deployment.md). Nothing was exported."
        )
    return store.data_dir


def stage_with_store(staging: Path, event: Event) -> list[Path]:
    """Write a change's event into the store's next version, so the two land together; with a
    shared trail, write nothing now (record_after_swap records it). Return the files written."""
    return [] if shared_folder() else [write_event(staging, event)]


def record_after_swap(event: Event) -> None:
    """Record a change's event in the shared trail, once the store's new version is in place."""
    shared = shared_folder()
    if shared is not None:
        record(shared, event)


def require_recorded(
    data_dir: str | os.PathLike[str], permission: Permission, event: Event
) -> None:
    """Raise AccessRefused unless the event's actor has `permission`; record a refusal.

    A refusal is written to the trail of an existing store (nothing else is touched).
    """
    try:
        require(event.actor, permission, f"{event.action} {event.what}".strip())
    except AccessRefused as refused:
        if Path(data_dir).is_dir():
            record(data_dir, replace(event, outcome="refused", detail=str(refused)))
        raise


def write_event(store_dir: Path, event: Event) -> Path:
    """Write one event file into a store directory (the live one under the lock, or staging)."""
    folder = Path(store_dir) / TRAIL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    row = event.row()
    path = folder / f"{row['event_id']}.parquet"
    partial = folder / f".{path.name}.part"
    pq.write_table(pa.Table.from_pylist([row], schema=SCHEMA), partial)
    os.replace(partial, path)  # a reader sees the whole file or none of it
    fsync_path(folder)
    return path


def record(data_dir: str | os.PathLike[str], event: Event) -> None:
    """Append one event to the store's trail, under the store's writer lock."""
    data_dir = Path(data_dir)
    with writer_lock(data_dir):
        write_event(data_dir, event)
        _compact_if_needed(data_dir / TRAIL_DIR)


def _compact_if_needed(folder: Path) -> None:
    files = sorted(folder.glob("*.parquet"))
    if len(files) <= COMPACT_AFTER_FILES:
        return
    merged = pq.read_table(files, schema=SCHEMA)
    name = f"{files[-1].stem}-merged.parquet"
    partial = folder / f".{name}.part"
    pq.write_table(merged, partial)
    os.replace(partial, folder / name)
    for path in files:
        if path.name != name:
            path.unlink(missing_ok=True)  # another replica may have merged it already


def read_trail(data_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Return every recorded event, newest first (an empty frame with the columns if none)."""
    folder = Path(data_dir) / TRAIL_DIR
    for _attempt in range(5):
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        try:
            tables = [pq.read_table(path, schema=SCHEMA) for path in files]
        except FileNotFoundError:  # a merge replaced files as we listed them: list again
            continue
        break
    else:
        raise AuditDataError(f"The audit trail in {folder} kept changing while being read.")
    if not tables:
        return SCHEMA.empty_table().to_pandas()
    trail = pa.concat_tables(tables).to_pandas().drop_duplicates("event_id")
    return trail.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)
