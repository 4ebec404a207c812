"""Overview: every theme at a glance for leadership."""

from __future__ import annotations

import streamlit as st

from ui import data, exports, filters, render, tables, weakest
from ui.report import meeting_outputs


def page() -> None:
    """Render the overview."""
    chosen = filters.current()
    threshold = filters.suppress_below()
    selection = ", ".join(chosen.quadrants) or None
    st.title("Audit Insight", anchor=False)
    st.caption("Thematic case-file audits: every theme at a glance")
    render.synthetic_notice()
    st.caption(data.last_loaded_text())

    weakest.show(data.query("weakest", chosen), selection, threshold)
    st.header("Themes", anchor=False)
    if selection and threshold is None:
        st.caption(
            f"County figures, then the selection's own ({selection}): cases, % of standards met "
            "with n, and change since the previous round."
        )
    themes = exports.overview_table(chosen)
    pooled = selection if "selection_cases" in themes.columns else None  # not for circulation
    tables.show(
        themes,
        tables.overview_columns(pooled),
        key="overview_themes",
        alt="Every theme: cases, standards met and the change since the previous round",
    )
    st.header("Practice standards by theme and quadrant", anchor=False)
    render.show_chart(data.chart("theme_quadrant", None, chosen), "theme_quadrant")
    st.header("Standards most often not met, across all themes", anchor=False)
    render.show_chart(data.chart("finding_frequency", None, chosen), "top_not_met")

    st.header("Actions overdue and due soon", anchor=False)
    as_of = data.query("latest_audited_end")
    urgent = data.query("urgent_actions")
    when = f"as of {tables.date(as_of)}, the end of the latest audited round" if as_of else "today"
    st.caption(f"Status {when}. Actions are county-wide: listed whatever the quadrant.")
    if urgent.empty:
        st.success("No action is overdue or due within 28 days.")
    else:
        tables.show(urgent, tables.URGENT_ACTIONS, titles=data.query("theme_choices"),
                    key="overview_urgent", alt="Actions overdue and due soon")  # fmt: skip
    meeting_outputs(None, "overview")


render.guarded(page)
