"""Type I error: valid for the randomized designs, and what regression to the mean does.

Monte Carlo error: with T trials the rejection rate has SD sqrt(a (1 - a) / T); 4,000 trials at
a = 0.05 give 0.0034, and the checks allow 3.5 SD.
"""

from __future__ import annotations

import math

import pytest

from alstrial.simulation.designs import Enrolment, load_design
from alstrial.simulation.engines import Simulation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.power import type_one_error

TRIALS = 4000
MC_SD = math.sqrt(0.05 * 0.95 / TRIALS)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["randomized_parallel", "randomized_lead_in"])
def test_randomized_designs_hold_their_level_under_the_linear_model(name):
    design = load_design(name)  # as shipped: entry rules and dropout included
    result = Simulation(design, model=NaturalHistory.linear(), effect=0.0, n_jobs=2).run(
        TRIALS, seed=21
    )
    assert abs(result.rejection_rate - 0.05) <= 3.5 * MC_SD, result.rejection_rate


@pytest.mark.slow
def test_lead_in_comparison_holds_without_selection_and_fails_with_it():
    # Straight-line decline and no entry rule: follow-up vs lead-in slope is a valid test.
    linear = NaturalHistory.linear(baseline_mean=30.0, baseline_sd=3.0)
    kim = load_design("kim2009")
    plain = kim.with_changes(enrolment=Enrolment())
    valid = Simulation(plain, model=linear, n_jobs=2).run(TRIALS, seed=22)
    assert abs(valid.rejection_rate - 0.05) <= 3.5 * MC_SD
    # Enrolling on a lead-in decline selects patients whose lead-in noise was unlucky: their
    # follow-up looks better (regression to the mean) and the test rejects too often.
    selected = Simulation(kim, model=linear, n_jobs=2).run(TRIALS, seed=22)
    assert selected.rejection_rate_ci[0] > 0.05 + 3.5 * MC_SD
    assert selected.primary.mean_estimate > 0


@pytest.mark.slow
def test_kim2009_type_one_error_under_the_realistic_model():
    result = type_one_error("kim2009", seed=2009, trials=TRIALS)
    assert result.ci_low <= result.rate <= result.ci_high
    assert result.to_dict()["type_one_error_ci"] == [result.ci_low, result.ci_high]
    # The design declares an ineffective product effective far more often than 5%.
    assert result.ci_low > 0.05
    again = Simulation(load_design("kim2009"), effect=0.0).run(TRIALS, seed=2009)
    assert again.rejection_rate == result.rate
