"""The thematic overview report: seed numbers, honest wording, exact sentences, suppression, CLI."""

from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import redirect_stderr, redirect_stdout

import docx
import pandas as pd
import pytest

from analytics import queries
from analytics.cli import main
from analytics.domain import WORDING_BANDS, Filters, wording_band
from analytics.errors import UnknownValueError
from analytics.report_doc import build_report, wording
from analytics.report_doc import document as report_document
from analytics.report_doc.findings import band_pct, holm_adjust
from analytics.store import Store, write_new_store

AS_OF = dt.date(2020, 5, 13)
ALL = Filters()
AUDITED = ["permanency", "private_fostering", "pathway_planning", "missing", "placed_at_home"]
BANDS = "|".join(re.escape(word) for _, word in WORDING_BANDS)
FINDING = re.compile(
    rf"^(?P<text>.+?): (?P<band>{BANDS}) \((?P<met>\d+|c) of (?P<n>\d+|c) cases"
    r"(?:, (?P<pct>[\d.]+)%)?(?:; 95% interval \d+% to \d+%)?\)\."
)


# --- helpers ---------------------------------------------------------------------------------


def report(store: Store, themes=None, filters: Filters = ALL, **kwargs) -> docx.Document:
    kwargs.setdefault("charts", False)
    data = build_report(store, themes, filters, as_of=AS_OF, **kwargs)
    return docx.Document(io.BytesIO(data))


def sections(document: docx.Document) -> dict[str, list[str]]:
    """Return each numbered Heading 1's paragraphs (texts), keyed by the heading without number."""
    out: dict[str, list[str]] = {}
    current = None
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Heading 1":
            current = paragraph.text.split(". ", 1)[1]
            out[current] = []
        elif current is not None:
            out[current].append(paragraph.text)
    return out


def findings_of(lines: list[str]) -> list[re.Match]:
    return [m for m in (FINDING.match(line) for line in lines) if m]


def titles(store: Store) -> dict[str, str]:
    return queries.themes(store).set_index("theme_id")["title"].to_dict()


@pytest.fixture(scope="module")
def sample_report(sample) -> docx.Document:
    return report(sample)


# --- the seed's numbers ----------------------------------------------------------------------


def test_cohort_sentences_state_the_seed_numbers(sample, sample_report):
    by_title = sections(sample_report)
    names = titles(sample)
    text = {theme: " ".join(by_title[names[theme]]) for theme in AUDITED}
    assert (
        "A total of 61 children's cases were audited "
        "(North West 15; North East 15; South West 16; South East 15)." in text["permanency"]
    )
    assert "A total of 21 children's cases were audited (" in text["private_fostering"]
    assert "The children audited were 12 female and 9 male." in text["private_fostering"]
    assert "A total of 91 children's cases were audited (" in text["pathway_planning"]
    assert "A total of 10 children's cases were audited (" in text["placed_at_home"]
    assert "A total of 48 children's cases were audited (" in text["missing"]


def test_document_opens_with_one_heading_per_theme(sample, sample_report):
    headings = [p.text for p in sample_report.paragraphs if p.style.name == "Heading 1"]
    names = titles(sample)
    assert headings == [
        "1. Introduction",
        *(f"{i}. {names[theme]}" for i, theme in enumerate(AUDITED, start=2)),
        "7. Future thematic audits",
        "8. Data source and method",
    ]
    every_heading = [p.text for p in sample_report.paragraphs if p.style.name.startswith("Head")]
    for theme in AUDITED:
        assert sum(names[theme] in h for h in every_heading) == 1, theme
    assert sample_report.paragraphs[0].style.name == "Title"
    assert "April 2020" in sample_report.paragraphs[0].text


