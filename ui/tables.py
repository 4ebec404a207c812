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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from analytics.charts import PROFILE_DIMENSIONS
from analytics.domain import COUNTY, QUADRANT_LABELS, QUADRANTS, RAG_COLOURS
from analytics.export.cases import CASE_LIST_COLUMNS
from analytics.narrative import signed_points
from ui import screen

DASH = "—"
KINDS = (
    "text", "title", "count", "percent", "points", "date", "datetime", "rag", "days", "interval",
    "met_n", "change", "titles", "theme_rounds", "of", "with",
)  # fmt: skip
NUMERIC_KINDS = frozenset({"count", "percent", "points", "days", "interval", "met_n", "of"})
# Widths in pixels for Streamlit's grid; chosen so the widest table fits at 1440 px.
WIDTHS = {"narrow": 56, "small": 90, "medium": 150, "wide": 220, "widest": 340}
# A phone's column: a table's key columns share it.
PHONE_WIDTH = 340
PHONE_FIXED_MAX, PHONE_MIN_WIDTH = 120, 80
# Streamlit wraps text in a cell only when rows are taller than 4rem (64 px); a line is ~20 px.
LINE_HEIGHT, ROW_PADDING = 20, 8


@dataclass(frozen=True)
class Column:
    """One column a user reads: where its value comes from, its heading, how it is written.

    `source` is a field of the frame, or a pair of fields for "interval" (low, high), "met_n"
    (share, n), "change" (points, verdict), "rag" (word, days overdue), "of" (part, whole: "40
    of 80") and "with" (text, its qualifier: "done (imp-0001)"). `width` is a name in
    WIDTHS or pixels. `missing` is written where there is no value. `phone`: shown in a narrow
    (phone) column too; the others are left to a wider screen and the table's exports.
    """

    source: str | tuple[str, str]
    heading: str
    kind: str = "text"
    width: str | int = "medium"
    help: str | None = None
    missing: str = DASH
    phone: bool = True

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


def _parsed(value: Any) -> Any:
    # An ISO text becomes a timestamp; any other text is shown as it is.
    if isinstance(value, str):
        try:
            return pd.Timestamp(value)
        except ValueError:
            return value
    return value


def date(value: Any) -> str:
    """Return a date as "30 Jun 2020" (a day without a leading zero)."""
    value = _parsed(value)
    if isinstance(value, dt.date | pd.Timestamp):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def date_time(value: Any) -> str:
    """Return a moment as "30 Jun 2020, 14:05"."""
    value = _parsed(value)
    if isinstance(value, dt.datetime | pd.Timestamp):
        return f"{date(value)}, {value:%H:%M}"
    return date(value)


def days(value: Any) -> str:
    """Return a number of days ("1 day", "16 days")."""
    if not _is_number(value):
        return str(value)
    whole = round(float(value))
    return f"{whole:,} day" if whole == 1 else f"{whole:,} days"


def _cell(row: Mapping[str, Any], column: Column, titles: Mapping[str, str]) -> str:
    if column.kind in ("interval", "met_n", "change", "of", "with"):
        first, second = (row.get(s) for s in column.source)
        if _absent(first):
            return column.missing
        if column.kind == "of":
            return f"{count(first)} of {count(second)}"
        if column.kind == "with":
            return str(first) if _absent(second) else f"{first} ({second})"
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
    if column.kind == "theme_rounds":  # "theme/round, theme/round" -> "Title / round; ..."
        pairs = [p.partition("/") for p in str(value).split(", ")]
        return "; ".join(
            f"{titles.get(t, t)} / {r}" if r else titles.get(t, t) for t, _, r in pairs
        )
    if column.kind == "percent":
        return percent(value)
    if column.kind == "points":
        return points(value)
    if column.kind == "count":
        return count(value)
    if column.kind == "date":
        return date(value)
    if column.kind == "datetime":
        return date_time(value)
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
RAG_BADGES = {"Overdue": "red", "Delayed": "orange", "Due soon": "orange", "No due date": "gray",
              "On track": "green", "Complete": "blue"}  # fmt: skip


def rag_badges(counts: Mapping[str, int]) -> str:
    """Return the RAG counts as coloured Markdown badges, each with its word ("Overdue: 3")."""
    return " ".join(
        f":{RAG_BADGES.get(rag, 'gray')}-badge[{rag}: {n}]" for rag, n in counts.items()
    )


