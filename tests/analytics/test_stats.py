"""Tests for analytics.stats against published reference values and hand-worked tables."""

import itertools
import math
import statistics
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from paths import ROOT

from analytics.stats import (
    ChangeResult,
    change_test,
    design_effect,
    fisher_exact_two_sided,
    pooled_change_test,
    wilson_bounds,
    wilson_interval,
)

# Newcombe RG (1998) "Two-sided confidence intervals for the single proportion: comparison
# of seven methods", Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score
# interval without continuity correction), 95% level, published to 4 dp.
NEWCOMBE_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_TABLE_I)
def test_wilson_interval_matches_newcombe_1998(x, n, low, high):
    assert wilson_interval(x, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_empty_sample_is_nan():
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_wilson_interval_all_successes_mirrors_none():
    # The score interval is symmetric under x -> n - x: 20/20 mirrors Newcombe's 0/20.
    assert wilson_interval(20, 20) == pytest.approx((1 - 0.1611, 1.0), abs=1e-4)


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_wilson_bounds_matches_newcombe_and_is_nan_for_empty():
    x = pd.Series([81, 15, 0, 1, 0])
    n = pd.Series([263, 148, 20, 29, 0])
    low, high = wilson_bounds(x, n)
    assert isinstance(low, np.ndarray) and isinstance(high, np.ndarray)
    assert low[:4] == pytest.approx([row[2] for row in NEWCOMBE_TABLE_I], abs=1e-4)
    assert high[:4] == pytest.approx([row[3] for row in NEWCOMBE_TABLE_I], abs=1e-4)
    assert np.isnan(low[4]) and np.isnan(high[4])


def test_wilson_bounds_agrees_with_scalar_and_accepts_scalar_n():
    x = np.array([0, 3, 7, 10])
    low, high = wilson_bounds(x, 10)
    for i, xi in enumerate(x):
        assert (low[i], high[i]) == pytest.approx(wilson_interval(int(xi), 10), abs=1e-12)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # scipy.stats.fisher_exact docs example (whales and sharks): pvalue 0.0349650...
        ((8, 2, 1, 5), 0.03496503),
        # Fisher's lady tasting tea, R datasets example TeaTasting, two-sided fisher.test:
        # tables with margins 4/4 have probabilities (1, 16, 36, 16, 1)/70, so p = 34/70.
        ((3, 1, 1, 3), 0.4857143),
        # Wikipedia "Fisher's exact test" worked example (dieting by sex); R fisher.test
        # gives p-value = 0.002759 (0.002759456 to 7 significant figures).
        ((1, 9, 11, 3), 0.002759456),
        # A degenerate margin has a single possible table.
        ((0, 0, 5, 5), 1.0),
    ],
)
def test_fisher_exact_matches_r_and_scipy(table, expected):
    assert fisher_exact_two_sided(*table) == pytest.approx(expected, rel=1e-6)


def test_fisher_exact_equals_scipys_on_every_small_table_and_large_ones():
    # Ours for speed (analytics/stats.py); scipy's as the oracle, ties included.
    from scipy.stats import fisher_exact

    rng = np.random.default_rng(20261207)
    large = [tuple(int(v) for v in rng.integers(0, 1000, size=4)) for _ in range(40)]
    for a, b, c, d in [*itertools.product(range(7), repeat=4), *large]:
        expected = fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
        assert fisher_exact_two_sided(a, b, c, d) == pytest.approx(expected, rel=1e-9), (a, b, c, d)


def test_fisher_exact_is_symmetric_and_handles_empty_table():
    assert fisher_exact_two_sided(1, 9, 11, 3) == pytest.approx(fisher_exact_two_sided(11, 3, 1, 9))
    assert fisher_exact_two_sided(0, 0, 0, 0) == 1.0


def test_fisher_exact_rejects_negative_counts():
    with pytest.raises(ValueError):
        fisher_exact_two_sided(-1, 2, 3, 4)


def test_change_test_small_samples_use_fisher():
    # 1/10 met then 11/14: the Wikipedia table above read as before/after.
    result = change_test(1, 10, 11, 14)
    assert isinstance(result, ChangeResult)
    assert result.method == "fisher"
    assert result.change == pytest.approx(11 / 14 - 1 / 10)
    assert result.p_value == pytest.approx(0.002759456, rel=1e-6)
    assert result.beyond_chance is True


def test_change_test_not_beyond_chance():
    result = change_test(3, 4, 1, 4)  # the tea-tasting table, p = 34/70
    assert result.p_value == pytest.approx(0.4857143, rel=1e-6)
    assert result.change == pytest.approx(-0.5)
    assert result.beyond_chance is False


