"""The one table formatter (ui/tables.py): whole rows in, whole rows out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.domain import RAG_COLOURS
from ui import tables
from ui.tables import Column


def test_an_overview_row_and_a_planned_theme_read_as_words():
    frame = pd.DataFrame(
        {
            "theme_id": ["permanency", "private_fostering"],
            "status": ["complete", "planned"],
            "cases": pd.array([1234, None], dtype="Int64"),
            "pct_met": [0.4027, np.nan],
            "n": pd.array([586, None], dtype="Int64"),
            "change_pts": [-20.4, None],
            "end_date": [pd.Timestamp("2020-06-30"), None],
        }
    )
    columns = [
        Column("theme_id", "Theme", "title", "wide"),
        Column("status", "Status", width="small"),
        Column("cases", "Cases", "count", "narrow"),
        Column(("pct_met", "n"), "Met (n)", "met_n", missing="not yet audited"),
        Column("change_pts", "Change", "points"),
        Column("end_date", "Ended", "date"),
    ]
    titles = {"permanency": "Permanency for children"}
    shown = tables.format_rows(frame, columns, titles)
    assert shown.to_dict("records") == [
        {
            "Theme": "Permanency for children",
            "Status": "complete",
            "Cases": "1,234",
            "Met (n)": "40% (n = 586)",
            "Change": "−20 pts",
            "Ended": "30 Jun 2020",
        },
        {
            "Theme": "private_fostering",  # no title known: the id, never "None"
            "Status": "planned",
            "Cases": "—",
            "Met (n)": "not yet audited",
            "Change": "—",
            "Ended": "—",
        },
    ]


def test_an_action_row_with_rag_days_interval_lists_and_suppressed_cells():
    frame = pd.DataFrame(
        [
            {
                "rag": "Overdue",
                "days_overdue": 16.0,
                "due_date": dt.date(2020, 4, 15),
                "question_ids": ["Q1", "Q2"],
                "pct_met_before": 0.0,
                "pct_met_after": 0.5,
                "ci_low": 0.1,
                "ci_high": 0.904,
                "flag": True,
                "change": 5.0,
            },
            {
                "rag": "Overdue",
                "days_overdue": 1,
                "due_date": "2020-05-20",
                "question_ids": [],
                "pct_met_before": "c",
                "pct_met_after": None,
                "ci_low": "c",
                "ci_high": "c",
                "flag": False,
                "change": 0.2,
            },
        ]
    )
    columns = [
        Column("rag", "RAG", "rag"),
        Column(("rag", "days_overdue"), "RAG and days", "rag"),
        Column("days_overdue", "Overdue by", "days"),
        Column("due_date", "Due", "date"),
        Column("question_ids", "Questions"),
        Column("pct_met_before", "Met before", "percent"),
        Column("pct_met_after", "Met after", "percent"),
        Column(("ci_low", "ci_high"), "95% interval", "interval"),
        Column("flag", "Beyond chance"),
        Column("change", "Change", "points"),
    ]
    assert tables.format_rows(frame, columns).to_dict("records") == [
        {
            "RAG": "Overdue",
            "RAG and days": "Overdue by 16 days",
            "Overdue by": "16 days",
            "Due": "15 Apr 2020",
            "Questions": "Q1, Q2",
            "Met before": "0%",
            "Met after": "50%",
            "95% interval": "10–90%",
            "Beyond chance": "yes",
            "Change": "+5 pts",
        },
        {
            "RAG": "Overdue",
            "RAG and days": "Overdue by 1 day",
            "Overdue by": "1 day",
            "Due": "20 May 2020",
            "Questions": "—",
            "Met before": "c",
            "Met after": "—",
            "95% interval": "c",
            "Beyond chance": "no",
            "Change": "+0.2 pts",  # whole points would hide the direction
        },
    ]


def test_rag_cells_are_coloured_with_readable_text_and_keep_their_word():
    assert tables.rag_style("Overdue") == f"background-color: {RAG_COLOURS['Overdue']}; " + (
        "color: #FFFFFF"
    )
    assert tables.rag_style("Due soon").endswith("color: #000000")  # black on orange
    assert tables.rag_style("Complete").endswith("color: #FFFFFF")  # white on dark blue
    assert tables.rag_style("Overdue by 3 days") == tables.rag_style("Overdue")
    assert tables.rag_style("not a rag") == tables.rag_style("Overdueness") == ""


def test_an_empty_frame_gives_the_headings_and_no_rows():
    shown = tables.format_rows(pd.DataFrame({"pct_met": []}), [Column("pct_met", "Met", "percent")])
    assert list(shown.columns) == ["Met"] and shown.empty


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown column kind 'money'"):
        Column("x", "X", "money")


def test_the_actions_export_keeps_raw_numbers_under_its_header_block(tiny):
    from analytics import export
    from analytics.domain import Filters

    made = export.actions_bytes(
        tiny, "csv", dt.date(2020, 5, 1), made_on=dt.date(2026, 12, 6), filters=Filters()
    )
    assert made.decode("utf-8-sig").split("\r\n") == [
        "Audit Insight,actions tracker",
        "RAG as of,2020-05-01",
        "Theme,All themes",
        "Filters,all quadrants (county); all teams",
        "Scope,Actions are county-wide: every action is listed; its before and after measures "
        "count only the chosen quadrants and teams.",
        "Date,2026-12-06",
        "Data source,Audit Insight store: synthetic sample data; no real child is described; "
        f"store snapshot {tiny.snapshot}",
        "Mode,standard",
        "Note,pct columns are percentages (0-100).",
        "",
        "Action id,Theme,Type,Action,Outcome,Owner,Due,Status,RAG,Days overdue,Linked questions,"
        "Round before,n (before),pct met (before),Round after,n (after),pct met (after)",
        "X1,Alpha theme,action,Fix visits,Timely,SM,2020-04-15,in progress,Overdue,16,Q1,"
        "r1,2,0,r2,4,50",
        'X2,Alpha theme,action,Both,Better,TM,2020-05-20,not started,Due soon,,"Q1, Q2",'
        "r1,4,25,r2,7,42.9",
        "X5,Beta theme,recommendation,Undated,Some,QA,,not started,No due date,,,,,,,,",
        "X3,Alpha theme,action,Later,Later,SM,2020-07-01,in progress,On track,,,,,,,,",
        "X4,Alpha theme,action,Done,Done,TM,2020-03-01,complete,Complete,,,,,,,,",
        "",
    ]


def test_the_actions_xlsx_has_numbers_as_numbers_and_follows_the_quadrant(tiny):
    import io

    from openpyxl import load_workbook

    from analytics import export
    from analytics.domain import Filters

    made = export.actions_bytes(
        tiny, "xlsx", dt.date(2020, 5, 1), theme="alpha", filters=Filters(quadrants=("NW",))
    )
    sheet = load_workbook(io.BytesIO(made)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:2] == ["RAG as of", "2020-05-01"] and rows[2][:2] == ["Theme", "Alpha theme"]
    assert rows[3][:2] == ["Filters", "NW; all teams"]
    top = next(i for i, row in enumerate(rows) if row[0] == "Action id")
    x1 = dict(zip(rows[top], rows[top + 1], strict=True))
    # NW only: X1's Q1 was 0 of 1 in r1 (B1), 1 of 2 in r2 (A1 met, A2 not met).
    assert (x1["Action id"], x1["Days overdue"], x1["n (before)"], x1["pct met (before)"]) == (
        "X1", 16, 1, 0,
    )  # fmt: skip
    assert (x1["n (after)"], x1["pct met (after)"]) == (2, 50)
    assert [row[0] for row in rows[top + 1 :]] == ["X1", "X2", "X3", "X4"]  # alpha's only


def test_theme_ids_become_titles_one_or_many():
    frame = pd.DataFrame({"theme_id": ["alpha", "gamma"], "themes": ["alpha, beta", ""]})
    columns = [Column("theme_id", "Theme", "title"), Column("themes", "Which themes", "titles")]
    titles = {"alpha": "Alpha, the first", "beta": "Beta"}
    assert tables.format_rows(frame, columns, titles).to_dict("records") == [
        {"Theme": "Alpha, the first", "Which themes": "Alpha, the first; Beta"},
        {"Theme": "gamma", "Which themes": "—"},
    ]


def test_a_charts_data_reads_like_every_other_table_withheld_cells_included():
    # theme_quadrant's fields: NW 12 of 30 (40%), 6 points down; NE withheld for circulation.
    data = pd.DataFrame(
        {"title": ["Alpha", "Alpha"], "quadrant": ["NW", "NE"], "round_id": ["r2", "r2"],
         "cases": [12, "c"], "n": [30, "c"], "met": [12, "c"], "pct_met": [0.4, "c"],
         "ci_low": [0.2459, "c"], "ci_high": [0.5768, "c"], "round_id_previous": ["r1", "r1"],
         "n_previous": [25, 20], "met_previous": [13, 9], "pct_met_previous": [0.52, 0.45],
         "change": [-0.06, "c"], "beyond_chance": [False, "c"]}
    )  # fmt: skip
    rows = tables.chart_rows(data)
    shown = tables.format_rows(rows, tables.chart_columns("theme_quadrant", rows))
    assert shown.to_dict("records") == [
        {"Theme": "Alpha", "Area": "NW", "Round": "r2", "Cases": "12", "Met (n)": "40% (n = 30)",
         "95% interval": "25–58%", "Previous round": "r1",
         "Met before (n)": "52% (n = 25)", "Change": "−6 pts, within noise"},
        {"Theme": "Alpha", "Area": "NE", "Round": "r2", "Cases": "c", "Met (n)": "c (n = c)",
         "95% interval": "c", "Previous round": "r1",
         "Met before (n)": "45% (n = 20)", "Change": "c"},
    ]  # fmt: skip
    assert data["change"].tolist() == [-0.06, "c"]  # the chart's own data is left as it was
    cohort = tables.chart_rows(pd.DataFrame({"dimension": ["age_band"], "value": ["5-9"],
                                             "cases": [3], "share": [0.375]}))  # fmt: skip
    assert tables.format_rows(
        cohort, tables.chart_columns("cohort_profile", cohort)
    ).values.tolist() == [["Age band", "5-9", "3", "38%"]]


def _declared_tables() -> dict[str, list[Column]]:
    declared = {n: v for n, v in vars(tables).items()
                if n.isupper() and isinstance(v, list) and all(isinstance(c, Column) for c in v)}  # fmt: skip
    declared |= {f"chart {n}": v for n, v in tables.CHART_DATA.items()}
    declared |= {f"overview {q}": tables.overview_columns(q) for q in (None, "NE")}
    return declared


def test_every_declared_table_fits_the_main_column_at_1440_px():
    """960 px in the main column (978 px measured); 940 inside an expander (the contract, the
    data behind a chart)."""

    def pixels(column: Column) -> int:
        return tables.WIDTHS.get(column.width, column.width) if isinstance(column.width, str) \
            else column.width  # fmt: skip

    declared = _declared_tables()
    assert {"CASE_LIST", "PROBLEMS", "AUDIT_TRAIL", "chart round_trend"} <= set(declared)
    in_expander = {n for n in declared if n.startswith(("CONTRACT_", "chart "))}
    too_wide = {n: sum(map(pixels, cols)) for n, cols in declared.items()
                if sum(map(pixels, cols)) > (940 if n in in_expander else 960)}  # fmt: skip
    assert not too_wide, too_wide


def test_a_phone_shows_a_tables_key_columns_sharing_its_width():
    # The theme page's actions: Action (260 px), Due (90), RAG (110) are its key columns; Type,
    # Owner, Status and the measures before and after wait for a wider screen. Due and RAG keep
    # their width; the action's words take the rest of 340: 340 - 90 - 110 = 140.
    shown = tables.for_phone(tables.THEME_ACTIONS)
    assert [(c.heading, c.width) for c in shown] == [("Action", 140), ("Due", 90), ("RAG", 110)]
    # The drill-down's cases: the reference (120) and answer (100) kept, the comment 120.
    shown = tables.for_phone(tables.CASE_LIST)
    assert [(c.heading, c.width) for c in shown] == [
        ("Child reference", 120), ("Response", 100), ("Auditor's comment", 120),
    ]  # fmt: skip
    # Every column narrow: nothing is stretched or cut.
    narrow = [Column("a", "A", width=60), Column("b", "B", width=80, phone=False)]
    assert [(c.heading, c.width) for c in tables.for_phone(narrow)] == [("A", 60)]


def test_every_table_on_a_page_keeps_at_least_one_column_on_a_phone():
    for name, columns in {
        "overview": tables.overview_columns(),
        "overview NE": tables.overview_columns("NE"),
        "urgent": tables.URGENT_ACTIONS,
        "tracked": tables.TRACKED_ACTIONS,
        "theme actions": tables.THEME_ACTIONS,
        "cases": tables.CASE_LIST,
        "recurring weaknesses": tables.RECURRING_WEAKNESSES,
        "store contents": tables.STORE_CONTENTS,
        "themes": tables.THEMES,
        "planned rounds": tables.PLANNED_ROUNDS,
        **tables.CHART_DATA,
    }.items():
        kept = tables.for_phone(columns)
        assert kept, name
        # Within the main column at 390 px (358 px): no table scrolls sideways on a phone.
        assert sum(tables.width_px(c) for c in kept) <= 358, name
