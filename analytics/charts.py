"""Chart builders: pure functions from a query's frame to a plotly figure, one palette throughout.

Titles state the finding (from analytics.narrative); subtitles carry n, round and filters.
"""

from __future__ import annotations

import functools
import html
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from analytics import narrative
from analytics.domain import (
    COUNTY,
    COUNTY_COLOUR,
    NOT_MET,
    PARTIALLY_MET,
    QUADRANT_COLOURS,
    QUADRANTS,
    RESPONSE_COLOURS,
)

FONT = "Arial, Helvetica, sans-serif"
# Every word on a chart (titles, ticks, axis titles, legend, cell labels) is this near-black: 19:1
# on the white background, where WCAG AA asks 4.5:1. Set on the figure's layout itself, not only
# its template: Streamlit's chart theme merges its own grey (about 3.7:1) into the template.
TEXT_COLOUR = "#0B0C0C"
BACKGROUND = "white"
# Secondary words (the trend chart's verdicts): 7:1 on white.
QUIET_TEXT_COLOUR = "#505A5F"
# Every figure carries this template, so it looks the same in every process. Without it plotly
# gives a new figure the process's default template, and `import streamlit` makes that Streamlit's
# own (placeholder colours, no automargin): the dashboard's images then lost their row labels off
# the left edge while the command line's, drawn in a process without Streamlit, kept them.
CHART_TEMPLATE = go.layout.Template(pio.templates["plotly"])
CHART_TEMPLATE.layout.update(
    font={"family": FONT, "color": TEXT_COLOUR},
    paper_bgcolor=BACKGROUND,
    plot_bgcolor=BACKGROUND,
    xaxis={"automargin": True},
    yaxis={"automargin": True},
)
FADED_OPACITY = 0.3
# A sequential single-hue scale (light to dark blue) reads the same to colour-blind viewers.
SEQUENTIAL_SCALE = [[0.0, "#F2F6FA"], [0.5, "#7FA1C2"], [1.0, "#12436D"]]


def literal(value: object) -> str:
    """Return text from the data as plotly shows it literally: plotly reads <b>, <a href=…> and
    the like in any label as markup, so <, > and & are escaped (plotly shows the entities as the
    characters)."""
    return html.escape(str(value), quote=False)


def plain_title(fig: go.Figure) -> str:
    """Return a figure's title as plain text (the figure holds it escaped: see literal())."""
    return html.unescape(fig.layout.title.text or "")


# The template as plotly's JSON, built once: validating it again for every figure cost more than
# the rest of the figure.
_TEMPLATE_JSON = CHART_TEMPLATE.to_plotly_json()
_TEXT = {"color": TEXT_COLOUR}
_GRID = "#E5E5E5"


class SpecFigure(go.Figure):  # type: ignore[misc]  # plotly is untyped: go.Figure is Any
    """A figure already in plotly's JSON form: made, copied and unpickled without validating it
    again. Plotly's per-property validation was most of a page's run (70–160 ms a chart), and
    st.cache_data unpickles a cached chart on every rerun. Every chart is validated by the
    tests instead (tests/test_chart_style.py), which build it again with validation on."""

    def __init__(self, data: Any = None, layout: Any = None, frames: Any = None,
                 skip_invalid: bool = False, **kwargs: Any) -> None:  # fmt: skip
        kwargs.setdefault("_validate", False)
        super().__init__(data, layout, frames, skip_invalid, **kwargs)


