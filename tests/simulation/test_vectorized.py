"""The vectorized engine's closed-form pieces against scipy and hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from alstrial.simulation.designs import load_design
from alstrial.simulation.trials import visit_grid
from alstrial.simulation.vectorized import (
    masked_ols_slope,
    paired_t_rows,
    subject_summaries,
    welch_t_rows,
)


def test_masked_ols_slope_matches_scipy_linregress():
    rng = np.random.default_rng(11)
    x = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.5, 4.0])
    y = rng.normal(30, 3, (50, x.size))
    mask = rng.random((50, x.size)) < 0.8
    slopes = masked_ols_slope(x, y, mask)
    for row in range(50):
        keep = mask[row]
        if keep.sum() < 2:
            assert np.isnan(slopes[row])
        else:
            assert slopes[row] == pytest.approx(stats.linregress(x[keep], y[row, keep]).slope)


def test_masked_ols_slope_needs_two_visits():
    x = np.array([0.0, 1.0, 2.0])
    y = np.array([[40.0, 39.0, 37.0], [40.0, 39.0, 37.0]])
    mask = np.array([[True, False, False], [True, False, True]])
    slopes = masked_ols_slope(x, y, mask)
    assert np.isnan(slopes[0])
    assert slopes[1] == pytest.approx(-1.5)


def test_paired_t_rows_match_scipy():
    rng = np.random.default_rng(5)
    d = rng.normal(0.2, 1.0, (40, 22))
    mask = rng.random((40, 22)) < 0.9
    d[0, 3] = np.nan  # a subject without one of the slopes
    mean, p = paired_t_rows(d, mask)
    for row in range(40):
        values = d[row][mask[row] & ~np.isnan(d[row])]
        expected = stats.ttest_1samp(values, 0.0)
        assert mean[row] == pytest.approx(values.mean())
        assert p[row] == pytest.approx(expected.pvalue, rel=1e-10)


def test_paired_t_rows_without_variance_or_pairs_give_no_test():
    d = np.array([[0.3, 0.3, 0.3, 0.3], [0.5, 0.1, 0.2, 0.7]])
    mask = np.array([[True] * 4, [True, False, False, False]])
    mean, p = paired_t_rows(d, mask)
    assert mean[0] == pytest.approx(0.3)
    assert np.isnan(p[0])  # all differences equal: the analysis engine gives no p either
    assert np.isnan(mean[1])
    assert np.isnan(p[1])


def test_welch_t_rows_match_scipy():
    rng = np.random.default_rng(8)
    x = rng.normal(-0.5, 0.8, (30, 25))
    y = rng.normal(-0.9, 1.3, (30, 18))
    x_mask = rng.random(x.shape) < 0.85
    y_mask = rng.random(y.shape) < 0.85
    difference, p = welch_t_rows(x, x_mask, y, y_mask)
    for row in range(30):
        a, b = x[row][x_mask[row]], y[row][y_mask[row]]
        expected = stats.ttest_ind(a, b, equal_var=False)
        assert difference[row] == pytest.approx(a.mean() - b.mean())
        assert p[row] == pytest.approx(expected.pvalue, rel=1e-10)


def test_welch_t_rows_with_a_tiny_group_give_no_test():
    x = np.array([[1.0, 2.0, 3.0]])
    y = np.array([[1.0, 5.0]])
    difference, p = welch_t_rows(x, np.ones_like(x, bool), y, np.array([[True, False]]))
    assert np.isnan(difference[0])
    assert np.isnan(p[0])


def test_subject_summaries_hand_worked():
    # kim2009 visits: months -3, -2, -1, 0, 1, 2, 3 (as whole days / 30.4375).
    grid = visit_grid(load_design("kim2009"))
    assert list(grid.days) == [-91, -61, -30, 0, 30, 61, 91]
    totals = np.array(
        [
            [40, 39, 38, 36, 36, 35, 34],  # complete
            [40, 39, 38, 36, 35, 0, 0],  # left after month 1
            [40, 39, 38, 36, 0, 0, 0],  # left at baseline: no follow-up
        ],
        dtype=float,
    )
    seen = np.array([[True] * 7, [True] * 5 + [False] * 2, [True] * 4 + [False] * 3], dtype=bool)
    lead_in, follow_up, change = subject_summaries(grid, totals, seen)
    months = grid.days / 30.4375
    assert lead_in[0] == pytest.approx(np.polyfit(months[:4], totals[0, :4], 1)[0])
    # Follow-up: baseline (day 0) plus the later visits, as docs/interfaces.md, 'Analysis data'
    # defines it.
    assert follow_up[0] == pytest.approx(np.polyfit(months[3:], totals[0, 3:], 1)[0])
    assert follow_up[1] == pytest.approx((35 - 36) / (30 / 30.4375))
    assert np.isnan(follow_up[2])
    assert np.isnan(change[2])
    assert list(change[:2]) == [34 - 36, 35 - 36]
