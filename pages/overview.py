"""Overview: every theme at a glance for leadership."""

from __future__ import annotations

import streamlit as st

from ui import data, exports, filters, render
from ui.exports import meeting_outputs

CHANGE = st.column_config.NumberColumn("change (pts)", format="%+.0f")


def page() -> None:
    """Render the overview."""
    chosen = filters.current()
    st.title("Audit Insight")
    st.caption("Thematic case-file audits: every theme at a glance")
    render.synthetic_notice()
    st.caption(data.last_loaded_text())

    st.subheader("Themes")
    if chosen.quadrants and filters.suppress_below() is None:
        st.caption(
            f"County figures, then the selection's own ({', '.join(chosen.quadrants)}): "
            "cases, % met with n, and change since the previous round."
        )
    st.dataframe(
        exports.overview_table(chosen),
        hide_index=True,
        column_config={
            "pct_met": render.PERCENT,
            "change_pts": CHANGE,
            "selection_cases": st.column_config.NumberColumn("selection cases"),
            "selection_pct_met": st.column_config.NumberColumn("selection", format="percent"),
            "selection_n": st.column_config.NumberColumn("selection n"),
            "selection_change_pts": st.column_config.NumberColumn(
                "selection change (pts)", format="%+.0f"
            ),
            "selection_change": st.column_config.TextColumn("selection change"),
        },
    )
    st.subheader("Practice standards by theme and quadrant")
    render.show_chart(data.chart("theme_quadrant", None, chosen), "theme_quadrant")
    st.subheader("Standards most often not met, across all themes")
    render.show_chart(data.chart("finding_frequency", None, chosen), "top_not_met")

    st.subheader("Actions overdue and due soon")
    urgent = data.query("urgent_actions")
    if urgent.empty:
        st.success("No action is overdue or due within 28 days.")
    else:
        st.dataframe(
            urgent, hide_index=True, column_config={"due_date": st.column_config.DateColumn()}
        )
    meeting_outputs(None, "overview")


render.guarded(page)
