"""The random draws of a chunk of simulated trials, and the observation model both engines share.

Reproducibility rule (draw scheme :data:`DRAW_SCHEME` = 2, recorded in every result): trials are
simulated in chunks of :data:`CHUNK_SIZE` (fixed, independent of the number of workers). Chunk
``k`` of a run with seed ``s`` draws its random numbers from ``Generator(SFC64(SeedSequence(s,
spawn_key=(k,))))`` in one fixed order (:func:`draw_chunk`):

1. the first :func:`first_block` candidates of every trial (``2 x places``, or all
   ``max_screened x places`` if fewer), then their lead-in noise;
2. follow-up noise, design exit times and allocation numbers, by enrolment place;
3. registry designs: the pool, the pool's baseline noise (only when matching on the baseline
   total) and the matched controls' visit noise, by match.

A trial that screens its whole first block without filling its places (about 2 in 1,000 for
``kim2009``) draws its further candidates, and their lead-in noise, from its own stream
``Generator(SFC64(SeedSequence(s, spawn_key=(k, i))))`` (``i``: the trial's place in its chunk;
:func:`more_candidates`). So a trial's draws never depend on other trials, on the engine or on
the workers: the vectorized engine uses the whole chunk at once; the reference engine loops over
the same draws one trial at a time (:meth:`ChunkDraws.trial`). Patients are drawn one at a
time by the compiled :func:`.draw_kernels.draw_patient_matrix` (the natural-history model of
:func:`.natural_history.draw_patients`, without the FVC slope's noise, which the simulator never
uses); the numbers are numpy's SFC64 ones, drawn by :mod:`.sfc64` (inlined, same numbers).

Scheme 1 (until this version) drew every candidate (``max_screened x places``) from
``default_rng(SeedSequence(s, spawn_key=(k,)))`` with numpy's array calls, the pool's baseline
noise always, and each patient's FVC slope noise; its per-trial results cannot be reproduced by
this version.

Times: a visit is a whole day from the first dose (``round(month * 30.4375)``); months are days /
30.4375 (docs/domain.md, 'Months', :data:`alstrial.domain.time.DAYS_PER_MONTH`), exactly as the
analysis engine computes them from a ``visits.csv``. The natural-history model's clock starts at
trial entry, the first lead-in visit.

Observation model (the natural-history model's, with the treatment added before rounding):
``total = clip(rint(expected + shift + noise_sd * z), 0, 48)``, where ``shift = effect *
max(0, month - delay)`` for treated subjects (points; ``effect`` in points/month from the first
dose). A visit is missing on or after death, after the model's own dropout, and, after baseline,
after the design's dropout time (exponential with ``dropout.per_month``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial

import numpy as np

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation import sfc64
from alstrial.simulation.designs import Design
from alstrial.simulation.draw_kernels import (
    chunk_numbers,
    draw_patient_matrix,
    patients_from_matrix,
)
from alstrial.simulation.natural_history import MAX_TOTAL, NaturalHistory, Patients

#: Version of the draw scheme (module docstring): the same seed gives the same trials only
#: under the same scheme. Recorded in every result (``draw_scheme``).
DRAW_SCHEME = 2
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
    """Points added to a treated subject's expected total at each visit (shape ``(v,)``).

    The slope changes by ``effect`` points/month while a dose covers the time: from ``delay``
    after each dose for ``effect_duration_months`` (a lasting effect by default, so from
    ``delay`` after the first dose on). The shift at month ``t`` is ``effect`` times the months
    covered between 0 and ``t``: with doses at 0, 1 and 4 and a 2-month duration, the slope
    changes over months 0-3 and 4-6 and is the untreated one over months 3-4."""
    delay = design.effect_delay_months
    if not math.isfinite(design.effect_duration_months):
        return effect * np.maximum(0.0, grid.months - delay)
    covered = _covered_intervals(design.doses, delay, design.effect_duration_months)
    months = np.maximum(grid.months, 0.0)[:, None]
    starts, ends = covered[:, 0][None, :], covered[:, 1][None, :]
    return effect * np.clip(np.minimum(months, ends) - starts, 0.0, None).sum(axis=1)


def arm_shifts(design: Design, grid: VisitGrid, effect: float) -> np.ndarray:
    """``(A, V)`` points added at each visit by each arm: row 0 the control (zeros), row ``k``
    dose arm ``k`` (:func:`treatment_shift` at its effect, :meth:`Design.comparison_effect`);
    a two-arm design has the one treated row."""
    rows = [np.zeros(grid.months.size)]
    rows += [
        treatment_shift(design, grid, design.comparison_effect(effect, k))
        for k in range(len(design.comparisons))
    ]
    return np.array(rows)


def place_arms(design: Design, allocation: np.ndarray) -> np.ndarray:
    """The arm of each enrolment place from its allocation numbers (last axis: places): 0 the
    control, ``k >= 1`` dose arm ``k``. The places with the ``n_treated`` smallest numbers are
    treated (a random permutation, so a short trial still has its arms at random); of those, the
    smallest go to dose arm 1, the next to dose arm 2, ... (``arms.dose_arms``). Without
    randomized controls every place is treated."""
    if design.control_source != "randomized":
        return np.ones(allocation.shape, dtype=np.int64)
    ranks = np.argsort(np.argsort(allocation, axis=-1), axis=-1)
    if not design.is_multi_arm:
        return (ranks < design.n_treated).astype(np.int64)
    bounds = np.cumsum(design.dose_arms)
    arms = 1 + np.searchsorted(bounds, ranks, side="right")
    return np.where(ranks < design.n_treated, arms, 0).astype(np.int64)


def _covered_intervals(doses, delay: float, duration: float) -> np.ndarray:
    """The union of ``[dose + delay, dose + delay + duration]`` over the doses, as disjoint
    ``(start, end)`` rows in order (months)."""
    merged: list[list[float]] = []
    for dose in sorted(doses):
        start, end = dose + delay, dose + delay + duration
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return np.array(merged, dtype=float)


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


def first_block(design: Design) -> int:
    """Candidates per trial drawn with the chunk (the rest only for a trial that needs them)."""
    places, screened = patient_count(design)
    return min(screened, 2 * places)


def more_candidates(
    design: Design, model: NaturalHistory, seed: int, chunk_index: int, trial: int
) -> tuple[Patients, np.ndarray]:
    """The candidates of trial ``trial`` (0-based in its chunk) after its first block, and their
    lead-in noise ``(n, L)``, from the trial's own stream (see the module docstring)."""
    n = patient_count(design)[1] - first_block(design)
    state = _state(np.random.SeedSequence(seed, spawn_key=(chunk_index, trial)))
    _, patients = draw_patient_matrix(state, n, model)
    noise = sfc64.normals(state, n * len(design.lead_in_visits))
    return patients, noise.reshape(n, -1)


