"""The import history: which imports are active, and undoing one exactly.

An import records the snapshot it was applied to (`base_snapshot`) and the keys it wrote
(`changed`: "cases:theme/round", "rounds:theme/round", "questions:theme/question",
"themes:theme"). Undo is one transaction, a new snapshot: for each key, the rows the store holds
now go and the rows as they were at `base_snapshot` come back; acceptances of its rounds go with
it; the history row is marked undone (the history survives), the manifest says again what is
imported, and the audit-trail event is appended with it. It refuses, writing
nothing, when a later active import changed one of the same keys, when undoing would leave a
later import's data without its round, question or audited theme, and for an import made before
the store was migrated to DuckLake or whose base snapshot is no longer kept.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from analytics import audit_trail
from analytics.access import Actor, Permission
from analytics.contract import ROLLUPS
from analytics.domain import THEME_STATUSES_AUDITED
from analytics.errors import AuditDataError
from analytics.ingest.writing import (
    CASES_KEY,
    Progress,
    import_number,
    later_changes,
    read_history,
    refresh_manifest,
    step,
    store_errors,
)
from analytics.lake.catalog import Lake, Snapshot, Writer, with_lake
from analytics.lake.location import StoreLocation, is_store, parse_location
from analytics.lake.migrate import NOT_UNDOABLE, migration_snapshot
from analytics.store import Store

T = TypeVar("T")
Location = StoreLocation | str | os.PathLike[str]
UNDO_ACTION = "undo-import"
# What each kind of key names, and the tables whose rows undo puts back for it (cases and
# responses bring their roll-ups with them when appended, so theirs go and come back too).
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    CASES_KEY: ("theme_id", "round_id"),
    "rounds": ("theme_id", "round_id"),
    "questions": ("theme_id", "question_id"),
    "themes": ("theme_id",),
}
KEY_TABLES: dict[str, tuple[str, ...]] = {
    CASES_KEY: ("cases", "responses", "round_completeness"),
    "rounds": ("rounds",),
    "questions": ("questions",),
    "themes": ("themes",),
}
HISTORY_COLUMNS = [
    "import_id", "imported_at", "user", "file_name", "cases", "responses", "rounds", "questions",
    "theme_rounds", "replaced", "state", "can_undo",
]  # fmt: skip


@dataclass(frozen=True)
class UndoResult:
    """The outcome of undoing an import: the snapshot it made and what came back."""

    import_id: str
    snapshot: int
    cases_removed: int  # the cases the import had loaded
    cases_restored: int  # the cases of the rounds it had replaced, back as they were
    message: str


@dataclass(frozen=True)
class KeptSnapshots:
    """What undo needs to know of the store's snapshots: which are kept, and the migration."""

    ids: frozenset[int]
    migrated_at: int | None

    @classmethod
    def of(cls, snapshots: list[Snapshot]) -> KeptSnapshots:
        """Return the facts of a store's snapshot list."""
        return cls(frozenset(s.snapshot_id for s in snapshots), migration_snapshot(snapshots))


def parse_key(key: str) -> tuple[str, dict[str, str]]:
    """Return a changed-key's kind and the column values it names
    ("cases:alpha/r2" -> ("cases", {"theme_id": "alpha", "round_id": "r2"}))."""
    kind, _, named = key.partition(":")
    columns = KEY_COLUMNS.get(kind)
    values = named.split("/", len(columns) - 1) if columns else []
    if columns is None or len(values) != len(columns) or not all(values):
        raise AuditDataError(f"The import history holds a key undo does not know: {key!r}.")
    return kind, dict(zip(columns, values, strict=True))


def _changed(record: Any) -> list[str]:
    changed = record["changed"]
    return [] if changed is None else [str(key) for key in changed]


def undo_blockers(record: Any, history: pd.DataFrame, kept: KeptSnapshots) -> list[str]:
    """Return why an active import cannot be undone now (empty when it can)."""
    import_id = record["import_id"]
    base = record["base_snapshot"]
    if kept.migrated_at is not None and (pd.isna(base) or int(base) < kept.migrated_at):
        return [f"{import_id} was imported before the store was migrated: {NOT_UNDOABLE}"]
    if pd.isna(base) or int(base) not in kept.ids:
        return [
            f"the store no longer keeps snapshot {base}, the one {import_id} was applied to, "
            "so it can no longer be undone"
        ]
    later = later_changes(history, record)
    if later:
        return [
            f"{', '.join(later)} changed what {import_id} loaded: undo {', '.join(later)} first"
        ]
    return []


