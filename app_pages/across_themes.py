"""Across themes: the cross-cutting practice areas, and the weaknesses that recur."""

from __future__ import annotations

import streamlit as st

from ui import data, exports, filters, render, tables


def page() -> None:
    """Render the category x theme and category x quadrant views and the recurring weaknesses."""
    chosen = filters.current()
    st.title("Across themes", anchor=False)
    st.caption(
        "Each audit question belongs to a practice area, so a weakness that recurs across "
        "themes shows. Every theme contributes its latest audited round."
    )
    render.synthetic_notice()
    st.header("Recurring weaknesses", anchor=False)
    weak = data.query("recurring_weaknesses", chosen)
    if weak.empty:
        st.success("No practice area is met in under half of cases in three or more themes.")
    else:
        tables.show(
            exports.circulated("recurring_weaknesses", weak),
            tables.RECURRING_WEAKNESSES,
            titles=data.query("theme_choices"),
            key="recurring_weaknesses",
            alt="Practice areas met in under half of cases in three or more themes",
        )
    st.header("Practice area by theme", anchor=False)
    render.show_chart(data.chart("category_matrix", None, chosen), "category_theme")
    st.header("Practice area by quadrant", anchor=False)
    render.show_chart(data.chart("category_by_quadrant", None, chosen), "category_quadrant")


render.guarded(page)
