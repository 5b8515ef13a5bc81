"""Model-based analyses in the simulator (simulation/model_analyses.py): the batched mixed model of
the vectorized engine against the reference engine's per-trial statsmodels fit, trial by trial,
the rules for trials that cannot be fitted, and the per-chunk hook itself."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from alstrial.analysis.mixed import fit_piecewise
from alstrial.domain.errors import ValidationError
from alstrial.simulation import designs, model_analyses, reference, vectorized
from alstrial.simulation.designs import AnalysisSpec, load_design
from alstrial.simulation.engines import Simulation
from alstrial.simulation.model_analyses import (
    ChunkVisits,
    ModelAnalysis,
    mixed_slope_change_chunk,
)

MIXED = "mixed_model_slope_change"


def _design(**changes):
    return load_design("randomized_lead_in").with_changes(
        primary=MIXED, secondary=("welch_slope_change",), **changes
    )


def _both(design, trials, seed, effect=0.0):
    fast = Simulation(design, effect=effect).run(trials, seed)
    slow = Simulation(design, effect=effect, engine="reference").run(trials, seed)
    return fast, slow


def test_vectorized_mixed_model_matches_reference_per_trial():
    fast, slow = _both(_design(), trials=4, seed=3, effect=0.3)
    # statsmodels' optimizers stop within about 1e-6 of the optimum the REML engine reaches
    np.testing.assert_allclose(fast.estimates[0], slow.estimates[0], rtol=0, atol=1e-4)
    np.testing.assert_allclose(fast.p_values[0], slow.p_values[0], rtol=0, atol=1e-4)
    # the other analysis of the same trials is untouched by the hook
    np.testing.assert_allclose(fast.estimates[1], slow.estimates[1], rtol=0, atol=1e-9)


@pytest.mark.slow
def test_decisions_of_200_trials_equal_the_reference_engine():
    """Every trial's decision (p < alpha) is the statsmodels reference's, except a p-value
    within 1e-6 of alpha, where two correct optimisers may round either way."""
    design = _design()
    fast, slow = _both(design, trials=200, seed=11, effect=0.35)
    p_fast, p_slow = fast.p_values[0], slow.p_values[0]
    assert np.isfinite(p_fast).all()
    assert np.isfinite(p_slow).all()
    near = np.abs(p_slow - design.alpha) < 1e-6
    assert ((p_fast < design.alpha) == (p_slow < design.alpha))[~near].all()
    np.testing.assert_allclose(fast.estimates[0], slow.estimates[0], rtol=0, atol=1e-4)
    rejected = (p_slow < design.alpha).mean()
    assert 0.1 < rejected < 0.9  # both decisions occur: the comparison can fail


def _chunk_visits(treated_rows, control_rows, months=(-1.0, 0.0, 1.0, 2.0)):
    """One trial with the given subjects' totals (NaN: not seen)."""
    rows = [*treated_rows, *control_rows]
    totals = np.array(rows, dtype=float)[None]
    treated = np.array([[True] * len(treated_rows) + [False] * len(control_rows)])
    return ChunkVisits(
        months=np.array(months),
        n_lead_in=2,
        totals=totals,
        seen=~np.isnan(totals),
        treated=treated,
        control=~treated,
    )


def _as_frame(visits: ChunkVisits) -> pd.DataFrame:
    t, s, v = np.nonzero(visits.seen)
    return pd.DataFrame(
        {
            "subject_id": [f"S{i}" for i in s],
            "arm": np.where(visits.treated[t, s], "treated", "control"),
            "alsfrs_r_total": visits.totals[t, s, v],
            "t": visits.months[v],
        }
    )


def test_one_arm_only_is_not_fitted_as_in_the_analysis():
    nan = np.nan
    visits = _chunk_visits(
        [[40, 39, 38, 37], [35, 35, 33, 32], [30, 29, 29, 27]],
        [[nan, nan, nan, nan], [nan, nan, nan, nan]],
    )
    estimate, p_value = mixed_slope_change_chunk(visits)
    assert np.isnan(estimate[0])
    assert np.isnan(p_value[0])
    assert fit_piecewise(_as_frame(visits), two_arm=True).note.startswith("not fitted")


def test_a_fittable_trial_gives_the_analysis_engine_answer():
    rng = np.random.default_rng(4)
    treated = (40 - rng.normal(0, 3, (8, 1)) - np.array([[0, 1.0, 1.6, 2.1]])) + rng.normal(
        0, 1, (8, 4)
    )
    control = (38 - rng.normal(0, 3, (8, 1)) - np.array([[0, 1.0, 2.0, 3.0]])) + rng.normal(
        0, 1, (8, 4)
    )
    control[0, 3] = np.nan  # a missed visit
    visits = _chunk_visits(np.round(treated, 2).tolist(), np.round(control, 2).tolist())
    estimate, p_value = mixed_slope_change_chunk(visits)
    result = fit_piecewise(_as_frame(visits), two_arm=True)
    assert estimate[0] == pytest.approx(result.estimate, abs=1e-9)
    assert p_value[0] == pytest.approx(result.p_value, abs=1e-9)


def test_design_needs_controls_and_a_lead_in():
    with pytest.raises(ValidationError, match="needs a control arm"):
        load_design("kim2009").with_changes(
            primary=MIXED, control_source="none", n_control=0, secondary=()
        )
    with pytest.raises(ValidationError, match="lead-in"):
        load_design("randomized_parallel").with_changes(primary=MIXED, secondary=())


def test_a_new_model_analysis_slots_in_through_the_hook(monkeypatch):
    """The hook documented in docs/simulation.md: one ANALYSES entry and one MODEL_ANALYSES
    entry, and both engines run it (here a toy: treated minus control mean last total)."""

    def last_total(totals, seen):
        """(T, S): each subject's last seen total (NaN if none)."""
        last_index = np.where(
            seen.any(axis=2), seen.shape[2] - 1 - np.argmax(seen[..., ::-1], 2), 0
        )
        final = np.take_along_axis(totals, last_index[..., None], axis=2)[..., 0]
        return np.where(seen.any(axis=2), final, np.nan)

    def chunk(visits: ChunkVisits):
        final = last_total(visits.totals, visits.seen)
        mean_t = np.nanmean(np.where(visits.treated, final, np.nan), axis=1)
        mean_c = np.nanmean(np.where(visits.control, final, np.nan), axis=1)
        return mean_t - mean_c, np.full(mean_t.shape, 0.5)

    def trial(design, subjects, visits):
        last = visits.sort_values("day").groupby("subject_id")["alsfrs_r_total"].last()
        arm = subjects.set_index("subject_id")["arm"]
        return float(last[arm == "treated"].mean() - last[arm == "control"].mean()), 0.5

    spec = AnalysisSpec("visits", "wald", "toy: last total, treated minus control (points)")
    monkeypatch.setitem(designs.ANALYSES, "toy_last_total", spec)
    monkeypatch.setitem(
        model_analyses.MODEL_ANALYSES, "toy_last_total", ModelAnalysis(chunk, trial)
    )
    assert vectorized.MODEL_ANALYSES is model_analyses.MODEL_ANALYSES
    assert reference.MODEL_ANALYSES is model_analyses.MODEL_ANALYSES
    design = replace(_design(), primary="toy_last_total", secondary=())
    fast, slow = _both(design, trials=3, seed=2)
    np.testing.assert_allclose(fast.estimates[0], slow.estimates[0], atol=1e-9)
    assert np.isfinite(fast.estimates[0]).all()
