"""Hodges-Lehmann estimates, the rank-based effect sizes that go with the Wilcoxon tests.

- Between arms: the median of all treated-minus-control differences (location shift).
- Within an arm: the pseudo-median of the non-zero paired differences (median of their Walsh
  averages).

Zero differences are dropped before the pseudo-median, as they are before the signed-rank test
(:func:`.tests.wilcoxon_signed_rank`): the estimate and the test describe the same differences.
This is R's convention: ``wilcox.test(x, conf.int = TRUE)`` removes ``x == 0`` before both the
statistic and the estimate (tests/reference/hodges_lehmann_zeros.R shows its estimate is the same
with and without the zeros). Keeping the zeros pulls the estimate towards 0 (from 2 to 1 points in
that reference's ties case). Between arms a zero treated-minus-control difference is a tie, not a
zero, and is kept (R and the rank-sum test keep it too).

Confidence intervals are the distribution-free intervals of R's ``wilcox.test(conf.int = TRUE)``
in its exact case: order statistics of the differences (or Walsh averages) at the exact null
quantiles of W (or V). They are given only where R's rule makes the test exact (fewer than 50
values per group, no ties, no zero differences); elsewhere R inverts the normal approximation
numerically, which is not reproduced here, and the interval is left empty (the estimate stays).
Units are those of the outcome (points, or points/month for slopes).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np

from alstrial.analysis.results import NAN, Estimate
from alstrial.analysis.tests import EXACT, _pairs, _values, rank_sum_method, signed_rank_method

# R's quantile search allows this much below the target probability (10 * DBL_EPSILON).
_FUZZ = Fraction(10 * np.finfo(float).eps)


@cache
def signed_rank_counts(n: int) -> tuple[int, ...]:
    """Number of sign patterns giving V = 0..n(n+1)/2: coefficients of prod (1 + q^i)."""
    counts = [1] + [0] * (n * (n + 1) // 2)
    for i in range(1, n + 1):
        for v in range(len(counts) - 1, i - 1, -1):
            counts[v] += counts[v - i]
    return tuple(counts)


@cache
def rank_sum_counts(m: int, n: int) -> tuple[int, ...]:
    """Number of rankings giving U = 0..mn: coefficients of the Gaussian binomial
    [m + n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)."""
    counts = [1] + [0] * (m * n)
    for i in range(1, m + 1):
        for u in range(len(counts) - 1, n + i - 1, -1):  # times (1 - q^(n+i))
            counts[u] -= counts[u - n - i]
        for u in range(i, len(counts)):  # divided by (1 - q^i)
            counts[u] += counts[u - i]
    return tuple(counts)


def _quantile(counts: tuple[int, ...], p: float) -> int:
    """Smallest q with P(statistic <= q) >= p (R's qsignrank / qwilcox)."""
    total = sum(counts)
    target = (Fraction(p) - _FUZZ) * total
    cumulative = 0
    for q, count in enumerate(counts):
        cumulative += count
        if cumulative >= target:
            return q
    return len(counts) - 1


def _interval(sorted_values: np.ndarray, counts: tuple[int, ...], confidence: float):
    qu = _quantile(counts, (1 - confidence) / 2) or 1
    ql = len(sorted_values) - qu
    return float(sorted_values[qu - 1]), float(sorted_values[ql])


def hodges_lehmann_shift(
    x: Any, y: Any, confidence: float = 0.95, exact_limit: int = 50
) -> Estimate:
    """Median of all ``x_i - y_j`` with R's exact confidence interval where the test is exact."""
    a, b = _values(x), _values(y)
    if a.size == 0 or b.size == 0:
        return Estimate(NAN, NAN, NAN, confidence, "Hodges-Lehmann shift")
    diffs = np.sort(np.subtract.outer(a, b).ravel())
    estimate = float(np.median(diffs))
    if rank_sum_method(a, b, exact_limit) != EXACT:
        return Estimate(
            estimate,
            NAN,
            NAN,
            confidence,
            "Hodges-Lehmann shift (interval only where the test is exact)",
        )
    low, high = _interval(diffs, rank_sum_counts(a.size, b.size), confidence)
    return Estimate(estimate, low, high, confidence, "Hodges-Lehmann shift, exact interval")


def hodges_lehmann_paired(
    after: Any, before: Any, confidence: float = 0.95, exact_limit: int = 50
) -> Estimate:
    """Pseudo-median of the non-zero ``after - before`` (median of their Walsh averages; zeros
    are dropped as the signed-rank test drops them), with R's exact interval where the
    signed-rank test is exact (never when there were zeros, as in R)."""
    a, b = _pairs(after, before)
    all_differences = a - b
    d = all_differences[all_differences != 0]
    if d.size == 0:
        return Estimate(NAN, NAN, NAN, confidence, "Hodges-Lehmann pseudo-median")
    i, j = np.triu_indices(d.size)
    walsh = np.sort((d[i] + d[j]) / 2)
    estimate = float(np.median(walsh))
    if signed_rank_method(all_differences, exact_limit) != EXACT:
        return Estimate(
            estimate,
            NAN,
            NAN,
            confidence,
            "Hodges-Lehmann pseudo-median (interval only where the test is exact)",
        )
    low, high = _interval(walsh, signed_rank_counts(d.size), confidence)
    return Estimate(estimate, low, high, confidence, "Hodges-Lehmann pseudo-median, exact interval")
