"""The vectorized engine: every trial of a chunk at once, in numpy, with closed-form tests.

It reproduces :mod:`.reference` step by step on arrays shaped ``(trials, subjects, visits)``:
screening in candidate order, randomized allocation, greedy registry matching, per-subject OLS
slopes over the observed visits (the analysis engine's definitions, INTERFACES.md "Analysis
data"), then paired and Welch t-tests in closed form (:mod:`.closed_forms`) or the rank tests
of :mod:`.ranks`. Missing visits are masks, never removed rows.

Its per-trial results are held bit for bit to the ones checked in before the speed-ups of
issue 7 (``tests/reference/simulation/``): an optimisation here must not move a number.
"""

from __future__ import annotations

import numpy as np

from alstrial.simulation.closed_forms import (
    masked_ols_slope,
    paired_t_rows,
    subject_summaries,
    visit_sum,
    welch_t_rows,
)
from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.natural_history import NaturalHistory, expected_totals
from alstrial.simulation.ranks import rank_sum_rows, signed_rank_rows
from alstrial.simulation.trials import (
    ChunkDraws,
    ChunkOutcome,
    VisitGrid,
    design_exit_months,
    gone_mask,
    observed_totals,
    patient_count,
    treatment_shift,
    visit_grid,
)

__all__ = [
    "masked_ols_slope",
    "paired_t_rows",
    "run_chunk_vectorized",
    "subject_summaries",
    "welch_t_rows",
]


def run_chunk_vectorized(
    design: Design, model: NaturalHistory, draws: ChunkDraws, effect: float
) -> ChunkOutcome:
    """Simulate and analyse every trial of a chunk at once (same results as the reference)."""
    grid = visit_grid(design)
    t_count = draws.n_trials
    lead = grid.n_lead_in
    sd = model.noise_sd
    places, screened = patient_count(design)
    rows = np.arange(t_count)[:, None]

    cands = draws.candidates
    screening, eligible = _screen(design, grid, model, draws)

    # The first `places` eligible candidates in screening order (stable sort keeps the order).
    order = np.argsort(~eligible, axis=1, kind="stable")[:, :places]
    n_enrolled = np.minimum(eligible.sum(axis=1), places)
    enrolled = np.arange(places)[None, :] < n_enrolled[:, None]
    if design.control_source == "randomized":
        ranks = np.argsort(np.argsort(draws.allocation, axis=1), axis=1)
        treated = ranks < design.n_treated
    else:
        treated = np.ones((t_count, places), dtype=bool)

    # The enrolled subjects' visits: lead-in from screening, follow-up drawn by place.
    subjects = cands.take((rows * screened + order).ravel())
    follow_months = grid.entry_months[lead:]
    expected_follow = expected_totals(subjects, follow_months).reshape(t_count, places, -1)
    shift = np.where(treated[:, :, None], treatment_shift(design, grid, effect)[lead:], 0.0)
    totals = np.concatenate(
        [
            np.take_along_axis(screening, order[:, :, None], axis=1),
            observed_totals(expected_follow + sd * draws.follow_up_noise, shift),
        ],
        axis=2,
    )
    exits = design_exit_months(design, draws.exit)
    seen = (
        ~gone_mask(subjects, grid.entry_months).reshape(t_count, places, -1)
        & ~(grid.months[None, None, :] > exits[:, :, None])
        & enrolled[:, :, None]
    )
    arm_treated = treated & enrolled
    arm_control = ~treated & enrolled

    if design.control_source == "registry":
        covariates = _covariates(design, subjects, totals[:, :, grid.baseline], (t_count, places))
        reg_totals, reg_seen, matched = _matched_controls(
            design, grid, draws, model, covariates, enrolled
        )
        totals = np.concatenate([totals, reg_totals], axis=1)
        seen = np.concatenate([seen, reg_seen], axis=1)
        arm_treated = np.concatenate([arm_treated, np.zeros_like(matched)], axis=1)
        arm_control = np.concatenate([arm_control, matched], axis=1)

    lead_in, follow_up, change = subject_summaries(grid, totals, seen)
    estimates, p_values = [], []
    for name in design.analyses:
        estimate, p_value = _analysis(name, lead_in, follow_up, change, arm_treated, arm_control)
        estimates.append(estimate)
        p_values.append(p_value)
    return ChunkOutcome(
        draws.first_trial,
        np.array(estimates),
        np.array(p_values),
        n_enrolled,
        arm_control.sum(axis=1),
    )


