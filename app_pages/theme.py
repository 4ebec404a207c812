"""A theme's page: one module, registered once per theme in the themes table."""

from __future__ import annotations

from functools import partial

import streamlit as st

from analytics import export
from analytics.domain import COUNTY, Filters
from analytics.export.cases import case_list_bytes
from analytics.narrative import escape_markdown as md
from analytics.narrative import headline_metrics
from ui import data, exports, filters, render, tables
from ui.report import meeting_outputs


def page(theme_id: str) -> None:
    """Render one theme: headline, quadrant comparison, findings, trends, cohort, voice, actions."""
    chosen = filters.current()
    theme = data.query("theme_info", theme_id)
    st.title(
        md(theme["title"]), anchor=False
    )  # text from the data: shown literally, never as Markdown
    render.synthetic_notice()
    if not data.query("round_choices", theme_id):  # held-back rounds can be opened too
        _planned(theme_id, theme)
        return
    _headline(theme_id, chosen)

    st.header("Quadrant comparison", anchor=False)
    render.show_chart(data.chart("quadrant_comparison", theme_id, chosen), f"{theme_id}_qc")
    st.header("Finding frequency: standards most often not met", anchor=False)
    render.show_chart(data.chart("finding_frequency", theme_id, chosen), f"{theme_id}_ff")
    compare = _trends(theme_id, chosen)
    st.header("Cohort profile", anchor=False)
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
    st.header("Planned rounds", anchor=False)
    tables.show(planned, tables.PLANNED_ROUNDS, key=f"planned_{theme_id}", lines=1)


def _headline(theme_id: str, chosen: Filters) -> None:
    figures = data.query("headline", theme_id, chosen)
    metrics, caption = headline_metrics(figures, filters.suppress_below())
    columns = st.columns(4)
    for place, metric in enumerate(metrics):
        columns[place].metric(metric.label, metric.value, delta=metric.delta,
                              delta_color=metric.delta_color,
                              delta_description=metric.delta_description,
                              delta_arrow=metric.delta_arrow)  # fmt: skip
        if metric.help:  # in words under the figure, not a tooltip: read aloud, seen on a phone
            columns[place].caption(md(metric.help))
    st.caption(md(f"{caption}; {chosen.describe()}"))


def _trends(theme_id: str, chosen: Filters) -> str | None:
    """Draw the trend chart; return the earlier round it compares with (None: no trend)."""
    st.header("Trends between rounds", anchor=False)
    audited = data.query("audited_rounds", theme_id)
    labels = data.query("round_labels", theme_id)
    if chosen.round_id is not None and chosen.round_id not in audited:
        st.info(
            md(labels[chosen.round_id])
            + " is held back as incomplete: it joins the trends once an analyst accepts it on the "
            "Data page."
        )
        return None
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
    key = f"compare_{theme_id}"
    filters.choose("compare_round", key, earlier, earlier[0])  # a copied link's round, if valid
    compare = st.selectbox(
        "Compare with the earlier round", earlier, format_func=labels.get, key=key
    )
    filters.chosen("compare_round", compare)
    render.show_chart(data.chart("round_trend", theme_id, chosen, compare), f"{theme_id}_trend")
    return compare


def _voices(theme_id: str, chosen: Filters) -> None:
    st.header("What practitioners and managers said", anchor=False)
    quotes = data.query("quotes", theme_id, chosen)
    if quotes.empty:
        st.caption("No quotes recorded for this selection.")
    for quote in quotes.itertuples(index=False):
        with st.container(border=True):
            st.text(f"“{quote.text}”")  # user text: shown as text, never Markdown or HTML
            st.text(f"— {quote.role}" + (f", {quote.quadrant}" if quote.quadrant else ""))


def _actions(theme_id: str) -> None:
    st.header("Recommendations and actions", anchor=False)
    as_of = data.query("latest_audited_end")
    actions = data.query("action_status", as_of=as_of, theme=theme_id, filters=filters.current())
    when = tables.date(as_of) if as_of else "today"
    st.caption(
        f"RAG as of {when}, the end of the latest audited round (choose another date on the "
        "Actions tracker). Met before and after: the linked standards in the theme's first and "
        "latest audited rounds, within the chosen quadrants and teams."
    )
    tables.show(exports.actions_table(actions), tables.THEME_ACTIONS, key=f"actions_{theme_id}",
                alt="The theme's recommendations and actions with RAG status", lines=4)  # fmt: skip


def _drill_down(theme_id: str, chosen: Filters) -> None:
    """The cases behind one standard in one cell: by default the filter bar's quadrants, teams and
    round; another quadrant or the county on request."""
    st.header("Drill down: the cases behind a number", anchor=False)
    if filters.suppress_below() is not None:
        st.info("Lists of cases are not shown for circulation: turn 'For circulation' off.")
        return
    standards = data.query("questions", theme_id)
    question_key = f"drill_q_{theme_id}"
    filters.choose("standard", question_key, list(standards), next(iter(standards)))
    left, right = st.columns([3, 1])
    question = left.selectbox(
        "Standard", list(standards), format_func=lambda q: f"{q} · {standards[q]}", key=question_key
    )
    filters.chosen("standard", question)
    areas = filters.drill_areas(chosen)
    # One widget per filter-bar selection: choosing another quadrant there moves the drill-down
    # with it, while a cell picked here stays until the filter bar changes.
    area_key = f"drill_a_{theme_id}_{'+'.join(chosen.quadrants) or COUNTY}"
    filters.choose("area", area_key, areas, filters.drill_default_area(chosen))
    area = right.selectbox("Cases in", areas, format_func=tables.area_label, key=area_key)
    filters.chosen("area", area)
    scope = filters.with_quadrants(chosen, filters.area_quadrants(area))
    cases = data.query("cases_behind", theme_id, question, scope)
    total = data.query("cell_cases", theme_id, question, scope)
    shown = f"the first {len(cases)} of {total}, not met first" if total > len(cases) else total
    st.caption(md(f"{shown} cases; {scope.describe()}; child references are pseudonymous."))
    tables.show(cases, tables.CASE_LIST, key=f"cases_{theme_id}")
    _case_list_downloads(theme_id, question, scope)


def _case_list_downloads(theme_id: str, question: str, scope: Filters) -> None:
    """CSV and XLSX of every case behind the cell, checked and recorded like a chart's data."""
    blocked = exports.export_blocked()
    if blocked:
        st.caption(blocked)
        return
    row = st.container(horizontal=True, gap="small")  # a row on a phone too
    for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX")):
        name = export.file_name(fmt, theme_id, f"cases-{question}", scope)
        make = partial(case_list_bytes, data.store(), theme_id, question, scope, fmt)
        exports.recorded_download(
            row, label, make, file_name=name, mime=export.MIME_TYPES[fmt],
            key=f"dl_{theme_id}_cases_{fmt}", theme=theme_id, chosen=scope, threshold=None,
            tooltip=f"Every case behind this number as {fmt.upper()}.",
        )  # fmt: skip


render.guarded(lambda: page(filters.current_theme()))
