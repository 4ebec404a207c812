"""Read access to one snapshot of the store: the one place page queries run.

A Store pins one DuckLake snapshot (the newest that changed the data, or the one `as_of` names)
and answers every query from it, so a page run never mixes two versions. For each snapshot the
tables are set up once in DuckDB's memory under a schema of their own: the catalogue, the import
history and the roll-ups held in memory (they stay small at any scale), cases and responses as
views over the snapshot's Parquet files (listed once from the catalog, read by DuckDB with hive
partition pruning, so a query costs no catalog round trip).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.contract import (
    AREA_CASE_COUNTS,
    PARTITIONED_TABLES,
    RECORD_SCHEMAS,
    ROLLUP_TABLES,
    SCHEMAS,
    TABLES,
    duckdb_type,
)
from analytics.domain import NOT_APPLICABLE
from analytics.errors import AuditDataError
from analytics.lake.catalog import (
    Lake,
    area_case_counts_sql,
    first_line,
    quoted,
    sql_string,
)
from analytics.lake.location import StoreLocation, parse_location

T = TypeVar("T")
SMALL_TABLES: tuple[str, ...] = ("themes", "rounds", "questions", "actions", "quotes")
# Read whole into memory once per snapshot; cases and responses stay views over their files.
IN_MEMORY_TABLES: frozenset[str] = frozenset(
    {*SMALL_TABLES, "imports", "round_completeness", "round_acceptances", *ROLLUP_TABLES,
     "tracker_mappings", "store_manifest"}
)  # fmt: skip
READ_TABLES: tuple[str, ...] = (*TABLES, "tracker_mappings", "store_manifest")
KEEP_PINNED = (
    6  # snapshots held set up at once per process (a run on an older one sets it up again)
)


class _Pinned:
    """One snapshot set up in DuckDB's memory: its schema and the partitions found unreadable."""

    def __init__(self, schema: str):
        self.schema = schema
        self.broken: dict[tuple[str, str], str] = {}
        self.memo: dict[str, Any] = {}
        self.small: dict[str, pd.DataFrame] = {}


