"""Actions tracker: every recommendation and action with owner, due date, status and RAG."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.domain import ACTION_STATUSES
from analytics.queries import rag_counts
from ui import data, exports, render


def page() -> None:
    """Render the tracker, overdue first, filterable by theme, owner and status."""
    st.title("Actions tracker")
    render.synthetic_notice()
    titles = data.query("theme_choices")
    left, middle, right, last = st.columns([1, 2, 2, 2])
    as_of = left.date_input("RAG as of", value=dt.date.today(), key="actions_as_of")
    theme = middle.selectbox(
        "Theme",
        [None, *titles],
        format_func=lambda t: "All themes" if t is None else titles[t],
        key="actions_theme",
    )
    owners = right.multiselect("Owner", data.query("action_owners"), key="actions_owners")
    statuses = last.multiselect("Status", ACTION_STATUSES, key="actions_statuses")
    table = data.query(
        "action_status", as_of=as_of, theme=theme, owners=tuple(owners), statuses=tuple(statuses)
    )
    st.text("  ·  ".join(f"{rag}: {count}" for rag, count in rag_counts(table).items()))
    st.dataframe(
        exports.actions_table(table),
        hide_index=True,
        column_order=("rag", "days_overdue", "theme_id", "action_id", "kind", "text", "outcome",
                      "owner", "due_date", "status", "round_before", "pct_met_before",
                      "n_before", "round_after", "pct_met_after", "n_after"),
        column_config={
            "rag": st.column_config.TextColumn("RAG"),
            "due_date": st.column_config.DateColumn("due"),
            "pct_met_before": st.column_config.NumberColumn("met before", format="percent"),
            "pct_met_after": st.column_config.NumberColumn("met after", format="percent"),
        },
    )  # fmt: skip
    st.caption(
        "RAG: complete; overdue (past due, not complete); due soon (within 28 days); on track; "
        "no due date. 'Met before/after': the share of cases meeting the questions the action "
        "should move, in the theme's first and latest audited rounds."
    )


render.guarded(page)
