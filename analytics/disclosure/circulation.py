"""A chart as exported: stamped with its mode; for circulation, redrawn from the suppressed table.

In circulation mode the table shows "c" for small counts and for whatever would give them back
(analytics.disclosure.suppression). The words around a chart (title, subtitle, alt text) and the
chart itself must not show those numbers either, so here they are made again from the table as
circulated: a figure hidden there is neither said nor drawn (its bar or point is left out and
a "c" marks the place). Every image, in either mode, carries a line saying which mode made it.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import narrative
from analytics.disclosure.suppression import SUPPRESSED, for_circulation
from analytics.domain import COUNTY, QUADRANTS
from analytics.views import ChartView

STAMP_FONT = {"size": 11, "color": "#505A5F"}
STAMP_TOP = 20  # pixels from the top of the image to the foot of the stamp line
_CASES = re.compile(r"^n=(\d+(?: and \d+)*) cases · ")

# A chart redrawn for circulation: (view, data, suppressed table, threshold, theme titles) ->
# (title, alt text, figure).
Builder = Callable[
    [ChartView, pd.DataFrame, pd.DataFrame, int, Mapping[str, str]], tuple[str, str, go.Figure]
]


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
    build = _BUILDERS.get(view.name)
    if build is None:  # a chart this module cannot redraw: left out, with a note
        title, alt, figure = _left_out(view, threshold)
    else:
        title, alt, figure = build(view, data, shown, threshold, titles or {})
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


# --- helpers ---------------------------------------------------------------------------------


def _hidden(shown: pd.DataFrame, row: int, *columns: str) -> bool:
    return any(c in shown.columns and shown[c].iat[row] == SUPPRESSED for c in columns)


def _rows(frame: pd.DataFrame, mask: pd.Series | np.ndarray) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool))]


def _pct(shown: pd.DataFrame, row: int, column: str) -> str:
    value = shown[column].iat[row]
    return SUPPRESSED if value == SUPPRESSED else narrative.pct(value)


def _not_shown(count: int) -> str:
    return f"; {count} not shown ({SUPPRESSED})" if count else ""


def _blank(
    frame: pd.DataFrame, shown: pd.DataFrame, columns: dict[str, tuple[str, ...]]
) -> pd.DataFrame:
    # A copy of the data with every hidden share blank (NaN), so a builder draws nothing there.
    out = frame.copy()
    for column, also in columns.items():
        hide = [_hidden(shown, i, column, *also) for i in range(len(frame))]
        out[column] = out[column].astype(float).where(~np.asarray(hide, dtype=bool))
    return out


def _c_marks(figure: go.Figure, labels: list[str], x: float = 0.01) -> None:
    if labels:
        figure.add_trace(
            go.Scatter(
                x=[x] * len(labels),
                y=labels,
                mode="text",
                text=[SUPPRESSED] * len(labels),
                textposition="middle right",
                textfont={"size": 12, "color": "#505A5F"},
                showlegend=False,
                hoverinfo="skip",
            )
        )


# --- per chart: (title, alt text, figure) ------------------------------------------------------


def _quadrant_comparison(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    from analytics import charts

    quadrants = view.filters.quadrants
    county = _rows(data, data["quadrant"] == COUNTY)
    questions = list(dict.fromkeys(data["question_id"]))
    if data.empty or data["n"].sum() == 0:
        title = narrative.quadrant_comparison_title(data, quadrants)
    elif quadrants:
        lower = compared = 0
        for question in questions:
            rows = _rows(data, (data["question_id"] == question) & data["quadrant"].isin(quadrants))
            at_county = _rows(
                data, (data["question_id"] == question) & (data["quadrant"] == COUNTY)
            )
            usable = [i for i in rows if data["n"].iat[i] > 0]
            if not usable or not at_county or _hidden(shown, at_county[0], "pct_met"):
                continue
            if any(_hidden(shown, i, "met", "n") for i in usable):
                continue
            met = sum(int(data["met"].iat[i]) for i in usable)
            n = sum(int(data["n"].iat[i]) for i in usable)
            compared += 1
            lower += met / n < data["pct_met"].iat[at_county[0]]
        where = narrative.selection_name(quadrants)
        if compared:
            title = f"{where} met {lower} of {compared} standards less often than the county"
        else:
            title = f"{where} and the county: shares not shown ({SUPPRESSED})"
        title += _not_shown(len(questions) - compared) if compared else ""
    else:
        usable = [i for i in county if data["n"].iat[i] > 0 and not _hidden(shown, i, "pct_met")]
        if usable:
            ordered = sorted(usable, key=lambda i: (data["pct_met"].iat[i], i))
            low, high = ordered[0], ordered[-1]
            lowest = "lowest" if len(usable) == len(county) else "lowest shown"
            title = (
                f"{len(county)} standards: {lowest} is {data['question_id'].iat[low]} "
                f"({narrative.pct(data['pct_met'].iat[low])} met), highest "
                f"{data['question_id'].iat[high]} ({narrative.pct(data['pct_met'].iat[high])})"
                + _not_shown(len(county) - len(usable))
            )
        else:
            title = f"{len(county)} standards: shares not shown ({SUPPRESSED})"
    alt = f"Dot chart of the share of cases meeting each of {len(questions)} standards by quadrant"
    if county and not any(_hidden(shown, i, "met", "n") for i in county):
        met, n = int(data["met"].iloc[county].sum()), int(data["n"].iloc[county].sum())
        alt += f": overall {narrative.pct(met / n if n else math.nan)} met in the county (n={n})"
    pooled: dict[str, float] = {}
    for area in QUADRANTS:
        rows = _rows(data, data["quadrant"] == area)
        if rows and not any(_hidden(shown, i, "met", "n") for i in rows):
            met, n = int(data["met"].iloc[rows].sum()), int(data["n"].iloc[rows].sum())
            if n:
                pooled[area] = met / n
    if len(pooled) >= 2:
        areas = sorted(pooled, key=pooled.__getitem__)
        alt += (
            f"; lowest quadrant shown {areas[0]} ({narrative.pct(pooled[areas[0]])}), "
            f"highest {areas[-1]} ({narrative.pct(pooled[areas[-1]])})"
        )
    alt += f"; shares resting on counts under {threshold} are not shown."
    plotted = _blank(data, shown, {"pct_met": ("ci_low", "ci_high")})
    gone = plotted["pct_met"].isna() & (data["n"] > 0)
    for column in ("ci_low", "ci_high"):
        plotted[column] = plotted[column].where(~gone)
    plotted.loc[gone, "n"] = 0  # the builder draws only rows with answers
    plotted["met"] = plotted["met"].where(~gone, 0)
    figure = charts.quadrant_comparison_figure(plotted, quadrants, view.subtitle)
    labels = {q: charts.question_label(q, t) for q, t in data[["question_id", "text"]].values}
    marks = [labels[q] for q in dict.fromkeys(data.loc[gone, "question_id"])]
    _c_marks(figure, marks, x=0.0)
    return title, alt, figure


def _finding_frequency(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    from analytics import charts

    chosen = _rows(data, data["scope"] == "Selection")
    if not chosen:
        title = narrative.finding_frequency_title(data)
    else:
        top = chosen[0]
        text = narrative.short(str(data["text"].iat[top]), 70)
        share = _pct(shown, top, "pct_not_met")
        share = "share not shown" if share == SUPPRESSED else f"{share} not met"
        title = f"Most often not met: {text} ({share})"
    listed = "; ".join(
        f"{data['question_id'].iat[i]} {_pct(shown, i, 'pct_not_met')}" for i in chosen[:3]
    )
    alt = (
        f"Bar chart ranking {len(chosen)} standards by the share of cases not met"
        + (f"; the top three are {listed}" if listed else "")
        + f"; shares resting on counts under {threshold} are not shown."
    )
    # A stacked bar with one part missing would misplace the other: leave out both.
    both = ("pct_not_met", "pct_partially_met")
    plotted = _blank(data, shown, {"pct_not_met": both, "pct_partially_met": both})
    figure = charts.finding_frequency_figure(plotted, view.subtitle, len(chosen) or 1)
    labels = [
        charts.question_label(data["question_id"].iat[i], data["text"].iat[i], 60)
        for i in chosen
        if np.isnan(plotted["pct_not_met"].iat[i])
    ]
    _c_marks(figure, labels)
    return title, alt, figure


def _round_trend(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    from analytics import charts

    if data.empty:
        return narrative.round_trend_title(data), narrative.round_trend_alt(data), view.figure
    beyond = _rows(data, data["beyond_chance"].fillna(False).astype(bool))
    known = [i for i in beyond if not _hidden(shown, i, "change")]
    up = sum(data["change"].iat[i] > 0 for i in known)
    down = len(known) - up
    rest = len(data) - len(beyond)
    if not beyond:
        title = f"No change beyond chance in {len(data)} standards since the previous round"
    elif len(known) == len(beyond):
        parts = [f"{up} improved"] * bool(up) + [f"{down} declined"] * bool(down)
        title = f"{' and '.join(parts)} beyond chance; {rest} within noise"
    else:
        title = (
            f"{len(beyond)} changed beyond chance ({up} improved, {down} declined, "
            f"{len(beyond) - len(known)} not shown); {rest} within noise"
        )
    listed = "; ".join(
        f"{data['question_id'].iat[i]} {_pct(shown, i, 'pct_met_from')} to "
        f"{_pct(shown, i, 'pct_met_to')}"
        for i in beyond
    )
    names = _trend_labels(view)
    first, last = str(data["round_from"].iloc[0]), str(data["round_to"].iloc[0])
    alt = (
        f"Dumbbell chart of the share met in {len(data)} standards between "
        f"{names.get(first, first)} and {names.get(last, last)}"
        + (f"; beyond chance: {listed}" if listed else "; no change is beyond chance")
        + f"; shares resting on counts under {threshold} are not shown."
    )
    plotted = _blank(data, shown, {"pct_met_from": (), "pct_met_to": ()})
    figure = charts.round_trend_figure(plotted, view.subtitle, names)
    gone = plotted["pct_met_from"].isna() | plotted["pct_met_to"].isna()
    _c_marks(
        figure,
        [
            charts.question_label(q, t)
            for q, t in data.loc[gone.to_numpy(), ["question_id", "text"]].values
        ],
        x=0.0,
    )
    return title, alt, figure


def _trend_labels(view: ChartView) -> dict[str, str]:
    # The round labels the original figure used for its two marker traces.
    names = [t.name for t in view.figure.data if getattr(t, "mode", "") != "lines" and t.name]
    rounds = list(view.data["round_from"].iloc[:1]) + list(view.data["round_to"].iloc[:1])
    return dict(zip(rounds, names, strict=False))


def _cohort_profile(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    _titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    from analytics import charts

    quadrants = _rows(data, data["dimension"] == "quadrant")
    if not quadrants:
        title = narrative.cohort_title(data)
    else:
        total = int(data["cases"].iloc[quadrants].sum())
        parts = "; ".join(
            f"{data['value'].iat[i]} {shown['cases'].iat[i]}"
            for q in QUADRANTS
            for i in quadrants
            if data["value"].iat[i] == q
        )
        count = str(total) if total >= threshold else SUPPRESSED
        title = f"{count} cases audited ({parts})"
    grades = _rows(data, data["dimension"] == "overall_grade")
    alt = "Bar charts of the audited cases by quadrant, team, gender, age band and grade"
    if grades:
        top = max(grades, key=lambda i: (data["cases"].iat[i], -i))
        if _hidden(shown, top, "cases"):
            alt += f"; grade counts under {threshold} are not shown."
        else:
            alt += (
                f"; the most common overall grade is {data['value'].iat[top]} "
                f"({int(data['cases'].iat[top])} cases)."
            )
    else:
        alt += "."
    plotted = data.copy()
    gone = np.asarray([_hidden(shown, i, "cases") for i in range(len(data))], dtype=bool)
    plotted["cases"] = plotted["cases"].where(~gone, 0)
    figure = charts.cohort_profile_figure(plotted, view.subtitle)
    # The builder draws one bar trace per dimension, in its own order, rows in data order.
    for trace, dimension in zip(figure.data, charts.PROFILE_DIMENSIONS, strict=False):
        rows = _rows(data, data["dimension"] == dimension)
        trace.text = [SUPPRESSED if gone[i] else str(int(data["cases"].iat[i])) for i in rows]
    return title, alt, figure


def _heatmap(
    view: ChartView,
    data: pd.DataFrame,
    shown: pd.DataFrame,
    threshold: int,
    titles: Mapping[str, str],
) -> tuple[str, str, go.Figure]:
    # Category x theme, category x quadrant and theme x quadrant: each cell's share and n.
    where = "overall"
    if view.name == "theme_quadrant":
        # One chosen quadrant: its own lowest theme (several: the county's, as pooling withheld
        # cells could give a hidden count away).
        chosen = view.filters.quadrants
        area = chosen[0] if len(chosen) == 1 else COUNTY
        where = f"in {area}" if area != COUNTY else where
        overall = _rows(data, data["quadrant"] == area)
        name_column, what = "title", "themes"
    else:
        overall = _rows(data, (data["theme_id"] == "All themes") & (data["quadrant"] == COUNTY))
        name_column, what = "category", "practice areas"
    usable = [i for i in overall if not _hidden(shown, i, "pct_met")]
    ordered = sorted(usable, key=lambda i: (data["pct_met"].iat[i], i))
    shown_note = "" if len(usable) == len(overall) else " shown"
    if not ordered:
        title = f"Share met by {what}: not shown ({SUPPRESSED})"
        alt = f"Heatmap of the share met for {len(overall)} {what}; shares are not shown."
    else:
        low, high = ordered[0], ordered[-1]

        def name(i: int) -> str:
            return str(data[name_column].iat[i])

        def share(i: int) -> str:
            return narrative.pct(data["pct_met"].iat[i])

        if view.name == "theme_quadrant":
            title = f"Lowest {where}{shown_note}: {name(low)} ({share(low)} of standards met)"
        else:
            title = (
                f"Weakest practice area{shown_note} across themes: {name(low)} ({share(low)} met)"
            )
        alt = (
            f"Heatmap of the share met for {len(overall)} {what}; {where}{shown_note} from "
            f"{name(low)} ({share(low)}) to {name(high)} ({share(high)})"
        )
        alt += _not_shown(len(overall) - len(usable)) + "."
    figure = go.Figure(view.figure)
    cells = _heatmap_cells(view, data, titles)
    for trace in figure.data:
        if trace.type != "heatmap":
            continue
        z = _as_array(trace.z)
        text = [list(row) for row in trace.text]
        for r, y in enumerate(trace.y):
            for c, x in enumerate(trace.x):
                i = cells.get((str(y), str(x)))
                if i is None:
                    continue
                n = shown["n"].iat[i]
                if _hidden(shown, i, "pct_met"):
                    z[r, c] = np.nan
                    text[r][c] = SUPPRESSED if n == SUPPRESSED else f"{SUPPRESSED}<br>n={n}"
                elif n == SUPPRESSED:
                    text[r][c] = f"{narrative.pct(data['pct_met'].iat[i])}<br>n={SUPPRESSED}"
        trace.z, trace.text = z, text
    return title, alt, figure


def _as_array(values: object) -> np.ndarray:
    """Return a trace's numbers as a float array, whether plotly holds them as an array or, as
    after a pickle round trip (Streamlit's cache), as a base64 typed array."""
    if isinstance(values, dict) and "bdata" in values:
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = values.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(part) for part in shape.split(","))
        return flat.reshape(shape).astype(float) if shape else flat.astype(float)
    return np.array(values, dtype=float)


