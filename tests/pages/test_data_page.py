"""The Data page through AppTest (from app.py): contents, contract, upload, preview, problems,
confirm, history and undo; other pages see an import at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from filter_bar import filter_bar
from ingest_helpers import ANALYST, copy_store, csvs, round_tables, xlsx
from paths import ROOT
from streamlit.testing.v1 import AppTest
from table_helpers import UK_DATE, UK_DATE_TIME, read_as_words

from analytics import audit_trail, ingest, queries
from analytics.access import local_operator
from analytics.lake.catalog import Lake
from analytics.store import Store

PERMANENCY = [f"PERM-{i:02d}" for i in range(1, 11)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def store_copy(sample_dir, tmp_path, monkeypatch) -> Path:
    """A copy of the sample store that the dashboard reads (imports must not touch the fixture)."""
    data_dir = copy_store(sample_dir, tmp_path / "data")
    monkeypatch.setenv("AUDIT_DATA_DIR", str(data_dir))
    return data_dir


def latest_snapshot(data_dir: Path) -> int:
    """The store's newest snapshot: a change of any kind makes a new one."""
    lake = Lake(data_dir)
    try:
        return lake.latest_snapshot()
    finally:
        lake.close()


def round_cases(data_dir: Path, theme_id: str, round_id: str) -> int:
    """How many cases the store holds for one round (its newest data snapshot)."""
    with Store(data_dir) as store:
        sql = "SELECT count(*) AS n FROM cases WHERE theme_id = $theme AND round_id = $round"
        return int(store.query(sql, {"theme": theme_id, "round": round_id})["n"].iloc[0])


def data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    return at


# AppTest does not expose a dataframe's key: each table is known by a column only it has.
SIGNATURES = {
    "store_contents": {"Round id", "Round", "Cases", "Responses"},
    "themes": {"Theme id", "Led by"},
    "contract_tables": {"One row per", "Stored as"},
    "contract_sheets": {"Sheet", "One row is"},
    "contract_columns": {"Sheet", "Column", "Needed", "Holds"},
    "contract_values": {"Column", "Allowed values"},
    "preview_counts": {"What", "Rows"},
    "preview_rounds": {"Round id", "Change", "Starts"},
    "preview_quadrants": {"NW", "Total"},
    "import_problems": {"Sheet", "Row", "Rule", "How to fix it"},
    "import_history": {"Import", "Can undo"},
    "preview_completeness": {"Standards per case", "Share answered", "Complete"},
    "preview_fewest": {"Case reference", "Audit id", "Answered"},
    "audit_trail": {"At (UTC)", "By (role)"},
}


def table(at: AppTest, key: str) -> pd.DataFrame:
    """Return the dataframe the page shows under a key."""
    for element in at.dataframe:
        frame = element.value
        columns = set(frame.columns)
        if SIGNATURES[key] <= columns and not (key == "contract_values" and "Sheet" in columns):
            return frame
    raise AssertionError(f"no dataframe {key!r}")


def texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


def test_data_page_shows_what_is_loaded_and_the_contract(store_copy, sample):
    at = data_page()
    assert at.title[0].value == "Data"
    assert "Synthetic sample data" in at.info[0].value
    contents = table(at, "store_contents")
    expected = queries.store_contents(sample)
    titles = queries.theme_choices(sample)
    assert contents[["Theme", "Round id", "Cases", "Responses"]].values.tolist() == [
        [titles[t], r, f"{c:,}", f"{n:,}"]
        for t, r, c, n in expected[["theme_id", "round_id", "cases", "responses"]].values
    ]
    assert table(at, "themes")["Theme id"].tolist()[:2] == ["permanency", "private_fostering"]
    assert "imports" in table(at, "contract_tables")["Table"].tolist()
    columns = table(at, "contract_columns")
    assert ("cases", "quadrant", "every row") in set(
        map(tuple, columns[["Sheet", "Column", "Needed"]].values.tolist())
    )
    assert "NW (North West)" in table(at, "contract_values")["Allowed values"].iloc[0]
    assert any("No imports yet." in c.value for c in at.caption)
    assert at.get("download_button")  # the template (its bytes: tests/test_template.py)