def _screen(design: Design, grid: VisitGrid, model: NaturalHistory, draws: ChunkDraws):
    """Lead-in totals (T, P, L) and eligibility (T, P) of the candidates screening reaches.

    Screening stops once a trial's places are filled, so only the first ``2 * places``
    candidates of every trial are looked at first, and the rest only in the trials still short
    of places (3 in 1,000 for ``kim2009``). Candidates never reached keep totals of 0
    and are not eligible: the first ``places`` eligible ones are the same as if all had been
    screened. Each candidate's numbers are computed by the same elementwise operations
    whichever candidates are computed with it.
    """
    places, screened = patient_count(design)
    t_count, lead = draws.n_trials, grid.n_lead_in
    screening = np.zeros((t_count, screened, lead))
    eligible = np.zeros((t_count, screened), dtype=bool)

    def screen(trials: np.ndarray, start: int, stop: int) -> None:
        if trials.size == t_count and stop - start == screened:
            people = draws.candidates
        else:
            people = draws.candidates.take(
                (trials[:, None] * screened + np.arange(start, stop)).ravel()
            )
        expected = expected_totals(people, grid.entry_months[:lead])
        noise = draws.screening_noise[trials, start:stop]
        totals = observed_totals(expected.reshape(noise.shape) + model.noise_sd * noise)
        screening[trials, start:stop] = totals
        eligible[trials, start:stop] = _eligible(design, grid, people, totals)

    first = min(screened, 2 * places)
    screen(np.arange(t_count), 0, first)
    short = np.flatnonzero(eligible[:, :first].sum(axis=1) < places)
    if short.size and first < screened:
        screen(short, first, screened)
    return screening, eligible


def _eligible(design: Design, grid: VisitGrid, cands, screening):
    """(T, P) enrolment rules at baseline (see ``reference._eligible``); ``screening`` is
    (T, P, L). Sums over the lead-in visits go visit by visit in numpy's order
    (:func:`.closed_forms.visit_sum`), so the decline is the float a row-wise sum gives."""
    rules = design.enrolment
    t_count, screened = screening.shape[:2]
    lead_months = grid.entry_months[: grid.n_lead_in]
    # Every lead-in visit happened: no lead-in visit on or after death or after dropout, i.e.
    # not at the last one (the same comparisons as ``gone_mask``, on the latest month).
    last = lead_months.max()
    ok = ~((last >= cands.death_month) | (last > cands.dropout_month)).reshape(t_count, screened)
    columns = list(np.moveaxis(screening, -1, 0))
    if grid.n_lead_in >= 2:
        x = grid.months[: grid.n_lead_in]
        dx = x - x.mean()
        mean = visit_sum(columns) / grid.n_lead_in
        sxy = visit_sum([(c - mean) * d for c, d in zip(columns, dx, strict=True)])
        decline = -(sxy / (dx @ dx))
        ok &= (rules.min_lead_in_decline <= decline) & (decline <= rules.max_lead_in_decline)
    ok &= columns[-1] >= rules.min_baseline_total
    months_since_onset = cands.months_since_onset.reshape(t_count, screened)
    ok &= months_since_onset + grid.entry_months[grid.baseline] <= rules.max_months_since_onset
    return ok


def _covariates(design: Design, people, baseline_total, shape) -> np.ndarray:
    """(T, n, c) matching covariates divided by their scales; ``baseline_total`` is the
    observed one, shape (T, n), or a function giving it (called only when it is a covariate)."""
    values = {
        "age_years": lambda: people.age_years.reshape(shape),
        "months_since_onset": lambda: people.months_since_onset.reshape(shape),
        "baseline_total": baseline_total if callable(baseline_total) else lambda: baseline_total,
    }
    match = design.matching
    return np.stack(
        [values[c]() / scale for c, scale in zip(match.covariates, match.scales, strict=True)],
        axis=2,
    )


