"""The one place DuckDB runs: views over the Parquet folders, a cursor per call, friendly errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.contract import PARTITION_COLUMNS, PARTITIONED_TABLES, SCHEMAS, TABLES, duckdb_type
from analytics.errors import AuditDataError

MANIFEST_NAME = "store.json"


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
    """Read access to one audit store (a data directory of Parquet folders) through DuckDB."""

    def __init__(self, data_dir: str | os.PathLike[str]):
        self.data_dir = Path(data_dir)
        if not self.data_dir.is_dir():
            raise AuditDataError(
                f"No audit store at {self.data_dir}. Create the sample store with "
                f"`python -m analytics generate --data-dir {self.data_dir}`, or import a round "
                "with `python -m analytics ingest FILE --data-dir DIR`."
            )
        self._con = duckdb.connect(
            ":memory:", config={"autoinstall_known_extensions": False, "threads": 2}
        )
        self._lock = threading.Lock()
        self._fingerprint = ""
        self._refresh_views()

    def _view_sql(self, table: str) -> str:
        schema = SCHEMAS[table]
        columns = ", ".join(f"CAST({f.name} AS {duckdb_type(f.type)}) AS {f.name}" for f in schema)
        if not parquet_files(self.data_dir, table):
            # An empty table is normal (a new store): a typed view with no rows.
            return f"CREATE OR REPLACE VIEW {table} AS SELECT {columns} FROM (SELECT 1) WHERE false"
        pattern = _sql_string(str(table_dir(self.data_dir, table) / "**" / "*.parquet"))
        hive = ", hive_partitioning = true, hive_types_autocast = false"
        hive = hive if table in PARTITIONED_TABLES else ", hive_partitioning = false"
        return (
            f"CREATE OR REPLACE VIEW {table} AS SELECT {columns} "
            f"FROM read_parquet({pattern}{hive}, union_by_name = true)"
        )

    def _refresh_views(self) -> None:
        with self._lock:
            fingerprint = self.fingerprint()
            if fingerprint == self._fingerprint:
                return
            for table in TABLES:
                self._con.execute(self._view_sql(table))
            self._fingerprint = fingerprint

    def fingerprint(self) -> str:
        """Return a hash of every Parquet file's path, size and change time: new data, new hash."""
        digest = hashlib.sha256()
        for table in TABLES:
            for path in parquet_files(self.data_dir, table):
                stat = path.stat()
                digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one SQL statement with bound parameters and return the result as a frame."""
        self._refresh_views()
        cursor = self._con.cursor()
        try:
            return cursor.execute(sql, dict(params or {})).df()
        except duckdb.Error as error:
            raise AuditDataError(
                f"The audit store at {self.data_dir} could not answer: {error}"
            ) from error
        finally:
            cursor.close()

    def last_changed(self) -> pd.Timestamp | None:
        """Return when any file of the store last changed, or None for an empty store."""
        times = [
            path.stat().st_mtime for table in TABLES for path in parquet_files(self.data_dir, table)
        ]
        return pd.Timestamp.fromtimestamp(max(times)) if times else None

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()


def to_arrow(table: str, frame: pd.DataFrame) -> pa.Table:
    """Return the frame as an Arrow table with exactly the contract's columns and types."""
    schema = SCHEMAS[table]
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise AuditDataError(f"Table {table} lacks column(s): {', '.join(missing)}.")
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def write_table_files(
    data_dir: Path, table: str, frame: pd.DataFrame, file_stem: str
) -> list[Path]:
    """Write one table's rows as Parquet (partitioned where the contract says); return the files."""
    arrow = to_arrow(table, frame)
    root = table_dir(data_dir, table)
    written: list[Path] = []
    if table not in PARTITIONED_TABLES:
        root.mkdir(parents=True, exist_ok=True)
        path = root / f"{file_stem}.parquet"
        pq.write_table(arrow, path)
        return [path]
    keys = frame[list(PARTITION_COLUMNS)].drop_duplicates().itertuples(index=False)
    for theme_id, round_id in sorted(keys):
        mask = (frame["theme_id"] == theme_id) & (frame["round_id"] == round_id)
        part = arrow.filter(pa.array(mask.to_numpy())).drop_columns(list(PARTITION_COLUMNS))
        folder = root / f"theme_id={theme_id}" / f"round_id={round_id}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{file_stem}.parquet"
        if path.exists():
            raise AuditDataError(f"{path} already exists: one file per table, theme and round.")
        pq.write_table(part, path, row_group_size=1_000_000)
        written.append(path)
    return written


def write_new_store(
    data_dir: Path,
    chunks: Iterable[tuple[str, pd.DataFrame]],
    manifest: Mapping[str, Any],
    file_stem: str = "part-0",
) -> None:
    """Write a whole store to a sibling folder, then swap it in, so readers never see half of it.

    `chunks` yields (table, rows) pairs; each becomes its own file(s), so a large store is written
    one theme and round at a time. Tables that get no rows are written empty.
    """
    data_dir = Path(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = data_dir.parent / f".{data_dir.name}.staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        written: set[str] = set()
        for table, frame in chunks:
            write_table_files(staging, table, frame, file_stem)
            written.add(table)
        for table in set(TABLES) - written:
            write_table_files(staging, table, empty_frame(table), "part-empty")
        (staging / MANIFEST_NAME).write_text(json.dumps(dict(manifest), indent=2) + "\n")
        (staging / "README.txt").write_text(
            "Audit Insight store: one folder per table of Parquet files.\n"
            "Read with DuckDB: SELECT * FROM read_parquet('<this dir>/responses/**/*.parquet', "
            "hive_partitioning = true)\n"
        )
        if data_dir.exists():
            retired = data_dir.parent / f".{data_dir.name}.old-{uuid.uuid4().hex[:8]}"
            data_dir.rename(retired)
            staging.rename(data_dir)
            shutil.rmtree(retired)
        else:
            staging.rename(data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def empty_frame(table: str) -> pd.DataFrame:
    """Return a frame with the table's columns and no rows."""
    return SCHEMAS[table].empty_table().to_pandas()
