"""Small, pure statistics for audit results: intervals and change tests.

Fisher's exact test is our own: scipy.stats.fisher_exact gives the same p-values (checked in
tests/test_stats.py on every table up to 6 per cell and 40 up to 1,000) but costs 1 to 1.5 ms
a call against 0.02 to 0.6 ms, and a page tests up to 25 changes per chart.
"""

from __future__ import annotations

import math
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
