"""The random draws of a chunk of simulated trials, and the observation model both engines share.

Reproducibility rule: trials are simulated in chunks of :data:`CHUNK_SIZE` (fixed, independent of
the number of workers). Chunk ``k`` of a run with seed ``s`` draws its random numbers from
``numpy.random.SeedSequence(s, spawn_key=(k,))`` in one fixed order (:func:`draw_chunk`). The
vectorized engine uses the whole chunk at once; the reference engine loops over the same draws
one trial at a time (:meth:`ChunkDraws.trial`). So the same seed gives the same trials whatever
the engine and however the chunks are spread over workers.

Times: a visit is a whole day from the first dose (``round(month * 30.4375)``); months are days /
30.4375 (DOMAIN.md section 3, :data:`alstrial.domain.time.DAYS_PER_MONTH`), exactly as the
analysis engine computes them from a ``visits.csv``. The natural-history model's clock starts at
trial entry, the first lead-in visit.

Observation model (the natural-history model's, with the treatment added before rounding):
``total = clip(rint(expected + shift + noise_sd * z), 0, 48)``, where ``shift = effect *
max(0, month - delay)`` for treated subjects (points; ``effect`` in points/month from the first
dose). A visit is missing on or after death, after the model's own dropout, and, after baseline,
after the design's dropout time (exponential with ``dropout.per_month``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation.designs import Design
from alstrial.simulation.natural_history import (
    MAX_TOTAL,
    NaturalHistory,
    Patients,
    draw_patients,
)

#: Trials per chunk. Fixed: results must not depend on how many workers share the chunks.
CHUNK_SIZE = 250


@dataclass(frozen=True)
class VisitGrid:
    """The design's visits: ``days`` from the first dose, ``months`` (days / 30.4375),
    ``entry_months`` (months from the first lead-in visit, the natural-history clock) and the
    number of lead-in visits ``n_lead_in`` (the last of which is baseline, day 0)."""

    days: np.ndarray
    months: np.ndarray
    entry_months: np.ndarray
    n_lead_in: int

    @property
    def baseline(self) -> int:
        """Index of the baseline visit (day 0)."""
        return self.n_lead_in - 1


def visit_grid(design: Design) -> VisitGrid:
    """Visit days and months of a design (see the module docstring)."""
    days = np.rint(np.asarray(design.visit_months, dtype=float) * DAYS_PER_MONTH).astype(int)
    months = days / DAYS_PER_MONTH
    return VisitGrid(days, months, months - months[0], len(design.lead_in_visits))


def treatment_shift(design: Design, grid: VisitGrid, effect: float) -> np.ndarray:
    """Points added to a treated subject's expected total at each visit (shape ``(v,)``)."""
    return effect * np.maximum(0.0, grid.months - design.effect_delay_months)


def observed_totals(latent: np.ndarray, shift: np.ndarray | float = 0.0) -> np.ndarray:
    """Integer totals 0-48 (as float) from ``expected + noise`` plus a treatment shift."""
    return np.clip(np.rint(latent + shift), 0, MAX_TOTAL)


def gone_mask(patients: Patients, entry_months: np.ndarray) -> np.ndarray:
    """(n, v) True where the natural-history model has no visit at ``entry_months`` (months
    from entry): on or after death, after its own dropout (``natural_history.observe_totals``)."""
    t = entry_months[None, :]
    return (t >= patients.death_month[:, None]) | (t > patients.dropout_month[:, None])


def design_exit_months(design: Design, exit_draws: np.ndarray) -> np.ndarray:
    """Months after the first dose at which each subject leaves (design dropout; inf if none)."""
    if design.dropout_per_month == 0:
        return np.full(exit_draws.shape, np.inf)
    return exit_draws / design.dropout_per_month


def patient_count(design: Design) -> tuple[int, int]:
    """(places to fill by enrolment, candidates screened per trial)."""
    places = design.n_treated + (design.n_control if design.control_source == "randomized" else 0)
    return places, places * design.enrolment.max_screened


@dataclass(frozen=True)
class TrialDraws:
    """The draws of one trial (a slice of :class:`ChunkDraws`); shapes without the trial axis."""

    candidates: Patients
    screening_noise: np.ndarray  # (P, L)
    follow_up_noise: np.ndarray  # (places, V - L)
    exit: np.ndarray  # (places,)
    allocation: np.ndarray  # (places,)
    registry: Patients | None
    registry_baseline_noise: np.ndarray | None  # (R,)
    control_noise: np.ndarray | None  # (n_control, V)


