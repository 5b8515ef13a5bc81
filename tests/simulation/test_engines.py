"""Both engines, every way of spreading the work: the same seed gives the same trials.

p-values of the two engines agree to floating-point tolerance (the reference runs scipy through
the analysis engine, the vectorized engine closed forms); a decision may only differ for a trial
whose p-value is within that tolerance of alpha, which these tests allow and count (none has
occurred with these seeds).
"""

from __future__ import annotations

import numpy as np
import pytest

from alstrial.simulation.designs import ANALYSES, list_designs, load_design
from alstrial.simulation.engines import Simulation, SimulationInterrupted, _interruptible
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.trials import CHUNK_SIZE

P_TOLERANCE = 1e-9


def _tolerances(design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per outcome row (analysis, and dose arm of a multi-arm design): estimate and p-value
    tolerances, and how near alpha a decision may differ.

    A model fitted to the visits is compared with the statsmodels reference, whose optimizers
    stop within about 1e-6 of the optimum the REML engine reaches (tests/simulation/
    test_model_analyses.py); the closed forms agree to floating point."""
    model = np.array([ANALYSES[name].quantity == "visits" for name, _ in design.outcome_rows])
    estimate = np.where(model, 1e-4, 1e-9)[:, None]
    p_value = np.where(model, 1e-4, P_TOLERANCE)[:, None]
    decision = np.where(model, 1e-6, P_TOLERANCE)[:, None]
    return estimate, p_value, decision


def assert_same_trials(a, b, alpha: float) -> None:
    """Same estimates and p-values (to tolerance) and the same decisions away from alpha."""
    assert a.trials == b.trials
    estimate_tolerance, p_tolerance, decision_tolerance = _tolerances(a.design)
    np.testing.assert_array_equal(np.isnan(a.p_values), np.isnan(b.p_values))
    assert np.all(np.nan_to_num(np.abs(a.p_values - b.p_values)) <= p_tolerance)
    assert np.all(np.nan_to_num(np.abs(a.estimates - b.estimates)) <= estimate_tolerance)
    np.testing.assert_array_equal(np.isnan(a.estimates), np.isnan(b.estimates))
    decided_a = np.nan_to_num(a.p_values, nan=1.0) < alpha
    decided_b = np.nan_to_num(b.p_values, nan=1.0) < alpha
    at_threshold = np.abs(np.nan_to_num(b.p_values, nan=1.0) - alpha) <= decision_tolerance
    assert not np.any((decided_a != decided_b) & ~at_threshold)
    np.testing.assert_array_equal(a.n_enrolled, b.n_enrolled)
    np.testing.assert_array_equal(a.n_controls, b.n_controls)


@pytest.mark.parametrize("name", list_designs())
@pytest.mark.parametrize("effect", [0.0, 0.6])
def test_engines_agree_on_every_design(name, effect):
    design = load_design(name)
    vectorized = Simulation(design, effect=effect).run(8, seed=2024)
    reference = Simulation(design, effect=effect, engine="reference").run(8, seed=2024)
    assert_same_trials(vectorized, reference, design.alpha)


@pytest.mark.parametrize(
    ("name", "primary", "secondary"),
    [
        ("kim2009", "paired_slope_wilcoxon", ("mann_whitney_change", "mann_whitney_slope")),
        ("randomized_lead_in", "mann_whitney_slope_change", ("paired_slope_wilcoxon",)),
    ],
)
def test_engines_agree_on_rank_tests(name, primary, secondary):
    design = load_design(name).with_changes(
        primary=primary, secondary=secondary, dropout_per_month=0.03
    )
    vectorized = Simulation(design, effect=0.3).run(8, seed=77)
    reference = Simulation(design, effect=0.3, engine="reference").run(8, seed=77)
    assert_same_trials(vectorized, reference, design.alpha)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "trials"), [("kim2009", CHUNK_SIZE + 50), ("randomized_lead_in", 120)]
)
def test_engines_agree_on_a_few_hundred_trials(name, trials):
    # kim2009 over two chunks, with dropout and a delayed effect, so the chunk seeds, the masks
    # and the effect model are all exercised.
    design = load_design(name).with_changes(dropout_per_month=0.05, effect_delay_months=0.5)
    vectorized = Simulation(design, effect=0.4).run(trials, seed=7)
    reference = Simulation(design, effect=0.4, engine="reference", n_jobs=2).run(trials, seed=7)
    assert_same_trials(vectorized, reference, design.alpha)
    # Not a vacuous agreement: the trials differ from each other and some were decided.
    assert 0 < vectorized.rejection_rate < 1
    assert np.unique(vectorized.p_values[0]).size == trials


def test_under_enrolled_trials_agree_and_are_counted():
    # A narrow entry window with few candidates leaves trials short of their places.
    design = load_design("randomized_lead_in").with_changes(
        enrolment={"min_lead_in_decline": 0.9, "max_lead_in_decline": 1.1, "max_screened": 2}
    )
    vectorized = Simulation(design).run(10, seed=3)
    reference = Simulation(design, engine="reference").run(10, seed=3)
    assert_same_trials(vectorized, reference, design.alpha)
    assert vectorized.short_trials == 10


def test_trials_screening_past_the_first_block_agree():
    # The first block (2 x places) does not fill these trials: both engines screen on into
    # each trial's own further candidates (trials.more_candidates), and agree.
    from alstrial.simulation.trials import draw_chunk, first_block, patient_count

    design = load_design("randomized_lead_in").with_changes(
        enrolment={"min_lead_in_decline": 0.8, "max_lead_in_decline": 1.3}
    )
    vectorized = Simulation(design).run(12, seed=21)
    reference = Simulation(design, engine="reference").run(12, seed=21)
    assert_same_trials(vectorized, reference, design.alpha)
    # Not vacuous: some trial enrolled more subjects than its first block had eligible ones.
    model = NaturalHistory.literature()
    draws = draw_chunk(design, model, seed=21, chunk_index=0, n_trials=12)
    from alstrial.simulation.reference import _screen, visit_grid

    places, screened = patient_count(design)
    assert first_block(design) < screened
    from_first = [
        len(_screen(design, model, visit_grid(design), d.candidates, d.screening_noise, places))
        for d in (draws.trial(i) for i in range(12))
    ]
    assert np.any(vectorized.n_enrolled > np.array(from_first))


def test_a_flat_lead_in_meets_a_bound_of_zero_in_both_engines():
    # Every total is 41: the lead-in decline is exactly 0 in the reference, so a bound of 0
    # enrols everyone; a decline computed without taking the mean first gives -1.8e-15 here.
    model = NaturalHistory.linear(slope_mean=0.0, slope_sd=0.0, noise_sd=0.0, baseline_mean=41.0,
                                  baseline_sd=0.0)  # fmt: skip
    design = load_design("kim2009").with_changes(enrolment={"min_lead_in_decline": 0.0})
    vectorized = Simulation(design, model=model).run(5, seed=1)
    reference = Simulation(design, model=model, engine="reference").run(5, seed=1)
    assert_same_trials(vectorized, reference, design.alpha)
    assert (vectorized.n_enrolled == design.n_treated).all()


def test_results_do_not_depend_on_the_number_of_workers():
    design = load_design("kim2009")
    trials = 2 * CHUNK_SIZE + 17
    one = Simulation(design, n_jobs=1).run(trials, seed=99)
    two = Simulation(design, n_jobs=2).run(trials, seed=99)
    np.testing.assert_array_equal(one.p_values, two.p_values)
    np.testing.assert_array_equal(one.estimates, two.estimates)


def test_results_are_the_same_on_a_dask_cluster():
    from distributed import LocalCluster

    design = load_design("randomized_parallel")
    trials = 2 * CHUNK_SIZE + 3
    local = Simulation(design).run(trials, seed=5)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = Simulation(design, scheduler=cluster.scheduler_address).run(trials, seed=5)
    np.testing.assert_array_equal(local.p_values, on_dask.p_values)
    np.testing.assert_array_equal(local.estimates, on_dask.estimates)


def test_the_seed_decides_the_trials():
    design = load_design("randomized_parallel")
    first = Simulation(design).run(50, seed=1)
    again = Simulation(design).run(50, seed=1)
    other = Simulation(design).run(50, seed=2)
    np.testing.assert_array_equal(first.p_values, again.p_values)
    assert not np.array_equal(first.p_values, other.p_values)


def test_the_effect_moves_the_estimate_by_its_target():
    # Linear model, no selection: the slope analysis estimates the effect without bias.
    model = NaturalHistory.linear(baseline_mean=30.0, baseline_sd=3.0)
    design = load_design("randomized_parallel").with_changes(dropout_per_month=0.0)
    result = Simulation(design, model=model, effect=0.5).run(2000, seed=4)
    estimates = result.estimates[0]
    standard_error = estimates.std(ddof=1) / np.sqrt(estimates.size)
    assert abs(result.primary.mean_estimate - 0.5) < 4 * standard_error


def test_ctrl_c_becomes_a_clean_stop():
    def chunks():
        yield "first"
        raise KeyboardInterrupt

    with pytest.raises(SimulationInterrupted, match="no result was written"):
        list(_interruptible(chunks()))


def test_bad_run_arguments_are_refused():
    design = load_design("kim2009")
    with pytest.raises(ValueError, match="engine"):
        Simulation(design, engine="fast")
    with pytest.raises(ValueError, match="trials"):
        Simulation(design).run(0, seed=1)
    with pytest.raises(ValueError, match="n_jobs"):
        Simulation(design, n_jobs=0)


def test_the_progress_bar_changes_nothing():
    design = load_design("randomized_parallel")
    quiet = Simulation(design).run(4 * CHUNK_SIZE, seed=8)
    shown = Simulation(design, progress=True).run(4 * CHUNK_SIZE, seed=8)
    np.testing.assert_array_equal(quiet.p_values, shown.p_values)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_during_a_run_stops_it_without_a_result(monkeypatch, n_jobs):
    from alstrial.simulation import engines

    real = engines.simulate_chunk

    def interrupted(*task):
        if task[5] == 2:  # the third chunk: as if the user pressed Ctrl-C meanwhile
            raise KeyboardInterrupt
        return real(*task)

    monkeypatch.setattr(engines, "simulate_chunk", interrupted)
    with pytest.raises(SimulationInterrupted):
        Simulation(load_design("randomized_parallel"), n_jobs=n_jobs).run(5 * CHUNK_SIZE, seed=1)


def test_matched_controls_are_close_and_unselected():
    # One trial of the external-control design through the reference engine's own steps.
    from alstrial.simulation.reference import simulate_trial
    from alstrial.simulation.trials import draw_chunk

    design = load_design("external_control")
    model = NaturalHistory.literature()
    draws = draw_chunk(design, model, seed=3, chunk_index=0, n_trials=1).trial(0)
    subjects, visits = simulate_trial(design, model, draws, effect=0.0)
    treated = subjects[subjects["arm"] == "treated"].reset_index(drop=True)
    controls = subjects[subjects["subject_id"].str.startswith("R")].reset_index(drop=True)
    assert len(treated) == len(controls) == design.n_control
    # Nearer than the registry at large: the mean absolute age gap falls by more than half.
    matched_gap = (treated["age_years"] - controls["age_years"]).abs().mean()
    pool_ages = draws.registry.age_years
    random_gap = np.abs(treated["age_years"].to_numpy()[:, None] - pool_ages[None, :]).mean()
    assert matched_gap < random_gap / 2
    # Every control was followed through the lead-in (its baseline exists) ...
    baseline = visits[visits["day"] == 0]
    assert set(controls["subject_id"]) <= set(baseline["subject_id"])
    # ... and no registry patient is used twice.
    assert controls["age_years"].is_unique


def test_outputs_name_the_model():
    design = load_design("randomized_parallel")
    assert Simulation(design).run(10, seed=1).model == "literature"
    linear = Simulation(design, model=NaturalHistory.linear()).run(10, seed=1)
    assert linear.model == "linear"
    custom = NaturalHistory.linear(noise_sd=1.0)
    assert Simulation(design, model=custom).run(10, seed=1).model == "custom"
    assert linear.to_dict()["model_parameters"]["noise_sd"] == NaturalHistory.linear().noise_sd
