"""A theme's page: one module, registered once per theme in the themes table."""

from __future__ import annotations

import streamlit as st

from analytics.domain import COUNTY, QUADRANTS, Filters
from analytics.narrative import escape_markdown as md
from ui import data, filters, render
from ui.exports import pack_button
from ui.report import report_button


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
    _trends(theme_id, chosen)
    st.subheader("Cohort profile")
    render.show_chart(data.chart("cohort_profile", theme_id, chosen), f"{theme_id}_cohort")
    _voices(theme_id, chosen)
    _actions(theme_id)
    _drill_down(theme_id, chosen)
    _meeting_outputs(theme_id)


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
    columns = st.columns(4)
    columns[0].metric("Cases audited", figures["cases"])
    if figures["n"]:
        columns[1].metric(
            "Standards met",
            f"{figures['pct_met']:.0%}",
            help=f"{figures['met']} of {figures['n']} applicable answers; 95% interval "
            f"{figures['ci_low']:.0%}–{figures['ci_high']:.0%}",
        )
    change = figures["change"]
    if change is not None:
        verdict = "beyond chance" if change.beyond_chance else "within noise"
        columns[2].metric(
            "Change since previous round",
            f"{change.change * 100:+.0f} pts",
            delta=verdict,
            delta_color="normal" if change.beyond_chance else "off",
            help=f"{change.method} test on case-level counts (answers ÷ {change.design_effect} "
            f"per case), p = {change.p_value:.3f}",
        )
    if figures["cases"]:
        columns[3].metric(
            "Graded good or better",
            f"{figures['pct_good_or_better']:.0%}",
            help=f"{figures['good_or_better']} of {figures['cases']} cases graded Outstanding "
            "or Good",
        )
    st.caption(md(f"n = {figures['n']} applicable answers from {figures['cases']} cases; "
                  f"{chosen.describe()}"))  # fmt: skip


def _trends(theme_id: str, chosen: Filters) -> None:
    st.subheader("Trends between rounds")
    audited = data.query("audited_rounds", theme_id)
    labels = data.query("round_labels", theme_id)
    if len(audited) < 2:
        upcoming = data.query("next_planned", theme_id)
        nxt = f" Next: {upcoming}." if upcoming else " No re-audit is planned yet."
        st.info(
            md(f"Only one audit round so far ({labels[audited[0]]}): nothing to compare with.{nxt}")
        )
        return
    current = chosen.round_id or audited[-1]
    earlier = data.query("earlier_rounds", theme_id, current)
    if not earlier:
        st.info(
            md(f"{labels[current]} is the earliest audited round: there is no earlier round to ")
            + "compare it with. Choose a later round in the filter bar to see the change since it."
        )
        return
    compare = st.selectbox(
        "Compare with the earlier round", earlier, format_func=labels.get, key=f"compare_{theme_id}"
    )
    render.show_chart(data.chart("round_trend", theme_id, chosen, compare), f"{theme_id}_trend")


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
        data.query("action_status", theme=theme_id),
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


def _meeting_outputs(theme_id: str) -> None:
    st.subheader("For the executive meeting")
    left, right = st.columns(2)
    with left:
        pack_button(theme_id, f"{theme_id}_pack")
    with right:
        report_button([theme_id], f"{theme_id}_report")


render.guarded(lambda: page(filters.current_theme()))
