"""Every page through Streamlit's AppTest, started from app.py, asserting on content."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics import queries
from analytics.domain import Filters
from analytics.narrative import escape_markdown
from analytics.store import write_new_store
from tests.conftest import tiny_tables

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


NE_PERMANENCY = """
SELECT count(DISTINCT audit_id) AS cases,
       count(*) FILTER (WHERE response <> 'Not applicable') AS n,
       count(*) FILTER (WHERE response = 'Met') AS met
FROM read_parquet($glob, hive_partitioning = true)
WHERE theme_id = 'permanency' AND round_id = '2020-04-final' AND quadrant = 'NE'
"""


def test_overview_with_quadrant_in_url_shows_the_quadrant(app, sample_dir):
    app.query_params["quadrant"] = "NE"
    at = app.run()
    assert not at.exception
    assert at.sidebar.multiselect[0].value == ["NE"]
    # NE's own figure beside the county's, computed here with plain DuckDB on the files.
    glob = str(sample_dir / "responses" / "**" / "*.parquet")
    ((cases, n, met),) = duckdb.sql(NE_PERMANENCY, params={"glob": glob}).fetchall()
    table = at.dataframe[0].value.set_index("theme")
    permanency = table.loc["Permanency for children"]
    assert (cases, n) == (15, 146)  # 15 NE cases; 4 of them not applicable for PERM-06
    assert (permanency["selection_cases"], permanency["selection_n"]) == (cases, n)
    assert permanency["selection_pct_met"] == pytest.approx(met / n)
    assert permanency["n"] == 586 and permanency["pct_met"] != pytest.approx(met / n)
    assert permanency["selection_change"] in ("beyond chance", "within noise")
    heatmap = figures(at)[0]
    assert "NE" in heatmap["layout"]["title"]["subtitle"]["text"]
    (outline,) = heatmap["layout"]["shapes"]
    assert (outline["x0"], outline["x1"]) == (0.5, 1.5)  # the NE column
    assert "<b>NE</b>" in heatmap["layout"]["xaxis"]["ticktext"]


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


def test_team_in_url_is_honoured_and_written_back(app, sample):
    app.query_params["quadrant"] = "NE"
    app.query_params["team"] = "Looked After"
    at = app.run()
    at.switch_page("pages/theme.py").run()
    assert not at.exception
    assert at.sidebar.multiselect[1].value == ["Looked After"]
    assert at.metric[0].value == "8"  # cohorts.csv: NE's Looked After team, final round
    assert at.query_params["team"] in ("Looked After", ["Looked After"])
    assert at.query_params["quadrant"] in ("NE", ["NE"])


def open_theme(sample_dir, monkeypatch, theme_id: str, **params: str) -> AppTest:
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_theme, args=(theme_id,), default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_round_in_url_is_honoured_and_written_back(sample_dir, monkeypatch):
    at = open_theme(sample_dir, monkeypatch, "permanency", round="2020-01-interim")
    assert not at.exception
    assert at.sidebar.selectbox[0].value == "2020-01-interim"
    assert at.metric[0].value == "40"  # the interim round's cohort
    assert at.query_params["round"] in ("2020-01-interim", ["2020-01-interim"])
    # The earliest round has nothing earlier to compare with: said, and no backwards chart.
    assert any("is the earliest audited round" in i.value for i in at.info)
    assert len(figures(at)) == 3


def test_trend_runs_from_the_earlier_round(sample_dir, monkeypatch, sample):
    at = open_theme(sample_dir, monkeypatch, "permanency", round="2020-04-final")
    assert at.selectbox(key="compare_permanency").options == ["Interim (January 2020)"]
    trend = next(f for f in figures(at) if "beyond chance" in f["layout"]["title"]["text"])
    names = [t.get("name") for t in trend["data"] if t.get("name")]
    assert names == ["Interim (January 2020)", "Final (April 2020)"]
    expected = queries.round_trend(sample, "permanency")
    up = int((expected["beyond_chance"] & (expected["change"] > 0)).sum())
    down = int((expected["beyond_chance"] & (expected["change"] < 0)).sum())
    assert (up, down) == (2, 0)  # PERM-02 and PERM-05 improved, as the seed says
    assert trend["layout"]["title"]["text"].startswith("2 improved beyond chance")


HOSTILE = "*Not markdown* <b>nor html</b> [x](javascript:alert(1))"


@pytest.fixture
def hostile_dir(tmp_path):
    """The tiny store with text from the data that Markdown or HTML would act on."""
    tables = tiny_tables()
    tables["themes"].loc[0, "title"] = f"Alpha {HOSTILE}"
    tables["quotes"].loc[0, "text"] = HOSTILE
    tables["responses"]["comment"] = HOSTILE
    tables["questions"].loc[0, "text"] = f"Q text {HOSTILE}"
    tables["rounds"].loc[1, "label"] = f"Round two {HOSTILE}"
    directory = tmp_path / "hostile"
    write_new_store(directory, tables.items(), {"synthetic": True, "notice": "tiny"})
    return directory


def test_text_from_the_data_shows_literally(hostile_dir, monkeypatch):
    at = open_theme(hostile_dir, monkeypatch, "alpha")
    assert not at.exception
    assert at.title[0].value == escape_markdown(f"Alpha {HOSTILE}")
    assert at.title[0].value.startswith("Alpha \\*Not markdown\\* \\<b\\>")
    # Every element that renders Markdown shows the text escaped, never raw.
    rendered = [e.value for kind in ("title", "subheader", "caption", "info", "markdown")
                for e in getattr(at, kind)]  # fmt: skip
    assert rendered and not any("*Not markdown*" in value for value in rendered)
    texts = [t.value for t in at.text]
    assert f"“{HOSTILE}”" in texts  # the quote, as text
    drill = at.dataframe[-1].value
    assert set(drill["comment"]) == {HOSTILE}  # the comments, as data
    for figure in figures(at):
        labels = [str(y) for trace in figure["data"] for y in trace.get("y", [])
                  if isinstance(y, str)]  # fmt: skip
        assert not any("<b>" in label for label in labels)
        assert "<b>nor html" not in figure["layout"]["title"]["text"]
