"""The MMRM treatment difference of many trials at once (the simulator's ``mmrm`` analysis).

Each trial is analysed exactly as :func:`alstrial.analysis.mmrm.fit_mmrm` analyses one
(docs/analysis.md, "Randomised trials"): change from the baseline visit at each scheduled
visit after it, ``change ~ visit + arm + visit:arm + baseline + visit:baseline`` with an
unstructured covariance (REML), the treated minus control difference at the last visit with
Satterthwaite degrees of freedom. Trials are stacked along the first axis and fitted together by
:mod:`.mmrm_kernel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from alstrial.analysis import mmrm_kernel as kernel
from alstrial.analysis.mmrm import COVARIATES, TREATED, satterthwaite


@dataclass(frozen=True)
class TrialDifferences:
    """Per trial (T,): ``estimate`` (points, treated minus control at the last visit), ``se``,
    ``df``, ``p`` (two-sided t); NaN where the MMRM cannot be fitted."""

    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    p: np.ndarray


def mmrm_differences(
    totals: np.ndarray, treated: np.ndarray, control: np.ndarray, baseline_visit: int
) -> TrialDifferences:
    """Fit the MMRM of every trial.

    ``totals`` (T, S, V): ALSFRS-R totals, NaN where a visit was not seen; ``treated`` and
    ``control`` (T, S) bool (a place in neither arm is empty); ``baseline_visit``: the index of
    the baseline visit; the later visits are the MMRM's, the last of them the primary time.
    Subjects without a baseline total leave the trial's MMRM, as do those with only a baseline.
    """
    in_trial = (treated | control) & ~np.isnan(totals[:, :, baseline_visit])
    baseline = np.where(in_trial, totals[:, :, baseline_visit], 0.0)
    change = totals[:, :, baseline_visit + 1 :] - baseline[:, :, None]
    change = np.where(in_trial[:, :, None], change, np.nan)
    z = np.stack([np.ones_like(baseline), treated.astype(float), baseline], axis=-1)
    z = np.where(in_trial[:, :, None], z, 0.0)
    estimable = _estimable(change, treated)
    result = _nan_result(len(totals))
    rows = np.flatnonzero(estimable)
    if not len(rows):
        return result
    sums = kernel.pattern_sums(change[rows], z[rows])
    fits = kernel.fit_reml(sums)
    visits = change.shape[2]
    contrast = np.zeros(visits * len(COVARIATES))
    contrast[(visits - 1) * len(COVARIATES) + TREATED] = 1.0
    variance, df = satterthwaite(sums, fits.theta, contrast, fits.hessian)
    good = fits.converged & np.isfinite(df) & (df > 0) & (variance > 0)
    estimate = fits.beta[:, -1, TREATED]
    se = np.sqrt(np.where(good, variance, np.nan))
    statistic = estimate / se
    p = 2 * special.stdtr(df, -np.abs(statistic))
    for name, values in (("estimate", estimate), ("se", se), ("df", df), ("p", p)):
        getattr(result, name)[rows] = np.where(good, values, np.nan)
    return result


def _nan_result(trials: int) -> TrialDifferences:
    return TrialDifferences(*(np.full(trials, np.nan) for _ in range(4)))


def _estimable(change: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """(T,) True where every visit has a treated and a control subject, and every pair of visits
    a subject seen at both (else the REML covariance is not identified)."""
    seen = ~np.isnan(change)
    treated_seen = (seen & treated[:, :, None]).sum(axis=1)
    control_seen = (seen & ~treated[:, :, None]).sum(axis=1)
    both = np.einsum("tsj,tsk->tjk", seen.astype(float), seen.astype(float))
    return (treated_seen > 0).all(1) & (control_seen > 0).all(1) & (both > 0).all((1, 2))
