"""Row-wise rank tests against the analysis engine's (scipy with R's exact/normal rule)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from alstrial.analysis.tests import mann_whitney, wilcoxon_signed_rank
from alstrial.simulation.ranks import rank_sum_rows, signed_rank_rows


def samples(rng, n: int, discrete: bool) -> np.ndarray:
    """Continuous values, or values on a coarse grid (ties and zeros: the normal path)."""
    return rng.integers(-3, 4, n) / 3.0 if discrete else rng.normal(0.2, 1.0, n)


@pytest.mark.parametrize("discrete", [False, True])
def test_signed_rank_rows_match_the_analysis_engine(discrete):
    rng = np.random.default_rng(31 + discrete)
    for _ in range(60):
        n = int(rng.integers(1, 60))  # both sides of the exact limit of 50
        d = samples(rng, n, discrete)
        keep = rng.random(n) < 0.9
        p = signed_rank_rows(d[None], keep[None])[0]
        expected = wilcoxon_signed_rank(d[keep], np.zeros(keep.sum())).p_value
        if np.isnan(expected):
            assert np.isnan(p)
        else:
            assert p == pytest.approx(expected, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("discrete", [False, True])
def test_rank_sum_rows_match_the_analysis_engine(discrete):
    rng = np.random.default_rng(41 + discrete)
    for _ in range(60):
        n1, n2 = (int(v) for v in rng.integers(1, 60, 2))
        x, y = samples(rng, n1, discrete), samples(rng, n2, discrete) + 0.3
        kx, ky = rng.random(n1) < 0.9, rng.random(n2) < 0.9
        p = rank_sum_rows(x[None], kx[None], y[None], ky[None])[0]
        expected = mann_whitney(x[kx], y[ky]).p_value
        if np.isnan(expected):
            assert np.isnan(p)
        else:
            assert p == pytest.approx(expected, rel=1e-10, abs=1e-14)


def test_exact_signed_rank_hand_worked():
    # n = 3, differences +1, +2, -3: V+ = 3. Of the 8 sign patterns, V+ <= 3 in 5 (sums 0, 1, 2,
    # 3 and 1+2) and V+ >= 3 in 5, so p = 2 * min(5/8, 5/8) capped at 1 = 1.
    assert signed_rank_rows(np.array([[1.0, 2.0, -3.0]]), np.ones((1, 3), bool))[0] == 1.0
    # n = 5, all positive: V+ = 15, only 1 of 32 patterns reaches it: p = 2/32.
    p = signed_rank_rows(np.arange(1.0, 6.0)[None], np.ones((1, 5), bool))[0]
    assert p == pytest.approx(2 / 32)


def test_exact_rank_sum_hand_worked():
    # Every x above every y, 3 and 4 values: one arrangement in C(7, 3) = 35 gives U = 12.
    x, y = np.array([[5.0, 6.0, 7.0]]), np.array([[1.0, 2.0, 3.0, 4.0]])
    p = rank_sum_rows(x, np.ones_like(x, bool), y, np.ones_like(y, bool))[0]
    assert p == pytest.approx(2 / 35)
    assert p == pytest.approx(stats.mannwhitneyu(x[0], y[0], method="exact").pvalue)


def test_nearly_equal_slopes_are_ties():
    # Equal in exact arithmetic, different in the last bit: must tie (normal approximation).
    a = 0.1 + 0.2
    d = np.array([[a, 0.3, -1.0, 2.0, 1.5]])
    tied = signed_rank_rows(d, np.ones_like(d, bool))[0]
    expected = wilcoxon_signed_rank(np.round(d[0], 9), np.zeros(5)).p_value
    assert tied == pytest.approx(expected)
    assert wilcoxon_signed_rank(d[0], np.zeros(5)).method == "exact"  # unrounded: no tie seen
