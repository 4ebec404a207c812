"""Migrating a store in the old layout (a folder of Parquet folders) into a DuckLake store.

The old layout: `store.json` (the manifest), one folder per table of Parquet files (cases,
responses and their roll-ups in `theme_id=…/round_id=…` folders, without those two columns),
`imports/` (the import history, with the files each import added and removed),
`audit_trail/*.parquet` (one file per event, or merged files; a deployment that set
AUDIT_TRAIL_DIR kept them under that folder's `audit_trail/` instead) and
`tracker_mappings/<slug>.json`.
Everything is carried over in one snapshot: every table's rows (read with pyarrow, unioned by
column name, typed by the contract; the roll-ups are made again from the rows), the history, the
audit trail, the saved mappings and the manifest. The `.history/` folder of replaced files is
not: an import made before the migration stays listed but can no longer be undone.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.contract import (
    PARTITIONED_TABLES,
    RECORD_SCHEMAS,
    ROLLUP_TABLES,
    SCHEMAS,
    TABLES,
)
from analytics.errors import AuditDataError
from analytics.lake.catalog import Lake, Snapshot, Writer
from analytics.lake.location import CATALOG_FILE, StoreLocation, parse_location

OLD_MANIFEST = "store.json"
OLD_TRAIL = "audit_trail"
OLD_MAPPINGS = "tracker_mappings"
MIGRATED_PREFIX = "migrated from "  # the migration snapshot's message starts so
NOT_UNDOABLE = (
    "imports made before the store was migrated to DuckLake can no longer be undone (the "
    "files they replaced were not carried over)"
)


@dataclass(frozen=True)
class Migrated:
    """What a migration carried over: rows per table, events, mappings, and its snapshot."""

    snapshot: int
    rows: dict[str, int]
    message: str


def is_old_store(folder: Path) -> bool:
    """Return whether a folder is a store in the old layout (store.json, no DuckLake catalog)."""
    return (folder / OLD_MANIFEST).is_file() and not (folder / CATALOG_FILE).exists()


def migration_snapshot(snapshots: list[Snapshot]) -> int | None:
    """Return the snapshot that migrated the store from the old layout, if it was migrated."""
    for snapshot in snapshots:
        if snapshot.message.startswith(MIGRATED_PREFIX):
            return snapshot.snapshot_id
    return None


def _table_files(folder: Path, table: str) -> list[Path]:
    """Return a table's Parquet files as the old store listed them (hidden and temporary
    files, whose names start with "." or "_", left out)."""
    root = folder / table
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)
    )


def _partition(path: Path, root: Path) -> dict[str, str]:
    """Return the hive folder values of a file (theme_id=…/round_id=…)."""
    parts = path.relative_to(root).parts[:-1]
    return dict(part.split("=", 1) for part in parts if "=" in part)


def _read_file(path: Path, schema: pa.Schema, values: dict[str, str]) -> pa.Table:
    """Return one old file's rows with exactly the schema's columns: missing ones null (or
    from the file's hive folders), others cast to the contract's type."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise AuditDataError(
            f"{path} could not be read ({error}). Nothing was migrated: restore the file from "
            "a backup, or remove it if its rows are not wanted."
        ) from error
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
        elif field.name in values:
            column = pa.array([values[field.name]] * table.num_rows, pa.string())
        else:
            column = pa.nulls(table.num_rows, field.type)
        try:
            columns.append(column.cast(field.type))
        except (pa.ArrowException, ValueError) as error:
            raise AuditDataError(
                f"{path}: its column {field.name} is {column.type}, not {field.type} as the data "
                f"contract says ({error}). Nothing was migrated."
            ) from error
    return pa.Table.from_arrays(columns, schema=schema)


def _frame(tables: list[pa.Table], schema: pa.Schema) -> pd.DataFrame:
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    return table.to_pandas()


def read_old_table(folder: Path, table: str, schema: pa.Schema) -> pd.DataFrame:
    """Return all rows of one unpartitioned old table, typed by `schema`."""
    return _frame([_read_file(path, schema, {}) for path in _table_files(folder, table)], schema)


def read_old_partitions(folder: Path, table: str) -> Iterator[tuple[tuple[str, str], pd.DataFrame]]:
    """Yield ((theme, round), rows) for each partition of an old partitioned table."""
    root = folder / table
    by_partition: dict[tuple[str, str], list[pa.Table]] = {}
    for path in _table_files(folder, table):
        values = _partition(path, root)
        rows = _read_file(path, SCHEMAS[table], values)
        key = (values.get("theme_id", ""), values.get("round_id", ""))
        by_partition.setdefault(key, []).append(rows)
    for key, tables in sorted(by_partition.items()):
        yield key, _frame(tables, SCHEMAS[table])


def read_old_history(folder: Path, base_snapshot: int) -> pd.DataFrame:
    """Return the old import history in today's columns: the files each import added and
    removed give way to the snapshot it is now based on and the keys its rounds name."""
    old_schema = pa.schema(
        [f for f in SCHEMAS["imports"] if f.name not in ("base_snapshot", "changed")]
    )
    history = read_old_table(folder, "imports", old_schema)
    history["base_snapshot"] = pd.array([base_snapshot] * len(history), dtype="Int64")
    history["changed"] = [
        [
            f"{kind}:{theme_round}"
            for theme_round in list(rounds or [])
            for kind in ("cases", "rounds")
        ]
        for rounds in history["theme_rounds"]
    ]
    return history[SCHEMAS["imports"].names]


