"""Fixtures for the export tests: a store with hostile text, and one shared image server."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tiny_tables

from analytics.images import image_export_available, stop_image_server
from analytics.store import Store, write_new_store

HOSTILE = '=HYPERLINK("http://example.invalid","x")'


def hostile_tables() -> dict:
    """The tiny store, with text a spreadsheet would run in questions, comments, teams, quotes."""
    tables = tiny_tables()
    questions = tables["questions"].copy()
    questions.loc[questions["question_id"] == "Q1", "text"] = HOSTILE
    questions.loc[questions["question_id"] == "Q2", "text"] = "+SUM(1,2) the child is heard"
    tables["questions"] = questions
    for name in ("cases", "responses"):
        frame = tables[name].copy()
        frame["team"] = frame["team"].map({"T1": "@T1", "T2": "-T2"})
        tables[name] = frame
    responses = tables["responses"].copy()
    responses["comment"] = HOSTILE
    tables["responses"] = responses
    quotes = tables["quotes"].copy()
    quotes["text"] = ["\t=cmd|' /C calc'!A0", "\r@SUM(1)"]
    tables["quotes"] = quotes
    return tables


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    """A tiny store whose question text, comments, teams and quotes start like formulas."""
    data_dir = tmp_path / "hostile"
    write_new_store(data_dir, hostile_tables().items(), {"synthetic": True, "notice": "hostile"})
    return data_dir


@pytest.fixture
def hostile(hostile_dir: Path) -> Store:
    """The hostile store, opened."""
    return Store(hostile_dir)


@pytest.fixture(scope="session")
def image_server():
    """One chromium for every image test (skipped, with the reason, where there is none)."""
    ok, reason = image_export_available()
    if not ok:
        pytest.skip(reason)
    yield
    stop_image_server()