@dataclass(frozen=True)
class TrialDraws:
    """The draws of one trial (a slice of :class:`ChunkDraws`); shapes without the trial axis.

    ``candidates``/``screening_noise`` are the first block; :meth:`all_candidates` adds the
    trial's further candidates, for a trial the first block does not fill."""

    candidates: Patients
    screening_noise: np.ndarray  # (P, L)
    follow_up_noise: np.ndarray  # (places, V - L)
    exit: np.ndarray  # (places,)
    allocation: np.ndarray  # (places,)
    registry: Patients | None
    registry_baseline_noise: np.ndarray | None  # (R,), or None if not matched on baseline
    control_noise: np.ndarray | None  # (n_control, V)
    more: Callable[[], tuple[Patients, np.ndarray]] | None = None  # None: no more candidates

    def all_candidates(self) -> tuple[Patients, np.ndarray]:
        """Every candidate the design allows and their lead-in noise, in screening order."""
        if self.more is None:
            return self.candidates, self.screening_noise
        extra, noise = self.more()
        return concat_patients(self.candidates, extra), np.concatenate(
            [self.screening_noise, noise]
        )


def concat_patients(first: Patients, second: Patients) -> Patients:
    """The patients of ``first`` then those of ``second``."""
    arrays = {
        f.name: np.concatenate([getattr(first, f.name), getattr(second, f.name)])
        for f in fields(Patients)
        if f.name != "model"
    }
    return Patients(**arrays, model=first.model)


