"""Writing an import inside its store transaction, and the record it leaves.

An import runs in one DuckLake transaction (analytics.lake.catalog.Lake.write): it deletes the
partitions it replaces, appends its cases and responses (their roll-ups come along), replaces
the rounds, questions and themes rows it adds or revises, and records itself in the `imports`
table with the snapshot it was applied to (`base_snapshot`) and the keys it wrote (`changed`),
so undo (analytics.ingest.history) can put exactly those rows back as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from analytics.contract import ROLLUPS, SCHEMAS
from analytics.errors import AuditDataError
from analytics.ingest.validate import Checked
from analytics.lake.catalog import Lake, Writer
from analytics.lake.location import StoreLocation, check_store_target
from analytics.store import Store, empty_frame, manifest_frame

IMPORT_ID = re.compile(r"^imp-\d{4,}$")
Progress = Callable[[float, str], None]  # (fraction done, what is happening now)
KEYS = {
    "themes": ["theme_id"],
    "rounds": ["theme_id", "round_id"],
    "questions": ["theme_id", "question_id"],
}
CASES_KEY = "cases"  # "cases:theme/round": the partition in cases, responses and their roll-ups


def step(progress: Progress | None, fraction: float, text: str) -> None:
    """Report progress to the caller (the Data page's bar), if it asked."""
    if progress is not None:
        progress(fraction, text)


@contextlib.contextmanager
def store_errors(where: object, outcome: str) -> Iterator[None]:
    """Turn an operating-system error (a read-only or full disk, a file where the store's folder
    should be) into a message naming the path and the reason; the store is left as it was."""
    try:
        yield
    except OSError as error:
        path = error.filename or where
        reason = error.strerror or type(error).__name__
        raise AuditDataError(
            f"{outcome}: the audit store at {where} could not be used "
            f"({path}: {reason}). Check that the folder exists, that this user may write to it "
            "and its parent folder, and that the disk has space."
        ) from error


def check_target(where: StoreLocation) -> None:
    """Raise AuditDataError unless an import may make or change a store there (a file, or a
    folder of other things, is never made a store)."""
    check_store_target(where)


def current_user() -> str:
    """Return the operating-system user running the import, or 'unknown'."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def base_store(lake: Lake, writer: Writer) -> Store:
    """Return the store as the writer's transaction found it, to check a change against.

    That is the newest data snapshot when nothing changed the data since the transaction
    began (only audit-trail events, which a Store does not read): it is likely set up in
    memory already."""
    data = lake.data_snapshot()
    return Store(lake.location, as_of=min(data, writer.base_snapshot), lake=lake)


# --- the import history ----------------------------------------------------------------------


def sorted_history(history: pd.DataFrame) -> pd.DataFrame:
    """Return imports rows oldest first (by import number)."""
    if history.empty:
        return empty_frame("imports")
    return history.sort_values("import_id", key=lambda s: s.map(import_number), ignore_index=True)


def read_history(source: Store | Writer | StoreLocation | str | os.PathLike[str]) -> pd.DataFrame:
    """Return the store's imports table (one row per import, oldest first): from a Store's
    snapshot, a writer's transaction, or the newest data snapshot of a store location."""
    if isinstance(source, Writer):
        return sorted_history(source.read("imports"))
    if isinstance(source, Store):
        return sorted_history(source.query("SELECT * FROM imports"))
    with Store(source) as store:
        return sorted_history(store.query("SELECT * FROM imports"))


def import_number(import_id: object) -> int:
    """Return the sequence number of an import id (imp-0012 -> 12), 0 if it is not one."""
    text = str(import_id)
    return int(text.split("-")[1]) if IMPORT_ID.match(text) else 0


def next_import_id(history: pd.DataFrame) -> str:
    """Return the next import id (imp-0001, imp-0002, ...)."""
    return f"imp-{max(map(import_number, history['import_id']), default=0) + 1:04d}"


def history_row(
    import_id: str,
    file_name: str,
    sha256: str,
    checked: Checked,
    user: str | None,
    base_snapshot: int,
    changed: list[str],
    replaced: str | None,
) -> dict[str, object]:
    """Return the imports-table row describing one import."""
    rounds = checked.rounds
    touched = rounds[(rounds["cases"] > 0) | rounds["is_new"] | rounds["revised"]]
    return {
        "import_id": import_id,
        "file_name": file_name,
        "sha256": sha256,
        "cases": len(checked.cases),
        "responses": len(checked.responses),
        "rounds": int((rounds["is_new"] | rounds["revised"]).sum()) if len(rounds) else 0,
        "questions": len(checked.questions),
        "theme_rounds": [
            f"{t}/{r}" for t, r in zip(touched["theme_id"], touched["round_id"], strict=True)
        ],
        "imported_at": pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        "user": user or current_user(),
        "replaced": replaced,
        "status": "active",
        "undone_at": None,
        "base_snapshot": int(base_snapshot),
        "changed": list(changed),
    }


def append_history(writer: Writer, row: dict[str, object]) -> None:
    """Add one import's row to the imports table."""
    writer.append("imports", pd.DataFrame([row], columns=SCHEMAS["imports"].names))


def cases_key(theme_id: str, round_id: str) -> str:
    """Return the changed-key of a round's cases partition ("cases:theme/round")."""
    return f"{CASES_KEY}:{theme_id}/{round_id}"


def imported_rounds(history: pd.DataFrame) -> set[str]:
    """Return the rounds ("theme/round") whose cases an active import wrote."""
    rounds: set[str] = set()
    for record in history[history["status"] == "active"].itertuples(index=False):
        changed = record.changed
        if changed is None:  # a record without keys: the rounds it touched
            rounds.update(record.theme_rounds if record.theme_rounds is not None else [])
            continue
        prefix = f"{CASES_KEY}:"
        rounds.update(key[len(prefix) :] for key in changed if key.startswith(prefix))
    return rounds


def later_changes(history: pd.DataFrame, record: Any) -> list[str]:
    """Return the active imports after `record` that changed a key it changed (newest first):
    while there is one, the rows `record` wrote are no longer all in the store."""
    mine = set(record["changed"] if record["changed"] is not None else [])
    number = import_number(record["import_id"])
    later = [
        str(other.import_id)
        for other in history.itertuples(index=False)
        if import_number(other.import_id) > number
        and other.status == "active"
        and mine & set(other.changed if other.changed is not None else [])
    ]
    return sorted(later, key=import_number, reverse=True)


def is_intact(history: pd.DataFrame, record: Any) -> bool:
    """Return whether every row an active import wrote is still in the store (no later active
    import changed the same rounds, questions or themes)."""
    return record["status"] == "active" and not later_changes(history, record)


# --- writing the rows ------------------------------------------------------------------------


def _contract_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    columns = SCHEMAS[table].names
    out = frame.reindex(columns=columns)
    return out.astype(object).where(out.notna(), None)


def _key_where(table: str, rows: pd.DataFrame) -> tuple[str, dict[str, Any]]:
    """Return an SQL condition (bound parameters) matching the rows' keys in a small table."""
    keys = KEYS[table]
    listed = [
        "(" + " AND ".join(f"{column} = ${column}_{i}" for column in keys) + ")"
        for i in range(len(rows))
    ]
    params = {
        f"{column}_{i}": str(value)
        for i, values in enumerate(rows[keys].itertuples(index=False))
        for column, value in zip(keys, values, strict=True)
    }
    return " OR ".join(listed), params


def _upsert(
    writer: Writer, table: str, added: pd.DataFrame, revisions: pd.DataFrame
) -> list[pd.DataFrame]:
    """Add rows to a small table and revise others (delete their keys, append them revised);
    return the frames of keys written."""
    keys = KEYS[table]
    frames = []
    if len(revisions):
        where, params = _key_where(table, revisions)
        old = writer.read(table, where, params)
        if len(old):
            writer.delete(table, where, params)
            old = old.astype(object).set_index(keys)
            update = revisions.astype(object).set_index(keys)
            update = update[update.index.isin(old.index)]
            for column in update.columns:
                old.loc[update.index, column] = update[column]
            frames.append(old.reset_index())
    if len(added):
        frames.append(added)
    if not frames:
        return []
    frame = _contract_frame(table, pd.concat([_contract_frame(table, f) for f in frames]))
    if table == "themes":
        frame["sort_order"] = frame["sort_order"].astype("int32")
    writer.append(table, frame)
    return [frame[keys]]


def _keys(table: str, frames: list[pd.DataFrame]) -> list[str]:
    return [
        f"{table}:" + "/".join(str(v) for v in values)
        for frame in frames
        for values in frame.itertuples(index=False)
    ]


def loaded_partitions(writer: Writer) -> dict[tuple[str, str], int]:
    """Return the (theme, round) partitions holding cases, with their case counts."""
    counts = writer.read(ROLLUPS["cases"][0])
    if counts.empty:
        return {}
    summed = counts.groupby(["theme_id", "round_id"])[ROLLUPS["cases"][2]].sum()
    return {(str(t), str(r)): int(n) for (t, r), n in summed.items()}


def apply_import(
    writer: Writer, checked: Checked, history: pd.DataFrame
) -> tuple[list[str], str | None]:
    """Write the checked import in the writer's transaction; return (changed keys, replaced).

    `history`: the imports table as the transaction sees it (to name what a replaced round
    came from)."""
    changed: list[str] = []
    replaced_from: list[str] = []
    loaded = loaded_partitions(writer) if checked.replaced else {}
    for theme_id, round_id in checked.replaced:
        if (theme_id, round_id) not in loaded:
            continue
        writer.delete_partitions([(theme_id, round_id)])
        changed.append(cases_key(theme_id, round_id))
        origin = _last_loaded_by(history, theme_id, round_id)
        replaced_from.append(f"{theme_id}/{round_id}" + (f" (from {origin})" if origin else ""))
    if len(checked.cases):
        writer.append("cases", _contract_frame("cases", checked.cases))
        writer.append("responses", _contract_frame("responses", checked.responses))
        pairs = checked.cases[["theme_id", "round_id"]].drop_duplicates()
        for theme_id, round_id in sorted(pairs.itertuples(index=False)):
            key = cases_key(theme_id, round_id)
            if key not in changed:
                changed.append(key)
    rounds = checked.rounds
    if len(rounds):
        fields = ["theme_id", "round_id", "label", "start_date", "end_date", "status"]
        new = rounds[rounds["is_new"]][fields]
        revised = rounds[~rounds["is_new"] & rounds["revised"]][fields]
        changed += _keys("rounds", _upsert(writer, "rounds", new, revised))
    questions = checked.questions
    if len(questions):
        fields = ["theme_id", "question_id", "text", "category", "seed_finding"]
        new = questions[questions["change"] == "new question"][fields]
        revised = questions[questions["change"] == "revised"][fields]
        changed += _keys("questions", _upsert(writer, "questions", new, revised))
    if len(checked.themes):
        revised = checked.themes[["theme_id", "status"]]
        changed += _keys("themes", _upsert(writer, "themes", pd.DataFrame(), revised))
    return changed, "; ".join(replaced_from) or None


def _last_loaded_by(history: pd.DataFrame, theme_id: str, round_id: str) -> str | None:
    """Return the newest active import that wrote a round's cases, or None (the sample's)."""
    key = cases_key(theme_id, round_id)
    for record in sorted_history(history).iloc[::-1].itertuples(index=False):
        if record.status == "active" and record.changed is not None and key in record.changed:
            return str(record.import_id)
    return None


# --- the manifest ----------------------------------------------------------------------------


def read_manifest(writer: Writer) -> dict[str, Any]:
    """Return the store's manifest as the transaction sees it ({} if there is none)."""
    frame = writer.read("store_manifest")
    if frame.empty or frame["manifest"].iloc[-1] is None:
        return {}
    manifest: dict[str, Any] = json.loads(frame["manifest"].iloc[-1])
    return manifest


def write_manifest(writer: Writer, manifest: dict[str, Any]) -> None:
    """Replace the store's manifest row."""
    writer.delete("store_manifest", "true")
    writer.append("store_manifest", manifest_frame(manifest))


def refresh_manifest(writer: Writer, history: pd.DataFrame | None = None) -> dict[str, Any]:
    """Rewrite the manifest so its notice says plainly what is synthetic and what was imported;
    return it.

    A synthetic sample store that imports added real rounds to is marked "synthetic": "mixed"
    (every page's banner shows the notice while "synthetic" is truthy), its notice naming the
    sample's rounds and the imported ones; once imports have replaced every sample round it is
    no longer synthetic. With no import active, the manifest is the original one again.
    """
    history = read_history(writer) if history is None else history
    manifest = read_manifest(writer)
    base_notice = manifest.pop("base_notice", manifest.get("notice"))
    base_synthetic = manifest.pop("base_synthetic", manifest.get("synthetic"))
    for key in ("imported_rounds", "synthetic_rounds", "accepted_rounds"):
        manifest.pop(key, None)
    if "synthetic" in manifest:  # restored in place: the keys keep their order
        manifest["synthetic"] = base_synthetic
    if base_notice is not None:
        manifest["notice"] = base_notice
    active = history[history["status"] == "active"]
    touched = sorted({r for listed in active["theme_rounds"] if listed is not None for r in listed})
    if touched:
        manifest["base_notice"] = base_notice
        manifest["base_synthetic"] = base_synthetic
        sample, imported = rounds_by_origin(writer, history) if base_synthetic else ([], [])
        if imported:
            manifest["synthetic"] = "mixed" if sample else False
            manifest["notice"] = _mixed_notice(sample, imported)
            manifest["synthetic_rounds"] = sample
            manifest["imported_rounds"] = imported
        else:
            manifest["notice"] = f"{base_notice or ''} Also loaded by import: {_listed(touched)}."
            manifest["notice"] = manifest["notice"].strip()
            manifest["imported_rounds"] = touched
    accepted = accepted_rounds(writer, set(active["import_id"]))
    if accepted:
        manifest["accepted_rounds"] = accepted
    write_manifest(writer, manifest)
    return manifest


def accepted_rounds(writer: Writer, active_imports: set[str]) -> list[str]:
    """Return the incomplete rounds accepted for an import still active, as "theme/round"."""
    rows = writer.read("round_acceptances")
    rows = rows[rows["import_id"].isin(active_imports)]
    return sorted({f"{t}/{r}" for t, r in zip(rows["theme_id"], rows["round_id"], strict=True)})


def rounds_by_origin(writer: Writer, history: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Return the rounds holding cases as (synthetic sample, imported), each "theme/round":
    imported when an active import wrote its cases, else the sample generator's."""
    imported_keys = imported_rounds(history)
    sample: list[str] = []
    imported: list[str] = []
    for theme_id, round_id in sorted(loaded_partitions(writer)):
        key = f"{theme_id}/{round_id}"
        (imported if key in imported_keys else sample).append(key)
    return sample, imported


def _listed(rounds: list[str], most: int = 8) -> str:
    shown = ", ".join(rounds[:most])
    return shown + (f" and {len(rounds) - most} more" if len(rounds) > most else "")


def _by_theme(rounds: list[str]) -> str:
    themes: dict[str, list[str]] = {}
    for key in rounds:
        theme, round_id = key.split("/", 1)
        themes.setdefault(theme, []).append(round_id)
    return "; ".join(f"{theme} {', '.join(ids)}" for theme, ids in themes.items())


def _mixed_notice(sample: list[str], imported: list[str]) -> str:
    if not sample:
        return (
            "Every audit round in this store was imported from audit files (real data): "
            f"{_by_theme(imported)}. The sample's synthetic rounds have all been replaced."
        )
    return (
        "This store mixes synthetic sample data with imported audit rounds. "
        f"Synthetic sample (no real child is described): {_by_theme(sample)}. "
        f"Imported from audit files (real data): {_by_theme(imported)}."
    )
