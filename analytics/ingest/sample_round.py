"""A large synthetic audit round as import files, and the import benchmark built on it.

Used by the benchmark (benchmark_import) and the importer's tests: a permanency
round of N cases, 10 questions each, written as an XLSX workbook the way Excel writes
one (shared strings, date cells) or as CSV files.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.access import local_operator
from analytics.domain import GRADES, QUADRANTS, RESPONSES
from analytics.errors import AuditDataError
from analytics.ingest.reading import Source
from analytics.lake.location import (
    CATALOG_FILE,
    DATA_FOLDER,
    StoreLocation,
    is_store,
    parse_location,
)

BENCH_THEME = "permanency"
BENCH_ROUND = "2021-03-bench"
BENCH_QUESTIONS = tuple(f"PERM-{i:02d}" for i in range(1, 11))


def round_frames(n_cases: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Return cases (one row per case) and responses (case x question) of one synthetic
    permanency round, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"BENCH-{i:06d}" for i in range(n_cases)], dtype=object)
    cases = pd.DataFrame(
        {
            "audit_id": ids,
            "theme_id": BENCH_THEME,
            "round_id": BENCH_ROUND,
            "quadrant": rng.choice(QUADRANTS, n_cases),
            "team": rng.choice(["Looked After", "Family Safeguarding"], n_cases),
            "child_ref": [f"SYN-{v % 10**9:09d}" for v in rng.integers(0, 2**32, n_cases)],
            "audit_date": pd.Timestamp("2021-03-01")
            + pd.to_timedelta(rng.integers(0, 28, n_cases), unit="D"),
            "gender": rng.choice(["Female", "Male"], n_cases),
            "age_band": rng.choice(["0-4", "5-9", "10-15"], n_cases),
            "overall_grade": rng.choice(GRADES, n_cases),
        }
    )
    questions = list(BENCH_QUESTIONS)
    responses = pd.DataFrame(
        {
            "audit_id": np.repeat(ids, len(questions)),
            "question_id": np.tile(questions, n_cases),
            "response": rng.choice(RESPONSES, n_cases * len(questions)),
            "comment": rng.choice(
                ["Clearly evidenced on the case record.", "No evidence found.", ""],
                n_cases * len(questions),
            ),
        }
    )
    return {"cases": cases, "responses": responses}


def workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    """Return the frames as an XLSX workbook, one sheet each, dates as date cells."""
    try:
        import xlsxwriter  # shared strings, as Excel writes; in the test requirements only
    except ImportError:
        return _openpyxl_workbook(frames)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame in frames.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(frame.columns))
        for c, column in enumerate(frame.columns):
            values = frame[column]
            if pd.api.types.is_datetime64_any_dtype(values):
                for r, value in enumerate(values, start=1):
                    sheet.write_datetime(r, c, value.to_pydatetime(), date_format)
            else:
                sheet.write_column(1, c, values.astype(str).tolist())
    book.close()
    return buffer.getvalue()


def _openpyxl_workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, frame in frames.items():
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([v.date() if isinstance(v, pd.Timestamp) else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_sources(frames: dict[str, pd.DataFrame]) -> list[Source]:
    """Return the frames as CSV files named after their tables (cases.csv, responses.csv)."""
    return [
        Source(f"{name}.csv", frame.to_csv(index=False, date_format="%Y-%m-%d").encode())
        for name, frame in frames.items()
    ]


def import_files_for(frames: dict[str, pd.DataFrame], kind: str) -> list[Source]:
    """Return the round as one workbook (kind "xlsx") or as CSV files (kind "csv")."""
    if kind == "xlsx":
        return [Source("bench-round.xlsx", workbook(frames))]
    if kind == "csv":
        return csv_sources(frames)
    raise ValueError(f"unknown kind {kind!r}: xlsx or csv")


def copy_store(source: StoreLocation, destination: Path) -> None:
    """Copy an embedded store: its catalog through SQLite's backup (consistent while others
    write), its data files as hard links where the file system allows (DuckLake never changes
    a data file in place), else as copies."""
    assert source.folder is not None
    destination.mkdir(parents=True)
    with (
        contextlib.closing(sqlite3.connect(source.folder / CATALOG_FILE)) as original,
        contextlib.closing(sqlite3.connect(destination / CATALOG_FILE)) as copy,
    ):
        original.backup(copy)
    files = source.folder / DATA_FOLDER
    for path in sorted(files.rglob("*")) if files.is_dir() else []:
        target = destination / DATA_FOLDER / path.relative_to(files)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:  # another file system, or no hard links here
            shutil.copy2(path, target)


@contextlib.contextmanager
def store_clone(location: str | os.PathLike[str] | StoreLocation) -> Iterator[Path]:
    """Yield a throw-away copy of an embedded store (copy_store), beside it where possible
    (hard links need one file system), else in the system's temporary folder."""
    source = location if isinstance(location, StoreLocation) else parse_location(location)
    if source.folder is None:
        raise AuditDataError(
            f"Only a store folder can be copied; {source.shown()} has its catalog in PostgreSQL."
        )
    try:
        folder = tempfile.TemporaryDirectory(
            prefix=f".{source.folder.name}.bench-", dir=source.folder.parent
        )
    except OSError:  # a read-only parent: copy elsewhere
        folder = tempfile.TemporaryDirectory(prefix="audit-bench-")
    with folder as name:
        clone = Path(name) / "store"
        copy_store(source, clone)
        yield clone


def benchmark_import(
    location: str | os.PathLike[str] | StoreLocation, cases: int = 10_000, kind: str = "xlsx"
) -> float:
    """Return the seconds taken to import a synthetic `cases`-case permanency round (a workbook,
    or CSV files) into a copy of an embedded store; the store itself is never touched."""
    from analytics.ingest import import_files

    where = location if isinstance(location, StoreLocation) else parse_location(location)
    if not is_store(where):
        raise AuditDataError(f"No audit store at {where.shown()} to time an import against.")
    sources = import_files_for(round_frames(cases), kind)
    with store_clone(where) as clone:
        start = time.perf_counter()
        result = import_files(clone, sources, replace=True, actor=local_operator("benchmark"))
        elapsed = time.perf_counter() - start
    if not result.changed:
        raise AuditDataError(f"The benchmark round was not imported: {result.message}")
    return round(elapsed, 2)
