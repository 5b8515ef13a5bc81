"""Effect sizes: Welch and paired t intervals against statsmodels, independently of scipy."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from alstrial.analysis.effects import paired_difference, welch_difference


def test_welch_difference_matches_statsmodels():
    rng = np.random.default_rng(5)
    treated, control = rng.normal(-1.5, 2, 22), rng.normal(-3.5, 3, 19)
    ours = welch_difference(treated, control, 0.95)
    low, high = CompareMeans(DescrStatsW(treated), DescrStatsW(control)).tconfint_diff(
        alpha=0.05, usevar="unequal"
    )
    assert ours.estimate == pytest.approx(treated.mean() - control.mean())
    assert ours.ci_low == pytest.approx(low, rel=1e-10)
    assert ours.ci_high == pytest.approx(high, rel=1e-10)


def test_paired_difference_matches_statsmodels():
    rng = np.random.default_rng(6)
    before, after = rng.normal(-1, 0.6, 22), rng.normal(-0.5, 0.6, 22)
    ours = paired_difference(after, before, 0.9)
    low, high = DescrStatsW(after - before).tconfint_mean(alpha=0.1)
    assert ours.estimate == pytest.approx(np.mean(after - before))
    assert (ours.ci_low, ours.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert ours.confidence == 0.9


def test_undefined_intervals_are_nan():
    assert np.isnan(welch_difference([1.0], [2.0, 3.0]).ci_low)
    assert welch_difference([1.0], [2.0, 3.0]).estimate == pytest.approx(-1.5)
    assert np.isnan(paired_difference([1.0, 2.0], [0.0, 1.0]).ci_low)  # constant differences
    assert np.isnan(welch_difference([], [1.0]).estimate)
