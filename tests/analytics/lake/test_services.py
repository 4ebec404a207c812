"""The test services work with DuckDB + DuckLake offline: a PostgreSQL catalog on 127.0.0.1 with
its Parquet data files in a bucket of the S3-compatible endpoint."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager

from services import PostgresService, S3Service

from analytics.lake import extensions

ROWS = [
    ("alpha", "r1", "A1", 1),
    ("alpha", "r1", "A2", 0),
    ("alpha", "r2", "A3", 1),
    ("beta", "b1", "B1", 0),
]
_aliases = itertools.count(1)


@contextmanager
def _attached(source: str, options: str) -> Iterator[tuple[object, str]]:
    """ATTACH under a fresh name (a process's connections share one DuckDB), DETACH after."""
    con = extensions.connect("ducklake", "postgres", "httpfs")
    alias = f"services_{next(_aliases)}"
    con.execute(f"ATTACH '{source}' AS {alias} ({options})")
    try:
        yield con, alias
    finally:
        con.execute(f"DETACH {alias}")
        con.close()


def _lake(postgres: PostgresService, s3: S3Service, bucket: str):
    extensions.connect("httpfs").execute(s3.secret_sql(bucket))
    # DuckLake keeps inserts of up to 10 rows in the catalog by default; these must be files.
    options = f"DATA_PATH 's3://{bucket}/lake/', DATA_INLINING_ROW_LIMIT 0"
    return _attached(f"ducklake:postgres:{postgres.libpq}", options)


def test_a_ducklake_on_postgres_keeps_its_parquet_files_in_the_bucket(
    postgres_database: PostgresService, s3_service: S3Service, s3_bucket: str
):
    with _lake(postgres_database, s3_service, s3_bucket) as (writer, lake):
        writer.execute(
            f"CREATE TABLE {lake}.answers (theme_id VARCHAR, round_id VARCHAR, "
            "audit_id VARCHAR, met INTEGER)"
        )
        writer.execute(f"ALTER TABLE {lake}.answers SET PARTITIONED BY (theme_id, round_id)")
        # One statement: one Parquet file per partition.
        values = ", ".join(["(?, ?, ?, ?)"] * len(ROWS))
        writer.execute(
            f"INSERT INTO {lake}.answers VALUES {values}", [v for row in ROWS for v in row]
        )

    # Attached afresh, the lake reads the rows back through its catalog and the bucket alone.
    with _lake(postgres_database, s3_service, s3_bucket) as (reader, lake):
        assert reader.sql(f"FROM {lake}.answers ORDER BY audit_id").fetchall() == ROWS
    # The catalog lives in PostgreSQL: its tables are in the test's database.
    with _attached(postgres_database.libpq, "TYPE postgres, READ_ONLY") as (con, pg):
        tables = con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", params=[pg]
        ).fetchall()
    assert {"ducklake_snapshot", "ducklake_data_file", "ducklake_table"} <= {t for (t,) in tables}

    # The data files are in the bucket, one per partition, in hive-style folders.
    listed = s3_service.client().list_objects_v2(Bucket=s3_bucket)
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert all(key.startswith("lake/") and key.endswith(".parquet") for key in keys), keys
    folders = sorted(re.sub(r"/[^/]+\.parquet$", "", key).split("/", 3)[-1] for key in keys)
    assert folders == [
        "theme_id=alpha/round_id=r1",
        "theme_id=alpha/round_id=r2",
        "theme_id=beta/round_id=b1",
    ]


def test_each_test_gets_its_own_empty_database_and_bucket(
    postgres_service: PostgresService, s3_service: S3Service
):
    first, second = postgres_service.new_database(), postgres_service.new_database()
    assert first.dbname != second.dbname
    assert first.libpq == (
        f"dbname={first.dbname} host=127.0.0.1 port={postgres_service.port} user=lake"
    )
    with _attached(second.libpq, "TYPE postgres, READ_ONLY") as (con, pg):
        tables = con.sql(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = 'public'",
            params=[pg],
        ).fetchall()
    assert tables == [(0,)]
    buckets = s3_service.new_bucket(), s3_service.new_bucket()
    assert buckets[0] != buckets[1]
    assert s3_service.client().list_objects_v2(Bucket=buckets[1]).get("KeyCount") == 0