def width_px(column: Column) -> int:
    """Return a column's width in pixels."""
    return int(WIDTHS[column.width] if isinstance(column.width, str) else column.width)


def for_phone(columns: Sequence[Column]) -> list[Column]:
    """Return a table's key columns (phone=True) sharing a phone's column: the narrow ones (a
    figure, a date) keep their width, the wide ones (words) share what is left."""
    kept = [c for c in columns if c.phone]
    fixed = sum(width_px(c) for c in kept if width_px(c) <= PHONE_FIXED_MAX)
    wide = sum(width_px(c) for c in kept if width_px(c) > PHONE_FIXED_MAX) or 1
    left = max(PHONE_WIDTH - fixed, 0)
    return [
        c
        if width_px(c) <= PHONE_FIXED_MAX
        else replace(c, width=max(PHONE_MIN_WIDTH, width_px(c) * left // wide))
        for c in kept
    ]


def column_config(columns: Sequence[Column]) -> dict[str, Any]:
    """Return st.dataframe's column_config: each heading as a text column of its width."""
    return {
        c.heading: st.column_config.TextColumn(
            c.heading,
            width=width_px(c),
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
    of text wrapped within its column's width, or one line unwrapped); return what was shown.
    In a narrow (phone) column, only its key columns (Column.phone)."""
    full = columns
    columns = present(frame, columns)
    narrow = screen.narrow()
    if narrow:
        columns = for_phone(columns)
        lines = max(lines * 2, 4)  # narrower cells wrap onto more lines
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
    if narrow and len(columns) < len(present(frame, full)):
        st.caption("The key columns: a wider screen shows every column.")
    return shown


# --- the tables the pages show ---------------------------------------------------------------
# Widths in pixels add up to at most 960, chosen when the main column was 978 px wide beside a
# sidebar at 1440 px (it is 1,240 px now, measured in chromium at 1,400); cells wrap (show:
# lines) rather than overflow. On a phone, a table's key columns share 340 px (for_phone).

_QUADRANT_CASES = [
    Column(q, q, "count", 48, help=f"Cases audited in {QUADRANT_LABELS[q]}", phone=False)
    for q in QUADRANTS
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
        Column(("pct_met", "n"), met, "met_n", 120, help=_MET_HELP, missing="no results"),
        # With a selection, a phone keeps the county's and the selection's shares only.
        Column(("change_pts", "change"), change, "change", 120, help=_CHANGE_HELP,
               phone=selection is None),
    ]  # fmt: skip
    if selection is None:
        return [
            Column("theme", "Theme", width=210),
            Column("status", "Status", width=90, phone=False),
            Column(
                "round",
                "Round",
                width=140,
                help="Latest audited round, or the next planned",
                phone=False,
            ),
            Column("cases", "Cases", "count", 60, phone=False),
            *_QUADRANT_CASES,
            *figures,
        ]
    return [
        Column("theme", "Theme", width=170),
        Column("status", "Status", width=90, phone=False),
        Column("round", "Round", width=120, help="Latest audited round, or the next planned",
               phone=False),
        *figures,
        Column("selection_cases", f"{selection}: cases", "count", 80, phone=False),
        Column(("selection_pct_met", "selection_n"), f"{selection}: met (n)", "met_n",
               120, help=_MET_HELP),
        Column(("selection_change_pts", "selection_change"), f"{selection}: change", "change",
               120, help=_CHANGE_HELP, phone=False),
    ]  # fmt: skip


_RAG = Column(("rag", "days_overdue"), "RAG", "rag", 110,
              help="Red, amber, green: the status against the as-of date")  # fmt: skip
_THEME_OF_ACTION = Column("theme_id", "Theme", "title", 130)
_OWNER = Column("owner", "Owner", width=100, phone=False)
_DUE = Column("due_date", "Due", "date", 90, missing="no due date")
_STATUS = Column("status", "Status", width=90, phone=False)
_BEFORE = Column(("pct_met_before", "n_before"), "Met before (n)", "met_n", 100, phone=False,
                 help="Share of answers meeting the linked standards in the theme's first "
                 "audited round")  # fmt: skip
_AFTER = Column(("pct_met_after", "n_after"), "Met after (n)", "met_n", 100, phone=False,
                help="The same in the theme's latest audited round")  # fmt: skip

# On a phone: the RAG (which says how late), the theme and the action.
_DUE_ON_WIDE = replace(_DUE, phone=False)
URGENT_ACTIONS = [
    _RAG, _THEME_OF_ACTION, Column("text", "Action", width=340), _OWNER, _DUE_ON_WIDE, _STATUS,
]  # fmt: skip
TRACKED_ACTIONS = [
    _RAG, _THEME_OF_ACTION, Column("text", "Action", width=240), _OWNER, _DUE_ON_WIDE, _STATUS,
    _BEFORE, _AFTER,
]  # fmt: skip
THEME_ACTIONS = [
    Column("kind", "Type", width=110, phone=False), Column("text", "Action", width=260),
    _OWNER, _DUE, _STATUS, _RAG, _BEFORE, _AFTER,
]  # fmt: skip
PLANNED_ROUNDS = [
    Column("label", "Round", width="wide"),
    Column("start_date", "Starts", "date", "small"),
    Column("end_date", "Ends", "date", "small"),
    Column("status", "Status", width="small", phone=False),
]
RECURRING_WEAKNESSES = [
    Column("category", "Practice area", width="wide"),
    Column("weak_themes", "Themes under 50% met", "count", "medium"),
    Column("themes", "Which themes", "titles", "widest", phone=False),
    Column(("pct_met", "n"), "Met, all themes (n)", "met_n", "medium", help=_MET_HELP),
]
STORE_CONTENTS = [
    Column("theme_id", "Theme", "title", "wide"),
    Column("label", "Round", width="medium"),
    Column("round_id", "Round id", width=140, help="What --round and the URL take", phone=False),
    Column("status", "Status", width="small", phone=False),
    Column("start_date", "Starts", "date", "small", phone=False),
    Column("end_date", "Ends", "date", "small", phone=False),
    Column("cases", "Cases", "count", "small"),
    Column("responses", "Responses", "count", "small", phone=False),
]
THEMES = [
    Column("title", "Theme", width="wide"),
    Column(
        "theme_id",
        "Theme id",
        width="medium",
        help="What --theme and the page address take",
        phone=False,
    ),
    Column("status", "Status", width="small"),
    Column("lead", "Led by", width="medium", phone=False),
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


# --- the drill-down's list of cases (app_pages/theme.py) ---------------------------------------
# Headed as in its CSV/XLSX (analytics.export.cases); the audit id (an analyst's key) is in the
# exports only.
_CASE_HEADING = dict(CASE_LIST_COLUMNS)
CASE_LIST = [
    Column("child_ref", _CASE_HEADING["child_ref"], width=120),
    Column("quadrant", _CASE_HEADING["quadrant"], width="narrow", phone=False),  # in the caption
    Column("team", _CASE_HEADING["team"], width="small", phone=False),
    Column("audit_date", _CASE_HEADING["audit_date"], "date", "small", phone=False),
    Column("response", _CASE_HEADING["response"], width=100),
    Column("comment", _CASE_HEADING["comment"], width="widest"),
    Column("overall_grade", _CASE_HEADING["overall_grade"], width="medium", phone=False),
]


def area_label(area: str) -> str:
    """Return a drill-down area in words: the county, a quadrant, or the filter bar's selection."""
    if area == COUNTY:
        return "County (all quadrants)"
    if "+" in area:
        return f"{area.replace('+', ' and ')} (the selection)"
    return f"{area} · {QUADRANT_LABELS[area]}"


# --- the Data page (app_pages/data.py, ui/importing.py) ---------------------------------------
# The contract's tables sit in an expander, 16 px narrower: theirs add up to at most 940.

_THEME = Column("theme_id", "Theme", "title", 200)
_ROUND_ID = Column("round_id", "Round id", width=110, help="What --round and the URL take")
CONTRACT_TABLES = [
    Column("table", "Table", width=110),
    Column("one row per", "One row per", width=200),
    Column("columns", "Columns", width=540),
    Column("stored as", "Stored as", width="small"),
]
CONTRACT_SHEETS = [
    Column("sheet", "Sheet", width=120),
    Column("needed", "Needed", width="small"),
    Column("one row is", "One row is", width=560),
]
CONTRACT_COLUMNS = [
    Column("sheet", "Sheet", width=100),
    Column("column", "Column", width="medium"),
    Column("needed", "Needed", width=120),
    Column("holds", "Holds", width=320),
    Column("allowed values", "Allowed values", width=250),
]
CONTRACT_VALUES = [
    Column("column", "Column", width="medium"),
    Column("allowed values", "Allowed values", width=700),
]
PREVIEW_COUNTS = [
    Column("what", "What", width="wide"),
    Column("rows", "Rows", "count", "small"),
]
PREVIEW_ROUNDS = [
    _THEME,
    _ROUND_ID,
    Column("label", "Round", width=130),
    Column("start_date", "Starts", "date", "small"),
    Column("end_date", "Ends", "date", "small"),
    Column("status", "Status", width="small"),
    Column("cases", "Cases", "count", 70),
    Column("change", "Change", width=160),
]
PREVIEW_QUADRANTS = [
    _THEME,
    _ROUND_ID,
    *(Column(q, q, "count", 60, help=f"Cases in {QUADRANT_LABELS[q]}") for q in QUADRANTS),
    Column("total", "Total", "count", 70),
]
PREVIEW_QUESTIONS = [
    Column("theme_id", "Theme", "title", "medium"),
    Column("question_id", "Question", width="small"),
    Column("text", "Standard", width="widest"),
    Column("category", "Practice area", width="medium"),
    Column("seed_finding", "Seed finding", width=130),
    Column("change", "Change", width=100),
]
PREVIEW_THEMES = [_THEME, Column("status", "Status", width="small"),
                  Column("change", "Change", width="medium")]  # fmt: skip
COMPLETENESS = [
    _THEME,
    _ROUND_ID,
    Column("cases", "Cases", "count", 70),
    Column("standards", "Standards per case", "count", 130),
    Column(("answered", "expected"), "Answered", "of", 120, help="Standards answered, of all"),
    Column("answered_share", "Share answered", "percent", 110),
    Column("complete", "Complete", width="medium"),
]
FEWEST_ANSWERED = [
    Column("child_ref", "Case reference", width="medium"),
    Column("audit_id", "Audit id", width="medium"),
    _THEME,
    _ROUND_ID,
    Column(("answered", "standards"), "Answered", "of", 120, help="Standards answered, of all"),
]
# A refused file's problems; a value that looks like personal data arrives masked.
PROBLEMS = [
    Column("sheet", "Sheet", width=80),
    Column("row", "Row", "count", 60, help="The row in the sheet; none for a whole column"),
    Column("column", "Column", width=130),
    Column("value", "Value", width=130),
    Column("rule", "Rule", width=280),
    Column("fix", "How to fix it", width=280),
]
IMPORT_HISTORY = [
    Column("import_id", "Import", width=80),
    Column("imported_at", "Imported (UTC)", "datetime", 120),
    Column("user", "By", width=120),
    Column("file_name", "File", width=120),
    Column("cases", "Cases", "count", 60),
    Column("responses", "Responses", "count", 80),
    Column("theme_rounds", "Rounds", "theme_rounds", 150),
    Column("replaced", "Replaced", width=80),
    Column("state", "State", width=90),
    Column("can_undo", "Can undo", width=60),
]
AUDIT_TRAIL = [
    Column("at", "At (UTC)", "datetime", 100),
    Column(("user", "role"), "By (role)", "with", 130),
    Column("action", "Action", width=80),
    Column("what", "What", width=110),
    Column("theme_id", "Theme", "title", 110),
    Column("round_id", "Round id", width=80),
    Column("quadrants", "Quadrants", width=70),
    Column("teams", "Teams", width=70),
    Column("mode", "Mode", width=80),
    Column(("outcome", "detail"), "Outcome", "with", 130),
]


# --- the data behind a chart (ui/render.py) ---------------------------------------------------
# The screen's headings and kinds; the exported CSV/XLSX keep their own (analytics.export) and
# every field. In an expander: widths add up to at most 940.

_QUESTION = Column("question_id", "Question", width=80, phone=False)
_CATEGORY = Column("category", "Practice area", width=120, phone=False)
_MET = Column(("pct_met", "n"), "Met (n)", "met_n", 110, help=_MET_HELP)
_INTERVAL = Column(("ci_low", "ci_high"), "95% interval", "interval", 90, phone=False,
                   help="Wilson 95% interval of the share met")  # fmt: skip
_AREA = Column("quadrant", "Area", width="narrow")
CHART_DATA: dict[str, list[Column]] = {
    "quadrant_comparison": [
        _QUESTION, Column("text", "Standard", width=250), _CATEGORY, _AREA, _MET, _INTERVAL,
        Column("met", "Met", "count", 60, help="Answers met", phone=False),
        Column("partially_met", "Partially met", "count", 80, help="Answers partially met",
               phone=False),
        Column("not_met", "Not met", "count", 64, help="Answers not met", phone=False),
    ],
    "finding_frequency": [
        Column("rank", "Rank", "count", 50, phone=False), Column("scope", "Scope", width="small"),
        _QUESTION, Column("text", "Standard", width=250), _CATEGORY,
        Column(("pct_not_met", "n"), "Not met (n)", "met_n", 110,
               help="Share of the applicable answers not met"),
        Column(("ci_not_met_low", "ci_not_met_high"), "95% interval", "interval", 90,
               help="Wilson 95% interval of the share not met", phone=False),
        Column("pct_partially_met", "Partially met", "percent", 80, phone=False),
        Column("pct_met", "Met", "percent", 60, phone=False),
    ],
    "round_trend": [  # the intervals and the test's p-value are in the exports
        _QUESTION, Column("text", "Standard", width=290),
        Column("round_from", "From round", width=100, phone=False),
        Column(("pct_met_from", "n_from"), "Met then (n)", "met_n", 110, help=_MET_HELP,
               phone=False),  # the change says it
        Column("round_to", "To round", width=100, phone=False),
        Column(("pct_met_to", "n_to"), "Met now (n)", "met_n", 110, help=_MET_HELP),
        Column(("change_pts", "verdict"), "Change", "change", 140, help=_CHANGE_HELP),
    ],
    "cohort_profile": [
        Column("dimension", "Of", width="medium"),
        Column("value", "Group", width="medium"),
        Column("cases", "Cases", "count", 70),
        Column("share", "Share of cases", "percent", 110),
    ],
    "category_matrix": [
        Column("category", "Practice area", width="wide"),
        Column("theme_id", "Theme", "title", "wide"), _AREA, _MET, _INTERVAL,
    ],
    "category_by_quadrant": [
        Column("category", "Practice area", width="wide"), _AREA, _MET, _INTERVAL,
    ],
    "theme_quadrant": [
        Column("title", "Theme", width=170), _AREA,
        Column("round_id", "Round", width=110, phone=False),
        Column("cases", "Cases", "count", 60, phone=False), _MET, _INTERVAL,
        Column("round_id_previous", "Previous round", width=110, phone=False),
        Column(("pct_met_previous", "n_previous"), "Met before (n)", "met_n", 110,
               help="The same in the theme's previous round", phone=False),
        Column(("change_pts", "verdict"), "Change", "change", 120, help=_CHANGE_HELP,
               phone=False),
    ],
}  # fmt: skip


def chart_columns(name: str, frame: pd.DataFrame) -> list[Column]:
    """Return the columns of a chart's data table (a chart not declared: its own fields)."""
    if name in CHART_DATA:
        return CHART_DATA[name]
    return [Column(c, str(c).replace("_", " ").capitalize()) for c in frame.columns]


def chart_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a chart's data ready for CHART_DATA: a change (share, 0-1) also in points with its
    verdict, and a cohort's dimension in words. Suppressed cells ("c") stay as they are."""
    out = frame.copy()
    if "change" in out.columns:
        out["change_pts"] = [v * 100 if _is_number(v) else v for v in out["change"]]
        verdicts = out["beyond_chance"] if "beyond_chance" in out.columns else [None] * len(out)
        out["verdict"] = [
            None if not _is_number(c) or _absent(b) or not isinstance(b, bool | np.bool_)
            else ("beyond chance" if b else "within noise")
            for c, b in zip(out["change"], verdicts, strict=True)
        ]  # fmt: skip
    if "dimension" in out.columns:
        out["dimension"] = out["dimension"].map(lambda d: PROFILE_DIMENSIONS.get(d, d))
    return out
