"""PROCOVA in the simulator (simulation/prognostic.py, docs/simulation.md 'Prognostic covariate
(PROCOVA)'): the key and its errors, the ANCOVA against numpy's least squares, the engines trial
by trial, the scores' correlation, and the simulated power gain against Edland's closed form
with a prognostic-score correlation (variance times 1 - rho^2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alstrial.domain.errors import ValidationError
from alstrial.simulation.designs import Enrolment, load_design
from alstrial.simulation.edland import edland_power
from alstrial.simulation.engines import Simulation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.prognostic import ancova_rows, prognostic_scores
from tests.simulation.test_engines import assert_same_trials

MODEL = NaturalHistory.linear()


def test_the_key_is_checked():
    design = load_design("randomized_parallel")
    assert "prognostic_correlation" not in design.to_dict()
    assert design.with_changes(prognostic_correlation=0.5).to_dict()["prognostic_correlation"]
    for bad in (1.0, -0.1):
        with pytest.raises(ValidationError, match="prognostic_correlation"):
            design.with_changes(prognostic_correlation=bad)
    with pytest.raises(ValidationError, match="two-arm"):
        load_design("dose_ranging").with_changes(prognostic_correlation=0.5)


def test_ancova_matches_least_squares_by_hand():
    rng = np.random.default_rng(4)
    values = rng.normal(size=(3, 12))
    values[0, 3] = np.nan
    treated = np.zeros((3, 12), bool)
    treated[:, :6] = True
    control = ~treated
    control[2, 11] = False  # not analysed
    scores = rng.normal(size=(3, 12))
    estimate, p_value = ancova_rows(values, treated, control, scores)
    for t in range(3):
        keep = (treated[t] | control[t]) & ~np.isnan(values[t])
        x = np.column_stack([np.ones(keep.sum()), treated[t, keep], scores[t, keep]])
        beta, rss, *_ = np.linalg.lstsq(x, values[t, keep], rcond=None)
        df = keep.sum() - 3
        se = math.sqrt(rss[0] / df * np.linalg.inv(x.T @ x)[1, 1])
        assert estimate[t] == pytest.approx(beta[1], rel=1e-10)
        assert p_value[t] == pytest.approx(2 * stats.t.sf(abs(beta[1] / se), df), rel=1e-8)


def test_scores_have_the_stated_correlation():
    rng = np.random.default_rng(8)
    values = rng.normal(size=(1, 40_000))
    treated = np.zeros_like(values, bool)
    scores = prognostic_scores(
        values, treated, np.ones_like(treated), 0.0, rng.normal(size=values.shape), 0.6
    )
    assert np.corrcoef(values[0], scores[0])[0, 1] == pytest.approx(0.6, abs=0.01)


@pytest.mark.parametrize("name", ["randomized_parallel", "randomized_lead_in"])
def test_engines_agree_trial_by_trial(name):
    design = load_design(name).with_changes(prognostic_correlation=0.5)
    vectorized = Simulation(design, effect=0.5).run(20, seed=9)
    reference = Simulation(design, effect=0.5, engine="reference").run(20, seed=9)
    assert_same_trials(vectorized, reference, design.alpha)
    # the adjustment changes the estimates: the score is used
    plain = Simulation(design.with_changes(prognostic_correlation=0.0), effect=0.5).run(20, 9)
    assert not np.allclose(plain.estimates[0], vectorized.estimates[0])


def test_power_gain_matches_the_closed_form():
    base = load_design("randomized_parallel").with_changes(
        enrolment=Enrolment(), dropout_per_month=0.0, secondary=()
    )
    trials, effect, rho = 2000, 0.4, 0.6
    plain = Simulation(base, model=MODEL, effect=effect).run(trials, seed=3).primary
    adjusted_design = base.with_changes(prognostic_correlation=rho)
    adjusted = Simulation(adjusted_design, model=MODEL, effect=effect).run(trials, seed=3).primary
    closed = edland_power(base, MODEL, effect, prognostic_correlation=rho, distribution="t")
    error = 3 * math.sqrt(closed * (1 - closed) / trials) + 0.01
    assert adjusted.rejection_rate == pytest.approx(closed, abs=error)
    assert adjusted.rejection_rate > plain.rejection_rate + 0.1
    # the estimate's variance falls by about 1 - rho^2 (0.64): measured 0.685 with these
    # seeds, the rest being the ANCOVA's estimated slope on the score and its n - 3 df
    ratio = (adjusted.estimate_sd / plain.estimate_sd) ** 2
    assert ratio == pytest.approx(1 - rho * rho, abs=0.07)
    assert adjusted.bias == pytest.approx(0.0, abs=3 * adjusted.mean_estimate_se + 0.02)