def figure_from_spec(traces: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """Return a figure of traces and layout already in plotly's JSON form (SpecFigure)."""
    return SpecFigure({"data": traces, "layout": layout})


def _values(values: Iterable[Any]) -> list[Any]:
    # Plain Python values (numpy and pandas scalars, NaN as None) for a spec no one validates.
    return [None if pd.isna(v) else v.item() if hasattr(v, "item") else v for v in values]


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    return [_values(row) for row in frame.to_numpy()]


def axis(title: str | None = None, **props: Any) -> dict[str, Any]:
    """Return an axis in plotly's JSON form: near-black ticks and title, with `props`."""
    heading = {"font": _TEXT} if title is None else {"text": title, "font": _TEXT}
    return {"tickfont": _TEXT, "title": heading, **props}


def _layout(
    title: str, subtitle: str, height: int, axes: dict[str, dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        **axes,
        # Its own template whatever the process's default (importing streamlit sets one).
        "template": _TEMPLATE_JSON,
        "title": {
            "text": literal(title),
            "subtitle": {"text": literal(subtitle), "font": _TEXT},
            "x": 0,
            "xanchor": "left",
            "font": _TEXT,
        },
        "font": {"family": FONT, "size": 13, **_TEXT},
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 90, "b": 40},
        "plot_bgcolor": BACKGROUND,
        "paper_bgcolor": BACKGROUND,
        # Right-aligned so a long left-aligned subtitle never runs under the legend. In the
        # traces' order: plotly reverses it for stacked bars unless told.
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1,
                   "font": _TEXT, "title": {"font": _TEXT}, "traceorder": "normal"},
        **extra,
    }  # fmt: skip


def question_label(question_id: str, text: str, limit: int = 55, wrap: int | None = None) -> str:
    """Return the axis label of a question: its id and its text, shortened to `limit` characters;
    with `wrap`, whole, in lines of at most `wrap` characters (escaped markup)."""
    if wrap is None:
        return literal(f"{question_id} · {narrative.short(text, limit)}")
    return "<br>".join(literal(line) for line in textwrap.wrap(f"{question_id} · {text}", wrap))


def quadrant_comparison_figure(
    frame: pd.DataFrame, quadrants: tuple[str, ...] = (), subtitle: str = ""
) -> go.Figure:
    """Return a dot plot: share met per question by quadrant, with Wilson intervals and county."""
    labels = {
        q: question_label(q, t) for q, t in frame[["question_id", "text"]].drop_duplicates().values
    }
    order = list(labels.values())[::-1]  # first question at the top
    traces = []
    for area in (*QUADRANTS, COUNTY):
        rows = frame[(frame["quadrant"] == area) & (frame["n"] > 0)]
        if rows.empty:
            continue
        highlighted = not quadrants or area in quadrants or area == COUNTY
        is_county = area == COUNTY
        trace = {
            "type": "scatter",
            "x": _values(rows["pct_met"]),
            "y": _values(rows["question_id"].map(labels)),
            "mode": "markers",
            "name": "County" if is_county else area,
            "marker": {
                "color": COUNTY_COLOUR if is_county else QUADRANT_COLOURS[area],
                "symbol": "line-ns" if is_county else "circle",
                "size": 22 if is_county else 11,
                "line": {"width": 3 if is_county else 0, "color": COUNTY_COLOUR},
            },
            "opacity": 1.0 if highlighted else FADED_OPACITY,
            "customdata": _rows(rows[["n", "met", "ci_low", "ci_high"]]),
            "hovertemplate": (
                f"{area}: %{{x:.0%}} met (%{{customdata[1]}} of %{{customdata[0]}})"
                "<br>95% interval %{customdata[2]:.0%}–%{customdata[3]:.0%}<extra></extra>"
            ),
        }
        if not is_county:
            trace["error_x"] = {
                "type": "data",
                "symmetric": False,
                "array": _values(rows["ci_high"] - rows["pct_met"]),
                "arrayminus": _values(rows["pct_met"] - rows["ci_low"]),
                "thickness": 1.2,
                "width": 0,
                "color": QUADRANT_COLOURS[area],
            }
        traces.append(trace)
    axes = {
        "xaxis": axis("Share of cases met", range=[-0.02, 1.02], tickformat=".0%",
                      gridcolor=_GRID),
        "yaxis": axis(categoryorder="array", categoryarray=order),
    }  # fmt: skip
    title = narrative.quadrant_comparison_title(frame, quadrants)
    return figure_from_spec(traces, _layout(title, subtitle, 140 + 38 * len(labels), axes))


