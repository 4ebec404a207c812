"""The data contract: the tables of the store, their columns and types, and their layout; and the
store's own records beside them (the audit trail, saved tracker mappings, the store's manifest)."""

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
    # base_snapshot (the snapshot the import was applied to) and changed (the keys it wrote:
    # "cases:theme/round", "rounds:theme/round", "questions:theme/question", "themes:theme") let
    # undo-import put exactly those rows back as they were.
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
            ("base_snapshot", pa.int64()),
            ("changed", pa.list_(pa.string())),
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

# Roll-ups: counts per partition of cases and responses, so the dashboard's aggregates read a few
# thousand rows instead of millions. Every writer appends a roll-up with its rows, in the same
# transaction (analytics.lake.catalog.Writer.append), and deletes it with its partition.
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

# Cases with an applicable answer per practice area (question category): a count of distinct
# cases that the per-question counts cannot give. It depends on the questions' categories as well
# as the responses, so a writer recomputes it, before it commits, for every partition whose
# responses or whose theme's questions it changed (analytics.lake.catalog.Writer.refresh_derived).
# A case sits in one theme, round, quadrant and team, so these counts add up exactly.
AREA_CASE_COUNTS = "area_case_counts"
SCHEMAS[AREA_CASE_COUNTS] = pa.schema(
    [
        ("theme_id", pa.string()),
        ("round_id", pa.string()),
        ("quadrant", pa.string()),
        ("team", pa.string()),
        ("category", pa.string()),
        ("cases", pa.int64()),
    ]
)
ROLLUP_TABLES: frozenset[str] = frozenset({*(r[0] for r in ROLLUPS.values()), AREA_CASE_COUNTS})

PARTITIONED_TABLES: frozenset[str] = frozenset({"cases", "responses", *ROLLUP_TABLES})
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


# The store's own records. Not audit data: the sql command and the data contract leave them out.
RECORD_SCHEMAS: dict[str, pa.Schema] = {
    # Who imported, undid, exported or was refused what, when (analytics.audit_trail).
    "audit_trail": pa.schema(
        [
            ("event_id", pa.string()),
            ("at", pa.timestamp("us")),  # UTC
            ("user", pa.string()),
            ("role", pa.string()),
            ("action", pa.string()),  # import, undo-import, export, save mapping, ...
            ("what", pa.string()),  # file name, import id, or the export's file name
            ("theme_id", pa.string()),
            ("round_id", pa.string()),
            ("quadrants", pa.string()),  # comma-separated; empty means the county
            ("teams", pa.string()),
            ("mode", pa.string()),  # suppression mode of an export
            ("outcome", pa.string()),  # done, or refused
            ("detail", pa.string()),
            ("snapshot_id", pa.int64()),  # the data snapshot an export was made from
        ]
    ),
    # Trackers' saved mappings (analytics.ingest.trackers.saved): one row per name.
    "tracker_mappings": pa.schema(
        [
            ("slug", pa.string()),
            ("name", pa.string()),
            ("mapping", pa.string()),  # the mapping's JSON, exactly as a person downloads it
        ]
    ),
    # How the store was made and what of it is synthetic: one row, JSON (analytics.store).
    "store_manifest": pa.schema([("manifest", pa.string())]),
}
