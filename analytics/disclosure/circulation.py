"""A chart as exported: stamped with its mode; for circulation, redrawn from the suppressed table.

In circulation mode the table shows "c" for small counts and for whatever would give them back
(analytics.disclosure.suppression). The words around a chart (title, subtitle, alt text) and the
chart itself must not show those numbers either, so here they are made again from the table as
circulated: a figure hidden there is neither said nor drawn (its bar or point is left out and
a "c" marks the place). Every image, in either mode, carries a line saying which mode made it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analytics.chart_specs import CHARTS, ChartView
from analytics.disclosure.suppression import SUPPRESSED, for_circulation
from analytics.domain import COUNTY

STAMP_FONT = {"size": 11, "color": "#505A5F"}
STAMP_TOP = 20  # pixels from the top of the image to the foot of the stamp line
_CASES = re.compile(r"^n=(\d+(?: and \d+)*) cases · ")


def stamp_text(threshold: int | None) -> str:
    """Return the line an exported image carries to say which mode made it."""
    if threshold is None:
        return "Audit Insight · standard mode: small counts shown, not for circulation"
    return (
        f"Audit Insight · for circulation: counts under {threshold} suppressed; "
        f"{SUPPRESSED} = fewer than {threshold}, or hidden so that one cannot be worked out, "
        "not shown"
    )


def stamped(figure: go.Figure, threshold: int | None) -> go.Figure:
    """Return a copy of the figure with the mode line along its top edge, above the title."""
    out = go.Figure(figure)
    top = int(out.layout.margin.t if out.layout.margin.t is not None else 90)
    if top < STAMP_TOP + 30:  # room for the stamp above the legend
        top = STAMP_TOP + 30
        out.update_layout(margin={"t": top})
    out.add_annotation(
        text=stamp_text(threshold),
        xref="paper",
        yref="paper",
        x=0,
        y=1,
        xanchor="left",
        yanchor="bottom",
        yshift=top - STAMP_TOP,
        showarrow=False,
        align="left",
        font=STAMP_FONT,
    )
    return out


def export_view(
    view: ChartView,
    threshold: int | None,
    titles: Mapping[str, str] | None = None,
    shown: pd.DataFrame | None = None,
) -> ChartView:
    """Return the view as an export shows it: for circulation, words and chart made again from
    the suppressed table (the data stays the chart's own; tables suppress it as they print).

    `titles` (theme id -> title) names the category matrix's columns, as on screen; `shown` is
    the suppressed table if already made.
    """
    if threshold is None or view.empty_message is not None:
        return view  # an empty chart hides nothing
    if shown is None:
        shown = for_circulation(view, view.name, threshold)
    data = view.data.reset_index(drop=True)
    redraw = CHARTS[view.name].redraw
    title, alt, figure = redraw(view, data, shown, threshold, titles or {})
    figure = go.Figure(figure)
    figure.update_layout(title={"text": title}, title_subtitle_text=subtitle(view, threshold))
    return dataclasses.replace(
        view, figure=figure, title=title, subtitle=subtitle(view, threshold), alt_text=alt
    )


def subtitle(view: ChartView, threshold: int) -> str:
    """Return the statistical subtitle with each number of cases under the threshold as c."""
    match = _CASES.match(view.subtitle)
    if match is None:
        return view.subtitle
    counts = re.sub(
        r"\d+",
        lambda m: SUPPRESSED if 0 < int(m.group()) < threshold else m.group(),
        match.group(1),
    )
    return f"n={counts} cases · " + view.subtitle[match.end() :]


def _withheld(threshold: int, *counts: float | None) -> bool:
    # A count from 1 to threshold - 1 (0 is shown: nobody can be found in it).
    return any(c is not None and pd.notna(c) and 0 < int(c) < threshold for c in counts)


def overview_for_circulation(
    overview: pd.DataFrame, summary: pd.DataFrame, threshold: int
) -> pd.DataFrame:
    """Return the overview table as circulated: cases, % met and change taken from the theme x
    quadrant summary suppressed as the heatmap suppresses it (so the two agree); the selection's
    pooled columns are left out (they would need protecting against the quadrants they pool)."""
    shown = for_circulation(summary, "theme_quadrant", threshold)
    cells = {(row["title"], row["quadrant"]): row for row in shown.to_dict("records")}
    kept = [c for c in overview.columns if not c.startswith("selection")]
    out = overview[kept].astype(object).reset_index(drop=True)
    for i, theme in enumerate(out["theme"]):
        county = cells.get((theme, COUNTY))
        if county is None:  # a planned theme: nothing counted
            continue
        out.at[i, "cases"], out.at[i, "n"] = county["cases"], county["n"]
        out.at[i, "pct_met"] = county["pct_met"]
        for quadrant in (q for q in out.columns if (theme, q) in cells):
            out.at[i, quadrant] = cells[(theme, quadrant)]["cases"]
        if county["change"] == SUPPRESSED:
            out.at[i, "change_pts"], out.at[i, "change"] = SUPPRESSED, SUPPRESSED
    return out


def actions_for_circulation(actions: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Return the actions with each before/after measure withheld ("c") where its applicable
    answers, or those met or not met among them, number from 1 to threshold - 1."""
    out = actions.astype(object).reset_index(drop=True)
    for side in ("before", "after"):
        n_column, pct_column = f"n_{side}", f"pct_met_{side}"
        for i, (n, pct) in enumerate(zip(out[n_column], out[pct_column], strict=True)):
            if n is None or pd.isna(n) or pct is None or pd.isna(pct):
                continue
            met = round(float(pct) * int(n))
            if _withheld(threshold, n, met, int(n) - met):
                out.at[i, pct_column] = SUPPRESSED
                if _withheld(threshold, n):
                    out.at[i, n_column] = SUPPRESSED
    return out
