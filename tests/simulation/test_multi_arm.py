"""Multi-arm power (simulation/multi_arm.py): Dunnett's critical value against its table and a
simulation of the max statistic, and both rules' power against trials simulated from per-subject
statistics and tested by Dunnett's critical value or Holm's rule written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alstrial.domain.errors import ValidationError
from alstrial.simulation.designs import Enrolment, load_design
from alstrial.simulation.edland import subject_variance
from alstrial.simulation.multi_arm import dunnett_critical_value, multi_arm_power
from alstrial.simulation.natural_history import NaturalHistory

MODEL = NaturalHistory.linear()


def _design():
    return load_design("randomized_parallel").with_changes(
        enrolment=Enrolment(), dropout_per_month=0.0
    )


def test_dunnett_critical_value_matches_the_table():
    # Dunnett's two-sided table, 2 treatments, equal groups, infinite df: 2.21 (2.2121)
    equal = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert dunnett_critical_value(equal, 0.05) == pytest.approx(2.2121, abs=2e-3)
    # and the 95% quantile of max |Z| drawn directly, for the 1:2:2 correlation 2/3
    rho = 2 / 3
    z = np.random.default_rng(1).multivariate_normal([0, 0], [[1, rho], [rho, 1]], 400_000)
    quantile = np.quantile(np.abs(z).max(axis=1), 0.95)
    assert dunnett_critical_value(np.array([[1, rho], [rho, 1]]), 0.05) == pytest.approx(
        quantile, abs=0.01
    )


def _simulated_rejections(design, sizes, effects, rule, trials=20_000, seed=3):
    """Trials drawn as per-subject statistics (normal, the analysis' variance), each dose arm
    against the control by a z-test, then Dunnett's critical value or Holm's rule."""
    rng = np.random.default_rng(seed)
    variance = subject_variance(design, MODEL, design.primary)
    sd = math.sqrt(variance)
    control = rng.normal(0.0, sd, (trials, sizes[0])).mean(axis=1)
    z = []
    for n, effect in zip(sizes[1:], effects, strict=True):
        arm = rng.normal(effect, sd, (trials, n)).mean(axis=1)
        z.append((arm - control) / math.sqrt(variance * (1 / n + 1 / sizes[0])))
    z = np.column_stack(z)
    if rule == "dunnett":
        each = variance * (1 / np.array(sizes[1:]) + 1 / sizes[0])
        rho = (variance / sizes[0]) / np.sqrt(np.outer(each, each))
        np.fill_diagonal(rho, 1.0)
        return np.abs(z) > dunnett_critical_value(rho, design.alpha)
    # Holm for two hypotheses, by hand: the smaller p-value against alpha / 2; if rejected, the
    # larger against alpha.
    p = 2 * stats.norm.sf(np.abs(z))
    small, large = p.min(axis=1), p.max(axis=1)
    first = small <= design.alpha / 2
    both = first & (large <= design.alpha)
    smaller_is_0 = p[:, 0] <= p[:, 1]
    return np.column_stack(
        [np.where(smaller_is_0, first, both), np.where(smaller_is_0, both, first)]
    )


@pytest.mark.parametrize("rule", ["dunnett", "holm"])
def test_power_of_a_1_2_2_design_agrees_with_simulated_trials(rule):
    design = _design()
    sizes, effects = (15, 30, 30), (0.25, 0.5)
    result = multi_arm_power(design, MODEL, sizes, effects, rule=rule)
    rejected = _simulated_rejections(
        design, sizes, effects, rule, trials=4000 if rule == "holm" else 20_000
    )
    error = 3 * 0.5 / math.sqrt(rejected.shape[0]) + 0.005
    for k in range(2):
        assert result.arm_power[k] == pytest.approx(rejected[:, k].mean(), abs=error)
    assert result.any_power == pytest.approx(rejected.any(axis=1).mean(), abs=error)
    assert result.correlation[0, 1] == pytest.approx(1 / math.sqrt(1.5 * 1.5))


def test_familywise_error_under_the_null():
    design = _design()
    dunnett = multi_arm_power(design, MODEL, (20, 40, 40), (0.0, 0.0), rule="dunnett")
    holm = multi_arm_power(design, MODEL, (20, 40, 40), (0.0, 0.0), rule="holm")
    assert dunnett.any_power == pytest.approx(design.alpha, abs=1e-6)
    assert holm.any_power <= design.alpha + 0.002
    # Dunnett uses the correlation: less conservative than Bonferroni's alpha / 2 per arm
    assert dunnett.critical_value < stats.norm.isf(design.alpha / 4)


def test_bad_requests_name_their_field():
    design = _design()
    with pytest.raises(ValidationError) as error:
        multi_arm_power(design, MODEL, (20, 40), (0.5,), rule="tukey")
    assert set(error.value.by_field()) == {"rule", "arm_sizes"}
    with pytest.raises(ValidationError, match="between-arm"):
        multi_arm_power(
            load_design("kim2009"), MODEL, (10, 20, 20), (0.2, 0.4), analysis="paired_slope_t"
        )
