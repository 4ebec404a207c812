"""Numbers in words for the report: shares, the cohort, key findings, changes, quadrant tests.

Each function returns plain strings or small frozen records, so the wording can be tested word
for word without opening a document. See analytics.report_doc.wording for the method in prose.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd

from analytics import stats
from analytics.disclosure.suppression import SUPPRESSED, for_circulation
from analytics.domain import COUNTY, QUADRANT_LABELS, QUADRANTS, wording_band
from analytics.narrative import area_name, pct
from analytics.report_doc import wording as W

GROUP_STRENGTH = "strength"
GROUP_IMPROVEMENT = "improvement"
GROUP_UNCHARACTERISED = "uncharacterised"  # too few cases for a word, or met count withheld
GROUP_NOT_APPLICABLE = "not applicable"
GROUP_SUPPRESSED = "suppressed"  # base withheld for circulation: named only


# --- numbers in words ------------------------------------------------------------------------


def long_date(value: object) -> str:
    """Return a date as "1 February 2020" ("" when missing)."""
    if value is None or pd.isna(value):  # pd.NaT is a datetime, so test for missing first
        return ""
    day = pd.Timestamp(value).date()
    return f"{day.day} {day:%B %Y}"


def band_pct(share: float) -> str:
    """Return a share as a percentage whose rounding never crosses into another band."""
    for places in (0, 1, 2, 3):
        text = f"{share:.{places}%}"
        if wording_band(float(text[:-1]) / 100) == wording_band(share):
            return text
    return f"{share:.4%}"


def p_text(p_value: float) -> str:
    """Return a p-value as "= 0.031" or "< 0.001"."""
    return "< 0.001" if p_value < 0.001 else f"= {p_value:.3f}"


@dataclass(frozen=True)
class Share:
    """A met-of-n result as printed; None stands for a count withheld for circulation ("c")."""

    met: int | None
    n: int | None

    @property
    def known(self) -> bool:
        """Return whether both counts may be printed (and so the share and its interval)."""
        return self.met is not None and self.n is not None

    def counts(self) -> str:
        """Return "7 of 21 cases", "1 of 1 case" or "c of 37 cases"."""
        shown = [SUPPRESSED if v is None else str(v) for v in (self.met, self.n)]
        return W.COUNTS.format(met=shown[0], n=W.counted(shown[1], "case"))

    def pct(self) -> str | None:
        """Return the share met ("33%"), or None when it may not be stated."""
        # (the same test as `known and n`, spelt out so the type checker follows it)
        return band_pct(self.met / self.n) if self.met is not None and self.n else None

    def detail(self) -> str | None:
        """Return "33%" and, for a base under SMALL_BASE, "; 95% interval 6% to 79%"."""
        shown, met, n = self.pct(), self.met, self.n
        if shown is None or met is None or n is None or n >= W.SMALL_BASE:  # shown: both known
            return shown
        low, high = stats.wilson_interval(met, n)
        return shown + W.INTERVAL.format(low=pct(low), high=pct(high))

    def brief(self) -> str:
        """Return "8 of 22 cases (36%)" for comparisons (no percentage when it is hidden)."""
        shown = self.pct()
        return self.counts() if shown is None else W.BRIEF.format(counts=self.counts(), pct=shown)


# --- what a circulation copy may print --------------------------------------------------------


class Printable:
    """One theme's quadrant comparison, and which sums of its cells the report may print.

    For circulation the cells come from analytics.disclosure.suppression.for_circulation, which
    already models the county as the sum of the quadrants and hides every cell a published sum
    or difference would give back. A figure the report adds (the rest of the county, pooled
    quadrants) is printed only if it follows from cells left shown, so it reveals nothing new.
    """

    def __init__(self, comparison: pd.DataFrame, threshold: int | None = None):
        self.threshold = threshold
        self.frame = comparison.reset_index(drop=True)
        self.shown = (
            None
            if threshold is None or self.frame.empty
            else for_circulation(self.frame, "quadrant_comparison", threshold)
        )
        selected = self.frame[self.frame["selected"]] if len(self.frame) else self.frame
        self._selected = {
            q: tuple(rows["quadrant"]) for q, rows in selected.groupby("question_id", sort=False)
        }
        self._at = {
            (q, area): i
            for i, (q, area) in enumerate(
                zip(self.frame.get("question_id", []), self.frame.get("quadrant", []), strict=True)
            )
        }

    def _cell(self, question: str, area: str, column: str) -> int | None:
        i = self._at[(question, area)]
        if self.shown is not None and self.shown[column].iat[i] == SUPPRESSED:
            return None
        return int(self.frame[column].iat[i])

    def value(self, question: str, areas: Collection[str], column: str) -> int | None:
        """Return the sum of `column` over the areas, or None where printing it would reveal."""
        cells = [self._cell(question, area, column) for area in areas]
        shown = [v for v in cells if v is not None]
        if len(shown) == len(cells):
            return sum(shown)
        if COUNTY in areas:
            return None
        # Quadrants whose sum is the county less quadrants that are shown: already published.
        county = self._cell(question, COUNTY, column)
        others = [self._cell(question, q, column) for q in QUADRANTS if q not in areas]
        others_shown = [v for v in others if v is not None]
        if county is None or len(others_shown) < len(others):
            return None
        return county - sum(others_shown)

    def share(self, question: str, areas: Collection[str]) -> Share:
        """Return met of n for the areas as they may be printed."""
        met, n = self.value(question, areas, "met"), self.value(question, areas, "n")
        threshold = self.threshold
        if threshold is not None:
            # A last check, whatever the table's model: never a small met, n or not-met count.
            def small(value: int | None) -> bool:
                return value is not None and 0 < value < threshold

            if small(n):
                met, n = None, None
            elif small(met) or (met is not None and n is not None and small(n - met)):
                met = None
        return Share(met, n)

    def selection(self, question: str) -> Share:
        """Return met of n for the selected rows (the county when no quadrant is chosen)."""
        return self.share(question, self._selected.get(question, (COUNTY,)))


# --- the cohort ------------------------------------------------------------------------------


def _shown_counts(profile: pd.DataFrame, dimension: str, threshold: int | None) -> dict[str, str]:
    frame = profile.reset_index(drop=True)
    shown = frame if threshold is None else for_circulation(frame, "cohort_profile", threshold)
    rows = (frame["dimension"] == dimension).to_numpy()
    return {str(v): str(c) for v, c in zip(frame["value"][rows], shown["cases"][rows], strict=True)}


def cohort_sentence(
    profile: pd.DataFrame, quadrants: Sequence[str] = (), threshold: int | None = None
) -> str:
    """Return "A total of 61 children's cases were audited (North West 15; ...)"."""
    by_quadrant = profile[profile["dimension"] == "quadrant"].set_index("value")["cases"]
    if by_quadrant.empty or by_quadrant.sum() == 0:
        return W.COHORT_NONE
    areas = [q for q in QUADRANTS if not quadrants or q in quadrants]
    shown = _shown_counts(profile, "quadrant", threshold)
    parts = "; ".join(f"{QUADRANT_LABELS[q]} {shown.get(q, '0')}" for q in areas)
    total = int(by_quadrant.sum())
    # The cohort profile's rule treats the total as published; a total under the threshold is
    # itself a small count (and every part of it is hidden, so it follows from nothing shown).
    if threshold is not None and total < threshold:
        return W.COHORT.format(total=SUPPRESSED, parts=parts)
    return (
        W.COHORT_ONE.format(parts=parts)
        if total == 1
        else W.COHORT.format(total=total, parts=parts)
    )


def gender_sentence(profile: pd.DataFrame, threshold: int | None = None) -> str | None:
    """Return "The children audited were 12 female and 9 male." (None without gender data)."""
    genders = profile[profile["dimension"] == "gender"].set_index("value")["cases"]
    if genders.empty:
        return None
    # Recorded genders first, largest group first, so the sentence reads like the seed's.
    order = sorted(genders.index, key=lambda g: (g == "Not recorded", -int(genders[g]), g))
    shown = _shown_counts(profile, "gender", threshold)
    words = [f"{shown[g]} {g.lower()}" for g in order]
    parts = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return W.GENDER_SENTENCE.format(parts=parts)


# --- quadrant differences --------------------------------------------------------------------


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Return Holm step-down adjusted p-values, in the input order.

    statsmodels' multipletests(method="holm") gives the same (tests/test_report_doc.py checks
    it) but runs gc.collect() on every call: 70 to 190 ms in a report's process, 0.85 s a report.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def quadrant_differences(frame: pd.DataFrame, quadrants: Sequence[str] = ()) -> pd.DataFrame:
    """Return per question x quadrant the test of the quadrant against the rest of the county.

    Columns: question_id, quadrant, met, n, met_rest, n_rest, change, p_value, p_adjusted,
    test, beyond_chance. `frame` is queries.quadrant_comparison; only the chosen quadrants (all
    four if none) are tested, and Holm's correction runs across every test in the frame.
    """
    tested = [q for q in QUADRANTS if not quadrants or q in quadrants]
    county = frame[frame["quadrant"] == COUNTY].set_index("question_id")
    rows = []
    for cell in frame[frame["quadrant"].isin(tested)].itertuples(index=False):
        met, n = int(cell.met), int(cell.n)
        met_rest = int(county.at[cell.question_id, "met"]) - met
        n_rest = int(county.at[cell.question_id, "n"]) - n
        if n == 0 or n_rest == 0:
            continue
        test = stats.change_test(met_rest, n_rest, met, n)
        rows.append(
            {"question_id": cell.question_id, "quadrant": cell.quadrant, "met": met, "n": n,
             "met_rest": met_rest, "n_rest": n_rest, "change": test.change,
             "p_value": test.p_value, "test": test.method}
        )  # fmt: skip
    columns = ["question_id", "quadrant", "met", "n", "met_rest", "n_rest", "change", "p_value",
               "p_adjusted", "test", "beyond_chance"]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=columns)
    tests = pd.DataFrame(rows)
    tests["p_adjusted"] = holm_adjust(tests["p_value"].tolist())
    tests["beyond_chance"] = tests["p_adjusted"] < W.ALPHA
    return tests[columns]


def quadrant_sentence(row: pd.Series, printable: Printable | None = None) -> str:
    """Return the sentence for one quadrant difference that is beyond chance."""
    more = row["change"] > 0
    question, quadrant = row["question_id"], row["quadrant"]
    if printable is None:
        here = Share(int(row["met"]), int(row["n"]))
        rest = Share(int(row["met_rest"]), int(row["n_rest"]))
    else:
        here = printable.share(question, (quadrant,))
        rest = printable.share(question, [q for q in QUADRANTS if q != quadrant])
    name = W.TEST_NAMES[row["test"]]
    if not (here.known and rest.known):
        # The exact p-value would give the hidden counts back; "beyond chance" already says p<.05.
        template = W.QUADRANT_MORE_WITHHELD if more else W.QUADRANT_LESS_WITHHELD
        test = W.TEST_HOLM.format(test=name, p=W.P_BELOW_ALPHA)
        return template.format(area=area_name(quadrant), test=test)
    template = W.QUADRANT_MORE if more else W.QUADRANT_LESS
    test = W.TEST_HOLM.format(test=name, p=p_text(row["p_adjusted"]))
    return template.format(
        area=area_name(quadrant), quadrant=here.brief(), rest=rest.brief(), test=test
    )


def _areas_differed(quadrants: Sequence[str]) -> str:
    chosen = [q for q in QUADRANTS if q in quadrants]
    if not chosen or len(chosen) == len(QUADRANTS):
        return W.NO_QUADRANT
    names = [area_name(q) for q in chosen]
    if len(names) == 1:
        return W.ONE_QUADRANT.format(area=names[0])
    if len(names) == 2:
        return W.TWO_QUADRANTS.format(first=names[0], second=names[1])
    return W.SOME_QUADRANTS.format(areas=", ".join(names[:-1]) + " and " + names[-1])


def quadrant_summary(
    differences: pd.DataFrame, reported: Collection[str], quadrants: Sequence[str] = ()
) -> str | None:
    """Return how many quadrant comparisons of the reported standards were beyond chance."""
    if not len(differences):
        return None
    tested = differences[differences["question_id"].isin(list(reported))]
    if tested.empty:
        return None
    comparisons, k = len(tested), int(tested["beyond_chance"].astype(bool).sum())
    if k == 0:
        return W.QUADRANT_NONE.format(
            who=_areas_differed(quadrants), comparisons=W.counted(comparisons, "comparison")
        )
    if comparisons == 1:
        return W.QUADRANT_ONLY_ONE
    listed = W.counted(comparisons, W.COMPARISON)
    if k == 1:
        return W.QUADRANT_SOME_ONE.format(comparisons=listed)
    return W.QUADRANT_SOME.format(k=k, comparisons=listed)


# --- round-on-round change -------------------------------------------------------------------


def earlier_printable(row: pd.Series, shown: pd.Series | None, threshold: int | None) -> bool:
    """Return whether a round_trend row's earlier-round met and n may be printed."""
    if shown is None or threshold is None:
        return True
    met, n = int(row["met_from"]), int(row["n_from"])
    return (
        shown["met_from"] != SUPPRESSED
        and shown["n_from"] != SUPPRESSED
        # As for the findings, a last check: never a small met or not-met count.
        and not any(0 < v < threshold for v in (met, n - met))
    )


