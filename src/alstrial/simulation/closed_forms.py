"""Closed-form slopes and t-tests over many subjects and trials at once (vectorized engine).

Per-subject OLS slopes over the observed visits (the analysis engine's definitions,
docs/interfaces.md, 'Analysis data'), and paired and Welch t-tests with two-sided p-values from
Student's t distribution (``scipy.special.stdtr``). Missing visits are masks, never removed rows.

Speed without moving a bit: a sum over the few visits of a subject is a reduction over a short
axis, which numpy runs row by row (slow for 10,000 subjects of 7 visits). The slopes are
therefore computed visit by visit on whole columns (one array per visit, all subjects), and
:func:`visit_sum` adds the columns in exactly the order numpy's reduction adds a row (its
pairwise summation), so each slope is the same float as a row-wise ``sum(axis=-1)`` gives;
``tests/simulation/test_closed_forms.py`` holds the two to equality.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import stdtr

from alstrial.simulation.trial_kernels import row_moments

# A variance this small relative to the squared mean is a set of equal values: the analysis
# engine reports no test then, and so must we (floating-point means are not exact).
_NO_VARIANCE = 1e-24
# numpy sums up to this many values with 8 running partial sums, then recurses.
_PAIRWISE_BLOCK = 128


def visit_sum(columns: Sequence[np.ndarray]) -> np.ndarray:
    """Elementwise sum of ``columns`` in numpy's order for ``np.stack(columns, -1).sum(-1)``.

    numpy's pairwise summation: fewer than 8 values are added left to right; 8 to 128 values
    in 8 running partial sums, combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 +
    r7))``, then the remainder left to right.
    """
    n = len(columns)
    if n > _PAIRWISE_BLOCK:  # never for a visit schedule; numpy's own reduction then
        return np.stack(columns, axis=-1).sum(axis=-1)
    if n < 8:
        total = columns[0]
        for column in columns[1:]:
            total = total + column
        return total
    partial = list(columns[:8])
    end = n - n % 8
    for start in range(8, end, 8):
        for j in range(8):
            partial[j] = partial[j] + columns[start + j]
    r = partial
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for column in columns[end:]:
        total = total + column
    return total


def _ols_columns(x: np.ndarray, ys: Sequence[np.ndarray], masks: Sequence[np.ndarray]):
    """OLS slope over the visits in ``masks``, visit by visit (see :func:`masked_ols_slope`)."""
    n = visit_sum([m.astype(np.int64) for m in masks])
    safe = np.maximum(n, 1)
    xm = visit_sum([m * xv for m, xv in zip(masks, x, strict=True)]) / safe
    ym = visit_sum([np.where(m, y, 0.0) for m, y in zip(masks, ys, strict=True)]) / safe
    dx = [np.where(m, xv - xm, 0.0) for m, xv in zip(masks, x, strict=True)]
    sxx = visit_sum([d * d for d in dx])
    sxy = visit_sum([d * np.where(m, y - ym, 0.0) for d, m, y in zip(dx, masks, ys, strict=True)])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n >= 2) & (sxx > 0), sxy / np.where(sxx > 0, sxx, 1.0), np.nan)


def masked_ols_slope(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """OLS slope of ``y`` on ``x`` over the visits in ``mask`` (last axis); NaN with fewer than 2
    visits. ``x`` is shape ``(v,)``; ``y`` and ``mask`` end in ``v``."""
    ys = np.moveaxis(np.asarray(y, dtype=float), -1, 0)
    masks = np.moveaxis(np.asarray(mask, dtype=bool), -1, 0)
    return _ols_columns(np.asarray(x, dtype=float), list(ys), list(masks))


def subject_summaries(grid, totals: np.ndarray, seen: np.ndarray):
    """Per-subject lead-in slope, follow-up slope and change (docs/interfaces.md, 'Analysis data'
    definitions).

    ``grid`` is the design's :class:`~alstrial.simulation.trials.VisitGrid`; ``totals`` and
    ``seen`` end in the visit axis. Baseline is the last observed lead-in visit; the follow-up
    window is the baseline plus the observed visits after day 0. Slopes are NaN with fewer than
    2 visits (follow-up: without a visit after baseline); change is the last observed
    follow-up total minus baseline.
    """
    x = grid.months
    lead = grid.n_lead_in
    # Visit-major copies: each visit's column is contiguous.
    ys = list(np.ascontiguousarray(np.moveaxis(totals, -1, 0)))
    seen_columns = list(np.ascontiguousarray(np.moveaxis(seen, -1, 0)))
    never = np.zeros_like(seen_columns[0])
    lead_seen = [s if v < lead else never for v, s in enumerate(seen_columns)]
    post_seen = [never if v < lead else s for v, s in enumerate(seen_columns)]
    lead_in = _ols_columns(x, ys, lead_seen)
    last_lead = _last_index(lead_seen)
    last_post = _last_index(post_seen)
    window = [p | (last_lead == v) for v, p in enumerate(post_seen)]
    has_post = (last_post >= 0) & (last_lead >= 0)
    follow_up = np.where(has_post, _ols_columns(x, ys, window), np.nan)
    base = _pick(totals, np.maximum(last_lead, 0))
    last = _pick(totals, np.maximum(last_post, 0))
    change = np.where(has_post, last - base, np.nan)
    return lead_in, follow_up, change


def _last_index(masks: Sequence[np.ndarray]) -> np.ndarray:
    """Index of the last visit whose mask is set, -1 if none."""
    index = np.full(masks[0].shape, -1, dtype=np.int64)
    for v, m in enumerate(masks):
        index[m] = v
    return index


def _pick(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[..., index]`` elementwise (``index`` has the shape of ``values`` without its
    last axis)."""
    return np.take_along_axis(values, index[..., None], axis=-1)[..., 0]


def _moments(values: np.ndarray, mask: np.ndarray):
    """Per row: count, mean and variance (ddof 1) of ``values`` where ``mask`` and not NaN."""
    return row_moments(np.ascontiguousarray(values, dtype=float), np.ascontiguousarray(mask))


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