class Store:
    """One snapshot of an audit store, read through DuckDB (a cursor per query, thread-safe).

    `location`: a store folder, or `postgres:… data_path=…` (analytics.lake.location).
    `as_of`: a snapshot id, or a date and time (the snapshot current then); default the newest.
    `lake`: an open catalog to share (the dashboard keeps one per process); else one is opened
    and closed with this Store.
    """

    def __init__(
        self,
        location: str | os.PathLike[str] | StoreLocation,
        *,
        as_of: int | str | None = None,
        lake: Lake | None = None,
    ):
        self._own_lake = lake is None
        self.lake = lake if lake is not None else Lake(parse_location(location))
        self.where = self.lake.location
        self.location = self.where.shown()
        try:
            self.snapshot = resolve_snapshot(self.lake, as_of)
            self._pinned = _pin(self.lake, self.snapshot)
        except BaseException:
            if self._own_lake:
                self.lake.close()
            raise

    @property
    def data_dir(self) -> os.PathLike[str]:
        """Return the embedded store's folder (a PostgreSQL catalog has none: AuditDataError)."""
        if self.where.folder is None:
            raise AuditDataError(
                f"The store at {self.location} has its catalog in PostgreSQL: it has no folder."
            )
        return self.where.folder

    def fingerprint(self) -> str:
        """Return the store version this Store reads: its snapshot id. Caches key on it."""
        return f"snapshot-{self.snapshot}"

    def require_readable(self, partitions: Iterable[tuple[str, str | None]]) -> None:
        """Raise AuditDataError if a file of one of these (theme, round) partitions could not
        be read (the other themes and rounds still answer)."""
        for theme_id, round_id in partitions:
            problem = self._pinned.broken.get((theme_id, str(round_id)))
            if problem is not None:
                raise AuditDataError(
                    f"The audit store at {self.location} has an unreadable file for {theme_id} "
                    f"round {round_id}: {problem}. Re-import that round, or undo the import that "
                    "loaded it."
                )

    def memo(self, name: str, build: Callable[[], T]) -> T:
        """Return build()'s result, computed once per snapshot (for derived vocabularies such as
        each theme's audited rounds; callers must not mutate it)."""
        memo = self._pinned.memo
        if name not in memo:
            memo[name] = build()
        return cast(T, memo[name])  # the memo holds what build() returned under this name

    def small_table(self, table: str) -> pd.DataFrame:
        """Return a whole catalogue table (themes, rounds, questions, actions, quotes), read once
        per snapshot: validating a parameter should not cost a query."""
        if table not in SMALL_TABLES:
            raise AuditDataError(f"{table} is not a catalogue table: {', '.join(SMALL_TABLES)}.")
        small = self._pinned.small
        if table not in small:
            small[table] = self.query(f"SELECT * FROM {table}")
        return small[table].copy()

    def manifest(self) -> dict[str, Any]:
        """Return the store's manifest (how it was made, whether it is synthetic), or {}."""
        return self.memo("manifest", lambda: _manifest(self.query("SELECT * FROM store_manifest")))

    def query(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        large: bool = False,
        _again: bool = True,
    ) -> pd.DataFrame:
        """Run one SQL statement with bound parameters on this snapshot; return a frame.

        `large=True` fetches through Arrow: for results of many rows of text (the drill-down's
        cases) it is about twice as fast; dates then come back as datetime64 as well.
        """
        cursor = self.lake.con.cursor()
        try:
            cursor.execute(f"SET search_path = {sql_string('memory.' + self._pinned.schema)}")
            if large:
                table = cursor.sql(sql, params=dict(params or {})).to_arrow_table()
                return table.to_pandas(date_as_object=False)
            return cursor.execute(sql, dict(params or {})).df()
        except duckdb.CatalogException as error:
            if _again and self.lake.pinned.get(self.snapshot) is not self._pinned:
                # Set up again (other snapshots pushed this one out): try once more.
                self._pinned = _pin(self.lake, self.snapshot)
                return self.query(sql, params, large=large, _again=False)
            raise AuditDataError(
                f"The audit store at {self.location} could not answer: {first_line(error)}"
            ) from error
        except duckdb.Error as error:
            raise AuditDataError(
                f"The audit store at {self.location} could not answer: {first_line(error)}"
            ) from error
        finally:
            cursor.close()

    def last_changed(self) -> pd.Timestamp | None:
        """Return when this snapshot was committed (UTC), or None for a store with no data."""
        return self.lake.snapshot_time(self.snapshot)

    def close(self) -> None:
        """Close the catalog connection if this Store opened it."""
        if self._own_lake:
            self.lake.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def resolve_snapshot(lake: Lake, as_of: int | str | None) -> int:
    """Return the snapshot a reader should read: the newest data snapshot, or the one `as_of`
    names (a snapshot id, or a date and time: the snapshot current then, in UTC)."""
    if as_of is None or as_of == "":
        return lake.data_snapshot()
    if isinstance(as_of, int) and as_of in lake.pinned:
        return as_of  # set up already, so it exists
    text = str(as_of).strip()
    known = lake.snapshots()
    if text.isdigit():
        wanted = int(text)
        if not any(s.snapshot_id == wanted for s in known):
            newest = known[-1].snapshot_id if known else 0
            raise AuditDataError(
                f"The store has no snapshot {wanted}: its snapshots run from "
                f"{known[0].snapshot_id if known else 0} to {newest} "
                "(`python -m analytics snapshots` lists them)."
            )
        return wanted
    try:
        moment = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise AuditDataError(
            f"--as-of {text!r} is neither a snapshot id nor a date and time (2026-12-07 or "
            "2026-12-07T09:30)."
        ) from None
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    before = [s.snapshot_id for s in known if s.time <= moment]
    if not before:
        first = known[0].time if known else None
        raise AuditDataError(
            f"The store did not exist yet at {moment} (its first snapshot: {first})."
        )
    return before[-1]


def _pin(lake: Lake, snapshot: int) -> _Pinned:
    """Return the snapshot set up in memory, setting it up once; past KEEP_PINNED set-ups, the
    least recently opened goes (never the one just asked for)."""
    with lake.pin_lock:
        pinned = lake.pinned
        setup: _Pinned | None = pinned.pop(snapshot, None)
        if setup is None:
            setup = _Pinned(f"{lake.alias}_snapshot_{snapshot}")
            _set_up(lake, snapshot, setup)
        pinned[snapshot] = setup  # the most recent, last
        while len(pinned) > KEEP_PINNED:
            oldest = next(iter(pinned))
            with contextlib.suppress(duckdb.Error):
                lake.con.execute(f"DROP SCHEMA IF EXISTS memory.{pinned[oldest].schema} CASCADE")
            del pinned[oldest]
        return setup


