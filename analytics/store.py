"""The one place DuckDB runs: views over the Parquet folders, a cursor per call, friendly errors."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.atomic import (
    check_store_target,
    clone_dir,
    local_store_dir,
    replace_dir,
    replace_file,
    sibling,
    writer_lock,
)
from analytics.config import is_url
from analytics.contract import (
    PARTITION_COLUMNS,
    PARTITIONED_TABLES,
    ROLLUPS,
    SCHEMAS,
    TABLES,
    duckdb_type,
)
from analytics.errors import AuditDataError

T = TypeVar("T")
MANIFEST_NAME = "store.json"
TRAIL_FOLDER = (
    "audit_trail"  # analytics.audit_trail's folder: carried over when a store is rewritten
)
SMALL_TABLES: tuple[str, ...] = ("themes", "rounds", "questions", "actions", "quotes")
ROLLUP_TABLES: frozenset[str] = frozenset(rollup for rollup, _, _ in ROLLUPS.values())
IN_MEMORY_TABLES: frozenset[str] = frozenset(
    {*SMALL_TABLES, "imports", "round_completeness", "round_acceptances", *ROLLUP_TABLES}
)


def read_manifest(data_dir: Path) -> dict[str, Any]:
    """Return the store's manifest (how it was made, whether it is synthetic), or {}."""
    path = Path(data_dir) / MANIFEST_NAME
    return json.loads(path.read_text()) if path.is_file() else {}


def _sql_string(value: str) -> str:
    """Quote a path as an SQL string literal (DDL cannot take bound parameters)."""
    return "'" + value.replace("'", "''") + "'"


def table_dir(data_dir: Path, table: str) -> Path:
    """Return the folder that holds one table's Parquet files."""
    return data_dir / table


def parquet_files(data_dir: Path, table: str) -> list[Path]:
    """Return the table's Parquet files, sorted (hidden and temporary files excluded)."""
    root = table_dir(data_dir, table)
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


