"""The named queries against the tiny hand-made store: whole expected rows, computed by hand."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analytics import queries
from analytics.domain import Filters
from analytics.errors import AuditDataError, UnknownValueError
from analytics.lake.catalog import SORT_KEYS, Lake
from analytics.stats import wilson_interval
from analytics.store import Store, write_new_store
from analytics.views import chart_view
from tests.conftest import tiny_tables

NAN = float("nan")


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Return the frame's rows as tuples, NaN/NA/None normalised to None."""
    out = []
    for record in frame[columns].itertuples(index=False):
        out.append(tuple(None if _missing(v) else v for v in record))
    return out


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def test_quadrant_comparison_whole_rows(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha")
    columns = ["question_id", "quadrant", "n", "met", "partially_met", "not_met",
               "not_applicable", "pct_met"]  # fmt: skip
    assert rows(frame, columns) == [
        ("Q1", "NW", 2, 1, 0, 1, 0, 0.5),
        ("Q1", "NE", 1, 1, 0, 0, 0, 1.0),
        ("Q1", "SW", 1, 0, 1, 0, 0, 0.0),
        ("Q1", "SE", 0, 0, 0, 0, 0, None),
        ("Q1", "County", 4, 2, 1, 1, 0, 0.5),
        ("Q2", "NW", 1, 1, 0, 0, 1, 1.0),
        ("Q2", "NE", 1, 0, 0, 1, 0, 0.0),
        ("Q2", "SW", 1, 0, 0, 1, 0, 0.0),
        ("Q2", "SE", 0, 0, 0, 0, 0, None),
        ("Q2", "County", 3, 1, 0, 2, 1, pytest.approx(1 / 3)),
    ]
    assert set(frame["round_id"]) == {"r2"}  # the latest audited round by default
    county = frame[(frame["question_id"] == "Q1") & (frame["quadrant"] == "County")].iloc[0]
    assert (county["ci_low"], county["ci_high"]) == pytest.approx(wilson_interval(2, 4))
    empty = frame[frame["quadrant"] == "SE"]
    assert empty["ci_low"].isna().all()


def test_quadrant_comparison_flags_selection_and_filters_team(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha", Filters(quadrants=("NE",), teams=("T1",)))
    assert frame.loc[frame["selected"], "quadrant"].unique().tolist() == ["NE"]
    nw = frame[(frame["question_id"] == "Q1") & (frame["quadrant"] == "NW")]
    assert rows(nw, ["n", "met", "not_met"]) == [(1, 1, 0)]  # A2 (team T2) left out


def test_quadrant_comparison_earlier_round(tiny):
    frame = queries.quadrant_comparison(tiny, "alpha", Filters(round_id="r1"))
    county = frame[frame["quadrant"] == "County"]
    assert rows(county, ["question_id", "n", "met", "pct_met"]) == [
        ("Q1", 2, 0, 0.0),
        ("Q2", 2, 1, 0.5),
    ]


def test_finding_frequency_selection_and_county(tiny):
    frame = queries.finding_frequency(tiny, "alpha", Filters(quadrants=("NW",)))
    columns = ["scope", "question_id", "n", "not_met", "partially_met", "pct_not_met", "rank"]
    assert rows(frame, columns) == [
        ("Selection", "Q1", 2, 1, 0, 0.5, 1),
        ("Selection", "Q2", 1, 0, 0, 0.0, 2),
        ("County", "Q2", 3, 2, 0, pytest.approx(2 / 3), 1),
        ("County", "Q1", 4, 1, 1, 0.25, 2),
    ]


def test_finding_frequency_across_themes_uses_latest_rounds(tiny):
    frame = queries.finding_frequency(tiny)
    county = frame[frame["scope"] == "County"]
    assert rows(county, ["theme_id", "question_id", "n"]) == [
        ("alpha", "Q2", 3),
        ("alpha", "Q1", 4),
    ]


def test_round_trend_with_fisher(tiny):
    frame = queries.round_trend(tiny, "alpha")
    columns = ["question_id", "round_from", "round_to", "n_from", "met_from", "n_to", "met_to",
               "change", "test", "beyond_chance"]  # fmt: skip
    assert rows(frame, columns) == [
        ("Q1", "r1", "r2", 2, 0, 4, 2, 0.5, "fisher", False),
        ("Q2", "r1", "r2", 2, 1, 3, 1, pytest.approx(1 / 3 - 1 / 2), "fisher", False),
    ]
    # Q1: [[0, 2], [2, 2]]; hypergeometric P(X=0)=6/15, P(X=2)=1/15 are <= observed: p = 7/15.
    assert frame.loc[0, "p_value"] == pytest.approx(7 / 15)


def test_round_trend_single_round_is_empty(sample):
    assert queries.round_trend(sample, "private_fostering").empty


def test_cohort_profile(tiny):
    # Values in their declared order: grades best first, quadrants NW NE SW SE, ages youngest first.
    frame = queries.cohort_profile(tiny, "alpha", Filters(quadrants=("NW", "NE")))
    assert rows(frame, ["dimension", "value", "cases"]) == [
        ("age_band", "0-4", 2),
        ("age_band", "5-9", 1),
        ("gender", "Female", 2),
        ("gender", "Male", 1),
        ("overall_grade", "Good", 1),
        ("overall_grade", "Requires improvement", 1),
        ("overall_grade", "Inadequate", 1),
        ("quadrant", "NW", 2),
        ("quadrant", "NE", 1),
        ("team", "T1", 2),
        ("team", "T2", 1),
    ]


def test_category_matrix(tiny):
    frame = queries.category_matrix(tiny)
    columns = ["category", "theme_id", "quadrant", "n", "met"]
    assert rows(frame[frame["theme_id"] == "alpha"], columns) == [
        ("Timeliness", "alpha", "County", 4, 2),
        ("Timeliness", "alpha", "NE", 1, 1),
        ("Timeliness", "alpha", "NW", 2, 1),
        ("Timeliness", "alpha", "SW", 1, 0),
        ("Voice of the child", "alpha", "County", 3, 1),
        ("Voice of the child", "alpha", "NE", 1, 0),
        ("Voice of the child", "alpha", "NW", 1, 1),
        ("Voice of the child", "alpha", "SW", 1, 0),
    ]


def test_recurring_weaknesses_needs_three_themes(tiny, sample):
    assert queries.recurring_weaknesses(tiny).empty  # one audited theme only
    weak = queries.recurring_weaknesses(sample)
    # The seed's central message: management oversight and supervision is weak across themes.
    assert "Management oversight and supervision" in weak["category"].tolist()
    assert (weak["weak_themes"] >= 3).all()


def test_action_status_rag_and_measures(tiny):
    frame = queries.action_status(tiny, as_of=dt.date(2020, 5, 1))
    columns = ["action_id", "rag", "days_overdue", "round_before", "n_before", "pct_met_before",
               "round_after", "n_after", "pct_met_after"]  # fmt: skip
    assert rows(frame, columns) == [
        ("X1", "Overdue", 16, "r1", 2, 0.0, "r2", 4, 0.5),
        ("X2", "Due soon", None, "r1", 4, 0.25, "r2", 7, pytest.approx(3 / 7)),
        ("X5", "No due date", None, None, None, None, None, None, None),
        ("X3", "On track", None, None, None, None, None, None, None),
        ("X4", "Complete", None, None, None, None, None, None, None),
    ]


def test_action_status_filters(tiny):
    frame = queries.action_status(tiny, as_of=dt.date(2020, 5, 1), owners=("SM",))
    assert frame["action_id"].tolist() == ["X1", "X3"]
    frame = queries.action_status(tiny, as_of=dt.date(2020, 5, 1), statuses=("complete",))
    assert frame["action_id"].tolist() == ["X4"]


def test_quotes_keep_county_wide_ones(tiny):
    assert queries.quotes(tiny, "alpha", Filters(quadrants=("NW",)))["quote_id"].tolist() == ["QT2"]
    assert queries.quotes(tiny, "alpha")["quote_id"].tolist() == ["QT1", "QT2"]


def test_cases_behind_a_cell(tiny):
    frame = queries.cases_behind(tiny, "alpha", "Q1", Filters(quadrants=("NW",)))
    assert rows(frame, ["audit_id", "child_ref", "response", "comment"]) == [
        ("A2", "SYN-A2", "Not met", "comment A2-Q1"),
        ("A1", "SYN-A1", "Met", "comment A1-Q1"),
    ]


def test_theme_summary_whole_rows_with_the_selection_flagged(tiny):
    frame = queries.theme_summary(tiny, Filters(quadrants=("NE",)))
    columns = ["quadrant", "round_id", "cases", "n", "met", "round_id_previous",
               "cases_previous", "n_previous", "met_previous", "selected"]  # fmt: skip
    assert rows(frame, columns) == [
        ("NW", "r2", 2, 3, 2, "r1", 1, 2, 1, False),
        ("NE", "r2", 1, 2, 1, "r1", 1, 2, 0, True),
        ("SW", "r2", 1, 2, 0, None, None, None, None, False),
        ("County", "r2", 4, 7, 3, "r1", 2, 4, 1, False),
    ]
    county = frame[frame["quadrant"] == "County"].iloc[0]
    assert county["change"] == pytest.approx(3 / 7 - 1 / 4)
    # Case level: r2 has 7 answers from 4 cases (design effect 2: 2 of 4), r1 4 from 2 (1 of 2);
    # Fisher on [[1, 1], [2, 2]] gives p = 1.
    assert not county["beyond_chance"]
    assert queries.theme_summary(tiny)["selected"].tolist() == [False, False, False, True]


def test_theme_summary_once_per_snapshot_and_teams_whatever_the_quadrants(tiny):
    # The SQL answer is kept per snapshot and teams: another quadrant choice reuses it, a
    # caller changing its copy changes nothing kept, and another team set asks again.
    first = queries.theme_summary(tiny, Filters(quadrants=("NE",)))
    first.loc[:, "met"] = -1
    again = queries.theme_summary(tiny, Filters(quadrants=("NW", "SW")))
    assert again["met"].tolist() == [2, 1, 0, 3]
    assert again["selected"].tolist() == [True, False, True, False]
    team = queries.theme_summary(tiny, Filters(teams=("T2",)))
    assert rows(team, ["quadrant", "cases"]) == [("NW", 1), ("County", 1)]
    assert len([key for key in tiny._pinned.memo if key.startswith("theme_summary")]) == 2


def test_overview_table_shows_the_selection_beside_the_county(tiny):
    table = queries.overview_table(tiny, Filters(quadrants=("NE",)))
    alpha, beta = table.to_dict("records")
    assert alpha["theme"] == "Alpha theme" and alpha["round"] == "Round two"
    assert (alpha["cases"], alpha["NW"], alpha["NE"], alpha["SW"]) == (4, 2, 1, 1)
    assert pd.isna(alpha["SE"])
    assert (alpha["n"], alpha["pct_met"]) == (7, pytest.approx(3 / 7))
    assert alpha["change_pts"] == pytest.approx((3 / 7 - 1 / 4) * 100)
    assert alpha["change"] == "within noise"
    # NE alone: A3 met 1 of 2 in r2; B2 met 0 of 2 in r1.
    assert alpha["selection"] == "NE"
    assert (alpha["selection_cases"], alpha["selection_n"]) == (1, 2)
    assert alpha["selection_pct_met"] == 0.5
    assert alpha["selection_change_pts"] == pytest.approx(50.0)
    assert alpha["selection_change"] == "within noise"
    assert beta["theme"] == "Beta theme" and beta["round"] == "Underway: May 2020–Sep 2020"
    assert pd.isna(beta["pct_met"]) and pd.isna(beta["selection_pct_met"])
    county_only = queries.overview_table(tiny)
    assert "selection_pct_met" not in county_only.columns


def test_overview_table_of_a_team_keeps_planned_themes_planned(tiny):
    alpha, beta = queries.overview_table(tiny, Filters(teams=("T2",))).to_dict("records")
    assert (alpha["round"], alpha["cases"]) == ("Round two", 1)
    assert beta["round"] == "Underway: May 2020–Sep 2020"  # still planned, not audited


def test_headline_whole(tiny):
    figures = queries.headline(tiny, "alpha")
    change = figures.pop("change")
    assert figures == {
        "round_id": "r2",
        "cases": 4,
        "grades": {"Good": 1, "Requires improvement": 2, "Inadequate": 1},
        "good_or_better": 1,
        "pct_good_or_better": 0.25,
        "met": 3,
        "n": 7,
        "pct_met": pytest.approx(3 / 7),
        "ci_low": pytest.approx(wilson_interval(3, 7)[0]),
        "ci_high": pytest.approx(wilson_interval(3, 7)[1]),
        "previous_round_id": "r1",
        # round one: B1 and B2, 4 applicable answers, 1 met (B1 Q2)
        "met_previous": 1,
        "n_previous": 4,
        "cases_previous": 2,
        "pct_met_previous": 0.25,
    }
    assert (change.change, change.p_value) == (pytest.approx(3 / 7 - 1 / 4), pytest.approx(1.0))
    assert (change.method, change.beyond_chance, change.design_effect) == ("fisher", False, 2)
    earliest = queries.headline(tiny, "alpha", Filters(round_id="r1", quadrants=("NE",)))
    assert (earliest["cases"], earliest["grades"], earliest["good_or_better"]) == (
        1, {"Inadequate": 1}, 0,
    )  # fmt: skip
    assert earliest["previous_round_id"] is None and earliest["change"] is None


def test_round_trend_always_runs_from_the_earlier_round(tiny):
    default = queries.round_trend(tiny, "alpha")
    backwards = queries.round_trend(tiny, "alpha", Filters(round_id="r1"), round_from="r2")
    pd.testing.assert_frame_equal(backwards, default)
    assert set(backwards["round_from"]) == {"r1"} and set(backwards["round_to"]) == {"r2"}
    assert queries.round_trend(tiny, "alpha", Filters(round_id="r1")).empty  # nothing earlier
    view = chart_view(tiny, "round_trend", "alpha", Filters(round_id="r1"), compare_round="r2")
    assert view.subtitle == (
        "n=2 and 4 cases · Round one to Round two · all quadrants (county); all teams"
    )
    assert view.title == "No change beyond chance in 2 standards between the two rounds"
    assert view.alt_text == (
        "Dumbbell chart of the share met in 2 standards between Round one and Round two; "
        "no change is beyond chance."
    )


def test_cases_behind_is_limited_not_met_first_and_counted(tiny):
    frame = queries.cases_behind(tiny, "alpha", "Q2", limit=2)
    assert rows(frame, ["audit_id", "response"]) == [("A3", "Not met"), ("A4", "Not met")]
    everything = queries.cases_behind(tiny, "alpha", "Q2", limit=None)
    assert everything["audit_id"].tolist() == ["A3", "A4", "A2", "A1"]
    assert queries.cell_cases(tiny, "alpha", "Q2") == 4
    assert queries.cell_cases(tiny, "alpha", "Q2", Filters(quadrants=("NW",), teams=("T2",))) == 1


@pytest.mark.parametrize(
    ("name", "filters", "subtitle"),
    [
        ("category_matrix", Filters(quadrants=("NE",)),
         "n=1 cases · each theme's latest round · NE; all teams"),
        ("category_by_quadrant", Filters(quadrants=("NE",)),
         "n=4 cases · each theme's latest round · all quadrants (county); all teams"),
        ("theme_quadrant", Filters(quadrants=("NW",)),
         "n=2 cases · each theme's latest round · NW; all teams"),
        ("finding_frequency", Filters(),
         "n=4 cases · each theme's latest round · all quadrants (county); all teams"),
    ],
)  # fmt: skip
def test_cross_theme_subtitles_give_n(tiny, name, filters, subtitle):
    assert chart_view(tiny, name, None, filters).subtitle == subtitle


def test_cohort_subtitle_gives_n(tiny):
    view = chart_view(tiny, "cohort_profile", "alpha", Filters(quadrants=("NW",)))
    assert view.subtitle == "n=2 cases · Round two · NW; all teams"


def test_heatmap_outlines_the_selected_quadrant(tiny):
    figure = chart_view(tiny, "theme_quadrant", None, Filters(quadrants=("NE",))).figure
    assert list(figure.data[0].x) == ["NW", "NE", "SW", "County"]  # no SE answers in the tiny store
    (outline,) = figure.layout.shapes
    assert (outline.x0, outline.x1) == (0.5, 1.5)
    assert list(figure.layout.xaxis.ticktext) == ["NW", "<b>NE</b>", "SW", "County"]


def test_chart_text_from_the_data_is_not_markup(tmp_path):
    hostile = "<b>Bold</b> & <a href='javascript:alert(1)'>link</a>"
    tables = tiny_tables()
    tables["questions"].loc[1, "text"] = hostile  # Q2, the most often not met
    tables["themes"].loc[0, "title"] = hostile
    write_new_store(tmp_path / "h", tables.items(), {"synthetic": True})
    store = Store(tmp_path / "h")
    view = chart_view(store, "finding_frequency", "alpha", Filters())
    assert hostile in view.title  # the words as the data has them, for slides and alt text
    shown = view.figure.layout.title.text
    assert "<b>" not in shown and "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;a href=" in shown
    labels = [str(label) for trace in view.figure.data for label in trace.y]
    assert all("<" not in label for label in labels)
    heatmap = chart_view(store, "theme_quadrant", None).figure
    assert list(heatmap.data[0].y) == [
        "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;a href='javascript:alert(1)'&gt;link&lt;/a&gt;"
    ]


def test_store_contents(tiny):
    frame = queries.store_contents(tiny)
    assert rows(frame, ["theme_id", "round_id", "cases", "responses"]) == [
        ("alpha", "r1", 2, 4),
        ("alpha", "r2", 4, 8),
        ("alpha", "r3", 0, 0),
        ("beta", "b1", 0, 0),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: queries.quadrant_comparison(s, "gamma"), "Unknown theme 'gamma'. Allowed: alpha, beta."),
        (lambda s: queries.quadrant_comparison(s, "alpha", Filters(round_id="r9")),
         "Unknown round 'r9' for theme alpha. Allowed: r1, r2, r3."),
        (lambda s: queries.finding_frequency(s, "alpha", Filters(quadrants=("North",))),
         "Unknown quadrant 'North'. Allowed: NW, NE, SW, SE."),
        (lambda s: queries.cases_behind(s, "alpha", "Q9"),
         "Unknown question 'Q9' for theme alpha. Allowed: Q1, Q2."),
        (lambda s: queries.quotes(s, "alpha", Filters(round_id="zzz")),
         "Unknown round 'zzz' for theme alpha. Allowed: r1, r2, r3."),
        (lambda s: queries.quotes(s, None, Filters(round_id="zzz")),
         "Unknown round 'zzz'. Allowed: b1, r1, r2, r3."),
        (lambda s: queries.quadrant_comparison(s, "alpha", Filters(teams=("Nobody",))),
         "Unknown team 'Nobody'. Allowed: T1, T2."),
        (lambda s: queries.check_teams(s, ["T2", "T3"], "alpha"),
         "Unknown team 'T3' for theme alpha. Allowed: T1, T2."),
    ],
)  # fmt: skip
def test_unknown_values_are_named(tiny, call, message):
    with pytest.raises(UnknownValueError) as caught:
        call(tiny)
    assert str(caught.value) == message