def change_sentence(
    row: pd.Series,
    round_label: str,
    shown: pd.Series | None = None,
    current_known: bool = True,
    threshold: int | None = None,
) -> str | None:
    """Return the sentence for a change beyond chance (None for a change within noise).

    `shown` is the row as circulated (for_circulation of round_trend, with `threshold`);
    `current_known` says whether the current round's counts are printed, since the exact
    p-value rests on both rounds.
    """
    if not bool(row["beyond_chance"]) or row["change"] == 0:
        return None
    up = row["change"] > 0
    name = W.TEST_NAMES[row["test"]]
    if not earlier_printable(row, shown, threshold):
        template = W.IMPROVED_WITHHELD if up else W.DECLINED_WITHHELD
        test = W.TEST_PLAIN.format(test=name, p=W.P_BELOW_ALPHA)
        return template.format(round=round_label, test=test)
    exact = current_known and (shown is None or shown["p_value"] != SUPPRESSED)
    test = W.TEST_PLAIN.format(test=name, p=p_text(row["p_value"]) if exact else W.P_BELOW_ALPHA)
    before = Share(int(row["met_from"]), int(row["n_from"])).brief()
    return (W.IMPROVED if up else W.DECLINED).format(before=before, round=round_label, test=test)


def circulated_trend(trend: pd.DataFrame, threshold: int | None) -> pd.DataFrame | None:
    """Return queries.round_trend as circulated (row positions kept), or None when not."""
    if threshold is None or not len(trend):
        return None
    return for_circulation(trend.reset_index(drop=True), "round_trend", threshold)


