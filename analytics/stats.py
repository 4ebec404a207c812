"""Small, pure statistics for audit results: intervals, change tests and disclosure control.

Only numpy, pandas and the standard library are used, so the analytics package stays
importable without streamlit or scipy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z_95 = 1.959963984540054
"""Two-sided 95% standard normal quantile, norm.ppf(0.975)."""

SUPPRESSED = "c"
"""Marker for a suppressed cell ("c" for confidential, as in ONS / DfE publications)."""

FISHER_MAX_N = 2000
"""Largest combined sample for which change_test uses Fisher's exact test."""

# R's fisher.test and scipy treat tables within this relative tolerance of the observed
# probability as "as extreme", so ties are not lost to floating-point noise.
_FISHER_REL_TOL = 1e-7


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval (low, high) for successes/n; (nan, nan) when n == 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denom = 1 + z2 / n
    # Clamp so 0/n and n/n give exactly 0 and 1 rather than -1e-17 style rounding residue.
    return (max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom))


def wilson_bounds(
    successes: np.ndarray | pd.Series,
    n: np.ndarray | pd.Series | int,
    z: float = Z_95,
) -> tuple[np.ndarray, np.ndarray]:
    """Return arrays (low, high) of Wilson score bounds, elementwise; nan where n == 0."""
    x = np.asarray(successes, dtype=float)
    m = np.broadcast_to(np.asarray(n, dtype=float), x.shape)
    if np.any(m < 0) or np.any(x < 0) or np.any(x > m):
        raise ValueError("need 0 <= successes <= n elementwise")
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        centre = p + z2 / (2 * m)
        half = z * np.sqrt(p * (1 - p) / m + z2 / (4 * m * m))
        denom = 1 + z2 / m
        low = np.clip((centre - half) / denom, 0.0, 1.0)
        high = np.clip((centre + half) / denom, 0.0, 1.0)
    empty = m == 0
    low[empty] = np.nan
    high[empty] = np.nan
    return low, high


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Return the two-sided Fisher exact p-value for [[a, b], [c, d]], as R's fisher.test."""
    if min(a, b, c, d) < 0:
        raise ValueError(f"counts must be non-negative, got {[[a, b], [c, d]]}")
    row1, row2, col1 = a + b, c + d, a + c
    lo, hi = max(0, col1 - row2), min(row1, col1)
    log_p = [_log_choose(row1, x) + _log_choose(row2, col1 - x) for x in range(lo, hi + 1)]
    # Normalising by the sum (as R does) rather than by C(N, col1) cancels lgamma rounding
    # and keeps very small probabilities from underflowing before the comparison.
    top = max(log_p)
    dens = np.exp(np.asarray(log_p) - top)
    dens /= dens.sum()
    observed = dens[a - lo]
    p = float(dens[dens <= observed * (1 + _FISHER_REL_TOL)].sum())
    return min(1.0, p)


