"""The thematic overview report: seed numbers, honest wording, exact sentences, suppression, CLI."""

from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import redirect_stderr, redirect_stdout

import docx
import numpy as np
import pandas as pd
import pytest
from conftest import tiny_tables
from docx.oxml.ns import qn
from docx.shared import Emu, Twips
from ingest_helpers import copy_store

from analytics import audit_trail, queries
from analytics.cli import main
from analytics.domain import DEFAULT_MARKING, WORDING_BANDS, Filters, wording_band
from analytics.errors import AuditDataError, UnknownValueError
from analytics.report_doc import build_report, wording
from analytics.report_doc import document as report_document
from analytics.report_doc import theme as report_theme
from analytics.report_doc.findings import (
    Share,
    band_pct,
    cohort_sentence,
    holm_adjust,
    quadrant_summary,
    trend_summary,
)
from analytics.store import Store, write_new_store

AS_OF = dt.date(2020, 5, 13)
ALL = Filters()
AUDITED = ["permanency", "private_fostering", "pathway_planning", "missing", "placed_at_home"]
BANDS = "|".join(re.escape(word) for _, word in WORDING_BANDS)
# A finding with its word; one on too few cases for a word; one whose met count is withheld.
INTERVAL = r"(?:; 95% interval \d+% to \d+%)?"
FINDING_FORMS = {
    "band": re.compile(
        rf"^(?P<text>.+?): (?P<band>{BANDS}) \((?P<met>\d+) of (?P<n>\d+) cases?, "
        rf"(?P<pct>[\d.]+)%{INTERVAL}\)\."
    ),
    "few": re.compile(
        rf"^(?P<text>.+?): met in (?P<met>\d+) of (?P<n>\d+) cases? \((?P<pct>[\d.]+)%"
        rf"{INTERVAL}\), too few to characterise\."
    ),
    "withheld": re.compile(
        r"^(?P<text>.+?): met in (?P<met>c) of (?P<n>\d+) cases? \(withheld for circulation\)\."
    ),
}


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


def findings_of(lines: list[str]) -> list[dict[str, str | None]]:
    """Return each finding line parsed: its form, text, band, met, n, pct and the line itself."""
    out = []
    for line in lines:
        for form, pattern in FINDING_FORMS.items():
            if match := pattern.match(line):
                fields = {"band": None, "pct": None, **match.groupdict()}
                out.append({**fields, "form": form, "line": line})
                break
    return out


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
    # As in the seed, the introduction lists the completed audits; the rest have section 7.
    assert intro[2:] == [
        "To date the following thematic audits have been completed:",
        "Permanency for children: Final (April 2020), audits from 1 February 2020 to 15 April 2020",
        "Private fostering: April 2020, audits from 1 February 2020 to 15 April 2020",
        "Pathway planning for looked after children and care leavers: April 2020, audits from "
        "15 January 2020 to 15 April 2020",
        "Children missing from home, placement or education: April 2020, audits from 15 January "
        "2020 to 15 April 2020",
        "Children placed at home with parents subject to a care order: audits from 1 February "
        "2020 to 30 April 2020, being concluded",
        "Thematic audits underway or planned are listed in section 7.",
        "This report covers: Permanency for children; Private fostering; Pathway planning for "
        "looked after children and care leavers; Children missing from home, placement or "
        "education; Children placed at home with parents subject to a care order.",
    ]
    future = by_title["Future thematic audits"]
    # As the seed says: these rounds have the status "underway" in the catalogue.
    assert future[0] == "The following thematic audits are underway:"
    assert (
        "Placement stability, led by Inspection Leads: Underway (2020), 1 April 2020 to 30 "
        "September 2020" in future
    )
    assert any("Supervision, led by Principal Social Worker" in line for line in future)
    subheadings = [p.text for p in sample_report.paragraphs if p.style.name == "Heading 2"]
    assert subheadings[:6] == [
        "2.1 What was audited", "2.2 Key findings", "2.3 What practitioners and managers said",
        "2.4 Recommendations", "2.5 Action plan", "2.6 Next steps",
    ]  # fmt: skip
    permanency = by_title[titles(sample)["permanency"]]
    assert any(line.startswith("\u201cThe PPM meetings are more robust") for line in permanency)
    assert permanency[permanency.index("2.6 Next steps") + 1 :] == [
        "Re-review (about 6 months on) is planned for 1 September 2020 to 31 October 2020.",
        "Quality Assurance to undertake a further review of permanency in about 6 months "
        "(owner: Quality Assurance; due 31 October 2020; not started, on track).",
    ]
    # A next step is given once: under Next steps, not again in the action table.
    table = [row.cells[0].text for row in sample_report.tables[0].rows[1:]]
    assert len(table) == 5 and not any("further review" in action for action in table)
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
    source = by_title["Data source and method"]
    assert source[:3] == [
        "Source: synthetic sample data generated by Audit Insight; no real child is described.",
        "Filters: all quadrants (county); all teams.",
        "Charts were left out of this report at the user's request.",
    ]
    assert "Generated on 13 May 2020 by Audit Insight." in source
    assert not any(str(sample.data_dir) in line or "/" in line for line in source)
    # The seed ends with its author's contact details; the draft leaves places to fill in.
    assert source[-2:] == [
        "Report author (role): [to be completed by the Quality Assurance team]",
        "Date of issue: [to be completed]",
    ]
    assert not any("@" in p.text for p in sample_report.paragraphs)


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
    checked = few = 0
    for theme in AUDITED:
        comparison = queries.quadrant_comparison(sample, theme, filters)
        pooled = comparison[comparison["selected"]].groupby("text")[["met", "n"]].sum()
        expected = pooled[pooled["n"] > 0]
        parsed = findings_of(by_title[titles(sample)[theme]])
        assert sorted(m["text"] for m in parsed) == sorted(expected.index), theme
        forms_in_order = []
        for match in parsed:
            met, n = expected.loc[match["text"], ["met", "n"]]
            assert (int(match["met"]), int(match["n"])) == (met, n), match["line"]
            assert float(match["pct"]) == pytest.approx(100 * met / n, abs=0.5), match["line"]
            if n >= wording.MIN_BAND_BASE:
                assert match["form"] == "band", match["line"]
                assert match["band"] == wording_band(met / n), match["line"]
            else:
                # No word on a base this small: the interval spans more than one band.
                assert match["form"] == "few", match["line"]
                few += 1
            forms_in_order.append(
                "few" if match["band"] is None else match["band"] in wording.STRENGTH_BANDS
            )
            checked += 1
        # Strengths first, then areas for improvement, then standards given no word.
        rank = [0 if f is True else 1 if f is False else 2 for f in forms_in_order]
        assert rank == sorted(rank), theme
    assert checked >= 40 and few >= 1