def test_a_planned_round_is_refused_saying_so(tiny):
    with pytest.raises(AuditDataError) as caught:
        queries.quadrant_comparison(tiny, "alpha", Filters(round_id="r3"))
    assert str(caught.value) == (
        "Round r3 (Re-audit, October 2020–October 2020) of theme alpha is planned: it has no "
        "audit results yet. Rounds with results: r1, r2."
    )


def test_a_planned_theme_gives_empty_frames_or_a_plain_refusal(tiny):
    assert queries.resolve_round(tiny, "beta", None) is None
    assert queries.quadrant_comparison(tiny, "beta").empty
    assert queries.cohort_profile(tiny, "beta").empty
    with pytest.raises(AuditDataError) as caught:
        queries.require_audited_round(tiny, "beta")
    assert str(caught.value) == (
        "Theme beta (Beta theme) has no audited round yet, so there is nothing to report. "
        "Planned: b1 (Underway, May 2020–September 2020)."
    )


def test_hostile_strings_are_bound_not_spliced(tiny):
    hostile = "alpha' OR 1=1; DROP VIEW responses; --"
    with pytest.raises(UnknownValueError):
        queries.quadrant_comparison(tiny, hostile)
    with pytest.raises(UnknownValueError, match="Unknown team"):
        queries.quadrant_comparison(tiny, "alpha", Filters(teams=(hostile,)))
    with pytest.raises(UnknownValueError, match="Unknown question"):
        queries.cases_behind(tiny, "alpha", hostile)
    # Nothing was executed as SQL: the views are all still there with every answer.
    assert queries.quadrant_comparison(tiny, "alpha")["n"].sum() == 14


