"""Every phrase the thematic overview report uses, declared once, and the method in prose.

How findings are worded (README-ready; docs/report.md has the full reference)
------------------------------------------------------------------------------

Each key finding names one practice standard (a question of the theme's audit tool), says in
one word how often it was met, and gives the count behind that word::

    Subsequent visits are carried out within timescale: not routinely (7 of 21 cases, 33%).

The share is Met ÷ applicable answers (Met + Partially met + Not met; Not applicable is left
out), for the chosen round, quadrants and teams. The word comes from four bands, declared once
in ``analytics.domain.WORDING_BANDS`` and read from there by the code:

=================  ================  ==========================
share met          word              listed under
=================  ================  ==========================
80% or more        "consistently"    Strengths
60% to under 80%   "mostly"          Strengths
40% to under 60%   "variable"        Areas for improvement
under 40%          "not routinely"   Areas for improvement
=================  ================  ==========================

The band is taken from the exact share; where rounding to a whole percentage would print a
figure from the next band (79.6% as "80%"), the report prints one more decimal instead.
Strengths come first, highest share first; then areas for improvement, lowest share first.

A word needs at least ``MIN_BAND_BASE`` (10) applicable cases: below that the finding gives
the count, the share and its Wilson 95% interval and says there are too few cases to
characterise (2 of 2 cases has an interval from 34% to 100%, which spans three bands). Such
findings, and any whose met count is withheld for circulation, are listed after the areas for
improvement in the audit tool's order, so their place in the list gives nothing away. A base
under 20 cases also carries its Wilson 95% interval.

Round-on-round change is mentioned only where ``queries.round_trend`` (the dashboard's
dumbbell chart) finds it beyond chance: Fisher's exact test (two-proportion z-test above 2,000
cases), two-sided, p < 0.05, each standard on its own. This test is *not* adjusted for the
number of standards compared, so across a dozen standards an occasional change may be reported
by chance; the report says so in its method note. A rise is then called an improvement and a
fall a decline; every other change is left unreported, and the section says how many.

A quadrant is said to differ only where its share differs from the rest of the county's (the
other quadrants pooled, same round and teams) beyond chance: each quadrant against the rest
with ``stats.change_test`` (Fisher's exact test), and Holm's step-down correction across every
quadrant comparison in the theme, so that among the four quadrants times a dozen standards the
chance of reporting even one spurious difference stays at 5%. Testing against the rest rather
than the county total keeps the quadrant out of its own comparison.

For circulation (a suppression threshold N) the report prints only what the circulated
dashboard tables print: ``analytics.disclosure.suppression.for_circulation`` hides counts from 1
to N-1 in the theme's quadrant comparison (every quadrant and the county) and every cell a
published sum or difference would give back. A figure the report adds, such as the rest of
the county or the pooled selected quadrants, is printed only when it can be worked out from
cells left shown (so it reveals nothing new); otherwise it is "c". As a last check, whatever
the table shows, no met count, base or not-met count from 1 to N-1 is printed. A share,
interval or exact p-value is not stated when a count it rests on is hidden, a word is never
given for a hidden met count, and a standard whose base is hidden is listed by name only (and
left out of the counts of changes and comparisons). Charts are drawn from the same suppressed
data: a point whose count is hidden is left out.
"""

from __future__ import annotations

from typing import Final

from analytics.domain import WORDING_BANDS

STRENGTH_BANDS: Final[tuple[str, ...]] = tuple(
    word for lower, word in WORDING_BANDS if lower >= 0.60
)
"""Bands reported as strengths; the rest are areas for improvement (as in the seed report)."""

MIN_BAND_BASE: Final = 10
"""Fewest applicable cases for which a finding is given a band word."""

SMALL_BASE: Final = 20
"""Bases below this also show the Wilson 95% interval."""

ALPHA: Final = 0.05
"""Significance level for round changes (per standard) and quadrant differences (after Holm)."""

TEST_NAMES: Final[dict[str, str]] = {
    "fisher": "Fisher's exact test",
    "two-proportion z": "two-proportion z-test",
}