@dataclass(frozen=True)
class ChunkDraws:
    """Every random number of a chunk of ``n_trials`` trials, in the order they were drawn.

    Noise is standard normal (times the model's ``noise_sd``), by visit:

    - ``screening_noise``: every candidate's lead-in visits (screening needs them all);
    - ``follow_up_noise``, ``exit`` (standard exponential: design dropout), ``allocation``
      (uniform): by enrolment place, so the ``k``-th enrolled subject takes row ``k``;
    - ``registry_baseline_noise``: every registry patient's baseline visit (matching may use
      the baseline total); ``control_noise``: the visits of the ``k``-th matched control, whose
      baseline column is replaced by that patient's ``registry_baseline_noise``.

    Drawing follow-up noise per place rather than per candidate keeps the chunk small; the
    noise of a visit is independent of everything else, so which row a subject takes does not
    change the model. Patients are flat (trial ``i`` owns rows ``i * P .. (i + 1) * P - 1``);
    arrays have the trial as their first axis.
    """

    n_trials: int
    first_trial: int
    candidates: Patients
    screening_noise: np.ndarray  # (T, P, L)
    follow_up_noise: np.ndarray  # (T, places, V - L)
    exit: np.ndarray  # (T, places)
    allocation: np.ndarray  # (T, places)
    registry: Patients | None
    registry_baseline_noise: np.ndarray | None  # (T, R)
    control_noise: np.ndarray | None  # (T, n_control, V)

    def trial(self, i: int) -> TrialDraws:
        """The draws of trial ``i`` of this chunk (0-based within the chunk)."""
        p = self.screening_noise.shape[1]
        registry = baseline_noise = control_noise = None
        if self.registry is not None:
            r = self.registry_baseline_noise.shape[1]
            registry = self.registry.take(slice(i * r, (i + 1) * r))
            baseline_noise = self.registry_baseline_noise[i]
            control_noise = self.control_noise[i]
        return TrialDraws(
            candidates=self.candidates.take(slice(i * p, (i + 1) * p)),
            screening_noise=self.screening_noise[i],
            follow_up_noise=self.follow_up_noise[i],
            exit=self.exit[i],
            allocation=self.allocation[i],
            registry=registry,
            registry_baseline_noise=baseline_noise,
            control_noise=control_noise,
        )


def chunk_bounds(trials: int) -> list[tuple[int, int]]:
    """``(chunk_index, n_trials)`` of each chunk of a run of ``trials`` trials."""
    return [
        (k, min(CHUNK_SIZE, trials - k * CHUNK_SIZE))
        for k in range((trials + CHUNK_SIZE - 1) // CHUNK_SIZE)
    ]


def chunk_rng(seed: int, chunk_index: int) -> np.random.Generator:
    """The generator of chunk ``chunk_index`` of a run with ``seed`` (see the module docstring)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk_index,)))


def draw_chunk(
    design: Design, model: NaturalHistory, seed: int, chunk_index: int, n_trials: int
) -> ChunkDraws:
    """Draw chunk ``chunk_index`` of a run, in this order: candidates, their screening noise,
    follow-up noise, exit times and allocation numbers by place, then (registry designs) the
    registry pool, its baseline noise and the matched controls' visit noise."""
    rng = chunk_rng(seed, chunk_index)
    places, screened = patient_count(design)
    lead = len(design.lead_in_visits)
    follow = len(design.follow_up_visits)
    candidates = draw_patients(n_trials * screened, rng, model)
    screening_noise = rng.standard_normal((n_trials, screened, lead))
    follow_up_noise = rng.standard_normal((n_trials, places, follow))
    exit_draws = rng.standard_exponential((n_trials, places))
    allocation = rng.random((n_trials, places))
    registry = baseline_noise = control_noise = None
    if design.control_source == "registry":
        pool = design.matching.pool
        registry = draw_patients(n_trials * pool, rng, model)
        baseline_noise = rng.standard_normal((n_trials, pool))
        control_noise = rng.standard_normal((n_trials, design.n_control, lead + follow))
    return ChunkDraws(
        n_trials=n_trials,
        first_trial=chunk_index * CHUNK_SIZE,
        candidates=candidates,
        screening_noise=screening_noise,
        follow_up_noise=follow_up_noise,
        exit=exit_draws,
        allocation=allocation,
        registry=registry,
        registry_baseline_noise=baseline_noise,
        control_noise=control_noise,
    )


@dataclass(frozen=True)
class ChunkOutcome:
    """What an engine returns for a chunk: per analysis (in ``design.analyses`` order) and trial,
    the estimate (treated minus reference, units of the analysis) and the two-sided p-value
    (NaN when the test could not be computed), plus each trial's enrolled and control counts."""

    first_trial: int
    estimates: np.ndarray  # (analyses, T)
    p_values: np.ndarray  # (analyses, T)
    n_enrolled: np.ndarray  # (T,) subjects enrolled (treated + randomized controls)
    n_controls: np.ndarray  # (T,) controls (randomized or matched)
