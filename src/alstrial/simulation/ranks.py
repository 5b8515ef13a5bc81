"""Row-wise rank tests for the vectorized engine: Wilcoxon signed-rank and Mann-Whitney U.

They follow the analysis engine (:mod:`alstrial.analysis.tests`), which follows R's
``wilcox.test`` (docs/interfaces.md, 'Analysis data'): the exact p-value when each group has fewer
than 50 values and there are no ties (signed-rank: and no zero differences); otherwise the
normal approximation with the tie-corrected variance and a continuity correction of 0.5. Zero
differences are dropped before the signed-rank test. Two-sided throughout.

Exact null distributions are counted by dynamic programming (Wilcoxon: subsets of ``1..n`` by
their sum; Mann-Whitney: the Gaussian binomial coefficient by ``U``) and cached per sample size.

Ranks come from pairwise comparisons within each row: ``rank_i = #{x_j < x_i} + (t_i + 1) / 2``
with ``t_i`` the size of ``x_i``'s tie group, which is the mid-rank rule, and ``sum (t_i^2 - 1)``
over the row is the tie term ``sum (t^3 - t)`` over tie groups.

Values are rounded to :data:`TIE_DECIMALS` decimals first (in both engines): slopes computed in
floating point by different formulas differ in their last bits, and two slopes equal in exact
arithmetic must count as a tie in both engines, or one engine would take the exact path and
the other the normal approximation.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.special import ndtr

#: Decimals kept before ranking (1e-9 points/month, far below any clinical difference).
TIE_DECIMALS = 9
EXACT_LIMIT = 50


def _ranks(values: np.ndarray, mask: np.ndarray):
    """Mid-ranks within each row over ``mask`` (0 elsewhere), the tie term and a ties flag."""
    x = np.where(mask, values, np.nan)
    equal = x[:, :, None] == x[:, None, :]  # NaN is equal to nothing
    below = x[:, None, :] < x[:, :, None]
    ties = equal.sum(axis=2)
    ranks = np.where(mask, below.sum(axis=2) + (ties + 1) / 2.0, 0.0)
    tie_term = np.where(mask, ties * ties - 1, 0).sum(axis=1)
    return ranks, tie_term.astype(float), (np.where(mask, ties, 1) > 1).any(axis=1)


@cache
def _signed_rank_cdf(n: int) -> np.ndarray:
    """P(V+ <= v) for v = 0 .. n(n+1)/2 under the null, n distinct non-zero differences."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return np.cumsum(counts) / 2.0**n


@cache
def _rank_sum_cdf(n1: int, n2: int) -> np.ndarray:
    """P(U <= u) for u = 0 .. n1 n2 under the null, no ties (U of the first sample)."""
    # f[i][j] = counts of U for samples of i and j; f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u).
    previous = [np.ones(1) for _ in range(n2 + 1)]  # i = 0: U is 0 in one way
    for i in range(1, n1 + 1):
        current = [np.ones(1)]  # j = 0
        for j in range(1, n2 + 1):
            counts = np.zeros(i * j + 1)
            counts[j : j + previous[j].size] += previous[j]
            counts[: current[j - 1].size] += current[j - 1]
            current.append(counts)
        previous = current
    counts = previous[n2]
    return np.cumsum(counts) / counts.sum()


def _two_sided_exact(cdf: np.ndarray, statistic: float) -> float:
    """2 min(P(S <= s), P(S >= s)), at most 1, for an integer statistic ``s``."""
    s = round(statistic)
    lower = cdf[s]
    upper = 1.0 - (cdf[s - 1] if s > 0 else 0.0)
    return min(1.0, 2.0 * min(lower, upper))


def signed_rank_rows(differences: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row-wise two-sided Wilcoxon signed-rank p-values of ``differences`` (after - before);
    NaN when a row has no non-zero difference."""
    d = np.round(differences, TIE_DECIMALS)
    valid = mask & ~np.isnan(d)
    nonzero = valid & (d != 0)
    n = nonzero.sum(axis=1)
    ranks, tie_term, ties = _ranks(np.abs(d), nonzero)
    v_plus = np.where(nonzero & (d > 0), ranks, 0.0).sum(axis=1)
    zeros = (valid & (d == 0)).any(axis=1)
    mean = n * (n + 1) / 4.0
    variance = n * (n + 1) * (2 * n + 1) / 24.0 - tie_term / 48.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (v_plus - mean - 0.5 * np.sign(v_plus - mean)) / np.sqrt(variance)
        p = np.minimum(1.0, 2.0 * ndtr(-np.abs(z)))
    exact = (n < EXACT_LIMIT) & ~ties & ~zeros & (n > 0)
    for row in np.flatnonzero(exact):
        p[row] = _two_sided_exact(_signed_rank_cdf(int(n[row])), v_plus[row])
    return np.where(n > 0, p, np.nan)


def rank_sum_rows(x: np.ndarray, x_mask: np.ndarray, y: np.ndarray, y_mask: np.ndarray):
    """Row-wise two-sided Mann-Whitney U p-values of ``x`` against ``y``; NaN when a group is
    empty or (normal approximation) every value is equal."""
    combined = np.round(np.concatenate([x, y], axis=1), TIE_DECIMALS)
    valid = np.concatenate([x_mask, y_mask], axis=1) & ~np.isnan(combined)
    in_x = np.zeros(valid.shape, dtype=bool)
    in_x[:, : x.shape[1]] = True
    n1 = (valid & in_x).sum(axis=1)
    n2 = (valid & ~in_x).sum(axis=1)
    ranks, tie_term, ties = _ranks(combined, valid)
    u1 = np.where(valid & in_x, ranks, 0.0).sum(axis=1) - n1 * (n1 + 1) / 2.0
    u = np.maximum(u1, n1 * n2 - u1)
    n = n1 + n2
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
        z = (u - n1 * n2 / 2.0 - 0.5) / np.sqrt(variance)
        p = np.minimum(1.0, 2.0 * ndtr(-z))
    exact = (n1 < EXACT_LIMIT) & (n2 < EXACT_LIMIT) & ~ties & (n1 > 0) & (n2 > 0)
    for row in np.flatnonzero(exact):
        p[row] = _two_sided_exact(_rank_sum_cdf(int(n1[row]), int(n2[row])), u[row])
    usable = (n1 > 0) & (n2 > 0) & (exact | (variance > 0))
    return np.where(usable, p, np.nan)
