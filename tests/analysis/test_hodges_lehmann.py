"""Hodges-Lehmann estimates and exact intervals against R's wilcox.test(conf.int = TRUE)
(tests/reference/rank_and_t_tests_r.json) and the null distributions against combinatorics."""

from __future__ import annotations

import itertools
import json
from math import comb
from pathlib import Path

import numpy as np
import pytest

from alstrial.analysis.hodges_lehmann import (
    hodges_lehmann_paired,
    hodges_lehmann_shift,
    rank_sum_counts,
    signed_rank_counts,
)

REFERENCE = Path(__file__).parents[1] / "reference"
CASES = {c["name"]: c for c in json.loads((REFERENCE / "rank_cases.json").read_text())}
R = json.loads((REFERENCE / "rank_and_t_tests_r.json").read_text())


def _estimate(case):
    x = np.array(case["x"])
    if case["kind"] == "signed_rank":
        return hodges_lehmann_paired(x, np.zeros_like(x)), x
    return hodges_lehmann_shift(x, np.array(case["y"])), x


@pytest.mark.parametrize("name", sorted(n for n in CASES if "exact" in R[n]["wilcox_method"]))
def test_exact_cases_match_r(name):
    estimate, _ = _estimate(CASES[name])
    assert estimate.estimate == pytest.approx(R[name]["wilcox_estimate"], abs=1e-12)
    assert [estimate.ci_low, estimate.ci_high] == pytest.approx(R[name]["wilcox_ci"], abs=1e-12)


@pytest.mark.parametrize("name", sorted(n for n in CASES if "exact" not in R[n]["wilcox_method"]))
def test_normal_cases_give_the_textbook_estimate_without_interval(name):
    case = CASES[name]
    estimate, x = _estimate(case)
    if case["kind"] == "signed_rank":
        d = x[x != 0]  # zero differences are dropped, as the signed-rank test drops them
        walsh = [(d[i] + d[j]) / 2 for i in range(len(d)) for j in range(i, len(d))]
        expected = np.median(walsh)
    else:
        expected = np.median(np.subtract.outer(x, np.array(case["y"])))
    assert estimate.estimate == pytest.approx(expected)
    assert np.isnan(estimate.ci_low)
    # R finds its estimate by inverting the normal approximation: close, not equal
    assert estimate.estimate == pytest.approx(R[name]["wilcox_estimate"], abs=0.06)


ZEROS = json.loads((REFERENCE / "hodges_lehmann_zeros_r.json").read_text())


@pytest.mark.parametrize("name", ["zeros_ties", "zeros_no_ties"])
def test_pseudo_median_drops_zero_differences_as_r_and_the_test_do(name):
    reference = ZEROS[name]
    x = np.array(reference["x"], dtype=float)
    estimate = hodges_lehmann_paired(x, np.zeros_like(x))
    nonzero = x[x != 0]
    i, j = np.triu_indices(nonzero.size)
    assert estimate.estimate == pytest.approx(np.median((nonzero[i] + nonzero[j]) / 2))
    # R drops the zeros: its estimate is the same with and without them ...
    assert reference["estimate"] == pytest.approx(reference["estimate_nonzero_only"], abs=1e-12)
    # ... and, found by inverting the normal approximation, close to the Walsh median
    assert estimate.estimate == pytest.approx(reference["estimate"], abs=0.05)
    # keeping the zeros (the old convention) is far from R's estimate
    assert abs(reference["walsh_median_with_zeros"] - reference["estimate"]) > 0.2
    assert np.isnan(estimate.ci_low)  # R: not exact with zeros, no interval here
    assert np.isnan(estimate.ci_high)


def test_pseudo_median_of_only_zero_differences_is_empty():
    estimate = hodges_lehmann_paired([1.0, 2.0], [1.0, 2.0])
    assert np.isnan(estimate.estimate)


def test_null_distributions_by_enumeration():
    n = 6
    sums = [sum(s) for k in range(n + 1) for s in itertools.combinations(range(1, n + 1), k)]
    assert signed_rank_counts(n) == tuple(np.bincount(sums, minlength=n * (n + 1) // 2 + 1))
    m, k = 4, 3
    u = [sum(r) - m * (m + 1) // 2 for r in itertools.combinations(range(1, m + k + 1), m)]
    assert rank_sum_counts(m, k) == tuple(np.bincount(u, minlength=m * k + 1))
    assert sum(rank_sum_counts(30, 49)) == comb(79, 30)
    assert sum(signed_rank_counts(49)) == 2**49
