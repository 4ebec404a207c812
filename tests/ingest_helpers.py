"""Builders for import files (XLSX and CSV) and a byte-level fingerprint of a store."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import ingest
from analytics.access import Actor
from analytics.contract import SCHEMAS
from analytics.errors import ImportRefused
from analytics.ingest import Source
from analytics.lake.catalog import Lake
from analytics.store import Store

# Who imports in these tests: an analyst (the only role that may change the store).
ANALYST = Actor("qa.analyst@council.example", "QA analyst", "analyst", signed_in=True)

QUADRANT_CYCLE = ("NW", "NE", "SW", "SE")


def copy_store(source: Path, destination: Path) -> Path:
    """Copy a store (never import into a shared fixture or the bundled data)."""
    shutil.copytree(source, destination)
    return destination


def round_tables(
    theme: str,
    round_id: str,
    questions: list[str],
    n_cases: int = 4,
    prefix: str = "N",
    audit_date: str = "2021-03-05",
) -> dict[str, pd.DataFrame]:
    """Return a valid cases + responses pair for one round: every case answers every question."""
    ids = [f"{prefix}{i}" for i in range(1, n_cases + 1)]
    cases = pd.DataFrame(
        {
            "audit_id": ids,
            "theme_id": theme,
            "round_id": round_id,
            "quadrant": [QUADRANT_CYCLE[i % 4] for i in range(n_cases)],
            "team": ["T1" if i % 2 else "T2" for i in range(n_cases)],
            "child_ref": [f"REF-{i:05d}" for i in range(n_cases)],
            "audit_date": audit_date,
            "gender": "Female",
            "age_band": "5-9",
            "overall_grade": "Good",
        }
    )
    answers = ("Met", "Not met", "Partially met", "Not applicable")
    responses = pd.DataFrame(
        [
            {"audit_id": a, "question_id": q, "response": answers[(i + j) % 4], "comment": "ok"}
            for i, a in enumerate(ids)
            for j, q in enumerate(questions)
        ]
    )
    return {"cases": cases, "responses": responses}


def xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """Return the tables as one workbook, one sheet per table, all cells as text."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def xlsx(tables: dict[str, pd.DataFrame], name: str = "round.xlsx") -> Source:
    """Return the tables as one workbook source."""
    return Source(name, xlsx_bytes(tables))


def csvs(tables: dict[str, pd.DataFrame]) -> list[Source]:
    """Return the tables as CSV sources named after them."""
    return [
        Source(f"{name}.csv", frame.to_csv(index=False).encode()) for name, frame in tables.items()
    ]


def tree_hashes(data_dir: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Return sha256 of every file under the store (relative path -> hash)."""
    out = {}
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir).as_posix()
        if path.is_file() and not relative.startswith(skip):
            out[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def latest_snapshot(data_dir: Path) -> int:
    """Return the store's newest committed snapshot (what any write, even a rolled-back
    attempt's commit, would move)."""
    lake = Lake(data_dir)
    try:
        return lake.latest_snapshot()
    finally:
        lake.close()


def table_rows(data_dir: Path, table: str, snapshot: int | None = None) -> list[tuple]:
    """Return a table's rows at a snapshot (default: the newest data), sorted, as tuples."""
    with Store(data_dir, as_of=snapshot) as store:
        return _rows(store, table)


def data_rows(data_dir: Path, snapshot: int | None = None) -> dict[str, list[tuple]]:
    """Return every data table's rows (not the import log, which records the changes rather
    than being the data)."""
    with Store(data_dir, as_of=snapshot) as store:
        return {t: _rows(store, t) for t in SCHEMAS if t != "imports"}


def _rows(store: Store, table: str) -> list[tuple]:
    frame = store.query(f"SELECT * FROM {table}")
    rows = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]
    return sorted(rows, key=repr)


def _plain(value: object) -> object:
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(value)
    return None if pd.isna(value) else value


# --- the refusal tests' builders (tests/analytics/ingest/test_ingest_*.py) ---------------------------------


ALPHA_QUESTIONS = ["Q1", "Q2"]


def good() -> dict[str, pd.DataFrame]:
    """A valid new round r9 of the tiny store's theme alpha: 4 cases x 2 questions."""
    return round_tables("alpha", "r9", ALPHA_QUESTIONS)


def refused(data_dir: Path, files, **options) -> pd.DataFrame:
    """Import, expect a refusal, check the store did not change at all; return the problems."""
    before, snapshot = tree_hashes(data_dir), latest_snapshot(data_dir)
    with pytest.raises(ImportRefused) as caught:
        ingest.import_files(data_dir, files, **options, actor=ANALYST)
    assert latest_snapshot(data_dir) == snapshot, "a refused import committed a snapshot"
    assert tree_hashes(data_dir) == before, "a refused import changed the store"
    problems = caught.value.problems
    assert list(problems.columns) == ["sheet", "row", "column", "value", "rule", "fix"]
    assert problems["fix"].str.len().min() > 10  # every problem says how to fix it
    return problems


ANY = object()  # find(): any value


def find(
    problems: pd.DataFrame,
    sheet: str,
    row: int | None,
    column: str | None,
    rule: str,
    value: object = ANY,
    fix: str | None = None,
):
    """Return the problem naming this sheet, Excel row, column, value (None: empty) and rule,
    whose fix holds `fix`; or fail listing every problem."""
    for record in problems.to_dict("records"):
        row_ok = pd.isna(record["row"]) if row is None else record["row"] == row
        column_ok = pd.isna(record["column"]) if column is None else record["column"] == column
        if value is ANY:
            value_ok = True
        else:
            value_ok = pd.isna(record["value"]) if value is None else record["value"] == value
        fix_ok = fix is None or fix in record["fix"]
        if (record["sheet"] == sheet and row_ok and column_ok and value_ok and fix_ok
                and rule in record["rule"]):  # fmt: skip
            return record
    raise AssertionError(f"no problem {sheet!r} row {row} {column!r} value {value!r} '{rule}' "
                         f"(fix: {fix!r}) in:\n{problems.to_string()}")  # fmt: skip


def edit(table: str, index: int, column: str, value):
    def mutate(tables):
        tables[table].loc[index, column] = value
        return tables

    return mutate


def with_sheet(name: str, rows: list[dict]):
    def mutate(tables):
        tables[name] = pd.DataFrame(rows)
        return tables

    return mutate


def drop(table: str, column: str | None = None, where=None):
    def mutate(tables):
        if column is not None:
            tables[table] = tables[table].drop(columns=column)
        elif where is not None:
            tables[table] = tables[table][~where(tables[table])]
        else:
            del tables[table]
        return tables

    return mutate


def rename_case(old: str, new: str):
    def mutate(tables):
        for name in ("cases", "responses"):
            tables[name]["audit_id"] = tables[name]["audit_id"].replace(old, new)
        return tables

    return mutate


def duplicate_row(table: str, index: int):
    def mutate(tables):
        frame = tables[table]
        tables[table] = pd.concat([frame, frame.iloc[[index]]], ignore_index=True)
        return tables

    return mutate


def all_cases(column: str, value):
    def mutate(tables):
        tables["cases"][column] = value
        return tables

    return mutate


ROUND = {"theme_id": "alpha", "round_id": "r9", "label": "Round nine"}


def write(folder: Path, sources: list[Source]) -> list[str]:
    """Write the sources into `folder` (made if need be); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in sources:
        path = folder / source.name
        path.write_bytes(source.data)
        paths.append(str(path))
    return paths