def plural(count: int | str, singular: str, plural_form: str | None = None) -> str:
    """Return the noun for a count as printed: "case" for 1, "cases" otherwise (and for "c")."""
    return singular if str(count) == "1" else (plural_form or singular + "s")


def counted(count: int | str, singular: str, plural_form: str | None = None) -> str:
    """Return "1 standard", "2 standards", "c cases"."""
    return f"{count} {plural(count, singular, plural_form)}"


# --- phrases, one per idea: the report is reworded here and nowhere else ----------------------

REPORT_TITLE: Final = "Quality Assurance Thematic Overview Report"
DRAFT_NOTE: Final = (
    "Draft generated by Audit Insight from the audit data on {date}. Every number comes from "
    "the audit data for the rounds and filters stated; edit the wording before circulation."
)
INTRO: Final[tuple[str, ...]] = (
    "The Quality Assurance division delivers a programme of thematic audits to assure "
    "ourselves that practice is improving across the system. Findings are reported to the "
    "Safeguarding Executive as part of its oversight of the improvement programme.",
    "Thematic audits (sometimes called \u201cdeep dives\u201d) look at the quality of work "
    "with children and families in one service area: an agreed number of cases, each audited "
    "on a bespoke audit tool for that area. They are one part of our quality assurance "
    "activity and should be read alongside other measures of the effectiveness of practice.",
)
COMPLETED_INTRO: Final = "To date the following thematic audits have been completed:"
NONE_COMPLETED: Final = "No thematic audit has been completed yet."
LATER_POINTER: Final = "Thematic audits underway or planned are listed in section {number}."
COVERS: Final = "This report covers: {themes}."
COMPLETED_ITEM: Final = "{title}: {label}, audits from {start} to {end}"
CONCLUDING_ITEM: Final = "{title}: audits from {start} to {end}, being concluded"
PLANNED_ITEM: Final = "{title}, led by {lead}: {label}, {start} to {end}"
PLANNED_ITEM_NO_ROUND: Final = "{title}, led by {lead}"

SECTION_AUDITED: Final = "What was audited"
SECTION_FINDINGS: Final = "Key findings"
SECTION_QUOTES: Final = "What practitioners and managers said"
SECTION_RECOMMENDATIONS: Final = "Recommendations"
SECTION_ACTIONS: Final = "Action plan"
SECTION_NEXT: Final = "Next steps"
SECTION_FUTURE: Final = "Future thematic audits"
SECTION_SOURCE: Final = "Data source and method"

STRENGTHS: Final = "Strengths (met consistently or mostly)"
AREAS: Final = "Areas for improvement (variable, or not routinely met)"
UNCHARACTERISED: Final = "Too few cases to characterise"
UNCHARACTERISED_CIRCULATION: Final = (
    "Not characterised (too few cases, or the count is withheld for circulation)"
)

COHORT: Final = "A total of {total} children's cases were audited ({parts})."
COHORT_ONE: Final = "A total of 1 child's case was audited ({parts})."
COHORT_NONE: Final = "No cases were audited in this round and selection."
GENDER_SENTENCE: Final = "The children audited were {parts}."
ROUND: Final = "Round: {label}, audits from {start} to {end}."
SELECTION: Final = "Selection: {selection}."

FINDING: Final = "{text}: {band} ({counts}, {detail})."
FINDING_FEW: Final = "{text}: met in {counts} ({detail}), too few to characterise."
FINDING_WITHHELD: Final = "{text}: met in {counts} (withheld for circulation)."
COUNTS: Final = "{met} of {n}"
BRIEF: Final = "{counts} ({pct})"
INTERVAL: Final = "; 95% interval {low} to {high}"
NOT_APPLICABLE_NOTE: Final = "Not applicable to any case in this selection: {texts}."
SUPPRESSED_BASE: Final = (
    "Not reported for circulation (fewer than {threshold} applicable cases, or a figure that "
    "would reveal a smaller count): {texts}."
)
NO_FINDINGS: Final = "There are no findings to report for this round and selection."

