"""Every chart redrawn for a narrow column (a phone, about 360 px): the plot keeps the width.

On a desktop a chart's row labels sit left of the plot and its legend above it. In a 360 px column
that left the plot about 130 px and the legend over the title. Here, from the figure the chart
built (its plotly JSON), the same figure is drawn again:
- the title and subtitle wrapped, and the legend below the plot;
- each row's label (a standard, a quadrant) written above its row, across the full width;
- a heatmap's rows with a gap for their labels, its cells showing the share alone (the n is in
  the table under the chart) and no colour bar (every cell is labelled);
- small multiples (the cohort profile) stacked, one under the other.
The numbers, colours and order are the chart's own; only the layout changes.
"""

from __future__ import annotations

import copy
import textwrap
from typing import Any

import plotly.graph_objects as go

from analytics.charts import TEXT_COLOUR, figure_from_spec

TITLE_CHARACTERS = 36  # at the title's 17 px, a line fills about 330 px
SUBTITLE_CHARACTERS = 50
LABEL_CHARACTERS = 46  # a row label at 12 px
LABEL_LINE_PX = 16
TITLE_LINE_PX = 22
SUBTITLE_LINE_PX = 17
ROW_CONTENT_PX = 24  # the dots or bar of one row
ROW_PAD_PX = 8
HEATMAP_CELL_PX = 30
MULTIPLE_BAND_PX = 200  # one small multiple: its title, plot and tick labels
LEGEND_ROW_PX = 24
COLUMN_PX = 330  # the width a legend row fills
BOTTOM_PX = 50  # the x axis's ticks and title
UPRIGHT_CHARACTERS = 26  # a column label turned upright, at most
CHARACTER_PX = 7
_LABEL_FONT = {"size": 12, "color": TEXT_COLOUR}


def wrap(text: str, width: int) -> list[str]:
    """Return `text` (plotly markup, <br> for line breaks) in lines of at most `width`
    characters."""
    lines: list[str] = []
    for part in text.split("<br>"):
        lines += textwrap.wrap(part, width, break_on_hyphens=False) or [""]
    return lines


def for_narrow_column(figure: go.Figure) -> go.Figure:
    """Return the figure drawn again for a narrow column (see the module's docstring)."""
    spec = copy.deepcopy(figure.to_plotly_json())
    traces: list[dict[str, Any]] = list(spec.get("data", []))
    layout: dict[str, Any] = spec.get("layout", {})
    top = _title(layout)
    bottom = BOTTOM_PX
    if any(trace.get("type") == "heatmap" for trace in traces):
        body, bottom, above = _heatmap_rows(traces, layout)
        top += above
    elif "xaxis2" in layout:
        body = _stacked_multiples(layout)
    elif layout.get("yaxis", {}).get("categoryarray"):
        body = _labels_above_rows(traces, layout)
    else:
        body = int(layout.get("height", 300)) - int(layout.get("margin", {}).get("t", 90)) - 40
    bottom += _legend_below(traces, layout)
    # The margins as worked out here: plotly's automargin would take the room from the plot.
    for name in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
        layout[name] = {**layout[name], "automargin": False}
    layout["margin"] = {"l": 8, "r": 8, "t": top, "b": bottom}
    layout["height"] = top + body + bottom
    return figure_from_spec(traces, layout)


def _title(layout: dict[str, Any]) -> int:
    """Wrap the title and subtitle; return the top margin they need."""
    title = layout.setdefault("title", {})
    lines = wrap(str(title.get("text", "")), TITLE_CHARACTERS)
    # Plotly anchors a title of several lines above where its first line would go: 8 px more
    # padding a line keeps the first line on the figure (measured in chromium).
    pad = 10 + 8 * (len(lines) - 1)
    title.update(text="<br>".join(lines), yref="container", y=1, yanchor="top",
                 pad={"t": pad, "l": 0})  # fmt: skip
    sub = title.get("subtitle", {})
    sub_lines = wrap(str(sub.get("text", "")), SUBTITLE_CHARACTERS) if sub.get("text") else []
    if sub_lines:
        sub["text"] = "<br>".join(sub_lines)
    return pad + TITLE_LINE_PX * len(lines) + SUBTITLE_LINE_PX * len(sub_lines) + 14


def _legend_below(traces: list[dict[str, Any]], layout: dict[str, Any]) -> int:
    """Put the legend under the plot, left-aligned; return the height its rows take."""
    names = [
        str(t.get("name", ""))
        for t in traces
        if t.get("showlegend", True) and t.get("name") and t.get("type") != "heatmap"
    ]
    if not names or layout.get("showlegend") is False:
        return 0
    rows, used = 1, 0
    for name in names:  # legend items flow left to right, then wrap
        width = 40 + 7 * len(name)
        if used and used + width > COLUMN_PX:
            rows, used = rows + 1, 0
        used += width
    layout["legend"] = {**layout.get("legend", {}), "orientation": "h", "yref": "container",
                        "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"}  # fmt: skip
    return LEGEND_ROW_PX * rows + 8


