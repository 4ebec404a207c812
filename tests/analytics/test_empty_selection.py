"""An empty selection (a team with no cases in the round) is an empty chart with a plain
message: in every chart, every export format, on the command line and on every page."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import tiny_tables
from docx import Document
from filter_bar import filter_bar
from fixtures_export import image_server  # noqa: F401
from paths import ROOT
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from analytics.chart_specs import CHARTS
from analytics.cli import main
from analytics.domain import Filters
from analytics.store import Store, write_new_store
from analytics.views import chart_view

CROSS_THEME_VIEWS = [name for name, spec in CHARTS.items() if spec.scope == "every_theme"]

# T3 audited only case B1, in round one: round two (alpha's latest) has none of its cases.
TEAM = "T3"
IN_THEME = "No cases match: team T3 has no cases in round Round two of Alpha theme."
IN_LATEST = "No cases match: team T3 has no cases in any theme's latest audited round."


def expected_message(chart: str) -> str:
    return IN_LATEST if chart in CROSS_THEME_VIEWS else IN_THEME


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    """The tiny store with case B1 (round one) in team T3, so T3 has no case in round two."""
    tables = tiny_tables()
    for name in ("cases", "responses"):
        tables[name].loc[tables[name]["audit_id"] == "B1", "team"] = TEAM
    data_dir = tmp_path / "tiny-t3"
    write_new_store(data_dir, tables.items(), {"synthetic": True, "notice": "tiny"})
    return data_dir


@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_of_an_empty_selection_is_empty_with_the_message(empty_dir, chart):
    view = chart_view(Store(empty_dir), chart, "alpha", Filters(teams=(TEAM,)))
    message = expected_message(chart)
    assert (view.empty_message, view.title, view.alt_text) == (message, message, message)
    assert view.data.empty and len(view.figure.data) == 0  # nothing plotted
    assert [a.text for a in view.figure.layout.annotations] == [message]


def test_a_quadrant_with_no_cases_keeps_the_comparison_of_every_quadrant(empty_dir):
    # SE has no case in round two: the comparison still shows the others (its whole purpose),
    # while the charts of the selection alone are empty and say so.
    store, se = Store(empty_dir), Filters(quadrants=("SE",))
    view = chart_view(store, "quadrant_comparison", "alpha", se)
    assert view.empty_message is None
    county = chart_view(store, "quadrant_comparison", "alpha", Filters())
    numbers = [c for c in county.data.columns if c != "selected"]  # only the highlight differs
    assert view.data[numbers].equals(county.data[numbers]) and len(view.data)
    message = "No cases match: SE has no cases in round Round two of Alpha theme."
    assert chart_view(store, "finding_frequency", "alpha", se).empty_message == message


def test_the_overview_row_of_a_team_with_no_cases_names_the_audited_round(empty_dir):
    from analytics import queries

    alpha = queries.overview_table(Store(empty_dir), Filters(teams=(TEAM,))).to_dict("records")[0]
    assert (alpha["theme"], alpha["round"], alpha["cases"]) == ("Alpha theme", "Round two", 0)
    assert pd.isna(alpha["pct_met"])  # shown as "no results", not "not yet audited"


def test_a_selection_with_cases_has_no_message(empty_dir):
    view = chart_view(Store(empty_dir), "finding_frequency", "alpha",
                      Filters(round_id="r1", teams=(TEAM,)))  # fmt: skip
    assert view.empty_message is None
    assert view.data["question_id"].tolist() == ["Q1", "Q2", "Q1", "Q2"]  # selection, county


def test_the_trend_names_the_earlier_round_when_it_has_none(empty_dir):
    # T2 audited only in round two: round one has none of its cases to compare with.
    view = chart_view(Store(empty_dir), "round_trend", "alpha", Filters(teams=("T2",)))
    assert view.empty_message == (
        "No cases match: team T2 has no cases in round Round one of Alpha theme."
    )


def export(data_dir: Path, out: Path, *args: str) -> int:
    return main(["export", *args, "--out", str(out), "--data-dir", str(data_dir)])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_exports_its_data_empty_with_the_message(empty_dir, tmp_path, capsys,
                                                              chart, fmt):  # fmt: skip
    out = tmp_path / f"chart.{fmt}"
    theme = [] if chart in CROSS_THEME_VIEWS else ["--theme", "alpha"]
    assert export(empty_dir, out, *theme, "--team", TEAM, "--chart", chart, "--format", fmt) == 0
    printed = capsys.readouterr()
    message = expected_message(chart)
    assert printed.out.splitlines() == [
        message,
        f"Wrote {out} ({out.stat().st_size:,} bytes, {fmt}).",
    ]
    if fmt == "csv":
        lines = out.read_text(encoding="utf-8-sig").splitlines()
        assert f"Finding,{message}" in lines
        assert len(lines) == lines.index("") + 2  # the header block, then column names only
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))["Data"]
        cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row}
        assert cells["Finding"] == message


@pytest.mark.parametrize("fmt", ["png", "svg"])
@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_exports_an_empty_image(empty_dir, tmp_path, capsys, chart, fmt, image_server):  # noqa: F811
    out = tmp_path / f"chart.{fmt}"
    theme = [] if chart in CROSS_THEME_VIEWS else ["--theme", "alpha"]
    assert export(empty_dir, out, *theme, "--team", TEAM, "--chart", chart, "--format", fmt) == 0
    assert capsys.readouterr().out.splitlines()[0] == expected_message(chart)
    data = out.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert expected_message(chart).encode() in data  # the message is drawn on the chart


@pytest.mark.parametrize(("theme", "message"), [(["--theme", "alpha"], IN_THEME), ([], IN_LATEST)])
def test_the_slide_pack_of_an_empty_selection(
    empty_dir,
    tmp_path,
    capsys,
    theme,
    message,
    image_server,  # noqa: F811
):
    out = tmp_path / "pack.pptx"
    assert export(empty_dir, out, *theme, "--team", TEAM, "--format", "pptx") == 0
    assert capsys.readouterr().out.splitlines()[0] == message
    slides = [s.shapes.title.text for s in Presentation(str(out)).slides if s.shapes.title]
    assert message in slides


def test_the_report_of_an_empty_selection(empty_dir, tmp_path, capsys):
    out = tmp_path / "report.docx"
    args = ["report-doc", "--theme", "alpha", "--team", TEAM, "--no-charts", "--out", str(out),
            "--data-dir", str(empty_dir)]  # fmt: skip
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines()[0] == IN_THEME
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "No cases were audited in this round and selection." in text


def test_report_prints_the_message_and_an_empty_table(empty_dir, capsys):
    args = ["report", "--theme", "alpha", "--team", TEAM, "--format", "csv"]
    assert main([*args, "--data-dir", str(empty_dir)]) == 0
    printed = capsys.readouterr()
    assert printed.err.strip() == IN_THEME
    assert printed.out.splitlines() == [
        "theme_id,round_id,question_id,quadrant,n,met,partially_met,not_met,pct_met"
    ]


def test_report_as_a_table_prints_only_the_message(empty_dir, capsys):
    args = ["report", "--theme", "alpha", "--team", TEAM, "--data-dir", str(empty_dir)]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert (printed.err.strip(), printed.out) == (IN_THEME, "")  # not pandas' "Empty DataFrame"


def test_the_command_line_says_it_in_one_line_without_a_traceback(empty_dir, tmp_path):
    out = tmp_path / "ff.csv"
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "export", "--theme", "alpha", "--team", TEAM,
         "--chart", "finding_frequency", "--format", "csv", "--out", str(out),
         "--data-dir", str(empty_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == IN_THEME


# --- the dashboard ----------------------------------------------------------------------------


def render_alpha() -> None:  # runs inside AppTest
    import runpy
    from pathlib import Path as P

    from ui import filters

    filters.set_theme("alpha")
    filters.render("alpha")
    runpy.run_path(str(P.cwd() / "app_pages" / "theme.py"))
    filters.finish()  # as app.py does: the page's own link values are said too


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]  # the page's and the filter bar's


def plain(markdown: str) -> str:
    return markdown.replace("\\", "")


def test_the_theme_page_shows_the_message(empty_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(empty_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_alpha, default_timeout=60)
    at.query_params["team"] = TEAM
    at.run()
    assert not at.exception
    assert IN_THEME in [plain(i) for i in infos(at)]
    assert not at.get("plotly_chart")  # the message in place of each empty chart


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/across_themes.py",
                                  "app_pages/actions.py"])  # fmt: skip
def test_every_page_shows_the_message(empty_dir, monkeypatch, page):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(empty_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["team"] = TEAM
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert IN_LATEST in [plain(i) for i in infos(at)]


# --- values a link cannot mean are named, never dropped without a word ----------------------


def test_values_the_link_cannot_mean_are_named_once(empty_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(empty_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_alpha, default_timeout=60)
    at.query_params["quadrant"] = ["XX", "NE"]
    at.query_params["round"] = "nonexistent"
    at.query_params["team"] = "<script>alert(1)</script>"
    at.query_params["suppress_below"] = "1"
    at.run()
    assert not at.exception
    assert filter_bar(at).multiselect[0].value == ["NE"]  # the valid value is kept
    assert [plain(w.value) for w in filter_bar(at).warning] == [
        "Ignored from the link: quadrant XX (not a quadrant (NW, NE, SW, SE)); round nonexistent "
        "(not a round of this theme with results); team 1 value(s) not shown here (not a team in "
        "these audits); suppress_below 1 (not a whole number from 2 to 50)."
    ]
    at.run()  # the link now holds only what is shown: nothing more to say
    assert not filter_bar(at).warning


def test_the_pages_own_link_values_it_cannot_mean_are_named(empty_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(empty_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(render_alpha, default_timeout=60)
    at.query_params["standard"] = "[a link](javascript:alert(1))"
    at.query_params["compare"] = "r9"
    at.run()
    assert not at.exception
    assert [plain(w.value) for w in filter_bar(at).warning] == [
        "Ignored from the link: compare r9 (not a round to compare with here); standard 1 "
        "value(s) not shown here (not a standard of this theme)."
    ]
    at.run()
    assert not filter_bar(at).warning


# --- for circulation, every table the pages show converts to Arrow as it is -----------------


@pytest.mark.parametrize("page", ["app_pages/actions.py", "app_pages/theme.py"])
def test_tables_for_circulation_need_no_arrow_fixes(sample_dir, monkeypatch, page):
    from streamlit import dataframe_util

    fixed: list[list[str]] = []
    fix = dataframe_util.fix_arrow_incompatible_column_types

    def recorded(frame, *args, **kwargs):  # called (after a logged traceback) only on failure
        fixed.append([str(c) for c in frame.columns])
        return fix(frame, *args, **kwargs)

    monkeypatch.setattr(dataframe_util, "fix_arrow_incompatible_column_types", recorded)
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["quadrant"] = "NE"
    at.query_params["suppress_below"] = "5"
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert at.dataframe and fixed == []


def test_the_actions_shown_for_circulation_convert_to_arrow(sample):
    import pyarrow as pa

    from analytics import queries
    from analytics.disclosure.circulation import actions_for_circulation
    from ui import tables

    actions = actions_for_circulation(queries.action_status(sample, filters=Filters(("NE",))), 5)
    assert "c" in set(actions["pct_met_before"])  # small counts are withheld in this selection
    for columns in (tables.TRACKED_ACTIONS, tables.THEME_ACTIONS):
        shown = tables.format_rows(actions, columns, queries.theme_choices(sample))
        pa.Table.from_pandas(shown)  # consistent types: raises if a column mixes kinds


@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_for_circulation_exports_empty_with_the_message(empty_dir, tmp_path, capsys,
                                                                    chart):  # fmt: skip
    out = tmp_path / "chart.csv"
    theme = [] if chart in CROSS_THEME_VIEWS else ["--theme", "alpha"]
    assert export(empty_dir, out, *theme, "--team", TEAM, "--chart", chart, "--format", "csv",
                  "--suppress-below", "5") == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[0] == expected_message(chart)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert f"Finding,{expected_message(chart)}" in lines
    assert "Mode,for circulation: counts under 5 suppressed" in lines
    assert len(lines) == lines.index("") + 2


def test_the_slide_pack_for_circulation_of_an_empty_selection(
    empty_dir,
    tmp_path,
    capsys,
    image_server,  # noqa: F811
):
    out = tmp_path / "pack.pptx"
    assert export(empty_dir, out, "--theme", "alpha", "--team", TEAM, "--format", "pptx",
                  "--suppress-below", "5") == 0  # fmt: skip
    slides = [s.shapes.title.text for s in Presentation(str(out)).slides if s.shapes.title]
    assert IN_THEME in slides