def test_changes_mentioned_only_beyond_chance(sample, sample_report):
    lines = sections(sample_report)[titles(sample)["permanency"]]
    trend = queries.round_trend(sample, "permanency").set_index("text")
    assert trend["beyond_chance"].any() and not trend["beyond_chance"].all()
    for match in findings_of(lines):
        line = match["line"]
        row = trend.loc[match["text"]]
        improved = "an improvement beyond chance" in line
        assert improved == bool(row["beyond_chance"] and row["change"] > 0), line
        if not row["beyond_chance"]:
            assert "Up from" not in line and "Down from" not in line and "improv" not in line
    assert (
        "Compared with Interim (January 2020), 2 of 10 standards changed beyond chance "
        "(2 improved); for the other 8, any difference could be due to chance, so none is "
        "reported as a change." in lines
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
        # 2 of 4 and 1 of 3 are too few for a word: their intervals span three bands or more.
        "Too few cases to characterise",
        "Visits are timely: met in 2 of 4 cases (50%; 95% interval 15% to 85%), too few to "
        "characterise.",
        "The child is heard: met in 1 of 3 cases (33%; 95% interval 6% to 79%), too few to "
        "characterise.",
        "Compared with Round one, none of the 2 standards changed beyond chance; any difference "
        "could be due to chance, so no change is reported.",
        "No quadrant differed from the rest of the county beyond chance on any standard "
        "(6 comparisons, Holm-adjusted).",
        "2.3 What practitioners and managers said",
        "\u201c*Not markdown* <b>nor html</b>\u201d \u2014 Team Manager (NE)",
        "\u201cCounty-wide view.\u201d \u2014 Practitioner",
        "2.4 Recommendations",
        "No recommendations are recorded for this theme.",
        "2.5 Action plan",
        "RAG as of 30 April 2020, the end of the latest audited round.",
        "2.6 Next steps",
        "Re-audit is planned for 1 October 2020 to 31 October 2020.",
    ]
    assert by_title["Introduction"][-4:] == [
        "To date the following thematic audits have been completed:",
        "Alpha theme: Round two, audits from 1 April 2020 to 30 April 2020",
        "Thematic audits underway or planned are listed in section 3.",
        "This report covers: Alpha theme.",
    ]
    assert by_title["Future thematic audits"] == [
        "The following thematic audits are planned:",
        "Beta theme, led by Team: Underway, 1 May 2020 to 30 September 2020",
    ]


def test_round_status_chooses_planned_or_underway(tmp_path):
    tables = tiny_tables()
    rounds = tables["rounds"]
    rounds.loc[rounds["round_id"].isin(["r3", "b1"]), "status"] = "underway"
    write_new_store(tmp_path / "data", tables.items(), {"synthetic": True, "notice": "t"})
    by_title = sections(report(Store(tmp_path / "data")))
    alpha = by_title["Alpha theme"]
    assert alpha[alpha.index("2.6 Next steps") + 1 :] == [
        "Re-audit is underway (1 October 2020 to 31 October 2020)."
    ]
    assert by_title["Future thematic audits"] == [
        "The following thematic audits are underway:",
        "Beta theme, led by Team: Underway, 1 May 2020 to 30 September 2020",
    ]


