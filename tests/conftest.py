"""Shared fixtures: a tiny hand-made store, the generated sample store, and the AppTest fix."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from services import postgres_database, postgres_service, s3_bucket, s3_service  # noqa: F401

from analytics.generate import generate_store
from analytics.lake.catalog import Lake
from analytics.store import Store, write_new_store

# pytest's own __main__, put back after each test (see below).
_PYTEST_MAIN = sys.modules["__main__"]


@pytest.fixture(autouse=True)
def _main_module_put_back() -> Iterator[None]:
    # AppTest.from_function runs its generated script as __main__ and leaves it there; a child
    # process started with "spawn" later re-runs __main__ from its path, that script, and fails
    # (a NameError) before it runs its target: the multi-process store tests would hang on it.
    yield
    sys.modules["__main__"] = _PYTEST_MAIN


D = dt.date


def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A store small enough to compute every expected number by hand (see tests/README.md)."""
    themes = _frame(
        "theme_id title status lead scope sort_order",
        [
            ("alpha", "Alpha theme", "complete", "Leads", "Test cohort", 1),
            ("beta", "Beta theme", "planned", "Team", "Underway", 2),
        ],
    ).astype({"sort_order": "int32"})
    rounds = _frame(
        "theme_id round_id label start_date end_date status",
        [
            ("alpha", "r1", "Round one", D(2020, 1, 1), D(2020, 1, 31), "complete"),
            ("alpha", "r2", "Round two", D(2020, 4, 1), D(2020, 4, 30), "complete"),
            ("alpha", "r3", "Re-audit", D(2020, 10, 1), D(2020, 10, 31), "planned"),
            ("beta", "b1", "Underway", D(2020, 5, 1), D(2020, 9, 30), "planned"),
        ],
    )
    questions = _frame(
        "theme_id question_id text category seed_finding",
        [
            ("alpha", "Q1", "Visits are timely", "Timeliness", "Visits were timely."),
            ("alpha", "Q2", "The child is heard", "Voice of the child", "Voice not always heard."),
        ],
    )
    case_rows = [
        # audit_id, round, quadrant, team, gender, age band, grade
        ("A1", "r2", "NW", "T1", "Female", "0-4", "Good"),
        ("A2", "r2", "NW", "T2", "Male", "5-9", "Requires improvement"),
        ("A3", "r2", "NE", "T1", "Female", "0-4", "Inadequate"),
        ("A4", "r2", "SW", "T1", "Female", "0-4", "Requires improvement"),
        ("B1", "r1", "NW", "T1", "Male", "5-9", "Inadequate"),
        ("B2", "r1", "NE", "T1", "Female", "0-4", "Inadequate"),
    ]
    cases = pd.DataFrame(
        [
            {
                "audit_id": a,
                "theme_id": "alpha",
                "round_id": r,
                "quadrant": q,
                "team": t,
                "child_ref": f"SYN-{a}",
                "audit_date": D(2020, 4, 2) if r == "r2" else D(2020, 1, 2),
                "gender": g,
                "age_band": b,
                "overall_grade": grade,
            }
            for a, r, q, t, g, b, grade in case_rows
        ]
    )
    where = {a: (r, q, t) for a, r, q, t, *_ in case_rows}
    answer_rows = [
        ("A1", "Q1", "Met"), ("A2", "Q1", "Not met"), ("A3", "Q1", "Met"),
        ("A4", "Q1", "Partially met"),
        ("A1", "Q2", "Not applicable"), ("A2", "Q2", "Met"), ("A3", "Q2", "Not met"),
        ("A4", "Q2", "Not met"),
        ("B1", "Q1", "Not met"), ("B2", "Q1", "Not met"),
        ("B1", "Q2", "Met"), ("B2", "Q2", "Not met"),
    ]  # fmt: skip
    responses = pd.DataFrame(
        [
            {
                "audit_id": a,
                "theme_id": "alpha",
                "round_id": where[a][0],
                "question_id": q,
                "response": resp,
                "comment": f"comment {a}-{q}",
                "quadrant": where[a][1],
                "team": where[a][2],
            }
            for a, q, resp in answer_rows
        ]
    )
    actions = _frame(
        "action_id theme_id kind text outcome owner due_date status question_ids",
        [
            ("X1", "alpha", "action", "Fix visits", "Timely", "SM", D(2020, 4, 15), "in progress", ["Q1"]),
            ("X2", "alpha", "action", "Both", "Better", "TM", D(2020, 5, 20), "not started", ["Q1", "Q2"]),
            ("X3", "alpha", "action", "Later", "Later", "SM", D(2020, 7, 1), "in progress", []),
            ("X4", "alpha", "action", "Done", "Done", "TM", D(2020, 3, 1), "complete", []),
            ("X5", "beta", "recommendation", "Undated", "Some", "QA", None, "not started", []),
        ],
    )  # fmt: skip
    quotes = _frame(
        "quote_id theme_id round_id quadrant role text",
        [
            ("QT1", "alpha", "r2", "NE", "Team Manager", "*Not markdown* <b>nor html</b>"),
            ("QT2", "alpha", "r2", None, "Practitioner", "County-wide view."),
        ],
    )
    return {
        "themes": themes,
        "rounds": rounds,
        "questions": questions,
        "cases": cases,
        "responses": responses,
        "actions": actions,
        "quotes": quotes,
    }


@pytest.fixture(scope="session")
def _tiny_original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("tiny-original") / "tiny"
    write_new_store(data_dir, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})
    return data_dir


@pytest.fixture
def tiny_dir(tmp_path: Path, _tiny_original: Path) -> Path:
    """A fresh copy of the tiny hand-made store (copied: a store works wherever it is copied,
    and a copy takes milliseconds where writing one takes a second)."""
    data_dir = tmp_path / "tiny"
    shutil.copytree(_tiny_original, data_dir)
    return data_dir


@pytest.fixture
def tiny(tiny_dir: Path) -> Store:
    """The tiny hand-made store, opened."""
    return Store(tiny_dir)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The synthetic sample store, generated once per test session. Shared: tests that import,
    export (which records in the audit trail) or otherwise write work on a copy."""
    data_dir = tmp_path_factory.mktemp("sample") / "data"
    generate_store(data_dir)
    made = _latest_snapshot(data_dir)
    yield data_dir
    assert _latest_snapshot(data_dir) == made, "a test wrote to the shared sample store"


def _latest_snapshot(data_dir: Path) -> int:
    lake = Lake(data_dir)
    try:
        return lake.latest_snapshot()
    finally:
        lake.close()


@pytest.fixture(scope="session")
def sample(sample_dir: Path) -> Store:
    """The synthetic sample store, opened once per test session."""
    return Store(sample_dir)


@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's chromium driven by Playwright, one per test module (never a downloaded one)."""
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