def trend_summary(
    trend: pd.DataFrame, round_label: str | None, left_out: Collection[str] = ()
) -> str:
    """Return how many standards changed beyond chance since the earlier round, and how.

    Standards in `left_out` (those not reported, their base withheld for circulation) are
    neither counted nor compared.
    """
    compared = trend[(trend["n_from"] > 0) & (trend["n_to"] > 0)] if len(trend) else trend
    if round_label is None or compared.empty:
        return W.TREND_FIRST
    compared = compared[~compared["question_id"].isin(list(left_out))]
    if compared.empty:
        return W.TREND_WITHHELD.format(round=round_label)
    beyond = compared["beyond_chance"].astype(bool)
    up = int((beyond & (compared["change"] > 0)).sum())
    down = int((beyond & (compared["change"] < 0)).sum())
    total, changed = len(compared), up + down
    if total == 1:
        if changed == 0:
            return W.TREND_NONE_ONE.format(round=round_label)
        return W.TREND_ALL_ONE.format(round=round_label, verb="improved" if up else "declined")
    if changed == 0:
        return W.TREND_NONE.format(round=round_label, total=total)
    counted = ((up, W.IMPROVED_COUNT), (down, W.DECLINED_COUNT))
    parts = ", ".join(template.format(k=k) for k, template in counted if k)
    if changed == total:
        return W.TREND_ALL.format(round=round_label, total=total, parts=parts)
    template = W.TREND_SOME_ONE_LEFT if total - changed == 1 else W.TREND_SOME
    return template.format(
        round=round_label, changed=changed, total=total, parts=parts, rest=total - changed
    )


