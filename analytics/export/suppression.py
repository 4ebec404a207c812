"""Disclosure control for a chart's data: small counts become "c", with secondary suppression.

analytics.stats protects each row against its own total; a chart's table also publishes totals
across rows (the County row is the sum of the quadrant rows, "All themes" the sum of the themes)
and counts that are never printed but follow from two that are (not met = n - met). Each chart
declares those relations here; cells are then hidden until no published sum or difference can
give a hidden cell back, and every percentage or interval built on a hidden count is hidden too.

Limitation (as in analytics.stats): each table is protected on its own. Two different tables
(say the quadrant comparison and the finding frequency) may each be safe and still give a hidden
cell back when combined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics import stats
from analytics.domain import COUNTY

SUPPRESSED = stats.SUPPRESSED
ALL_THEMES = "All themes"

Cell = tuple[int, str]


@dataclass(frozen=True)
class Rule:
    """How one chart's table hangs together, so a hidden count stays hidden."""

    counts: tuple[str, ...]
    # Unprinted counts that follow from printed ones: name -> (total column, parts subtracted).
    implicit: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # Within a row: parts that add up to a printed total column, or to a total printed elsewhere
    # (None), such as a quadrant's number of cases on the cohort chart.
    rows: tuple[tuple[tuple[str, ...], str | None], ...] = ()
    # Rows sharing these columns form a block ...
    group: tuple[str, ...] = ()
    # ... whose row with this (column, value) is the sum of the block's other rows, per count;
    total_row: tuple[str, str] | None = None
    # ... or, without a total row, whose sums are printed elsewhere (True).
    group_sums_known: bool = False
    # Percentages and intervals: column -> the counts that it gives back.
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_ANSWERS = ("met", "partially_met", "not_met")
_SHARE_MET = {"pct_met": ("met", "n"), "ci_low": ("met", "n"), "ci_high": ("met", "n")}

RULES: dict[str, Rule] = {
    "quadrant_comparison": Rule(
        counts=(*_ANSWERS, "not_applicable", "n"),
        # A quadrant's number of cases (n + not applicable) is printed on the cohort chart.
        rows=(
            (_ANSWERS, "n"),
            (("n", "not_applicable"), None),
            ((*_ANSWERS, "not_applicable"), None),
        ),
        group=("question_id",),
        total_row=("quadrant", COUNTY),
        derived=_SHARE_MET,
    ),
    "finding_frequency": Rule(
        counts=(*_ANSWERS, "n"),
        rows=((_ANSWERS, "n"),),
        derived={
            "pct_met": ("met", "n"),
            "pct_partially_met": ("partially_met", "n"),
            "pct_not_met": ("not_met", "n"),
        },
    ),
    "round_trend": Rule(
        counts=("met_from", "n_from", "met_to", "n_to", "_not_met_from", "_not_met_to"),
        implicit={
            "_not_met_from": ("n_from", ("met_from",)),
            "_not_met_to": ("n_to", ("met_to",)),
        },
        rows=((("met_from", "_not_met_from"), "n_from"), (("met_to", "_not_met_to"), "n_to")),
        derived={
            "pct_met_from": ("met_from", "n_from"),
            "pct_met_to": ("met_to", "n_to"),
            "change": ("met_from", "n_from", "met_to", "n_to"),
            "p_value": ("met_from", "n_from", "met_to", "n_to"),
        },
    ),
    "cohort_profile": Rule(
        counts=("cases",),
        group=("dimension",),
        group_sums_known=True,  # every dimension adds up to the cohort, printed in the title
        derived={"share": ("cases",)},
    ),
    "category_matrix": Rule(
        counts=("met", "n", "_not_met"),
        implicit={"_not_met": ("n", ("met",))},
        rows=((("met", "_not_met"), "n"),),
        group=("category",),
        total_row=("theme_id", ALL_THEMES),
        derived=_SHARE_MET,
    ),
    "category_by_quadrant": Rule(
        counts=("met", "n", "_not_met"),
        implicit={"_not_met": ("n", ("met",))},
        rows=((("met", "_not_met"), "n"),),
        group=("category",),
        total_row=("quadrant", COUNTY),
        derived=_SHARE_MET,
    ),
    "theme_quadrant": Rule(
        counts=(
            "cases",
            "n",
            "met",
            "_not_met",
            "n_previous",
            "met_previous",
            "_not_met_previous",
        ),
        implicit={
            "_not_met": ("n", ("met",)),
            "_not_met_previous": ("n_previous", ("met_previous",)),
        },
        rows=((("met", "_not_met"), "n"), (("met_previous", "_not_met_previous"), "n_previous")),
        group=("theme_id",),
        total_row=("quadrant", COUNTY),
        derived={
            **_SHARE_MET,
            "pct_met_previous": ("met_previous", "n_previous"),
            "change": ("met", "n", "met_previous", "n_previous"),
        },
    ),
}


def _generic_rule(frame: pd.DataFrame) -> Rule:
    # A chart added later without a rule: every integer column is a count, and every share or
    # interval in the row is hidden with any of them (cautious rather than exact).
    counts = tuple(c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c]))
    shares = [c for c in frame.columns if c.startswith(("pct", "ci_", "share")) or c in ("change",)]
    return Rule(counts=counts, derived={c: counts for c in shares})


