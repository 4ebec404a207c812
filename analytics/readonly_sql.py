"""A user's SELECT over one snapshot of the store, unable to write or to read any other file.

The query runs in a fresh DuckDB of its own (never the process's shared one, which holds the
catalog attached read-write). There the contract's tables are views over exactly the snapshot's
Parquet files (in the store's folder, or on object storage through httpfs); then `allowed_paths`
is set to those files, external access switched off and the configuration locked, so
read_csv('/etc/passwd'), glob, ATTACH, COPY TO, INSTALL, LOAD and SET all fail. Only one SELECT
statement is run at all (checked before it runs)."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.contract import TABLES
from analytics.errors import AuditDataError
from analytics.lake import extensions
from analytics.lake.catalog import first_line, s3_secret_sql, sql_string
from analytics.store import Store, _empty_source, _read_files

MAX_QUERY_CHARACTERS = 100_000


def check_select(sql: str) -> None:
    """Raise AuditDataError unless `sql` is exactly one SELECT statement."""
    if len(sql) > MAX_QUERY_CHARACTERS:
        raise AuditDataError(f"The query is over {MAX_QUERY_CHARACTERS:,} characters.")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise AuditDataError(f"The query is not valid SQL: {first_line(error)}") from error
    if not statements:
        raise AuditDataError("No query given: write one SELECT statement.")
    if len(statements) > 1:
        raise AuditDataError(
            f"sql runs one statement; this holds {len(statements)}. Run them one at a time."
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise AuditDataError(
            f"sql is read-only: it runs one SELECT statement, not {kind.name}. Nothing was run."
        )


def sandbox(store: Store) -> duckdb.DuckDBPyConnection:
    """Return a new DuckDB holding the contract's tables at the store's snapshot, locked so that
    it can read those tables' files and nothing else."""
    config: dict[str, extensions.ConfigValue] = {
        **extensions.CONNECTION_CONFIG,
        "temp_directory": "",
    }  # no spilling to disk
    remote = store.where.remote_data
    if remote:  # data files on object storage: httpfs from its wheel, the store's credentials
        config["extension_directory"] = str(extensions.extension_directory())
    con = duckdb.connect(":memory:", config=config)
    try:
        if remote:
            con.execute("LOAD httpfs")
            con.execute(s3_secret_sql(store.where.data_path))
        present = store.lake.files_at(store.snapshot)
        allowed: list[str] = []
        for table in TABLES:
            files = present.get(table, [])
            if files is None:  # some rows deleted by delete files: read through DuckLake here
                con.register(f"_rows_{table}", store.query(f"SELECT * FROM {table}"))
                source = f"SELECT * FROM _rows_{table}"
            elif files:
                source = _read_files(table, files)
                allowed += files
            else:
                source = _empty_source(table)
            con.execute(f"CREATE VIEW {table} AS {source}")
        listed = ", ".join(sql_string(path) for path in allowed)
        con.execute(f"SET allowed_paths = [{listed}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as error:
        con.close()
        raise AuditDataError(
            f"The audit store at {store.location} could not be read: {first_line(error)}"
        ) from error
    except BaseException:
        con.close()
        raise
    return con


def run_select(store: Store, sql: str) -> pd.DataFrame:
    """Return the rows of one read-only SELECT over the contract's tables at the store's
    snapshot; anything else (a write, a second statement, a file outside the store) is refused
    with AuditDataError."""
    check_select(sql)
    con = sandbox(store)
    try:
        return con.execute(sql).df()
    except duckdb.PermissionException as error:
        raise AuditDataError(
            "sql reads the store's tables only (" + ", ".join(TABLES) + "): the query tried to "
            f"reach something else ({first_line(error)})."
        ) from error
    except duckdb.Error as error:
        raise AuditDataError(f"The query failed: {first_line(error)}") from error
    finally:
        con.close()