def _matched_controls(design, grid, draws: ChunkDraws, model, treated_covariates, enrolled):
    """Greedy nearest-neighbour registry controls: totals, seen mask and a (T, m) valid mask."""
    reg = draws.registry
    t_count, pool = draws.registry_baseline_noise.shape
    sd = model.noise_sd
    rows = np.arange(t_count)

    def registry_baseline():  # observed baseline totals of the pool, only if matched on
        base_month = grid.entry_months[grid.baseline : grid.baseline + 1]
        expected_base = expected_totals(reg, base_month).reshape(t_count, pool)
        return observed_totals(expected_base + sd * draws.registry_baseline_noise)

    reg_covariates = _covariates(design, reg, registry_baseline, (t_count, pool))
    n_match = min(design.n_control, treated_covariates.shape[1])
    # One contiguous array per covariate: (treated, T) for the treated, (T, pool) for the pool.
    treated_columns = [np.ascontiguousarray(c.T) for c in np.moveaxis(treated_covariates, 2, 0)]
    pool_columns = [np.ascontiguousarray(c) for c in np.moveaxis(reg_covariates, 2, 0)]
    # A pool patient not followed through the lead-in (gone at its last visit), or already
    # taken, is at infinity: its distance plus an infinite penalty (the others plus 0: exact).
    last = grid.entry_months[: grid.n_lead_in].max()
    gone = (last >= reg.death_month) | (last > reg.dropout_month)
    penalty = np.where(gone, np.inf, 0.0).reshape(t_count, pool)
    picks = np.zeros((t_count, n_match), dtype=int)
    matched = np.zeros((t_count, n_match), dtype=bool)
    current, gap = np.empty((t_count, pool)), np.empty((t_count, pool))
    for k in range(n_match):
        # Distances of the k-th treated subject, computed when needed (they stay in cache).
        _distances_to_pool([c[k] for c in treated_columns], pool_columns, current, gap)
        current += penalty
        best = np.argmin(current, axis=1)
        # A trial stops matching at its first treated subject without a match (as the reference).
        ok = enrolled[:, k] & np.isfinite(current[rows, best])
        if k:
            ok &= matched[:, k - 1]
        picks[:, k] = best
        matched[:, k] = ok
        penalty[rows[ok], best[ok]] = np.inf
    controls = reg.take((rows[:, None] * pool + picks).ravel())
    noise = draws.control_noise[:, :n_match, :].copy()
    noise[:, :, grid.baseline] = np.take_along_axis(draws.registry_baseline_noise, picks, axis=1)
    expected = expected_totals(controls, grid.entry_months).reshape(t_count, n_match, -1)
    totals = observed_totals(expected + sd * noise)
    seen = ~gone_mask(controls, grid.entry_months).reshape(t_count, n_match, -1)
    return totals, seen & matched[:, :, None], matched


def _distances_to_pool(treated: list[np.ndarray], pool: list[np.ndarray], out, gap) -> None:
    """Squared distances (T, r) of one treated subject per trial (``treated``: one (T,) array
    per covariate) to every pool patient (``pool``: one (T, r) array per covariate), into
    ``out``; summed covariate by covariate in the reference's order (``0.0 + gap**2`` is
    ``gap**2``), so the floats agree with ``reference._greedy_match``."""
    for c, (mine, theirs) in enumerate(zip(treated, pool, strict=True)):
        target = out if c == 0 else gap
        np.subtract(mine[:, None], theirs, out=target)
        np.square(target, out=target)
        if c:
            out += gap


def _analysis(name, lead_in, follow_up, change, treated, control):
    """(estimate, p_value) arrays over trials for one named analysis (``designs.ANALYSES``)."""
    spec = ANALYSES[name]
    if spec.quantity == "paired":
        estimate, p_value = paired_t_rows(follow_up - lead_in, treated)
        if spec.test == "rank":
            p_value = signed_rank_rows(follow_up - lead_in, treated)
        return estimate, p_value
    values = {
        "follow_up_slope": follow_up,
        "slope_change": follow_up - lead_in,
        "change": change,
    }[spec.quantity]
    estimate, p_value = welch_t_rows(values, treated, values, control)
    if spec.test == "rank":
        p_value = rank_sum_rows(values, treated, values, control)
    return estimate, p_value
