"""One process's connection to a store: DuckDB with its DuckLake catalog attached as `lake`.

Every change is a DuckLake transaction, committed as one snapshot with its author and message.
Writers that must not interleave (imports, undo, acceptances, mappings) also take the writers'
turn: a one-row table each of them updates, so two at once conflict and the later retries from
the start on the new snapshot, whether the catalog is SQLite or PostgreSQL. Recording an event
in the audit trail takes no turn and, being no change to the data, leaves the data snapshot
(what pages show and what caches are keyed on) where it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from analytics.contract import (
    AREA_CASE_COUNTS,
    PARTITION_COLUMNS,
    PARTITIONED_TABLES,
    RECORD_SCHEMAS,
    ROLLUPS,
    SCHEMAS,
    duckdb_type,
)
from analytics.domain import NOT_APPLICABLE
from analytics.errors import AuditDataError
from analytics.lake import extensions
from analytics.lake.extensions import one_row
from analytics.lake.location import (
    CATALOG_FILE,
    StoreLocation,
    check_store_target,
    hide_password,
    parse_location,
)

T = TypeVar("T")
_aliases = itertools.count(1)
TURN_TABLE = "writer_turn"
# Tables whose changes are not changes to what the pages show.
NOT_DATA: frozenset[str] = frozenset({"audit_trail", TURN_TABLE})
ALL_SCHEMAS: dict[str, pa.Schema] = {
    **SCHEMAS,
    **RECORD_SCHEMAS,
    TURN_TABLE: pa.schema([("turn", pa.int64())]),
}
# Rows of a partition file are written in this order: a query for one question and quadrant
# (the drill-down) then reads one or two row groups, not the file.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "responses": ("question_id", "quadrant", "team", "audit_id"),
    "cases": ("quadrant", "team", "audit_id"),
}
# The tables the area case counts are computed from, and the columns that say which partitions
# a change to them makes stale.
_AREA_SOURCES: dict[str, tuple[str, ...]] = {
    "responses": PARTITION_COLUMNS,
    "questions": ("theme_id",),
}
WRITE_ATTEMPTS = 40  # a writer that keeps losing the turn gives up after this many tries
STOP_AT_ENV = "AUDIT_STOP_AT"  # tests: a named point inside a writer where it waits to be killed


def area_case_counts_sql(responses: str, questions: str, where: str = "true") -> str:
    """Return the SELECT counting the area case counts' rows from responses and questions
    (`where`: a condition on the responses `r`, ours, with bound $parameters; $na: the answer
    that counts for no area)."""
    return (
        "SELECT r.theme_id, r.round_id, r.quadrant, r.team, q.category, "
        "count(DISTINCT r.audit_id)::BIGINT AS cases "
        f"FROM {responses} AS r JOIN {questions} AS q USING (theme_id, question_id) "
        f"WHERE ({where}) AND r.response <> $na GROUP BY ALL ORDER BY ALL"
    )


class StoreBusy(AuditDataError):
    """Other writers kept the store busy: nothing was written."""


def is_conflict(error: BaseException) -> bool:
    """Return whether a failed commit lost to another writer (retry it), not a real fault."""
    text = str(error).lower()
    return isinstance(error, duckdb.TransactionException) or any(
        marker in text for marker in ("database is locked", "conflict", "could not serialize")
    )


def quoted(name: str) -> str:
    """Quote a column name (the trail has columns named `at` and `user`)."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    """Quote a value as an SQL string literal (ATTACH and DDL take no bound parameters)."""
    return "'" + value.replace("'", "''") + "'"


def to_arrow(table: str, frame: pd.DataFrame) -> pa.Table:
    """Return the frame as an Arrow table with exactly the table's columns and types."""
    schema = ALL_SCHEMAS[table]
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise AuditDataError(f"Table {table} lacks column(s): {', '.join(missing)}.")
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def rollup_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return the roll-up (counts) of a cases or responses frame, per partition."""
    _, groups, count = ROLLUPS[table]
    keys = [*PARTITION_COLUMNS, *groups]
    counted = frame.groupby(keys, dropna=False, observed=True).size().rename(count)
    return counted.reset_index()


@dataclass(frozen=True)
class Snapshot:
    """One committed snapshot of the store."""

    snapshot_id: int
    time: pd.Timestamp  # UTC, naive
    changes: str
    author: str
    message: str


class Writer:
    """The open transaction of one writer: reads see its own changes; nothing shows until commit."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, base_snapshot: int, alias: str):
        self.cursor = cursor
        self.base_snapshot = base_snapshot  # the snapshot this transaction started from
        self.alias = alias  # the name the store's catalog is attached under
        # What the area case counts must be recomputed for before commit: (theme, round)
        # partitions whose responses changed, and themes whose questions changed.
        self._stale_partitions: set[tuple[str, str]] = set()
        self._stale_themes: set[str] = set()

    def read(
        self, table: str, where: str = "", params: Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """Return the table's rows as this transaction sees them (`where`: an SQL condition with
        bound $parameters, written by us, never by a user)."""
        sql = f"SELECT * FROM {self.alias}.{table}" + (f" WHERE {where}" if where else "")
        return self.cursor.execute(sql, dict(params or {})).df()

    def read_at(
        self, table: str, snapshot: int, where: str = "", params: Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """Return the table's rows as they were at an earlier snapshot."""
        sql = f"SELECT * FROM {self.alias}.{table} AT (VERSION => $snapshot)"
        sql += f" WHERE {where}" if where else ""
        return self.cursor.execute(sql, {**dict(params or {}), "snapshot": int(snapshot)}).df()

    def append(self, table: str, frame: pd.DataFrame) -> int:
        """Insert the frame's rows (the table's columns, its types); return how many.

        Cases and responses bring their roll-up (counts per partition and group) with them, so
        every writer keeps the two in step.
        """
        if not len(frame):
            return 0
        arrow = to_arrow(table, frame)
        order = SORT_KEYS.get(table, ())
        name = f"incoming_{table}"
        self.cursor.register(name, arrow)
        try:
            by = f" ORDER BY {', '.join(order)}" if order else ""
            self.cursor.execute(f"INSERT INTO {self.alias}.{table} SELECT * FROM {name}{by}")
        finally:
            self.cursor.unregister(name)
        if table in ROLLUPS:
            self.append(ROLLUPS[table][0], rollup_frame(table, frame))
        self._note_change(table, frame)
        return len(frame)

    def delete(self, table: str, where: str, params: Mapping[str, Any] | None = None) -> None:
        """Delete the rows matching an SQL condition (ours, with bound $parameters)."""
        if table in _AREA_SOURCES:
            columns = ", ".join(_AREA_SOURCES[table])
            touched = self.cursor.execute(
                f"SELECT DISTINCT {columns} FROM {self.alias}.{table} WHERE {where}",
                dict(params or {}),
            ).df()
            self._note_change(table, touched)
        self.cursor.execute(f"DELETE FROM {self.alias}.{table} WHERE {where}", dict(params or {}))

    def _note_change(self, table: str, frame: pd.DataFrame) -> None:
        if table == "responses":
            pairs = frame[list(PARTITION_COLUMNS)].drop_duplicates().itertuples(index=False)
            self._stale_partitions |= {(str(t), str(r)) for t, r in pairs}
        elif table == "questions":
            self._stale_themes |= {str(t) for t in frame["theme_id"].unique()}

    def count_every_partition(self) -> None:
        """Have refresh_derived count every partition that holds responses (a store written
        before the area case counts existed gets them with its next write)."""
        self._stale_partitions |= self._answered_partitions()

    def _answered_partitions(self, themes: Iterable[str] | None = None) -> set[tuple[str, str]]:
        """Return the (theme, round) partitions holding responses, of these themes or all."""
        sql = f"SELECT DISTINCT theme_id, round_id FROM {self.alias}.{ROLLUPS['responses'][0]}"
        if themes is None:
            rows = self.cursor.execute(sql).fetchall()
        else:
            chosen = {"themes": sorted(themes)}
            where = f"{sql} WHERE list_contains($themes, theme_id)"
            rows = self.cursor.execute(where, chosen).fetchall()
        return {(str(t), str(r)) for t, r in rows}

    def refresh_derived(self) -> None:
        """Recompute the area case counts of the partitions this transaction made stale (called
        by Lake.write before commit: the counts always match the rows and categories)."""
        stale = set(self._stale_partitions)
        if self._stale_themes:
            stale |= self._answered_partitions(self._stale_themes)
        self._stale_partitions.clear()
        self._stale_themes.clear()
        for theme_id, round_id in sorted(stale):
            # One partition at a time, by equality: DuckLake then reads only its files, so a
            # damaged file elsewhere stops nothing.
            params = {"theme": theme_id, "round": round_id}
            self.delete(AREA_CASE_COUNTS, "theme_id = $theme AND round_id = $round", params)
            counted = area_case_counts_sql(
                f"{self.alias}.responses", f"{self.alias}.questions",
                "r.theme_id = $theme AND r.round_id = $round",
            )  # fmt: skip
            self.cursor.execute(
                f"INSERT INTO {self.alias}.{AREA_CASE_COUNTS} {counted}",
                {**params, "na": NOT_APPLICABLE},
            )

    def delete_partitions(self, keys: Iterable[tuple[str, str]]) -> None:
        """Delete every row of these (theme, round) partitions from cases, responses and their
        roll-ups: whole files go, so readers keep reading plain Parquet files."""
        for theme_id, round_id in keys:
            self._stale_partitions.add((theme_id, round_id))  # without reading its files
            for table in sorted(PARTITIONED_TABLES):
                self.cursor.execute(
                    f"DELETE FROM {self.alias}.{table} "
                    "WHERE theme_id = $theme AND round_id = $round",
                    {"theme": theme_id, "round": round_id},
                )

    def checkpoint(self, name: str) -> None:
        """A named point inside a write: with AUDIT_STOP_AT=<name>, the process says so on
        stdout and waits there to be killed (the crash tests); otherwise nothing."""
        if os.environ.get(STOP_AT_ENV) == name:
            print(f"stopped at {name}", flush=True)
            while True:
                time.sleep(3600)


class Lake:
    """A store's catalog attached in one DuckDB connection (thread-safe: a cursor per call)."""

    def __init__(self, location: StoreLocation | str | os.PathLike[str], *, create: bool = False):
        self.location = parse_location(location)
        if create:
            check_store_target(self.location)  # never a file or a folder of other things
        elif not self.exists():
            raise AuditDataError(
                f"No audit store at {self.location.shown()}. Create the sample store with "
                f"`python -m analytics generate --data-dir {self.location.shown()}`, or import a "
                "round with `python -m analytics ingest FILE --data-dir DIR`."
            )
        needed = ["ducklake", "sqlite" if self.location.embedded else "postgres"]
        if self.location.remote_data:
            needed.append("httpfs")
        self.con = extensions.connect(*needed)
        # Every store a process opens is attached to one DuckDB under a name of its own.
        self.alias = f"lake_{next(_aliases)}"
        self.meta = f"__ducklake_metadata_{self.alias}"
        self.pin_lock = threading.Lock()  # one snapshot set-up at a time (analytics.store)
        self._known_lock = threading.Lock()
        self._known: tuple[int, int] = (-1, -1)  # (latest snapshot, data snapshot) last seen
        self.pinned: dict[int, Any] = {}  # snapshots set up for reading (analytics.store)
        self.read_only: str | None = None  # why this store cannot be written here, if it cannot
        self._private: tempfile.TemporaryDirectory[str] | None = None
        self._release = weakref.finalize(self, _release, self.con, self.alias, self.pinned)
        try:
            if self.location.remote_data:
                self._s3_secret()
            self._attach(create)  # tables come with the first write (_ensure_tables)
        except BaseException:
            self._release()
            raise

    def has_tables(self) -> bool:
        """Return whether the store's tables were created (a new catalog has none)."""
        cursor = self.con.cursor()
        try:
            row = cursor.execute(
                f"SELECT count(*) FROM {self.meta}.ducklake_table WHERE table_name = $turn",
                {"turn": TURN_TABLE},
            ).fetchone()
        finally:
            cursor.close()
        return bool(row and row[0])

    def exists(self) -> bool:
        """Return whether there is a store here (an embedded store's catalog file exists)."""
        folder = self.location.folder
        return folder is None or (folder / CATALOG_FILE).is_file()

    def _attach(self, create: bool) -> None:
        folder = self.location.folder
        catalog_setting = self.location.catalog
        options = [f"DATA_PATH {sql_string(self.location.data_path)}"]
        if folder is not None:
            if create:
                folder.mkdir(parents=True, exist_ok=True)
            catalog = folder / CATALOG_FILE
            if create and not catalog.exists():
                # WAL: a reader's open transaction never blocks a writer's commit.
                with sqlite3.connect(catalog) as sqlite:
                    sqlite.execute("PRAGMA journal_mode=WAL")
            if not os.access(folder, os.W_OK):
                # SQLite cannot open a WAL catalog where it cannot write its shared-memory file;
                # nobody writes a read-only store, so a private copy of its catalog reads it.
                self.read_only = f"its folder {folder} cannot be written here"
                self._private = tempfile.TemporaryDirectory(prefix="audit-catalog-")
                copy = Path(self._private.name) / CATALOG_FILE
                shutil.copyfile(catalog, copy)
                wal = catalog.with_name(catalog.name + "-wal")
                if wal.is_file():  # commits not yet merged into the file: SQLite replays them
                    shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
                catalog_setting = f"sqlite:{copy}"
                options.append("READ_ONLY")
            options.append("OVERRIDE_DATA_PATH true")  # the folder may have been copied or moved
        try:
            self.con.execute(
                f"ATTACH {sql_string('ducklake:' + catalog_setting)} AS {self.alias} "
                f"({', '.join(options)})"
            )
        except duckdb.Error as error:
            raise AuditDataError(
                f"The audit store at {self.location.shown()} could not be opened: its catalog "
                f"is unreadable ({first_line(error)})."
            ) from error

    def _s3_secret(self) -> None:
        """Give DuckDB the credentials for the data files' bucket (s3_secret_sql)."""
        self.con.execute(s3_secret_sql(self.location.data_path))

    # --- snapshots --------------------------------------------------------------------------

    def latest_snapshot(self) -> int:
        """Return the newest committed snapshot's id (one small catalog query)."""
        cursor = self.con.cursor()
        try:
            row = cursor.execute(
                f"SELECT max(snapshot_id) FROM {self.meta}.ducklake_snapshot"
            ).fetchone()
        finally:
            cursor.close()
        return int(row[0]) if row and row[0] is not None else 0

    def data_snapshot(self) -> int:
        """Return the newest snapshot that changed the store's data (anything but the audit
        trail): pages read it and key their caches on it, so recording an export changes
        nothing they show. Looks at the snapshots committed since the last call only."""
        with self._known_lock:
            return self._data_snapshot()

    def _data_snapshot(self) -> int:
        latest = self.latest_snapshot()
        known_latest, known_data = self._known
        if latest == known_latest:
            return known_data
        not_data = self._not_data_markers()
        cursor = self.con.cursor()
        try:
            rows = cursor.execute(
                f"SELECT snapshot_id, changes_made FROM {self.meta}.ducklake_snapshot_changes "
                "WHERE snapshot_id > $since AND snapshot_id <= $latest ORDER BY snapshot_id",
                {"since": known_latest, "latest": latest},
            ).fetchall()
        finally:
            cursor.close()
        data = known_data
        for snapshot_id, changes in rows:
            if _changes_data(changes or "", not_data):
                data = int(snapshot_id)
        if data < 0:
            data = latest
        self._known = (latest, data)
        return data

    def _not_data_markers(self) -> set[str]:
        cursor = self.con.cursor()
        try:
            ids = cursor.execute(
                f"SELECT table_id FROM {self.meta}.ducklake_table WHERE table_name IN $names",
                {"names": sorted(NOT_DATA)},
            ).fetchall()
        finally:
            cursor.close()
        return {str(table_id) for (table_id,) in ids} | {f'"main"."{name}"' for name in NOT_DATA}

    def snapshots(self) -> list[Snapshot]:
        """Return every snapshot, oldest first: id, time, what changed, author, message."""
        cursor = self.con.cursor()
        try:
            rows = cursor.execute(
                f"SELECT s.snapshot_id, s.snapshot_time::TIMESTAMPTZ AT TIME ZONE 'UTC', "
                f"c.changes_made, c.author, c.commit_message FROM {self.meta}.ducklake_snapshot s "
                f"LEFT JOIN {self.meta}.ducklake_snapshot_changes c USING (snapshot_id) "
                "ORDER BY s.snapshot_id"
            ).fetchall()
        finally:
            cursor.close()
        return [
            Snapshot(int(i), pd.Timestamp(at), changes or "", author or "", message or "")
            for i, at, changes, author, message in rows
        ]

    def snapshot_time(self, snapshot_id: int) -> pd.Timestamp | None:
        """Return when a snapshot was committed (UTC, naive), or None if there is none."""
        cursor = self.con.cursor()
        try:
            row = cursor.execute(
                "SELECT snapshot_time::TIMESTAMPTZ AT TIME ZONE 'UTC' "
                f"FROM {self.meta}.ducklake_snapshot WHERE snapshot_id = $id",
                {"id": int(snapshot_id)},
            ).fetchone()
        finally:
            cursor.close()
        return pd.Timestamp(row[0]) if row else None

    def files_at(self, snapshot: int) -> dict[str, list[str] | None]:
        """Return the data files of every table that exists at a snapshot (table -> paths,
        sorted), None for a table some of whose rows are deleted by delete files (only
        DuckLake's own scan reads that right). A few catalog queries for all tables together."""
        meta, params = self.meta, {"s": int(snapshot)}

        def live(alias: str) -> str:
            return (
                f"{alias}.begin_snapshot <= $s AND "
                f"({alias}.end_snapshot IS NULL OR {alias}.end_snapshot > $s)"
            )

        cursor = self.con.cursor()
        try:
            tables = cursor.execute(
                "SELECT t.table_id, t.table_name, CASE WHEN t.path_is_relative THEN "
                "(CASE WHEN s.path_is_relative THEN $root || s.path ELSE s.path END) || t.path "
                f"ELSE t.path END FROM {meta}.ducklake_table t "
                f"JOIN {meta}.ducklake_schema s ON s.schema_id = t.schema_id "
                f"WHERE {live('t')} AND {live('s')}",
                {**params, "root": self.location.data_path},
            ).fetchall()
            data_files = cursor.execute(
                f"SELECT f.table_id, f.path, f.path_is_relative FROM {meta}.ducklake_data_file f "
                f"WHERE {live('f')}",
                params,
            ).fetchall()
            deleted = {
                table_id
                for (table_id,) in cursor.execute(
                    f"SELECT DISTINCT d.table_id FROM {meta}.ducklake_delete_file d "
                    f"WHERE {live('d')}",
                    params,
                ).fetchall()
            }
        finally:
            cursor.close()
        folders = {table_id: folder for table_id, _, folder in tables}
        by_id: dict[int, list[str]] = {table_id: [] for table_id, _, _ in tables}
        for table_id, path, relative in data_files:
            if table_id in by_id:
                by_id[table_id].append(folders[table_id] + path if relative else path)
        return {
            name: None if table_id in deleted else sorted(by_id[table_id])
            for table_id, name, _ in tables
        }

    def tables(self, snapshot: int) -> set[str]:
        """Return the names of the tables that exist at a snapshot."""
        cursor = self.con.cursor()
        try:
            rows = cursor.execute(
                f"SELECT table_name FROM {self.meta}.ducklake_table WHERE begin_snapshot <= $s "
                "AND (end_snapshot IS NULL OR end_snapshot > $s)",
                {"s": int(snapshot)},
            ).fetchall()
        finally:
            cursor.close()
        return {name for (name,) in rows}

    # --- writing ----------------------------------------------------------------------------

    def write(
        self,
        change: Callable[[Writer], T],
        *,
        author: str,
        message: str | Callable[[T], str],
        exclusive: bool = True,
    ) -> tuple[T, int]:
        """Run `change` in one transaction and commit it as one snapshot; return its result and
        the snapshot's id. An exclusive writer takes the writers' turn; one that loses a race
        to another writer runs again from the start, on the new snapshot. Anything raised
        inside commits nothing."""
        if self.read_only:
            raise AuditDataError(
                f"The audit store at {self.location.shown()} is read-only here ({self.read_only}):"
                " nothing was written. Its pages still read it."
            )
        for attempt in range(WRITE_ATTEMPTS):
            cursor = self.con.cursor()
            try:
                result = self._commit(cursor, change, author, message, exclusive)
                # This cursor's own commit, not whatever another writer committed since.
                row = one_row(cursor.execute(f"FROM {self.alias}.last_committed_snapshot()"))
                return result, int(row[0])
            except duckdb.Error as error:
                _rollback(cursor)
                if not is_conflict(error):
                    raise AuditDataError(
                        f"The audit store at {self.location.shown()} could not be changed "
                        f"({first_line(error)}). Nothing was written."
                    ) from error
                time.sleep(min(2.0, 0.02 * 2 ** min(attempt, 6)) * random.uniform(0.5, 1.5))
            except BaseException:
                _rollback(cursor)
                raise
            finally:
                cursor.close()
        raise StoreBusy(
            f"The audit store at {self.location.shown()} was kept busy by other writers "
            f"({WRITE_ATTEMPTS} tries). Nothing was written: try again."
        )

    def _commit(
        self,
        cursor: duckdb.DuckDBPyConnection,
        change: Callable[[Writer], T],
        author: str,
        message: str | Callable[[T], str],
        exclusive: bool,
    ) -> T:
        """One attempt: begin, take the turn, run `change`, commit with author and message."""
        cursor.execute("BEGIN TRANSACTION")
        base = int(one_row(cursor.execute(f"FROM {self.alias}.current_snapshot()"))[0])
        created = self._ensure_tables(cursor)
        if exclusive:
            cursor.execute(f"UPDATE {self.alias}.{TURN_TABLE} SET turn = turn + 1")
        writer = Writer(cursor, base, self.alias)
        if AREA_CASE_COUNTS in created and "responses" not in created:
            writer.count_every_partition()  # a store older than the table: counted now
        result = change(writer)
        writer.refresh_derived()
        said = message(result) if callable(message) else message
        cursor.execute(
            f"CALL {self.alias}.set_commit_message($author, $message)",
            {"author": author, "message": said},
        )
        cursor.execute("COMMIT")
        return result

    def _ensure_tables(self, cursor: duckdb.DuckDBPyConnection) -> set[str]:
        """Create any table the store lacks (a new store, or one older than a table); return
        the tables created."""
        existing = {
            name
            for (name,) in cursor.execute(
                f"SELECT table_name FROM {self.meta}.ducklake_table WHERE end_snapshot IS NULL"
            ).fetchall()
        }
        created = set()
        for table, schema in ALL_SCHEMAS.items():
            if table in existing:
                continue
            created.add(table)
            columns = ", ".join(f"{quoted(f.name)} {duckdb_type(f.type)}" for f in schema)
            cursor.execute(f"CREATE TABLE {self.alias}.{table} ({columns})")
            if table in PARTITIONED_TABLES:
                partition = ", ".join(PARTITION_COLUMNS)
                cursor.execute(f"ALTER TABLE {self.alias}.{table} SET PARTITIONED BY ({partition})")
            if table == TURN_TABLE:
                cursor.execute(f"INSERT INTO {self.alias}.{TURN_TABLE} VALUES (0)")
        if not existing:
            # Every row in Parquet files, none inlined in the catalog: readers list files once
            # per snapshot and read them directly.
            cursor.execute(f"CALL {self.alias}.set_option('data_inlining_row_limit', 0)")
        return created

    # --- upkeep -----------------------------------------------------------------------------

    def orphaned_files(self, older_than: dt.timedelta, *, remove: bool) -> list[str]:
        """Return the data files under the data path that no snapshot lists (left by a writer
        killed or failed before its commit) and not changed for `older_than`; delete them if
        `remove`. Younger files may be a write in progress, so they are never touched."""
        if remove and self.read_only:
            raise AuditDataError(
                f"The audit store at {self.location.shown()} is read-only here ({self.read_only}):"
                " nothing was removed."
            )
        cutoff = dt.datetime.now(dt.UTC) - older_than
        found = self._orphans(cutoff, dry_run=True)
        # DuckLake lists every file under the data path: one that is not in a folder of this
        # store's tables belongs to someone else, and nothing is removed.
        ours = tuple(f"{self.location.data_path}main/{table}/" for table in ALL_SCHEMAS)
        foreign = [path for path in found if not path.startswith(ours)]
        if remove and foreign:
            raise AuditDataError(
                f"The data path {self.location.data_path} holds files that are not this store's "
                f"(such as {foreign[0]}): nothing was removed. Give the store a data path of its "
                "own."
            )
        return self._orphans(cutoff, dry_run=False) if remove and found else found

    def _orphans(self, cutoff: dt.datetime, *, dry_run: bool) -> list[str]:
        cursor = self.con.cursor()
        try:
            rows = cursor.execute(
                "CALL ducklake_delete_orphaned_files($catalog, dry_run => $dry, "
                "older_than => $cutoff)",
                {"catalog": self.alias, "dry": dry_run, "cutoff": cutoff},
            ).fetchall()
        except duckdb.Error as error:
            raise AuditDataError(
                f"The audit store at {self.location.shown()} could not be tidied "
                f"({first_line(error)})."
            ) from error
        finally:
            cursor.close()
        return sorted(str(path) for (path,) in rows)

    def close(self) -> None:
        """Detach the catalog and close this store's connection (also done when the Lake is
        garbage-collected: the process's one DuckDB must not keep stores nobody reads)."""
        self._release()
        if self._private is not None:
            self._private.cleanup()


def _release(con: duckdb.DuckDBPyConnection, alias: str, pinned: dict[int, Any]) -> None:
    """Drop a store's snapshot set-ups, detach its catalog and close its connection."""
    for snapshot in list(pinned):
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP SCHEMA IF EXISTS memory.{pinned.pop(snapshot).schema} CASCADE")
    with contextlib.suppress(duckdb.Error):
        con.execute(f"DETACH DATABASE IF EXISTS {alias}")
    with contextlib.suppress(duckdb.Error):
        con.close()


def with_lake(
    location: StoreLocation | str | os.PathLike[str], lake: Lake | None, use: Callable[[Lake], T]
) -> T:
    """Return use(lake): the open catalog given, or one opened on the location for the call."""
    if lake is not None:
        return use(lake)
    opened = Lake(location)
    try:
        return use(opened)
    finally:
        opened.close()


def _rollback(cursor: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open, or it is already gone
        cursor.execute("ROLLBACK")


def _changes_data(changes: str, not_data: set[str]) -> bool:
    """Return whether a snapshot's changes touch anything but the tables in `not_data`."""
    for item in changes.split(","):
        kind, _, what = item.partition(":")
        if kind.strip() and what.strip() not in not_data:
            return True
    return False


def s3_secret_sql(data_path: str) -> str:
    """Return the CREATE SECRET giving DuckDB the AWS_* environment's credentials for the data
    files' bucket: on S3, on an S3-compatible service (AWS_ENDPOINT_URL), or for gs:// a Google
    Cloud Storage HMAC key (DuckDB reads gs:// through Cloud Storage's S3-compatible API)."""
    env = os.environ
    options = {
        "KEY_ID": env.get("AWS_ACCESS_KEY_ID"),
        "SECRET": env.get("AWS_SECRET_ACCESS_KEY"),
        "SESSION_TOKEN": env.get("AWS_SESSION_TOKEN"),
        "REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
    }
    endpoint = env.get("AWS_ENDPOINT_URL")
    if endpoint:  # an S3-compatible service (MinIO, a test endpoint)
        secure = endpoint.startswith("https://")
        options["ENDPOINT"] = endpoint.split("://", 1)[-1].rstrip("/")
        options["URL_STYLE"] = "path"
        options["USE_SSL"] = "true" if secure else "false"
    listed = ", ".join(
        f"{key} {value if key == 'USE_SSL' else sql_string(value)}"
        for key, value in options.items()
        if value
    )
    kind = "gcs" if data_path.startswith(("gs://", "gcs://")) else "s3"
    return (
        f"CREATE OR REPLACE SECRET audit_store_{kind} (TYPE {kind}{', ' if listed else ''}{listed})"
    )


def first_line(error: BaseException) -> str:
    """Return an error's first line (DuckDB quotes our SQL after it), any password hidden (a
    PostgreSQL catalog's errors quote its connection string)."""
    return hide_password(str(error).strip().split("\n", 1)[0])
