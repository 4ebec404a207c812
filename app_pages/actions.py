"""Actions tracker: every recommendation and action with owner, due date, status and RAG."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.domain import ACTION_STATUSES
from analytics.queries import rag_counts
from ui import data, exports, filters, render, tables

SCOPE = (
    "Actions are county-wide, so every action is listed whatever the quadrant or team; with "
    "quadrants or teams chosen in the filter bar, 'met before' and 'met after' count only their "
    "cases: the share of answers meeting the standards the action should move, in the theme's "
    "first and latest audited rounds."
)
RAG_RULES = (
    "RAG: complete; overdue (past due, not complete); due soon (within 28 days); on track; "
    "no due date."
)


def page() -> None:
    """Render the tracker, overdue first, filterable by theme, owner and status."""
    chosen = filters.current()
    st.title("Actions tracker", anchor=False)
    render.synthetic_notice()
    titles = data.query("theme_choices")
    latest_end = data.query("latest_audited_end")
    left, middle, right, last = st.columns([1, 2, 2, 2])
    as_of = left.date_input(
        "RAG as of",
        value=latest_end or dt.date.today(),
        format="DD/MM/YYYY",
        key="actions_as_of",
        help="Default: the end of the latest audited round",
    )
    theme = middle.selectbox(
        "Theme",
        [None, *titles],
        format_func=lambda t: "All themes" if t is None else titles[t],
        key="actions_theme",
    )
    owners = tuple(right.multiselect("Owner", data.query("action_owners"), key="actions_owners"))
    statuses = tuple(last.multiselect("Status", ACTION_STATUSES, key="actions_statuses"))
    st.caption(_as_of_text(as_of, latest_end) + " " + SCOPE)
    table = data.query("action_status", as_of=as_of, theme=theme, owners=owners,
                       statuses=statuses, filters=chosen)  # fmt: skip
    st.markdown(tables.rag_badges(rag_counts(table)))
    tables.show(
        exports.actions_table(table),
        tables.TRACKED_ACTIONS,
        titles=titles,
        key="actions_table",
        alt="Every action with its RAG status, overdue first",
        lines=4,
    )
    st.caption(RAG_RULES)
    exports.actions_downloads(as_of, theme, owners, statuses, "actions")


def _as_of_text(as_of: dt.date, latest_end: dt.date | None) -> str:
    if latest_end is not None and as_of == latest_end:
        return f"Status as of {tables.date(as_of)}, the end of the latest audited round."
    return f"Status as of {tables.date(as_of)} (chosen above)."


render.guarded(page)
