"""The vectorized engine: every trial of a chunk at once, in numpy, with closed-form tests.

It reproduces :mod:`.reference` step by step on arrays shaped ``(trials, subjects, visits)``:
screening in candidate order, randomized allocation, greedy registry matching, per-subject OLS
slopes over the observed visits (the analysis engine's definitions, INTERFACES.md "Analysis
data"), then paired and Welch t-tests in closed form with two-sided p-values from Student's t
distribution (``scipy.special.stdtr``), or the rank tests of :mod:`.ranks`. Missing visits are
masks, never removed rows.
"""

from __future__ import annotations

import numpy as np
from scipy.special import stdtr

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

# A variance this small relative to the squared mean is a set of equal values: the analysis
# engine reports no test then, and so must we (floating-point means are not exact).
_NO_VARIANCE = 1e-24


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

    # Screening: every candidate's lead-in visits.
    cands = draws.candidates
    lead_months = grid.entry_months[:lead]
    expected_lead = expected_totals(cands, lead_months).reshape(t_count, screened, lead)
    screening = observed_totals(expected_lead + sd * draws.screening_noise)
    gone_lead = gone_mask(cands, lead_months).reshape(t_count, screened, lead)
    eligible = _eligible(
        design, grid, cands.months_since_onset.reshape(t_count, screened), screening, gone_lead
    )

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


def _eligible(design: Design, grid: VisitGrid, months_since_onset, screening, gone_lead):
    """(T, P) enrolment rules at baseline (see ``reference._eligible``)."""
    rules = design.enrolment
    ok = ~gone_lead.any(axis=2)
    if grid.n_lead_in >= 2:
        x = grid.months[: grid.n_lead_in]
        dx = x - x.mean()
        centred = screening - screening.mean(axis=2, keepdims=True)
        decline = -((centred * dx).sum(axis=2) / (dx @ dx))
        ok &= (rules.min_lead_in_decline <= decline) & (decline <= rules.max_lead_in_decline)
    ok &= screening[:, :, -1] >= rules.min_baseline_total
    ok &= months_since_onset + grid.entry_months[grid.baseline] <= rules.max_months_since_onset
    return ok


def _covariates(design: Design, people, baseline_total, shape) -> np.ndarray:
    """(T, n, c) matching covariates divided by their scales; ``baseline_total`` is the
    observed one, shape (T, n)."""
    values = {
        "age_years": people.age_years.reshape(shape),
        "months_since_onset": people.months_since_onset.reshape(shape),
        "baseline_total": baseline_total,
    }
    match = design.matching
    return np.stack(
        [values[c] / scale for c, scale in zip(match.covariates, match.scales, strict=True)],
        axis=2,
    )


def _matched_controls(design, grid, draws: ChunkDraws, model, treated_covariates, enrolled):
    """Greedy nearest-neighbour registry controls: totals, seen mask and a (T, m) valid mask."""
    reg = draws.registry
    t_count, pool = draws.registry_baseline_noise.shape
    sd = model.noise_sd
    rows = np.arange(t_count)
    base_month = grid.entry_months[grid.baseline : grid.baseline + 1]
    expected_base = expected_totals(reg, base_month).reshape(t_count, pool)
    reg_baseline = observed_totals(expected_base + sd * draws.registry_baseline_noise)
    reg_covariates = _covariates(design, reg, reg_baseline, (t_count, pool))
    gone_lead = gone_mask(reg, grid.entry_months[: grid.n_lead_in]).reshape(t_count, pool, -1)
    used = gone_lead.any(axis=2)  # not followed through the lead-in: never a control
    n_match = min(design.n_control, treated_covariates.shape[1])
    # Distances of every treated subject to every pool patient, (treated, trial, pool), summed
    # covariate by covariate in the reference's order, so the floats agree. A pool patient
    # not followed through the lead-in, or already taken, is at infinity.
    distances = np.zeros((n_match, t_count, pool))
    gap = np.empty_like(distances)
    for c in range(reg_covariates.shape[2]):
        np.subtract(
            treated_covariates[:, :n_match, c].T[:, :, None], reg_covariates[None, :, :, c], out=gap
        )
        distances += np.square(gap, out=gap)
    distances[:, used] = np.inf
    picks = np.zeros((t_count, n_match), dtype=int)
    matched = np.zeros((t_count, n_match), dtype=bool)
    for k in range(n_match):
        best = np.argmin(distances[k], axis=1)
        # A trial stops matching at its first treated subject without a match (as the reference).
        ok = enrolled[:, k] & np.isfinite(distances[k, rows, best])
        if k:
            ok &= matched[:, k - 1]
        picks[:, k] = best
        matched[:, k] = ok
        distances[k + 1 :, rows[ok], best[ok]] = np.inf
    controls = reg.take((rows[:, None] * pool + picks).ravel())
    noise = draws.control_noise[:, :n_match, :].copy()
    noise[:, :, grid.baseline] = np.take_along_axis(draws.registry_baseline_noise, picks, axis=1)
    expected = expected_totals(controls, grid.entry_months).reshape(t_count, n_match, -1)
    totals = observed_totals(expected + sd * noise)
    seen = ~gone_mask(controls, grid.entry_months).reshape(t_count, n_match, -1)
    return totals, seen & matched[:, :, None], matched


