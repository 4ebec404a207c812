"""Chart builders: pure functions from a query's frame to a plotly figure, one palette throughout.

Titles state the finding (from analytics.narrative); subtitles carry n, round and filters.
"""

from __future__ import annotations

import html
import textwrap

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
CHART_NAMES = (
    "quadrant_comparison",
    "finding_frequency",
    "round_trend",
    "cohort_profile",
    "category_matrix",
)


def literal(value: object) -> str:
    """Return text from the data as plotly shows it literally: plotly reads <b>, <a href=…> and
    the like in any label as markup, so <, > and & are escaped (plotly shows the entities as the
    characters)."""
    return html.escape(str(value), quote=False)


def plain_title(fig: go.Figure) -> str:
    """Return a figure's title as plain text (the figure holds it escaped: see literal())."""
    return html.unescape(fig.layout.title.text or "")


def _layout(fig: go.Figure, title: str, subtitle: str, height: int) -> go.Figure:
    text = {"color": TEXT_COLOUR}
    # Every axis, the small multiples' included, in the same one update: plotly's per-call
    # validation is most of a chart's build time (update_xaxes and update_yaxes cost twice).
    axes = [name for name in fig.layout if name.startswith(("xaxis", "yaxis"))]
    fig.update_layout(
        {name: {"tickfont": text, "title_font": text} for name in axes or ("xaxis", "yaxis")},
        # Its own template whatever the process's default (importing streamlit sets one).
        template=CHART_TEMPLATE,
        title={
            "text": literal(title),
            "subtitle": {"text": literal(subtitle), "font": text},
            "x": 0,
            "xanchor": "left",
            "font": text,
        },
        font={"family": FONT, "size": 13, **text},
        height=height,
        margin={"l": 10, "r": 20, "t": 90, "b": 40},
        plot_bgcolor=BACKGROUND,
        paper_bgcolor=BACKGROUND,
        # Right-aligned so a long left-aligned subtitle never runs under the legend.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1,
                "font": text, "title": {"font": text}},
    )  # fmt: skip
    return fig


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
    fig = go.Figure()
    labels = {
        q: question_label(q, t) for q, t in frame[["question_id", "text"]].drop_duplicates().values
    }
    order = list(labels.values())[::-1]  # first question at the top
    for area in (*QUADRANTS, COUNTY):
        rows = frame[(frame["quadrant"] == area) & (frame["n"] > 0)]
        if rows.empty:
            continue
        highlighted = not quadrants or area in quadrants or area == COUNTY
        is_county = area == COUNTY
        fig.add_trace(
            go.Scatter(
                x=rows["pct_met"],
                y=rows["question_id"].map(labels),
                mode="markers",
                name="County" if is_county else area,
                marker={
                    "color": COUNTY_COLOUR if is_county else QUADRANT_COLOURS[area],
                    "symbol": "line-ns" if is_county else "circle",
                    "size": 22 if is_county else 11,
                    "line": {"width": 3 if is_county else 0, "color": COUNTY_COLOUR},
                },
                opacity=1.0 if highlighted else FADED_OPACITY,
                error_x=None
                if is_county
                else {
                    "type": "data",
                    "symmetric": False,
                    "array": rows["ci_high"] - rows["pct_met"],
                    "arrayminus": rows["pct_met"] - rows["ci_low"],
                    "thickness": 1.2,
                    "width": 0,
                    "color": QUADRANT_COLOURS[area],
                },
                customdata=rows[["n", "met", "ci_low", "ci_high"]].to_numpy(),
                hovertemplate=(
                    f"{area}: %{{x:.0%}} met (%{{customdata[1]}} of %{{customdata[0]}})"
                    "<br>95% interval %{customdata[2]:.0%}–%{customdata[3]:.0%}<extra></extra>"
                ),
            )
        )
    fig.update_xaxes(range=[-0.02, 1.02], tickformat=".0%", title="Share of cases met",
                     gridcolor="#E5E5E5")  # fmt: skip
    fig.update_yaxes(categoryorder="array", categoryarray=order, title=None)
    title = narrative.quadrant_comparison_title(frame, quadrants)
    return _layout(fig, title, subtitle, height=140 + 38 * len(labels))


