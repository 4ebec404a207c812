"""Assertions on a table as a user reads it on screen (ui/tables.py): words, not field names;
"40%", not 0.4027; "30 Jun 2020", not 2020-06-30; titles, not theme ids; never "None"."""

from __future__ import annotations

import re

SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z]+)+$")
RAW_SHARE = re.compile(r"\d\.\d+%|^0\.\d+$")  # "40.27%" or a share 0-1 written as a number
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UK_DATE = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$")
UK_DATE_TIME = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")
WHOLE_PERCENT = re.compile(r"^\d{1,3}%")


def read_as_words(table, theme_ids: set[str]) -> list[str]:
    """Assert a displayed table reads as words; return its cells."""
    headings = [str(h) for h in table.columns]
    assert not [h for h in headings if SNAKE_CASE.match(h) or h in theme_ids], headings
    cells = [str(v) for v in table.to_numpy().ravel().tolist()]
    assert not [c for c in cells if c in ("None", "nan", "NaN", "NaT", "<NA>") or "None" in c]
    assert not [c for c in cells if RAW_SHARE.search(c) or ISO_DATE.search(c)]
    assert not [c for c in cells if c in theme_ids], "a theme id where its title belongs"
    return cells