def ensure_undoable(record: Any) -> None:
    """Raise unless the import is active."""
    if record["status"] != "active":
        raise AuditDataError(f"Import {record['import_id']} is already {record['status']}.")


def themes_of(record: Any) -> list[str]:
    """Return the themes an import touched (from its keys and its rounds)."""
    themes = {parse_key(key)[1]["theme_id"] for key in _changed(record)}
    rounds = record["theme_rounds"]
    themes |= {str(tr).split("/")[0] for tr in ([] if rounds is None else rounds)}
    return sorted(themes)


def restore_key(writer: Writer, key: str, snapshot: int) -> int:
    """Put one key's rows back as they were at `snapshot` (the rows there now go); return how
    many cases came back (0 for other keys)."""
    kind, values = parse_key(key)
    where = " AND ".join(f"{column} = ${column}" for column in values)
    restored_cases = 0
    for table in KEY_TABLES[kind]:
        writer.delete(table, where, values)
        if table in ROLLUPS:
            writer.delete(ROLLUPS[table][0], where, values)
        rows = writer.read_at(table, snapshot, where, values)
        appended = writer.append(table, rows)  # cases and responses: their roll-ups too
        if table == "cases":
            restored_cases = appended
    return restored_cases


def mark_undone(writer: Writer, import_id: str) -> None:
    """Mark an import's history row undone, now (its row is replaced, the history kept)."""
    where, params = "import_id = $id", {"id": import_id}
    row = writer.read("imports", where, params)
    row["status"] = "undone"
    row["undone_at"] = pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    writer.delete("imports", where, params)
    writer.append("imports", row)


def orphans_after_undo(writer: Writer, themes: list[str]) -> list[str]:
    """Return the data of these themes that the transaction leaves without its round, its
    question or an audited theme (the roll-ups say which partitions and questions hold rows)."""
    if not themes:
        return []
    cursor, lake = writer.cursor, writer.alias
    case_counts, response_counts = (f"{lake}.{ROLLUPS[t][0]}" for t in ("cases", "responses"))
    params = {"themes": themes}
    no_round = cursor.execute(
        f"SELECT DISTINCT c.theme_id, c.round_id FROM {case_counts} AS c "
        f"ANTI JOIN {lake}.rounds AS r USING (theme_id, round_id) "
        "WHERE list_contains($themes, c.theme_id) ORDER BY ALL",
        params,
    ).fetchall()
    no_question = cursor.execute(
        f"SELECT DISTINCT s.theme_id, s.question_id FROM {response_counts} AS s "
        f"ANTI JOIN {lake}.questions AS q USING (theme_id, question_id) "
        "WHERE list_contains($themes, s.theme_id) ORDER BY ALL",
        params,
    ).fetchall()
    planned = cursor.execute(
        f"SELECT DISTINCT c.theme_id FROM {case_counts} AS c JOIN {lake}.themes AS t "
        "USING (theme_id) WHERE list_contains($themes, c.theme_id) "
        "AND NOT list_contains($audited::VARCHAR[], t.status) ORDER BY ALL",
        {**params, "audited": list(THEME_STATUSES_AUDITED)},
    ).fetchall()
    found = [f"cases of {t}/{r} would have no round" for t, r in no_round]
    found += [f"answers to {t} question {q} would have no question" for t, q in no_question]
    found += [f"theme {t} would be planned again while it holds cases" for (t,) in planned]
    return found


def _find(history: pd.DataFrame, import_id: str) -> pd.Series:
    match = history[history["import_id"] == import_id]
    if match.empty:
        known = ", ".join(history["import_id"]) or "none yet"
        raise AuditDataError(f"No import {import_id!r} in this store. Imports: {known}.")
    return match.iloc[0]


def _later_imports(history: pd.DataFrame, record: Any) -> list[str]:
    """Return the active imports after this one, newest first; those of its themes if any."""
    themes = set(themes_of(record))
    number = import_number(record["import_id"])
    later = [
        other
        for _, other in history.iterrows()
        if import_number(other["import_id"]) > number and other["status"] == "active"
    ]
    same_theme = [other for other in later if themes & set(themes_of(other))]
    chosen = [str(other["import_id"]) for other in (same_theme or later)]
    return sorted(chosen, key=import_number, reverse=True)