def test_upload_preview_confirm_then_history_and_undo(store_copy):
    at = data_page()
    source = xlsx(round_tables("permanency", "2021-03", PERMANENCY, n_cases=8), "march.xlsx")
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    assert not at.exception, at.exception
    counts = table(at, "preview_counts").set_index("What")["Rows"]
    assert (counts["cases"], counts["responses"], counts["rounds created"]) == ("8", "80", "1")
    assert table(at, "preview_rounds").values.tolist() == [
        ["Permanency for children", "2021-03", "2021-03", "5 Mar 2021", "5 Mar 2021", "complete",
         "8", "new round"]
    ]  # fmt: skip
    assert table(at, "preview_quadrants").values.tolist() == [
        ["Permanency for children", "2021-03", "2", "2", "2", "2", "8"]
    ]
    assert round_cases(store_copy, "permanency", "2021-03") == 0  # a preview writes nothing

    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert "Imported march.xlsx as imp-0001: 8 cases, 80 responses." in texts(at)
    banner = at.info[0].value  # the sample now holds a real round too: the banner says so
    assert banner.startswith("This store mixes synthetic sample data with imported audit rounds.")
    assert banner.endswith("Imported from audit files (real data): permanency 2021-03.")
    history = table(at, "import_history")
    assert history.drop(columns=["Imported (UTC)", "By"]).values.tolist() == [
        ["imp-0001", "march.xlsx", "8", "80", "Permanency for children / 2021-03", "—", "active",
         "yes"]
    ]  # fmt: skip
    contents = table(at, "store_contents").set_index("Round id")
    assert contents.loc["2021-03", "Cases"] == "8"
    assert at.file_uploader[0].value in (None, [])  # a fresh uploader after the import

    at.button(key="undo_imp-0001").click().run()
    assert not at.exception, at.exception
    assert "Undid imp-0001 (march.xlsx)" in texts(at)
    assert table(at, "import_history")["State"].iloc[0].startswith("undone")
    assert "2021-03" not in table(at, "store_contents")["Round id"].tolist()


def test_a_bad_file_shows_every_problem_and_changes_nothing(store_copy):
    tables = round_tables("permanency", "2021-03", PERMANENCY)
    tables["cases"].loc[1, "quadrant"] = "Middle"
    tables["cases"]["Date of birth"] = "2010-01-01"
    tables["responses"].loc[3, "response"] = "Yes"
    source = xlsx(tables)
    before = latest_snapshot(store_copy)
    at = data_page()
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    assert not at.exception, at.exception
    assert "cannot be imported: 3 problems" in at.error[0].value
    problems = table(at, "import_problems")
    rows = problems[["Sheet", "Row", "Column"]].values.tolist()
    assert rows == [["cases", "—", "Date of birth"], ["cases", "3", "quadrant"],
                    ["responses", "5", "response"]]  # fmt: skip
    assert "date of birth" in problems["Rule"].iloc[0]
    assert not _has_button(at, "import_confirm")
    assert latest_snapshot(store_copy) == before


def _has_button(at: AppTest, key: str) -> bool:
    return any(b.key == key for b in at.button)


def test_csv_files_together_and_an_identical_file_again(store_copy):
    ingest.import_files(
        store_copy, csvs(round_tables("missing", "2021-05", ["MIS-01"], n_cases=4)), actor=ANALYST
    )
    at = data_page()
    again = csvs(round_tables("missing", "2021-05", ["MIS-01"], n_cases=4))
    at.file_uploader[0].set_value([(s.name, s.data, "text/csv") for s in again]).run()
    assert not at.exception, at.exception
    assert "already imported" in at.info[-1].value
    assert not _has_button(at, "import_confirm")


def test_other_pages_show_an_import_at_once(store_copy):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()  # the overview, with its cache filled
    assert not at.exception
    ingest.import_files(
        store_copy, [xlsx(round_tables("permanency", "2021-03", PERMANENCY))], actor=ANALYST
    )
    at.switch_page("app_pages/data.py").run()
    assert "2021-03" in table(at, "store_contents")["Round id"].tolist()
    assert queries.audited_rounds(Store(store_copy), "permanency")[-1] == "2021-03"
    at.switch_page("app_pages/theme.py").run()  # the first theme page: permanency
    assert not at.exception, at.exception
    rounds = filter_bar(at).selectbox[0]
    assert rounds.options[0].startswith("2021-03") and rounds.value == "2021-03"