def _schema_of(table: str) -> pa.Schema:
    return SCHEMAS.get(table) or RECORD_SCHEMAS[table]


def _columns(table: str) -> str:
    return ", ".join(
        f"CAST({quoted(f.name)} AS {duckdb_type(f.type)}) AS {quoted(f.name)}"
        for f in _schema_of(table)
    )


def _set_up(lake: Lake, snapshot: int, pinned: _Pinned) -> None:
    con = lake.con
    schema = f"memory.{pinned.schema}"
    con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    con.execute(f"CREATE SCHEMA {schema}")
    present = lake.files_at(snapshot)
    for table in READ_TABLES:
        target = f"{schema}.{table}"
        if table == AREA_CASE_COUNTS and table not in present and "responses" in present:
            # A snapshot written before this roll-up existed: counted from its rows here.
            counted = area_case_counts_sql(f"{schema}.responses", f"{schema}.questions")
            con.execute(f"CREATE TABLE {target} AS {counted}", {"na": NOT_APPLICABLE})
            continue
        files = present.get(table, [])
        if files is None:  # rows deleted by delete files: DuckLake's own scan reads it right
            source = (
                f"SELECT {_columns(table)} FROM {lake.alias}.{table} "
                f"AT (VERSION => {int(snapshot)})"
            )
        elif not files:
            nulls = ", ".join(
                f"CAST(NULL AS {duckdb_type(f.type)}) AS {quoted(f.name)}"
                for f in _schema_of(table)
            )
            source = f"SELECT {nulls} WHERE false"
        else:
            source = _read_files(table, files)
        if table in ROLLUP_TABLES and files:
            _load_rollup(con, target, table, source, files, pinned)
        elif table in IN_MEMORY_TABLES:
            try:
                con.execute(f"CREATE TABLE {target} AS {source}")
            except duckdb.Error as error:
                raise AuditDataError(
                    f"The audit store at {lake.location.shown()} could not be opened: its "
                    f"{table} table is unreadable ({first_line(error)})."
                ) from error
        else:
            if files:
                # DuckDB binds the view with the first file's footer: a readable one goes first,
                # so a damaged file only affects queries on its own theme and round.
                source = _read_files(table, _readable_first(con, files, table))
            con.execute(f"CREATE VIEW {target} AS {source}")


def _empty_source(table: str) -> str:
    """Return a query for no rows of the table's columns and types (a table with no files yet)."""
    nulls = ", ".join(
        f"CAST(NULL AS {duckdb_type(f.type)}) AS {quoted(f.name)}" for f in _schema_of(table)
    )
    return f"SELECT {nulls} WHERE false"


def _read_files(table: str, files: list[str]) -> str:
    listed = "[" + ", ".join(sql_string(f) for f in files) + "]"
    # Partitioned files sit in theme_id=…/round_id=… folders: a query on one theme and round
    # opens only those files. The partition columns are in the files as well.
    hive = "true" if table in PARTITIONED_TABLES else "false"
    return (
        f"SELECT {_columns(table)} FROM read_parquet({listed}, hive_partitioning = {hive}, "
        "hive_types_autocast = false, union_by_name = false)"
    )


def _load_rollup(
    con: duckdb.DuckDBPyConnection,
    target: str,
    table: str,
    source: str,
    files: list[str],
    pinned: _Pinned,
) -> None:
    """Hold a roll-up in memory; a partition whose files cannot be read is left out and
    recorded, so queries on the other themes and rounds still answer (see require_readable)."""
    try:
        con.execute(f"CREATE TABLE {target} AS {source}")
        return
    except duckdb.Error:
        pass  # find the damaged partition(s), one at a time
    con.execute(f"CREATE TABLE {target} AS {_empty_source(table)}")
    by_partition: dict[tuple[str, str], list[str]] = {}
    for path in files:
        by_partition.setdefault(_partition_of(path), []).append(path)
    for partition, paths in sorted(by_partition.items()):
        try:
            con.execute(f"INSERT INTO {target} {_read_files(table, paths)}")
        except duckdb.Error as error:
            pinned.broken.setdefault(partition, first_line(error))


