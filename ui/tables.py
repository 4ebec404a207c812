"""One formatter for every table a user reads on screen.

Exports keep raw numbers (analytics.export); the screen shows words: titles, not ids or field
names; shares as "40%"; dates as "30 Jun 2020"; RAG as a coloured cell that always carries its
word; an em dash (or a column's own words, e.g. "not yet audited") where there is no value; and
column widths chosen so a table fits the page at 1440 px.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from analytics.domain import QUADRANT_LABELS, QUADRANTS, RAG_COLOURS
from analytics.narrative import signed_points

DASH = "—"
KINDS = (
    "text", "title", "count", "percent", "points", "date", "rag", "days", "interval", "met_n",
    "change", "titles",
)  # fmt: skip
NUMERIC_KINDS = frozenset({"count", "percent", "points", "days", "interval", "met_n"})
# Widths in pixels for Streamlit's grid; chosen so the widest table fits at 1440 px.
WIDTHS = {"narrow": 56, "small": 90, "medium": 150, "wide": 220, "widest": 340}
# Streamlit wraps text in a cell only when rows are taller than 4rem (64 px); a line is ~20 px.
LINE_HEIGHT, ROW_PADDING = 20, 8


@dataclass(frozen=True)
class Column:
    """One column a user reads: where its value comes from, its heading, how it is written.

    `source` is a field of the frame, or a pair of fields for "interval" (low, high), "met_n"
    (share, n), "change" (points, verdict) and "rag" (word, days overdue). `width` is a name in
    WIDTHS or pixels. `missing` is written where there is no value.
    """

    source: str | tuple[str, str]
    heading: str
    kind: str = "text"
    width: str | int = "medium"
    help: str | None = None
    missing: str = DASH

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}. Allowed: {', '.join(KINDS)}.")


def _absent(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, str):
        return value.strip() in ("", "None", "nan", "NaN", "<NA>", "NaT")
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def percent(value: Any) -> str:
    """Return a share (0-1) as a whole percentage ("40%"); text (a suppressed "c") unchanged."""
    if not _is_number(value):
        return str(value)
    return f"{float(value) * 100:.0f}%"


def points(value: Any) -> str:
    """Return a change in percentage points, signed ("+5 pts", "−20 pts", "0 pts")."""
    if not _is_number(value):
        return str(value)
    return signed_points(float(value) / 100)  # worded as every title and note words it


def count(value: Any) -> str:
    """Return a count with thousands separators ("1,234")."""
    if not _is_number(value):
        return str(value)
    return f"{round(float(value)):,}"


def date(value: Any) -> str:
    """Return a date as "30 Jun 2020" (a day without a leading zero)."""
    if isinstance(value, str):
        try:
            value = pd.Timestamp(value)
        except ValueError:
            return value
    if isinstance(value, dt.date | pd.Timestamp):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def days(value: Any) -> str:
    """Return a number of days ("1 day", "16 days")."""
    if not _is_number(value):
        return str(value)
    whole = round(float(value))
    return f"{whole:,} day" if whole == 1 else f"{whole:,} days"


def _cell(row: Mapping[str, Any], column: Column, titles: Mapping[str, str]) -> str:
    if column.kind in ("interval", "met_n", "change"):
        first, second = (row.get(s) for s in column.source)
        if _absent(first):
            return column.missing
        if column.kind == "change":
            return points(first) if _absent(second) else f"{points(first)}, {second}"
        if column.kind == "interval":
            if _absent(second):
                return column.missing
            if not (_is_number(first) and _is_number(second)):
                return str(first) if first == second else f"{first}–{second}"
            return f"{float(first) * 100:.0f}–{float(second) * 100:.0f}%"
        return percent(first) if _absent(second) else f"{percent(first)} (n = {count(second)})"
    if column.kind == "rag" and not isinstance(column.source, str):  # (rag, days overdue)
        word, late = (row.get(s) for s in column.source)
        if _absent(word):
            return column.missing
        return str(word) if _absent(late) else f"{word} by {days(late)}"
    value = row.get(column.source)
    if _absent(value):
        return column.missing
    if column.kind == "title":
        return str(titles.get(str(value), value))
    if column.kind == "titles":  # a list of theme ids, or ids joined by ", "
        ids = value.split(", ") if isinstance(value, str) else [str(v) for v in value]
        return "; ".join(titles.get(i, i) for i in ids) or column.missing  # titles hold commas
    if column.kind == "percent":
        return percent(value)
    if column.kind == "points":
        return points(value)
    if column.kind == "count":
        return count(value)
    if column.kind == "date":
        return date(value)
    if column.kind == "days":
        return days(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in value) or column.missing
    return str(value)


def format_rows(
    frame: pd.DataFrame, columns: Sequence[Column], titles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return the table as a user reads it: one text column per Column, under its heading.

    A Column whose fields the frame lacks is left out (a table as circulated drops some).
    """
    titles = titles or {}
    columns = present(frame, columns)
    records = frame.to_dict("records")
    return pd.DataFrame(
        {c.heading: [_cell(r, c, titles) for r in records] for c in columns},
        index=range(len(records)),
        dtype=object,
    )


