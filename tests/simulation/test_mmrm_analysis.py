"""The simulator's ``mmrm`` analysis: the vectorized engine's batched MMRM of every trial of a
chunk against the reference engine's per-trial ``fit_mmrm`` on the trial's tables. (The batched
engine itself is held to an independent dense REML fit in tests/analysis/test_mmrm_trials.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation


def _design():
    return load_design("randomized_parallel").with_changes(
        primary="mmrm", secondary=("welch_change",)
    )


def _both(design, trials, seed, effect=0.0):
    fast = Simulation(design, effect=effect).run(trials, seed)
    slow = Simulation(design, effect=effect, engine="reference").run(trials, seed)
    return fast, slow


def test_mmrm_in_the_vectorized_engine_matches_the_reference_engine():
    fast, slow = _both(_design(), trials=6, seed=2, effect=0.3)
    assert np.isfinite(fast.p_values[0]).all()
    np.testing.assert_allclose(fast.estimates[0], slow.estimates[0], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(fast.p_values[0], slow.p_values[0], rtol=1e-6, atol=1e-10)
    # the secondary analysis of the same trials is untouched
    np.testing.assert_allclose(fast.estimates[1], slow.estimates[1], rtol=0, atol=1e-9)


@pytest.mark.slow
def test_decisions_of_200_trials_equal_the_reference_engine():
    design = _design()
    fast, slow = _both(design, trials=200, seed=5, effect=0.3)
    p_fast, p_slow = fast.p_values[0], slow.p_values[0]
    assert np.isfinite(p_slow).all()
    near = np.abs(p_slow - design.alpha) < 1e-6
    assert ((p_fast < design.alpha) == (p_slow < design.alpha))[~near].all()
    rejected = (p_slow < design.alpha).mean()
    assert 0.05 < rejected < 0.95  # both decisions occur: the comparison can fail


def test_the_mmrm_targets_the_change_at_the_last_visit():
    from alstrial.simulation.edland import analysis_weights
    from alstrial.simulation.results import analysis_target

    design = _design()
    target = analysis_target(design, "mmrm", 0.3)
    assert target == analysis_target(design, "welch_change", 0.3)
    # visits fall on whole days: month 6 is day 183, 6.012 months
    assert target == pytest.approx(0.3 * design.follow_up_visits[-1], rel=5e-3)
    np.testing.assert_array_equal(
        analysis_weights(design, "mmrm"), analysis_weights(design, "welch_change")
    )
