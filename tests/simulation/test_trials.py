"""The generated trials themselves: visits, entry rule, allocation, dropout, treatment effect.

Checked on the reference engine's trial tables (``reference.simulate_trial``), which the
vectorized engine reproduces (test_engines.py), against numbers computed here independently.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation.designs import Enrolment, load_design
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.reference import simulate_trial
from alstrial.simulation.trials import CHUNK_SIZE, chunk_bounds, draw_chunk, visit_grid


def trials(design, model, effect=0.0, n=40, seed=1):
    """The (subjects, visits) tables of ``n`` trials of one chunk."""
    draws = draw_chunk(design, model, seed, chunk_index=0, n_trials=n)
    return [simulate_trial(design, model, draws.trial(i), effect) for i in range(n)]


def test_chunks_have_a_fixed_size():
    assert chunk_bounds(2 * CHUNK_SIZE + 1) == [(0, CHUNK_SIZE), (1, CHUNK_SIZE), (2, 1)]
    assert chunk_bounds(1) == [(0, 1)]


def test_visits_fall_on_whole_days_of_the_schedule():
    grid = visit_grid(load_design("randomized_lead_in"))
    months = [-3, -2, -1, 0, 1, 2, 3, 4, 5, 6]
    assert list(grid.days) == [round(m * DAYS_PER_MONTH) for m in months]
    assert grid.entry_months[0] == 0.0
    assert grid.baseline == 3


def test_enrolled_subjects_meet_the_entry_rule():
    design = load_design("randomized_lead_in")  # lead-in decline 0.515-1.545 points/month
    for subjects, visits in trials(design, NaturalHistory.literature(), n=15):
        assert len(subjects) == design.n_treated + design.n_control
        assert (subjects["arm"] == "treated").sum() == design.n_treated
        lead = visits[visits["day"] <= 0]
        for _, rows in lead.groupby("subject_id"):
            assert len(rows) == 4  # every lead-in visit happened
            decline = -np.polyfit(rows["day"] / DAYS_PER_MONTH, rows["alsfrs_r_total"], 1)[0]
            assert 0.515 - 1e-12 <= decline <= 1.545 + 1e-12


def test_design_dropout_follows_its_hazard():
    # Linear model: no deaths or dropouts of its own, so a subject is seen at the last visit
    # (day 183 = 6.012 months) with probability exp(-0.1 * 6.012).
    design = load_design("randomized_parallel").with_changes(dropout_per_month=0.1)
    tables = trials(design, NaturalHistory.linear(), n=200, seed=3)
    subjects = sum(len(s) for s, _ in tables)
    seen_last = sum((v["day"] == 183).sum() for _, v in tables)
    expected = math.exp(-0.1 * 183 / DAYS_PER_MONTH)
    assert seen_last / subjects == pytest.approx(expected, abs=4 * math.sqrt(0.25 / subjects))


def test_treatment_changes_the_slope_from_the_first_dose():
    # No noise, no between-patient spread, a delay of 1 month: the treated totals are
    # rint(baseline + slope * t + effect * max(0, month - 1)) exactly.
    model = NaturalHistory.linear(slope_sd=0.0, noise_sd=0.0, baseline_mean=30.0, baseline_sd=0.0)
    design = load_design("randomized_parallel").with_changes(
        effect_delay_months=1.0, dropout_per_month=0.0, enrolment=Enrolment()
    )
    subjects, visits = trials(design, model, effect=0.6, n=1)[0]
    months = np.array(sorted(visits["day"].unique())) / DAYS_PER_MONTH
    untreated = np.rint(30.0 - 0.95 * months)
    treated = np.rint(30.0 - 0.95 * months + 0.6 * np.maximum(months - 1.0, 0.0))
    arms = dict(zip(subjects["subject_id"], subjects["arm"], strict=True))
    for sid, rows in visits.groupby("subject_id"):
        expected = treated if arms[sid] == "treated" else untreated
        np.testing.assert_array_equal(rows["alsfrs_r_total"].to_numpy(), expected)


def test_realistic_model_ends_series_at_death():
    # A patient's visits stop before the death day written for them (analysis-data rule), and
    # only deaths within the trial are written.
    design = load_design("kim2009")
    deaths = 0
    for subjects, visits in trials(design, NaturalHistory.literature(), n=30, seed=9):
        last = visits.groupby("subject_id")["day"].max()
        died = subjects.dropna(subset=["death_day"]).set_index("subject_id")["death_day"]
        assert (last[died.index] <= died).all()
        assert (died <= visit_grid(design).days[-1]).all()
        deaths += len(died)
    assert deaths > 0  # the check was exercised


@pytest.mark.parametrize("model", [NaturalHistory.literature(), NaturalHistory.linear()])
def test_untreated_visits_are_the_natural_history_models_own(model):
    # The simulator adds the treatment before rounding, so it rebuilds the model's observation
    # step (expected + noise, rounded, clipped, censored); with no treatment it must give
    # exactly what natural_history.observe_totals gives from the same random numbers.
    from alstrial.simulation.natural_history import draw_patients, expected_totals, observe_totals
    from alstrial.simulation.trials import gone_mask, observed_totals

    patients = draw_patients(3000, np.random.default_rng(2), model)
    months = np.array([0.0, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0])
    theirs = observe_totals(patients, months, np.random.default_rng(7))
    noise = np.random.default_rng(7).standard_normal((len(patients), months.size))
    ours = observed_totals(expected_totals(patients, months) + model.noise_sd * noise)
    ours = np.where(gone_mask(patients, months), np.nan, ours)
    np.testing.assert_array_equal(ours, theirs)
    assert np.isnan(theirs).any() == (model == NaturalHistory.literature())
