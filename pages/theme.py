"""A theme's page: one module, registered once per theme in the themes table."""

from __future__ import annotations

import streamlit as st

from analytics.domain import COUNTY, QUADRANTS, Filters
from analytics.narrative import escape_markdown as md
from analytics.narrative import headline_metrics
from ui import data, exports, filters, render
from ui.exports import meeting_outputs


def page(theme_id: str) -> None:
    """Render one theme: headline, quadrant comparison, findings, trends, cohort, voice, actions."""
    chosen = filters.current()
    theme = data.query("theme_info", theme_id)
    st.title(md(theme["title"]))  # text from the data: shown literally, never as Markdown
    render.synthetic_notice()
    if not data.query("audited_rounds", theme_id):
        _planned(theme_id, theme)
        return
    _headline(theme_id, chosen)

    st.subheader("Quadrant comparison")
    render.show_chart(data.chart("quadrant_comparison", theme_id, chosen), f"{theme_id}_qc")
    st.subheader("Finding frequency: standards most often not met")
    render.show_chart(data.chart("finding_frequency", theme_id, chosen), f"{theme_id}_ff")
    compare = _trends(theme_id, chosen)
    st.subheader("Cohort profile")
    render.show_chart(data.chart("cohort_profile", theme_id, chosen), f"{theme_id}_cohort")
    _voices(theme_id, chosen)
    _actions(theme_id)
    _drill_down(theme_id, chosen)
    meeting_outputs(theme_id, theme_id, compare)  # the pack's trend compares as the page does


def _planned(theme_id: str, theme: dict) -> None:
    st.text(f"Status: {theme['status']}. Led by {theme['lead']}.")
    st.text(theme["scope"])
    planned = data.query("planned_rounds", theme_id)
    if planned.empty:
        st.info("No audit round is planned yet.")
        return
    st.subheader("Planned rounds")
    st.dataframe(
        planned, hide_index=True, column_order=("label", "start_date", "end_date", "status")
    )


def _headline(theme_id: str, chosen: Filters) -> None:
    figures = data.query("headline", theme_id, chosen)
    metrics, caption = headline_metrics(figures, filters.suppress_below())
    columns = st.columns(4)
    for place, metric in enumerate(metrics):
        columns[place].metric(metric.label, metric.value, delta=metric.delta,
                              delta_color=metric.delta_color, help=metric.help or None)  # fmt: skip
    st.caption(md(f"{caption}; {chosen.describe()}"))


def _trends(theme_id: str, chosen: Filters) -> str | None:
    """Draw the trend chart; return the earlier round it compares with (None: no trend)."""
    st.subheader("Trends between rounds")
    audited = data.query("audited_rounds", theme_id)
    labels = data.query("round_labels", theme_id)
    if len(audited) < 2:
        upcoming = data.query("next_planned", theme_id)
        nxt = f" Next: {upcoming}." if upcoming else " No re-audit is planned yet."
        st.info(
            md(f"Only one audit round so far ({labels[audited[0]]}): nothing to compare with.{nxt}")
        )
        return None
    current = chosen.round_id or audited[-1]
    earlier = data.query("earlier_rounds", theme_id, current)
    if not earlier:
        st.info(
            md(f"{labels[current]} is the earliest audited round: there is no earlier round to ")
            + "compare it with. Choose a later round in the filter bar to see the change since it."
        )
        return None
    compare = st.selectbox(
        "Compare with the earlier round", earlier, format_func=labels.get, key=f"compare_{theme_id}"
    )
    render.show_chart(data.chart("round_trend", theme_id, chosen, compare), f"{theme_id}_trend")
    return compare


def _voices(theme_id: str, chosen: Filters) -> None:
    st.subheader("What practitioners and managers said")
    quotes = data.query("quotes", theme_id, chosen)
    if quotes.empty:
        st.caption("No quotes recorded for this selection.")
    for quote in quotes.itertuples(index=False):
        with st.container(border=True):
            st.text(f"“{quote.text}”")  # user text: shown as text, never Markdown or HTML
            st.text(f"— {quote.role}" + (f", {quote.quadrant}" if quote.quadrant else ""))


def _actions(theme_id: str) -> None:
    st.subheader("Recommendations and actions")
    st.dataframe(
        exports.actions_table(data.query("action_status", theme=theme_id)),
        hide_index=True,
        column_order=("action_id", "kind", "text", "owner", "due_date", "status", "rag",
                      "pct_met_before", "pct_met_after"),
        column_config={
            "rag": st.column_config.TextColumn("RAG"),
            "pct_met_before": st.column_config.NumberColumn("met before", format="percent"),
            "pct_met_after": st.column_config.NumberColumn("met after", format="percent"),
        },
    )  # fmt: skip


def _drill_down(theme_id: str, chosen: Filters) -> None:
    st.subheader("Drill down: the cases behind a number")
    if filters.suppress_below() is not None:
        st.info("Lists of cases are not shown for circulation: turn 'For circulation' off.")
        return
    standards = data.query("questions", theme_id)
    left, right = st.columns([3, 1])
    question = left.selectbox(
        "Standard",
        list(standards),
        format_func=lambda q: f"{q} · {standards[q]}",
        key=f"drill_q_{theme_id}",
    )
    areas = [*QUADRANTS, COUNTY]
    default = chosen.quadrants[0] if chosen.quadrants else COUNTY
    area = right.selectbox("Cases in", areas, index=areas.index(default), key=f"drill_a_{theme_id}")
    scope = filters.with_quadrants(chosen, () if area == COUNTY else (area,))
    cases = data.query("cases_behind", theme_id, question, scope)
    total = data.query("cell_cases", theme_id, question, scope)
    shown = f"the first {len(cases)} of {total}, not met first" if total > len(cases) else total
    st.caption(f"{md(shown)} cases; child references are pseudonymous.")
    st.dataframe(
        cases, hide_index=True, column_config={"audit_date": st.column_config.DateColumn()}
    )


render.guarded(lambda: page(filters.current_theme()))
