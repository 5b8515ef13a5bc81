"""Compiled (numba) trial loop of the vectorized engine: screening, allocation, matching, slopes.

One pass over each trial of a chunk, in the reference engine's steps (:mod:`.reference`), on the
chunk's flat arrays (patients as the ``(8, n)`` matrices of :mod:`.draw_kernels`), giving every
subject's lead-in slope, follow-up slope and change; then :func:`row_moments` for the t-tests
(:mod:`.vectorized` finishes them, and runs the rank tests, in numpy). Units: months from the
first dose (``months``) or from trial entry (``entry``), points, points/month.

Floating point: the comparisons that decide who is enrolled and matched use the reference's
formulas (the lead-in decline ``-(dx @ (y - mean y)) / sxx``, the mean first, so that a flat
lead-in is exactly 0; distances covariate by covariate from 0.0, strict ``<`` in index order);
a slope is ``sum(w_v * y_v)`` with OLS weights ``w_v = (x_v - mean x) / sxx`` of the subject's
visit pattern, which agrees with the reference's ``dx @ (y - mean y) / sxx`` to about 1e-15 (the
engines' tests allow 1e-9). No ``fastmath``.

Stack: numba, because the per-trial work is small (a few hundred numbers per step) and numpy
spends more on calls and temporaries than on it; see ``docs/simulation.md``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from alstrial.simulation.draw_kernels import (
    ACCELERATION,
    BASELINE,
    DEATH,
    DROPOUT,
    MONTHS_SINCE_ONSET,
    SLOPE,
)
from alstrial.simulation.draw_kernels import (
    AGE as AGE_ROW,
)
from alstrial.simulation.natural_history import MAX_TOTAL

# Covariate codes for matching.
AGE, MONTHS, BASELINE_TOTAL = 0, 1, 2


@njit(cache=True, nogil=True)
def _ols_weights(x, work):
    """OLS weights ``work[1, v] = (x_v - mean) / sxx`` over the visits where ``work[0, v]`` is
    1 (0 elsewhere), so that the slope is ``sum(work[1] * y)``; False with fewer than 2 visits
    or no spread in ``x``."""
    count = 0
    total = 0.0
    for v in range(x.size):
        if work[0, v]:
            count += 1
            total += x[v]
    mean = total / max(count, 1)
    sxx = 0.0
    for v in range(x.size):
        work[1, v] = x[v] - mean if work[0, v] else 0.0
        sxx += work[1, v] * work[1, v]
    ok = count >= 2 and sxx > 0
    for v in range(x.size):
        work[1, v] = work[1, v] / sxx if ok else 0.0
    return ok


@njit(cache=True, nogil=True, inline="always")
def _expected_total(base, slope, acceleration, t, floor_start):
    """Expected total at ``t`` months from entry (:func:`.natural_history.expected_totals`)."""
    start = base
    has_floor = not math.isnan(floor_start)
    f = floor_start
    if has_floor and not base >= f:
        start = f + f * math.log(min(max(base, 1e-6), f) / f)
    latent = start + slope * t + 0.5 * acceleration * t * t
    if has_floor and not latent >= f:
        latent = f * math.exp((min(latent, f) - f) / f)
    return min(max(latent, 0.0), MAX_TOTAL)


@njit(cache=True, nogil=True, inline="always")
def _observed(value):
    """Observed total: ``clip(rint(value), 0, 48)`` (:func:`.trials.observed_totals`)."""
    return min(max(np.rint(value), 0.0), MAX_TOTAL)


@njit(cache=True, nogil=True, inline="always")
def _gone(t, death, dropout):
    """No visit at ``t`` months from entry: on or after death, after dropout."""
    return t >= death or t > dropout


@njit(cache=True, nogil=True)
def simulate_trials(
    trial_ids,  # (n,) chunk positions of the trials to simulate
    cand,  # (8, n * P) candidates, draw_kernels rows
    cand_noise,  # (n, P, L) their lead-in noise
    places,
    arm_place,  # (T, places) int: the place's arm, 0 control, k >= 1 dose arm k (allocation)
    follow_noise,  # (T, places, V - L)
    exit_months,  # (T, places) design exit, months from the first dose
    entry,  # (V,) months from entry
    months,  # (V,) months from the first dose
    shift,  # (A, V) treatment shift of each arm, points (row 0, the control's, unused)
    n_lead,
    noise_sd,
    floor_start,  # NaN: no floor
    rules,  # (4,) min and max lead-in decline, min baseline total, max months since onset
    lead_dx,  # (L,) lead-in months minus their mean (numpy's, as the reference computes it)
    lead_sxx,  # lead_dx @ lead_dx (numpy's)
    reg,  # (8, T * R) the registry pool, draw_kernels rows; (8, 0) without registry
    reg_base_noise,  # (T, R), or (0, 0) when not matched on baseline
    control_noise,  # (T, n_control, V)
    n_control,
    cov_codes,  # (C,) AGE, MONTHS, BASELINE_TOTAL
    cov_scales,  # (C,)
    out_lead,  # (T, S) lead-in slope
    out_follow,  # (T, S) follow-up slope
    out_change,  # (T, S) change from baseline
    out_treated,  # (T, S) bool
    out_control,  # (T, S) bool
    out_enrolled,  # (T,) int
    out_short,  # (T,) bool: these candidates ran out short of places
    out_totals,  # (T, S, V) observed totals (meaningful where out_seen)
    out_seen,  # (T, S, V) bool: the visit took place
):
    """Simulate the trials ``trial_ids``; their rows of ``out_*`` are written. Subjects are the
    enrolled ones by place (``S = places``), then the matched controls by match. ``out_totals``
    and ``out_seen`` keep every subject's visits, for the analyses that fit a model to them."""
    n_visits = entry.size
    lead = n_lead
    baseline = lead - 1
    p_count = cand_noise.shape[1]
    last_lead = entry[baseline]
    n_subjects_max = out_lead.shape[1]
    has_registry = reg.shape[1] > 0
    pool = reg.shape[1] // out_lead.shape[0] if has_registry else 0
    screened = np.empty(lead)
    enrolled_index = np.empty(places, dtype=np.int64)
    # OLS weights of the two complete visit patterns (every lead-in visit; baseline and every
    # follow-up visit), computed once; other patterns get theirs when they occur.
    lead_work = np.zeros((2, n_visits))
    follow_work = np.zeros((2, n_visits))
    for v in range(n_visits):
        lead_work[0, v] = 1.0 if v < lead else 0.0
        follow_work[0, v] = 1.0 if v >= baseline else 0.0
    lead_ok = _ols_weights(months, lead_work)
    follow_ok = _ols_weights(months, follow_work)
    lead_w = lead_work[1].copy()
    follow_w = follow_work[1].copy()
    work = np.empty((2, n_visits))  # visit mask and weights of one subject
    mine = np.empty(3)
    pool_cov = np.empty((3, max(pool, 1)))
    penalty = np.empty(max(pool, 1))
    distance = np.empty(max(pool, 1))
    for local in range(trial_ids.size):
        t = trial_ids[local]
        totals = out_totals[t]
        seen = out_seen[t]
        seen[:, :] = False
        for s in range(n_subjects_max):
            out_lead[t, s] = math.nan
            out_follow[t, s] = math.nan
            out_change[t, s] = math.nan
            out_treated[t, s] = False
            out_control[t, s] = False
        # Screening, in candidate order, until the places are filled.
        n_enrolled = 0
        for j in range(p_count):
            if n_enrolled == places:
                break
            c = local * p_count + j
            ok = not _gone(last_lead, cand[DEATH, c], cand[DROPOUT, c])
            ok = ok and cand[MONTHS_SINCE_ONSET, c] + entry[baseline] <= rules[3]
            if not ok:
                continue
            total = 0.0
            for v in range(lead):
                screened[v] = _observed(
                    _expected(cand, c, entry[v], floor_start) + noise_sd * cand_noise[local, j, v]
                )
                total += screened[v]
            if lead >= 2:
                # The reference's decline, -(dx @ (y - mean y)) / sxx: the mean first, so that
                # a flat lead-in gives exactly 0 (a bound of 0 must see the same number).
                mean = total / lead
                sxy = 0.0
                for v in range(lead):
                    sxy += (screened[v] - mean) * lead_dx[v]
                decline = -(sxy / lead_sxx)
                if not (rules[0] <= decline and decline <= rules[1]):
                    continue
            if not screened[lead - 1] >= rules[2]:
                continue
            enrolled_index[n_enrolled] = c
            for v in range(lead):
                totals[n_enrolled, v] = screened[v]
            n_enrolled += 1
        out_enrolled[t] = n_enrolled
        out_short[t] = n_enrolled < places
        # The enrolled subjects' follow-up visits, by place.
        for k in range(n_enrolled):
            c = enrolled_index[k]
            arm = arm_place[t, k]
            treated = arm > 0
            for v in range(lead, n_visits):
                value = (
                    _expected(cand, c, entry[v], floor_start)
                    + noise_sd * follow_noise[t, k, v - lead]
                )
                totals[k, v] = _observed(value + shift[arm, v] if treated else value)
            for v in range(n_visits):
                seen[k, v] = not _gone(entry[v], cand[DEATH, c], cand[DROPOUT, c]) and not (
                    months[v] > exit_months[t, k]
                )
            out_treated[t, k] = treated
            out_control[t, k] = not treated
        n_subjects = places
        if has_registry:
            n_subjects += _match(
                t, totals, seen, places, n_enrolled, arm_place, enrolled_index, cand,
                reg, reg_base_noise, control_noise, n_control, cov_codes, cov_scales, pool,
                entry, baseline, last_lead, noise_sd, floor_start, mine, pool_cov, penalty,
                distance, out_control,
            )  # fmt: skip
        _summaries(t, n_subjects, totals, seen, months, lead, lead_ok, lead_w, follow_ok,
                   follow_w, work, out_treated, out_control, out_lead, out_follow,
                   out_change)  # fmt: skip


