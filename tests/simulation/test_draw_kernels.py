"""The compiled draws (draw scheme 2): numpy's numbers, the natural-history model's arithmetic,
and each short trial's own stream of further candidates."""

from __future__ import annotations

import numpy as np
import pytest

from alstrial.simulation import sfc64 as compiled
from alstrial.simulation.designs import load_design
from alstrial.simulation.draw_kernels import draw_patient_matrix
from alstrial.simulation.natural_history import NaturalHistory, draw_patients
from alstrial.simulation.trials import (
    DRAW_SCHEME,
    chunk_rng,
    draw_chunk,
    first_block,
    more_candidates,
    patient_count,
)


def sfc64(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.SFC64(seed))


@pytest.mark.parametrize(
    ("draw", "method"),
    [
        (compiled.normals, "standard_normal"),
        (compiled.exponentials, "standard_exponential"),
        (compiled.uniforms, "random"),
    ],
)
def test_compiled_draws_are_numpys_numbers(draw, method):
    # Enough numbers to take the ziggurats' rare paths (wedges, tails) many times.
    numpy_generator = sfc64(3)
    state = compiled.state_of(numpy_generator)
    ours = draw(state, 200_000)
    theirs = getattr(numpy_generator, method)(200_000)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(state, compiled.state_of(numpy_generator))  # same position
    if method == "standard_normal":
        assert np.abs(ours).max() > 4.0  # the tail beyond the base strip was drawn


class Replay:
    """A stand-in generator for ``natural_history.draw_patients`` serving numbers drawn before,
    so that its numpy arithmetic can be run on the compiled kernel's random numbers."""

    def __init__(self, z, bulbar, male, age, fvc, death, dropout):
        self.uniforms = [bulbar, male]
        self.normals = [age, fvc, np.zeros_like(age)]  # the FVC slope noise is not drawn
        self.exponentials = [death, dropout]
        self.z = z

    def standard_normal(self, shape):
        assert shape == self.z.shape
        return self.z

    def random(self, n):
        return self.uniforms.pop(0)

    def normal(self, loc, scale, n):
        return loc + scale * self.normals.pop(0)

    def standard_exponential(self, n):
        return self.exponentials.pop(0)


def replay_interleaved(seed: int, n: int, model: NaturalHistory) -> Replay:
    """The kernel's random numbers, drawn again one at a time in its order (per patient: three
    latent normals, two uniforms, two normals, then the death and the dropout exponentials if
    the model has deaths and dropout)."""
    dies = np.isfinite(model.survival_scale_months)
    leaves = model.dropout_rate_per_month > 0
    g = sfc64(seed)
    rows = []
    for _ in range(n):
        z = [g.standard_normal() for _ in range(3)]
        u = [g.random(), g.random()]
        x = [g.standard_normal(), g.standard_normal()]
        death = g.standard_exponential() if dies else np.inf
        dropout = g.standard_exponential() if leaves else np.inf
        rows.append([*z, *u, *x, death, dropout])
    a = np.array(rows)
    return Replay(a[:, :3], a[:, 3], a[:, 4], a[:, 5], a[:, 6], a[:, 7], a[:, 8])


@pytest.mark.parametrize("model", [NaturalHistory.literature(), NaturalHistory.linear()])
def test_patients_follow_the_natural_history_models_arithmetic(model):
    n = 2000
    _, ours = draw_patient_matrix(compiled.state_of(sfc64(5)), n, model)
    replay = replay_interleaved(5, n, model)
    theirs = draw_patients(n, replay, model)
    for name in (
        "age_years",
        "male",
        "bulbar_onset",
        "months_since_onset",
        "baseline_total",
        "slope",
        "acceleration",
        "fvc_percent",
        "death_month",
        "dropout_month",
    ):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12)
    assert np.isnan(ours.fvc_slope).all()  # not drawn: the simulator never observes FVC
    # Not vacuous: the literature model has deaths and dropouts within a year.
    assert np.isfinite(ours.death_month).any() == np.isfinite(model.survival_scale_months)


def test_the_linear_model_draws_no_death_or_dropout_numbers():
    # Fewer numbers per patient: the linear model has no deaths and no dropout.
    model = NaturalHistory.linear()
    state = compiled.state_of(sfc64(9))
    draw_patient_matrix(state, 10, model)
    follow = sfc64(9)
    for _ in range(10):
        follow.standard_normal(3), follow.random(2), follow.standard_normal(2)
    np.testing.assert_array_equal(state, compiled.state_of(follow))


def test_a_short_trial_draws_further_candidates_from_its_own_stream():
    design = load_design("randomized_lead_in")
    model = NaturalHistory.literature()
    places, screened = patient_count(design)
    assert first_block(design) == 2 * places < screened
    extra, noise = more_candidates(design, model, seed=4, chunk_index=2, trial=17)
    assert len(extra) == screened - 2 * places
    assert noise.shape == (len(extra), len(design.lead_in_visits))
    again, _ = more_candidates(design, model, seed=4, chunk_index=2, trial=17)
    np.testing.assert_array_equal(extra.age_years, again.age_years)
    other, _ = more_candidates(design, model, seed=4, chunk_index=2, trial=18)
    assert not np.array_equal(extra.age_years, other.age_years)
    # The trial's own stream is not the chunk's: the chunk's draws are unaffected by it.
    draws = draw_chunk(design, model, seed=4, chunk_index=2, n_trials=20)
    assert not np.isin(extra.age_years, draws.candidates.age_years).any()
    trial = draws.trial(17)
    everyone, all_noise = trial.all_candidates()
    np.testing.assert_array_equal(everyone.age_years[: 2 * places], trial.candidates.age_years)
    np.testing.assert_array_equal(everyone.age_years[2 * places :], extra.age_years)
    np.testing.assert_array_equal(all_noise[2 * places :], noise)


def test_the_chunk_stream_is_the_versioned_one():
    # Scheme 2: SFC64 seeded by SeedSequence(seed, spawn_key=(chunk,)).
    assert DRAW_SCHEME == 2
    expected = np.random.Generator(
        np.random.SFC64(np.random.SeedSequence(8, spawn_key=(3,)))
    ).random()
    assert chunk_rng(8, 3).random() == expected
