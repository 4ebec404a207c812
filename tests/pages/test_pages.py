"""Every page through Streamlit's AppTest, started from app.py, asserting on content."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
from filter_bar import filter_bar
from paths import ROOT
from streamlit.testing.v1 import AppTest
from table_helpers import UK_DATE, WHOLE_PERCENT, read_as_words

from analytics import queries
from analytics.domain import Filters
from analytics.export.cases import CASE_LIST_COLUMNS
from analytics.narrative import escape_markdown
from analytics.stats import wilson_bounds
from analytics.store import write_new_store
from analytics.views import chart_view
from tests.conftest import tiny_tables

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
    assert table["Theme"].tolist() == expected["theme"].tolist()
    assert table["Cases"].tolist()[:5] == ["61", "21", "91", "48", "10"]
    heatmap = figures(at)[0]
    assert heatmap["data"][0]["type"] == "heatmap"
    assert "Lowest overall" in titles(at)[0]
    urgent = at.dataframe[-1].value
    assert len(urgent) > 0
    assert all(r.startswith(("Overdue by ", "Delayed", "Due soon")) for r in urgent["RAG"])
    # The sample's one delayed action, not yet due, is amber, never "On track".
    assert "Delayed" in urgent["RAG"].tolist()
    # When the data last changed, said in UTC (the catalog's time zone).
    changed = sample.last_changed()
    assert f"Data last loaded: {changed:%d %B %Y %H:%M} UTC" in [c.value for c in at.caption]


NE_PERMANENCY = """
SELECT count(DISTINCT audit_id) AS cases,
       count(*) FILTER (WHERE response <> 'Not applicable') AS n,
       count(*) FILTER (WHERE response = 'Met') AS met
