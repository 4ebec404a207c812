"""'For circulation' on screen: the headline, the overview and actions tables, the charts and the
drill-down show no count from 1 to threshold - 1, as the exports do."""

from __future__ import annotations

import numpy as np
import pandas as pd
from filter_bar import filter_bar
from paths import ROOT
from streamlit.testing.v1 import AppTest

from analytics import disclosure, export, narrative, queries
from analytics.stats import ChangeResult

FIGURES = {
    "cases": 10, "met": 3, "n": 40, "pct_met": 0.075, "ci_low": 0.026, "ci_high": 0.199,
    "good_or_better": 6, "pct_good_or_better": 0.6,
    "met_previous": 30, "n_previous": 60, "cases_previous": 12,
    "change": ChangeResult(change=0.05, p_value=0.4, method="fisher", beyond_chance=False, design_effect=4),
}  # fmt: skip


def test_headline_figures_standard():
    metrics, caption = narrative.headline_metrics(FIGURES)
    assert [(m.label, m.value) for m in metrics] == [
        ("Cases audited", "10"), ("Standards met", "8%"),
        ("Change since previous round", "2% \u2192 8%"), ("Graded good or better", "60%"),
    ]  # fmt: skip
    assert (metrics[2].delta, metrics[2].delta_description) == ("+5 pts", "within noise")
    assert metrics[1].help == "3 of 40 applicable answers; 95% interval 3%–20%"
    assert caption == "n = 40 applicable answers from 10 cases"


def test_a_change_is_withheld_when_the_previous_rounds_counts_are_small():
    # This round: 20 of 40 met, 10 cases, all shown; the previous round: 3 of 37 met.
    figures = {**FIGURES, "met": 20, "pct_met": 0.5, "met_previous": 3, "n_previous": 37}
    metrics, _ = narrative.headline_metrics(figures, threshold=5)
    values = {m.label: m.value for m in metrics}
    assert values["Standards met"] == "50%" and values["Change since previous round"] == "c"
    shown = {**figures, "met_previous": 20, "n_previous": 37}
    values = {m.label: m.value for m in narrative.headline_metrics(shown, threshold=5)[0]}
    assert values["Change since previous round"] == "45% \u2192 50%"


def test_headline_figures_for_circulation():
    # 3 met is under 5: the share met and the change that rests on it are withheld; 6 good of
    # 10 leaves 4 not good, under 5: withheld too. Cases (10) and n (40) are shown.
    metrics, _ = narrative.headline_metrics(FIGURES, threshold=5)
    assert [(m.label, m.value) for m in metrics] == [
        ("Cases audited", "10"), ("Standards met", "c"),
        ("Change since previous round", "c"), ("Graded good or better", "c"),
    ]  # fmt: skip
    assert all("3" not in m.help and "6 of" not in m.help for m in metrics)
    assert narrative.headline_metrics({**FIGURES, "cases": 4}, threshold=5)[1] == (
        "n = 40 applicable answers from c cases"
    )


def test_action_measures_for_circulation():
    actions = pd.DataFrame({
        "action_id": ["A", "B", "C"],
        "n_before": [40, 3, None], "pct_met_before": [0.5, 1.0, None],
        "n_after": [40, 40, 20], "pct_met_after": [0.9, 0.05, 0.5],
    })  # fmt: skip
    shown = disclosure.actions_for_circulation(actions, 5)
    # A: 20 of 40, then 36 of 40 (4 not met: withheld); B: 3 of 3 (n withheld too), then 2 of 40.
    got = shown[["n_before", "pct_met_before", "n_after", "pct_met_after"]]
    assert got.fillna("none").values.tolist() == [
        [40, 0.5, 40, "c"], ["c", "c", 40, "c"], ["none", "none", 20, 0.5],
    ]  # fmt: skip


def test_overview_for_circulation_agrees_with_the_heatmap(tiny):
    summary = queries.theme_summary(tiny)
    shown = disclosure.overview_for_circulation(queries.overview_table(tiny), summary, 3)
    heat = disclosure.for_circulation(summary, "theme_quadrant", 3).set_index("quadrant")
    alpha = shown.set_index("theme").loc["Alpha theme"]
    # Round two of alpha: NW 2 cases, NE 1, SW 1 (county 4): under 3 is withheld.
    assert [alpha[q] for q in ("NW", "NE", "SW")] == [
        heat.loc[q, "cases"] for q in ("NW", "NE", "SW")
    ]
    assert alpha["NE"] == "c" and alpha["SW"] == "c"
    assert alpha["pct_met"] == heat.loc["County", "pct_met"]
    assert not any(c.startswith("selection") for c in shown.columns)


def test_the_theme_page_for_circulation(sample_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/theme.py").run()  # the first theme: permanency
    filter_bar(at).toggle(key="filter_circulation").set_value(True).run()
    filter_bar(at).multiselect(key="filter_quadrants").set_value(["NE"]).run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    # NE's own figures: 15 cases, every headline count of 5 or more: shown.
    assert values["Cases audited"] == "15"
    assert "Lists of cases are not shown for circulation" in [i.value for i in at.info][-1]
    assert len(at.get("plotly_chart")) == 4  # the charts are drawn (from the suppressed tables)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception  # the heatmap, redrawn from a view that went through the cache
    assert len(at.get("plotly_chart")) == 2
    table = at.dataframe[0].value
    placed = table[table["Theme"].str.startswith("Children placed at home")].iloc[0]
    # Placed at home: 10 children, 2 or 3 per quadrant: every quadrant's count is withheld.
    assert [placed[q] for q in ("NW", "NE", "SW", "SE")] == ["c", "c", "c", "c"]

    at.switch_page("app_pages/across_themes.py").run()
    assert not at.exception
    weak = at.dataframe[0].value
    assert len(weak) and "Met, all themes (n)" in weak.columns
    filter_bar(at).number_input(key="filter_threshold").set_value(50).run()
    assert not at.exception
    weak = at.dataframe[0].value  # pooled over themes, every count is still 50 or more
    shown = weak["Met, all themes (n)"]  # "41% (n = 231)", or "c" where withheld
    assert all(
        m.startswith("c") or int(m.split("n = ")[1].rstrip(")").replace(",", "")) >= 50
        for m in shown
    )


def test_heatmaps_redraw_for_circulation_from_a_cached_view(sample):
    # Streamlit's cache pickles a view: plotly then holds a heatmap's z as a base64 typed array.
    import pickle

    from analytics import views
    from analytics.domain import Filters

    for name in ("theme_quadrant", "category_matrix", "category_by_quadrant"):
        view = pickle.loads(pickle.dumps(views.chart_view(sample, name, None, Filters())))
        shown = disclosure.export_view(view, 5)
        z = np.asarray(shown.figure.data[0].z, dtype=float)
        assert z.shape == (len(shown.figure.data[0].y), len(shown.figure.data[0].x))
        assert export.view_bytes(sample, view, "csv", 5).startswith("\ufeff".encode())