def test_structure_follows_the_seed(sample, sample_report):
    by_title = sections(sample_report)
    intro = by_title["Introduction"]
    assert any(line.startswith("Permanency for children: Final (April 2020)") for line in intro)
    assert any("Supervision, led by Principal Social Worker" in line for line in intro)
    future = by_title["Future thematic audits"]
    assert (
        "Placement stability, led by Inspection Leads: Underway (2020), 1 April 2020 to 30 "
        "September 2020" in future
    )
    subheadings = [p.text for p in sample_report.paragraphs if p.style.name == "Heading 2"]
    assert subheadings[:6] == [
        "2.1 What was audited", "2.2 Key findings", "2.3 What practitioners and managers said",
        "2.4 Recommendations", "2.5 Action plan", "2.6 Next steps",
    ]  # fmt: skip
    permanency = by_title[titles(sample)["permanency"]]
    assert any(line.startswith("\u201cThe PPM meetings are more robust") for line in permanency)
    assert "Re-review (about 6 months on) is planned for 1 September 2020 to 31 October 2020." in (
        permanency
    )
    # One action plan table per theme, with the seed's columns, owners and dates.
    assert len(sample_report.tables) == len(AUDITED)
    header = [cell.text for cell in sample_report.tables[1].rows[0].cells]
    assert header == list(wording.ACTION_COLUMNS)
    private_fostering = [[c.text for c in row.cells] for row in sample_report.tables[1].rows[1:]]
    assert ["Review of policy and procedures across fostering and assessment teams",
            "Clear structure and procedure across the county and to enable accountability. It is "
            "clear who should escalate concerns and how these are escalated.",
            "SM / Team Managers / SSW", "9 September 2020", "In progress \u00b7 On track"] in (
        private_fostering
    )  # fmt: skip
    source = " ".join(by_title["Data source and method"])
    assert "synthetic sample data" in source
    assert "Generated on 13 May 2020" in source
    assert "Charts were left out of this report at the user's request." in source


# --- honest wording --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(quadrants=("NE",)),
        Filters(quadrants=("NW", "SE"), teams=("Looked After",)),
    ],
    ids=["county", "NE", "NW+SE looked after"],
)
def test_every_finding_band_matches_its_pct_met(sample, filters):
    document = report(sample, filters=filters)
    by_title = sections(document)
    checked = 0
    for theme in AUDITED:
        comparison = queries.quadrant_comparison(sample, theme, filters)
        pooled = comparison[comparison["selected"]].groupby("text")[["met", "n"]].sum()
        expected = pooled[pooled["n"] > 0]
        parsed = findings_of(by_title[titles(sample)[theme]])
        assert {m["text"] for m in parsed} == set(expected.index), theme
        bands_in_order = []
        for match in parsed:
            met, n = expected.loc[match["text"], ["met", "n"]]
            assert (int(match["met"]), int(match["n"])) == (met, n), match.group(0)
            assert match["band"] == wording_band(met / n), match.group(0)
            assert float(match["pct"]) == pytest.approx(100 * met / n, abs=0.5), match.group(0)
            bands_in_order.append(match["band"])
            checked += 1
        # Strengths first, then areas for improvement.
        strong = [band in wording.STRENGTH_BANDS for band in bands_in_order]
        assert strong == sorted(strong, reverse=True), theme
    assert checked >= 40


def test_changes_mentioned_only_beyond_chance(sample, sample_report):
    lines = sections(sample_report)[titles(sample)["permanency"]]
    trend = queries.round_trend(sample, "permanency").set_index("text")
    assert trend["beyond_chance"].any() and not trend["beyond_chance"].all()
    for match in findings_of(lines):
        line = next(line for line in lines if line.startswith(match.group(0)))
        row = trend.loc[match["text"]]
        improved = "an improvement beyond chance" in line
        assert improved == bool(row["beyond_chance"] and row["change"] > 0), line
        if not row["beyond_chance"]:
            assert "Up from" not in line and "Down from" not in line and "improv" not in line
    assert (
        "Compared with Interim (January 2020), 2 of 10 standards changed beyond chance "
        "(2 improved); the other 8 moved no more than chance alone would explain, so they are "
        "not reported as changes." in lines
    )


# --- a hand-made store, word for word --------------------------------------------------------


def test_tiny_store_word_for_word(tiny):
    by_title = sections(report(tiny))
    assert list(by_title) == [
        "Introduction", "Alpha theme", "Future thematic audits", "Data source and method",
    ]  # fmt: skip
    assert by_title["Alpha theme"] == [
        "2.1 What was audited",
        "A total of 4 children's cases were audited (North West 2; North East 1; South West 1; "
        "South East 0). The children audited were 3 female and 1 male. Test cohort. Round: Round "
        "two, audits from 1 April 2020 to 30 April 2020.",
        "2.2 Key findings",
        "Areas for improvement (variable, or not routinely met)",
        "The child is heard: not routinely (1 of 3 cases, 33%; 95% interval 6% to 79%).",
        "Visits are timely: variable (2 of 4 cases, 50%; 95% interval 15% to 85%).",
        "Compared with Round one, none of the 2 standards changed beyond chance, so no change is "
        "reported.",
        "No quadrant differed from the rest of the county beyond chance on any standard "
        "(6 comparisons, Holm-adjusted).",
        "2.3 What practitioners and managers said",
        "\u201c*Not markdown* <b>nor html</b>\u201d \u2014 Team Manager (NE)",
        "\u201cCounty-wide view.\u201d \u2014 Practitioner",
        "2.4 Recommendations",
        "No recommendations are recorded for this theme.",
        "2.5 Action plan",
        "RAG as of 13 May 2020.",
        "2.6 Next steps",
        "Re-audit is planned for 1 October 2020 to 31 October 2020.",
    ]
    assert by_title["Introduction"][-5:] == [
        "To date the following thematic audits have been completed:",
        "Alpha theme: Round two, audits from 1 April 2020 to 30 April 2020",
        "The following thematic audits are underway or planned:",
        "Beta theme, led by Team: Underway, 1 May 2020 to 30 September 2020",
        "This report covers: Alpha theme.",
    ]