def undo_import(
    location: Location,
    import_id: str,
    progress: Progress | None = None,
    *,
    actor: Actor,
    lake: Lake | None = None,
) -> UndoResult:
    """Undo one import as one new snapshot: the rows it wrote go, the rows it replaced come
    back as they were before it; its history row says undone; the event is recorded with it.

    Only an actor with the import permission may (AccessRefused otherwise, recorded).
    `lake`: an open catalog of that store to use (the dashboard's), else one is opened.
    """
    where = lake.location if lake is not None else parse_location(location)
    with store_errors(where.shown(), "Nothing was undone"):
        audit_trail.require_recorded(
            where, Permission.IMPORT, audit_trail.Event(actor, UNDO_ACTION, import_id), lake=lake
        )
        result = with_lake(
            where, lake, lambda open_lake: _undo(open_lake, import_id, actor, progress)
        )
    step(progress, 1.0, "Undone")
    return result


def _undo(lake: Lake, import_id: str, actor: Actor, progress: Progress | None) -> UndoResult:
    facts: dict[str, Any] = {}

    def change(writer: Writer) -> None:
        history = read_history(writer)
        record = _find(history, import_id)
        ensure_undoable(record)
        blockers = undo_blockers(record, history, KeptSnapshots.of(lake.snapshots()))
        if blockers:
            raise AuditDataError(
                f"Import {import_id} cannot be undone: "
                + "; ".join(blockers)
                + ". Nothing was undone."
            )
        step(progress, 0.3, "Putting back the rows the import replaced")
        base = int(record["base_snapshot"])
        restored = sum(restore_key(writer, key, base) for key in _changed(record))
        writer.delete("round_acceptances", "import_id = $id", {"id": import_id})
        orphans = orphans_after_undo(writer, themes_of(record))
        if orphans:
            later = _later_imports(history, record)
            raise AuditDataError(
                f"Undoing {import_id} would leave a later import's data without what it "
                f"relies on ({orphans[0]}). Undo the later import(s) first"
                + (f": {', '.join(later)}." if later else ".")
            )
        mark_undone(writer, import_id)
        refresh_manifest(writer)
        event = audit_trail.Event(actor, UNDO_ACTION, import_id, detail=record["file_name"])
        audit_trail.append_event(writer, event)
        facts.update(file_name=str(record["file_name"]), cases=int(record["cases"]),
                     restored=restored, base=base)  # fmt: skip
        writer.checkpoint("undo:before-commit")

    _, snapshot = lake.write(
        change, author=actor.user, message=lambda _: f"undo {import_id} ({facts['file_name']})"
    )
    back = (
        f"; {facts['restored']} case(s) it had replaced are back as they were at snapshot "
        f"{facts['base']}"
        if facts["restored"]
        else ""
    )
    message = (
        f"Undid {import_id} ({facts['file_name']}) as snapshot {snapshot}: its "
        f"{facts['cases']} case(s) are gone{back}."
    )
    return UndoResult(import_id, snapshot, facts["cases"], facts["restored"], message)


def import_history(location: Location, *, lake: Lake | None = None) -> pd.DataFrame:
    """Return the imports, newest first: when, who, file, rows, rounds, state, can_undo."""
    where = lake.location if lake is not None else parse_location(location)
    if lake is None and not is_store(where):
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    with Store(where, lake=lake) as store:
        history = read_history(store)
        kept = KeptSnapshots.of(store.lake.snapshots()) if len(history) else None
    if history.empty or kept is None:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    states, undoable = [], []
    for _, record in history.iterrows():
        if record["status"] != "active":
            states.append(f"undone {record['undone_at']:%Y-%m-%d %H:%M}")
            undoable.append(False)
            continue
        blockers = undo_blockers(record, history, kept)
        states.append("active" if not blockers else "active; " + blockers[0])
        undoable.append(not blockers)
    out = history.assign(
        theme_rounds=history["theme_rounds"].map(
            lambda rounds: ", ".join([] if rounds is None else rounds)
        ),
        state=states,
        can_undo=undoable,
    )[HISTORY_COLUMNS]
    return out.iloc[::-1].reset_index(drop=True)  # read_history: oldest first