def finding_frequency_figure(frame: pd.DataFrame, subtitle: str = "", top: int = 12) -> go.Figure:
    """Return stacked bars of not met and partially met per standard, ranked, with the county."""
    chosen = frame[frame["scope"] == "Selection"].head(top)
    county = frame[frame["scope"] == "County"].set_index(["theme_id", "question_id"])
    labels = [question_label(q, t, 60) for q, t in chosen[["question_id", "text"]].values]
    fig = go.Figure()
    for response, column in ((NOT_MET, "pct_not_met"), (PARTIALLY_MET, "pct_partially_met")):
        fig.add_trace(
            go.Bar(
                x=chosen[column],
                y=labels,
                orientation="h",
                name=response,
                marker_color=RESPONSE_COLOURS[response],
                customdata=chosen[["n"]].to_numpy(),
                hovertemplate=f"{response}: %{{x:.0%}} of %{{customdata[0]}}<extra></extra>",
            )
        )
    keys = list(zip(chosen["theme_id"], chosen["question_id"], strict=True))
    county_pct_not_met = county["pct_not_met"]
    county_not_met = [county_pct_not_met.get(k) for k in keys]
    fig.add_trace(
        go.Scatter(
            x=county_not_met,
            y=labels,
            mode="markers",
            name="County: not met",
            marker={"symbol": "line-ns", "size": 20, "line": {"width": 3, "color": COUNTY_COLOUR}},
            hovertemplate="County not met: %{x:.0%}<extra></extra>",
        )
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="Share of cases", gridcolor="#E5E5E5")
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title=None)
    title = narrative.finding_frequency_title(frame)
    return _layout(fig, title, subtitle, height=140 + 34 * max(len(labels), 1))


