"""How a table hangs together, for disclosure control (analytics.disclosure.suppression).

Each chart's spec declares its Rule; tables shown beside the charts declare theirs in
analytics.disclosure.suppression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """How one chart's table hangs together, so a hidden count stays hidden."""

    counts: tuple[str, ...]
    # Unprinted counts that follow from printed ones: name -> (total column, parts subtracted).
    implicit: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # Within a row: parts that add up to a printed total column, or to a total printed elsewhere
    # (None), such as a quadrant's number of cases on the cohort chart.
    rows: tuple[tuple[tuple[str, ...], str | None], ...] = ()
    # Rows with equal values in these columns share that total printed elsewhere (every
    # question of a quadrant adds up to the quadrant's cases); none: each row has its own.
    elsewhere: tuple[str, ...] = ()
    # Rows sharing these columns form a block ...
    group: tuple[str, ...] = ()
    # ... whose row with this (column, value) is the sum of the block's other rows, per count;
    total_row: tuple[str, str] | None = None
    # ... or, without a total row, whose sums are printed elsewhere (True).
    group_sums_known: bool = False
    # Percentages and intervals: column -> the counts that it gives back.
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Pieces several rules share.
ANSWER_COUNTS = ("met", "partially_met", "not_met")
SHARE_MET = {"pct_met": ("met", "n"), "ci_low": ("met", "n"), "ci_high": ("met", "n")}
ALL_THEMES = "All themes"