def _label(text: str, y: Any, yshift: float) -> dict[str, Any]:
    return {
        "text": "<br>".join(wrap(text, LABEL_CHARACTERS)),
        "xref": "paper", "x": 0, "xanchor": "left",
        "yref": "y", "y": y, "yanchor": "bottom", "yshift": yshift,
        "showarrow": False, "align": "left", "font": _LABEL_FONT,
    }  # fmt: skip


def _labels_above_rows(traces: list[dict[str, Any]], layout: dict[str, Any]) -> int:
    """Turn the category rows into numbered bands, each its label above its dots or bar; return
    the plot's height."""
    categories = [str(c) for c in layout["yaxis"]["categoryarray"]]  # bottom row first
    lines = max((len(wrap(c, LABEL_CHARACTERS)) for c in categories), default=1)
    band = ROW_CONTENT_PX + LABEL_LINE_PX * lines + ROW_PAD_PX
    # In axis units (one band = 1): where a row's dots sit, low in its band, and its label above.
    content = -0.5 + (ROW_PAD_PX / 2 + ROW_CONTENT_PX / 2) / band
    position = {c: i + content for i, c in enumerate(categories)}
    for trace in traces:
        if isinstance(trace.get("y"), list):
            trace["y"] = [position.get(str(v)) for v in trace["y"]]
        if trace.get("type") == "bar":
            trace["width"] = (ROW_CONTENT_PX - 6) / band
    layout["yaxis"] = {**layout["yaxis"], "type": "linear", "range": [-0.5, len(categories) - 0.5],
                       "showticklabels": False, "showgrid": False, "zeroline": False,
                       "categoryarray": None, "categoryorder": None}  # fmt: skip
    layout["yaxis"] = {k: v for k, v in layout["yaxis"].items() if v is not None}
    layout["annotations"] = [
        *layout.get("annotations", []),
        *(_label(c, position[c], ROW_CONTENT_PX / 2) for c in categories),
    ]
    return band * len(categories)


def _heatmap_rows(traces: list[dict[str, Any]], layout: dict[str, Any]) -> tuple[int, int, int]:
    """Give each heatmap row a gap above it for its label; cells show the share alone; no colour
    bar. Many columns: their labels turned upright. Return the plot's height, the bottom margin
    and the room the top row's label takes above the plot."""
    heatmap = next(t for t in traces if t.get("type") == "heatmap")
    rows = [str(r) for r in heatmap.get("y", [])]
    lines = max((len(wrap(r, LABEL_CHARACTERS)) for r in rows), default=1)
    gap = LABEL_LINE_PX * lines + 6
    heatmap.update(ygap=gap, xgap=2, showscale=False, textfont={"size": 11})
    if heatmap.get("text"):
        heatmap["text"] = [[str(cell).split("<br>")[0] for cell in row] for row in heatmap["text"]]
    layout["yaxis"] = {**layout.get("yaxis", {}), "showticklabels": False}
    columns = [str(c) for c in heatmap.get("x", [])]
    bottom = BOTTOM_PX
    if len(columns) > 5:  # upright, shortened: ten theme names side by side do not fit
        shown = [_shortened(c, UPRIGHT_CHARACTERS) for c in columns]
        layout["xaxis"] = {**layout.get("xaxis", {}), "tickangle": -90, "tickmode": "array",
                           "tickvals": columns, "ticktext": shown}  # fmt: skip
        bottom = 16 + CHARACTER_PX * max(len(c) for c in shown)
    layout["annotations"] = [
        *layout.get("annotations", []),
        *(_label(r, r, HEATMAP_CELL_PX / 2 + 2) for r in rows),
    ]
    # Plotly splits the gap, half above a row and half below: the top row's label rises above
    # the plot by the rest of its height.
    above = LABEL_LINE_PX * lines + 2 - gap // 2
    return (HEATMAP_CELL_PX + gap) * len(rows), bottom, max(above, 0)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _stacked_multiples(layout: dict[str, Any]) -> int:
    """Stack the small multiples (xaxis, xaxis2, …) one under the other, each titled on its
    left; return the plot's height."""
    names = sorted((k for k in layout if k.startswith("xaxis")), key=lambda k: int(k[5:] or 1))
    count = len(names)
    step = 1 / count
    titles = [a for a in layout.get("annotations", []) if a.get("xref") == "paper"]
    for index, x_name in enumerate(names):
        y_name = "y" + x_name[1:]
        top = 1 - index * step
        # Each multiple's band: its title above (24 px), its plot, its tick labels below (50 px).
        domain = [top - step + 50 / MULTIPLE_BAND_PX * step, top - 24 / MULTIPLE_BAND_PX * step]
        layout[x_name] = {**layout[x_name], "domain": [0, 1]}
        layout[y_name] = {**layout.get(y_name, {}), "domain": domain}
        if index < len(titles):
            titles[index].update(x=0, xanchor="left", y=domain[1], yanchor="bottom", yshift=4)
    return MULTIPLE_BAND_PX * count