def _values(frame: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    values = pd.DataFrame(index=range(len(frame)))
    for column in rule.counts:
        if column in rule.implicit:
            total, parts = rule.implicit[column]
            number = pd.to_numeric(frame[total], errors="coerce").to_numpy(dtype=float)
            for part in parts:
                number = number - pd.to_numeric(frame[part], errors="coerce").to_numpy(dtype=float)
        else:
            number = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        values[column] = number
    return values


def _seed(values: pd.DataFrame, rule: Rule, threshold: int) -> set[Cell]:
    # Primary suppression and each row against its own printed total: analytics.stats's job.
    hidden: set[Cell] = set()
    marked = [stats.suppress_counts(values, list(rule.counts), threshold)]
    marked += [
        stats.suppress_counts(values, list(parts), threshold, total)
        for parts, total in rule.rows
        if total is not None
    ]
    for frame in marked:
        for column in frame.columns:
            if column in rule.counts:
                rows = np.flatnonzero((frame[column] == SUPPRESSED).to_numpy(dtype=bool))
                hidden.update((int(r), column) for r in rows)
    return hidden


def _constraints(frame: pd.DataFrame, rule: Rule) -> list[tuple[list[Cell], Cell | None]]:
    constraints: list[tuple[list[Cell], Cell | None]] = []
    for parts, total in rule.rows:
        for row in range(len(frame)):
            constraints.append(([(row, p) for p in parts], (row, total) if total else None))
    if rule.group and (rule.total_row or rule.group_sums_known):
        keys = frame[list(rule.group)].astype(str).agg("|".join, axis=1)
        for _, rows in keys.groupby(keys).groups.items():
            block = [frame.index.get_loc(r) for r in rows]
            total_rows: list[int] = []
            if rule.total_row:
                column, value = rule.total_row
                total_rows = [r for r in block if frame[column].iat[r] == value]
                if len(total_rows) != 1:
                    continue
            others = [r for r in block if r not in total_rows]
            for count in rule.counts:
                total = (total_rows[0], count) if total_rows else None
                constraints.append(([(r, count) for r in others], total))
    return constraints


def _protect(values: pd.DataFrame, rule: Rule, hidden: set[Cell], constraints, threshold: int):
    def value(cell: Cell) -> float:
        return float(values.at[cell[0], cell[1]])

    def shown_nonzero(parts: list[Cell]) -> list[Cell]:
        return [p for p in parts if p not in hidden and not np.isnan(value(p)) and value(p) > 0]

    changed = True
    while changed:  # cells are only ever added, so this ends
        changed = False
        for parts, total in constraints:
            hidden_parts = [p for p in parts if p in hidden]
            if total is not None and total in hidden:
                # An unknown total still equals the sum of its parts if all of them are shown.
                candidates = [] if hidden_parts else shown_nonzero(parts)
            elif not hidden_parts or (
                len(hidden_parts) >= 2 and sum(value(p) for p in hidden_parts) >= threshold
            ):
                continue
            else:
                candidates = shown_nonzero(parts)
                if not candidates and total is not None:
                    hidden.add(total)
                    changed = True
                    continue
            if candidates:
                # Smallest first (ties in column, then row order) hides the least information.
                hidden.add(min(candidates, key=value))
                changed = True
    return hidden


def hidden_cells(frame: pd.DataFrame, chart_name: str, threshold: int) -> set[Cell]:
    """Return the (row position, column) count cells to suppress in a chart's data."""
    rule = RULES.get(chart_name) or _generic_rule(frame)
    frame = frame.reset_index(drop=True)
    values = _values(frame, rule)
    hidden = _seed(values, rule, threshold)
    return _protect(values, rule, hidden, _constraints(frame, rule), threshold)


def for_circulation(
    view_or_frame: object, chart_name: str | None = None, threshold: int | None = 5
) -> pd.DataFrame:
    """Return a chart's data with counts under `threshold` and all they would reveal as "c".

    Takes a ChartView (its name is used when chart_name is None) or a frame. A threshold of None
    returns an unchanged copy (the standard, not-for-circulation mode).
    """
    frame = getattr(view_or_frame, "data", view_or_frame)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("for_circulation takes a ChartView or a DataFrame")
    name = chart_name or getattr(view_or_frame, "name", "")
    out = frame.reset_index(drop=True).copy()
    if threshold is None:
        return out
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    rule = RULES.get(name) or _generic_rule(out)
    hidden = hidden_cells(out, name, threshold)
    mask = {column: np.zeros(len(out), dtype=bool) for column in rule.counts}
    for row, column in hidden:
        mask[column][row] = True
    for column, depends in rule.derived.items():
        if column in out.columns:
            mask[column] = np.logical_or.reduce([mask[d] for d in depends if d in mask])
    for column, hide in mask.items():
        if column in out.columns and hide.any():
            out[column] = out[column].astype(object)
            out.loc[hide, column] = SUPPRESSED
    return out


def mode_text(threshold: int | None) -> str:
    """Return the export mode in words: "standard" or "for circulation: counts under N ..."."""
    if threshold is None:
        return "standard"
    return f"for circulation: counts under {threshold} suppressed"
