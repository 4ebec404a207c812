"""How every chart looks wherever it is built: its own template (not the process's default),
text readable against its background, and trend verdicts clear of the markers."""

from __future__ import annotations

import json
import math

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from analytics import charts
from analytics.chart_specs import CHARTS
from analytics.domain import Filters
from analytics.views import chart_view

CROSS_THEME_VIEWS = [name for name, spec in CHARTS.items() if spec.scope == "every_theme"]

WCAG_AA_TEXT = 4.5
NAMED = {"white": "#FFFFFF", "black": "#000000"}


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #RRGGBB (or white/black) colour."""
    code = NAMED.get(colour.lower(), colour)
    assert code.startswith("#") and len(code) == 7, colour

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(code[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str, background: str) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)))[::-1]
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcags_examples():
    assert contrast("#000000", "white") == pytest.approx(21.0)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the AA limit grey
    assert contrast("#808495", "white") == pytest.approx(3.72, abs=0.01)  # Streamlit's gray70


def text_colours(figure) -> dict[str, str | None]:
    """Return where each kind of text on the figure takes its colour from, read from the
    figure's own layout and traces (Streamlit's chart theme overrides only the template)."""
    layout = figure.layout
    found: dict[str, str | None] = {
        "font": layout.font.color,
        "title": layout.title.font.color,
        "subtitle": layout.title.subtitle.font.color,
        "legend": layout.legend.font.color,
    }
    for axis in [*figure.select_xaxes(), *figure.select_yaxes()]:
        name = axis.plotly_name
        found[f"{name} ticks"] = axis.tickfont.color
        found[f"{name} title"] = axis.title.font.color
    for n, note in enumerate(layout.annotations):  # small multiples' titles
        found[f"annotation {n}"] = note.font.color or layout.font.color
    for n, trace in enumerate(figure.data):
        if trace.type == "heatmap":  # plotly picks black or white per cell for its labels
            found[f"trace {n} colour bar ticks"] = trace.colorbar.tickfont.color
            found[f"trace {n} colour bar title"] = trace.colorbar.title.font.color
        elif trace.text is not None:
            found[f"trace {n} text"] = trace.textfont.color or layout.font.color
    return found


@pytest.fixture(scope="module")
def every_chart(sample):
    import streamlit  # noqa: F401  (as in the dashboard: plotly's default template is its own)

    assert pio.templates.default == "streamlit"
    return {
        name: chart_view(
            sample, name, None if name in CROSS_THEME_VIEWS else "permanency", Filters()
        ).figure
        for name in CHARTS
    }


def test_every_chart_carries_its_own_template_whatever_the_process_default(every_chart):
    for name, figure in every_chart.items():
        assert figure.layout.template == charts.CHART_TEMPLATE, name
    assert charts.CHART_TEMPLATE.layout.yaxis.automargin is True  # row labels stay on the image
    assert charts.CHART_TEMPLATE.layout.xaxis.automargin is True


def test_chart_text_is_declared_on_the_figure_and_reads_at_aa_contrast(every_chart):
    backgrounds = {charts.BACKGROUND}
    for name, figure in every_chart.items():
        assert {figure.layout.paper_bgcolor, figure.layout.plot_bgcolor} == backgrounds, name
        colours = text_colours(figure)
        unset = [where for where, colour in colours.items() if colour is None]
        assert not unset, f"{name}: no colour of its own for {unset}"
        ratios = {where: contrast(colour, charts.BACKGROUND) for where, colour in colours.items()}
        low = {where: round(ratio, 2) for where, ratio in ratios.items() if ratio < WCAG_AA_TEXT}
        assert not low, f"{name}: {low}"
    assert contrast(charts.TEXT_COLOUR, charts.BACKGROUND) == pytest.approx(19.5, abs=0.1)
    assert contrast(charts.QUIET_TEXT_COLOUR, charts.BACKGROUND) == pytest.approx(7.0, abs=0.1)


def as_json(figure: go.Figure) -> dict:
    return json.loads(pio.to_json(figure))