def _heatmap_cells(
    view: ChartView, data: pd.DataFrame, titles: Mapping[str, str]
) -> dict[tuple[str, str], int]:
    # (row label, column label) of each data row, as the heatmap labels them.
    if view.name == "theme_quadrant":
        keys = zip(data["title"], data["quadrant"], strict=True)
    elif view.name == "category_by_quadrant":
        keys = zip(data["category"], data["quadrant"], strict=True)
    else:
        keys = zip(data["category"], [titles.get(t, t) for t in data["theme_id"]], strict=True)
    return {(str(y), str(x)): i for i, (y, x) in enumerate(keys)}


def _left_out(view: ChartView, threshold: int) -> tuple[str, str, go.Figure]:
    note = f"Chart left out of this circulation copy: it cannot hide counts under {threshold}."
    figure = go.Figure(layout={"height": 200, "xaxis": {"visible": False},
                               "yaxis": {"visible": False}})  # fmt: skip
    figure.add_annotation(text=note, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    return view.name.replace("_", " ").capitalize(), note, figure


_BUILDERS: dict[str, Builder] = {
    "quadrant_comparison": _quadrant_comparison,
    "finding_frequency": _finding_frequency,
    "round_trend": _round_trend,
    "cohort_profile": _cohort_profile,
    "category_matrix": _heatmap,
    "category_by_quadrant": _heatmap,
    "theme_quadrant": _heatmap,
}


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
