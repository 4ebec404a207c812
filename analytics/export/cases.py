"""The cases behind a number (the drill-down's list) as CSV and XLSX, under a header block.

Lists of cases are never circulated: for circulation they are refused, as the page hides them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics import queries
from analytics.disclosure.suppression import mode_text
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.export.tables import data_source, table_csv, table_xlsx, theme_title
from analytics.store import Store

# (data column, column heading), in the order written.
CASE_LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("audit_id", "Audit"),
    ("child_ref", "Child reference"),
    ("quadrant", "Area"),
    ("team", "Team"),
    ("audit_date", "Audit date"),
    ("response", "Response"),
    ("comment", "Auditor's comment"),
    ("overall_grade", "Overall grade"),
)
NOT_FOR_CIRCULATION = "Lists of cases are not exported for circulation: turn 'For circulation' off."


def case_list_table(cases: pd.DataFrame) -> pd.DataFrame:
    """Return the cases behind a number with readable headings, dates as ISO text."""
    table = cases[[column for column, _ in CASE_LIST_COLUMNS]].copy()
    table["audit_date"] = table["audit_date"].map(
        lambda d: "" if pd.isna(d) else pd.Timestamp(d).date().isoformat()
    )
    return table.rename(columns=dict(CASE_LIST_COLUMNS))


def case_list_header(
    store: Store,
    theme: str,
    question_id: str,
    filters: Filters,
    cases: int,
    made_on: dt.date | None = None,
) -> list[tuple[str, str]]:
    """Return the (label, value) lines above the list: which standard, cell, round and mode."""
    round_id = queries.resolve_round(store, theme, filters.round_id)
    labels = queries.round_labels(store, theme)
    standard = queries.questions(store, theme).get(question_id, "")
    return [
        ("Audit Insight", "cases behind a number"),
        ("Standard", f"{question_id} · {standard}"),
        ("Theme", theme_title(store, theme)),
        ("Round", "" if round_id is None else labels.get(round_id, round_id)),
        ("Filters", filters.describe()),
        ("Cases", str(cases)),
        ("Date", (made_on or dt.date.today()).isoformat()),
        ("Data source", data_source(store)),
        ("Mode", mode_text(None)),
        ("Note", "Child references are pseudonymous; not met first."),
    ]


def case_list_bytes(
    store: Store,
    theme: str,
    question_id: str,
    filters: Filters,
    fmt: str,
    threshold: int | None = None,
    made_on: dt.date | None = None,
) -> bytes:
    """Return every case behind one question x selection cell as CSV or XLSX (never for
    circulation: a list of cases is not circulated)."""
    if threshold is not None:
        raise AuditDataError(NOT_FOR_CIRCULATION)
    cases = queries.cases_behind(store, theme, question_id, filters, limit=None)
    header = case_list_header(store, theme, question_id, filters, len(cases), made_on)
    table = case_list_table(cases)
    if fmt == "csv":
        return table_csv(header, table)
    if fmt == "xlsx":
        return table_xlsx(header, table, sheet="Cases")
    raise ValueError(f"Unknown case list format {fmt!r}. Allowed: csv, xlsx.")
