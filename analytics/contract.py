"""The data contract: the eight tables of the store, their columns and types, and their layout."""

from __future__ import annotations

import pyarrow as pa

# Responses and cases are hive-partitioned by theme and round, so a query on one theme and round
# reads only that theme and round's files; quadrant and team ride on each response row so the
# common question x quadrant tables need no join.
PARTITION_COLUMNS: tuple[str, ...] = ("theme_id", "round_id")

SCHEMAS: dict[str, pa.Schema] = {
    "themes": pa.schema(
        [
            ("theme_id", pa.string()),
            ("title", pa.string()),
            ("status", pa.string()),
            ("lead", pa.string()),
            ("scope", pa.string()),
            ("sort_order", pa.int32()),
        ]
    ),
    "rounds": pa.schema(
        [
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            ("label", pa.string()),
            ("start_date", pa.date32()),
            ("end_date", pa.date32()),
            ("status", pa.string()),
        ]
    ),
    "questions": pa.schema(
        [
            ("theme_id", pa.string()),
            ("question_id", pa.string()),
            ("text", pa.string()),
            ("category", pa.string()),
            ("seed_finding", pa.string()),
        ]
    ),
    "cases": pa.schema(
        [
            ("audit_id", pa.string()),
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            ("quadrant", pa.string()),
            ("team", pa.string()),
            ("child_ref", pa.string()),
            ("audit_date", pa.date32()),
            ("gender", pa.string()),
            ("age_band", pa.string()),
            ("overall_grade", pa.string()),
        ]
    ),
    "responses": pa.schema(
        [
            ("audit_id", pa.string()),
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            ("question_id", pa.string()),
            ("response", pa.string()),
            ("comment", pa.string()),
            ("quadrant", pa.string()),
            ("team", pa.string()),
        ]
    ),
    "actions": pa.schema(
        [
            ("action_id", pa.string()),
            ("theme_id", pa.string()),
            ("kind", pa.string()),
            ("text", pa.string()),
            ("outcome", pa.string()),
            ("owner", pa.string()),
            ("due_date", pa.date32()),
            ("status", pa.string()),
            ("question_ids", pa.list_(pa.string())),
        ]
    ),
    "quotes": pa.schema(
        [
            ("quote_id", pa.string()),
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            ("quadrant", pa.string()),
            ("role", pa.string()),
            ("text", pa.string()),
        ]
    ),
    # The import history: one row per import; the store's other tables are what imports changed.
    # files_added / files_removed (paths inside the store) let undo-import revert exactly.
    "imports": pa.schema(
        [
            ("import_id", pa.string()),
            ("file_name", pa.string()),
            ("sha256", pa.string()),
            ("cases", pa.int64()),
            ("responses", pa.int64()),
            ("rounds", pa.int64()),
            ("questions", pa.int64()),
            ("theme_rounds", pa.list_(pa.string())),
            ("imported_at", pa.timestamp("us")),
            ("user", pa.string()),
            ("replaced", pa.string()),
            ("status", pa.string()),
            ("undone_at", pa.timestamp("us")),
            ("files_added", pa.list_(pa.string())),
            ("files_removed", pa.list_(pa.string())),
        ]
    ),
    # How completely each imported round was answered (one row per theme x round an import
    # loaded, in a file named after the import), and the analysts' acceptances of incomplete
    # ones (append-only; an acceptance holds for the import it names). See
    # analytics.ingest.completeness.
    "round_completeness": pa.schema(
        [
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            ("import_id", pa.string()),
            ("cases", pa.int64()),
            ("standards", pa.int64()),  # standards per case: the theme's questions
            ("expected", pa.int64()),  # cases x standards
            ("answered", pa.int64()),  # rows in responses (N/A included)
        ]
    ),
    "round_acceptances": pa.schema(
        [
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            ("import_id", pa.string()),
            ("accepted_by", pa.string()),
            ("accepted_at", pa.timestamp("us")),
            ("how", pa.string()),
        ]
    ),
}

# Roll-ups: counts written beside every cases/responses file (same partition, same file name), so
# the dashboard's aggregates read a few thousand rows instead of millions, and every writer that
# adds, replaces or removes a base file does the same to its roll-up (see store.write_table_files).
ROLLUPS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # base table: (roll-up table, grouping columns, count column)
    "responses": ("response_counts", ("question_id", "quadrant", "team", "response"), "answers"),
    "cases": (
        "case_counts",
        ("quadrant", "team", "gender", "age_band", "overall_grade"),
        "cases",
    ),
}
for _base, (_rollup, _groups, _count) in ROLLUPS.items():
    SCHEMAS[_rollup] = pa.schema(
        [
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            *((name, SCHEMAS[_base].field(name).type) for name in _groups),
            (_count, pa.int64()),
        ]
    )

PARTITIONED_TABLES: frozenset[str] = frozenset(
    {"cases", "responses", *(r[0] for r in ROLLUPS.values())}
)
TABLES: tuple[str, ...] = tuple(SCHEMAS)


def duckdb_type(arrow_type: pa.DataType) -> str:
    """Return the DuckDB type name for an Arrow type used in the contract."""
    if pa.types.is_list(arrow_type):
        return duckdb_type(arrow_type.value_type) + "[]"
    return {
        pa.string(): "VARCHAR",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.date32(): "DATE",
        pa.timestamp("us"): "TIMESTAMP",  # naive UTC
    }[arrow_type]