# --- findings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One key finding: the standard's result as a sentence, and remarks beyond chance.

    `met`, `n` and `pct_met` are the true figures; the sentence prints only what may be shown.
    """

    question_id: str
    text: str
    met: int
    n: int
    pct_met: float | None
    band: str | None
    group: str  # one of the GROUP_ constants
    sentence: str = ""
    remarks: tuple[str, ...] = ()

    def paragraph(self) -> str:
        """Return the sentence followed by its remarks."""
        return " ".join((self.sentence, *self.remarks))


def finding_sentence(text: str, result: Share) -> tuple[str, str | None]:
    """Return the finding's sentence and its band word (None when no word may be given)."""
    text = text.rstrip(".")
    if result.met is None:
        return W.FINDING_WITHHELD.format(text=text, counts=result.counts()), None
    assert result.n is not None  # a met count is never shown on a hidden base
    if result.n < W.MIN_BAND_BASE:
        return W.FINDING_FEW.format(text=text, counts=result.counts(), detail=result.detail()), None
    band = wording_band(result.met / result.n)
    sentence = W.FINDING.format(
        text=text, band=band, counts=result.counts(), detail=result.detail()
    )
    return sentence, band


def findings(
    comparison: pd.DataFrame,
    trend: pd.DataFrame,
    differences: pd.DataFrame,
    earlier_label: str | None,
    threshold: int | None = None,
    printable: Printable | None = None,
) -> list[Finding]:
    """Return the findings of one theme: strengths (highest first), areas (lowest first), then
    the standards given no word, not applicable, or withheld, in the audit tool's order.

    `comparison` is queries.quadrant_comparison; the selected rows (the county when no
    quadrant is chosen) are pooled into each standard's result. `printable` is
    Printable(comparison, threshold), passed in when the caller already has it.
    """
    printable = printable or Printable(comparison, threshold)
    selected = comparison[comparison["selected"]]
    pooled = selected.groupby(["question_id", "text"], sort=False)[["met", "n"]].sum().reset_index()
    changes = trend.reset_index(drop=True) if len(trend) else pd.DataFrame()
    changes_shown = circulated_trend(changes, threshold)
    at = {q: i for i, q in enumerate(changes["question_id"])} if len(changes) else {}
    beyond = differences[differences["beyond_chance"].astype(bool)] if len(differences) else None
    out = []
    for row in pooled.itertuples(index=False):
        met, n = int(row.met), int(row.n)
        result = {"question_id": row.question_id, "text": row.text, "met": met, "n": n}
        if n == 0:
            out.append(Finding(**result, pct_met=None, band=None, group=GROUP_NOT_APPLICABLE))
            continue
        printed = printable.selection(row.question_id) if threshold is not None else Share(met, n)
        if printed.n is None:
            out.append(Finding(**result, pct_met=met / n, band=None, group=GROUP_SUPPRESSED))
            continue
        remarks = []
        if earlier_label and row.question_id in at:
            i = at[row.question_id]
            sentence = change_sentence(
                changes.iloc[i],
                earlier_label,
                None if changes_shown is None else changes_shown.iloc[i],
                current_known=printed.known,
                threshold=threshold,
            )
            if sentence:
                remarks.append(sentence)
        if beyond is not None:
            for _, diff in beyond[beyond["question_id"] == row.question_id].iterrows():
                remarks.append(
                    quadrant_sentence(diff, printable if threshold is not None else None)
                )
        sentence, band = finding_sentence(row.text, printed)
        if band is None:
            group = GROUP_UNCHARACTERISED
        else:
            group = GROUP_STRENGTH if band in W.STRENGTH_BANDS else GROUP_IMPROVEMENT
        out.append(
            Finding(**result, pct_met=met / n, band=band, group=group, sentence=sentence,
                    remarks=tuple(remarks))
        )  # fmt: skip
    strengths = sorted(
        (f for f in out if f.group == GROUP_STRENGTH), key=lambda f: (-_share(f), f.question_id)
    )
    areas = sorted(
        (f for f in out if f.group == GROUP_IMPROVEMENT), key=lambda f: (_share(f), f.question_id)
    )
    rest = [f for f in out if f.group not in (GROUP_STRENGTH, GROUP_IMPROVEMENT)]
    return [*strengths, *areas, *rest]


def _share(finding: Finding) -> float:
    assert finding.pct_met is not None  # a strength or an area for improvement has answers
    return finding.pct_met


def listed(findings_: Sequence[Finding], group: str) -> str:
    """Return the standards of one group joined for a one-line note ("A; B")."""
    return "; ".join(f.text.rstrip(".") for f in findings_ if f.group == group)


def reported(findings_: Sequence[Finding]) -> set[str]:
    """Return the question ids whose result the report states (not withheld, not empty)."""
    return {
        f.question_id for f in findings_ if f.group not in (GROUP_SUPPRESSED, GROUP_NOT_APPLICABLE)
    }
