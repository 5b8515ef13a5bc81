"""Summaries of a run: the Wilson interval, the analysis targets, the per-trial rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alstrial.simulation.designs import load_design
from alstrial.simulation.results import AnalysisSummary, analysis_target, rejection_interval
from alstrial.simulation.trials import visit_grid


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927), written out."""
    z = stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(50, 1000), (0, 200), (318, 1000), (200, 200)])
def test_rejection_interval_is_wilsons(k, n):
    low, high = rejection_interval(k, n)
    expected = wilson_by_hand(k, n)
    assert low == pytest.approx(expected[0], abs=1e-12)
    assert high == pytest.approx(expected[1], abs=1e-12)


def test_slope_target_is_the_effect_without_delay_and_less_with_one():
    design = load_design("randomized_parallel")
    assert analysis_target(design, "welch_slope", 0.5) == pytest.approx(0.5)
    delayed = design.with_changes(effect_delay_months=2.0)
    grid = visit_grid(delayed)
    months = grid.months[grid.baseline :]
    shift = 0.5 * np.maximum(months - 2.0, 0.0)
    expected = np.polyfit(months, shift, 1)[0]
    assert analysis_target(delayed, "welch_slope", 0.5) == pytest.approx(expected)
    assert expected < 0.5


def test_change_target_is_the_points_added_by_the_last_visit():
    design = load_design("kim2009")  # last visit: day 91 = 2.9897 months
    assert analysis_target(design, "welch_change", 1.0) == pytest.approx(91 / 30.4375)


def test_a_trial_without_a_test_does_not_reject():
    design = load_design("randomized_parallel")
    estimates = np.array([0.5, np.nan, -0.2, 0.1])
    p_values = np.array([0.01, np.nan, 0.03, 0.5])
    summary = AnalysisSummary.from_arrays(design, "welch_slope", 0.0, estimates, p_values)
    assert summary.rejection_rate == 0.5
    assert summary.declared_effective_rate == 0.25  # only the first is in the treatment's favour
    assert summary.trials_without_test == 1
    assert summary.mean_estimate == pytest.approx((0.5 - 0.2 + 0.1) / 3)
    assert summary.bias == pytest.approx(summary.mean_estimate)
    assert summary.estimate_sd == pytest.approx(np.std([0.5, -0.2, 0.1], ddof=1))
    assert summary.mean_estimate_se == pytest.approx(summary.estimate_sd / np.sqrt(3))
