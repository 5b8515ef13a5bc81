"""Multi-arm designs in the simulator (docs/simulation.md, 'Multi-arm designs'): the design
keys and their errors, the allocation to dose arms, the multiplicity rules written out by hand,
trial-by-trial agreement of the engines, and the simulated per-comparison and any-arm rates
against the closed form of simulation/multi_arm.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alstrial.domain.errors import ValidationError
from alstrial.simulation.designs import Enrolment, design_from_dict, load_design
from alstrial.simulation.engines import Simulation
from alstrial.simulation.multi_arm import multi_arm_power
from alstrial.simulation.multiplicity import adjusted_rejections, comparison_correlation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.trials import place_arms
from tests.simulation.test_engines import assert_same_trials

MODEL = NaturalHistory.linear()


def _toml(**arms):
    """The dose_ranging design as parsed TOML tables, with some [arms] keys changed."""
    data = {
        "name": "d",
        "arms": {"control": 20, "dose_arms": [40, 40], "control_source": "randomized"},
        "schedule": {"lead_in_visits": [-3, 0], "follow_up_visits": [3, 6]},
        "effect": {"dose_arm_fractions": [0.5, 1.0]},
        "analysis": {"primary": "welch_slope_change", "multiplicity": "holm"},
    }
    data["arms"].update(arms)
    return data


def test_the_dose_ranging_design_reads_its_arms():
    design = load_design("dose_ranging")
    assert design.is_multi_arm
    assert (design.n_control, design.dose_arms, design.n_treated) == (20, (40, 40), 80)
    assert design.comparisons == ("dose 1", "dose 2")
    assert design.comparison_effect(0.6, 0) == pytest.approx(0.3)
    assert design.multiplicity == "dunnett"
    assert design.to_dict()["dose_arms"] == [40, 40]
    # n sets the control arm; the dose arms keep the 1:2:2 ratio
    assert design.with_changes(n=30).dose_arms == (60, 60)


def test_bad_multi_arm_keys_name_their_field():
    with pytest.raises(ValidationError) as error:
        design_from_dict(_toml(treated=70, control_source="registry"))
    assert {"arms.treated", "arms.control_source"} <= set(error.value.by_field())
    data = _toml()
    data["analysis"]["multiplicity"] = "bonferroni"
    data["effect"]["dose_arm_fractions"] = [1.0]
    with pytest.raises(ValidationError) as error:
        design_from_dict(data)
    assert set(error.value.by_field()) == {"analysis.multiplicity", "effect.dose_arm_fractions"}
    two_arm = load_design("randomized_parallel")
    with pytest.raises(ValidationError, match="multi-arm"):
        two_arm.with_changes(multiplicity="holm")


def test_allocation_fills_the_arms_in_their_ratio():
    design = load_design("dose_ranging")
    allocation = np.random.default_rng(7).random((50, 100))
    arms = place_arms(design, allocation)
    for arm, size in enumerate((20, 40, 40)):
        assert np.all((arms == arm).sum(axis=1) == size)
    # the two-arm rule is unchanged: the n_treated smallest numbers are treated
    two_arm = load_design("randomized_parallel")
    two = place_arms(two_arm, allocation[:, :60])
    smallest = np.argsort(allocation[:, :60], axis=1)[:, :30]
    assert np.all(np.take_along_axis(two, smallest, axis=1) == 1)
    assert np.all(two.sum(axis=1) == 30)


def test_holm_and_dunnett_by_hand():
    design = load_design("dose_ranging").with_changes(multiplicity="holm")
    p = np.array([[0.01, 0.03, 0.02, 0.6, np.nan], [0.04, 0.02, 0.2, 0.01, 0.001]])
    # Holm, two hypotheses: the smaller p against 0.025, then the larger against 0.05
    expected = np.array([[True, True, True, False, False], [True, True, False, True, True]])
    np.testing.assert_array_equal(adjusted_rejections(design, p), expected)
    dunnett = design.with_changes(multiplicity="dunnett")
    # 1:2:2: correlation sqrt(40/60 * 40/60) = 2/3; the two-sided critical value for 2/3 is
    # 2.2 (between Bonferroni's 2.24 and no adjustment's 1.96), so p < ~0.028 rejects
    assert comparison_correlation(dunnett)[0, 1] == pytest.approx(2 / 3)
    np.testing.assert_array_equal(
        adjusted_rejections(dunnett, p), np.array([[1, 0, 1, 0, 0], [0, 1, 0, 1, 1]], bool)
    )


@pytest.mark.parametrize("effect", [0.0, 0.8])
def test_engines_agree_trial_by_trial(effect):
    design = load_design("dose_ranging")
    vectorized = Simulation(design, effect=effect).run(30, seed=11)
    reference = Simulation(design, effect=effect, engine="reference").run(30, seed=11)
    assert_same_trials(vectorized, reference, design.alpha)
    assert vectorized.estimates.shape == (4, 30)
    np.testing.assert_array_equal(
        adjusted_rejections(design, vectorized.p_values[:2]),
        adjusted_rejections(design, reference.p_values[:2]),
    )


def _closed_form_design(rule):
    """dose_ranging under the linear model's conditions of the closed form: no entry rule, no
    dropout, the Welch slope-change analysis alone, and arms of 50:100:100, large enough that
    the Welch t's degrees of freedom leave its p-values near the normal ones of the closed form
    (at 20:40:40 the t loses about 0.05 of power against the normal at 0.8)."""
    return load_design("dose_ranging").with_changes(
        enrolment=Enrolment(), dropout_per_month=0.0, secondary=(), multiplicity=rule, n=50
    )


@pytest.mark.parametrize("rule", ["dunnett", "holm"])
@pytest.mark.parametrize("effect", [0.0, 0.5])
def test_simulated_rates_match_the_closed_form(rule, effect):
    design = _closed_form_design(rule)
    trials = 2000
    result = Simulation(design, model=MODEL, effect=effect).run(trials, seed=5)
    closed = multi_arm_power(
        design,
        MODEL,
        (design.n_control, *design.dose_arms),
        tuple(design.comparison_effect(effect, k) for k in range(2)),
        rule=rule,
    )
    simulated = result.multiplicity
    assert simulated.rule == rule
    for k in range(2):
        error = 3 * math.sqrt(closed.arm_power[k] * (1 - closed.arm_power[k]) / trials) + 0.01
        assert simulated.rejection_rates[k] == pytest.approx(closed.arm_power[k], abs=error)
    error = 3 * math.sqrt(closed.any_power * (1 - closed.any_power) / trials) + 0.01
    assert simulated.any_rate == pytest.approx(closed.any_power, abs=error)
    if effect == 0.0:
        assert simulated.any_rate <= design.alpha + error
    assert result.to_dict()["multiplicity"]["rule"] == rule
