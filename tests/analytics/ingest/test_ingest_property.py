"""Property: random cells never crash the importer, and a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import (
    ANALYST,
    ROUND,
    csvs,
    good,
    tree_hashes,
    xlsx,
)

from analytics import ingest
from analytics.errors import ImportRefused
from analytics.ingest import Source
from analytics.store import Store, write_new_store

# --- property: random cells never crash the importer ------------------------------------------

# INGEST_EXAMPLES=2000 for a long run; the default keeps the suite quick.
EXAMPLES = int(os.environ.get("INGEST_EXAMPLES", "50"))
CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["NW", "Met", "Good", "alpha", "Q1", "r9", "2021-03-05", "5-9", "N1", ""]),
    st.integers(-(10**12), 10**12),
    st.floats(allow_infinity=False, allow_nan=False),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.booleans(),
)


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("tiny-template") / "tiny"
    write_new_store(data_dir, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})
    return data_dir


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cells=st.lists(CELL, min_size=18, max_size=18), as_csv=st.booleans())
def test_random_cells_import_or_are_refused_never_crash(tiny_template, cells, as_csv):
    tables = good()
    case_columns = ["audit_id", "quadrant", "audit_date", "round_id", "theme_id", "overall_grade"]
    for i, column in enumerate(case_columns):
        tables["cases"][column] = tables["cases"][column].astype(object)
        tables["cases"].loc[i % 4, column] = cells[i]
    for i, column in enumerate(["audit_id", "question_id", "response", "comment"] * 3):
        tables["responses"][column] = tables["responses"][column].astype(object)
        tables["responses"].loc[i % 8, column] = cells[6 + i]
    files = csvs(tables) if as_csv else [xlsx({k: v.map(excel_safe) for k, v in tables.items()})]

    def ten_cases(data_dir: Path) -> None:
        assert Store(data_dir).query("SELECT count(*) AS n FROM cases")["n"][0] == 10

    imported_all_or_nothing(tiny_template, files, ten_cases)


def imported_all_or_nothing(template: Path, files, loaded=None) -> None:
    """Import the files into a fresh copy of the store: either they load (then `loaded(copy)`
    may check it), or they are refused with every problem named and fixable, and the copy is
    byte for byte as before."""
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "store"
        shutil.copytree(template, data_dir)
        before = tree_hashes(data_dir)
        try:
            result = ingest.import_files(data_dir, files, actor=ANALYST)
        except ImportRefused as refusal:
            assert len(refusal.problems) and tree_hashes(data_dir) == before
            assert refusal.problems["fix"].str.len().min() > 10
            return
        assert result.changed
        if loaded is not None:
            loaded(data_dir)


def excel_safe(value: object) -> object:
    """Return text as a workbook stores it: control characters escaped as _xHHHH_ (the reader
    turns them back), which is how Excel keeps them."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


# Text with control characters, line breaks and the like (no lone surrogates: not text at all).
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
HEADER = st.one_of(
    ANY_TEXT,
    st.sampled_from(["audit_id", "Audit ID", "QUADRANT", "DateOfBirth", "team_name", "", "Notes",
                     "question_id", "text", "start_date", "AuditID", "x\ny"]),
)  # fmt: skip
SHEET_NAME = st.one_of(
    st.sampled_from(["cases", "Cases ", "CASES", "responses", "Responses", "rounds", "questions",
                     "lists", "cases (2)", "Sheet1"]),
    st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs", "Pd")), max_size=20),
).filter(lambda name: name.strip() != "")  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    headers=st.lists(HEADER, min_size=4, max_size=4),
    names=st.lists(SHEET_NAME, min_size=4, max_size=4, unique_by=lambda n: n.strip().lower()),
    cells=st.lists(st.one_of(CELL, ANY_TEXT), min_size=8, max_size=8),
    as_csv=st.booleans(),
)
def test_random_headers_sheet_names_and_optional_sheets_never_crash(
    tiny_template, headers, names, cells, as_csv
):
    tables = good() | {
        "rounds": pd.DataFrame([ROUND | {"start_date": "2021-03-01", "end_date": "2021-03-31"}]),
        "questions": pd.DataFrame([{"theme_id": "alpha", "question_id": "Q3", "text": "New",
                                    "category": "Timeliness"}]),
    }  # fmt: skip
    for i, (table, frame) in enumerate(list(tables.items())):
        frame = frame.astype(object)
        columns = list(frame.columns)
        columns[i % len(columns)] = headers[i]
        frame.columns = columns
        frame.iloc[0, (i + 1) % len(columns)] = cells[2 * i]
        frame.iloc[-1, (i + 2) % len(columns)] = cells[2 * i + 1]
        tables[table] = frame
    renamed = dict(zip(names, tables.values(), strict=True))
    if as_csv:
        files = [Source(f"{name}.csv", frame.to_csv(index=False).encode())
                 for name, frame in renamed.items()]  # fmt: skip
    else:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            for name, frame in renamed.items():
                safe = frame.map(excel_safe)
                safe.columns = [excel_safe(str(c)) for c in frame.columns]
                safe.to_excel(writer, sheet_name=name[:31], index=False)
        files = [Source("round.xlsx", buffer.getvalue())]
    imported_all_or_nothing(tiny_template, files)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=2000), name=st.sampled_from(["round.xlsx", "cases.csv", "x.bin"]))
def test_random_bytes_are_refused_never_crash(tiny_template, data, name):
    result = ingest.preview(tiny_template, [Source(name, data)])
    assert not result.ok and len(result.problems)