def test_an_import_the_disk_refuses_is_shown_as_an_error(store_copy):
    at = data_page()
    source = xlsx(round_tables("permanency", "2021-03", PERMANENCY), "march.xlsx")
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    assert _has_button(at, "import_confirm")
    # A file where the round's data folder goes: writing it fails, as on a read-only disk.
    blocker = store_copy / "files" / "main" / "cases" / "theme_id=permanency" / "round_id=2021-03"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    before = latest_snapshot(store_copy)
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["The import failed. Nothing has been changed."]
    assert f"The audit store at {store_copy} could not be changed (" in texts(at)
    assert "Nothing was written." in texts(at)
    assert latest_snapshot(store_copy) == before
    assert round_cases(store_copy, "permanency", "2021-03") == 0


# --- an incomplete round is held back until the analyst accepts it ---------------------------

OVERVIEW = ["theme", "round", "cases", "NW", "NE", "SW", "SE", "pct_met", "n", "change_pts",
            "change"]  # fmt: skip


def half_answered() -> ingest.Source:
    """Permanency 2021-03: 8 cases (two per quadrant) answering their first 5 of 10 standards.

    Each case answers each response kind once plus one more of kind (case index mod 4), so the
    40 answers hold 10 Met, 10 Not met, 10 Partially met and 10 Not applicable: 10 met of 30."""
    tables = round_tables("permanency", "2021-03", PERMANENCY, n_cases=8)
    responses = tables["responses"]
    tables["responses"] = responses[responses["question_id"].isin(PERMANENCY[:5])]
    return xlsx(tables, "march.xlsx")


def permanency_row(data_dir: Path) -> list:
    table = queries.overview_table(Store(data_dir))
    row = table[table["theme"] == "Permanency for children"][OVERVIEW].iloc[0].tolist()
    return [None if (v is pd.NA or (isinstance(v, float) and pd.isna(v))) else v for v in row]


def march_row(before: list) -> list:
    """The overview's permanency row once March counts: 8 cases, 10 met of 30, against the
    round before (whose county figures are `before`'s)."""
    from analytics import stats

    n_before = before[8]
    met_before = round(before[7] * n_before)
    change = stats.pooled_change_test(met_before, n_before, before[2], 10, 30, 8)
    return ["Permanency for children", "2021-03", 8, 2, 2, 2, 2, pytest.approx(1 / 3), 30,
            pytest.approx(change.change * 100),
            "beyond chance" if change.beyond_chance else "within noise"]  # fmt: skip


def test_an_incomplete_round_is_held_back_until_accepted_on_the_page(store_copy, sample):
    before = permanency_row(store_copy)
    audited_before = queries.audited_rounds(sample, "permanency")
    at = data_page()
    source = half_answered()
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    assert not at.exception, at.exception
    shown = table(at, "preview_completeness")
    assert shown.values.tolist() == [
        ["Permanency for children", "2021-03", "8", "10", "40 of 80", "50%", "no: under 90%"]
    ]
    assert any(
        "Incomplete: Permanency for children / 2021-03 (under 90% of standards answered)"
        in warning.value
        for warning in at.warning
    )
    assert at.checkbox(key="import_accept_incomplete").value is False
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert "permanency / 2021-03 is incomplete: it is held back" in texts(at)

    # Held back: not the default round, not on the Overview, not in a trend.
    assert queries.audited_rounds(Store(store_copy), "permanency") == audited_before
    assert permanency_row(store_copy) == before
    assert any(w.value.startswith("1 incomplete round(s) held back") for w in at.warning)
    assert ("Permanency for children / 2021-03: 8 cases, 40 of 80 standards answered (50%); "
            "import imp-0001.") in texts(at)  # fmt: skip
    assert at.button(key="accept_permanency_2021-03").label == (
        "Accept Permanency for children / 2021-03 as it is"
    )
    at.switch_page("app_pages/theme.py").run()  # the first theme page: permanency
    assert not at.exception, at.exception
    rounds = filter_bar(at).selectbox[0]
    assert rounds.value == audited_before[-1]  # the default is the latest complete round
    assert rounds.options[0] == "2021-03 · incomplete"  # listed, to be opened explicitly
    rounds.set_value("2021-03").run()  # opened explicitly: its own figures, no trend
    assert not at.exception, at.exception
    assert any(
        "is held back as incomplete: it joins the trends once" in i.value for i in at.info
    ), [i.value for i in at.info]
    assert [m.label for m in at.metric] == ["Cases audited", "Standards met",
                                            "Graded good or better"]  # fmt: skip
    assert at.metric[0].value == "8"

    at.switch_page("app_pages/data.py").run()
    at.button(key="accept_permanency_2021-03").click().run()
    assert not at.exception, at.exception
    assert "Accepted permanency/2021-03 (50% of standards answered)" in texts(at)
    assert queries.audited_rounds(Store(store_copy), "permanency") == [*audited_before, "2021-03"]
    assert permanency_row(store_copy) == march_row(before)
    checks = queries.round_checks(Store(store_copy), "permanency").set_index("round_id")
    # who: the page's actor (local mode: the machine's user, as on the command line)
    assert checks.loc["2021-03", "accepted_by"] == local_operator().user
    assert not any("held back" in w.value for w in at.warning)