def masked_ols_slope(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """OLS slope of ``y`` on ``x`` over the visits in ``mask`` (last axis); NaN with fewer than 2
    visits. ``x`` is shape ``(v,)``; ``y`` and ``mask`` end in ``v``."""
    n = mask.sum(axis=-1)
    safe = np.maximum(n, 1)
    xm = (mask * x).sum(axis=-1) / safe
    ym = np.where(mask, y, 0.0).sum(axis=-1) / safe
    dx = np.where(mask, x - xm[..., None], 0.0)
    sxx = (dx * dx).sum(axis=-1)
    sxy = (dx * np.where(mask, y - ym[..., None], 0.0)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n >= 2) & (sxx > 0), sxy / np.where(sxx > 0, sxx, 1.0), np.nan)


def subject_summaries(grid: VisitGrid, totals: np.ndarray, seen: np.ndarray):
    """Per-subject lead-in slope, follow-up slope and change (INTERFACES.md definitions).

    Baseline is the last observed lead-in visit; the follow-up window is the baseline plus the
    observed visits after day 0. Slopes are NaN with fewer than 2 visits (follow-up: without a
    visit after baseline); change is the last observed follow-up total minus baseline.
    """
    lead = np.arange(len(grid.months)) < grid.n_lead_in
    lead_seen = seen & lead
    lead_in = masked_ols_slope(grid.months, totals, lead_seen)
    # Index of the last observed lead-in visit (baseline) and of the last follow-up visit.
    v_index = np.arange(len(grid.months))
    last_lead = np.where(lead_seen, v_index, -1).max(axis=-1)
    post_seen = seen & ~lead
    last_post = np.where(post_seen, v_index, -1).max(axis=-1)
    window = post_seen | (v_index == last_lead[..., None])
    has_post = (last_post >= 0) & (last_lead >= 0)
    follow_up = np.where(has_post, masked_ols_slope(grid.months, totals, window), np.nan)
    base = np.take_along_axis(totals, np.maximum(last_lead, 0)[..., None], axis=-1)[..., 0]
    last = np.take_along_axis(totals, np.maximum(last_post, 0)[..., None], axis=-1)[..., 0]
    change = np.where(has_post, last - base, np.nan)
    return lead_in, follow_up, change


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


def _moments(values: np.ndarray, mask: np.ndarray):
    keep = mask & ~np.isnan(values)
    n = keep.sum(axis=1)
    safe = np.maximum(n, 1)
    mean = np.where(keep, values, 0.0).sum(axis=1) / safe
    deviation = np.where(keep, values - mean[:, None], 0.0)
    var = (deviation * deviation).sum(axis=1) / np.maximum(n - 1, 1)
    return n, mean, var


def paired_t_rows(differences: np.ndarray, mask: np.ndarray):
    """Row-wise one-sample t-test of ``differences`` (after - before) where ``mask``:
    (mean, two-sided p). NaN with fewer than 2 pairs; p NaN when all differences are equal."""
    n, mean, var = _moments(differences, mask)
    ok = (n >= 2) & (var > _NO_VARIANCE * np.maximum(mean * mean, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / np.sqrt(var / n)
        p = 2.0 * stdtr(n - 1, -np.abs(t))
    return np.where(n >= 2, mean, np.nan), np.where(ok, p, np.nan)


def welch_t_rows(x: np.ndarray, x_mask: np.ndarray, y: np.ndarray, y_mask: np.ndarray):
    """Row-wise Welch t-test of mean(x) - mean(y): (difference, two-sided p), Welch-Satterthwaite
    degrees of freedom. NaN with fewer than 2 values in a group or no variance in either."""
    nx, mx, vx = _moments(x, x_mask)
    ny, my, vy = _moments(y, y_mask)
    sx, sy = vx / np.maximum(nx, 1), vy / np.maximum(ny, 1)
    se2 = sx + sy
    scale = np.maximum(mx * mx + my * my, 1.0)
    ok = (nx >= 2) & (ny >= 2) & (se2 > _NO_VARIANCE * scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (mx - my) / np.sqrt(se2)
        df = se2 * se2 / (sx * sx / (nx - 1) + sy * sy / (ny - 1))
        p = 2.0 * stdtr(df, -np.abs(t))
    return np.where((nx >= 2) & (ny >= 2), mx - my, np.nan), np.where(ok, p, np.nan)