def present(frame: pd.DataFrame, columns: Sequence[Column]) -> list[Column]:
    """Return the Columns whose fields are all in the frame."""

    def fields(column: Column) -> tuple[str, ...]:
        return (column.source,) if isinstance(column.source, str) else column.source

    return [c for c in columns if all(f in frame.columns for f in fields(c))]


def _text_on(background: str) -> str:
    # Black or white, whichever contrasts more with the background (WCAG relative luminance).
    red, green, blue = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"


def rag_style(text: Any) -> str:
    """Return the CSS of a RAG cell ("Overdue", "Overdue by 3 days"): its colour as background,
    text that contrasts with it."""
    words = [w for w in RAG_COLOURS if str(text) == w or str(text).startswith(f"{w} by ")]
    if not words:
        return ""
    colour = RAG_COLOURS[words[0]]
    return f"background-color: {colour}; color: {_text_on(colour)}"


# Streamlit's badge colours nearest the RAG palette; the word is always written beside the count.
RAG_BADGES = {"Overdue": "red", "Due soon": "orange", "No due date": "gray",
              "On track": "green", "Complete": "blue"}  # fmt: skip


def rag_badges(counts: Mapping[str, int]) -> str:
    """Return the RAG counts as coloured Markdown badges, each with its word ("Overdue: 3")."""
    return " ".join(
        f":{RAG_BADGES.get(rag, 'gray')}-badge[{rag}: {n}]" for rag, n in counts.items()
    )


def column_config(columns: Sequence[Column]) -> dict[str, Any]:
    """Return st.dataframe's column_config: each heading as a text column of its width."""
    return {
        c.heading: st.column_config.TextColumn(
            c.heading,
            width=WIDTHS.get(c.width, c.width) if isinstance(c.width, str) else c.width,
            help=c.help,
            alignment="right" if c.kind in NUMERIC_KINDS else "left",
        )
        for c in columns
    }


def show(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    titles: Mapping[str, str] | None = None,
    key: str | None = None,
    alt: str | None = None,
    lines: int = 3,
) -> pd.DataFrame:
    """Render a table as a user reads it (RAG columns coloured; rows tall enough for `lines` lines
    of text wrapped within its column's width, or one line unwrapped); return what was shown."""
    columns = present(frame, columns)
    shown = format_rows(frame, columns, titles)
    rag = [c.heading for c in columns if c.kind == "rag"]
    data: Any = shown.style.map(rag_style, subset=rag) if rag else shown
    # A keyed box (CSS class st-key-<key>_box) lets the browser test find and measure the table.
    with st.container(key=f"{key}_box" if key else None):
        st.dataframe(
            data,
            hide_index=True,
            column_config=column_config(columns),
            key=key,
            width="stretch",
            row_height=max(LINE_HEIGHT * lines + ROW_PADDING, 68) if lines > 1 else None,
            alt=alt,
        )
    return shown


# --- the tables the pages show ---------------------------------------------------------------
# Widths in pixels add up to at most 960: the main column is 978 px wide at 1440 px with the
# sidebar open (measured in chromium), and cells wrap (show: lines) rather than overflow.

_QUADRANT_CASES = [
    Column(q, q, "count", 48, help=f"Cases audited in {QUADRANT_LABELS[q]}") for q in QUADRANTS
]
_MET_HELP = "Share of the applicable standards met; n counts the applicable answers"
_CHANGE_HELP = (
    "Since the theme's previous round, in percentage points; 'beyond chance' when Fisher's "
    "exact test, at the case level, gives p < 0.05"
)


def overview_columns(selection: str | None = None) -> list[Column]:
    """Return the overview's theme table; with quadrants chosen (`selection`, e.g. "NE"), the
    county's figures and then the selection's own take the place of the cases by quadrant."""
    met, change = ("County: met (n)", "County: change") if selection else ("Met (n)", "Change")
    figures = [
        Column(("pct_met", "n"), met, "met_n", 120, help=_MET_HELP, missing="not yet audited"),
        Column(("change_pts", "change"), change, "change", 120, help=_CHANGE_HELP),
    ]
    if selection is None:
        return [
            Column("theme", "Theme", width=210),
            Column("status", "Status", width=90),
            Column("round", "Round", width=140, help="Latest audited round, or the next planned"),
            Column("cases", "Cases", "count", 60),
            *_QUADRANT_CASES,
            *figures,
        ]
    return [
        Column("theme", "Theme", width=170),
        Column("status", "Status", width=90),
        Column("round", "Round", width=120, help="Latest audited round, or the next planned"),
        *figures,
        Column("selection_cases", f"{selection}: cases", "count", 80),
        Column(("selection_pct_met", "selection_n"), f"{selection}: met (n)", "met_n",
               120, help=_MET_HELP),
        Column(("selection_change_pts", "selection_change"), f"{selection}: change", "change",
               120, help=_CHANGE_HELP),
    ]  # fmt: skip