def test_tiny_store_action_plan_rag(tiny):
    document = report(tiny)
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows[1:]]
    assert rows == [
        ["Fix visits", "Timely", "SM", "15 April 2020", "In progress \u00b7 Overdue"],
        ["Both", "Better", "TM", "20 May 2020", "Not started \u00b7 Due soon"],
        ["Later", "Later", "SM", "1 July 2020", "In progress \u00b7 On track"],
        ["Done", "Done", "TM", "1 March 2020", "Complete"],  # the word once, not twice
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


def known_tables(
    theme: str, met_by_round: dict[str, dict[str, tuple[int, ...]]], questions: dict[str, str]
) -> dict[str, pd.DataFrame]:
    """A theme of 40 cases a round (10 per quadrant), each standard met in the given numbers."""
    d = dt.date
    cases, responses = [], []
    for round_id, met in met_by_round.items():
        for q_index, quadrant in enumerate(("NW", "NE", "SW", "SE")):
            for k in range(10):
                audit_id = f"{round_id}-{quadrant}-{k}"
                cases.append({
                    "audit_id": audit_id, "theme_id": theme, "round_id": round_id,
                    "quadrant": quadrant, "team": "T", "child_ref": f"SYN-{audit_id}",
                    "audit_date": d(2020, 3, 1), "gender": ("Female", "Male")[k % 2],
                    "age_band": "5-9", "overall_grade": "Good",
                })  # fmt: skip
                for question, counts in met.items():
                    responses.append({
                        "audit_id": audit_id, "theme_id": theme, "round_id": round_id,
                        "question_id": question,
                        "response": "Met" if k < counts[q_index] else "Not met",
                        "comment": "", "quadrant": quadrant, "team": "T",
                    })  # fmt: skip
    frame = pd.DataFrame
    months = [(d(2020, 1, 1), d(2020, 1, 31)), (d(2020, 3, 1), d(2020, 3, 31))]
    return {
        "themes": frame([{"theme_id": theme, "title": f"{theme.capitalize()} theme",
                          "status": "complete", "lead": "Leads", "scope": "Known results.",
                          "sort_order": 1}]).astype({"sort_order": "int32"}),
        "rounds": frame([
            {"theme_id": theme, "round_id": round_id, "label": f"Round {i}",
             "start_date": start, "end_date": end, "status": "complete"}
            for i, (round_id, (start, end)) in enumerate(
                zip(met_by_round, months[-len(met_by_round):], strict=True), start=1)
        ]),
        "questions": frame([{"theme_id": theme, "question_id": q, "text": t,
                             "category": "Timeliness", "seed_finding": ""}
                            for q, t in questions.items()]),
        "cases": frame(cases),
        "responses": frame(responses),
    }  # fmt: skip


def gamma_tables() -> dict[str, pd.DataFrame]:
    """A theme of two rounds of 40 cases (10 per quadrant) with known changes and differences."""
    return known_tables("gamma", MET, QUESTIONS)


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
        "for the other 2, any difference could be due to chance, so none is reported as a "
        "change.",
        "1 of 16 quadrant comparisons showed a difference beyond chance (Holm-adjusted); it is "
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

DELTA_QUESTIONS = {"D1": "Plans are in place", "D2": "Visits are recorded", "D3": "Checks are done"}
# One round, 10 cases per quadrant (NW, NE, SW, SE), only Met or Not met: NW meets D1 in 2 cases
# (a small count) and D2 in none, and meets D3 in all 10 where each other quadrant meets it in 3.
DELTA_MET = {"d1": {"D1": (2, 10, 10, 10), "D2": (0, 10, 10, 10), "D3": (10, 3, 3, 3)}}


@pytest.fixture(scope="module")
def delta(tmp_path_factory) -> Store:
    data_dir = tmp_path_factory.mktemp("delta") / "data"
    tables = known_tables("delta", DELTA_MET, DELTA_QUESTIONS)
    write_new_store(data_dir, tables.items(), {"synthetic": True, "notice": "delta"})
    return Store(data_dir)


def key_findings(lines: list[str]) -> list[str]:
    return lines[lines.index("2.2 Key findings") + 1 : lines.index(
        "2.3 What practitioners and managers said")]  # fmt: skip


def test_a_small_count_cannot_be_had_by_subtraction(delta):
    full = key_findings(sections(report(delta))["Delta theme"])
    assert full == [
        "Strengths (met consistently or mostly)",
        "Plans are in place: consistently (32 of 40 cases, 80%). North West (NW) met it less "
        "often than the rest of the county: 2 of 10 cases (20%) against 30 of 30 cases (100%); a "
        "difference beyond chance (Fisher's exact test, Holm-adjusted p < 0.001).",
        "Visits are recorded: mostly (30 of 40 cases, 75%). North West (NW) met it less often "
        "than the rest of the county: 0 of 10 cases (0%) against 30 of 30 cases (100%); a "
        "difference beyond chance (Fisher's exact test, Holm-adjusted p < 0.001).",
        "Areas for improvement (variable, or not routinely met)",
        # 19 of 40 is 47.5%, printed 48% and still "variable"; raw p 0.000109, third of 12
        # tests, so Holm multiplies it by 10.
        "Checks are done: variable (19 of 40 cases, 48%). North West (NW) met it more often "
        "than the rest of the county: 10 of 10 cases (100%) against 9 of 30 cases (30%); a "
        "difference beyond chance (Fisher's exact test, Holm-adjusted p = 0.001).",
        "There is no earlier audited round of this theme to compare with.",
        "3 of 12 quadrant comparisons showed a difference beyond chance (Holm-adjusted); each is "
        "given under its standard.",
    ]
    circulated = key_findings(sections(report(delta, threshold=5))["Delta theme"])
    # The draft printed "c of 10 cases against 30 of 30 cases (100%)" beside the county's 32 of
    # 40: 32 - 30 gave NW's hidden 2 back. Now NW's figures go with the rest of the county's.
    plans = next(line for line in circulated if line.startswith("Plans are in place: "))
    assert plans.endswith(
        "North West (NW) met it less often than the rest of the county (figures withheld for "
        "circulation); a difference beyond chance (Fisher's exact test, Holm-adjusted p < 0.05)."
    )
    assert "30 of 30" not in plans and "2 of 10" not in plans
    # Nothing in D2 is small (0 is not suppressed), so it reads as without suppression.
    assert full[2] in circulated


def test_a_change_keeps_its_direction_when_the_earlier_figures_are_hidden(gamma):
    lines = key_findings(sections(report(gamma, threshold=5))["Gamma theme"])
    # Round 1 met G1 in 8 of 40 (32 not met): both may be shown. The exact p-value also rests on
    # this round's counts, so it is given only if they are shown too.
    plans = next(line for line in lines if line.startswith("Plans are reviewed: "))
    assert re.search(
        r"\. Up from 8 of 40 cases \(20%\) in Round 1: an improvement beyond chance \(Fisher's "
        r"exact test, p < 0\.(?:001|05)\)\.$",
        plans,
    ), plans
    # Round 1 met G4 in 36 of 40: its 4 not met is a small count, so 36 is withheld, and the
    # exact p-value with it (it would give 36 back); "beyond chance" already says p < 0.05.
    supervision = next(line for line in lines if line.startswith("Supervision is regular: "))
    assert supervision.endswith(
        ". Down since Round 1: a decline beyond chance (Fisher's exact test, p < 0.05); the "
        "earlier figures are withheld for circulation."
    )
    # With every standard's base withheld, no change is counted, and none is denied either.
    everything = sections(report(gamma, threshold=41))["Gamma theme"]
    assert (
        "No change since Round 1 is reported: the standards' figures are withheld for "
        "circulation." in everything
    )


COUNT = r"(\d+|c) of (\d+|c) cases?"
TRIANGLE = re.compile(
    rf"^[^:]+: (?:(?:{BANDS}) \(|met in ){COUNT}.*? met it (?:less|more) often than the rest of the "
    rf"county(?:: {COUNT}(?: \(\d+%\))? against {COUNT})?"
)


def derivable(printed: dict[str, int | None]) -> dict[str, int]:
    """Return every count a reader can work out from county = quadrant + rest, and not met."""
    known = {k: v for k, v in printed.items() if v is not None}
    for measure in ("met", "n"):
        county, here, rest = (f"{area}_{measure}" for area in ("county", "quadrant", "rest"))
        for target, a, b, sign in ((county, here, rest, 1), (here, county, rest, -1),
                                   (rest, county, here, -1)):  # fmt: skip
            if target not in known and a in known and b in known:
                known[target] = known[a] + sign * known[b]
    for area in ("county", "quadrant", "rest"):
        if f"{area}_met" in known and f"{area}_n" in known:
            known[f"{area}_not_met"] = known[f"{area}_n"] - known[f"{area}_met"]
    return known


@pytest.mark.parametrize("store_name, threshold", [
    ("delta", 3), ("delta", 5), ("delta", 10), ("gamma", 5), ("gamma", 10),
])  # fmt: skip
def test_no_printed_figures_give_back_a_small_count(request, store_name, threshold):
    store = request.getfixturevalue(store_name)
    lines = key_findings(sections(report(store, threshold=threshold))[titles(store)[store_name]])
    checked = 0
    for line in lines:
        if not (match := TRIANGLE.match(line)):
            continue
        values = [None if v in ("c", None) else int(v) for v in match.groups()]
        names = ["county_met", "county_n", "quadrant_met", "quadrant_n", "rest_met", "rest_n"]
        known = derivable(dict(zip(names, values, strict=True)))
        for name, value in known.items():
            assert value == 0 or value >= threshold, (name, value, line)
        checked += 1
    assert checked >= 1


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
    withheld = 0
    for title, lines in by_title.items():
        for match in findings_of(lines):
            met, n = match["met"], match["n"]
            assert int(n) >= 5, match["line"]
            if met == "c":
                # No share and no word for a hidden count ("consistently (c of 37)" gave a range).
                assert match["form"] == "withheld" and match["pct"] is None, match["line"]
                withheld += 1
            else:
                assert int(met) == 0 or int(met) >= 5, match["line"]
                assert int(n) - int(met) == 0 or int(n) - int(met) >= 5, match["line"]
        for line in lines:
            assert not re.search(rf"(?:{BANDS}) \(c of", line), line
            for part in re.findall(r"(\d+) of (\d+) cases", line):
                met, n = map(int, part)
                assert met in (0,) or met >= 5, (title, line)
    assert withheld >= 1
    assert any(line.startswith("Not reported for circulation (fewer than 5") for line in home)
    source = " ".join(by_title["Data source and method"])
    assert "counts from 1 to 4 are shown as \u201cc\u201d" in source


def test_cohort_total_of_one_hidden_as_c_is_plural():
    profile = pd.DataFrame(
        {"dimension": ["quadrant"], "value": ["NE"], "cases": [1], "share": [1.0]}
    )
    assert cohort_sentence(profile) == (
        "A total of 1 child's case was audited (North West 0; North East 1; South West 0; "
        "South East 0)."
    )
    # "A total of c child's case" would say the hidden total is 1.
    assert cohort_sentence(profile, threshold=5) == (
        "A total of c children's cases were audited (North West 0; North East c; South West 0; "
        "South East 0)."
    )


TINY_PNG = (  # a 1 x 1 white PNG, enough for python-docx to size the picture
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\r\xefF\xb8"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def drawn(monkeypatch) -> list:
    """Charts on, drawn into this list instead of a browser (the figures, in order)."""
    figures: list = []
    monkeypatch.setattr(report_document, "_image_export", lambda: (True, "test"))
    monkeypatch.setattr(
        report_document, "_render_png", lambda figure: figures.append(figure) or TINY_PNG
    )
    return figures


def plotted(figure, trace: str) -> dict[str, float]:
    """Return a trace's points as {standard's label: share}, NaN where a point is left out."""
    data = next(t for t in figure.data if t.name == trace)
    return dict(zip(data.y, (np.nan if x is None else float(x) for x in data.x), strict=True))


def test_circulation_charts_are_drawn_from_the_printed_figures(delta, drawn):
    document = report(delta, threshold=5, charts=True)
    assert len(document.inline_shapes) == 1 and len(drawn) == 1
    nw, county = plotted(drawn[0], "NW"), plotted(drawn[0], "County")
    # NW's 2 of 10 is hidden, so its point is left out; nothing in D2 is small.
    assert pd.isna(nw["D1 \u00b7 Plans are in place"])
    assert nw["D2 \u00b7 Visits are recorded"] == 0.0
    assert county["D2 \u00b7 Visits are recorded"] == 0.75
    assert drawn[0].layout.title.text == ""  # the caption says what the chart shows
    descr = document.inline_shapes[0]._inline.docPr.get("descr")
    assert descr == (
        "Dot chart: for each of the 3 standards, the share of applicable cases met in each "
        "quadrant (a dot with its 95% interval) and in the county (a vertical bar). Points whose "
        "counts are withheld for circulation are left out. The figures are listed under Key "
        "findings."
    )
    source = sections(document)["Data source and method"]
    assert (
        "Charts are drawn from the suppressed figures: a point whose count is withheld is left "
        "out." in source
    )
    # Without suppression every point is drawn.
    drawn.clear()
    report(delta, charts=True)
    assert plotted(drawn[0], "NW")["D1 \u00b7 Plans are in place"] == 0.2


def test_captions_say_what_is_shown_not_an_untested_difference(sample, drawn):
    document = report(sample, filters=Filters(quadrants=("NE",)), charts=True)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions[:4] == [
        "Figure 1. Share of applicable cases met, by standard and quadrant",
        "Final (April 2020) \u00b7 NE; all teams",
        "Figure 2. Share of applicable cases met, by standard: Interim (January 2020) and Final "
        "(April 2020)",
        "Interim (January 2020) to Final (April 2020) \u00b7 NE; all teams",
    ]
    # The dashboard's title here read "NE met 13 of 14 standards less often than the county"
    # above "No quadrant differed ... beyond chance"; no difference was beyond chance.
    texts = [p.text for p in document.paragraphs]
    assert (
        "North East (NE) did not differ from the rest of the county beyond chance on any "
        "standard (10 comparisons, Holm-adjusted)." in texts
    )
    assert not any("less often" in t or "more often" in t for t in texts)
    for caption in captions:
        assert not re.search(r"less often|more often|lowest|highest|[A-Z]+-\d+", caption), caption
    for shape in document.inline_shapes:
        assert not re.search(r"[A-Z]+-\d+", shape._inline.docPr.get("descr"))
    assert all(figure.layout.title.text == "" for figure in drawn)


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
    assert captions[0] == "Figure 1. Share of applicable cases met, by standard and quadrant"


def test_report_says_when_charts_are_unavailable(sample, monkeypatch):
    monkeypatch.setattr(report_document, "_image_export", lambda: (False, "no browser here"))
    document = report(sample, ["permanency"], charts=True)
    assert len(document.inline_shapes) == 0
    texts = [p.text for p in document.paragraphs]
    assert "Charts could not be included: no browser here." in texts


# --- inputs, progress, command line ----------------------------------------------------------


def test_rounds_and_bad_input(sample):
    document = report(sample, ["permanency"], Filters(round_id="2020-01-interim"))
    lines = sections(document)[titles(sample)["permanency"]]
    assert lines[1].startswith("A total of 40 children's cases were audited (North West 10;")
    assert wording.TREND_FIRST in lines
    # The title's month is the chosen round's (it ended in January 2020), not the latest.
    assert document.paragraphs[0].text == (
        "Quality Assurance Thematic Overview Report \u2014 January 2020"
    )
    # A round id belongs to a theme: without the theme the message says so and names it.
    with pytest.raises(AuditDataError, match=r"'2020-01-interim'.*--theme.*round of permanency"):
        build_report(sample, None, Filters(round_id="2020-01-interim"), charts=False)
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
    store = copy_store(sample_dir, tmp_path / "data")  # the report is recorded in its trail
    out = tmp_path / "report.docx"
    code, printed, _ = run_cli("report-doc", "--theme", "permanency", "--quadrant", "NE",
                               "--out", str(out), "--no-charts", "--suppress-below", "5",
                               "--marking", "OFFICIAL", "--data-dir", str(store))  # fmt: skip
    assert code == 0, printed
    assert docx.Document(out).sections[0].header.paragraphs[0].text == "OFFICIAL"
    event = audit_trail.read_trail(store).iloc[0]
    assert (event["action"], event["what"], event["theme_id"], event["quadrants"]) == (
        "export",
        "report.docx",
        "permanency",
        "NE",
    )
    assert event["mode"] == "for circulation: counts under 5 suppressed"
    assert str(out) in printed
    lines = sections(docx.Document(out))["Permanency for children"]
    assert lines[1].startswith("A total of 15 children's cases were audited (North East 15).")
    # NE's base for court timescales (11 applicable, 4 not applicable) is withheld, so that
    # standard is named only and left out of the count of changes and comparisons.
    assert (
        "Not reported for circulation (fewer than 5 applicable cases, or a figure that would "
        "reveal a smaller count): Court timescales are adhered to." in lines
    )
    assert (
        "Compared with Interim (January 2020), none of the 9 standards changed beyond chance; any "
        "difference could be due to chance, so no change is reported." in lines
    )
    assert (
        "North East (NE) did not differ from the rest of the county beyond chance on any "
        "standard (9 comparisons, Holm-adjusted)." in lines
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--theme", "nope"], "Unknown theme 'nope'"),
        # The wording of an unknown value is analytics.errors's; the test asks that it names both.
        (
            ["--theme", "missing", "--round", "r9"],
            re.compile(r"Unknown round(?=.*'r9')(?=.*missing)"),
        ),
        (["--suppress-below", "1"], "--suppress-below: must be 2 or more"),
        (["--quadrant", "XX"], "--quadrant: invalid choice: 'XX'"),
        (["--out", "no/such/folder/r.docx"], "--out: the folder no/such/folder does not exist"),
        (["--round", "2020-01-interim"], "a round can only be chosen together with its theme"),
    ],
)
def test_cli_bad_input_exits_2_naming_the_problem(sample_dir, tmp_path, args, message):
    out = ["--out", str(tmp_path / "r.docx")] if "--out" not in args else []
    code, _, err = run_cli("report-doc", *args, *out, "--no-charts", "--data-dir", str(sample_dir))
    assert code == 2
    assert message.search(err) if isinstance(message, re.Pattern) else message in err, err


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
            # "to under 80%": a share of 79.6% is "mostly", and is printed as such.
            assert f"{lower:.0%} to under {upper:.0%}" in doc
    assert f"``MIN_BAND_BASE`` ({wording.MIN_BAND_BASE})" in doc


def test_band_legend_and_method_note(sample_report):
    source = sections(sample_report)["Data source and method"]
    start = source.index(wording.SOURCE_METHOD)
    assert source[start + 1 : start + 6] == [
        "\u201cconsistently\u201d: 80% or more of applicable cases met",
        "\u201cmostly\u201d: 60% to under 80% met",
        "\u201cvariable\u201d: 40% to under 60% met",
        "\u201cnot routinely\u201d: under 40% met",
        "A word is given only where at least 10 cases were applicable; bases under 20 cases also "
        "show the Wilson 95% interval. Changes between rounds are tested standard by standard "
        "(Fisher's exact test, two-sided, p < 0.05) and are not adjusted for the number of "
        "standards tested, so across many standards an occasional change may be reported by "
        "chance. Quadrant differences are tested against the other quadrants pooled (Fisher's "
        "exact test) and adjusted with Holm's correction across all the theme's quadrant "
        "comparisons, so the chance of reporting even one spurious difference stays at 5%.",
    ]


def test_holm_adjust_equals_statsmodels():
    # Ours for speed (its docstring says why); statsmodels' as the oracle, ties and 1s included.
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(7)
    cases = [[0.01, 0.04, 0.03, 0.005], [0.02, 0.02, 0.02], [0.9, 0.5, 1.0], [0.0, 1e-12]]
    cases += [list(rng.uniform(0, 0.2, size=n)) for n in (1, 2, 5, 13, 40)]
    for p_values in cases:
        expected = multipletests(p_values, method="holm")[1]
        assert holm_adjust(p_values) == pytest.approx(list(expected), abs=1e-15), p_values


def test_numbers_in_words():
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert band_pct(0.5) == "50%"
    assert band_pct(0.796) == "79.6%"  # "80%" would read as the next band
    assert band_pct(0.3996) == "39.96%"


def one_standard_trend(change: float, beyond: bool) -> pd.DataFrame:
    return pd.DataFrame([{"question_id": "Q1", "n_from": 20, "n_to": 20, "change": change,
                          "beyond_chance": beyond}])  # fmt: skip


def test_plurals_at_one():
    assert wording.counted(1, "standard") == "1 standard"
    assert wording.counted(2, "standard") == "2 standards"
    assert wording.counted("c", "case") == "c cases"
    assert Share(1, 1).brief() == "1 of 1 case (100%)"
    assert Share(None, 1).counts() == "c of 1 case"
    assert trend_summary(one_standard_trend(0.05, False), "Round 1") == (
        "Compared with Round 1, the one standard compared did not change beyond chance; any "
        "difference could be due to chance, so no change is reported."
    )
    assert trend_summary(one_standard_trend(0.5, True), "Round 1") == (
        "Compared with Round 1, the one standard compared improved beyond chance."
    )
    two = pd.concat([one_standard_trend(0.5, True), one_standard_trend(-0.5, True)])
    assert trend_summary(two, "Round 1") == (
        "Compared with Round 1, all 2 standards changed beyond chance (1 improved, 1 declined)."
    )
    two.iloc[1, two.columns.get_loc("beyond_chance")] = False
    assert trend_summary(two, "Round 1") == (
        "Compared with Round 1, 1 of 2 standards changed beyond chance (1 improved); for the "
        "other one, any difference could be due to chance, so it is not reported as a change."
    )
    one = pd.DataFrame([{"question_id": "Q1", "quadrant": "NE", "beyond_chance": False}])
    assert quadrant_summary(one, {"Q1"}, ("NE",)) == (
        "North East (NE) did not differ from the rest of the county beyond chance on any "
        "standard (1 comparison, Holm-adjusted)."
    )
    one["beyond_chance"] = True
    assert quadrant_summary(one, {"Q1"}, ("NE",)) == (
        "The one quadrant comparison showed a difference beyond chance; it is given under its "
        "standard."
    )
    pair = pd.DataFrame([{"question_id": "Q1", "quadrant": q, "beyond_chance": False}
                         for q in ("NW", "SE")])  # fmt: skip
    assert quadrant_summary(pair, {"Q1"}, ("NW", "SE")) == (
        "Neither North West (NW) nor South East (SE) differed from the rest of the county beyond "
        "chance on any standard (2 comparisons, Holm-adjusted)."
    )


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


@pytest.mark.parametrize(
    ("manifest", "line"),
    [
        (
            {"synthetic": True},
            "Source: synthetic sample data generated by Audit Insight; no real child is described.",
        ),
        (
            {"synthetic": False},
            "Source: audit results imported into Audit Insight from the audit tool.",
        ),
        ({}, "Source: audit results imported into Audit Insight from the audit tool."),
        (
            {
                "synthetic": "mixed",
                "notice": "Sample rounds: permanency. Imported: missing/2021-05.",
            },
            "Source: synthetic sample data and imported audit rounds. Sample rounds: permanency. "
            "Imported: missing/2021-05.",
        ),
    ],
)
def test_the_source_line_says_what_the_store_holds(manifest, line):
    from analytics.report_doc.document import _source_line

    assert _source_line(manifest) == line


# --- layout: A4, column widths, captions, RAG cells ------------------------------------------


def test_every_section_is_a4_with_20_mm_margins(sample_report):
    assert len(sample_report.sections) >= 1
    for section in sample_report.sections:
        size = (round(section.page_width.mm, 1), round(section.page_height.mm, 1))
        margins = [round(m.mm, 1) for m in (section.left_margin, section.right_margin,
                                            section.top_margin, section.bottom_margin)]  # fmt: skip
        assert (size, margins) == ((210.0, 297.0), [20.0, 20.0, 20.0, 20.0])


def table_widths(table) -> tuple[list[int], list[list[int]]]:
    """Return the table's grid widths and each row's cell widths, in twips (as written)."""
    grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    cells = [[int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in row._tr.tc_lst]
             for row in table.rows]  # fmt: skip
    return grid, cells


def test_action_plan_columns_fit_their_content_and_the_page(sample_report):
    section = sample_report.sections[0]
    text_width = Emu(section.page_width - section.left_margin - section.right_margin).twips
    assert text_width == 9638  # 170 mm
    for table in sample_report.tables:
        grid, cells = table_widths(table)
        assert sum(grid) == text_width and len(set(grid)) > 1, grid
        assert all(row == grid for row in cells)  # Word reads the cells, LibreOffice the grid
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        assert table._tbl.tblPr.find(qn("w:tblW")).get(qn("w:w")) == str(text_width)
        columns = [[cell.text for cell in column.cells] for column in table.columns]
        widths_mm = [Twips(w).mm for w in grid]
        for column, width in zip(columns, widths_mm, strict=True):
            for row, text in enumerate(column):
                # No word is broken, and short texts (dates, statuses) stay on one line.
                longest = max(report_document.text_mm(word, row == 0) for word in text.split())
                assert longest + report_document.CELL_PADDING_MM <= width, (text, width)
                whole = report_document.text_mm(text, row == 0) + report_document.CELL_PADDING_MM
                if whole <= report_document.SHORT_TEXT_MM:
                    assert whole <= width, (text, width)
        # The long texts get the room: the action column is wider than the due dates'.
        assert widths_mm[0] > widths_mm[3]


def test_column_widths_by_hand():
    # "1 May 2020" in Arial 10 pt: 1 (556) + space (278) + M (833) + a (556) + y (500) + space
    # (278) + 2020 (4 x 556) = 5225/1000 em = 18.43 mm, + 4.8 mm of cell margins = 23.2: 24 mm.
    # Its bold header "Due date" is narrower (15.7 mm); the long column gets the rest.
    long_text = "word " * 120
    assert report_document.column_widths([["Due date", "1 May 2020"], ["Action", long_text]],
                                         170) == [24, 146]  # fmt: skip
    # Two equally long columns share the page equally.
    assert report_document.column_widths([["A", long_text], ["B", long_text]], 170) == [85, 85]


def test_no_table_cell_or_next_step_repeats_a_word(sample_report, tiny):
    doubled = re.compile(r"\b(\w+)\b\W+\1\b", re.IGNORECASE)
    for document in (sample_report, report(tiny)):
        for table in document.tables:
            for row in table.rows:
                for cell in row.cells:
                    assert not doubled.search(cell.text), cell.text
    assert report_theme.status_and_rag("Complete", "Complete") == "Complete"
    assert report_theme.status_and_rag("In progress", "Overdue") == "In progress \u00b7 Overdue"
    assert (report_theme.status_and_rag("complete", "complete", wording.NEXT_ACTION_STATUS)
            == "complete")  # fmt: skip
    assert (report_theme.status_and_rag("delayed", "overdue", wording.NEXT_ACTION_STATUS)
            == "delayed, overdue")  # fmt: skip


def test_rag_cells_are_coloured_with_readable_text(tiny):
    table = report(tiny).tables[0]
    cells = [row.cells[-1] for row in table.rows[1:]]
    fills = [cell._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) for cell in cells]
    inks = [cell.paragraphs[0].runs[0].font.color.rgb for cell in cells]
    # Overdue red and Complete navy take white text; Due soon orange and On track teal read
    # better in black (contrast 7.1 and 6.7 to 1, against 3.0 and 3.1 for white).
    assert [(cell.text, fill, str(ink) if ink else None)
            for cell, fill, ink in zip(cells, fills, inks, strict=True)] == [
        ("In progress \u00b7 Overdue", "D4351C", "FFFFFF"),
        ("Not started \u00b7 Due soon", "F46A25", None),
        ("In progress \u00b7 On track", "28A197", None),
        ("Complete", "12436D", "FFFFFF"),
    ]  # fmt: skip