class Store:
    """Read access to one audit store (a data directory of Parquet folders) through DuckDB.

    The store is a local folder, or a URL (s3://, gs://, https://, file://) that DuckDB reads:
    read-only, its version taken from store.json, which writers publish last (docs/deployment.md).
    """

    def __init__(self, data_dir: str | os.PathLike[str]):
        self.remote = is_url(data_dir)
        self.location = str(data_dir).rstrip("/") if self.remote else str(Path(data_dir))
        if not self.remote and not Path(self.location).is_dir():
            raise AuditDataError(
                f"No audit store at {self.location}. Create the sample store with "
                f"`python -m analytics generate --data-dir {self.location}`, or import a round "
                "with `python -m analytics ingest FILE --data-dir DIR`."
            )
        self._con = duckdb.connect(
            ":memory:", config={"autoinstall_known_extensions": False, "threads": 2}
        )
        self._remote_version: tuple[float, str] = (float("-inf"), "")
        self._lock = threading.Lock()
        self._views_key: tuple[object, ...] = ()
        self._small: dict[str, tuple[tuple[object, ...], pd.DataFrame]] = {}
        self._memo: dict[str, tuple[tuple[object, ...], Any]] = {}
        self._pins: list[tuple[tuple[int, int], int]] = []  # ((device, inode), fd), newest last
        self._broken: dict[tuple[str, str], str] = {}
        try:
            if self.remote:
                self._load_remote_reader()
            self._refresh_views()
        except BaseException:
            self.close()
            raise

    @property
    def data_dir(self) -> Path:
        """Return the store's local folder (a store read from a URL has none: AuditDataError)."""
        if self.remote:
            raise AuditDataError(
                f"The store at {self.location} is read from a URL, so it is read-only here: "
                "imports go through the one writer's local store (docs/deployment.md)."
            )
        return Path(self.location)

    def _load_remote_reader(self) -> None:
        scheme = self.location.split("://", 1)[0].lower()
        if scheme == "file":
            return  # DuckDB reads file:// itself
        try:
            self._con.execute("LOAD httpfs")
        except duckdb.Error:
            raise AuditDataError(
                f"Reading the store at {self.location} needs DuckDB's httpfs extension, which "
                "is not installed on this machine (nothing is downloaded at run time). Install "
                'it once where the network allows: python -c "import duckdb; '
                "duckdb.execute('INSTALL httpfs')\" (docs/deployment.md)."
            ) from None

    def _pinned_root(self) -> Path | str:
        """Return a path to the store's current version that an import's swap cannot move.

        Writers replace the whole directory (analytics.atomic). Globbing by name, one query could
        list `cases` in the old version and `responses` in the new; through an open descriptor of
        the directory (/proc/self/fd/N) every view of a query reads one version. A URL store is
        read as it is (its writer publishes store.json last).
        """
        if self.remote:
            return self.location
        if not _PROC_FD.is_dir():
            return self.data_dir
        stat = os.stat(self.data_dir)
        if self._pins and self._pins[-1][0] == (stat.st_dev, stat.st_ino):
            return _PROC_FD / str(self._pins[-1][1])
        fd = os.open(self.data_dir, os.O_RDONLY | os.O_DIRECTORY)
        opened = os.fstat(fd)
        self._pins.append(((opened.st_dev, opened.st_ino), fd))
        # Queries still running on the previous versions keep theirs; older pins are released.
        while len(self._pins) > _KEEP_PINS:
            os.close(self._pins.pop(0)[1])
        return _PROC_FD / str(fd)

    def _columns(self, table: str) -> str:
        return ", ".join(
            f"CAST({f.name} AS {duckdb_type(f.type)}) AS {f.name}" for f in SCHEMAS[table]
        )

    def _empty_sql(self, table: str) -> str:
        # An empty table is normal (a new store, or one made before the table existed): a typed
        # table or view with no rows.
        nulls = ", ".join(
            f"CAST(NULL AS {duckdb_type(f.type)}) AS {f.name}" for f in SCHEMAS[table]
        )
        kind = "TABLE" if table in IN_MEMORY_TABLES else "VIEW"
        return f"CREATE OR REPLACE {kind} {table} AS SELECT {nulls} WHERE false"

    def _files(self, root: Path | str, table: str) -> list[str]:
        """Return the table's Parquet files (hidden and temporary ones excluded), sorted."""
        if isinstance(root, Path):
            return [str(path) for path in parquet_files(root, table)]
        listed = self._con.execute("SELECT file FROM glob(?)", [f"{root}/{table}/**/*.parquet"])
        files = []
        for (name,) in listed.fetchall():
            inside = _inside_table(name, table)
            if not any(part.startswith((".", "_")) for part in inside.split("/")):
                files.append(name)
        return sorted(files)

    def _read_sql(self, table: str, files: list[str]) -> str:
        listed = "[" + ", ".join(_sql_string(f) for f in files) + "]"
        if table in PARTITIONED_TABLES:
            # No union_by_name: it reads every file's footer on every bind, so a query on one
            # theme and round would touch every partition. Writers write the contract's columns
            # (to_arrow), and DuckDB matches a file's columns by name, so none is needed here.
            options = "hive_partitioning = true, hive_types_autocast = false"
        else:
            # The catalogue and the import history are small, read whole once per store version,
            # and may hold files from before a column was added: union them by name.
            options = "hive_partitioning = false, union_by_name = true"
        return f"SELECT {self._columns(table)} FROM read_parquet({listed}, {options})"

    def _create(self, table: str, root: Path | str) -> None:
        files = self._files(root, table)
        if not files:
            self._con.execute(self._empty_sql(table))
        elif table in ROLLUP_TABLES:
            self._load_rollup(table, root, files)
        elif table in IN_MEMORY_TABLES:
            # The catalogue stays small at any scale: held in memory once per store version, it
            # answers a query without touching a file.
            try:
                self._con.execute(
                    f"CREATE OR REPLACE TABLE {table} AS {self._read_sql(table, files)}"
                )
            except duckdb.Error as error:
                raise AuditDataError(
                    f"The audit store at {self.location} could not be opened: its {table} table "
                    f"is unreadable ({self._explain(error)}). Restore the file from a backup "
                    "(the sample store: `python -m analytics generate`)."
                ) from error
        else:
            # DuckDB reads the first listed file's footer to bind the view: put a readable one
            # first, so a damaged file only affects queries on its own theme and round.
            if not self.remote:
                files = _readable_first(files, table)
            self._con.execute(f"CREATE OR REPLACE VIEW {table} AS {self._read_sql(table, files)}")

    def _load_rollup(self, table: str, root: Path | str, files: list[str]) -> None:
        """Hold a roll-up in memory; a partition whose files cannot be read is left out and
        recorded, so queries on the other themes and rounds still answer (see require_readable)."""
        try:
            self._con.execute(f"CREATE OR REPLACE TABLE {table} AS {self._read_sql(table, files)}")
            return
        except duckdb.Error:
            pass  # find the damaged partition(s), one at a time
        self._con.execute(self._empty_sql(table))
        by_partition: dict[tuple[str, str], list[str]] = {}
        for path in files:
            by_partition.setdefault(_partition_of(path, table), []).append(path)
        for partition, paths in sorted(by_partition.items()):
            try:
                self._con.execute(f"INSERT INTO {table} {self._read_sql(table, paths)}")
            except duckdb.Error as error:
                self._broken.setdefault(partition, self._explain(error))

    def _explain(self, error: BaseException) -> str:
        """Return a DuckDB message's first line (the SQL it quotes after that is ours, not the
        user's), with the pinned store path (/proc/self/fd/N) shown as the data directory."""
        first = str(error).strip().split("\n", 1)[0]
        return _PINNED_PATH.sub(lambda _: self.location, first)

    def _refresh_views(self) -> None:
        with self._lock:
            root = self._pinned_root()
            key = (root, self.fingerprint())
            if key == self._views_key:
                return
            self._broken = {}
            try:
                for table in TABLES:
                    self._create(table, root)
            except duckdb.Error as error:
                raise AuditDataError(
                    f"The audit store at {self.location} could not be opened: "
                    f"{self._explain(error)}"
                ) from error
            self._views_key = key

    def require_readable(self, partitions: Iterable[tuple[str, str | None]]) -> None:
        """Raise AuditDataError if a file of one of these (theme, round) partitions could not
        be read when the store was opened (the other themes and rounds still answer)."""
        self._refresh_views()
        for theme_id, round_id in partitions:
            problem = self._broken.get((theme_id, str(round_id)))
            if problem is not None:
                raise AuditDataError(
                    f"The audit store at {self.location} has an unreadable file for {theme_id} "
                    f"round {round_id}: {problem}. Re-import that round or restore the file "
                    "from a backup (the sample store: `python -m analytics generate`)."
                )

    def memo(self, name: str, build: Callable[[], T]) -> T:
        """Return build()'s result, computed once per store version (for derived vocabularies
        such as each theme's audited rounds; callers must not mutate it)."""
        self._refresh_views()
        key = self._views_key
        hit = self._memo.get(name)
        if hit is None or hit[0] != key:
            hit = (key, build())
            self._memo[name] = hit
        return hit[1]

    def small_table(self, table: str) -> pd.DataFrame:
        """Return a whole catalogue table (themes, rounds, questions, actions, quotes), read once
        per store version: validating a parameter should not cost a query."""
        if table not in SMALL_TABLES:
            raise AuditDataError(f"{table} is not a catalogue table: {', '.join(SMALL_TABLES)}.")
        self._refresh_views()
        key = (self._views_key, table)
        cached = self._small.get(table)
        if cached is None or cached[0] != key:
            cursor = self._con.cursor()
            try:
                cached = (key, cursor.execute(f"SELECT * FROM {table}").df())
            finally:
                cursor.close()
            self._small[table] = cached
        return cached[1].copy()

    def fingerprint(self) -> str:
        """Return the store's version: every writer swaps in a new directory (analytics.atomic)
        holding a newly written store.json, so the directory's identity and that file's identity
        and time name the data; two stats, not a file walk.

        Not the directory's own change time: the audit trail lives inside the store, and
        recording the first export creates its folder, which is no change to the data.
        A URL store's version is a hash of its store.json, read again at most every
        REMOTE_RECHECK_SECONDS (one small request, not one per query).
        """
        if self.remote:
            checked_at, version = self._remote_version
            if time.monotonic() - checked_at >= REMOTE_RECHECK_SECONDS:
                text = json.dumps(self.manifest(), sort_keys=True)
                version = "url-" + hashlib.sha256(text.encode()).hexdigest()[:16]
                self._remote_version = (time.monotonic(), version)
            return version
        folder = os.stat(self.location)
        try:
            published = os.stat(os.path.join(self.location, MANIFEST_NAME))
            written = f"{published.st_ino:x}-{published.st_mtime_ns:x}"
        except FileNotFoundError:  # a folder no writer made: its own time is all there is
            written = f"{folder.st_mtime_ns:x}"
        return f"{folder.st_dev:x}-{folder.st_ino:x}-{written}"

    def manifest(self) -> dict[str, Any]:
        """Return the store's manifest (how it was made, whether it is synthetic), or {}."""
        if not self.remote:
            return read_manifest(self.data_dir)
        cursor = self._con.cursor()
        try:
            rows = cursor.execute(
                "SELECT content FROM read_text(?)", [f"{self.location}/{MANIFEST_NAME}"]
            ).fetchall()
        except duckdb.Error as error:
            raise AuditDataError(
                f"The audit store at {self.location} could not be read: {self._explain(error)}"
            ) from error
        finally:
            cursor.close()
        return json.loads(rows[0][0]) if rows else {}

    def query(
        self, sql: str, params: Mapping[str, Any] | None = None, *, large: bool = False
    ) -> pd.DataFrame:
        """Run one SQL statement with bound parameters and return the result as a frame.

        `large=True` fetches through Arrow: for results of many rows of text (the drill-down's
        cases) it is about twice as fast; dates then come back as datetime64 as well.
        """
        for attempt in (1, 2):
            self._refresh_views()
            cursor = self._con.cursor()
            try:
                if large:
                    table = cursor.sql(sql, params=dict(params or {})).to_arrow_table()
                    return table.to_pandas(date_as_object=False)
                return cursor.execute(sql, dict(params or {})).df()
            except duckdb.IOException as error:
                # An import swapped the store between listing and opening its files: the next
                # attempt reads the new version whole.
                if attempt == 2:
                    raise AuditDataError(
                        f"The audit store at {self.location} could not answer: "
                        f"{self._explain(error)}"
                    ) from error
            except duckdb.Error as error:
                raise AuditDataError(
                    f"The audit store at {self.location} could not answer: {self._explain(error)}"
                ) from error
            finally:
                cursor.close()
        raise AssertionError("unreachable")

    def last_changed(self) -> pd.Timestamp | None:
        """Return when any file of the store last changed, or None for an empty store (or one
        read from a URL, whose files' times are the object store's, not the data's)."""
        if self.remote:
            return None
        times = [
            path.stat().st_mtime for table in TABLES for path in parquet_files(self.data_dir, table)
        ]
        return pd.Timestamp.fromtimestamp(max(times)) if times else None

    def close(self) -> None:
        """Close the DuckDB connection and release the pinned store versions."""
        self._con.close()
        self._release_pins()

    def _release_pins(self) -> None:
        while self._pins:
            os.close(self._pins.pop()[1])

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._release_pins()


