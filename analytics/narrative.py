"""Sentences generated from the numbers: chart titles, alt text, speaker notes, report findings.

Every sentence states only what its frame shows; changes are called changes only when the test
says they are beyond chance.
"""

from __future__ import annotations

import math

import pandas as pd

from analytics.domain import COUNTY, QUADRANT_LABELS


def pct(value: float) -> str:
    """Return a share as a whole percentage ("42%"), or "–" when undefined."""
    return (
        "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0%}"
    )


def short(text: str, limit: int = 60) -> str:
    """Return text cut to `limit` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def area_name(quadrant: str) -> str:
    """Return "North East (NE)" for a quadrant code, or the county."""
    return (
        f"{QUADRANT_LABELS[quadrant]} ({quadrant})" if quadrant in QUADRANT_LABELS else "the county"
    )


def selection_name(quadrants: tuple[str, ...] | list[str]) -> str:
    """Return the selected quadrants in words ("NE", "NE and SW") or "the county"."""
    if not quadrants:
        return "the county"
    return " and ".join(quadrants) if len(quadrants) <= 2 else ", ".join(quadrants)


def quadrant_comparison_title(frame: pd.DataFrame, quadrants: tuple[str, ...] = ()) -> str:
    """Return the finding of a quadrant comparison: how the selection compares with the county."""
    if frame.empty or frame["n"].sum() == 0:
        return "No audit results for this selection"
    county = frame[frame["quadrant"] == COUNTY].set_index("question_id")["pct_met"]
    total = int(county.notna().sum())
    if quadrants:
        chosen = frame[frame["quadrant"].isin(quadrants) & (frame["n"] > 0)]
        pooled = chosen.groupby("question_id")[["met", "n"]].sum()
        share = pooled["met"] / pooled["n"]
        lower = int((share < county.reindex(share.index)).sum())
        return (
            f"{selection_name(quadrants)} met {lower} of {len(share)} standards "
            "less often than the county"
        )
    worst = county.idxmin()
    return (
        f"{total} standards: lowest is {worst} ({pct(county.min())} met), "
        f"highest {county.idxmax()} ({pct(county.max())})"
    )


def quadrant_comparison_alt(frame: pd.DataFrame) -> str:
    """Return one sentence describing the quadrant comparison for screen readers."""
    if frame.empty or frame["n"].sum() == 0:
        return "No audit results to show."
    areas = frame[frame["quadrant"] != COUNTY].groupby("quadrant")[["met", "n"]].sum()
    areas = areas[areas["n"] > 0]
    shares = (areas["met"] / areas["n"]).sort_values()
    county = frame[frame["quadrant"] == COUNTY][["met", "n"]].sum()
    return (
        f"Dot chart of the share of cases meeting each of {frame['question_id'].nunique()} "
        f"standards by quadrant: overall {pct(county['met'] / county['n'])} met in the county "
        f"(n={int(county['n'])}), lowest quadrant {shares.index[0]} ({pct(shares.iloc[0])}), "
        f"highest {shares.index[-1]} ({pct(shares.iloc[-1])})."
    )


def finding_frequency_title(frame: pd.DataFrame) -> str:
    """Return the finding of a ranked not-met list: the most often unmet standard."""
    chosen = frame[frame["scope"] == "Selection"]
    if chosen.empty:
        return "No audit results for this selection"
    top = chosen.iloc[0]
    return f"Most often not met: {short(top['text'], 70)} ({pct(top['pct_not_met'])} not met)"


def finding_frequency_alt(frame: pd.DataFrame) -> str:
    """Return one sentence describing the ranked not-met chart."""
    chosen = frame[frame["scope"] == "Selection"]
    if chosen.empty:
        return "No audit results to show."
    top = chosen.head(3)
    listed = "; ".join(f"{r.question_id} {pct(r.pct_not_met)}" for r in top.itertuples())
    return (
        f"Bar chart ranking {len(chosen)} standards by the share of cases not met; "
        f"the top three are {listed}."
    )


def round_trend_title(trend: pd.DataFrame) -> str:
    """Return the finding of a round-on-round comparison, counting only changes beyond chance."""
    if trend.empty:
        return "Only one audit round so far"
    up = int((trend["beyond_chance"] & (trend["change"] > 0)).sum())
    down = int((trend["beyond_chance"] & (trend["change"] < 0)).sum())
    if up == 0 and down == 0:
        return f"No change beyond chance in {len(trend)} standards since the previous round"
    parts = []
    if up:
        parts.append(f"{up} improved")
    if down:
        parts.append(f"{down} declined")
    return f"{' and '.join(parts)} beyond chance; {len(trend) - up - down} within noise"


def round_trend_alt(trend: pd.DataFrame) -> str:
    """Return one sentence describing the dumbbell chart."""
    if trend.empty:
        return "No earlier round to compare with."
    beyond = trend[trend["beyond_chance"]]
    listed = "; ".join(
        f"{r.question_id} {pct(r.pct_met_from)} to {pct(r.pct_met_to)}" for r in beyond.itertuples()
    )
    return (
        f"Dumbbell chart of the share met in {len(trend)} standards between "
        f"{trend['round_from'].iloc[0]} and {trend['round_to'].iloc[0]}"
        + (f"; beyond chance: {listed}." if listed else "; no change is beyond chance.")
    )


def cohort_title(profile: pd.DataFrame) -> str:
    """Return the cohort sentence ("61 cases: NW 15; NE 15; ...")."""
    by_quadrant = profile[profile["dimension"] == "quadrant"].set_index("value")["cases"]
    if by_quadrant.empty:
        return "No cases audited for this selection"
    parts = "; ".join(f"{q} {int(by_quadrant[q])}" for q in QUADRANT_LABELS if q in by_quadrant)
    return f"{int(by_quadrant.sum())} cases audited ({parts})"


def cohort_alt(profile: pd.DataFrame) -> str:
    """Return one sentence describing the cohort bars."""
    if profile.empty:
        return "No cases to show."
    grades = profile[profile["dimension"] == "overall_grade"].sort_values("cases", ascending=False)
    top = grades.iloc[0]
    return (
        f"Bar charts of the audited cases by quadrant, team, gender, age band and grade; "
        f"the most common overall grade is {top['value']} ({int(top['cases'])} cases)."
    )


def category_matrix_title(matrix: pd.DataFrame) -> str:
    """Return the finding of the category matrix: the weakest category across themes."""
    overall = matrix[(matrix["theme_id"] == "All themes") & (matrix["quadrant"] == COUNTY)]
    if overall.empty:
        return "No audit results for this selection"
    worst = overall.sort_values("pct_met").iloc[0]
    return f"Weakest practice area across themes: {worst['category']} ({pct(worst['pct_met'])} met)"


def category_matrix_alt(matrix: pd.DataFrame) -> str:
    """Return one sentence describing the category heatmap."""
    overall = matrix[(matrix["theme_id"] == "All themes") & (matrix["quadrant"] == COUNTY)]
    if overall.empty:
        return "No audit results to show."
    ranked = overall.sort_values("pct_met")
    return (
        f"Heatmap of the share met for {len(ranked)} practice areas across themes, from "
        f"{ranked.iloc[0]['category']} ({pct(ranked.iloc[0]['pct_met'])}) to "
        f"{ranked.iloc[-1]['category']} ({pct(ranked.iloc[-1]['pct_met'])})."
    )


def theme_heatmap_title(summary: pd.DataFrame) -> str:
    """Return the finding of the theme x quadrant heatmap: the lowest theme overall."""
    county = summary[summary["quadrant"] == COUNTY]
    if county.empty:
        return "No audit results yet"
    worst = county.sort_values("pct_met").iloc[0]
    return f"Lowest overall: {worst['title']} ({pct(worst['pct_met'])} of standards met)"


def theme_heatmap_alt(summary: pd.DataFrame) -> str:
    """Return one sentence describing the theme x quadrant heatmap."""
    county = summary[summary["quadrant"] == COUNTY].sort_values("pct_met")
    if county.empty:
        return "No audit results to show."
    return (
        f"Heatmap of the share of standards met for {len(county)} themes by quadrant; overall "
        f"from {county.iloc[0]['title']} ({pct(county.iloc[0]['pct_met'])}) to "
        f"{county.iloc[-1]['title']} ({pct(county.iloc[-1]['pct_met'])})."
    )
