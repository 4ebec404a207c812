"""Charts redrawn for a narrow (phone) column (analytics/narrow_charts.py): the layout worked out
by hand for small figures, and every chart of the sample redrawn as plotly validates it, with its
numbers unchanged."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from analytics import charts
from analytics.chart_specs import CHARTS
from analytics.domain import Filters
from analytics.narrow_charts import for_narrow_column, wrap
from analytics.views import chart_view


def as_json(figure: go.Figure) -> dict:
    return json.loads(pio.to_json(figure))


def test_wrap_keeps_words_whole_and_existing_line_breaks():
    assert wrap("Lowest in NE: Permanency for children (35% met)", 20) == [
        "Lowest in NE:", "Permanency for", "children (35% met)",
    ]  # fmt: skip
    assert wrap("one<br>two words", 5) == ["one", "two", "words"]
    assert wrap("", 10) == [""]


def dots(categories_bottom_first: list[str]) -> go.Figure:
    trace = {"type": "scatter", "x": [0.2, 0.5, 0.9], "y": ["a", "b", "c"], "mode": "markers",
             "name": "NW"}  # fmt: skip
    axes = {
        "yaxis": charts.axis(categoryorder="array", categoryarray=categories_bottom_first),
        "xaxis": charts.axis("Share", range=[0, 1]),
    }
    return charts.figure_from_spec([trace], charts._layout("Title", "Sub", 300, axes))


def test_a_dot_chart_gets_each_label_above_its_row_and_the_legend_below():
    narrow = as_json(for_narrow_column(dots(["c", "b", "a"])))
    layout = narrow["layout"]
    # One label line a row: a band of 24 (dots) + 16 (label) + 8 px; the dots sit 4 + 12 px up
    # from the band's foot, in axis units -1/2 + 16/48 = -1/6 from the row's number.
    assert narrow["data"][0]["y"] == pytest.approx([2 - 1 / 6, 1 - 1 / 6, -1 / 6])
    assert narrow["data"][0]["x"] == [0.2, 0.5, 0.9]  # the numbers are the chart's own
    assert layout["yaxis"]["range"] == [-0.5, 2.5]
    assert layout["yaxis"]["showticklabels"] is False
    labels = [(a["text"], a["y"], a["yshift"], a["yanchor"]) for a in layout["annotations"]]
    assert labels == [
        ("c", pytest.approx(-1 / 6), 12, "bottom"),
        ("b", pytest.approx(5 / 6), 12, "bottom"),
        ("a", pytest.approx(11 / 6), 12, "bottom"),
    ]
    assert layout["legend"]["orientation"] == "h"
    assert (layout["legend"]["yref"], layout["legend"]["y"], layout["legend"]["yanchor"]) == (
        "container", 0, "bottom",
    )  # fmt: skip
    # Top: 10 (padding) + 22 (a title line) + 17 (a subtitle line) + 14 = 63; plot: 3 bands of
    # 48 = 144; bottom: 50 (the x axis) + one legend row of 24 + 8 = 82.
    assert layout["margin"] == {"l": 8, "r": 8, "t": 63, "b": 82}
    assert layout["height"] == 63 + 144 + 82
    assert layout["title"]["text"] == "Title"


def test_a_long_title_and_long_labels_wrap():
    figure = dots(["c", "b", "a"])
    figure.layout.title.text = "A title long enough to need more than one line on a phone"
    figure.data[0].y = ["a", "b", "PERM-01 · Permanency planning meetings are managed well"]
    figure.layout.yaxis.categoryarray = [
        "PERM-01 · Permanency planning meetings are managed well", "b", "a",
    ]  # fmt: skip
    layout = as_json(for_narrow_column(figure))["layout"]
    assert layout["title"]["text"] == (
        "A title long enough to need more<br>than one line on a phone"
    )
    assert layout["title"]["pad"]["t"] == 18  # 10, and 8 a further line
    assert layout["annotations"][0]["text"] == (
        "PERM-01 · Permanency planning meetings are<br>managed well"
    )
    # Two label lines a row: bands of 24 + 32 + 8 = 64 px.
    assert layout["height"] - layout["margin"]["t"] - layout["margin"]["b"] == 3 * 64


def test_a_heatmap_gets_gaps_for_its_row_labels_cells_with_the_share_alone_and_no_colour_bar():
    table = pd.DataFrame({
        "area": ["Recording", "Recording", "Voice of the child", "Voice of the child"],
        "quadrant": ["NW", "NE", "NW", "NE"],
        "pct_met": [0.25, 0.5, 0.75, 1.0],
        "n": [4, 8, 12, 16],
    })  # fmt: skip
    wide = charts.heatmap_figure(table, "area", "quadrant", "Practice areas", "n=40")
    assert list(wide.data[0].x) == ["NE", "NW"]  # the pivot orders the columns
    assert list(wide.data[0].text[0]) == ["50%<br>n=8", "25%<br>n=4"]
    narrow = as_json(for_narrow_column(wide))
    heatmap, layout = narrow["data"][0], narrow["layout"]
    assert heatmap["text"] == [["50%", "25%"], ["100%", "75%"]]
    assert heatmap["z"] == [[0.5, 0.25], [1.0, 0.75]]
    assert (heatmap["showscale"], heatmap["ygap"]) == (False, 16 + 6)
    assert [(a["text"], a["y"], a["yshift"]) for a in layout["annotations"]] == [
        ("Recording", "Recording", 17), ("Voice of the child", "Voice of the child", 17),
    ]  # fmt: skip
    # Two rows of a 30 px cell and a 22 px gap; no legend.
    assert layout["height"] - layout["margin"]["t"] - layout["margin"]["b"] == 2 * (30 + 22)
    assert layout["margin"]["b"] == 50
    # Top: the title's 63 px, and the top row's label rising 16 + 2 - 22 / 2 = 7 px above the
    # plot (plotly puts half a gap above each row).
    assert layout["margin"]["t"] == 63 + 7


def test_small_multiples_are_stacked_one_under_the_other(sample):
    view = chart_view(sample, "cohort_profile", "permanency", Filters())
    layout = as_json(for_narrow_column(view.figure))["layout"]
    names = ["xaxis", "xaxis2", "xaxis3", "xaxis4", "xaxis5"]
    assert [layout[n]["domain"] for n in names] == [[0, 1]] * 5
    tops = [layout["y" + n[1:]]["domain"][1] for n in names]
    bottoms = [layout["y" + n[1:]]["domain"][0] for n in names]
    assert tops == sorted(tops, reverse=True)  # quadrant first, at the top
    assert all(low > high for low, high in zip(bottoms[:-1], tops[1:], strict=True))  # apart
    titles = [a for a in layout["annotations"] if a["xref"] == "paper"]
    assert [(t["x"], t["xanchor"]) for t in titles] == [(0, "left")] * 5
    assert [t["y"] for t in titles] == pytest.approx(tops)


@pytest.mark.parametrize(
    ("theme", "filters"),
    [("permanency", Filters()), ("missing", Filters(quadrants=("NE",)))],
)
def test_every_chart_redrawn_narrow_is_valid_and_keeps_its_numbers(sample, theme, filters):
    for name, spec in CHARTS.items():
        view = chart_view(sample, name, None if spec.scope == "every_theme" else theme, filters)
        narrow = for_narrow_column(view.figure)
        drawn = as_json(narrow)
        assert drawn == as_json(go.Figure(narrow.to_dict())), name  # as plotly validates it
        wide = as_json(view.figure)
        assert [t.get("x") for t in drawn["data"]] == [t.get("x") for t in wide["data"]], name
        assert [t.get("z") for t in drawn["data"]] == [t.get("z") for t in wide["data"]], name
        assert drawn["layout"]["margin"]["l"] == 8, name
        assert as_json(view.figure) == wide, f"{name}: the cached figure was changed"