FROM read_parquet($glob, hive_partitioning = true)
WHERE theme_id = 'permanency' AND round_id = '2020-04-final' AND quadrant = 'NE'
"""


def test_overview_with_quadrant_in_url_shows_the_quadrant(app, sample_dir, sample):
    app.query_params["quadrant"] = "NE"
    at = app.run()
    assert not at.exception
    assert filter_bar(at).multiselect[0].value == ["NE"]
    # NE's own figure beside the county's, computed here with plain DuckDB on the data files.
    glob = str(sample_dir / "files" / "main" / "responses" / "**" / "*.parquet")
    ((cases, n, met),) = duckdb.sql(NE_PERMANENCY, params={"glob": glob}).fetchall()
    table = at.dataframe[0].value.set_index("Theme")
    permanency = table.loc["Permanency for children"]
    assert (cases, n) == (15, 146)  # 15 NE cases; 4 of them not applicable for PERM-06
    assert permanency["NE: cases"] == str(cases)
    assert permanency["NE: met (n)"] == f"{met / n:.0%} (n = {n})"
    county = queries.overview_table(sample).set_index("theme")
    assert permanency["County: met (n)"] == (
        f"{county.loc['Permanency for children', 'pct_met']:.0%} (n = 586)"
    )
    assert permanency["NE: change"].endswith(("beyond chance", "within noise"))
    heatmap = figures(at)[0]
    assert "NE" in heatmap["layout"]["title"]["subtitle"]["text"]
    (outline,) = heatmap["layout"]["shapes"]
    assert (outline["x0"], outline["x1"]) == (0.5, 1.5)  # the NE column
    assert "<b>NE</b>" in heatmap["layout"]["xaxis"]["ticktext"]


def test_first_theme_page_via_navigation(app, sample):
    at = app.run()
    at.switch_page("app_pages/theme.py").run()
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
    at.switch_page("app_pages/theme.py").run()
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
    runpy.run_path(str(P.cwd() / "app_pages" / "theme.py"))


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
    assert drill["Child reference"].str.startswith("SYN-").all()


def test_planned_theme_shows_status_and_dates(sample_dir, monkeypatch, sample):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_theme, args=("supervision",), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Supervision"
    assert not at.get("plotly_chart")
    assert "Principal Social Worker" in at.text[0].value
    assert at.dataframe[0].value.to_dict("records") == [
        {"Round": "Underway (2020)", "Starts": "1 Apr 2020", "Ends": "30 Sep 2020",
         "Status": "underway"}
    ]  # fmt: skip
    read_as_words(at.dataframe[0].value, set(queries.themes(sample)["theme_id"]))


def test_quotes_are_rendered_as_text(sample_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_theme, args=("permanency",), default_timeout=TIMEOUT).run()
    texts = [t.value for t in at.text]
    assert any(t.startswith("“The PPM meetings are more robust") for t in texts)
    assert "— Service Manager" in texts


def test_across_themes(app):
    at = app.run()
    at.switch_page("app_pages/across_themes.py").run()
    assert not at.exception
    weak = at.dataframe[0].value
    assert "Management oversight and supervision" in weak["Practice area"].tolist()
    assert len(figures(at)) == 2
    by_quadrant = figures(at)[1]["data"][0]
    assert values(by_quadrant["x"]) == ["NW", "NE", "SW", "SE", "County"]


def test_actions_tracker_filters_and_as_of(app):
    at = app.run()
    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 30
    assert table["RAG"].iloc[0].startswith("Overdue by ")
    import datetime as dt

    at.date_input(key="actions_as_of").set_value(dt.date(2020, 4, 10)).run()
    table = at.dataframe[0].value
    pf_a3 = table[table["Action"].str.startswith("100% of initial visits")]  # due 9 Sep 2020
    assert pf_a3[["Due", "RAG"]].values.tolist() == [["9 Sep 2020", "On track"]]
    at.selectbox(key="actions_theme").set_value("private_fostering").run()
    assert set(at.dataframe[0].value["Theme"]) == {"Private fostering"}


def test_bad_url_values_are_ignored_not_fatal(app):
    app.query_params["quadrant"] = ["North", "SW"]
    app.query_params["round"] = "<script>"
    at = app.run()
    at.switch_page("app_pages/theme.py").run()
    assert not at.exception
    assert filter_bar(at).multiselect[0].value == ["SW"]


def test_team_in_url_is_honoured_and_written_back(app, sample):
    app.query_params["quadrant"] = "NE"
    app.query_params["team"] = "Looked After"
    at = app.run()
    at.switch_page("app_pages/theme.py").run()
    assert not at.exception
    assert filter_bar(at).multiselect[1].value == ["Looked After"]
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
    assert filter_bar(at).selectbox[0].value == "2020-01-interim"
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
    assert set(drill["Auditor's comment"]) == {HOSTILE}  # the comments, as data
    for figure in figures(at):
        labels = [str(y) for trace in figure["data"] for y in trace.get("y", [])
                  if isinstance(y, str)]  # fmt: skip
        assert not any("<b>" in label for label in labels)
        assert "<b>nor html" not in figure["layout"]["title"]["text"]


# --- the view state in the URL (issue 11, point 8) -------------------------------------------


def url(at: AppTest) -> dict[str, list[str]]:
    """Return the URL's query parameters after a run, each as a list."""
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def shown_text(at: AppTest) -> str:
    """Everything the page shows as text (titles, captions, notices, labels, table cells)."""
    parts = [e.value for kind in ("title", "subheader", "caption", "info", "markdown", "text")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [str(w.value) for w in [*at.selectbox, *at.multiselect]]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


def drill_table(at: AppTest):
    return at.dataframe[-1].value  # the drill-down's list is the page's last table


def test_the_whole_view_round_trips_through_the_url(sample_dir, monkeypatch, sample):
    view = {
        "quadrant": "NE", "round": "2020-04-final", "team": "Looked After",
        "compare": "2020-01-interim", "standard": "PERM-08", "area": "SW",
    }  # fmt: skip
    at = open_theme(sample_dir, monkeypatch, "permanency", **view, as_of="2020-05-01")
    assert not at.exception
    assert filter_bar(at).multiselect[0].value == ["NE"]
    assert filter_bar(at).selectbox[0].value == "2020-04-final"
    assert filter_bar(at).multiselect[1].value == ["Looked After"]
    assert at.selectbox(key="compare_permanency").value == "2020-01-interim"
    assert at.selectbox(key="drill_q_permanency").value == "PERM-08"
    assert at.selectbox(key="drill_a_permanency_NE").value == "SW"
    # The list is the copied cell's: SW, Looked After, the final round, PERM-08.
    scope = Filters(quadrants=("SW",), round_id="2020-04-final", teams=("Looked After",))
    expected = queries.cases_behind(sample, "permanency", "PERM-08", scope)
    drill = drill_table(at)
    assert drill["Child reference"].tolist() == expected["child_ref"].tolist() and len(drill) > 0
    assert set(drill["Area"]) == {"SW"} and set(drill["Team"]) == {"Looked After"}
    # Written back unchanged; as_of (reserved for store snapshots) is left as it was.
    assert url(at) == {**{k: [v] for k, v in view.items()}, "as_of": ["2020-05-01"]}


def test_circulation_and_its_threshold_round_trip(sample_dir, monkeypatch):
    at = open_theme(sample_dir, monkeypatch, "permanency", quadrant="NE", suppress_below="7")
    assert not at.exception
    assert filter_bar(at).toggle[0].value is True
    assert filter_bar(at).number_input[0].value == 7
    assert any("not shown for circulation" in i.value for i in at.info)
    # No drill-down is drawn, so no drill-down keys are written.
    assert url(at) == {
        "quadrant": ["NE"], "round": ["2020-04-final"], "suppress_below": ["7"],
        "compare": ["2020-01-interim"],
    }  # fmt: skip
    filter_bar(at).number_input[0].set_value(10).run()
    assert url(at)["suppress_below"] == ["10"]
    filter_bar(at).toggle[0].set_value(False).run()
    assert "suppress_below" not in url(at)
    assert url(at)["standard"] == ["PERM-01"] and url(at)["area"] == ["NE"]


def test_each_page_choice_is_written_to_the_url(sample_dir, monkeypatch):
    at = open_theme(sample_dir, monkeypatch, "permanency")
    assert url(at) == {
        "round": ["2020-04-final"], "compare": ["2020-01-interim"], "standard": ["PERM-01"],
        "area": ["County"],
    }  # fmt: skip
    at.selectbox(key="drill_q_permanency").set_value("PERM-10").run()
    at.selectbox(key="drill_a_permanency_County").set_value("SE").run()
    assert (url(at)["standard"], url(at)["area"]) == (["PERM-10"], ["SE"])
    assert set(drill_table(at)["Area"]) == {"SE"}


HOSTILE_URL = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "bad",
    [
        {"compare": HOSTILE_URL, "standard": HOSTILE_URL, "area": HOSTILE_URL},
        {"compare": "2020-04-final", "standard": "PF-01", "area": "County+NE"},  # wrong here
        {"suppress_below": HOSTILE_URL},
        {"suppress_below": "1"},
        {"suppress_below": "51"},
        {"suppress_below": "٣"},  # a digit, but not an ASCII one
        {"quadrant": HOSTILE_URL, "team": HOSTILE_URL, "round": HOSTILE_URL},
    ],
)
def test_invalid_values_in_the_url_are_dropped(sample_dir, monkeypatch, bad):
    at = open_theme(sample_dir, monkeypatch, "permanency", **bad)
    assert not at.exception
    assert HOSTILE_URL not in shown_text(at)
    assert url(at) == {
        "round": ["2020-04-final"], "compare": ["2020-01-interim"], "standard": ["PERM-01"],
        "area": ["County"],
    }  # fmt: skip
    assert filter_bar(at).toggle[0].value is False


