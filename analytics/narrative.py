"""Sentences generated from the numbers: chart titles, alt text, speaker notes, report findings.

Every sentence states only what its frame shows; changes are called changes only when the test
says they are beyond chance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics import stats
from analytics.domain import COUNTY, QUADRANT_LABELS, RAG_ORDER, RAG_OVERDUE


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


# Characters that Markdown (and Streamlit's extensions: :emoji:, $math$, :red[colour]) reads.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def escape_markdown(text: object) -> str:
    """Return text from the data escaped so a Markdown renderer (st.title, st.caption, st.info)
    shows it literally: every character Markdown could read as markup gets a backslash."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


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


MINUS = "\u2212"  # a typographic minus for text; st.metric needs an ASCII "-" (see below)


def signed_points(change: float) -> str:
    """Return a change (a share's difference, -1 to 1) in percentage points, signed: "+5 pts",
    "\u221220 pts", "0 pts"; one decimal where whole points would hide the direction."""
    points = float(change) * 100
    whole = round(points)
    if whole == 0 and points != 0:
        return f"{'+' if points > 0 else MINUS}{abs(points):.1f} pts"
    return f"{'+' if whole > 0 else MINUS if whole < 0 else ''}{abs(whole)} pts"


def _lowest_highest(names: list[str], shares: list[float]) -> str:
    """Return "lowest A (10%), highest B (90%)" for items ordered by share, or the words for one
    item ("only A (10%)") or for equal shares ("all at 10%")."""
    if len(names) == 1:
        return f"only {names[0]} ({pct(shares[0])})"
    if min(shares) == max(shares):
        return f"all at {pct(shares[0])}"
    return f"lowest {names[0]} ({pct(shares[0])}), highest {names[-1]} ({pct(shares[-1])})"