def test_tiny_store_action_plan_rag(tiny):
    document = report(tiny)
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows[1:]]
    assert rows == [
        ["Fix visits", "Timely", "SM", "15 April 2020", "In progress \u00b7 Overdue"],
        ["Both", "Better", "TM", "20 May 2020", "Not started \u00b7 Due soon"],
        ["Later", "Later", "SM", "1 July 2020", "In progress \u00b7 On track"],
        ["Done", "Done", "TM", "1 March 2020", "Complete \u00b7 Complete"],
    ]


QUESTIONS = {
    "G1": "Plans are reviewed",
    "G2": "Visits are recorded",
    "G3": "Checks are done",
    "G4": "Supervision is regular",
}
# Met per quadrant (NW, NE, SW, SE) out of 10 cases each: G1 rises beyond chance, G2 rises
# within noise (20 -> 26 of 40), G3 is flat but NW meets it in no case, G4 falls beyond chance.
MET = {
    "g1": {"G1": (2, 2, 2, 2), "G2": (5, 5, 5, 5), "G3": (7, 8, 7, 8), "G4": (9, 9, 9, 9)},
    "g2": {"G1": (7, 8, 7, 8), "G2": (6, 7, 6, 7), "G3": (0, 10, 10, 10), "G4": (4, 4, 4, 4)},
}


def gamma_tables() -> dict[str, pd.DataFrame]:
    """A theme of two rounds of 40 cases (10 per quadrant) with known changes and differences."""
    d = dt.date
    cases, responses = [], []
    for round_id, met in MET.items():
        for q_index, quadrant in enumerate(("NW", "NE", "SW", "SE")):
            for k in range(10):
                audit_id = f"{round_id}-{quadrant}-{k}"
                cases.append({
                    "audit_id": audit_id, "theme_id": "gamma", "round_id": round_id,
                    "quadrant": quadrant, "team": "T", "child_ref": f"SYN-{audit_id}",
                    "audit_date": d(2020, 3, 1), "gender": ("Female", "Male")[k % 2],
                    "age_band": "5-9", "overall_grade": "Good",
                })  # fmt: skip
                for question, counts in met.items():
                    responses.append({
                        "audit_id": audit_id, "theme_id": "gamma", "round_id": round_id,
                        "question_id": question,
                        "response": "Met" if k < counts[q_index] else "Not met",
                        "comment": "", "quadrant": quadrant, "team": "T",
                    })  # fmt: skip
    frame = pd.DataFrame
    return {
        "themes": frame([{"theme_id": "gamma", "title": "Gamma theme", "status": "complete",
                          "lead": "Leads", "scope": "Known results.", "sort_order": 1}]
                        ).astype({"sort_order": "int32"}),
        "rounds": frame([
            {"theme_id": "gamma", "round_id": "g1", "label": "Round 1", "start_date": d(2020, 1, 1),
             "end_date": d(2020, 1, 31), "status": "complete"},
            {"theme_id": "gamma", "round_id": "g2", "label": "Round 2", "start_date": d(2020, 3, 1),
             "end_date": d(2020, 3, 31), "status": "complete"},
        ]),
        "questions": frame([{"theme_id": "gamma", "question_id": q, "text": t,
                             "category": "Timeliness", "seed_finding": ""}
                            for q, t in QUESTIONS.items()]),
        "cases": frame(cases),
        "responses": frame(responses),
    }  # fmt: skip


@pytest.fixture(scope="module")
def gamma(tmp_path_factory) -> Store:
    data_dir = tmp_path_factory.mktemp("gamma") / "data"
    write_new_store(data_dir, gamma_tables().items(), {"synthetic": True, "notice": "gamma"})
    return Store(data_dir)