def test_drill_down_follows_the_filter_bar_and_keeps_a_cell_picked_here(sample_dir, monkeypatch,
                                                                      sample):  # fmt: skip
    at = open_theme(sample_dir, monkeypatch, "permanency", quadrant="NE")
    assert at.selectbox(key="drill_a_permanency_NE").value == "NE"
    drill = drill_table(at)
    ne = Filters(quadrants=("NE",))
    assert len(drill) == queries.cell_cases(sample, "permanency", "PERM-01", ne) == 15
    assert set(drill["Area"]) == {"NE"}
    assert any(c.value.startswith("15 cases; NE;") for c in at.caption)
    # Another cell on request, kept across reruns while the filter bar stays on NE.
    at.selectbox(key="drill_a_permanency_NE").set_value("County").run()
    assert len(drill_table(at)) == 61
    at.selectbox(key="drill_q_permanency").set_value("PERM-02").run()
    assert at.selectbox(key="drill_a_permanency_NE").value == "County"
    # The filter bar moves to SW: the drill-down follows it.
    filter_bar(at).multiselect[0].set_value(["SW"]).run()
    assert at.selectbox(key="drill_a_permanency_SW").value == "SW"
    assert set(drill_table(at)["Area"]) == {"SW"} and url(at)["area"] == ["SW"]
    # Two quadrants: their selection together, as the charts show it.
    filter_bar(at).multiselect[0].set_value(["NE", "SW"]).run()
    assert at.selectbox(key="drill_a_permanency_NE+SW").value == "NE+SW"
    both = Filters(quadrants=("NE", "SW"))
    assert len(drill_table(at)) == queries.cell_cases(sample, "permanency", "PERM-02", both)
    assert set(drill_table(at)["Area"]) == {"NE", "SW"}


