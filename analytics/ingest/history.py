"""The import history: which imports are active, and undoing one exactly.

Undo removes the files an import added and moves back the files it replaced (kept under
`.history/<import id>/`), in a staging copy swapped in atomically. It refuses, saying why, when a
later import replaced the same files or relies on the rounds or questions the import brought.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analytics import audit_trail
from analytics.access import Actor, Permission
from analytics.atomic import (
    clone_dir,
    local_store_dir,
    purge_retired,
    sibling,
    writer_lock,
)
from analytics.config import is_url
from analytics.contract import SCHEMAS
from analytics.domain import THEME_STATUSES_AUDITED
from analytics.errors import AuditDataError
from analytics.ingest.writing import (
    HISTORY_DIR,
    Progress,
    import_number,
    prune_empty_dirs,
    read_history,
    refresh_manifest,
    step,
    store_errors,
    swap_in,
    write_history,
)
from analytics.store import MANIFEST_NAME, Store


@dataclass(frozen=True)
class UndoResult:
    """The outcome of undoing an import."""

    import_id: str
    files_removed: int
    files_restored: int
    message: str


def undo_blockers(data_dir: Path, record: pd.Series, history: pd.DataFrame) -> list[str]:
    """Return why an import cannot be undone exactly (later imports that changed its files)."""
    import_id = record["import_id"]
    reasons = []
    missing = [r for r in record["files_added"] if not (data_dir / r).is_file()]
    number = import_number(import_id)
    later = history[
        (history["import_id"].map(import_number) > number) & (history["status"] == "active")
    ]
    blockers = sorted(
        {row.import_id for row in later.itertuples() if set(row.files_removed) & set(missing)}
    )
    if blockers:
        reasons.append(
            f"{', '.join(blockers)} replaced what {import_id} loaded: undo "
            f"{', '.join(reversed(blockers))} first"
        )
    elif missing:
        reasons.append(f"files that {import_id} added are missing from the store ({missing[0]})")
    kept = data_dir / HISTORY_DIR / import_id
    lost = [r for r in record["files_removed"] if not (kept / r).is_file()]
    if lost:
        reasons.append(f"the files {import_id} replaced are no longer kept ({lost[0]})")
    return reasons


def apply_undo(staging: Path, record: pd.Series) -> None:
    """Reverse one import in the staging store: remove its files, restore what it replaced."""
    import_id = record["import_id"]
    for relative in record["files_added"]:
        (staging / relative).unlink()
    kept = staging / HISTORY_DIR / import_id
    for relative in record["files_removed"]:
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(kept / relative, target)
    shutil.rmtree(kept, ignore_errors=True)
    history_root = staging / HISTORY_DIR
    if history_root.is_dir() and not any(history_root.iterdir()):
        history_root.rmdir()
    prune_empty_dirs(staging, SCHEMAS)


def orphans_after_undo(staging: Path) -> list[str]:
    """Return data in the staging store left without its round, question or audited theme."""
    store = Store(staging)
    try:
        no_round = store.query(
            "SELECT DISTINCT c.theme_id, c.round_id FROM cases AS c "
            "ANTI JOIN rounds AS r USING (theme_id, round_id) ORDER BY ALL"
        )
        no_question = store.query(
            "SELECT DISTINCT s.theme_id, s.question_id FROM responses AS s "
            "ANTI JOIN questions AS q USING (theme_id, question_id) ORDER BY ALL"
        )
        planned = store.query(
            "SELECT DISTINCT c.theme_id FROM cases AS c JOIN themes AS t USING (theme_id) "
            "WHERE NOT list_contains($audited::VARCHAR[], t.status) ORDER BY ALL",
            {"audited": list(THEME_STATUSES_AUDITED)},
        )
    finally:
        store.close()
    found = [f"cases of {t}/{r} would have no round" for t, r in no_round.itertuples(index=False)]
    found += [
        f"answers to {t} question {q} would have no question"
        for t, q in no_question.itertuples(index=False)
    ]
    found += [f"theme {t} would be planned again while it holds cases" for t in planned["theme_id"]]
    return found


def themes_of(record: pd.Series) -> list[str]:
    """Return the themes an import touched (from its rounds and the files it changed)."""
    themes = {tr.split("/")[0] for tr in record["theme_rounds"]}
    for relative in [*record["files_added"], *record["files_removed"]]:
        match = re.search(r"theme_id=([^/]+)", relative)
        if match:
            themes.add(match.group(1))
    return sorted(themes)


def mark_undone(history: pd.DataFrame, import_id: str) -> pd.DataFrame:
    """Return the history with one import marked undone, now."""
    history = history.astype(object).copy()
    at = history["import_id"] == import_id
    history.loc[at, "status"] = "undone"
    now = pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    history.loc[at, "undone_at"] = now
    return history


def ensure_undoable(record: pd.Series) -> None:
    """Raise unless the import is active."""
    if record["status"] != "active":
        raise AuditDataError(f"Import {record['import_id']} is already {record['status']}.")


def _find(history: pd.DataFrame, import_id: str) -> pd.Series:
    match = history[history["import_id"] == import_id]
    if match.empty:
        known = ", ".join(history["import_id"]) or "none yet"
        raise AuditDataError(f"No import {import_id!r} in this store. Imports: {known}.")
    return match.iloc[0]


def undo_import(
    data_dir: str | os.PathLike[str],
    import_id: str,
    progress: Progress | None = None,
    *,
    actor: Actor,
) -> UndoResult:
    """Revert one import exactly: its files go, the files it replaced come back byte for byte.

    Only an actor with the import permission may (AccessRefused otherwise, recorded).
    """
    data_dir = local_store_dir(data_dir)
    if not (data_dir / MANIFEST_NAME).is_file():
        raise AuditDataError(f"No audit store at {data_dir}.")
    with store_errors(data_dir, "Nothing was undone"):
        audit_trail.require_recorded(
            audit_trail.folder_for(data_dir),
            Permission.IMPORT,
            audit_trail.Event(actor, "undo-import", import_id),
        )
        with writer_lock(data_dir):
            record = _undo_locked(data_dir, import_id, actor, progress)
    step(progress, 1.0, "Undone")
    added, removed = len(record["files_added"]), len(record["files_removed"])
    message = (
        f"Undid {import_id} ({record['file_name']}): removed {added} file(s), restored "
        f"{removed} file(s) it had replaced."
    )
    return UndoResult(import_id, added, removed, message)


def _undo_locked(
    data_dir: Path, import_id: str, actor: Actor, progress: Progress | None
) -> pd.Series:
    """Undo one import in a clone of the store and swap it in (the writer's lock held)."""
    history = read_history(data_dir)
    record = _find(history, import_id)
    ensure_undoable(record)
    blockers = undo_blockers(data_dir, record, history)
    if blockers:
        raise AuditDataError(
            f"Import {import_id} cannot be undone exactly: " + "; ".join(blockers) + "."
        )
    step(progress, 0.3, "Restoring the files the import replaced")
    staging = sibling(data_dir, "staging")
    try:
        clone_dir(data_dir, staging)
        apply_undo(staging, record)
        orphans = orphans_after_undo(staging)
        if orphans:
            later = _later_imports(history, record)
            raise AuditDataError(
                f"Undoing {import_id} would leave a later import's data without what it "
                f"relies on ({orphans[0]}). Undo the later import(s) first"
                + (f": {', '.join(later)}." if later else ".")
            )
        history = mark_undone(history, import_id)
        event = audit_trail.Event(actor, "undo-import", import_id, detail=record["file_name"])
        written = [write_history(staging, history), refresh_manifest(staging, history)]
        swap_in(staging, data_dir, written, [event])
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return record


def _later_imports(history: pd.DataFrame, record: pd.Series) -> list[str]:
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


def import_history(data_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the imports, newest first: when, who, file, rows, rounds, state, can_undo.

    A store read from a URL is read-only here: its history is read through DuckDB, and nothing
    in it can be undone from this machine (undo on the writer).
    """
    remote = is_url(data_dir)
    if remote:
        history = Store(data_dir).query("SELECT * FROM imports")
        history = history.sort_values("import_id", key=lambda s: s.map(import_number))
    else:
        data_dir = local_store_dir(data_dir)
    columns = [
        "import_id",
        "imported_at",
        "user",
        "file_name",
        "cases",
        "responses",
        "rounds",
        "questions",
        "theme_rounds",
        "replaced",
        "state",
        "can_undo",
    ]
    if not remote:
        if not (data_dir / MANIFEST_NAME).is_file():
            return pd.DataFrame(columns=columns)
        purge_retired(data_dir)  # the Data page reads this on every visit: a safe moment to tidy
        history = read_history(data_dir)
    if history.empty:
        return pd.DataFrame(columns=columns)
    states, undoable = [], []
    for _, record in history.iterrows():
        if record["status"] != "active":
            states.append(f"undone {record['undone_at']:%Y-%m-%d %H:%M}")
            undoable.append(False)
            continue
        if remote:
            states.append("active")
            undoable.append(False)
            continue
        blockers = undo_blockers(data_dir, record, history)
        states.append("active" if not blockers else "active; " + blockers[0])
        undoable.append(not blockers)
    out = history.assign(
        theme_rounds=history["theme_rounds"].map(lambda rounds: ", ".join(rounds)),
        state=states,
        can_undo=undoable,
    )[columns]
    order = out["import_id"].map(import_number)
    return (
        out.assign(_n=order)
        .sort_values("_n", ascending=False)
        .drop(columns="_n")
        .reset_index(drop=True)
    )