def no_cases_message(teams: Sequence[str], quadrants: Sequence[str], where: str) -> str:
    """Return the plain message for a selection without cases: "No cases match: team T1 has no
    cases in round Final of Permanency." (`where` names the round and theme)."""
    subject = []
    if teams:
        subject.append(("team " if len(teams) == 1 else "teams ") + ", ".join(teams))
    if quadrants:
        subject.append(("in " if teams else "") + ", ".join(quadrants))
    several = len(teams) > 1 or (not teams and len(quadrants) > 1)
    verb = "have" if several else "has"
    return f"No cases match: {' '.join(subject) or 'the selection'} {verb} no cases in {where}."


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
    ranked = county.dropna().sort_values(kind="stable")
    if total == 1:
        return f"1 standard: {ranked.index[0]} at {pct(ranked.iloc[0])} met"
    if ranked.min() == ranked.max():
        return f"{total} standards, all at {pct(ranked.iloc[0])} met"
    return (
        f"{total} standards: lowest is {ranked.index[0]} ({pct(ranked.iloc[0])} met), "
        f"highest {ranked.index[-1]} ({pct(ranked.iloc[-1])})"
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
        f"(n={int(county['n'])}); by quadrant, "
        f"{_lowest_highest(list(shares.index), list(shares))}."
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
        return f"No change beyond chance in {len(trend)} standards between the two rounds"
    parts = []
    if up:
        parts.append(f"{up} improved")
    if down:
        parts.append(f"{down} declined")
    return f"{' and '.join(parts)} beyond chance; {len(trend) - up - down} within noise"


def round_trend_alt(trend: pd.DataFrame, labels: dict[str, str] | None = None) -> str:
    """Return one sentence describing the dumbbell chart (rounds named by their labels)."""
    if trend.empty:
        return "No earlier round to compare with."
    names = labels or {}
    beyond = trend[trend["beyond_chance"]]
    listed = "; ".join(
        f"{r.question_id} {'up' if r.change > 0 else 'down'} from {pct(r.pct_met_from)} to "
        f"{pct(r.pct_met_to)}"
        for r in beyond.itertuples()
    )
    first, second = str(trend["round_from"].iloc[0]), str(trend["round_to"].iloc[0])
    return (
        f"Dumbbell chart of the share met in {len(trend)} standards between "
        f"{names.get(first, first)} and {names.get(second, second)}"
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
    ranked = overall.sort_values("pct_met", kind="stable")
    return (
        f"Heatmap of the share met for {_plural(len(ranked), 'practice area')} across themes: "
        f"{_lowest_highest(list(ranked['category']), list(ranked['pct_met']))}."
    )


def _heatmap_selection(summary: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """Return where the heatmap's finding is about ("overall", or "in NE, SW") and per theme the
    selection's pooled n, met and pct_met, lowest share first."""
    chosen = summary["selected"] if "selected" in summary.columns else None
    if chosen is None or not chosen.any() or summary.loc[chosen, "quadrant"].eq(COUNTY).all():
        rows, where = summary[summary["quadrant"] == COUNTY], "overall"
    else:
        rows = summary[chosen]
        where = "in " + ", ".join(dict.fromkeys(rows["quadrant"]))
    pooled = rows.groupby("title", sort=False)[["n", "met"]].sum().reset_index()
    pooled = pooled[pooled["n"] > 0]
    pooled["pct_met"] = pooled["met"] / pooled["n"]
    return where, pooled.sort_values("pct_met", kind="stable").reset_index(drop=True)


def theme_heatmap_title(summary: pd.DataFrame) -> str:
    """Return the finding of the theme x quadrant heatmap: the lowest theme in the selection
    (the county when no quadrant is chosen), with its n."""
    where, pooled = _heatmap_selection(summary)
    if pooled.empty:
        return "No audit results yet"
    worst = pooled.iloc[0]
    return (
        f"Lowest {where}: {worst['title']} ({pct(worst['pct_met'])} of standards met, "
        f"n = {int(worst['n'])})"
    )


def theme_heatmap_alt(summary: pd.DataFrame) -> str:
    """Return one sentence describing the theme x quadrant heatmap, about the selection."""
    where, pooled = _heatmap_selection(summary)
    if pooled.empty:
        return "No audit results to show."
    themes = summary["title"].nunique()
    return (
        f"Heatmap of the share of standards met for {_plural(themes, 'theme')} by quadrant; "
        f"{where} {_lowest_highest(list(pooled['title']), list(pooled['pct_met']))}."
    )


# --- speaker notes: the key findings in words, from the numbers -------------------------------
# `shown` is the table as circulated (analytics.disclosure.suppression.for_circulation, same row
# order as the data): a figure hidden there as "c" is never spoken here either.


def _shown(shown: pd.DataFrame | None, row: int, *columns: str) -> bool:
    if shown is None:
        return True
    return all(c not in shown.columns or shown[c].iat[row] != "c" for c in columns)


def _positions(frame: pd.DataFrame, mask: pd.Series) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask.to_numpy(dtype=bool))]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def trend_sentence(trend: pd.DataFrame, from_label: str, shown: pd.DataFrame | None = None) -> str:
    """Return how many changes since an earlier round are beyond chance, naming them."""
    if trend.empty:
        return ""
    beyond = _positions(trend, trend["beyond_chance"].fillna(False))
    if not beyond:
        return (
            f"No change since the {from_label} round is beyond chance "
            f"({_plural(len(trend), 'standard')} compared)."
        )
    items = []
    for i in beyond:
        row = trend.iloc[i]
        direction = "up" if row["change"] > 0 else "down"
        if _shown(shown, i, "pct_met_from", "pct_met_to"):
            items.append(
                f"{row['question_id']} {direction} from {pct(row['pct_met_from'])} "
                f"to {pct(row['pct_met_to'])}"
            )
        else:  # its figures are withheld for circulation: so is the direction they show
            items.append(f"{row['question_id']} (figures withheld)")
    verb = "is" if len(beyond) == 1 else "are"
    return (
        f"{_plural(len(beyond), 'change')} since the {from_label} round {verb} beyond chance: "
        f"{'; '.join(items)}."
    )


def _extremes(frame: pd.DataFrame, rows: list[int], shown: pd.DataFrame | None) -> str:
    usable = [i for i in rows if frame["n"].iat[i] > 0 and _shown(shown, i, "pct_met", "n")]
    if not usable:
        return ""
    ordered = sorted(usable, key=lambda i: (frame["pct_met"].iat[i], i))

    def describe(i: int) -> str:
        row = frame.iloc[i]
        counts = (
            f"{int(row['met'])} of {int(row['n'])}"
            if _shown(shown, i, "met")
            else (f"n={int(row['n'])}")
        )
        text = short(str(row["text"]), 50)
        return f"{row['question_id']} ({text}) at {pct(row['pct_met'])} met ({counts})"

    low, high = ordered[0], ordered[-1]
    if low == high:
        return f"Only standard: {describe(low)}."
    return f"Lowest: {describe(low)}; highest: {describe(high)}."


def quadrant_comparison_notes(
    frame: pd.DataFrame, quadrants: tuple[str, ...] = (), shown: pd.DataFrame | None = None
) -> list[str]:
    """Return sentences on a quadrant comparison: selection v county, extremes, spread."""
    if frame.empty or frame["n"].sum() == 0:
        return ["There are no audit results for this selection."]
    sentences = []
    county = _positions(frame, frame["quadrant"] == COUNTY)
    if quadrants:
        sentences.append(quadrant_comparison_title(frame, quadrants) + ".")
    if all(_shown(shown, i, "met", "n") for i in county):
        met = int(frame["met"].iloc[county].sum())
        n = int(frame["n"].iloc[county].sum())
        sentences.append(
            f"Across the county {pct(met / n if n else math.nan)} of applicable answers met "
            f"the {_plural(len(county), 'standard')} ({met} of {n})."
        )
    focus = county
    if len(quadrants) == 1:
        focus = _positions(frame, frame["quadrant"] == quadrants[0])
    if extremes := _extremes(frame, focus, shown):
        where = area_name(quadrants[0]) if len(quadrants) == 1 else "the county"
        sentences.append(f"In {where}, {extremes[0].lower()}{extremes[1:]}")
    if len(quadrants) == 1:
        county_share = frame.iloc[county].set_index("question_id")["pct_met"]
        judged = [
            i for i in focus if frame["n"].iat[i] > 0 and _shown(shown, i, "ci_low", "ci_high")
        ]
        outside = [
            i
            for i in judged
            if not (
                frame["ci_low"].iat[i]
                <= county_share.get(frame["question_id"].iat[i], math.nan)
                <= frame["ci_high"].iat[i]
            )
        ]
        if outside:
            sentences.append(
                f"For {_plural(len(outside), 'standard')} the county figure lies outside "
                f"{quadrants[0]}'s 95% interval, so that gap is unlikely to be chance."
            )
        elif judged:
            sentences.append(
                f"For every standard the county figure lies inside {quadrants[0]}'s 95% "
                "interval: the gaps may be chance."
            )
    areas = [i for i in range(len(frame)) if i not in county]
    if all(_shown(shown, i, "met", "n") for i in areas):
        pooled = frame.iloc[areas].groupby("quadrant")[["met", "n"]].sum()
        pooled = pooled[pooled["n"] > 0]
        if len(pooled) >= 2:
            share = (pooled["met"] / pooled["n"]).sort_values()
            sentences.append(
                f"By quadrant, the share met across all standards ranges from {share.index[0]} "
                f"({pct(share.iloc[0])}) to {share.index[-1]} ({pct(share.iloc[-1])})."
            )
    largest = int(frame.loc[frame["quadrant"] != COUNTY, "n"].max())
    if largest < 30:
        # For circulation, the largest n is not spoken: it may itself be a small count.
        size = f"at most {largest}" if shown is None else "fewer than 30"
        sentences.append(
            f"Samples are small ({size} applicable cases per quadrant and standard): "
            "differences inside the intervals are noise."
        )
    return sentences


def finding_frequency_notes(frame: pd.DataFrame, shown: pd.DataFrame | None = None) -> list[str]:
    """Return sentences on the standards most often not met, with the county alongside."""
    chosen = _positions(frame, frame["scope"] == "Selection")
    if not chosen:
        return ["There are no audit results for this selection."]
    county = frame[frame["scope"] == "County"].set_index(["theme_id", "question_id"])
    items: list[str] = []
    for i in chosen:
        if len(items) == 3:
            break
        if not _shown(shown, i, "pct_not_met", "n"):
            continue
        row = frame.iloc[i]
        key = (row["theme_id"], row["question_id"])
        versus = ""
        if key in county.index and not frame["scope"].eq("County").all():
            versus = f"; county {pct(county.loc[key, 'pct_not_met'])}"
        items.append(
            f"{row['question_id']} ({short(str(row['text']), 50)}): "
            f"{pct(row['pct_not_met'])} not met (n={int(row['n'])}{versus})"
        )
    sentences = []
    if items:
        sentences.append("Most often not met: " + "; ".join(items) + ".")
    visible = [i for i in chosen if _shown(shown, i, "pct_not_met")]
    if not visible:  # every share is withheld for circulation: nothing may be said of them
        sentences.append("The shares not met are withheld for circulation.")
        return sentences
    third = [i for i in visible if frame["pct_not_met"].iat[i] >= 1 / 3]
    if third:
        sentences.append(
            f"{_plural(len(third), 'standard')} of the {len(visible)} shown "
            f"{'was' if len(third) == 1 else 'were'} not met in at least a third of cases."
        )
    else:
        sentences.append(
            f"In none of the {_plural(len(visible), 'standard')} shown were a third or more of "
            "cases not met."
        )
    return sentences


def round_trend_notes(
    trend: pd.DataFrame, from_label: str, shown: pd.DataFrame | None = None
) -> list[str]:
    """Return sentences on changes between two rounds, beyond chance or within noise."""
    if trend.empty:
        return ["Only one audit round so far: there is nothing to compare with yet."]
    sentences = [trend_sentence(trend, from_label, shown)]
    noise = int((~trend["beyond_chance"].fillna(False)).sum())
    if noise:
        sentences.append(
            f"{_plural(noise, 'standard')} moved within noise: with samples this small, those "
            "movements may be chance."
        )
    return sentences


def cohort_notes(profile: pd.DataFrame, shown: pd.DataFrame | None = None) -> list[str]:
    """Return sentences on who was audited: cases by quadrant, gender and grade."""
    if profile.empty:
        return ["No cases were audited for this selection."]
    sentences = []
    for dimension, label in (
        ("quadrant", "By quadrant"),
        ("gender", "By gender"),
        ("overall_grade", "Overall grades"),
    ):
        rows = _positions(profile, profile["dimension"] == dimension)
        parts = [
            f"{profile['value'].iat[i]} "
            + (str(int(profile["cases"].iat[i])) if _shown(shown, i, "cases") else "c")
            for i in rows
        ]
        if parts:
            sentences.append(f"{label}: {', '.join(parts)}.")
    if all(_shown(shown, i, "cases") for i in range(len(profile))):
        sentences.insert(0, cohort_title(profile) + ".")
    return sentences


def category_matrix_notes(
    data: pd.DataFrame, titles: dict[str, str] | None = None, shown: pd.DataFrame | None = None
) -> list[str]:
    """Return sentences on practice areas across themes: weakest, strongest, recurring."""
    overall = _positions(data, data["theme_id"] == "All themes")
    usable = [i for i in overall if _shown(shown, i, "pct_met", "n")]
    if not usable:
        return ["There are no audit results for this selection."]
    ordered = sorted(usable, key=lambda i: (data["pct_met"].iat[i], i))

    def describe(i: int) -> str:
        share, n = pct(data["pct_met"].iat[i]), int(data["n"].iat[i])
        return f"{data['category'].iat[i]} ({share} met, n={n})"

    if len(ordered) == 1:
        sentences = [f"Only practice area across themes: {describe(ordered[0])}."]
    else:
        sentences = [
            f"Weakest practice area across themes: {describe(ordered[0])}; strongest: "
            f"{describe(ordered[-1])}."
        ]
    per_theme = [i for i in range(len(data)) if i not in overall and _shown(shown, i, "pct_met")]
    weak: dict[str, list[str]] = {}
    for i in per_theme:
        if data["pct_met"].iat[i] < 0.5:
            theme = str(data["theme_id"].iat[i])
            weak.setdefault(str(data["category"].iat[i]), []).append(
                (titles or {}).get(theme, theme)
            )
    recurring = {c: t for c, t in weak.items() if len(t) >= 3}
    for category, themes in sorted(recurring.items(), key=lambda kv: -len(kv[1])):
        sentences.append(
            f"{category} is met in under half of cases in {len(themes)} themes "
            f"({', '.join(themes)}): a recurring weakness."
        )
    if not recurring:
        sentences.append("No practice area is met in under half of cases in three or more themes.")
    return sentences


def theme_heatmap_notes(summary: pd.DataFrame, shown: pd.DataFrame | None = None) -> list[str]:
    """Return sentences on every theme: lowest and highest overall, changes beyond chance."""
    county = [
        i
        for i in _positions(summary, summary["quadrant"] == COUNTY)
        if _shown(shown, i, "pct_met", "n")
    ]
    if not county:
        return ["There are no audit results yet."]
    ordered = sorted(county, key=lambda i: (summary["pct_met"].iat[i], i))

    def describe(i: int) -> str:
        return (
            f"{summary['title'].iat[i]} ({pct(summary['pct_met'].iat[i])} met, "
            f"n={int(summary['n'].iat[i])})"
        )

    if len(ordered) == 1:
        sentences = [f"Only audited theme: {describe(ordered[0])}."]
    else:
        sentences = [f"Lowest overall: {describe(ordered[0])}; highest: {describe(ordered[-1])}."]
    for i in county:
        if bool(summary["beyond_chance"].iat[i]):
            direction = "improved" if summary["change"].iat[i] > 0 else "declined"
            detail = ""
            if _shown(shown, i, "pct_met_previous"):
                detail = (
                    f" ({pct(summary['pct_met_previous'].iat[i])} to "
                    f"{pct(summary['pct_met'].iat[i])})"
                )
            sentences.append(
                f"{summary['title'].iat[i]} {direction} beyond chance since its previous "
                f"round{detail}."
            )
    return sentences


def status_and_rag(status: str, rag: object, template: str = "{status} \u00b7 {rag}") -> str:
    """Return an action's recorded status and its RAG as one phrase, the word once where they
    agree: a complete action reads "Complete", not "Complete \u00b7 Complete"."""
    if status.strip().lower() == str(rag).strip().lower():
        return status
    return template.format(status=status, rag=rag)


def actions_notes(actions: pd.DataFrame) -> str:
    """Return one sentence counting the actions by RAG, overdue first."""
    if actions.empty:
        return "No actions or recommendations are recorded."
    counts = actions["rag"].value_counts()
    parts = [f"{int(counts[r])} {r.lower()}" for r in RAG_ORDER if r in counts]
    overdue = actions[actions["rag"] == RAG_OVERDUE]
    sentence = f"{_plural(len(actions), 'action')}: {', '.join(parts)}."
    if len(overdue):
        owners = ", ".join(dict.fromkeys(str(o) for o in overdue["owner"]))
        sentence += f" Overdue actions sit with: {owners}."
    return sentence


@dataclass(frozen=True)
class Metric:
    """One headline figure as the page shows it (st.metric's arguments)."""

    label: str
    value: str
    help: str = ""
    delta: str | None = None
    delta_color: str = "normal"
    delta_description: str | None = None
    delta_arrow: str = "auto"


def change_metric(change: stats.ChangeResult, before: float, after: float) -> Metric:
    """Return the headline's change since the previous round: the two shares as its value, the
    signed points as its delta (arrow down for a fall; beyond chance, in the loss colour), the
    verdict beside it and the test in its help."""
    verdict = "beyond chance" if change.beyond_chance else "within noise"
    size = signed_points(abs(change.change)).lstrip("+")
    moved = f"A rise of {size}" if change.change > 0 else f"A fall of {size}"
    if change.change == 0:
        moved = "No change"
    return Metric(
        "Change since previous round",
        f"{pct(before)} \u2192 {pct(after)}",
        f"{moved}, {verdict}: {change.method} test on case-level counts (answers \u00f7 "
        f"{change.design_effect} per case), p = {change.p_value:.3f}",
        # st.metric points its arrow down only for a delta starting with an ASCII "-".
        signed_points(change.change).replace(MINUS, "-"),
        # Beyond chance: red for a fall, green for a rise. Within noise: grey, the arrow still
        # following the sign, so a fall never reads as a rise.
        "normal" if change.beyond_chance else "off",
        verdict,
        "off" if change.change == 0 else "auto",
    )


def _small(threshold: int | None, *counts: float | None) -> bool:
    # Counts from 1 to threshold - 1 are withheld for circulation (0 is shown: nobody to find).
    return threshold is not None and any(
        c is not None and pd.notna(c) and 0 < int(c) < threshold for c in counts
    )


def headline_metrics(
    figures: Mapping[str, Any], threshold: int | None = None
) -> tuple[list[Metric], str]:
    """Return a theme's headline figures (cases, standards met, change, graded good or better)
    and the caption with their n; for circulation (`threshold`), a figure whose count, or the
    count it leaves (not met, not good), is under the threshold shows "c"."""
    cases, met, n = figures["cases"], figures["met"], figures["n"]
    metrics = [Metric("Cases audited", "c" if _small(threshold, cases) else str(cases))]
    met_hidden = _small(threshold, met, n - met if n else None, n)
    if n:
        metrics.append(
            Metric("Standards met", "c", "withheld for circulation")
            if met_hidden
            else Metric(
                "Standards met",
                f"{figures['pct_met']:.0%}",
                f"{met} of {n} applicable answers; 95% interval "
                f"{figures['ci_low']:.0%}–{figures['ci_high']:.0%}",
            )
        )
    change = figures["change"]
    if change is not None:
        # The change gives the previous round's share back from this one's: withheld when either
        # round's counts are small, and its test's wording names answers per case (n ÷ cases).
        met_b, n_b = figures.get("met_previous"), figures.get("n_previous")
        previous_hidden = _small(threshold, met_b, n_b - met_b if n_b else None, n_b,
                                 figures.get("cases_previous"))  # fmt: skip
        metrics.append(
            Metric("Change since previous round", "c", "withheld for circulation")
            if met_hidden or previous_hidden or _small(threshold, cases)
            else change_metric(change, figures["pct_met"] - change.change, figures["pct_met"])
        )
    if cases:
        good = figures["good_or_better"]
        metrics.append(
            Metric("Graded good or better", "c", "withheld for circulation")
            if _small(threshold, good, cases - good, cases)
            else Metric(
                "Graded good or better",
                f"{figures['pct_good_or_better']:.0%}",
                f"{good} of {cases} cases graded Outstanding or Good",
            )
        )
    shown_n = "c" if _small(threshold, n) else n
    shown_cases = "c" if _small(threshold, cases) else cases
    return metrics, f"n = {shown_n} applicable answers from {shown_cases} cases"