def read_old_trail(folder: Path, shared: Path | None = None) -> pd.DataFrame:
    """Return every event of the old audit trail, once each (a merge may repeat some), oldest
    first; events recorded before snapshots existed name none. `shared`: the folder an old
    deployment's AUDIT_TRAIL_DIR named, whose audit_trail/ held the events recorded while it
    was set (the store's own folder holds the others)."""
    schema = RECORD_SCHEMAS["audit_trail"]
    frames = [read_old_table(folder, OLD_TRAIL, schema)]
    if shared is not None:
        if not (shared / OLD_TRAIL).is_dir():
            raise AuditDataError(
                f"{shared} holds no {OLD_TRAIL}/ folder: name the folder AUDIT_TRAIL_DIR named "
                "for the old store (or unset it). Nothing was migrated."
            )
        frames.append(read_old_table(shared, OLD_TRAIL, schema))
    trail = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    trail = trail.drop_duplicates("event_id").sort_values(["at", "event_id"], kind="stable")
    trail["snapshot_id"] = trail["snapshot_id"].astype("Int64")
    return trail.reset_index(drop=True)


def read_old_mappings(folder: Path) -> pd.DataFrame:
    """Return the saved tracker mappings: slug (the file's stem), name, the JSON text as is.
    A file that is not valid JSON is carried over too, named after its slug."""
    rows = []
    root = folder / OLD_MAPPINGS
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        text = path.read_bytes().decode("utf-8", errors="replace")
        try:
            name = json.loads(text).get("name") or path.stem
        except (ValueError, AttributeError):
            name = path.stem
        rows.append({"slug": path.stem, "name": str(name), "mapping": text})
    return pd.DataFrame(rows, columns=RECORD_SCHEMAS["tracker_mappings"].names)


def _check_target(target: StoreLocation) -> None:
    """Refuse a target that holds anything: a migration never overwrites."""
    if target.folder is not None:
        folder = target.folder
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise AuditDataError(
                f"{folder} is not empty: migrate-store never overwrites. Name a new or empty "
                "folder with --to."
            )
        return
    lake = Lake(target)
    try:
        if lake.tables(lake.latest_snapshot()):
            raise AuditDataError(
                f"The catalog {target.shown()} already holds a store: migrate-store never "
                "overwrites. Name a new, empty catalog with --to."
            )
    finally:
        lake.close()


def _check_source(folder: Path) -> None:
    if not folder.is_dir():
        raise AuditDataError(f"No folder {folder}: name the old store's folder.")
    if (folder / CATALOG_FILE).exists():
        raise AuditDataError(f"{folder} is already a DuckLake store: there is nothing to migrate.")
    if not (folder / OLD_MANIFEST).is_file():
        raise AuditDataError(
            f"{folder} is not an audit store in the old layout (it has no {OLD_MANIFEST}): "
            "nothing was migrated."
        )


def migrate_store(
    old_dir: str | os.PathLike[str],
    new_location: str | os.PathLike[str] | StoreLocation,
    *,
    author: str = "audit-insight",
    trail_dir: str | os.PathLike[str] | None = None,
) -> Migrated:
    """Convert an old-layout store into a new DuckLake store, in one snapshot; return what was
    carried over. Refuses a target that is not empty and a source that is no old-layout store.
    `trail_dir`: the old deployment's AUDIT_TRAIL_DIR, whose events are carried over too."""
    folder = Path(old_dir).expanduser().absolute()
    shared = None if trail_dir is None else Path(trail_dir).expanduser().absolute()
    target = (
        new_location if isinstance(new_location, StoreLocation) else parse_location(new_location)
    )
    _check_source(folder)
    _check_target(target)
    manifest_text = (folder / OLD_MANIFEST).read_text(encoding="utf-8")
    try:
        json.loads(manifest_text)
    except ValueError as error:
        raise AuditDataError(f"{folder / OLD_MANIFEST} is not valid JSON ({error}).") from None
    counts: dict[str, int] = {}

    def carry_over(writer: Writer) -> None:
        counts.clear()
        for table in TABLES:
            if table in ROLLUP_TABLES:
                continue  # made again from the rows by Writer.append
            if table in PARTITIONED_TABLES:
                for _, frame in read_old_partitions(folder, table):
                    counts[table] = counts.get(table, 0) + writer.append(table, frame)
            elif table == "imports":
                counts[table] = writer.append(table, read_old_history(folder, writer.base_snapshot))
            else:
                counts[table] = writer.append(table, read_old_table(folder, table, SCHEMAS[table]))
        counts["audit_trail"] = writer.append("audit_trail", read_old_trail(folder, shared))
        counts["tracker_mappings"] = writer.append("tracker_mappings", read_old_mappings(folder))
        writer.append("store_manifest", pd.DataFrame({"manifest": [manifest_text]}))

    existed = target.folder is not None and target.folder.exists()
    try:
        lake = Lake(target, create=True)
        try:
            _, snapshot = lake.write(
                carry_over, author=author, message=f"{MIGRATED_PREFIX}{folder}"
            )
        finally:
            lake.close()
    except BaseException:
        if target.folder is not None:  # it was new or empty: leave nothing half-made in it
            shutil.rmtree(target.folder, ignore_errors=True)
            if existed:
                target.folder.mkdir(exist_ok=True)
        raise
    rows = {table: counts.get(table, 0) for table in (*TABLES, "audit_trail", "tracker_mappings")}
    imports = rows["imports"]
    message = (
        f"Migrated {folder} to {target.shown()} as snapshot {snapshot}: {rows['cases']} cases, "
        f"{rows['responses']} responses, {imports} import(s) in the history, "
        f"{rows['audit_trail']} audit-trail event(s)"
        + (f" (with those in {shared})" if shared is not None else "")
        + f", {rows['tracker_mappings']} saved tracker mapping(s) and the manifest."
    )
    if imports:
        message += f" The imports stay listed, but {NOT_UNDOABLE}."
    return Migrated(snapshot, rows, message)