def validated(figure: go.Figure) -> dict:
    """Return the figure as plotly's validation makes it (which raises on a property it does
    not know or a value it refuses)."""
    return as_json(go.Figure(figure.to_dict()))


@pytest.mark.parametrize(
    ("theme", "filters"),
    [
        ("permanency", Filters()),
        ("missing", Filters(quadrants=("SW", "NE"))),
        ("pathway_planning", Filters(quadrants=("SE",), teams=("Care Leavers",))),
    ],
)
def test_every_chart_is_built_as_plotly_would_validate_it(sample, theme, filters):
    # Charts skip plotly's validation at run time (charts.figure_from_spec): it was most of a
    # page's run. Each must be what validation accepts and leaves unchanged.
    for name in CHARTS:
        view = chart_view(sample, name, None if name in CROSS_THEME_VIEWS else theme, filters)
        assert as_json(view.figure) == validated(view.figure), (name, theme, filters)
    empty = charts.empty_figure("No cases for <b>team</b> & NE", "n=0 cases")
    assert as_json(empty) == validated(empty)
    assert empty.layout.annotations[0].text == "No cases for &lt;b&gt;team&lt;/b&gt; &amp; NE"


def test_a_cached_chart_comes_back_without_being_validated_again(sample):
    # st.cache_data pickles a view and unpickles it on every rerun that hits the cache.
    import pickle

    view = chart_view(sample, "quadrant_comparison", "permanency", Filters(quadrants=("NE",)))
    restored = pickle.loads(pickle.dumps(view))
    assert isinstance(restored.figure, charts.SpecFigure)
    assert restored.figure._validate is False
    assert as_json(restored.figure) == as_json(view.figure) == validated(view.figure)


def trend_row(question: str, share_from: float, share_to: float, beyond: bool) -> dict:
    """One standard's row of the round_trend query, out of 20 cases in each round."""
    met_to = None if math.isnan(share_to) else round(20 * share_to)
    return {
        "question_id": question, "text": f"Standard {question}", "category": "Planning",
        "round_from": "r1", "round_to": "r2", "n_from": 20, "met_from": round(20 * share_from),
        "pct_met_from": share_from, "n_to": 20, "met_to": met_to, "pct_met_to": share_to,
        "change": share_to - share_from, "p_value": 0.01 if beyond else 0.2, "test": "fisher",
        "beyond_chance": beyond,
    }  # fmt: skip


def test_trend_verdicts_start_right_of_the_rows_rightmost_marker():
    trend = pd.DataFrame(
        [
            trend_row("Q1", 0.70, 0.45, beyond=False),  # fell: the earlier marker is on the right
            trend_row("Q2", 0.20, 0.50, beyond=True),  # rose: the later marker is on the right
            trend_row("Q3", 0.60, math.nan, beyond=False),  # later share withheld: no verdict
        ]
    )
    figure = charts.round_trend_figure(trend, "", {"r1": "Round one", "r2": "Round two"})
    verdicts = [t for t in figure.data if t.text is not None]
    assert len(verdicts) == 1
    words = verdicts[0]
    assert list(words.text) == ["within noise", "beyond chance", "within noise"]
    assert words.textposition == "middle right"
    assert list(words.x[:2]) == [0.70, 0.50]
    assert words.x[2] is None  # a gap: plotly draws nothing there
    assert as_json(figure) == validated(figure)
    # Its invisible marker is at least as wide as the drawn ones, so the words clear them.
    drawn = [t for t in figure.data if t.mode == "markers"]
    assert [t.name for t in drawn] == ["Round one", "Round two"]
    assert words.marker.size >= max(t.marker.size for t in drawn)
    assert words.marker.color == "rgba(0,0,0,0)"


def test_every_legend_lists_the_traces_in_their_order(every_chart):
    # Plotly reverses a legend for stacked bars unless told: the response mix read "Not
    # applicable, Not met, Partially met, Met" against its bars' Met-first order.
    for name, figure in every_chart.items():
        assert figure.layout.legend.traceorder == "normal", name
    mix = [t.name for t in every_chart["response_mix"].data]
    assert mix == ["Met", "Partially met", "Not met", "Not applicable"]