_PROC_FD = Path("/proc/self/fd")
_PINNED_PATH = re.compile(re.escape(str(_PROC_FD)) + r"/\d+")
_KEEP_PINS = 3
REMOTE_RECHECK_SECONDS = 30.0
# Rows of a partition file are written in this order, in row groups of ROW_GROUP_ROWS: a query
# for one question and quadrant (the drill-down) then reads one or two row groups, not the file.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "responses": ("question_id", "quadrant", "team", "audit_id"),
    "cases": ("quadrant", "team", "audit_id"),
}
ROW_GROUP_ROWS = 122_880  # DuckDB's own row group size


def _inside_table(path: str, table: str) -> str:
    """Return a file's path below its table's folder ("theme_id=a/round_id=b/part-0.parquet")."""
    return path.replace("\\", "/").rsplit(f"/{table}/", 1)[-1]


def _partition_of(path: str, table: str) -> tuple[str, str]:
    """Return (theme_id, round_id) from a partitioned file's hive folders."""
    folders = _inside_table(path, table).split("/")[:-1]
    parts = dict(part.split("=", 1) for part in folders if "=" in part)
    return parts.get("theme_id", ""), parts.get("round_id", "")


def _readable_first(files: list[str], table: str) -> list[str]:
    """Return the files with the first one whose footer reads and has the contract's columns
    moved to the front (usually the first file: one footer is read)."""
    needed = set(SCHEMAS[table].names) - set(PARTITION_COLUMNS)
    for index, path in enumerate(files):
        try:
            names = set(pq.read_schema(path).names)
        except (OSError, pa.ArrowException):
            continue
        if needed <= names:
            return [path, *files[:index], *files[index + 1 :]]
    return files