def test_changes_and_quadrant_differences_word_for_word(gamma):
    lines = sections(report(gamma))["Gamma theme"]
    key = lines[
        lines.index("2.2 Key findings") + 1 : lines.index(
            "2.3 What practitioners and managers said"
        )
    ]
    assert key == [
        "Strengths (met consistently or mostly)",
        "Plans are reviewed: mostly (30 of 40 cases, 75%). Up from 8 of 40 cases (20%) in "
        "Round 1: an improvement beyond chance (Fisher's exact test, p < 0.001).",
        "Checks are done: mostly (30 of 40 cases, 75%). North West (NW) met it less often than "
        "the rest of the county: 0 of 10 cases (0%) against 30 of 30 cases (100%); a difference "
        "beyond chance (Fisher's exact test, Holm-adjusted p < 0.001).",
        "Visits are recorded: mostly (26 of 40 cases, 65%).",
        "Areas for improvement (variable, or not routinely met)",
        "Supervision is regular: variable (16 of 40 cases, 40%). Down from 36 of 40 cases (90%) "
        "in Round 1: a decline beyond chance (Fisher's exact test, p < 0.001).",
        "Compared with Round 1, 2 of 4 standards changed beyond chance (1 improved, 1 declined); "
        "the other 2 moved no more than chance alone would explain, so they are not reported as "
        "changes.",
        "1 of 16 quadrant comparisons showed a difference beyond chance (Holm-adjusted); each is "
        "given under its standard.",
    ]


def test_a_change_within_noise_is_never_called_an_improvement(gamma):
    # G2 rose from 50% to 65% (p about 0.26): a bigger move than many real changes, but noise.
    trend = queries.round_trend(gamma, "gamma").set_index("question_id")
    assert trend.loc["G2", "change"] > 0.1 and not trend.loc["G2", "beyond_chance"]
    lines = sections(report(gamma))["Gamma theme"]
    visits = [line for line in lines if line.startswith("Visits are recorded")]
    assert visits == ["Visits are recorded: mostly (26 of 40 cases, 65%)."]
    improving = [line for line in lines if "improvement beyond chance" in line]
    assert [line.split(":")[0] for line in improving] == ["Plans are reviewed"]


def test_a_quadrant_filter_reports_the_selection(gamma):
    lines = sections(report(gamma, filters=Filters(quadrants=("NW",))))["Gamma theme"]
    assert lines[1].startswith(
        "A total of 10 children's cases were audited (North West 10). The children audited "
        "were 5 female and 5 male."
    )
    assert "Selection: NW; all teams." in lines[1]
    checks = next(line for line in lines if line.startswith("Checks are done"))
    # NW alone fell from 7 of 10 to none: a change beyond chance within the selection too.
    assert checks.startswith(
        "Checks are done: not routinely (0 of 10 cases, 0%; 95% interval 0% to 28%). Down from "
        "7 of 10 cases (70%) in Round 1: a decline beyond chance (Fisher's exact test, p = "
    )
    assert "North West (NW) met it less often than the rest of the county" in checks


# --- circulation -----------------------------------------------------------------------------


def test_suppression_hides_small_counts(sample):
    by_title = sections(report(sample, threshold=5))
    names = titles(sample)
    home = by_title[names["placed_at_home"]]
    assert home[1].startswith(
        "A total of 10 children's cases were audited (North West c; North East c; South West c; "
        "South East c). The children audited were c female and c male."
    )
    fostering = by_title[names["private_fostering"]]
    assert "(North West 6; North East c; South West 6; South East c)" in fostering[1]
    for title, lines in by_title.items():
        for match in findings_of(lines):
            met, n = match["met"], match["n"]
            assert n != "c" and int(n) >= 5, match.group(0)
            if met == "c":
                assert match["pct"] is None, match.group(0)
            else:
                assert int(met) == 0 or int(met) >= 5, match.group(0)
                assert int(n) - int(met) == 0 or int(n) - int(met) >= 5, match.group(0)
        for line in lines:
            for part in re.findall(r"(\d+) of (\d+) cases", line):
                met, n = map(int, part)
                assert met in (0,) or met >= 5, (title, line)
    assert any(line.startswith("Not reported for circulation (fewer than 5") for line in home)
    source = " ".join(by_title["Data source and method"])
    assert "counts from 1 to 4 are shown as \u201cc\u201d" in source


def test_circulation_copy_leaves_out_charts_with_small_counts(sample, monkeypatch):
    monkeypatch.setattr(report_document, "_image_export", lambda: (True, "test"))
    lines = sections(report(sample, ["placed_at_home"], threshold=5, charts=True))
    home = lines[titles(sample)["placed_at_home"]]
    assert "Chart left out of this circulation copy: some of its counts are under 5." in home