def _readable_first(con: duckdb.DuckDBPyConnection, files: list[str], table: str) -> list[str]:
    """Return the files with the first whose footer reads and has the table's columns moved to
    the front (usually the first file: one footer is read)."""
    needed = set(_schema_of(table).names)
    for index, path in enumerate(files):
        try:
            names = _column_names(con, path)
        except (OSError, pa.ArrowException, duckdb.Error):
            continue
        if needed <= names:
            return [path, *files[:index], *files[index + 1 :]]
    return files


def _column_names(con: duckdb.DuckDBPyConnection, path: str) -> set[str]:
    """Return a Parquet file's column names; a file on object storage is read by DuckDB, with
    the store's credentials (pyarrow would look for its own)."""
    if "://" in path:
        rows = con.execute("SELECT name FROM parquet_schema($path)", {"path": path}).fetchall()
        return {name for (name,) in rows}
    return set(pq.read_schema(path).names)


def _partition_of(path: str) -> tuple[str, str]:
    """Return (theme_id, round_id) from a partitioned file's hive folders."""
    parts = dict(part.split("=", 1) for part in path.replace("\\", "/").split("/") if "=" in part)
    return parts.get("theme_id", ""), parts.get("round_id", "")


def _manifest(frame: pd.DataFrame) -> dict[str, Any]:
    if frame.empty or frame["manifest"].iloc[-1] is None:
        return {}
    manifest: dict[str, Any] = json.loads(frame["manifest"].iloc[-1])
    return manifest


def empty_frame(table: str) -> pd.DataFrame:
    """Return a frame with the table's columns and no rows."""
    return _schema_of(table).empty_table().to_pandas()


def manifest_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """Return the store_manifest table's one row for a manifest."""
    return pd.DataFrame({"manifest": [json.dumps(dict(manifest), indent=2)]})


def write_new_store(
    location: str | os.PathLike[str] | StoreLocation,
    chunks: Callable[[], Iterable[tuple[str, pd.DataFrame]]] | Iterable[tuple[str, pd.DataFrame]],
    manifest: Mapping[str, Any],
    *,
    author: str = "audit-insight",
    message: str = "a new store",
) -> int:
    """Make the store hold exactly these tables' rows and this manifest, as one new snapshot
    (creating the store if there is none); return the snapshot id. The audit trail and saved
    tracker mappings stay.

    `chunks` yields (table, rows) pairs; given as a function, a large store is written one theme
    and round at a time, and the function is called again if another writer got in first and
    the write starts over (an iterable is held in memory for that).
    """
    make_chunks = chunks if callable(chunks) else _replayable(chunks)
    lake = Lake(parse_location(location), create=True)

    def replace_all(writer: Any) -> None:
        holding = lake.files_at(writer.base_snapshot)
        for table in (*TABLES, "store_manifest"):
            if holding.get(table, []) != []:
                writer.delete(table, "true")
        for table, frame in make_chunks():
            writer.append(table, frame)
        writer.append("store_manifest", manifest_frame(manifest))

    try:
        _, snapshot = lake.write(replace_all, author=author, message=message)
    finally:
        lake.close()
    folder = lake.location.folder
    if folder is not None:
        (folder / "README.txt").write_text(STORE_README)
    return snapshot


STORE_README = """\
Audit Insight store: a DuckLake (a SQLite catalog beside Parquet data files).
Read it with plain DuckDB (1.5.5, with its ducklake and sqlite extensions loaded), from this folder:
  ATTACH 'ducklake:sqlite:catalog.sqlite' AS lake
    (DATA_PATH 'files/', OVERRIDE_DATA_PATH true, READ_ONLY);
  SELECT * FROM lake.responses WHERE theme_id = 'permanency' LIMIT 10;
Or: python -m analytics sql "SELECT ..." --data-dir <this folder>
"""


def _replayable(
    chunks: Iterable[tuple[str, pd.DataFrame]],
) -> Callable[[], list[tuple[str, pd.DataFrame]]]:
    held = list(chunks)
    return lambda: held
