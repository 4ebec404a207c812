"""The overview's headline: the weakest practice area and theme, with n and an interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from analytics.narrative import escape_markdown as md
from analytics.queries import MIN_CASES_FOR_WEAKEST
from ui import data, tables

RULE = (
    f"Weakest: the lowest share of standards met among practice areas (or themes) with at least "
    f"{MIN_CASES_FOR_WEAKEST} audited cases in the selection, each theme at its latest audited "
    "round. Intervals are 95% Wilson intervals at the case level: one case's answers are not "
    "independent, so they count as one."
)
WHAT = {"area": "Weakest practice area", "theme": "Weakest theme"}


def show(found: pd.DataFrame, selection: str | None, threshold: int | None) -> None:
    """Name the weakest practice area and theme (queries.weakest) side by side, each with n and
    its interval, the county's figure beside a chosen quadrant, and the rule."""
    where = f" in {selection}" if selection else " in the county"
    st.header(
        "Where practice is weakest", anchor=False
    )  # the names below are its h3s: headings in order
    for column, kind in zip(st.columns(2), WHAT, strict=True):
        rows = found[found["kind"] == kind]
        with column, st.container(border=True):
            st.markdown(f"**{WHAT[kind]}{where}**")
            if rows.empty:
                st.text(f"None with {MIN_CASES_FOR_WEAKEST} or more audited cases.")
                continue
            row = rows.iloc[0].to_dict()
            st.subheader(md(str(row["name"])), anchor=False)
            if kind == "theme":  # which round: a concluding round says so in its label
                label = data.query("round_labels", row["theme_id"]).get(row["round_id"])
                st.caption(f"Latest audited round: {md(str(label or row['round_id']))}")
            st.text(tables.share_with_interval(row, "", threshold))
            if selection:
                st.text(f"County: {tables.share_with_interval(row, 'county_', threshold)}")
            if isinstance(row["next_name"], str):
                st.caption(against_next(row, threshold))
    st.caption(RULE)


def against_next(row: Mapping[str, Any], threshold: int | None) -> str:
    """Say whether the weakest is clearly lower than the next lowest (intervals apart)."""
    share = "" if threshold is not None else f" ({tables.percent(row['next_pct_met'])})"
    if row["clearly_lowest"]:
        return f"Clearly lower than the next lowest, {md(row['next_name'])}{share}."
    return (
        f"Not clearly lower than the next lowest, {md(row['next_name'])}{share}: "
        "their 95% intervals overlap."
    )