def test_missing_store_says_how_to_make_one(tmp_path):
    with pytest.raises(AuditDataError, match="python -m analytics generate"):
        Store(tmp_path / "nowhere")


# --- the small vocabularies the pages show --------------------------------------------------


def test_vocabularies(tiny):
    assert queries.theme_choices(tiny) == {"alpha": "Alpha theme", "beta": "Beta theme"}
    assert queries.theme_info(tiny, "beta")["status"] == "planned"
    assert queries.round_labels(tiny, "alpha") == {
        "r1": "Round one", "r2": "Round two", "r3": "Re-audit",
    }  # fmt: skip
    assert queries.questions(tiny, "alpha") == {
        "Q1": "Visits are timely", "Q2": "The child is heard",
    }  # fmt: skip
    assert queries.teams(tiny) == ["T1", "T2"]
    assert queries.next_planned(tiny, "alpha") == "Re-audit: Oct 2020–Oct 2020"
    assert queries.earlier_rounds(tiny, "alpha") == ["r1"]  # before the latest, r2
    assert queries.earlier_rounds(tiny, "alpha", "r1") == []


# --- the store: partitions, damaged files, messages -----------------------------------------


def _corrupt(path: Path) -> None:
    path.write_bytes(b"not a parquet file" * 4)


def _files(data_dir: Path, table: str, theme: str | None = None, round_id: str | None = None):
    """Return the store's data files of one table (of one theme and round), from its catalog."""
    lake = Lake(data_dir)
    try:
        listed = lake.files_at(lake.latest_snapshot())[table]
    finally:
        lake.close()
    wanted = [f"theme_id={theme}/round_id={round_id}/" if theme else ""]
    return [Path(f) for f in listed if all(part in f for part in wanted)]