def to_arrow(table: str, frame: pd.DataFrame) -> pa.Table:
    """Return the frame as an Arrow table with exactly the contract's columns and types."""
    schema = SCHEMAS[table]
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


def write_table_files(
    data_dir: Path, table: str, frame: pd.DataFrame, file_stem: str
) -> list[Path]:
    """Write one table's rows as Parquet (partitioned where the contract says); return the files.

    Writing cases or responses also writes their roll-up beside them, under the same file name.
    """
    rollup_files: list[Path] = []
    if table in ROLLUPS and len(frame):
        rollup = ROLLUPS[table][0]
        rollup_files = write_table_files(data_dir, rollup, rollup_frame(table, frame), file_stem)
    return [*_write_files(data_dir, table, frame, file_stem), *rollup_files]


def _write_files(data_dir: Path, table: str, frame: pd.DataFrame, file_stem: str) -> list[Path]:
    arrow = to_arrow(table, frame)
    root = table_dir(data_dir, table)
    written: list[Path] = []
    if table not in PARTITIONED_TABLES:
        root.mkdir(parents=True, exist_ok=True)
        path = root / f"{file_stem}.parquet"
        pq.write_table(arrow, path)
        return [path]
    keys = frame[list(PARTITION_COLUMNS)].drop_duplicates().itertuples(index=False)
    order = [(column, "ascending") for column in SORT_KEYS.get(table, ())]
    for theme_id, round_id in sorted(keys):
        mask = (frame["theme_id"] == theme_id) & (frame["round_id"] == round_id)
        part = arrow.filter(pa.array(mask.to_numpy())).drop_columns(list(PARTITION_COLUMNS))
        if order:
            part = part.sort_by(order)
        folder = root / f"theme_id={theme_id}" / f"round_id={round_id}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{file_stem}.parquet"
        if path.exists():
            raise AuditDataError(f"{path} already exists: one file per table, theme and round.")
        pq.write_table(part, path, row_group_size=ROW_GROUP_ROWS)
        written.append(path)
    return written


