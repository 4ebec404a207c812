"""An incomplete round (under 90% of its cases' standards answered) is held back until accepted.

The tiny store (tests/README.md) holds alpha r1 and r2, two standards (Q1, Q2) per case. The
imported round r9 has four cases N1..N4 (NW, NE, SW, SE) answering as ingest_helpers writes them
(N1: Q1 Met, Q2 Not met; N2: Q1 Not met, Q2 Partially met; N3: Q1 Partially met, Q2 Not
applicable; N4: Q1 Not applicable, Q2 Met), with some rows left out.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from ingest_helpers import ANALYST, latest_snapshot, round_tables, table_rows, xlsx

from analytics import audit_trail, ingest, queries
from analytics.access import local_operator
from analytics.domain import COMPLETE_ANSWERED_SHARE, QUADRANTS, Filters
from analytics.errors import AuditDataError
from analytics.ingest import completeness
from analytics.store import Store
from analytics.views import chart_view

OVERVIEW = ["theme", "round", "cases", *QUADRANTS, "pct_met", "n", "change_pts", "change"]
# Alpha at r2 against r1 (tests/README.md): 4 cases (NW 2, NE 1, SW 1), 3 met of 7; r1 1 of 4.
ALPHA_AT_R2 = ["Alpha theme", "Round two", 4, 2, 1, 1, pd.NA, 3 / 7, 7,
               (3 / 7 - 1 / 4) * 100, "within noise"]  # fmt: skip
# Alpha at r9 with N1's two rows, N2's Q1, N3's Q2 and N4's Q1 (both N/A): 3 applicable answers,
# 1 met.
ALPHA_AT_R9 = ["Alpha theme", "r9", 4, 1, 1, 1, 1, 1 / 3, 3,
               (1 / 3 - 3 / 7) * 100, "within noise"]  # fmt: skip


def sparse_round(keep: set[tuple[str, str]] | None = None, n_cases: int = 4) -> dict:
    """Alpha r9, keeping only the (case, question) answers in `keep` (all if None)."""
    tables = round_tables("alpha", "r9", ["Q1", "Q2"], n_cases=n_cases)
    if keep is not None:
        responses = tables["responses"]
        pairs = zip(responses["audit_id"], responses["question_id"], strict=True)
        tables["responses"] = responses[[p in keep for p in pairs]].reset_index(drop=True)
    return tables


# 5 of 8 (62.5%); every case keeps one answer at least (a case with none is refused).
HALF_ANSWERED = {("N1", "Q1"), ("N1", "Q2"), ("N2", "Q1"), ("N3", "Q2"), ("N4", "Q1")}


def overview_row(store: Store, theme: str = "Alpha theme") -> list:
    table = queries.overview_table(store)
    row = table[table["theme"] == theme][OVERVIEW].iloc[0].tolist()
    return [pd.NA if v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v for v in row]


def assert_row(actual: list, expected: list) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        if isinstance(want, float):
            assert got == pytest.approx(want)
        elif want is pd.NA:
            assert got is pd.NA
        else:
            assert got == want


def cli(*args: str) -> tuple[int, str, str]:
    import contextlib

    from analytics.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_the_threshold_is_declared_once_and_na_counts_as_answered():
    assert COMPLETE_ANSWERED_SHARE == 0.9
    cases = pd.DataFrame(
        {"theme_id": "t", "round_id": "r", "audit_id": [f"C{i}" for i in range(10)]}
    )
    rows = [(f"C{i}", q) for i in range(10) for q in ("Q1", "Q2")]  # 20 standards
    # All Not applicable: every standard answered.
    all_na = pd.DataFrame(rows, columns=["audit_id", "question_id"]).assign(
        response="Not applicable"
    )
    per_round, _ = completeness.measure(cases, all_na, {"t": 2})
    assert per_round.values.tolist() == [["t", "r", 10, 2, 20, 20, 1.0, True]]
    # 18 of 20 (90%) is complete; 17 of 20 is not.
    for kept, share, complete in ((18, 0.9, True), (17, 0.85, False)):
        responses = all_na.iloc[:kept]
        per_round, fewest = completeness.measure(cases, responses, {"t": 2})
        assert per_round.values.tolist() == [["t", "r", 10, 2, 20, kept, share, complete]]
        missing = 20 - kept  # the last cases lost their answers: C9 (and C8) first
        assert fewest.iloc[0].tolist() == ["t", "r", "C9", None, 0 if missing >= 2 else 1, 2]


def test_preview_reports_each_round_and_the_cases_with_fewest_answered(tiny_dir):
    result = ingest.preview(tiny_dir, [xlsx(sparse_round(HALF_ANSWERED))])
    assert result.ok
    assert result.completeness.values.tolist() == [["alpha", "r9", 4, 2, 8, 5, 0.625, False]]
    assert result.fewest_answered.values.tolist() == [
        ["alpha", "r9", "N2", "REF-00001", 1, 2],
        ["alpha", "r9", "N3", "REF-00002", 1, 2],
        ["alpha", "r9", "N4", "REF-00003", 1, 2],
        ["alpha", "r9", "N1", "REF-00000", 2, 2],
    ]
    assert result.incomplete["round_id"].tolist() == ["r9"]
    full = ingest.preview(tiny_dir, [xlsx(sparse_round())])
    assert full.completeness.values.tolist() == [["alpha", "r9", 4, 2, 8, 8, 1.0, True]]
    assert full.incomplete.empty


def test_cli_holds_back_an_incomplete_round_until_accepted(tiny_dir, tmp_path):
    before = overview_row(Store(tiny_dir))
    assert_row(before, ALPHA_AT_R2)
    path = tmp_path / "r9.xlsx"
    path.write_bytes(xlsx(sparse_round(HALF_ANSWERED)).data)
    code, out, err = cli("ingest", str(path), "--data-dir", str(tiny_dir))
    assert code == 0, err
    assert "alpha / r9: 4 cases x 2 standards; 5 of 8 answered (62%): INCOMPLETE (under 90%)" in out
    assert (
        "Cases with the fewest standards answered: REF-00001 (N2) (alpha / r9) 1 of 2; REF-00002 (N3)"
        in out
    )
    assert "accept-round --theme alpha --round r9" in out

    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2"]
    assert queries.round_choices(store, "alpha") == ["r1", "r2", "r9"]
    assert queries.resolve_round(store, "alpha", None) == "r2"  # the default
    assert_row(overview_row(store), ALPHA_AT_R2)  # the Overview still shows r2 against r1
    held = queries.held_rounds(store)
    assert held[["theme_id", "round_id", "import_id", "cases", "standards", "expected",
                 "answered", "answered_share", "complete", "held"]].values.tolist() == [
        ["alpha", "r9", "imp-0001", 4, 2, 8, 5, 0.625, False, True]
    ]  # fmt: skip
    # Opened explicitly it shows its own figures, with no change and no trend.
    opened = Filters(round_id="r9")
    figures = queries.headline(store, "alpha", opened)
    assert (figures["cases"], figures["met"], figures["n"]) == (4, 1, 3)
    assert figures["previous_round_id"] is None and figures["change"] is None
    assert queries.earlier_rounds(store, "alpha", "r9") == []
    assert queries.round_trend(store, "alpha", opened).empty
    assert queries.earlier_rounds(store, "alpha") == ["r1"]  # r2's trend skips r9

    code, out, err = cli("accept-round", "--theme", "alpha", "--round", "r9",
                         "--data-dir", str(tiny_dir))  # fmt: skip
    assert code == 0, err
    assert out.startswith("Accepted alpha/r9 (62% of standards answered)")
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r9"]
    assert queries.resolve_round(store, "alpha", None) == "r9"
    assert queries.earlier_rounds(store, "alpha") == ["r2", "r1"]
    assert_row(overview_row(store), ALPHA_AT_R9)
    checks = queries.round_checks(store, "alpha")
    accepted = checks[checks["round_id"] == "r9"].iloc[0]
    assert (accepted["accepted_by"], accepted["held"]) == (local_operator().user, False)
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["action", "what", "theme_id", "round_id"]].values.tolist()[0] == [
        "accept-round", "alpha/r9", "alpha", "r9"
    ]  # fmt: skip
    assert trail["detail"].iloc[0] == (
        "imp-0001: 5 of 8 standards answered (62%, under 90%); accepted later"
    )
    # Accepting again changes nothing and says so.
    code, out, _ = cli("accept-round", "--theme", "alpha", "--round", "r9",
                       "--data-dir", str(tiny_dir))  # fmt: skip
    assert code == 0 and out.startswith(f"alpha/r9 was already accepted by {local_operator().user}")


def test_accept_incomplete_on_import_and_undo(tiny_dir, tmp_path):
    path = tmp_path / "r9.xlsx"
    path.write_bytes(xlsx(sparse_round(HALF_ANSWERED)).data)
    code, out, err = cli("ingest", str(path), "--accept-incomplete", "--data-dir", str(tiny_dir))
    assert code == 0, err
    assert "alpha / r9 is incomplete and was accepted" in out
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r9"]
    assert_row(overview_row(store), ALPHA_AT_R9)
    trail = audit_trail.read_trail(tiny_dir)
    assert sorted(trail["action"]) == ["accept-round", "import"]
    ingest.undo_import(tiny_dir, "imp-0001", actor=ANALYST)
    store = Store(tiny_dir)
    assert queries.round_choices(store, "alpha") == ["r1", "r2"]
    assert_row(overview_row(store), ALPHA_AT_R2)
    assert store.query("SELECT count(*) AS n FROM round_acceptances")["n"].iat[0] == 0


def test_an_acceptance_holds_for_its_import_only(tiny_dir):
    ingest.import_files(tiny_dir, [xlsx(sparse_round(HALF_ANSWERED))], actor=ANALYST)
    ingest.accept_rounds(tiny_dir, [("alpha", "r9")], actor=ANALYST)
    assert queries.audited_rounds(Store(tiny_dir), "alpha") == ["r1", "r2", "r9"]
    # Replaced by another incomplete file, the round is held back again until accepted.
    again = sparse_round({("N1", "Q1"), ("N2", "Q2"), ("N3", "Q1"), ("N4", "Q2")})  # 4 of 8
    result = ingest.import_files(tiny_dir, [xlsx(again, "again.xlsx")], replace=True,
                                 actor=ANALYST)  # fmt: skip
    assert "alpha / r9 is incomplete: it is held back" in result.message
    assert queries.audited_rounds(Store(tiny_dir), "alpha") == ["r1", "r2"]
    # Replaced by a complete file, it counts with no acceptance.
    ingest.import_files(tiny_dir, [xlsx(sparse_round(), "full.xlsx")], replace=True,
                        actor=ANALYST)  # fmt: skip
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r9"]
    assert queries.held_rounds(store).empty


def test_a_complete_round_is_not_affected(tiny_dir):
    result = ingest.import_files(tiny_dir, [xlsx(sparse_round())], actor=ANALYST)
    assert "alpha / r9: 4 cases x 2 standards; 8 of 8 answered (100%): complete" in result.message
    assert "held back" not in result.message
    store = Store(tiny_dir)
    assert queries.audited_rounds(store, "alpha") == ["r1", "r2", "r9"]
    assert queries.resolve_round(store, "alpha", None) == "r9"
    assert queries.held_rounds(store).empty
    with pytest.raises(AuditDataError, match="No round r7 of theme alpha"):
        ingest.accept_rounds(tiny_dir, [("alpha", "r7")], actor=ANALYST)
    assert ingest.accept_rounds(tiny_dir, [("alpha", "r9")], actor=ANALYST).message == (
        "alpha/r9 is complete: nothing to accept."
    )


def test_a_store_made_before_completeness_was_recorded_reads_as_complete(tiny_dir: Path):
    assert table_rows(tiny_dir, "round_completeness") == []
    checks = queries.round_checks(Store(tiny_dir), "alpha")
    assert checks[["round_id", "complete", "held"]].values.tolist() == [
        ["r1", True, False],
        ["r2", True, False],
    ]


def test_the_same_file_again_with_accept_incomplete_accepts_its_round(tiny_dir):
    source = xlsx(sparse_round(HALF_ANSWERED))
    first = ingest.import_files(tiny_dir, [source], actor=ANALYST)
    assert first.changed and queries.audited_rounds(Store(tiny_dir), "alpha") == ["r1", "r2"]
    again = ingest.import_files(tiny_dir, [source], actor=ANALYST, accept_incomplete=True)
    assert (again.import_id, again.changed) == ("imp-0001", True)
    assert again.message.endswith(
        "Accepted alpha/r9 (62% of standards answered): it now counts as the default round, on "
        "the Overview and in trends like a complete round."
    )
    assert queries.audited_rounds(Store(tiny_dir), "alpha") == ["r1", "r2", "r9"]
    how = Store(tiny_dir).query("SELECT import_id, how FROM round_acceptances")
    assert how.values.tolist() == [["imp-0001", "accepted on import"]]


def test_accepting_a_round_gives_the_store_a_new_version(tiny_dir):
    """A dashboard caches per data snapshot: an acceptance must be a new one (its rows, the
    manifest and its event together), or pages keep showing the round held back."""
    before = queries.latest_audited_end(Store(tiny_dir))
    done = ingest.import_files(tiny_dir, [xlsx(sparse_round(HALF_ANSWERED))], actor=ANALYST)
    local = Store(tiny_dir)
    # Held back, r9 does not date the Actions tracker, the pack or the report either, and
    # opened explicitly, its charts say it is incomplete.
    assert queries.latest_audited_end(local) == before
    view = chart_view(local, "quadrant_comparison", "alpha", Filters(round_id="r9"))
    assert view.round_label.endswith(" · incomplete")
    assert "incomplete" in view.subtitle
    held = latest_snapshot(tiny_dir)
    assert "accepted_rounds" not in local.manifest()
    ingest.accept_rounds(tiny_dir, [("alpha", "r9")], actor=ANALYST)
    accepted = latest_snapshot(tiny_dir)
    assert accepted == held + 1  # one snapshot: the rows, the manifest and the event
    assert Store(tiny_dir).fingerprint() == f"snapshot-{accepted}" != local.fingerprint()
    assert Store(tiny_dir).manifest()["accepted_rounds"] == ["alpha/r9"]
    assert [(r[0], r[1], r[2]) for r in table_rows(tiny_dir, "round_acceptances")] == [
        ("alpha", "r9", "imp-0001")
    ]
    assert table_rows(tiny_dir, "round_acceptances", held) == []
    # ... and its event is in that same snapshot (no other was committed).
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["action", "what"]].values.tolist() == [
        ["accept-round", "alpha/r9"], ["import", "round.xlsx"]
    ]  # fmt: skip
    rounds = queries.rounds(Store(tiny_dir), "alpha").set_index("round_id")
    r9_end = pd.Timestamp(rounds.loc["r9", "end_date"]).date()
    assert r9_end > before
    assert queries.latest_audited_end(Store(tiny_dir)) == r9_end
    # Undoing the import takes its acceptance with it, from the data and the manifest.
    ingest.undo_import(tiny_dir, done.import_id, actor=ANALYST)
    assert "accepted_rounds" not in Store(tiny_dir).manifest()
