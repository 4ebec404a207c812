"""Numbers in words for the report: shares, the cohort, key findings, changes, quadrant tests.

Each function returns plain strings or small frozen records, so the wording can be tested word
for word without opening a document. See analytics.report_doc.wording for the method in prose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analytics import stats
from analytics.domain import COUNTY, QUADRANT_LABELS, QUADRANTS, wording_band
from analytics.narrative import area_name, pct
from analytics.report_doc import wording as W

STRENGTH, IMPROVEMENT, NOT_APPLICABLE, SUPPRESSED = (
    "strength",
    "improvement",
    "not applicable",
    "suppressed",
)


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
    """A met-of-n result as printed: counts (or "c") and the percentage when it may be stated."""

    met: str
    n: str
    pct: str | None
    interval: tuple[str, str] | None

    def counts(self) -> str:
        """Return "7 of 21 cases, 33%" (or with "c" and no percentage)."""
        if self.pct is None:
            return W.COUNTS.format(met=self.met, n=self.n)
        return W.COUNTS_PCT.format(met=self.met, n=self.n, pct=self.pct)

    def brief(self) -> str:
        """Return "8 of 22 cases (36%)" for comparisons (no percentage when it is hidden)."""
        counts = W.COUNTS.format(met=self.met, n=self.n)
        return counts if self.pct is None else W.BRIEF.format(counts=counts, pct=self.pct)

    def with_interval(self) -> str:
        """Return the counts and, for a small base, the Wilson interval."""
        if self.interval is None:
            return self.counts()
        low, high = self.interval
        return self.counts() + W.INTERVAL.format(low=low, high=high)


def share(met: int, n: int, threshold: int | None = None, interval: bool = False) -> Share:
    """Return met of n as printed, suppressed for circulation when a threshold is given."""
    fraction = met / n if n else math.nan
    low, high = stats.wilson_interval(met, n) if n else (math.nan, math.nan)
    row = pd.DataFrame(
        {"met": [met], "other": [n - met], "n": [n], "pct": [fraction], "low": [low],
         "high": [high]}
    )  # fmt: skip
    if threshold is not None:
        # "other" (not met or partially met) is a count too: 9 of 10 would give away a 1.
        row = stats.suppress_table(
            row, ["met", "other"], "n", {"pct": "met", "low": "met", "high": "met"}, threshold
        )
    # Read cells by column: a row taken whole would turn every count into a float.
    hidden = row.at[0, "pct"] == stats.SUPPRESSED
    shown = None if hidden or not n else band_pct(fraction)
    bounds = None
    if interval and shown is not None and n < W.SMALL_BASE:
        bounds = (pct(low), pct(high))
    return Share(str(row.at[0, "met"]), str(row.at[0, "n"]), shown, bounds)


def base_hidden(n: int, threshold: int | None) -> bool:
    """Return whether a base of n is too small to state a percentage for circulation."""
    return threshold is not None and 0 < n < threshold


def suppressed_counts(counts: dict[str, int], threshold: int | None) -> dict[str, str]:
    """Return counts as strings, with small ones (and one revealing them via the total) "c"."""
    total = sum(counts.values())
    row = pd.DataFrame([{**counts, "__total": total}])
    if threshold is not None:
        row = stats.suppress_counts(row, list(counts), threshold, "__total")
    cell = row.iloc[0]
    return {key: str(cell[key]) for key in [*counts, "__total"]}


# --- the cohort ------------------------------------------------------------------------------


def cohort_sentence(
    profile: pd.DataFrame, quadrants: Sequence[str] = (), threshold: int | None = None
) -> str:
    """Return "A total of 61 children's cases were audited (North West 15; ...)"."""
    by_quadrant = profile[profile["dimension"] == "quadrant"].set_index("value")["cases"]
    if by_quadrant.empty or by_quadrant.sum() == 0:
        return W.COHORT_NONE
    areas = [q for q in QUADRANTS if not quadrants or q in quadrants]
    shown = suppressed_counts({q: int(by_quadrant.get(q, 0)) for q in areas}, threshold)
    parts = "; ".join(f"{QUADRANT_LABELS[q]} {shown[q]}" for q in areas)
    template = W.COHORT_ONE if int(by_quadrant.sum()) == 1 else W.COHORT
    return template.format(total=shown["__total"], parts=parts)


def gender_sentence(profile: pd.DataFrame, threshold: int | None = None) -> str | None:
    """Return "The children audited were 12 female and 9 male." (None without gender data)."""
    genders = profile[profile["dimension"] == "gender"].set_index("value")["cases"]
    if genders.empty:
        return None
    # Recorded genders first, largest group first, so the sentence reads like the seed's.
    order = sorted(genders.index, key=lambda g: (g == "Not recorded", -int(genders[g]), g))
    shown = suppressed_counts({g: int(genders[g]) for g in order}, threshold)
    words = [f"{shown[g]} {g.lower()}" for g in order]
    parts = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return W.GENDERS.format(parts=parts)


# --- quadrant differences --------------------------------------------------------------------


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Return Holm step-down adjusted p-values, in the input order."""
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


