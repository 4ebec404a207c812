"""Every page through Streamlit's AppTest, started from app.py, asserting on content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import queries
from analytics.domain import Filters

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


@pytest.fixture
def app(sample_dir, monkeypatch) -> AppTest:
    """The dashboard on the sample store, not yet run."""
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def values(array) -> list:
    """Return a plotly array as a list (plotly 7 ships numeric arrays base64-encoded)."""
    if isinstance(array, dict) and "bdata" in array:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def titles(at: AppTest) -> list[str]:
    return [f["layout"]["title"]["text"] for f in figures(at)]


def test_overview(app, sample):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Audit Insight"
    assert "Synthetic sample data" in at.info[0].value
    table = at.dataframe[0].value
    expected = queries.overview_table(sample)
    assert table["theme"].tolist() == expected["theme"].tolist()
    assert table["cases"].tolist()[:5] == [61, 21, 91, 48, 10]
    heatmap = figures(at)[0]
    assert heatmap["data"][0]["type"] == "heatmap"
    assert "Lowest overall" in titles(at)[0]
    urgent = at.dataframe[-1].value
    assert set(urgent["rag"]) <= {"Overdue", "Due soon"} and len(urgent) > 0


def test_overview_with_quadrant_in_url(app):
    app.query_params["quadrant"] = "NE"
    at = app.run()
    assert not at.exception
    assert at.sidebar.multiselect[0].value == ["NE"]
    assert "NE" in figures(at)[0]["layout"]["title"]["subtitle"]["text"]


def test_first_theme_page_via_navigation(app, sample):
    at = app.run()
    at.switch_page("pages/theme.py").run()
    assert not at.exception
    assert at.title[0].value == "Permanency for children"
    headline = queries.headline(sample, "permanency")
    assert at.metric[0].value == str(headline["cases"]) == "61"
    assert at.metric[1].value == f"{headline['pct_met']:.0%}"
    chart_titles = titles(at)
    assert any("standards: lowest" in t for t in chart_titles)  # quadrant comparison
    assert any("beyond chance" in t for t in chart_titles)  # the round trend
    assert any(t.startswith("61 cases audited (NW 15; NE 15; SW 16; SE 15)") for t in chart_titles)


def test_theme_page_follows_the_quadrant_filter(app, sample):
    app.query_params["quadrant"] = "NE"
    at = app.run()
    at.switch_page("pages/theme.py").run()
    assert not at.exception
    assert at.metric[0].value == "15"
    comparison = figures(at)[0]
    expected = queries.quadrant_comparison(sample, "permanency", Filters(quadrants=("NE",)))
    ne = next(trace for trace in comparison["data"] if trace["name"] == "NE")
    county = expected[expected["quadrant"] == "NE"]
    assert values(ne["x"]) == pytest.approx(county["pct_met"].tolist())
    faded = next(trace for trace in comparison["data"] if trace["name"] == "NW")
    assert faded["opacity"] < 1  # the others are shown, faded behind the selection
    assert at.query_params["quadrant"] in ("NE", ["NE"])  # kept in the URL


def render_theme(theme_id: str) -> None:
    """Entry script for one theme (AppTest opens only the first registration of theme.py)."""
    import runpy
    from pathlib import Path as P

    from ui import filters

    filters.set_theme(theme_id)
    filters.render(theme_id)
    runpy.run_path(str(P.cwd() / "pages" / "theme.py"))


@pytest.mark.parametrize(
    ("theme_id", "cases"),
    [("private_fostering", 21), ("pathway_planning", 91), ("missing", 48), ("placed_at_home", 10)],
)
def test_every_audited_theme(sample_dir, monkeypatch, sample, theme_id, cases):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_theme, args=(theme_id,), default_timeout=TIMEOUT).run()
    assert not at.exception
    title = queries.themes(sample).set_index("theme_id").loc[theme_id, "title"]
    assert at.title[0].value == title
    assert at.metric[0].value == str(cases)
    assert len(figures(at)) == 3  # comparison, findings, cohort (one round: no trend chart)
    assert any("Only one audit round so far" in i.value for i in at.info)
    drill = at.dataframe[-1].value
    assert len(drill) == cases  # the county's cases behind the first standard
    assert drill["child_ref"].str.startswith("SYN-").all()


def test_planned_theme_shows_status_and_dates(sample_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_theme, args=("supervision",), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Supervision"
    assert not at.get("plotly_chart")
    assert "Principal Social Worker" in at.text[0].value
    assert at.dataframe[0].value["label"].tolist() == ["Underway (2020)"]


def test_quotes_are_rendered_as_text(sample_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_theme, args=("permanency",), default_timeout=TIMEOUT).run()
    texts = [t.value for t in at.text]
    assert any(t.startswith("“The PPM meetings are more robust") for t in texts)
    assert "— Service Manager" in texts


def test_across_themes(app):
    at = app.run()
    at.switch_page("pages/across_themes.py").run()
    assert not at.exception
    weak = at.dataframe[0].value
    assert "Management oversight and supervision" in weak["category"].tolist()
    assert len(figures(at)) == 2
    by_quadrant = figures(at)[1]["data"][0]
    assert values(by_quadrant["x"]) == ["NW", "NE", "SW", "SE", "County"]


def test_actions_tracker_filters_and_as_of(app):
    at = app.run()
    at.switch_page("pages/actions.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 30
    assert table["rag"].iloc[0] == "Overdue"
    import datetime as dt

    at.date_input(key="actions_as_of").set_value(dt.date(2020, 4, 10)).run()
    table = at.dataframe[0].value
    assert table.set_index("action_id").loc["PF-A3", "rag"] == "On track"  # due 9 Sep 2020
    at.selectbox(key="actions_theme").set_value("private_fostering").run()
    assert set(at.dataframe[0].value["theme_id"]) == {"private_fostering"}


def test_bad_url_values_are_ignored_not_fatal(app):
    app.query_params["quadrant"] = ["North", "SW"]
    app.query_params["round"] = "<script>"
    at = app.run()
    at.switch_page("pages/theme.py").run()
    assert not at.exception
    assert at.sidebar.multiselect[0].value == ["SW"]
