"""Edland's closed-form power: the formula by hand, and against simulation (linear model)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alstrial.domain.errors import ValidationError
from alstrial.simulation.designs import Enrolment, load_design
from alstrial.simulation.edland import (
    ROUNDING_VARIANCE,
    edland_power,
    edland_problems,
    edland_sample_size,
    subject_variance,
)
from alstrial.simulation.engines import Simulation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.trials import visit_grid

# Baseline 30 +- 3: no linear trajectory reaches the ceiling of 48 or the floor of 0 in a year,
# so the clipped integer scores are the Gaussian model plus rounding error only.
LINEAR = NaturalHistory.linear(baseline_mean=30.0, baseline_sd=3.0)


def plain(name: str):
    """A shipped design without selection on the lead-in and without dropout."""
    return load_design(name).with_changes(enrolment=Enrolment(), dropout_per_month=0.0)


def test_subject_variance_of_a_slope_is_edlands():
    design = plain("randomized_parallel")
    months = visit_grid(design).months  # day 0 and monthly visits, as whole days
    sxx = ((months - months.mean()) ** 2).sum()
    noise = LINEAR.noise_sd**2 + 1 / 12
    expected = LINEAR.slope_sd**2 + noise / sxx
    assert subject_variance(design, LINEAR, "welch_slope") == pytest.approx(expected)


def test_subject_variance_of_a_change_and_of_a_slope_change():
    design = plain("randomized_lead_in")
    grid = visit_grid(design)
    noise = LINEAR.noise_sd**2 + ROUNDING_VARIANCE
    t = grid.months[-1]
    assert subject_variance(design, LINEAR, "welch_change") == pytest.approx(
        LINEAR.slope_sd**2 * t * t + 2 * noise
    )
    # The slope change: the true slope cancels; the noise of both OLS slopes remains, less the
    # covariance through the shared baseline visit. Checked against simulated noise directly.
    rng = np.random.default_rng(0)
    e = rng.normal(0, math.sqrt(noise), (200_000, grid.months.size))
    lead = grid.months[: grid.n_lead_in]
    post = grid.months[grid.baseline :]
    pre_slope = np.polyfit(lead, e[:, : grid.n_lead_in].T, 1)[0]
    post_slope = np.polyfit(post, e[:, grid.baseline :].T, 1)[0]
    empirical = np.var(post_slope - pre_slope)
    assert subject_variance(design, LINEAR, "welch_slope_change") == pytest.approx(
        empirical, rel=0.01
    )


def test_sample_size_is_edlands_formula():
    design = plain("randomized_parallel")
    months = visit_grid(design).months
    sxx = ((months - months.mean()) ** 2).sum()
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    by_hand = 2 * z**2 * (0.7**2 + (1.7**2 + 1 / 12) / sxx) / 0.3**2
    model = NaturalHistory.linear(slope_sd=0.7, noise_sd=1.7)
    n = edland_sample_size(design, model, 0.3, power=0.8)
    assert n == math.ceil(by_hand)
    assert edland_power(design.with_changes(n=n), model, 0.3) >= 0.8
    assert edland_power(design.with_changes(n=n - 1), model, 0.3) < 0.8
    # The t distribution asks a little more of a small trial than the normal approximation.
    assert edland_power(design, model, 0.3, distribution="t") < edland_power(design, model, 0.3)


def test_edland_says_when_it_does_not_apply():
    assert edland_problems(plain("randomized_parallel"), LINEAR) == []
    problems = edland_problems(load_design("kim2009"), NaturalHistory.literature())
    assert "the natural-history model is not linear" in problems
    assert "enrolment selects on the lead-in slope" in problems
    assert "controls are matched from a registry" in problems
    rank = plain("randomized_parallel").with_changes(primary="mann_whitney_slope", secondary=())
    assert edland_problems(rank, LINEAR) == ["the primary analysis is a rank test"]


def within_monte_carlo(simulated: float, expected: float, trials: int, k: float = 3.5) -> bool:
    return abs(simulated - expected) <= k * math.sqrt(expected * (1 - expected) / trials)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "n", "effect", "distribution"),
    [
        ("randomized_parallel", 30, 0.4, "t"),
        ("randomized_parallel", 120, 0.2, "normal"),
        ("randomized_lead_in", 30, 0.5, "t"),
    ],
)
def test_simulated_power_agrees_with_edland(name, n, effect, distribution):
    design = plain(name).with_changes(n=n)
    trials = 4000
    result = Simulation(design, model=LINEAR, effect=effect, n_jobs=2).run(trials, seed=11)
    expected = edland_power(design, LINEAR, effect, distribution=distribution)
    assert 0.2 < expected < 0.9  # a point where power is informative
    assert within_monte_carlo(result.rejection_rate, expected, trials), (
        result.rejection_rate,
        expected,
    )


@pytest.mark.slow
def test_single_arm_slope_comparison_agrees_with_the_closed_form():
    design = plain("kim2009").with_changes(control_source="none", n_control=0, secondary=())
    trials = 4000
    result = Simulation(design, model=LINEAR, effect=0.5, n_jobs=2).run(trials, seed=12)
    expected = edland_power(design, LINEAR, 0.5, distribution="t")
    assert within_monte_carlo(result.rejection_rate, expected, trials)


def test_procova_shrinks_the_variance_by_one_minus_rho_squared():
    """With a prognostic score of correlation rho, n subjects per arm do what n / (1 - rho^2)
    do unadjusted (rho 0.6: 16 adjusted = 25 unadjusted), and the sample size shrinks by the
    same factor (PROCOVA, Schuler et al. 2022)."""
    design = plain("randomized_parallel")
    model = NaturalHistory.linear(slope_sd=0.7, noise_sd=1.7)
    adjusted = edland_power(design.with_changes(n=16), model, 0.4, prognostic_correlation=0.6)
    assert adjusted == pytest.approx(edland_power(design.with_changes(n=25), model, 0.4), 1e-12)
    assert edland_power(design, model, 0.4, prognostic_correlation=0.0) == edland_power(
        design, model, 0.4
    )
    months = visit_grid(design).months
    sxx = ((months - months.mean()) ** 2).sum()
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    by_hand = 2 * z**2 * (0.7**2 + (1.7**2 + 1 / 12) / sxx) * (1 - 0.5**2) / 0.3**2
    assert edland_sample_size(design, model, 0.3, prognostic_correlation=0.5) == math.ceil(by_hand)


def test_ancova_on_a_prognostic_score_gains_what_procova_says():
    """The variance factor against an ANCOVA fitted to simulated trials (numpy least squares):
    per-subject statistics y = score * rho * sd + noise, a score of unit variance."""
    rng = np.random.default_rng(8)
    rho, n, sd, trials = 0.6, 40, 1.0, 4000
    treated = np.repeat([1.0, 0.0], n)
    plain_estimates, adjusted_estimates = [], []
    for _ in range(trials):
        score = rng.normal(size=2 * n)
        y = rho * sd * score + math.sqrt(1 - rho**2) * sd * rng.normal(size=2 * n)
        plain_estimates.append(y[:n].mean() - y[n:].mean())
        x = np.column_stack([np.ones(2 * n), treated, score])
        adjusted_estimates.append(np.linalg.lstsq(x, y, rcond=None)[0][1])
    ratio = np.var(adjusted_estimates) / np.var(plain_estimates)
    # the factor 1 - rho^2 = 0.64, up to Monte Carlo error (about 0.03) and the small-sample
    # cost of estimating the score's coefficient (about 1 / (2n - 4))
    assert ratio == pytest.approx(1 - rho**2, abs=0.06)


def test_procova_needs_two_arms_and_a_correlation_below_one():
    model = NaturalHistory.linear()
    with pytest.raises(ValidationError, match="between -1 and 1"):
        edland_power(plain("randomized_parallel"), model, 0.4, prognostic_correlation=1.0)
    with pytest.raises(ValidationError, match="two-arm"):
        edland_power(plain("kim2009"), model, 0.4, prognostic_correlation=0.5)