def test_the_tick_accepts_an_incomplete_round_on_import(store_copy):
    before = permanency_row(store_copy)
    at = data_page()
    source = half_answered()
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    at.checkbox(key="import_accept_incomplete").check().run()
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert "permanency / 2021-03 is incomplete and was accepted" in texts(at)
    assert queries.audited_rounds(Store(store_copy), "permanency")[-1] == "2021-03"
    assert permanency_row(store_copy) == march_row(before)
    events = audit_trail.read_trail(store_copy)
    assert events[["action", "what"]].values.tolist()[:2] in (
        [["accept-round", "permanency/2021-03"], ["import", "march.xlsx"]],
        [["import", "march.xlsx"], ["accept-round", "permanency/2021-03"]],
    )


def test_a_complete_round_shows_its_standards_answered_and_no_tick(store_copy):
    at = data_page()
    source = xlsx(round_tables("permanency", "2021-03", PERMANENCY, n_cases=8), "march.xlsx")
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    shown = table(at, "preview_completeness")
    assert shown.values.tolist() == [
        ["Permanency for children", "2021-03", "8", "10", "80 of 80", "100%", "yes"]
    ]
    assert not [c for c in at.checkbox if c.key == "import_accept_incomplete"]
    assert not [w.value for w in at.warning if "ncomplete" in w.value]


def test_the_uploader_takes_the_importers_size_limit(store_copy):
    at = data_page()
    assert at.file_uploader[0].proto.max_upload_size_mb == ingest.DEFAULT_MAX_MB


def test_every_table_on_the_data_page_reads_as_words(store_copy, sample):
    """Headings in words, titles for theme ids, no "None", no ISO dates: from the store's
    contents to a refused file's problems, a preview, the history and the audit trail."""
    theme_ids = set(queries.themes(sample)["theme_id"])
    titles = queries.theme_choices(sample)
    at = data_page()
    assert at.selectbox(key="template_theme").options == ["every theme", *titles.values()]
    for key in ("store_contents", "contract_tables", "contract_sheets", "contract_columns",
                "contract_values"):  # fmt: skip
        read_as_words(table(at, key), theme_ids)
    read_as_words(table(at, "themes"), set())  # its "Theme id" is what --theme takes

    refused = round_tables("permanency", "2021-03", PERMANENCY)
    refused["responses"].loc[2, "comment"] = "call mum on 07700 900123"
    source = xlsx(refused)
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    problems = table(at, "import_problems")
    read_as_words(problems, theme_ids)
    assert problems[["Sheet", "Row", "Column", "Value"]].values.tolist() == [
        ["responses", "4", "comment", "call mum on 0•••• ••••23"]  # masked, as in the CSV
    ]

    source = half_answered()
    at.file_uploader[0].set_value([(source.name, source.data, XLSX)]).run()
    assert not at.exception, at.exception
    for key in ("preview_counts", "preview_quadrants", "preview_completeness"):
        read_as_words(table(at, key), theme_ids)
    assert any(UK_DATE.match(c) for c in read_as_words(table(at, "preview_rounds"), theme_ids))
    fewest = table(at, "preview_fewest")
    read_as_words(fewest, theme_ids)
    # Every case answers 5 of its 10 standards: the fewest are all of them, first by id.
    assert fewest.values.tolist()[0] == [
        "REF-00000",
        "N1",
        "Permanency for children",
        "2021-03",
        "5 of 10",
    ]

    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    for key in ("import_history", "audit_trail"):
        cells = read_as_words(table(at, key), theme_ids)
        assert any(UK_DATE_TIME.match(c) for c in cells), key
    trail = table(at, "audit_trail")
    assert trail[["Action", "What", "Outcome"]].values.tolist()[0] == [
        "import", "march.xlsx", "done (imp-0001)"
    ]  # fmt: skip