def test_drill_down_follows_the_filter_bars_team_and_round(sample_dir, monkeypatch, sample):
    at = open_theme(sample_dir, monkeypatch, "permanency", round="2020-01-interim",
                    team="Family Safeguarding")  # fmt: skip
    scope = Filters(round_id="2020-01-interim", teams=("Family Safeguarding",))
    expected = queries.cases_behind(sample, "permanency", "PERM-01", scope)
    drill = drill_table(at)
    assert drill["Child reference"].tolist() == expected["child_ref"].tolist() and len(drill) > 0
    assert set(drill["Team"]) == {"Family Safeguarding"}
    assert set(expected["audit_id"].str.split("-").str[1:4].str.join("-")) == {"2020-01-interim"}
    # Dates and headings as a user reads them.
    assert list(drill.columns) == ["Child reference", "Area", "Team", "Audit date", "Response",
                                   "Auditor's comment", "Overall grade"]  # fmt: skip
    first = expected["audit_date"].iloc[0]
    assert drill["Audit date"].iloc[0] == f"{first.day} {first:%b %Y}"


# --- tables a user reads (ui/tables.py): words, not field names; "40%"; "30 Jun 2020" --------


def test_overview_tables_read_as_words(app, sample):
    theme_ids = set(queries.themes(sample)["theme_id"])
    for quadrant in (None, "NE"):
        if quadrant:
            app.query_params["quadrant"] = quadrant
        at = app.run()
        assert not at.exception
        themes = read_as_words(at.dataframe[0].value, theme_ids)
        assert "no results" in themes  # a planned theme, never "None"
        assert any(WHOLE_PERCENT.match(c) for c in themes)
        urgent = read_as_words(at.dataframe[-1].value, theme_ids)
        assert any(UK_DATE.match(c) for c in urgent)
        for frame in at.dataframe[1:-1]:  # the data behind the heatmap
            read_as_words(frame.value, theme_ids)


def test_actions_and_across_themes_tables_read_as_words(app, sample):
    theme_ids = set(queries.themes(sample)["theme_id"])
    at = app.run()
    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    cells = read_as_words(at.dataframe[0].value, theme_ids)
    assert any(UK_DATE.match(c) for c in cells) and any(WHOLE_PERCENT.match(c) for c in cells)
    at.switch_page("app_pages/across_themes.py").run()
    assert not at.exception
    weak = at.dataframe[0].value
    cells = read_as_words(weak, theme_ids)
    assert any(WHOLE_PERCENT.match(c) for c in cells)
    titles_listed = {t for listed in weak["Which themes"] for t in listed.split("; ")}
    assert titles_listed <= set(queries.themes(sample)["title"])
    for frame in at.dataframe[1:]:  # the data behind the practice-area charts
        cells = read_as_words(frame.value, theme_ids)
        assert "95% interval" in frame.value.columns and any(WHOLE_PERCENT.match(c) for c in cells)