IMPROVED: Final = "Up from {before} in {round}: an improvement beyond chance ({test})."
DECLINED: Final = "Down from {before} in {round}: a decline beyond chance ({test})."
IMPROVED_WITHHELD: Final = (
    "Up since {round}: an improvement beyond chance ({test}); the earlier figures are withheld "
    "for circulation."
)
DECLINED_WITHHELD: Final = (
    "Down since {round}: a decline beyond chance ({test}); the earlier figures are withheld for "
    "circulation."
)
TREND_SOME: Final = (
    "Compared with {round}, {changed} of {total} standards changed beyond chance ({parts}); "
    "for the other {rest}, any difference could be due to chance, so none is reported as a "
    "change."
)
TREND_SOME_ONE_LEFT: Final = (
    "Compared with {round}, {changed} of {total} standards changed beyond chance ({parts}); "
    "for the other one, any difference could be due to chance, so it is not reported as a "
    "change."
)
TREND_ALL: Final = "Compared with {round}, all {total} standards changed beyond chance ({parts})."
TREND_ALL_ONE: Final = "Compared with {round}, the one standard compared {verb} beyond chance."
TREND_NONE: Final = (
    "Compared with {round}, none of the {total} standards changed beyond chance; any "
    "difference could be due to chance, so no change is reported."
)
TREND_NONE_ONE: Final = (
    "Compared with {round}, the one standard compared did not change beyond chance; any "
    "difference could be due to chance, so no change is reported."
)
TREND_FIRST: Final = "There is no earlier audited round of this theme to compare with."
TREND_WITHHELD: Final = (
    "No change since {round} is reported: the standards' figures are withheld for circulation."
)
IMPROVED_COUNT: Final = "{k} improved"
DECLINED_COUNT: Final = "{k} declined"

QUADRANT_MORE: Final = (
    "{area} met it more often than the rest of the county: {quadrant} against {rest}; a "
    "difference beyond chance ({test})."
)
QUADRANT_LESS: Final = (
    "{area} met it less often than the rest of the county: {quadrant} against {rest}; a "
    "difference beyond chance ({test})."
)
QUADRANT_MORE_WITHHELD: Final = (
    "{area} met it more often than the rest of the county (figures withheld for "
    "circulation); a difference beyond chance ({test})."
)
QUADRANT_LESS_WITHHELD: Final = (
    "{area} met it less often than the rest of the county (figures withheld for "
    "circulation); a difference beyond chance ({test})."
)
QUADRANT_NONE: Final = (
    "{who} from the rest of the county beyond chance on any standard ({comparisons}, "
    "Holm-adjusted)."
)
NO_QUADRANT: Final = "No quadrant differed"
ONE_QUADRANT: Final = "{area} did not differ"
TWO_QUADRANTS: Final = "Neither {first} nor {second} differed"
SOME_QUADRANTS: Final = "None of {areas} differed"
QUADRANT_SOME: Final = (
    "{k} of {comparisons} showed a difference beyond chance (Holm-adjusted); each is given "
    "under its standard."
)
QUADRANT_SOME_ONE: Final = (
    "1 of {comparisons} showed a difference beyond chance (Holm-adjusted); it is given under "
    "its standard."
)
QUADRANT_ONLY_ONE: Final = (
    "The one quadrant comparison showed a difference beyond chance; it is given under its standard."
)
COMPARISON: Final = "quadrant comparison"
TEST_PLAIN: Final = "{test}, p {p}"
TEST_HOLM: Final = "{test}, Holm-adjusted p {p}"
P_BELOW_ALPHA: Final = "< 0.05"

QUOTE: Final = "\u201c{text}\u201d \u2014 {who}"
NO_QUOTES: Final = "No quotes are recorded for this round and selection."
NO_RECOMMENDATIONS: Final = "No recommendations are recorded for this theme."
NO_ACTIONS: Final = "No actions are recorded for this theme."
ACTIONS_ARE_RECOMMENDATIONS: Final = (
    "No separate action plan is recorded; the recommendations are tracked as follows."
)
ACTION_COLUMNS: Final[tuple[str, ...]] = (
    "Action", "Intended outcome", "Owner", "Due date", "Status (RAG)",
)  # fmt: skip
NO_DUE_DATE: Final = "Not set"
RAG_AS_OF: Final = "RAG as of {date}, the end of the latest audited round."
NEXT_ROUND: Final[dict[str, str]] = {
    "planned": "{label} is planned for {start} to {end}.",
    "underway": "{label} is underway ({start} to {end}).",
}
NEXT_ACTION: Final = "{text} (owner: {owner}; due {due}; {status})."
NEXT_ACTION_STATUS: Final = "{status}, {rag}"
NO_NEXT_STEPS: Final = "No further round is planned yet."