def finding_frequency_figure(frame: pd.DataFrame, subtitle: str = "", top: int = 12) -> go.Figure:
    """Return stacked bars of not met and partially met per standard, ranked, with the county."""
    chosen = frame[frame["scope"] == "Selection"].head(top)
    county = frame[frame["scope"] == "County"].set_index(["theme_id", "question_id"])
    labels = [question_label(q, t, 60) for q, t in chosen[["question_id", "text"]].values]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": _values(chosen[column]),
            "y": labels,
            "orientation": "h",
            "name": response,
            "marker": {"color": RESPONSE_COLOURS[response]},
            "customdata": _rows(chosen[["n"]]),
            "hovertemplate": f"{response}: %{{x:.0%}} of %{{customdata[0]}}<extra></extra>",
        }
        for response, column in ((NOT_MET, "pct_not_met"), (PARTIALLY_MET, "pct_partially_met"))
    ]
    keys = list(zip(chosen["theme_id"], chosen["question_id"], strict=True))
    county_pct_not_met = county["pct_not_met"]
    traces.append(
        {
            "type": "scatter",
            "x": _values(county_pct_not_met.get(k) for k in keys),
            "y": labels,
            "mode": "markers",
            "name": "County: not met",
            "marker": {"symbol": "line-ns", "size": 20,
                       "line": {"width": 3, "color": COUNTY_COLOUR}},
            "hovertemplate": "County not met: %{x:.0%}<extra></extra>",
        }
    )  # fmt: skip
    axes = {
        "xaxis": axis("Share of cases", range=[0, 1], tickformat=".0%", gridcolor=_GRID),
        "yaxis": axis(categoryorder="array", categoryarray=labels[::-1]),
    }
    title = narrative.finding_frequency_title(frame)
    height = 140 + 34 * max(len(labels), 1)
    return figure_from_spec(traces, _layout(title, subtitle, height, axes, barmode="stack"))


def empty_figure(message: str, subtitle: str = "") -> go.Figure:
    """Return a chart with nothing plotted that says why (a selection without cases)."""
    axes = {"xaxis": axis(visible=False), "yaxis": axis(visible=False)}
    note = {"text": literal(message), "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
            "showarrow": False}  # fmt: skip
    return figure_from_spec([], _layout(message, subtitle, 240, axes, annotations=[note]))


def verdict_x(trend: pd.DataFrame) -> np.ndarray:
    """Return where each row's verdict ("within noise") starts: right of the row's rightmost
    marker, so a fall (the earlier round's marker on the right) never puts the words over a
    marker or the line between them; none where the later round's share is not shown."""
    rightmost = np.fmax(
        trend["pct_met_from"].to_numpy(dtype=float), trend["pct_met_to"].to_numpy(dtype=float)
    )
    return np.where(trend["pct_met_to"].isna().to_numpy(), np.nan, rightmost)


