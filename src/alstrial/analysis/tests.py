"""Hypothesis tests: paired t, Wilcoxon signed-rank, Welch t and Mann-Whitney U (two-sided).

The rank tests follow the rule of R's ``wilcox.test`` (docs/interfaces.md, 'Analysis data'): the
exact p-value when each group has fewer than ``exact_limit`` (50) values and there are no ties (and,
for the signed-rank test, no zero differences); otherwise the normal approximation with the
tie-corrected variance and a continuity correction of 0.5. Zero differences are dropped before
the signed-rank test (R's and scipy's ``zero_method="wilcox"``). scipy's automatic choice of
method differs from R's, so the method is always passed to scipy explicitly and named in the
result.

These functions rank the values they are given, as R does. Computed values (slopes) should first
go through :func:`for_ranking`: two slopes equal in exact arithmetic, or a difference that is
exactly zero, may differ in their last bits, which would silently switch a test from the normal
approximation to the exact p-value. The efficacy analysis does this.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from alstrial.analysis.results import NAN, TestResult

#: Decimals kept by :func:`for_ranking` (1e-9 points/month: far below any clinical difference).
TIE_DECIMALS = 9
EXACT = "exact"
NORMAL = "normal approximation with continuity correction"


def _values(x: Any) -> np.ndarray:
    array = np.asarray(x, dtype=float)
    return array[~np.isnan(array)]


def for_ranking(values: Any) -> np.ndarray:
    """Values rounded to :data:`TIE_DECIMALS` decimals, so that floating-point noise in
    computed values neither breaks a tie nor hides a zero difference."""
    return np.round(np.asarray(values, dtype=float), TIE_DECIMALS)


def _has_ties(values: np.ndarray) -> bool:
    return np.unique(values).size != values.size


def signed_rank_method(differences: Any, exact_limit: int = 50) -> str:
    """``exact`` or the normal approximation, by R's rule for the signed-rank test."""
    d = _values(differences)
    zeros = bool(np.any(d == 0))
    nonzero = d[d != 0]
    if nonzero.size < exact_limit and not _has_ties(np.abs(nonzero)) and not zeros:
        return EXACT
    return NORMAL


def rank_sum_method(x: Any, y: Any, exact_limit: int = 50) -> str:
    """``exact`` or the normal approximation, by R's rule for the rank-sum (Mann-Whitney) test."""
    a, b = _values(x), _values(y)
    if a.size < exact_limit and b.size < exact_limit and not _has_ties(np.concatenate([a, b])):
        return EXACT
    return NORMAL


def paired_t(after: Any, before: Any) -> TestResult:
    """Paired t-test of ``after - before`` (pairs with a missing value are dropped)."""
    a, b = _pairs(after, before)
    if a.size < 2:
        return TestResult(
            "paired t", NAN, NAN, "t distribution", int(a.size), note="fewer than 2 pairs"
        )
    if np.all(a - b == (a - b)[0]):
        return TestResult(
            "paired t",
            NAN,
            NAN,
            "t distribution",
            int(a.size),
            note="all differences are equal: no variance",
        )
    result = stats.ttest_rel(a, b, alternative="two-sided")
    return TestResult(
        "paired t", float(result.statistic), float(result.pvalue), "t distribution", int(a.size)
    )


def wilcoxon_signed_rank(after: Any, before: Any, exact_limit: int = 50) -> TestResult:
    """Wilcoxon signed-rank test of ``after - before``; statistic V = sum of positive ranks."""
    a, b = _pairs(after, before)
    d = a - b
    nonzero = d[d != 0]
    n_zero = int(d.size - nonzero.size)
    note = f"{n_zero} zero difference(s) dropped" if n_zero else ""
    if nonzero.size == 0:
        reason = "no pairs" if d.size == 0 else "no non-zero difference"
        return TestResult("Wilcoxon signed-rank", NAN, NAN, "none", int(d.size), note=reason)
    method = signed_rank_method(d, exact_limit)
    scipy_method = "exact" if method == EXACT else "approx"
    result = stats.wilcoxon(
        nonzero,
        zero_method="wilcox",
        correction=method == NORMAL,
        alternative="two-sided",
        method=scipy_method,
    )
    # scipy reports min(V+, V-) for two-sided tests; R and readers expect V+.
    ranks = stats.rankdata(np.abs(nonzero))
    v_plus = float(ranks[nonzero > 0].sum())
    return TestResult(
        "Wilcoxon signed-rank", v_plus, float(result.pvalue), method, int(nonzero.size), note=note
    )


def welch_t(x: Any, y: Any) -> TestResult:
    """Welch's two-sample t-test of mean(x) - mean(y) (unequal variances)."""
    a, b = _values(x), _values(y)
    method, n = "t distribution (Welch-Satterthwaite df)", (int(a.size), int(b.size))
    if a.size < 2 or b.size < 2:
        return TestResult("Welch t", NAN, NAN, method, n, note="fewer than 2 values in a group")
    if np.var(a) == 0 and np.var(b) == 0:
        return TestResult("Welch t", NAN, NAN, method, n, note="no variance in either group")
    result = stats.ttest_ind(a, b, equal_var=False, alternative="two-sided")
    return TestResult("Welch t", float(result.statistic), float(result.pvalue), method, n)


def mann_whitney(x: Any, y: Any, exact_limit: int = 50) -> TestResult:
    """Mann-Whitney U (Wilcoxon rank-sum) test; statistic W = U of ``x`` (R's W)."""
    a, b = _values(x), _values(y)
    if a.size == 0 or b.size == 0:
        return TestResult(
            "Mann-Whitney U", NAN, NAN, "none", (int(a.size), int(b.size)), note="an empty group"
        )
    method = rank_sum_method(a, b, exact_limit)
    if method == NORMAL and np.unique(np.concatenate([a, b])).size == 1:
        return TestResult(
            "Mann-Whitney U",
            NAN,
            NAN,
            method,
            (int(a.size), int(b.size)),
            note="all values are equal",
        )
    result = stats.mannwhitneyu(
        a,
        b,
        alternative="two-sided",
        use_continuity=method == NORMAL,
        method="exact" if method == EXACT else "asymptotic",
    )
    return TestResult(
        "Mann-Whitney U",
        float(result.statistic),
        float(result.pvalue),
        method,
        (int(a.size), int(b.size)),
    )


def _pairs(after: Any, before: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(after, dtype=float)
    b = np.asarray(before, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.size} and {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep]