def test_overview_names_the_weakest_area_and_theme_for_the_quadrant(app, sample):
    app.query_params["quadrant"] = "NE"
    at = app.run()
    assert not at.exception
    ne = Filters(quadrants=("NE",))
    weakest = queries.weakest(sample, ne).set_index("kind")
    markdown = [m.value for m in at.markdown]
    assert "**Weakest practice area in NE**" in markdown and "**Weakest theme in NE**" in markdown
    for kind in ("area", "theme"):
        row = weakest.loc[kind]
        assert escape_markdown(row["name"]) in [s.value for s in at.subheader]
        low, high = round(row["ci_low"] * 100), round(row["ci_high"] * 100)
        expected = (
            f"{row['pct_met']:.0%} met (n = {row['n']:,} answers, {row['cases']:,} cases; "
            f"95% interval {low}–{high}%)"
        )
        texts = [t.value for t in at.text]
        assert expected in texts
        assert any(t.startswith("County: ") and f"{row['county_pct_met']:.0%} met" in t
                   for t in texts)  # fmt: skip
    assert any(c.value.startswith("Weakest: the lowest share") for c in at.caption)
    # The heatmap's finding is NE's lowest theme, not the county's.
    summary = queries.theme_summary(sample, ne)
    in_ne = summary[summary["quadrant"] == "NE"].sort_values("pct_met").iloc[0]
    assert titles(at)[0].startswith(f"Lowest in NE: {in_ne['title']} ({in_ne['pct_met']:.0%}")
    assert any(t.value.startswith("Heatmap of the share of standards met for 5 themes by "
                                  f"quadrant; in NE lowest {in_ne['title']}") for t in at.text)  # fmt: skip
    county = summary[summary["quadrant"] == "County"].sort_values("pct_met").iloc[0]
    assert in_ne["title"] != county["title"]  # so the test tells the two apart


def test_actions_tracker_as_of_defaults_to_the_latest_round_and_follows_the_quadrant(app, sample):
    import datetime as dt

    app.query_params["quadrant"] = "NE"
    at = app.run()
    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    end = queries.latest_audited_end(sample)
    picker = at.date_input(key="actions_as_of")
    assert picker.value == end == dt.date(2020, 4, 30)
    assert picker.proto.format == "DD/MM/YYYY"
    assert any(
        c.value.startswith("Status as of 30 Apr 2020, the end of the latest audited round.")
        for c in at.caption
    )
    table = at.dataframe[0].value
    overdue = [c for c in table["RAG"] if c.startswith("Overdue by ")]  # "Overdue by 29 days"
    assert overdue and all(int(c.split()[2].replace(",", "")) < 100 for c in overdue)
    # NE's own measures: the same as the query with NE, not the county's.
    expected = queries.action_status(sample, end, filters=Filters(quadrants=("NE",)))
    county = queries.action_status(sample, end)
    first = expected["n_after"].notna().idxmax()
    assert expected["n_after"].iat[first] != county["n_after"].iat[first]
    shown = table["Met after (n)"].iat[first]
    assert (
        shown
        == f"{expected['pct_met_after'].iat[first]:.0%} (n = {expected['n_after'].iat[first]:.0f})"
    )
    at.date_input(key="actions_as_of").set_value(dt.date(2021, 1, 1)).run()
    assert any(c.value.startswith("Status as of 1 Jan 2021 (chosen above).") for c in at.caption)


def test_a_page_without_the_drill_down_drops_its_keys_and_keeps_as_of(app):
    for name, value in {"quadrant": "NE", "compare": "2020-01-interim", "standard": "PERM-01",
                        "area": "NE", "as_of": "2020-05-01"}.items():  # fmt: skip
        app.query_params[name] = value
    at = app.run()  # the overview: no trend and no drill-down of its own
    assert not at.exception
    assert url(at) == {"quadrant": ["NE"], "as_of": ["2020-05-01"]}


def test_the_case_list_has_its_own_export_buttons(sample_dir, monkeypatch):
    at = open_theme(sample_dir, monkeypatch, "permanency", quadrant="NE")
    buttons = {b.key: b.proto.label for b in at.get("download_button")}
    assert buttons["dl_permanency_cases_csv"] == "CSV"
    assert buttons["dl_permanency_cases_xlsx"] == "XLSX"
    filter_bar(at).toggle[0].set_value(True).run()  # for circulation: no list, so no export of it
    assert not any("cases" in key for key in (b.key for b in at.get("download_button")))