def _two_proportion_z_p(met_a: int, n_a: int, met_b: int, n_b: int) -> float:
    pooled = (met_a + met_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        # Everyone (or no one) met the standard in both periods: no evidence of any change.
        return 1.0
    z = (met_b / n_b - met_a / n_a) / se
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class ChangeResult:
    """Outcome of comparing the proportion meeting a standard in period a against period b."""

    change: float  # proportion in b minus proportion in a: 0.05 is up 5 percentage points
    p_value: float
    method: str  # "fisher" or "two-proportion z"
    beyond_chance: bool  # p_value < alpha
    # Answers per case the counts were divided by before testing (pooled_change_test); 1 when
    # the test ran on the counts as given.
    design_effect: int = 1


def change_test(met_a: int, n_a: int, met_b: int, n_b: int, alpha: float = 0.05) -> ChangeResult:
    """Return the change b - a in proportion met, with a two-sided p-value and verdict."""
    for met, n in ((met_a, n_a), (met_b, n_b)):
        if n < 0 or met < 0 or met > n:
            raise ValueError(f"need 0 <= met <= n, got met={met}, n={n}")
    # Exact is affordable up to a few thousand audits and is right for the small samples
    # typical of team-level audits, where the normal approximation is poor.
    method = "fisher" if n_a + n_b <= FISHER_MAX_N else "two-proportion z"
    if n_a == 0 or n_b == 0:
        return ChangeResult(math.nan, math.nan, method, False)
    change = met_b / n_b - met_a / n_a
    if method == "fisher":
        p = fisher_exact_two_sided(met_a, n_a - met_a, met_b, n_b - met_b)
    else:
        p = _two_proportion_z_p(met_a, n_a, met_b, n_b)
    return ChangeResult(change, p, method, p < alpha)


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


def design_effect(answers: int, cases: int) -> int:
    """Return the applicable answers per case, rounded half up (at least 1; 1 with no cases)."""
    return max(1, _half_up(answers / cases)) if cases > 0 else 1


def pooled_change_test(
    met_a: int, n_a: int, cases_a: int, met_b: int, n_b: int, cases_b: int, alpha: float = 0.05
) -> ChangeResult:
    """Return the change b - a in share met of answers pooled over several questions, tested at
    the case level.

    The answers one case gives to a theme's questions are not independent (a well-run case
    tends to meet many standards), so testing the pooled answers as if they were would call
    too many changes beyond chance. Each round's applicable and Met answers are therefore
    divided by that round's design effect (its applicable answers per case, rounded half up)
    and rounded half up again, and change_test runs on those effective counts: in effect one
    answer per case. The change reported is still the one in the full counts.
    """
    for met, n, cases in ((met_a, n_a, cases_a), (met_b, n_b, cases_b)):
        if n < 0 or met < 0 or met > n or cases < 0:
            raise ValueError(f"need 0 <= met <= n and cases >= 0, got {met}, {n}, {cases}")
    effect_a, effect_b = design_effect(n_a, cases_a), design_effect(n_b, cases_b)
    tested = change_test(
        _half_up(met_a / effect_a),
        _half_up(n_a / effect_a),
        _half_up(met_b / effect_b),
        _half_up(n_b / effect_b),
        alpha,
    )
    change = met_b / n_b - met_a / n_a if n_a and n_b else math.nan
    return ChangeResult(
        change, tested.p_value, tested.method, tested.beyond_chance, max(effect_a, effect_b)
    )


def case_level_wilson(met: int, n: int, cases: int, z: float = Z_95) -> tuple[float, float]:
    """Return the 95% Wilson interval of met/n pooled over several questions, at the case level:
    the counts divided by the design effect (applicable answers per case), as pooled_change_test
    does, because one case's answers are not independent."""
    effect = design_effect(n, cases)
    return wilson_interval(_half_up(met / effect), _half_up(n / effect), z)


def _is_small(value: object, threshold: int) -> bool:
    # Zero is shown: "none of the cases" is rarely disclosive about an individual, and
    # publishing zeros keeps tables readable. NaN (not asked / not applicable) is left alone.
    return isinstance(value, (int, float, np.integer, np.floating)) and 0 < value < threshold


def _as_object(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = table.copy()
    for col in columns:
        out[col] = out[col].astype(object)
    return out


def suppress_counts(
    table: pd.DataFrame,
    count_columns: list[str],
    threshold: int = 5,
    total_column: str | None = None,
) -> pd.DataFrame:
    """Return a copy with small counts, and cells that would reveal them, replaced by "c".

    Primary suppression: any count with 0 < count < threshold (in count_columns, and in
    total_column if given) becomes "c". Zero is not suppressed.

    Secondary suppression (only when total_column is given, because only a published row
    total lets a reader recover a hidden cell by subtraction): in each row, further count
    cells are suppressed, smallest non-zero first, until at least two cells are hidden and
    the hidden counts add up to at least `threshold`. The second condition matters because
    hidden cells are known to be non-zero: with counts 1 and 1 hidden next to a total, the
    reader gets their sum, 2, and hence both values. The total itself is hidden only as a
    last resort, since the same n is usually published in other rows.

    Limitation: this is row-wise only. If column totals are also published (or the same
    rows appear in another table), hidden cells may be recoverable across rows. Pass
    total_column whenever the row total is published anywhere, including as a base n.
    The total is assumed to equal the sum of count_columns.

    Only count_columns and total_column become object dtype; other columns are untouched.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    columns = list(count_columns) + ([total_column] if total_column is not None else [])
    out = _as_object(table, columns)
    for col in columns:
        small = table[col].map(lambda v: _is_small(v, threshold)).to_numpy(dtype=bool)
        out.loc[small, col] = SUPPRESSED
    if total_column is None:
        return out

    counts = table[list(count_columns)]
    col_pos = {col: out.columns.get_loc(col) for col in columns}
    for row in range(len(table)):
        values = dict(zip(count_columns, counts.iloc[row].tolist(), strict=True))
        hidden = [col for col in count_columns if out.iat[row, col_pos[col]] == SUPPRESSED]
        total_hidden = out.iat[row, col_pos[total_column]] == SUPPRESSED
        while hidden or total_hidden:
            if len(hidden) + total_hidden >= 2 and (
                total_hidden or sum(values[col] for col in hidden) >= threshold
            ):
                break
            candidates = [
                col
                for col in count_columns
                if col not in hidden and not pd.isna(values[col]) and values[col] > 0
            ]
            if candidates:
                # min() keeps the first of equal values, so ties break in column order.
                hidden.append(min(candidates, key=lambda col: values[col]))
            elif not total_hidden:
                total_hidden = True
            else:
                break
        for col in hidden:
            out.iat[row, col_pos[col]] = SUPPRESSED
        if total_hidden:
            out.iat[row, col_pos[total_column]] = SUPPRESSED
    return out


def _small_base(base: pd.Series, threshold: int) -> np.ndarray:
    return base.map(lambda v: _is_small(v, threshold)).to_numpy(dtype=bool)


def suppress_percentages(
    table: pd.DataFrame,
    pct_columns: list[str],
    base_column: str,
    threshold: int = 5,
) -> pd.DataFrame:
    """Return a copy with percentages replaced by "c" where 0 < base_column < threshold.

    Only pct_columns become object dtype; the base column itself is left as it is.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    out = _as_object(table, pct_columns)
    small = _small_base(table[base_column], threshold)
    for col in pct_columns:
        out.loc[small, col] = SUPPRESSED
    return out


def suppress_table(
    df: pd.DataFrame,
    count_columns: list[str],
    total_column: str,
    pct_columns: Mapping[str, str | None],
    threshold: int = 5,
) -> pd.DataFrame:
    """Return a copy safe to circulate: counts suppressed, and every figure derived from them.

    pct_columns maps each derived column (a percentage, or a confidence bound) to the count
    column it is the numerator of, or to None if it depends only on the row total. A derived
    cell becomes "c" when its numerator count is suppressed (percentage x n would give the
    count back; so would a Wilson bound), when the row total is suppressed, or when the
    row total is below the threshold. See suppress_counts for the rules and limitations.
    """
    for derived, numerator in pct_columns.items():
        if numerator is not None and numerator not in count_columns:
            raise ValueError(f"{derived!r} maps to {numerator!r}, which is not a count column")
    out = suppress_counts(df, count_columns, threshold, total_column)
    out = _as_object(out, list(pct_columns))
    base_hidden = (out[total_column] == SUPPRESSED).to_numpy(dtype=bool) | _small_base(
        df[total_column], threshold
    )
    for derived, numerator in pct_columns.items():
        hide = base_hidden.copy()
        if numerator is not None:
            hide |= (out[numerator] == SUPPRESSED).to_numpy(dtype=bool)
        out.loc[hide, derived] = SUPPRESSED
    return out