def quadrant_sentence(row: pd.Series, threshold: int | None = None) -> str:
    """Return the sentence for one quadrant difference that is beyond chance."""
    template = W.QUADRANT_MORE if row["change"] > 0 else W.QUADRANT_LESS
    test = W.TEST_HOLM.format(test=W.TEST_NAMES[row["test"]], p=p_text(row["p_adjusted"]))
    return template.format(
        area=area_name(row["quadrant"]),
        quadrant=share(int(row["met"]), int(row["n"]), threshold).brief(),
        rest=share(int(row["met_rest"]), int(row["n_rest"]), threshold).brief(),
        test=test,
    )


# --- round-on-round change -------------------------------------------------------------------


def change_sentence(row: pd.Series, round_label: str, threshold: int | None = None) -> str | None:
    """Return the sentence for a change beyond chance (None for a change within noise)."""
    if not bool(row["beyond_chance"]) or row["change"] == 0:
        return None
    template = W.IMPROVED if row["change"] > 0 else W.DECLINED
    before = share(int(row["met_from"]), int(row["n_from"]), threshold).brief()
    test = W.TEST_PLAIN.format(test=W.TEST_NAMES[row["test"]], p=p_text(row["p_value"]))
    return template.format(before=before, round=round_label, test=test)


def trend_summary(trend: pd.DataFrame, round_label: str | None) -> str:
    """Return how many standards changed beyond chance since the earlier round, and how."""
    compared = trend[(trend["n_from"] > 0) & (trend["n_to"] > 0)] if len(trend) else trend
    if round_label is None or compared.empty:
        return W.TREND_FIRST
    beyond = compared["beyond_chance"].astype(bool)
    up = int((beyond & (compared["change"] > 0)).sum())
    down = int((beyond & (compared["change"] < 0)).sum())
    total, changed = len(compared), up + down
    if changed == 0:
        return W.TREND_NONE.format(round=round_label, total=total)
    counted = ((up, W.IMPROVED_COUNT), (down, W.DECLINED_COUNT))
    parts = ", ".join(template.format(k=k) for k, template in counted if k)
    if changed == total:
        return W.TREND_ALL.format(round=round_label, total=total, parts=parts)
    return W.TREND_SOME.format(
        round=round_label, changed=changed, total=total, parts=parts, rest=total - changed
    )


# --- findings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One key finding: the standard's result as a sentence, and remarks beyond chance."""

    question_id: str
    text: str
    met: int
    n: int
    pct_met: float | None
    band: str | None
    group: str  # STRENGTH, IMPROVEMENT, NOT_APPLICABLE or SUPPRESSED
    sentence: str = ""
    remarks: tuple[str, ...] = ()

    def paragraph(self) -> str:
        """Return the sentence followed by its remarks."""
        return " ".join((self.sentence, *self.remarks))


def finding_sentence(text: str, met: int, n: int, threshold: int | None = None) -> str:
    """Return "<standard>: <band> (<met> of <n> cases, <pct>)." for a base that may be stated."""
    return W.FINDING.format(
        text=text.rstrip("."),
        band=wording_band(met / n),
        counts=share(met, n, threshold, interval=True).with_interval(),
    )


def findings(
    comparison: pd.DataFrame,
    trend: pd.DataFrame,
    differences: pd.DataFrame,
    earlier_label: str | None,
    threshold: int | None = None,
) -> list[Finding]:
    """Return the findings of one theme: strengths (highest first), then areas (lowest first).

    `comparison` is queries.quadrant_comparison; the selected rows (the county when no
    quadrant is chosen) are pooled into each standard's result.
    """
    pooled = (
        comparison[comparison["selected"]]
        .groupby(["question_id", "text"], sort=False)[["met", "n"]]
        .sum()
        .reset_index()
    )
    changes = trend.set_index("question_id") if len(trend) else pd.DataFrame()
    beyond = differences[differences["beyond_chance"].astype(bool)] if len(differences) else None
    out = []
    for row in pooled.itertuples(index=False):
        met, n = int(row.met), int(row.n)
        result = {"question_id": row.question_id, "text": row.text, "met": met, "n": n}
        if n == 0:
            out.append(Finding(**result, pct_met=None, band=None, group=NOT_APPLICABLE))
            continue
        if base_hidden(n, threshold):
            out.append(Finding(**result, pct_met=met / n, band=None, group=SUPPRESSED))
            continue
        remarks = []
        if earlier_label and row.question_id in changes.index:
            sentence = change_sentence(changes.loc[row.question_id], earlier_label, threshold)
            if sentence:
                remarks.append(sentence)
        if beyond is not None:
            for _, diff in beyond[beyond["question_id"] == row.question_id].iterrows():
                remarks.append(quadrant_sentence(diff, threshold))
        band = wording_band(met / n)
        out.append(
            Finding(
                **result,
                pct_met=met / n,
                band=band,
                group=STRENGTH if band in W.STRENGTH_BANDS else IMPROVEMENT,
                sentence=finding_sentence(row.text, met, n, threshold),
                remarks=tuple(remarks),
            )
        )
    strengths = sorted(
        (f for f in out if f.group == STRENGTH), key=lambda f: (-f.pct_met, f.question_id)
    )
    areas = sorted(
        (f for f in out if f.group == IMPROVEMENT), key=lambda f: (f.pct_met, f.question_id)
    )
    rest = [f for f in out if f.group in (NOT_APPLICABLE, SUPPRESSED)]
    return [*strengths, *areas, *rest]


def listed(findings_: Sequence[Finding], group: str) -> str:
    """Return the standards of one group joined for a one-line note ("A; B")."""
    return "; ".join(f.text.rstrip(".") for f in findings_ if f.group == group)