def test_view_state_writes_every_piece_and_reads_only_valid_values():
    from ui.filters import ViewState, valid_threshold, valid_values

    view = ViewState(
        Filters(quadrants=("NE", "SW"), round_id="r2", teams=("T1",)),
        compare_round="r1", standard="Q2", area="NE+SW", suppress_below=7,
    )  # fmt: skip
    assert view.to_params() == {
        "quadrant": ["NE", "SW"], "round": ["r2"], "team": ["T1"], "suppress_below": ["7"],
        "compare": ["r1"], "standard": ["Q2"], "area": ["NE+SW"],
    }  # fmt: skip
    assert ViewState().to_params() == {name: [] for name in view.to_params()}
    assert valid_values(["SW", "North", "NE", "SW"], ["NW", "NE", "SW", "SE"]) == ["SW", "NE"]
    assert [valid_threshold(v) for v in (["2"], ["50"], ["1"], ["51"], ["5", "6"], ["x"], [])] == [
        2, 50, None, None, None, None, None,
    ]  # fmt: skip


def test_the_theme_pages_actions_read_as_words(sample_dir, monkeypatch, sample):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_theme, args=("permanency",), default_timeout=TIMEOUT).run()
    assert not at.exception
    actions = next(d.value for d in at.dataframe if "Met before (n)" in d.value.columns)
    cells = read_as_words(actions, set(queries.themes(sample)["theme_id"]))
    expected = queries.action_status(sample, theme="permanency")
    assert len(actions) == len(expected) and any(WHOLE_PERCENT.match(c) for c in cells)
    assert any(c.value.startswith("RAG as of 30 Apr 2020, the end of the latest audited round")
               for c in at.caption)  # fmt: skip


def test_the_heatmap_for_circulation_names_the_quadrants_lowest(app):
    app.query_params["quadrant"] = "NE"
    at = app.run()
    filter_bar(at).toggle(key="filter_circulation").set_value(True).run()
    assert not at.exception
    assert titles(at)[0].startswith("Lowest in NE")


def test_the_actions_tracker_offers_csv_and_xlsx_like_a_chart(app):
    at = app.run()
    at.switch_page("app_pages/actions.py").run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["CSV", "XLSX"]
    assert any(c.value == "Data downloads: standard." for c in at.caption)


def test_a_theme_pages_chart_data_and_drill_down_read_as_words(sample_dir, monkeypatch, sample):
    """The data behind each chart and the drill-down's cases, headed as the other tables."""
    at = open_theme(sample_dir, monkeypatch, "permanency", compare="2020-01-interim")
    assert not at.exception
    theme_ids = set(queries.themes(sample)["theme_id"])
    frames = [d.value for d in at.dataframe]
    for frame in frames:
        read_as_words(frame, theme_ids)
    by_heading = {tuple(f.columns[:5]): f for f in frames}
    comparison = by_heading[("Question", "Standard", "Practice area", "Area", "Met (n)")]
    first = chart_view(sample, "quadrant_comparison", "permanency", Filters()).data.iloc[0]
    low, high = wilson_bounds(np.array([first["met"]]), np.array([first["n"]]))
    assert comparison.iloc[0].tolist() == [
        first["question_id"], first["text"], first["category"], first["quadrant"],
        f"{first['pct_met'] * 100:.0f}% (n = {first['n']})", f"{low[0] * 100:.0f}–{high[0] * 100:.0f}%",
        str(first["met"]), str(first["partially_met"]), str(first["not_met"]),
    ]  # fmt: skip
    trend = by_heading[("Question", "Standard", "From round", "Met then (n)", "To round")]
    assert set(trend["From round"]) == {"2020-01-interim"}
    assert all(c.endswith((" pts, beyond chance", " pts, within noise")) for c in trend["Change"])
    cohort = next(f for f in frames if "Share of cases" in f.columns)
    assert set(cohort["Of"]) == {"Quadrant", "Team", "Gender", "Age band", "Overall grade"}
    drill = drill_table(at)
    assert drill.columns.tolist() == [h for c, h in CASE_LIST_COLUMNS if c != "audit_id"]