FUTURE_INTRO: Final[dict[str, str]] = {
    "underway": "The following thematic audits are underway:",
    "planned": "The following thematic audits are planned:",
}
NO_FUTURE: Final = "No further thematic audits are planned."

FIGURE_CAPTION: Final = "Figure {k}. {title}"
CAPTION_QUADRANTS: Final = "Share of applicable cases met, by standard and quadrant"
CAPTION_TREND: Final = "Share of applicable cases met, by standard: {before} and {after}"
FIGURE_NOTE: Final = "{round} \u00b7 {filters}"
ALT_QUADRANTS: Final = (
    "Dot chart: for each of the {standards}, the share of applicable cases met in each "
    "quadrant (a dot with its 95% interval) and in the county (a vertical bar).{withheld} The "
    "figures are listed under Key findings."
)
ALT_TREND: Final = (
    "Dumbbell chart: for each of the {standards}, the share of applicable cases met in "
    "{before} (open dot) and {after} (filled dot), each labelled beyond chance or within "
    "noise, with changes beyond chance drawn darker.{withheld} The figures and tests are "
    "given under Key findings."
)
ALT_WITHHELD: Final = " Points whose counts are withheld for circulation are left out."
CHARTS_OFF: Final = "Charts were left out of this report at the user's request."
CHARTS_UNAVAILABLE: Final = "Charts could not be included: {reason}."
CHARTS_CIRCULATION: Final = (
    "Charts are drawn from the suppressed figures: a point whose count is withheld is left out."
)
CHART_FAILED: Final = "Chart could not be drawn: {reason}."

SOURCE_SYNTHETIC: Final = (
    "Source: synthetic sample data generated by Audit Insight; no real child is described."
)
SOURCE_REAL: Final = "Source: audit results imported into Audit Insight from the audit tool."
SOURCE_MIXED: Final = "Source: synthetic sample data and imported audit rounds. {notice}"
SOURCE_FILTERS: Final = "Filters: {filters}."
SOURCE_SUPPRESSION: Final = (
    "Prepared for circulation: counts from 1 to {below} are shown as \u201cc\u201d, with a "
    "further count hidden where a total or difference would reveal one; percentages, "
    "intervals and exact p-values are not stated where a count they rest on is hidden."
)
SOURCE_GENERATED: Final = "Generated on {date} by Audit Insight."
SOURCE_SNAPSHOT: Final = (
    "Read from store snapshot {snapshot}: `python -m analytics report-doc --as-of {snapshot}` "
    "drafts it again from the same data."
)
SOURCE_METHOD: Final = (
    "Share met = Met \u00f7 (Met + Partially met + Not met); Not applicable answers are left "
    "out. The word given with each finding comes from these bands:"
)
SOURCE_TESTS: Final = (
    "A word is given only where at least {min_base} cases were applicable; bases under "
    "{small} cases also show the Wilson 95% interval. Changes between rounds are tested "
    "standard by standard (Fisher's exact test, two-sided, p < 0.05) and are not adjusted for "
    "the number of standards tested, so across many standards an occasional change may be "
    "reported by chance. Quadrant differences are tested against the other quadrants pooled "
    "(Fisher's exact test) and adjusted with Holm's correction across all the theme's quadrant "
    "comparisons, so the chance of reporting even one spurious difference stays at 5%."
)
BAND_ROW: Final = "{word}: {rule}"
BAND_RULE_TOP: Final = "{low} or more of applicable cases met"
BAND_RULE_MID: Final = "{low} to under {high} met"
BAND_RULE_BOTTOM: Final = "under {high} met"

SIGN_OFF: Final[tuple[str, ...]] = (
    "Report author (role): [to be completed by the Quality Assurance team]",
    "Date of issue: [to be completed]",
)
