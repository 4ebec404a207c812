"""What the charts' circulation redraws share: which cells the suppressed table hides, shares
left blank where a count is hidden, and a "c" where a bar or point is left out.

Each chart's spec holds its own redraw (analytics.disclosure.circulation runs it); the three
heatmaps share heatmap_redraw.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import narrative
from analytics.chart_specs.spec import ChartView
from analytics.domain import COUNTY
from analytics.stats import SUPPRESSED


def hidden(shown: pd.DataFrame, row: int, *columns: str) -> bool:
    return any(c in shown.columns and shown[c].iat[row] == SUPPRESSED for c in columns)


def rows_where(frame: pd.DataFrame, mask: pd.Series | np.ndarray) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool))]


def pct_shown(shown: pd.DataFrame, row: int, column: str) -> str:
    value = shown[column].iat[row]
    return SUPPRESSED if value == SUPPRESSED else narrative.pct(value)


def not_shown(count: int) -> str:
    return f"; {count} not shown ({SUPPRESSED})" if count else ""


def blank(
    frame: pd.DataFrame, shown: pd.DataFrame, columns: dict[str, tuple[str, ...]]
) -> pd.DataFrame:
    # A copy of the data with every hidden share blank (NaN), so a builder draws nothing there.
    out = frame.copy()
    for column, also in columns.items():
        hide = [hidden(shown, i, column, *also) for i in range(len(frame))]
        out[column] = out[column].astype(float).where(~np.asarray(hide, dtype=bool))
    return out


def c_marks(figure: go.Figure, labels: list[str], x: float = 0.01) -> None:
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


def heatmap_redraw(
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
        overall = rows_where(data, data["quadrant"] == area)
        name_column, what = "title", "themes"
    else:
        overall = rows_where(
            data, (data["theme_id"] == "All themes") & (data["quadrant"] == COUNTY)
        )
        name_column, what = "category", "practice areas"
    usable = [i for i in overall if not hidden(shown, i, "pct_met")]
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
        alt += not_shown(len(overall) - len(usable)) + "."
    figure = go.Figure(view.figure)
    cells = heatmap_cells(view, data, titles)
    for trace in figure.data:
        if trace.type != "heatmap":
            continue
        z = as_array(trace.z)
        text = [list(row) for row in trace.text]
        for r, y in enumerate(trace.y):
            for c, x in enumerate(trace.x):
                i = cells.get((str(y), str(x)))
                if i is None:
                    continue
                n = shown["n"].iat[i]
                if hidden(shown, i, "pct_met"):
                    z[r, c] = np.nan
                    text[r][c] = SUPPRESSED if n == SUPPRESSED else f"{SUPPRESSED}<br>n={n}"
                elif n == SUPPRESSED:
                    text[r][c] = f"{narrative.pct(data['pct_met'].iat[i])}<br>n={SUPPRESSED}"
        trace.z, trace.text = z, text
    return title, alt, figure


def as_array(values: object) -> np.ndarray:
    """Return a trace's numbers as a float array, whether plotly holds them as an array or, as
    after a pickle round trip (Streamlit's cache), as a base64 typed array."""
    if isinstance(values, dict) and "bdata" in values:
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = values.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(part) for part in shape.split(","))
        return flat.reshape(shape).astype(float) if shape else flat.astype(float)
    return np.array(values, dtype=float)


def heatmap_cells(
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