def round_trend_figure(
    trend: pd.DataFrame, subtitle: str = "", round_labels: dict[str, str] | None = None
) -> go.Figure:
    """Return a dumbbell chart per question between two rounds; beyond-chance changes stand out."""
    names = round_labels or {}
    labels = [question_label(q, t) for q, t in trend[["question_id", "text"]].values]
    traces: list[dict[str, Any]] = []
    for label, row in zip(labels, trend.itertuples(index=False), strict=True):
        colour = QUADRANT_COLOURS["NW"] if row.beyond_chance else "#BFBFBF"
        traces.append(
            {
                "type": "scatter",
                "x": _values([row.pct_met_from, row.pct_met_to]),
                "y": [label, label],
                "mode": "lines",
                "line": {"color": colour, "width": 4 if row.beyond_chance else 2},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )

    def round_name(column: str, fallback: str) -> str:
        return literal(names.get(trend[column].iloc[0], trend[column].iloc[0])) if len(trend) \
            else fallback  # fmt: skip

    verdict = ["beyond chance" if b else "within noise" for b in trend["beyond_chance"]]
    traces += [
        {
            "type": "scatter",
            "x": _values(trend["pct_met_from"]),
            "y": labels,
            "mode": "markers",
            "name": round_name("round_from", "from"),
            "marker": {"color": "white", "size": 11, "line": {"width": 2, "color": "#505A5F"}},
            "customdata": _rows(trend[["n_from"]]),
            "hovertemplate": "%{x:.0%} met (n=%{customdata[0]})<extra></extra>",
        },
        {
            "type": "scatter",
            "x": _values(trend["pct_met_to"]),
            "y": labels,
            "mode": "markers",
            "name": round_name("round_to", "to"),
            "marker": {"color": QUADRANT_COLOURS["NW"], "size": 12},
            "customdata": _rows(trend[["n_to", "p_value"]]),
            "hovertemplate": (
                "%{x:.0%} met (n=%{customdata[0]}), p=%{customdata[1]:.3f}<extra></extra>"
            ),
        },
        {
            "type": "scatter",
            "x": _values(verdict_x(trend)),
            "y": labels,
            "mode": "markers+text",
            # An invisible marker as wide as the drawn ones keeps the words clear of them.
            "marker": {"size": 14, "color": "rgba(0,0,0,0)"},
            "text": verdict,
            "textposition": "middle right",
            "textfont": {"size": 11, "color": QUIET_TEXT_COLOUR},
            "showlegend": False,
            "hoverinfo": "skip",
        },
    ]
    axes = {
        "xaxis": axis("Share of cases met", range=[-0.02, 1.25], tickformat=".0%",
                      gridcolor=_GRID, tickvals=[0, 0.25, 0.5, 0.75, 1]),
        "yaxis": axis(categoryorder="array", categoryarray=labels[::-1]),
    }  # fmt: skip
    title = narrative.round_trend_title(trend)
    height = 140 + 38 * max(len(labels), 1)
    return figure_from_spec(traces, _layout(title, subtitle, height, axes))


PROFILE_DIMENSIONS = {
    "quadrant": "Quadrant",
    "team": "Team",
    "gender": "Gender",
    "age_band": "Age band",
    "overall_grade": "Overall grade",
}


@functools.cache
def _profile_grid() -> dict[str, Any]:
    # One row of small multiples: plotly's own axis domains and subplot titles, worked out once.
    grid = make_subplots(
        rows=1,
        cols=len(PROFILE_DIMENSIONS),
        subplot_titles=list(PROFILE_DIMENSIONS.values()),
        horizontal_spacing=0.06,
    )
    layout = grid.to_dict()["layout"]
    return {key: value for key, value in layout.items() if key != "template"}


def _axis_id(letter: str, column: int) -> str:
    return letter if column == 1 else f"{letter}{column}"


def cohort_profile_figure(profile: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Return small bar charts of the cohort by quadrant, team, gender, age band and grade."""
    grid = dict(_profile_grid())  # its axes are rebuilt below, never changed in place
    traces = []
    for column, dimension in enumerate(PROFILE_DIMENSIONS, start=1):
        rows = profile[profile["dimension"] == dimension]
        colours = [
            QUADRANT_COLOURS.get(v, QUADRANT_COLOURS["NW"])
            if dimension == "quadrant"
            else "#12436D"
            for v in rows["value"]
        ]
        cases = _values(rows["cases"])
        traces.append(
            {
                "type": "bar",
                "x": [literal(v) for v in rows["value"]],
                "y": cases,
                "marker": {"color": colours},
                "text": ["" if c is None else f"{c:.0f}" for c in cases],
                "textposition": "outside",
                "cliponaxis": False,  # the tallest bar's label sits above the plot area
                "showlegend": False,
                "hovertemplate": "%{x}: %{y} cases<extra></extra>",
                "xaxis": _axis_id("x", column),
                "yaxis": _axis_id("y", column),
            }
        )
        x_name, y_name = _axis_id("xaxis", column), _axis_id("yaxis", column)
        grid[x_name] = axis(**grid[x_name])
        y_axis = axis(**grid[y_name], showticklabels=False, showgrid=False, rangemode="tozero")
        # Headroom above the tallest bar for its label.
        tallest = rows["cases"].max()
        if pd.notna(tallest) and tallest > 0:
            y_axis["range"] = [0, float(tallest) * 1.2]
        grid[y_name] = y_axis
    title = narrative.cohort_title(profile)
    return figure_from_spec(traces, _layout(title, subtitle, 360, {}, **grid))


def heatmap_figure(
    table: pd.DataFrame, rows: str, columns: str, title: str, subtitle: str = "",
    row_order: list[str] | None = None, column_order: list[str] | None = None,
    outlined: Mapping[str, str] | None = None,
) -> go.Figure:  # fmt: skip
    """Return a pct_met heatmap of `rows` x `columns`, each cell labelled with its share and n;
    the `outlined` columns (name -> colour) framed and their labels in bold."""
    wide = table.pivot_table(index=rows, columns=columns, values="pct_met", aggfunc="first")
    n = table.pivot_table(index=rows, columns=columns, values="n", aggfunc="first")
    if row_order:
        wide = wide.reindex([r for r in row_order if r in wide.index])
    if column_order:
        wide = wide.reindex(columns=[c for c in column_order if c in wide.columns])
    n = n.reindex(index=wide.index, columns=wide.columns)
    text = [
        [
            "" if pd.isna(v) else f"{v:.0%}<br>n={int(c)}"
            for v, c in zip(wide.loc[r], n.loc[r], strict=True)
        ]
        for r in wide.index
    ]
    heatmap: dict[str, Any] = {
        "type": "heatmap",
        "z": [_values(row) for row in wide.to_numpy()],
        "x": [literal(c) for c in wide.columns],
        "y": [literal(r) for r in wide.index],
        "zmin": 0,
        "zmax": 1,
        "colorscale": SEQUENTIAL_SCALE,
        "text": text,
        "texttemplate": "%{text}",
        "colorbar": {
            "title": {"text": "Met", "font": {"color": TEXT_COLOUR}},
            "tickfont": {"color": TEXT_COLOUR},
            "tickformat": ".0%",
        },
        "hovertemplate": "%{y} · %{x}: %{z:.0%} met<extra></extra>",
    }
    axes = {"xaxis": axis(), "yaxis": axis(autorange="reversed")}
    shown = heatmap["x"]
    outlines = [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": at - 0.5, "x1": at + 0.5, "y0": 0,
         "y1": 1, "line": {"color": (outlined or {})[c], "width": 4},
         "fillcolor": "rgba(0,0,0,0)"}
        for at, c in enumerate(shown) if c in (outlined or {})
    ]  # fmt: skip
    extra: dict[str, Any] = {"shapes": outlines} if outlines else {}
    if outlined:
        ticks = [f"<b>{c}</b>" if c in outlined else c for c in shown]
        axes["xaxis"].update(tickmode="array", tickvals=shown, ticktext=ticks)
    height = 160 + 48 * len(wide.index)
    return figure_from_spec([heatmap], _layout(title, subtitle, height, axes, **extra))


def category_matrix_figure(
    matrix: pd.DataFrame, by: str = "theme", subtitle: str = "",
    theme_titles: dict[str, str] | None = None, category_order: list[str] | None = None,
) -> go.Figure:  # fmt: skip
    """Return the category x theme (by="theme") or category x quadrant heatmap of pct_met."""
    if by == "theme":
        table = matrix[matrix["quadrant"] == COUNTY].copy()
        table["column"] = table["theme_id"].map(lambda t: (theme_titles or {}).get(t, t))
        columns = [*(theme_titles or {}).values(), "All themes"]
    else:
        table = matrix[matrix["theme_id"] == "All themes"].copy()
        table["column"] = table["quadrant"]
        columns = [*QUADRANTS, COUNTY]
    return heatmap_figure(
        table, "category", "column", narrative.category_matrix_title(matrix), subtitle,
        row_order=category_order, column_order=columns,
    )  # fmt: skip


def theme_quadrant_figure(
    summary: pd.DataFrame, subtitle: str = "", quadrants: tuple[str, ...] = ()
) -> go.Figure:
    """Return the theme x quadrant heatmap of pct_met at each theme's latest round, with the
    selected quadrants' columns outlined and their labels in bold."""
    return heatmap_figure(
        summary, "title", "quadrant", narrative.theme_heatmap_title(summary), subtitle,
        row_order=list(dict.fromkeys(summary["title"])), column_order=[*QUADRANTS, COUNTY],
        outlined={q: QUADRANT_COLOURS[q] for q in quadrants},
    )  # fmt: skip