def test_change_test_switches_to_z_above_2000():
    assert change_test(500, 1000, 520, 1000).method == "fisher"
    assert change_test(500, 1000, 520, 1001).method == "two-proportion z"


def test_change_test_z_against_hand_computation():
    # 440/1100 = 0.40 met in a, 506/1100 = 0.46 met in b; n_a + n_b = 2200 > 2000.
    # pooled p = 946 / 2200 = 0.43; p(1 - p) = 0.43 * 0.57 = 0.2451
    # se = sqrt(0.2451 * (1/1100 + 1/1100)) = sqrt(0.000445636) = 0.0211101
    # z = (0.46 - 0.40) / 0.0211101 = 2.84224
    # p = 2 * (1 - Phi(2.84224)) = 0.004480 (normal tables: Phi(2.84) = 0.99774)
    result = change_test(440, 1100, 506, 1100)
    assert result.method == "two-proportion z"
    assert result.change == pytest.approx(0.06)
    assert result.p_value == pytest.approx(0.004480, abs=1e-6)
    # Independent check with the standard library's normal CDF rather than math.erfc.
    z = 0.06 / math.sqrt(0.43 * 0.57 * (2 / 1100))
    assert result.p_value == pytest.approx(2 * (1 - statistics.NormalDist().cdf(z)), rel=1e-9)
    assert result.beyond_chance is True
    assert change_test(440, 1100, 506, 1100, alpha=0.001).beyond_chance is False


def test_change_test_z_with_no_variation_is_not_significant():
    result = change_test(1500, 1500, 600, 600)
    assert result.method == "two-proportion z"
    assert result.p_value == 1.0
    assert result.beyond_chance is False


@pytest.mark.parametrize(("n_a", "n_b"), [(0, 10), (10, 0), (0, 0)])
def test_change_test_empty_period_is_nan_and_not_beyond_chance(n_a, n_b):
    result = change_test(0, n_a, 0, n_b)
    assert math.isnan(result.p_value)
    assert result.beyond_chance is False


def test_design_effect_is_answers_per_case_rounded_half_up():
    assert design_effect(100, 10) == 10
    assert design_effect(7, 4) == 2  # 1.75
    assert design_effect(5, 2) == 3  # 2.5 rounds up, not to even
    assert design_effect(3, 4) == 1  # never below one answer per case
    assert design_effect(0, 0) == 1


def test_pooled_change_is_tested_at_the_case_level():
    # 10 cases a round, 10 questions each: 30 of 100 answers met, then 60 of 100. Pooled as if
    # independent, Fisher gives p of about 3e-5; at the case level the counts become 3 of 10 and
    # 6 of 10, and Fisher on [[3, 7], [6, 4]] gives p = 62120 / 167960 (hypergeometric, by hand:
    # the tables with x = 0, 1, 2, 3, 6, 7, 8, 9 are as or less likely than x = 3).
    assert change_test(30, 100, 60, 100).beyond_chance
    result = pooled_change_test(30, 100, 10, 60, 100, 10)
    assert result.change == pytest.approx(0.3)
    assert result.p_value == pytest.approx(62120 / 167960)
    assert (result.method, result.beyond_chance, result.design_effect) == ("fisher", False, 10)


def test_pooled_change_rounds_each_round_by_its_own_design_effect():
    # 7 answers from 4 cases (effect 2): 3 met -> 2 of 4; 4 answers from 2 cases (effect 2):
    # 1 met -> 1 of 2. Fisher on [[1, 1], [2, 2]] is 1.
    result = pooled_change_test(1, 4, 2, 3, 7, 4)
    assert result.change == pytest.approx(3 / 7 - 1 / 4)
    assert result.p_value == pytest.approx(1.0)
    assert result == pooled_change_test(1, 4, 2, 3, 7, 4)  # deterministic
    with pytest.raises(ValueError):
        pooled_change_test(5, 4, 2, 3, 7, 4)


def test_change_test_rejects_impossible_counts():
    with pytest.raises(ValueError):
        change_test(11, 10, 1, 10)


def test_page_imports_load_neither_statsmodels_nor_scipy():
    # scipy is imported only inside secondary suppression, and statsmodels only by the tests,
    # so a page that suppresses nothing pays for neither (about 1.5 s and 1 s to import).
    code = (
        "import analytics.queries, analytics.views, analytics.charts, analytics.export, "
        "analytics.report_doc; import sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('statsmodels', 'scipy')))"
    )
    root = ROOT
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
