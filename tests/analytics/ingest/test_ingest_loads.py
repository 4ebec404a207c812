"""What a valid import loads, and the manifest saying what is synthetic."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from ingest_helpers import (
    ALPHA_QUESTIONS,
    ANALYST,
    ROUND,
    copy_store,
    csvs,
    good,
    latest_snapshot,
    round_tables,
    tree_hashes,
    xlsx,
)

from analytics import ingest, queries
from analytics.domain import Filters
from analytics.export.tables import data_source
from analytics.lake.catalog import Lake
from analytics.store import Store

# --- what a valid import loads -----------------------------------------------------------------


def test_valid_import_shows_in_quadrant_comparison(tiny_dir):
    result = ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    assert result.changed and result.import_id == "imp-0001"
    store = Store(tiny_dir)
    frame = queries.quadrant_comparison(store, "alpha", Filters(round_id="r9"))
    q1 = frame[frame["question_id"] == "Q1"].set_index("quadrant")
    # N1 NW Met, N2 NE Not met, N3 SW Partially met, N4 SE Not applicable
    assert q1.loc["NW", "met"] == 1 and q1.loc["NW", "n"] == 1
    assert q1.loc["NE", "not_met"] == 1 and q1.loc["SE", "n"] == 0
    assert q1.loc["County", "n"] == 3 and q1.loc["County", "met"] == 1
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r9"]
    history = ingest.import_history(tiny_dir)
    assert history.loc[0, ["import_id", "user", "cases", "responses", "theme_rounds", "state"]].tolist() == [
        "imp-0001", "qa.analyst@council.example", 4, 8, "alpha/r9", "active"]  # fmt: skip


def test_responses_carry_theme_round_quadrant_and_team_from_their_case(tiny_dir):
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    rows = Store(tiny_dir).query(
        "SELECT audit_id, question_id, theme_id, round_id, quadrant, team FROM responses "
        "WHERE round_id = 'r9' AND question_id = 'Q1' ORDER BY audit_id"
    )
    assert rows.values.tolist() == [
        ["N1", "Q1", "alpha", "r9", "NW", "T2"], ["N2", "Q1", "alpha", "r9", "NE", "T1"],
        ["N3", "Q1", "alpha", "r9", "SW", "T2"], ["N4", "Q1", "alpha", "r9", "SE", "T1"],
    ]  # fmt: skip
    # The round's responses are a partition of their own: one file, in its theme's and round's
    # folder, so a query of another round never opens it.
    lake = Lake(tiny_dir)
    files = lake.files_at(lake.latest_snapshot())["responses"]
    lake.close()
    r9 = [f for f in files if "theme_id=alpha/round_id=r9/" in f]
    assert len(r9) == 1 and len(files) == 3  # r1, r2 and r9


def test_new_round_is_made_from_the_audit_dates(tiny_dir):
    tables = good()
    tables["cases"]["audit_date"] = ["2021-03-02", "2021-03-09", "2021-03-05", "2021-03-20"]
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    row = queries.rounds(Store(tiny_dir), "alpha").set_index("round_id").loc["r9"]
    assert (row["label"], row["status"]) == ("r9", "complete")
    assert (row["start_date"].date(), row["end_date"].date()) == (
        dt.date(2021, 3, 2),
        dt.date(2021, 3, 20),
    )


def test_new_round_from_the_rounds_sheet(tiny_dir):
    tables = good() | {"rounds": pd.DataFrame([ROUND | {"start_date": "2021-03-01",
                                                        "end_date": "2021-03-31"}])}  # fmt: skip
    result = ingest.preview(tiny_dir, [xlsx(tables)])
    assert result.rounds[["round_id", "label", "change"]].values.tolist() == [
        ["r9", "Round nine", "new round"]
    ]
    assert result.quadrants[["NW", "NE", "SW", "SE", "total"]].values.tolist() == [[1, 1, 1, 1, 4]]
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    contents = queries.store_contents(Store(tiny_dir)).set_index("round_id").loc["r9"]
    assert (contents["label"], contents["cases"], contents["responses"]) == ("Round nine", 4, 8)


def test_cases_in_a_planned_round_make_it_complete(tiny_dir):
    tables = round_tables("alpha", "r3", ALPHA_QUESTIONS)
    result = ingest.preview(tiny_dir, [xlsx(tables)])
    assert result.rounds["change"].tolist() == ["planned round, now complete"]
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r3"]
    assert len(queries.rounds(store, "alpha")) == 3  # revised in place, not duplicated


def test_planned_theme_loads_through_a_questions_sheet(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    questions = pd.DataFrame(
        [
            {"theme_id": "placement_stability", "question_id": "PS-01",
             "text": "Placement moves are planned", "category": "Planning and contingency"},
            {"theme_id": "placement_stability", "question_id": "PS-02",
             "text": "The child's view of the placement is recorded", "category": "Voice of the child"},
        ]
    )  # fmt: skip
    tables = round_tables("placement_stability", "2021-01", ["PS-01", "PS-02"], n_cases=8)
    result = ingest.import_files(data_dir, [xlsx(tables | {"questions": questions})], actor=ANALYST)
    assert "placement_stability: planned theme, now complete" in result.message
    store = Store(data_dir)
    theme = queries.themes(store).set_index("theme_id").loc["placement_stability"]
    assert theme["status"] == "complete"
    assert queries.audited_rounds(store, "placement_stability") == ["2021-01"]
    frame = queries.quadrant_comparison(store, "placement_stability")
    assert sorted(frame["question_id"].unique()) == ["PS-01", "PS-02"]
    assert frame[frame["quadrant"] == "County"]["n"].tolist() == [6, 6]
    summary = queries.theme_summary(store)
    assert "placement_stability" in set(summary["theme_id"])
    # The seed's other planned themes are untouched, and the catalogue round is still there.
    assert queries.rounds(store, "placement_stability")["round_id"].tolist() == [
        "2020-underway",
        "2021-01",
    ]


def test_identical_reimport_changes_nothing_and_says_so(tiny_dir):
    source = xlsx(good())  # the same bytes (a workbook records when it was saved)
    first = ingest.import_files(tiny_dir, [source], actor=ANALYST)
    before, snapshot = tree_hashes(tiny_dir), latest_snapshot(tiny_dir)
    again = ingest.import_files(tiny_dir, [source], actor=ANALYST)
    assert not again.changed and again.import_id == first.import_id
    assert "already imported as imp-0001" in again.message and "nothing changed" in again.message
    assert latest_snapshot(tiny_dir) == snapshot and tree_hashes(tiny_dir) == before
    assert ingest.preview(tiny_dir, [source]).already_imported == "imp-0001"


def test_csv_files_are_one_import_like_the_workbook(tiny_dir, tmp_path):
    other = copy_store(tiny_dir, tmp_path / "other")
    ingest.import_files(tiny_dir, [xlsx(good())], actor=ANALYST)
    paths = []
    for source in csvs(good()):
        path = tmp_path / source.name
        path.write_bytes(source.data)
        paths.append(path)
    result = ingest.import_files(other, paths, actor=ANALYST)
    assert result.preview.file_name == "cases.csv, responses.csv"
    sql = "SELECT * EXCLUDE (comment) FROM responses ORDER BY audit_id, question_id"
    pd.testing.assert_frame_equal(Store(tiny_dir).query(sql), Store(other).query(sql))


def test_lenient_spellings_are_normalised(tiny_dir):
    tables = good()
    tables["cases"]["quadrant"] = ["North West", "ne", " SW ", "South East"]
    tables["responses"]["response"] = tables["responses"]["response"].str.upper()
    tables["cases"] = tables["cases"].rename(
        columns={"audit_id": "Audit ID", "theme_id": "Theme ID"}
    )
    ingest.import_files(tiny_dir, [xlsx(tables)], actor=ANALYST)
    store = Store(tiny_dir)
    quadrants = store.query("SELECT DISTINCT quadrant FROM cases WHERE round_id = 'r9' ORDER BY 1")
    assert quadrants["quadrant"].tolist() == ["NE", "NW", "SE", "SW"]
    answers = store.query(
        "SELECT DISTINCT response FROM responses WHERE round_id = 'r9' ORDER BY 1"
    )
    assert answers["response"].tolist() == ["Met", "Not applicable", "Not met", "Partially met"]


# --- the manifest says what is synthetic ------------------------------------------------------


def test_imports_into_the_sample_say_which_rounds_are_real(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    original = Store(data_dir).manifest()
    tables = round_tables("permanency", "2021-03", [f"PERM-{i:02d}" for i in range(1, 11)])
    result = ingest.import_files(data_dir, [xlsx(tables)], actor=ANALYST)
    manifest = Store(data_dir).manifest()
    assert manifest["synthetic"] == "mixed"  # truthy: every page keeps showing the notice
    notice = manifest["notice"]
    assert notice.startswith("This store mixes synthetic sample data with imported audit rounds.")
    assert "Synthetic sample (no real child is described): missing 2020-04;" in notice
    assert "permanency 2020-01-interim, 2020-04-final" in notice
    assert notice.endswith("Imported from audit files (real data): permanency 2021-03.")
    assert manifest["imported_rounds"] == ["permanency/2021-03"]
    # An export's data source must not call real rounds synthetic.
    store = Store(data_dir)
    assert data_source(store, date=str) == (
        "Audit Insight store: synthetic sample rounds and imported rounds (permanency/2021-03); "
        f"last import {result.import_id} on {dt.date.today()}; store snapshot {store.snapshot}"
    )
    ingest.undo_import(data_dir, result.import_id, actor=ANALYST)
    assert Store(data_dir).manifest() == original


def test_a_sample_whose_rounds_are_all_replaced_is_no_longer_synthetic(tiny_dir):
    for round_id, prefix in (("r1", "R"), ("r2", "S")):
        tables = round_tables("alpha", round_id, ALPHA_QUESTIONS, prefix=prefix)
        ingest.import_files(tiny_dir, [xlsx(tables)], replace=True, actor=ANALYST)
    manifest = Store(tiny_dir).manifest()
    assert manifest["synthetic"] is False
    assert manifest["notice"].startswith("Every audit round in this store was imported")