@njit(cache=True, nogil=True, inline="always")
def _expected(people, i, t, floor_start):
    """Expected total of patient ``i`` (a column of a draw_kernels matrix) at ``t`` months
    from entry (:func:`.natural_history.expected_totals`)."""
    return _expected_total(
        people[BASELINE, i], people[SLOPE, i], people[ACCELERATION, i], t, floor_start
    )


@njit(cache=True, nogil=True)
def _match(
    t, totals, seen, places, n_enrolled, arm_place, enrolled_index, cand, reg,
    reg_base_noise, control_noise, n_control, cov_codes, cov_scales, pool, entry, baseline,
    last_lead, noise_sd, floor_start, mine, pool_cov, penalty, distance, out_control,
):  # fmt: skip
    """Greedy nearest-neighbour registry controls of trial ``t`` (``reference._greedy_match``):
    each treated subject in enrolment order takes the nearest unused pool patient followed
    through the lead-in (lowest index on a tie); matching stops at the first without one.
    Writes the controls' visits after the ``places`` rows; returns the number matched."""
    n_visits = entry.size
    n_cov = cov_codes.size
    with_baseline = reg_base_noise.shape[0] > 0
    first = t * pool
    for r in range(pool):
        i = first + r
        followed = not _gone(last_lead, reg[DEATH, i], reg[DROPOUT, i])
        penalty[r] = 0.0 if followed else math.inf
    for q in range(n_cov):
        # One loop per covariate (the compiler vectorizes the divisions), dividing as the
        # reference does, so that the distances are its floats.
        code, scale = cov_codes[q], cov_scales[q]
        if code != BASELINE_TOTAL:
            row = AGE_ROW if code == AGE else MONTHS_SINCE_ONSET
            for r in range(pool):
                pool_cov[q, r] = reg[row, first + r] / scale
        else:
            for r in range(pool):
                observed = _observed(
                    _expected(reg, first + r, entry[baseline], floor_start)
                    + noise_sd * reg_base_noise[t, r]
                )
                pool_cov[q, r] = observed / scale
    matched = 0
    for k in range(n_enrolled):
        if matched == n_control:
            break
        if not arm_place[t, k] > 0:
            continue
        c = enrolled_index[k]
        for q in range(n_cov):
            code = cov_codes[q]
            if code == AGE:
                value = cand[AGE_ROW, c]
            elif code == MONTHS:
                value = cand[MONTHS_SINCE_ONSET, c]
            else:
                value = totals[k, baseline]
            mine[q] = value / cov_scales[q]
        # The nearest usable pool patient, lowest index on a tie. Distances are summed
        # covariate by covariate from 0.0 (the reference's floats) in whole-pool loops the
        # compiler vectorizes; a taken or unfollowed patient adds an infinite penalty
        # (d + 0.0 is d). Written out here: a call with array arguments costs more than the
        # loop (numba's reference counting).
        if n_cov == 2:
            x0, x1 = mine[0], mine[1]
            for r in range(pool):
                g0 = x0 - pool_cov[0, r]
                g1 = x1 - pool_cov[1, r]
                distance[r] = (g0 * g0 + g1 * g1) + penalty[r]
        else:
            for r in range(pool):
                d = 0.0
                for q in range(n_cov):
                    gap = mine[q] - pool_cov[q, r]
                    d += gap * gap
                distance[r] = d + penalty[r]
        # The first minimum (strict <, in index order, as the reference scans): four running
        # minima (one would make each step wait for the previous), then the first equal value.
        m0 = m1 = m2 = m3 = math.inf
        end = pool - pool % 4
        for r in range(0, end, 4):
            m0 = min(m0, distance[r])
            m1 = min(m1, distance[r + 1])
            m2 = min(m2, distance[r + 2])
            m3 = min(m3, distance[r + 3])
        best_distance = min(min(m0, m1), min(m2, m3))
        for r in range(end, pool):
            best_distance = min(best_distance, distance[r])
        best = 0
        while best < pool - 1 and distance[best] != best_distance:
            best += 1
        if not best_distance < math.inf:
            break
        penalty[best] = math.inf
        i = first + best
        s = places + matched
        for v in range(n_visits):
            noise = control_noise[t, matched, v]
            if with_baseline and v == baseline:
                noise = reg_base_noise[t, best]  # the baseline it was matched on
            totals[s, v] = _observed(_expected(reg, i, entry[v], floor_start) + noise_sd * noise)
            seen[s, v] = not _gone(entry[v], reg[DEATH, i], reg[DROPOUT, i])
        out_control[t, s] = True
        matched += 1
    return matched