def empty_figure(message: str, subtitle: str = "") -> go.Figure:
    """Return a chart with nothing plotted that says why (a selection without cases)."""
    fig = go.Figure(layout={"xaxis": {"visible": False}, "yaxis": {"visible": False}})
    fig.add_annotation(text=literal(message), x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False)  # fmt: skip
    return _layout(fig, message, subtitle, height=240)


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
    fig = go.Figure()
    names = round_labels or {}
    labels = [question_label(q, t) for q, t in trend[["question_id", "text"]].values]
    for label, row in zip(labels, trend.itertuples(index=False), strict=True):
        colour = QUADRANT_COLOURS["NW"] if row.beyond_chance else "#BFBFBF"
        fig.add_trace(
            go.Scatter(
                x=[row.pct_met_from, row.pct_met_to],
                y=[label, label],
                mode="lines",
                line={"color": colour, "width": 4 if row.beyond_chance else 2},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    verdict = ["beyond chance" if b else "within noise" for b in trend["beyond_chance"]]
    fig.add_trace(
        go.Scatter(
            x=trend["pct_met_from"],
            y=labels,
            mode="markers",
            name=literal(names.get(trend["round_from"].iloc[0], trend["round_from"].iloc[0]))
            if len(trend)
            else "from",
            marker={"color": "white", "size": 11, "line": {"width": 2, "color": "#505A5F"}},
            customdata=trend[["n_from"]].to_numpy(),
            hovertemplate="%{x:.0%} met (n=%{customdata[0]})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=trend["pct_met_to"],
            y=labels,
            mode="markers",
            name=literal(names.get(trend["round_to"].iloc[0], trend["round_to"].iloc[0]))
            if len(trend)
            else "to",
            marker={"color": QUADRANT_COLOURS["NW"], "size": 12},
            customdata=trend[["n_to", "p_value"]].to_numpy(),
            hovertemplate=(
                "%{x:.0%} met (n=%{customdata[0]}), p=%{customdata[1]:.3f}<extra></extra>"
            ),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=verdict_x(trend),
            y=labels,
            mode="markers+text",
            # An invisible marker as wide as the drawn ones keeps the words clear of them.
            marker={"size": 14, "color": "rgba(0,0,0,0)"},
            text=verdict,
            textposition="middle right",
            textfont={"size": 11, "color": QUIET_TEXT_COLOUR},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(range=[-0.02, 1.25], tickformat=".0%", title="Share of cases met",
                     gridcolor="#E5E5E5", tickvals=[0, 0.25, 0.5, 0.75, 1])  # fmt: skip
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title=None)
    return _layout(
        fig, narrative.round_trend_title(trend), subtitle, 140 + 38 * max(len(labels), 1)
    )


PROFILE_DIMENSIONS = {
    "quadrant": "Quadrant",
    "team": "Team",
    "gender": "Gender",
    "age_band": "Age band",
    "overall_grade": "Overall grade",
}


def cohort_profile_figure(profile: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Return small bar charts of the cohort by quadrant, team, gender, age band and grade."""
    fig = make_subplots(
        rows=1,
        cols=len(PROFILE_DIMENSIONS),
        subplot_titles=list(PROFILE_DIMENSIONS.values()),
        horizontal_spacing=0.06,
    )
    for column, dimension in enumerate(PROFILE_DIMENSIONS, start=1):
        rows = profile[profile["dimension"] == dimension]
        colours = [
            QUADRANT_COLOURS.get(v, QUADRANT_COLOURS["NW"])
            if dimension == "quadrant"
            else "#12436D"
            for v in rows["value"]
        ]
        fig.add_trace(
            go.Bar(
                x=[literal(v) for v in rows["value"]],
                y=rows["cases"],
                marker_color=colours,
                text=rows["cases"],
                textposition="outside",
                cliponaxis=False,  # the tallest bar's label sits above the plot area
                showlegend=False,
                hovertemplate="%{x}: %{y} cases<extra></extra>",
            ),
            row=1,
            col=column,
        )
    # Headroom above the tallest bar for its label.
    fig.update_yaxes(showticklabels=False, showgrid=False, rangemode="tozero")
    for column, dimension in enumerate(PROFILE_DIMENSIONS, start=1):
        tallest = profile.loc[profile["dimension"] == dimension, "cases"].max()
        if pd.notna(tallest) and tallest > 0:
            fig.update_yaxes(range=[0, float(tallest) * 1.2], row=1, col=column)
    return _layout(fig, narrative.cohort_title(profile), subtitle, height=360)


def heatmap_figure(
    table: pd.DataFrame, rows: str, columns: str, title: str, subtitle: str = "",
    row_order: list[str] | None = None, column_order: list[str] | None = None,
) -> go.Figure:  # fmt: skip
    """Return a pct_met heatmap of `rows` x `columns`, each cell labelled with its share and n."""
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
    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(),
            x=[literal(c) for c in wide.columns],
            y=[literal(r) for r in wide.index],
            zmin=0,
            zmax=1,
            colorscale=SEQUENTIAL_SCALE,
            text=text,
            texttemplate="%{text}",
            colorbar={
                "title": {"text": "Met", "font": {"color": TEXT_COLOUR}},
                "tickformat": ".0%",
                "tickfont": {"color": TEXT_COLOUR},
            },
            hovertemplate="%{y} · %{x}: %{z:.0%} met<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, subtitle, height=160 + 48 * len(wide.index))


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
    columns = [*QUADRANTS, COUNTY]
    fig = heatmap_figure(
        summary, "title", "quadrant", narrative.theme_heatmap_title(summary), subtitle,
        row_order=list(dict.fromkeys(summary["title"])), column_order=columns,
    )  # fmt: skip
    shown = list(fig.data[0].x)
    for quadrant in quadrants:
        if quadrant not in shown:
            continue
        at = shown.index(quadrant)
        fig.add_shape(
            type="rect", xref="x", yref="paper", x0=at - 0.5, x1=at + 0.5, y0=0, y1=1,
            line={"color": QUADRANT_COLOURS[quadrant], "width": 4}, fillcolor="rgba(0,0,0,0)",
        )  # fmt: skip
    if quadrants:
        fig.update_xaxes(
            tickmode="array",
            tickvals=shown,
            ticktext=[f"<b>{c}</b>" if c in quadrants else c for c in shown],
        )
    return fig