# --- charts ----------------------------------------------------------------------------------


def test_charts_embedded_with_alt_text(sample):
    from analytics.images import image_export_available

    available, reason = image_export_available()
    if not available:
        pytest.skip(f"image export unavailable: {reason}")
    document = report(sample, ["permanency", "private_fostering"], charts=True)
    shapes = document.inline_shapes
    assert len(shapes) == 3  # permanency: quadrants and the round trend; fostering: quadrants
    for shape in shapes:
        descr = shape._inline.docPr.get("descr")
        assert descr and descr.endswith("."), descr
        assert shape._inline.graphic.graphicData.pic.nvPicPr.cNvPr.get("descr") == descr
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions[0].startswith("Figure 1. ")


def test_report_says_when_charts_are_unavailable(sample, monkeypatch):
    monkeypatch.setattr(report_document, "_image_export", lambda: (False, "no browser here"))
    document = report(sample, ["permanency"], charts=True)
    assert len(document.inline_shapes) == 0
    texts = [p.text for p in document.paragraphs]
    assert "Charts could not be included: no browser here." in texts


# --- inputs, progress, command line ----------------------------------------------------------


def test_rounds_and_bad_input(sample):
    interim = sections(report(sample, ["permanency"], Filters(round_id="2020-01-interim")))
    lines = interim[titles(sample)["permanency"]]
    assert lines[1].startswith("A total of 40 children's cases were audited (North West 10;")
    assert wording.TREND_FIRST in lines
    with pytest.raises(UnknownValueError, match="theme"):
        build_report(sample, ["nope"], Filters(), charts=False)
    with pytest.raises(UnknownValueError, match="private_fostering"):
        build_report(sample, AUDITED, Filters(round_id="2020-04-final"), charts=False)


def test_progress_is_reported(tiny):
    seen: list[tuple[float, str]] = []
    build_report(tiny, None, Filters(), charts=False, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("Alpha theme" in message for _, message in seen)


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse rejects bad options with exit 2
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_the_report(sample_dir, tmp_path):
    out = tmp_path / "report.docx"
    code, printed, _ = run_cli("report-doc", "--theme", "permanency", "--quadrant", "NE",
                               "--out", str(out), "--no-charts", "--suppress-below", "5",
                               "--data-dir", str(sample_dir))  # fmt: skip
    assert code == 0, printed
    assert str(out) in printed
    lines = sections(docx.Document(out))["Permanency for children"]
    assert lines[1].startswith("A total of 15 children's cases were audited (North East 15).")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--theme", "nope"], "Unknown theme 'nope'"),
        (["--theme", "missing", "--round", "r9"], "Unknown round for theme 'missing' 'r9'"),
        (["--suppress-below", "0"], "--suppress-below: must be 1 or more"),
        (["--quadrant", "XX"], "--quadrant: invalid choice: 'XX'"),
        (["--out", "no/such/folder/r.docx"], "--out: the folder no/such/folder does not exist"),
    ],
)
def test_cli_bad_input_exits_2_naming_the_problem(sample_dir, tmp_path, args, message):
    out = ["--out", str(tmp_path / "r.docx")] if "--out" not in args else []
    code, _, err = run_cli("report-doc", *args, *out, "--no-charts", "--data-dir", str(sample_dir))
    assert code == 2
    assert message in err


# --- the declared wording --------------------------------------------------------------------


def test_bands_documented_as_declared():
    doc = wording.__doc__
    uppers = [None, *(lower for lower, _ in WORDING_BANDS[:-1])]
    for (lower, word), upper in zip(WORDING_BANDS, uppers, strict=True):
        assert f'"{word}"' in doc
        if upper is None:
            assert f"{lower:.0%} or more" in doc
        elif lower == 0:
            assert f"under {upper:.0%}" in doc
        else:
            assert f"{lower:.0%} to {upper - 0.01:.0%}" in doc


def test_numbers_in_words():
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert band_pct(0.5) == "50%"
    assert band_pct(0.796) == "79.6%"  # "80%" would read as the next band
    assert band_pct(0.3996) == "39.96%"


def test_report_button_offers_the_download(sample_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))
    monkeypatch.setattr(report_document, "_image_export", lambda: (False, "not in this test"))

    def page() -> None:
        from ui.report import report_button

        report_button(["missing"], key="t")

    app = AppTest.from_function(page, default_timeout=60).run()
    assert not app.exception
    app.button(key="report_doc_t_build").click().run()
    assert not app.exception
    downloads = app.get("download_button")
    assert len(downloads) == 1