def test_captions_are_kept_with_their_figures(sample, drawn):
    document = report(sample, ["permanency"], charts=True)
    paragraphs = document.paragraphs
    pictures = [i for i, p in enumerate(paragraphs) if p._p.xpath(".//w:drawing")]
    assert len(pictures) == 2
    for i in pictures:
        above, figure, below = paragraphs[i - 1], paragraphs[i], paragraphs[i + 1]
        assert above.text.startswith("Figure ") and above.style.name == "Caption"
        assert below.style.name == "Caption" and below.text
        # The caption holds to the picture and the picture to its note: one block on a page.
        assert [p.paragraph_format.keep_with_next for p in (above, figure, below)] == [
            True, True, None,
        ]  # fmt: skip
        assert all(p.paragraph_format.keep_together for p in (above, figure, below))


def test_the_report_drafted_on_the_dashboard_is_a4(tiny_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AUDIT_DATA_DIR", str(tiny_dir))
    monkeypatch.setattr(report_document, "_image_export", lambda: (False, "not in this test"))

    def page() -> None:
        from ui.report import report_button

        report_button(["alpha"], key="a4")

    app = AppTest.from_function(page, default_timeout=60).run()
    app.button(key="report_doc_a4_build").click().run()
    assert not app.exception and len(app.get("download_button")) == 1
    _, data = app.session_state["report_doc_a4"]  # the bytes the download button offers
    document = docx.Document(io.BytesIO(data))
    assert [(round(s.page_width.mm), round(s.page_height.mm)) for s in document.sections] == [
        (210, 297)
    ]
    assert [cell.text for cell in document.tables[0].rows[4].cells][-1] == "Complete"


def test_every_page_carries_the_protective_marking(tiny):
    marked = report(tiny, marking="OFFICIAL-SENSITIVE")
    edges = [(s.header.paragraphs[0], s.footer.paragraphs[0]) for s in marked.sections]
    assert [(h.text, f.text) for h, f in edges] == [("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE")]
    assert all(p.runs[0].bold for pair in edges for p in pair)
    # The default is the pack's default; an empty marking prints nothing.
    assert report(tiny).sections[0].header.paragraphs[0].text == DEFAULT_MARKING
    assert report(tiny, marking=" ").sections[0].header.paragraphs[0].text == ""


def test_the_dashboards_marking_field_marks_the_pack_and_the_report(tiny_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AUDIT_DATA_DIR", str(tiny_dir))
    monkeypatch.setattr(report_document, "_image_export", lambda: (False, "not in this test"))

    def page() -> None:
        from ui.report import meeting_outputs

        meeting_outputs("alpha", "alpha")

    app = AppTest.from_function(page, default_timeout=60).run()
    assert [t.label for t in app.text_input] == ["Protective marking"]  # one field for both
    app.text_input(key="alpha_marking").set_value("OFFICIAL").run()
    app.button(key="report_doc_alpha_report_build").click().run()
    assert not app.exception, app.exception
    _, data = app.session_state["report_doc_alpha_report"]
    assert docx.Document(io.BytesIO(data)).sections[0].footer.paragraphs[0].text == "OFFICIAL"