@dataclass(frozen=True)
class ChunkDraws:
    """The random numbers of a chunk of ``n_trials`` trials drawn with the chunk (see the module
    docstring; a trial's further candidates come from :meth:`more_candidates`).

    Noise is standard normal (times the model's ``noise_sd``), by visit:

    - ``screening_noise``: every candidate's lead-in visits (screening needs them all);
    - ``follow_up_noise``, ``exit`` (standard exponential: design dropout), ``allocation``
      (uniform): by enrolment place, so the ``k``-th enrolled subject takes row ``k``;
    - ``registry_baseline_noise``: every registry patient's baseline visit, drawn only when
      matching uses the baseline total; ``control_noise``: the visits of the ``k``-th matched
      control, whose baseline column is then replaced by that patient's baseline noise.

    Drawing follow-up noise per place rather than per candidate keeps the chunk small; the
    noise of a visit is independent of everything else, so which row a subject takes does not
    change the model. Patients are flat (trial ``i`` owns rows ``i * P .. (i + 1) * P - 1``);
    arrays have the trial as their first axis.
    """

    n_trials: int
    first_trial: int
    candidates: Patients
    screening_noise: np.ndarray  # (T, P, L), P = first_block(design)
    follow_up_noise: np.ndarray  # (T, places, V - L)
    exit: np.ndarray  # (T, places)
    allocation: np.ndarray  # (T, places)
    registry: Patients | None
    registry_baseline_noise: np.ndarray | None  # (T, R)
    control_noise: np.ndarray | None  # (T, n_control, V)
    design: Design | None = None
    model: NaturalHistory | None = None
    seed: int = 0
    candidate_values: np.ndarray | None = None  # (8, T * P): draw_kernels rows, = candidates
    registry_values: np.ndarray | None = None  # (8, T * R) = registry

    @property
    def chunk_index(self) -> int:
        return self.first_trial // CHUNK_SIZE

    @property
    def has_more_candidates(self) -> bool:
        """Whether the design allows candidates beyond the first block."""
        return first_block(self.design) < patient_count(self.design)[1]

    def more_candidates(self, i: int) -> tuple[Patients, np.ndarray]:
        """Trial ``i``'s candidates after the first block and their lead-in noise."""
        return more_candidates(self.design, self.model, self.seed, self.chunk_index, i)

    def trial(self, i: int) -> TrialDraws:
        """The draws of trial ``i`` of this chunk (0-based within the chunk)."""
        p = self.screening_noise.shape[1]
        registry = baseline_noise = control_noise = None
        if self.registry is not None:
            r = self.registry.age_years.size // self.n_trials
            registry = self.registry.take(slice(i * r, (i + 1) * r))
            if self.registry_baseline_noise is not None:
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
            more=partial(self.more_candidates, i) if self.has_more_candidates else None,
        )


def chunk_bounds(trials: int) -> list[tuple[int, int]]:
    """``(chunk_index, n_trials)`` of each chunk of a run of ``trials`` trials."""
    return [
        (k, min(CHUNK_SIZE, trials - k * CHUNK_SIZE))
        for k in range((trials + CHUNK_SIZE - 1) // CHUNK_SIZE)
    ]


def _state(seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """The words of ``Generator(SFC64(seed_sequence))``, drawn from by :mod:`.sfc64` (numpy's
    numbers, faster)."""
    return sfc64.state_of(np.random.Generator(np.random.SFC64(seed_sequence)))


def chunk_rng(seed: int, chunk_index: int) -> np.random.Generator:
    """The generator of chunk ``chunk_index`` of a run with ``seed`` (see the module docstring):
    :func:`draw_chunk` draws its numbers (through :mod:`.sfc64`)."""
    return np.random.Generator(
        np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(chunk_index,)))
    )


def matches_on_baseline(design: Design) -> bool:
    """Whether registry matching uses the observed baseline total (its noise is then drawn)."""
    return "baseline_total" in design.matching.covariates


def draw_chunk(
    design: Design, model: NaturalHistory, seed: int, chunk_index: int, n_trials: int
) -> ChunkDraws:
    """Draw chunk ``chunk_index`` of a run, in the order of the module docstring."""
    state = sfc64.state_of(chunk_rng(seed, chunk_index))
    places, _ = patient_count(design)
    first = first_block(design)
    lead = len(design.lead_in_visits)
    follow = len(design.follow_up_visits)
    registry = design.control_source == "registry"
    pool = design.matching.pool if registry else 0
    with_base = registry and matches_on_baseline(design)
    visits = lead + follow
    cands, screening_noise, follow_up_noise, exit_draws, allocation, reg, base, control = (
        chunk_numbers(
            state,
            n_trials * first,
            lead,
            n_trials * places,
            follow,
            n_trials * pool,
            n_trials * pool if with_base else 0,
            n_trials * design.n_control * visits if registry else 0,
            model,
        )
    )
    candidate_values = cands[0]
    candidates = patients_from_matrix(*cands, model)
    registry_values = registry_patients = baseline_noise = control_noise = None
    if registry:
        registry_values = reg[0]
        registry_patients = patients_from_matrix(*reg, model)
        if with_base:
            baseline_noise = base.reshape(n_trials, pool)
        control_noise = control.reshape(n_trials, design.n_control, visits)
    return ChunkDraws(
        n_trials=n_trials,
        first_trial=chunk_index * CHUNK_SIZE,
        candidates=candidates,
        screening_noise=screening_noise.reshape(n_trials, first, lead),
        follow_up_noise=follow_up_noise.reshape(n_trials, places, follow),
        exit=exit_draws.reshape(n_trials, places),
        allocation=allocation.reshape(n_trials, places),
        registry=registry_patients,
        registry_baseline_noise=baseline_noise,
        control_noise=control_noise,
        design=design,
        model=model,
        seed=seed,
        candidate_values=candidate_values,
        registry_values=registry_values,
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