def write_store_files(
    directory: Path,
    chunks: Iterable[tuple[str, pd.DataFrame]],
    manifest: Mapping[str, Any],
    file_stem: str = "part-0",
) -> None:
    """Write a whole store's files into an empty `directory` (no swap; see write_new_store)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: set[str] = set()
    for table, frame in chunks:
        write_table_files(directory, table, frame, file_stem)
        written.add(table)
    for table in set(TABLES) - written:
        write_table_files(directory, table, empty_frame(table), "part-empty")
    write_manifest(directory, manifest)
    (directory / "README.txt").write_text(
        "Audit Insight store: one folder per table of Parquet files.\n"
        "Read with DuckDB: SELECT * FROM read_parquet('<this dir>/responses/**/*.parquet', "
        "hive_partitioning = true)\n"
    )


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> None:
    """Write the store's manifest (replacing the file, never writing through a hard link)."""
    path = Path(directory) / MANIFEST_NAME
    replace_file(path, lambda p: p.write_text(json.dumps(dict(manifest), indent=2) + "\n"))


def write_new_store(
    data_dir: Path,
    chunks: Iterable[tuple[str, pd.DataFrame]],
    manifest: Mapping[str, Any],
    file_stem: str = "part-0",
) -> None:
    """Write a whole store to a sibling folder, then swap it in, so readers never see half of it.
    The store's audit trail, if it has one, is carried over.

    `chunks` yields (table, rows) pairs; each becomes its own file(s), so a large store is written
    one theme and round at a time. Tables that get no rows are written empty. Holds the writers'
    lock, so an import and a regeneration never interleave.
    """
    data_dir = local_store_dir(data_dir)
    check_store_target(data_dir)  # never replace a file or a folder of other things
    with writer_lock(data_dir):
        check_store_target(data_dir)  # again: it may have changed while we waited
        staging = sibling(data_dir, "staging")
        try:
            write_store_files(staging, chunks, manifest, file_stem)
            trail = data_dir / TRAIL_FOLDER
            if trail.is_dir():  # who did what stays, whatever the data becomes
                clone_dir(trail, staging / TRAIL_FOLDER)
            replace_dir(staging, data_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def empty_frame(table: str) -> pd.DataFrame:
    """Return a frame with the table's columns and no rows."""
    return SCHEMAS[table].empty_table().to_pandas()