def test_a_damaged_round_leaves_the_other_rounds_answering(tiny_dir):
    # r1's responses and its roll-up are unreadable; r2 (another partition) still answers.
    for table in ("responses", "response_counts"):
        (path,) = _files(tiny_dir, table, "alpha", "r1")
        _corrupt(path)
    store = Store(tiny_dir)
    frame = queries.quadrant_comparison(store, "alpha", Filters(round_id="r2"))
    assert frame.loc[frame["quadrant"] == "County", "n"].tolist() == [4, 3]
    cases = queries.cases_behind(store, "alpha", "Q1", Filters(round_id="r2", quadrants=("NW",)))
    assert cases["audit_id"].tolist() == ["A2", "A1"]
    with pytest.raises(AuditDataError) as caught:
        queries.quadrant_comparison(store, "alpha", Filters(round_id="r1"))
    message = str(caught.value)
    assert "alpha round r1" in message and str(tiny_dir) in message


def test_a_damaged_file_in_another_theme_leaves_permanency_answering(sample_dir, sample, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(sample_dir, copy)
    damaged = [
        *_files(copy, "responses", "missing", "2020-04"),
        *_files(copy, "cases", "private_fostering", "2020-04"),
        *_files(copy, "response_counts", "private_fostering", "2020-04"),
    ]
    assert len(damaged) == 3
    for path in damaged:
        _corrupt(path)
    store = Store(copy)
    chosen = Filters(quadrants=("NE",))
    pd.testing.assert_frame_equal(
        queries.quadrant_comparison(store, "permanency", chosen),
        queries.quadrant_comparison(sample, "permanency", chosen),
    )
    pd.testing.assert_frame_equal(
        queries.cases_behind(store, "permanency", "PERM-05", chosen),
        queries.cases_behind(sample, "permanency", "PERM-05", chosen),
    )
    # What needs the damaged theme says so, under the directory the user knows.
    for call in (
        lambda: queries.quadrant_comparison(store, "private_fostering"),
        lambda: queries.category_matrix(store),
        lambda: queries.cases_behind(store, "missing", "MIS-01"),
    ):
        with pytest.raises(AuditDataError) as caught:
            call()
        assert str(copy) in str(caught.value)


def test_a_damaged_catalogue_table_is_a_plain_error_naming_the_directory(tiny_dir):
    (path,) = _files(tiny_dir, "themes")
    _corrupt(path)
    with pytest.raises(AuditDataError) as caught:
        Store(tiny_dir)
    message = str(caught.value)
    assert message.startswith(f"The audit store at {tiny_dir} could not be opened: its themes")
    assert path.name in message


def test_a_query_reads_only_its_partition(tiny):
    # EXPLAIN ANALYZE names the files a query read: one partition's, not every footer.
    plan = tiny.query(
        "EXPLAIN ANALYZE SELECT count(*) FROM responses WHERE theme_id = $t AND round_id = $r",
        {"t": "alpha", "r": "r2"},
    ).iloc[0, 1]
    assert "Scanning Files: 1/2" in plan
    # DuckDB 1.5 wraps a long file name across the plan's box lines: read it unwrapped.
    unwrapped = re.sub(r"[\s│]", "", plan)
    assert "round_id=r2" in unwrapped and "round_id=r1" not in unwrapped


def test_writers_write_the_contract_columns_sorted(tiny_dir):
    tables = tiny_tables()
    base = _files(tiny_dir, "responses")
    assert len(base) == 2  # one file per theme and round
    for path in base:
        table = pq.read_table(path)
        assert table.schema.names == tables["responses"].columns.tolist()  # the contract's order
        keys = list(zip(*(table[c].to_pylist() for c in SORT_KEYS["responses"]), strict=True))
        assert keys == sorted(keys)


def test_a_planned_round_overtaken_by_an_audited_one_is_not_next(tmp_path):
    # An import brought a real round (November) after the planned re-audit (October) was due.
    tables = tiny_tables()
    later = pd.DataFrame(
        [("alpha", "r4", "Later audit", dt.date(2020, 11, 1), dt.date(2020, 11, 30), "complete")],
        columns=tables["rounds"].columns,
    )
    tables["rounds"] = pd.concat([tables["rounds"], later], ignore_index=True)
    write_new_store(tmp_path / "s", tables.items(), {"synthetic": True})
    store = Store(tmp_path / "s")
    assert queries.next_planned(store, "alpha") is None
    assert queries.planned_rounds(store, "alpha").empty
    assert queries.next_planned(store, "beta") == "Underway: May 2020–Sep 2020"


def test_cohort_values_in_declared_order_not_alphabetical(tmp_path):
    # Alphabetically "10-15" < "5-9" and "Inadequate" < "Outstanding": the declared order wins.
    tables = tiny_tables()
    tables["cases"]["age_band"] = ["10-15", "5-9", "0-4", "10-15", "5-9", "0-4"]
    tables["cases"]["overall_grade"] = ["Inadequate", "Outstanding", "Good", "Good", "Good", "Good"]
    write_new_store(tmp_path / "s", tables.items(), {"synthetic": True})
    frame = queries.cohort_profile(Store(tmp_path / "s"), "alpha")  # round two: A1-A4
    ages = frame[frame["dimension"] == "age_band"]
    grades = frame[frame["dimension"] == "overall_grade"]
    assert ages["value"].tolist() == ["0-4", "5-9", "10-15"]
    assert grades["value"].tolist() == ["Outstanding", "Good", "Inadequate"]
    assert ages["cases"].tolist() == [1, 1, 2] and ages["share"].tolist() == [0.25, 0.25, 0.5]


def test_area_and_theme_totals_whole_rows(tiny):
    # r2 (alpha's latest), county: Timeliness = Q1 (4 answers, 2 met), Voice = Q2 (3, 1: A1 is
    # not applicable), alpha = both (7, 3); 4 cases. Case-level intervals: the design effect is
    # answers per case rounded half up, at least 1 (Q1 4/4 = 1, Q2 3/4 -> 1, alpha 7/4 -> 2,
    # so alpha's interval is Wilson's on 2 of 4). An area's cases are those with an applicable
    # answer in it: Voice has 3 (A2, A3, A4), never more cases than answers.
    frame = queries.area_and_theme_totals(tiny)
    columns = ["kind", "name", "theme_id", "round_id", "n", "met", "pct_met", "cases", "themes"]
    assert rows(frame, columns) == [
        ("area", "Voice of the child", None, None, 3, 1, pytest.approx(1 / 3), 3, 1),
        ("area", "Timeliness", None, None, 4, 2, 0.5, 4, 1),
        ("theme", "Alpha theme", "alpha", "r2", 7, 3, pytest.approx(3 / 7), 4, 1),
    ]
    bounds = list(zip(frame["ci_low"], frame["ci_high"], strict=True))
    assert bounds == [wilson_interval(1, 3), wilson_interval(2, 4), wilson_interval(2, 4)]
    assert bounds[0] == pytest.approx((0.0615, 0.7923), abs=1e-4)


def test_weakest_area_and_theme_with_the_county_beside_the_selection(tiny):
    county = queries.weakest(tiny, min_cases=3)
    columns = ["kind", "name", "n", "met", "cases", "next_name", "clearly_lowest"]
    assert rows(county, columns) == [
        ("area", "Voice of the child", 3, 1, 3, "Timeliness", False),
        ("theme", "Alpha theme", 7, 3, 4, None, False),
    ]
    # Voice rests on 3 cases: with a minimum of 4 the weakest area is Timeliness.
    assert rows(queries.weakest(tiny, min_cases=4), columns)[0] == (
        "area", "Timeliness", 4, 2, 4, None, False)  # fmt: skip
    # NW: A1 and A2. Timeliness 1 of 2, Voice 1 of 1 (A1 not applicable), alpha 2 of 3; 2 cases.
    nw = queries.weakest(tiny, Filters(quadrants=("NW",)), min_cases=2)
    columns = ["kind", "name", "n", "met", "cases", "county_n", "county_met", "county_cases"]
    assert rows(nw, columns) == [
        ("area", "Timeliness", 2, 1, 2, 4, 2, 4),
        ("theme", "Alpha theme", 3, 2, 2, 7, 3, 4),
    ]
    # alpha in NW: 3 answers from 2 cases -> design effect 2 -> Wilson on 1 of 2.
    assert (nw["ci_low"].iat[1], nw["ci_high"].iat[1]) == wilson_interval(1, 2)
    assert (nw["county_ci_low"].iat[1], nw["county_ci_high"].iat[1]) == wilson_interval(2, 4)


def test_weakest_needs_the_minimum_of_cases(tiny):
    assert queries.weakest(tiny, min_cases=5).empty  # 4 cases in r2: nothing to name
    ne = queries.weakest(tiny, Filters(quadrants=("NE",)), min_cases=1)  # A3: Q1 met, Q2 not
    assert rows(ne, ["kind", "name", "n", "met", "cases"]) == [
        ("area", "Voice of the child", 1, 0, 1),
        ("theme", "Alpha theme", 2, 1, 1),
    ]
    assert queries.MIN_CASES_FOR_WEAKEST == 10


def test_action_status_defaults_to_the_end_of_the_latest_audited_round(tiny):
    # r2 ends 30 April 2020 (r3 and b1 are planned): X1, due 15 April, is 15 days overdue.
    assert queries.latest_audited_end(tiny) == dt.date(2020, 4, 30)
    frame = queries.action_status(tiny)
    assert rows(frame, ["action_id", "rag", "days_overdue"]) == [
        ("X1", "Overdue", 15),
        ("X2", "Due soon", None),
        ("X5", "No due date", None),
        ("X3", "On track", None),
        ("X4", "Complete", None),
    ]


def test_action_measures_follow_the_quadrant_and_team_filters(tiny):
    # X1 is linked to Q1. NW: r1 B1 not met (0 of 1); r2 A1 met, A2 not met (1 of 2).
    nw = queries.action_status(tiny, dt.date(2020, 5, 1), filters=Filters(quadrants=("NW",)))
    columns = ["action_id", "n_before", "pct_met_before", "n_after", "pct_met_after"]
    assert rows(nw[nw["action_id"].isin(["X1", "X2"])], columns) == [
        ("X1", 1, 0.0, 2, 0.5),
        ("X2", 2, 0.5, 3, pytest.approx(2 / 3)),  # Q1 and Q2: r1 B1 1 of 2; r2 2 of 3
    ]
    t2 = queries.action_status(tiny, dt.date(2020, 5, 1), filters=Filters(teams=("T2",)))
    x1 = t2[t2["action_id"] == "X1"]  # T2 has only A2 (r2, Q1 not met) and nothing in r1
    assert rows(x1, columns) == [("X1", None, None, 1, 0.0)]
    assert (
        nw["action_id"].tolist()
        == queries.action_status(tiny, dt.date(2020, 5, 1))["action_id"].tolist()
    )  # every action is listed whatever the quadrant


def test_a_delayed_action_not_yet_due_is_amber_not_on_track(tmp_path):
    # X3 (On track as of 30 April 2020) recorded as delayed: Delayed, between Overdue and Due soon.
    tables = tiny_tables()
    actions = tables["actions"]
    actions.loc[actions["action_id"] == "X3", "status"] = "delayed"
    write_new_store(tmp_path / "d", tables.items(), {"synthetic": True, "notice": "tiny"})
    store = Store(tmp_path / "d")
    frame = queries.action_status(store)
    assert rows(frame, ["action_id", "status", "rag"]) == [
        ("X1", "in progress", "Overdue"),
        ("X3", "delayed", "Delayed"),
        ("X2", "not started", "Due soon"),
        ("X5", "not started", "No due date"),
        ("X4", "complete", "Complete"),
    ]
    assert queries.urgent_actions(store)["action_id"].tolist() == ["X1", "X3", "X2"]