_RAG = Column(("rag", "days_overdue"), "RAG", "rag", 110,
              help="Red, amber, green: the status against the as-of date")  # fmt: skip
_THEME_OF_ACTION = Column("theme_id", "Theme", "title", 130)
_OWNER = Column("owner", "Owner", width=100)
_DUE = Column("due_date", "Due", "date", 90, missing="no due date")
_STATUS = Column("status", "Status", width=90)
_BEFORE = Column(("pct_met_before", "n_before"), "Met before (n)", "met_n", 100,
                 help="Share of answers meeting the linked standards in the theme's first "
                 "audited round")  # fmt: skip
_AFTER = Column(("pct_met_after", "n_after"), "Met after (n)", "met_n", 100,
                help="The same in the theme's latest audited round")  # fmt: skip

URGENT_ACTIONS = [
    _RAG, _THEME_OF_ACTION, Column("text", "Action", width=340), _OWNER, _DUE, _STATUS,
]  # fmt: skip
TRACKED_ACTIONS = [
    _RAG, _THEME_OF_ACTION, Column("text", "Action", width=240), _OWNER, _DUE, _STATUS, _BEFORE,
    _AFTER,
]  # fmt: skip
THEME_ACTIONS = [
    Column("kind", "Type", width=110), Column("text", "Action", width=260), _OWNER, _DUE,
    _STATUS, _RAG, _BEFORE, _AFTER,
]  # fmt: skip
PLANNED_ROUNDS = [
    Column("label", "Round", width="wide"),
    Column("start_date", "Starts", "date", "small"),
    Column("end_date", "Ends", "date", "small"),
    Column("status", "Status", width="small"),
]
RECURRING_WEAKNESSES = [
    Column("category", "Practice area", width="wide"),
    Column("weak_themes", "Themes under 50% met", "count", "medium"),
    Column("themes", "Which themes", "titles", "widest"),
    Column(("pct_met", "n"), "Met, all themes (n)", "met_n", "medium", help=_MET_HELP),
]
STORE_CONTENTS = [
    Column("theme_id", "Theme", "title", "wide"),
    Column("label", "Round", width="medium"),
    Column("round_id", "Round id", width="medium", help="What --round and the URL take"),
    Column("status", "Status", width="small"),
    Column("start_date", "Starts", "date", "small"),
    Column("end_date", "Ends", "date", "small"),
    Column("cases", "Cases", "count", "small"),
    Column("responses", "Responses", "count", "small"),
]
THEMES = [
    Column("title", "Theme", width="wide"),
    Column("theme_id", "Theme id", width="medium", help="What --theme and the page address take"),
    Column("status", "Status", width="small"),
    Column("lead", "Led by", width="medium"),
]


def _withheld(threshold: int | None, *counts: Any) -> bool:
    # For circulation: a share resting on a count from 1 to threshold - 1 is not shown.
    if threshold is None:
        return False
    return any(not _absent(c) and 0 < int(c) < threshold for c in counts)


def share_with_interval(
    row: Mapping[str, Any], prefix: str = "", threshold: int | None = None
) -> str:
    """Return a row's `{prefix}pct_met` as "30% met (n = 120 answers, 15 cases; 95% interval
    22–40%)" (fields pct_met, n, met, cases, ci_low, ci_high), or why it is not shown."""
    pct_met, n, met, cases = (row.get(prefix + f) for f in ("pct_met", "n", "met", "cases"))
    if _absent(pct_met) or _absent(n):
        return "no answers"
    if _withheld(threshold, n, met, int(n) - int(met), cases):
        return "figures withheld for circulation (a small count)"
    interval = _cell(row, Column((prefix + "ci_low", prefix + "ci_high"), "", "interval"), {})
    return (
        f"{percent(pct_met)} met (n = {count(n)} answers, {count(cases)} cases; "
        f"95% interval {interval})"
    )


def export_column_config(table: pd.DataFrame) -> dict[str, Any]:
    """Return column_config for a chart's data table as exported (pct 0-100 numbers): shown as
    whole percentages and signed points, the numbers kept so the columns still sort."""
    config: dict[str, Any] = {}
    for heading in table.columns:
        if not pd.api.types.is_numeric_dtype(table[heading]):
            continue  # a column holding a suppressed "c" is text
        text = str(heading)
        if text.startswith("Change"):
            config[heading] = st.column_config.NumberColumn(format="%+.0f pts")
        elif text.startswith(("pct", "95% CI")):
            config[heading] = st.column_config.NumberColumn(format="%.0f%%")
    return config
