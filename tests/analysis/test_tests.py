"""alstrial.analysis.tests against R's wilcox.test / t.test (tests/reference, made by
rank_and_t_tests.R) and against scipy called directly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from alstrial.analysis.tests import (
    EXACT,
    NORMAL,
    mann_whitney,
    paired_t,
    rank_sum_method,
    signed_rank_method,
    welch_t,
    wilcoxon_signed_rank,
)

REFERENCE = Path(__file__).parents[1] / "reference"
CASES = {c["name"]: c for c in json.loads((REFERENCE / "rank_cases.json").read_text())}
R = json.loads((REFERENCE / "rank_and_t_tests_r.json").read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_rank_tests_match_r_wilcox_test(name):
    case, expected = CASES[name], R[name]
    x = np.array(case["x"])
    if case["kind"] == "signed_rank":
        # differences d = after - before with before = 0
        result = wilcoxon_signed_rank(x, np.zeros_like(x))
    else:
        result = mann_whitney(x, np.array(case["y"]))
    r_exact = "exact" in expected["wilcox_method"]
    assert (result.method == EXACT) == r_exact, expected["wilcox_method"]
    assert result.statistic == pytest.approx(expected["wilcox_statistic"], abs=1e-9)
    assert result.p_value == pytest.approx(expected["wilcox_p"], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_t_tests_match_r_t_test(name):
    case, expected = CASES[name], R[name]
    x = np.array(case["x"])
    if case["kind"] == "signed_rank":
        result = paired_t(x, np.zeros_like(x))
    else:
        result = welch_t(x, np.array(case["y"]))
    assert result.statistic == pytest.approx(expected["t_statistic"], rel=1e-9)
    assert result.p_value == pytest.approx(expected["t_p"], rel=1e-9)


def test_reference_covers_every_branch_of_the_rule():
    methods = {name: "exact" in R[name]["wilcox_method"] for name in CASES}
    assert methods["signed_no_ties_n49"]
    assert not methods["signed_no_ties_n50"]
    assert not methods["signed_ties_n12"]
    assert not methods["signed_zero_n10"]
    assert methods["ranksum_no_ties_49_30"]
    assert not methods["ranksum_no_ties_50_30"]
    assert not methods["ranksum_ties_22_22"]


def test_signed_rank_rule():
    rng = np.random.default_rng(1)
    assert signed_rank_method(rng.normal(size=49)) == EXACT
    assert signed_rank_method(rng.normal(size=50)) == NORMAL
    assert signed_rank_method([0.5, -1.0, 1.0, 2.0]) == NORMAL  # |d| ties
    assert signed_rank_method([0.0, 1.0, 2.0, 3.0]) == NORMAL  # a zero difference
    # 50 values of which one is zero: 49 non-zero, but the zero alone forces the normal method
    values = np.concatenate([[0.0], rng.normal(size=49)])
    assert signed_rank_method(values) == NORMAL


def test_rank_sum_rule():
    rng = np.random.default_rng(2)
    assert rank_sum_method(rng.normal(size=49), rng.normal(size=49)) == EXACT
    assert rank_sum_method(rng.normal(size=50), rng.normal(size=3)) == NORMAL
    assert rank_sum_method([1.0, 2.0], [2.0, 3.0]) == NORMAL  # a tie across groups
    assert rank_sum_method([1.0, 1.0], [2.0, 3.0]) == NORMAL  # a tie within a group


def test_where_scipy_automatic_choice_differs_from_r():
    # Ties, n = 12: R uses the normal approximation; scipy's default ('auto') does not
    # necessarily, so the result must match scipy only when the method is forced.
    d = np.array(CASES["signed_ties_n12"]["x"])
    forced = stats.wilcoxon(d, method="approx", correction=True)
    assert wilcoxon_signed_rank(d, np.zeros_like(d)).p_value == pytest.approx(forced.pvalue)
    x = np.arange(1.0, 11.0)
    y = np.arange(10.5, 40.5)  # 30 values, no ties: R is exact (both < 50)
    ours = mann_whitney(x, y)
    assert ours.method == EXACT
    assert ours.p_value == pytest.approx(stats.mannwhitneyu(x, y, method="exact").pvalue)


def test_paired_t_and_welch_against_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=22), rng.normal(size=22)
    assert paired_t(a, b).p_value == pytest.approx(stats.ttest_rel(a, b).pvalue)
    c = rng.normal(0.5, 2, size=17)
    assert welch_t(a, c).p_value == pytest.approx(stats.ttest_ind(a, c, equal_var=False).pvalue)


def test_missing_pairs_are_dropped():
    after = np.array([1.0, np.nan, 3.0, 4.5, 2.0])
    before = np.array([0.0, 1.0, np.nan, 1.0, 0.5])
    result = paired_t(after, before)
    assert result.n == 3
    assert result.p_value == pytest.approx(stats.ttest_rel([1.0, 4.5, 2.0], [0.0, 1.0, 0.5]).pvalue)


def test_degenerate_inputs_give_nan_with_a_note():
    assert np.isnan(paired_t([1.0], [0.0]).p_value)
    zero = wilcoxon_signed_rank([1.0, 2.0], [1.0, 2.0])
    assert np.isnan(zero.p_value)
    assert "no non-zero" in zero.note
    assert np.isnan(welch_t([1.0], [2.0, 3.0]).p_value)
    assert np.isnan(mann_whitney([], [1.0]).p_value)


def test_zero_differences_are_dropped_and_reported():
    result = wilcoxon_signed_rank([1.0, 2.0, 3.0, 4.0], [1.0, 0.5, 0.7, 1.5])
    assert result.n == 3
    assert "1 zero" in result.note
