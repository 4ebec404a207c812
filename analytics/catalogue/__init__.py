"""The seed catalogue: themes, rounds, questions, actions and quotes read from the CSV files."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from analytics.lake.catalog import to_arrow

DATE_COLUMNS = {"rounds": ["start_date", "end_date"], "actions": ["due_date"]}
CATALOGUE_TABLES = ("themes", "rounds", "questions", "actions", "quotes")


def read_catalogue_file(name: str) -> pd.DataFrame:
    """Return one catalogue CSV (e.g. "questions", "targets") as a frame of strings and numbers."""
    with resources.files("analytics.catalogue").joinpath(f"{name}.csv").open() as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return frame.replace({"": None})


def catalogue_table(name: str) -> pd.DataFrame:
    """Return a catalogue table in the store's column types (dates parsed, lists split)."""
    frame = read_catalogue_file(name)
    for column in DATE_COLUMNS.get(name, []):
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").dt.date
    if name == "themes":
        frame["sort_order"] = frame["sort_order"].astype("int32")
    if name == "actions":
        frame["question_ids"] = frame["question_ids"].map(
            lambda ids: [] if ids is None else ids.split(";")
        )
    to_arrow(name, frame)  # fails early if the file drifted from the contract
    return frame


def category_order() -> list[str]:
    """Return the known cross-cutting categories in their display order."""
    frame = read_catalogue_file("categories")
    ordered = frame.sort_values("sort_order", key=lambda s: s.astype(int))["category"]
    return [str(category) for category in ordered]