@njit(cache=True, nogil=True)
def _summaries(t, n_subjects, totals, seen, months, lead, lead_ok, lead_w, follow_ok, follow_w,
               work, out_treated, out_control, out_lead, out_follow, out_change):  # fmt: skip
    """Lead-in slope, follow-up slope and change of trial ``t``'s subjects (docs/interfaces.md,
    'Analysis data': baseline = the last seen lead-in visit; follow-up window = baseline plus the
    seen later visits). ``work`` (2, V) holds the visit mask and weights of an incomplete pattern.

    One call per trial, with indices rather than array views: numba's per-call and per-view
    costs (reference counts), or inlining this body, took several times its arithmetic."""
    n_visits = months.size
    for s in range(n_subjects):
        if not (out_treated[t, s] or out_control[t, s]):
            continue
        last_lead = -1
        last_post = -1
        complete_lead = True
        complete_post = True
        for v in range(n_visits):
            if seen[s, v]:
                if v < lead:
                    last_lead = v
                else:
                    last_post = v
            elif v < lead:
                complete_lead = False
            else:
                complete_post = False
        if complete_lead:
            if lead_ok:
                total = 0.0
                for v in range(lead):
                    total += lead_w[v] * totals[s, v]
                out_lead[t, s] = total
        else:
            for v in range(n_visits):
                work[0, v] = 1.0 if seen[s, v] and v < lead else 0.0
            if _ols_weights(months, work):
                out_lead[t, s] = _weighted(work, totals, s, 0, lead)
        if last_post >= 0 and last_lead >= 0:
            if complete_lead and complete_post:
                if follow_ok:
                    total = 0.0
                    for v in range(last_lead, n_visits):
                        total += follow_w[v] * totals[s, v]
                    out_follow[t, s] = total
            else:
                for v in range(n_visits):
                    work[0, v] = 1.0 if (seen[s, v] and v >= lead) or v == last_lead else 0.0
                if _ols_weights(months, work):
                    out_follow[t, s] = _weighted(work, totals, s, last_lead, n_visits)
            out_change[t, s] = totals[s, last_post] - totals[s, last_lead]


@njit(cache=True, nogil=True)
def _weighted(work, totals, s, start, stop):
    """``sum(work[1, v] * totals[s, v])`` over ``start <= v < stop``: a slope."""
    total = 0.0
    for v in range(start, stop):
        total += work[1, v] * totals[s, v]
    return total


@njit(cache=True, nogil=True)
def row_moments(values, mask):
    """Per row: count, mean and variance (ddof 1; 0 with fewer than 2) of ``values`` where
    ``mask`` and not NaN (two passes, :func:`.closed_forms._moments`)."""
    rows, columns = values.shape
    n = np.zeros(rows, dtype=np.int64)
    mean = np.zeros(rows)
    var = np.zeros(rows)
    for i in range(rows):
        count = 0
        total = 0.0
        for j in range(columns):
            if mask[i, j] and not math.isnan(values[i, j]):
                count += 1
                total += values[i, j]
        m = total / max(count, 1)
        squares = 0.0
        for j in range(columns):
            if mask[i, j] and not math.isnan(values[i, j]):
                squares += (values[i, j] - m) * (values[i, j] - m)
        n[i] = count
        mean[i] = m
        var[i] = squares / max(count - 1, 1)
    return n, mean, var
