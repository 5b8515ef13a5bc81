"""The batched MMRM of many trials against an independent per-trial fit: dense matrices over all
rows, REML minimised by scipy, Satterthwaite df from finite differences (the nlme/emmeans
recipe). The decision at alpha = 0.05 must agree trial by trial (except p within 1e-6 of alpha)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from alstrial.analysis.mmrm_trials import mmrm_differences

ALPHA = 0.05


def _trials(count: int, subjects: int = 60, visits: int = 3, effect: float = 0.25, seed: int = 3):
    """Totals (T, S, 1 + visits) with baseline first, monthly decline, dropout, empty places."""
    rng = np.random.default_rng(seed)
    baseline = rng.normal(38, 5, (count, subjects))
    treated = np.zeros((count, subjects), dtype=bool)
    treated[:, ::2] = True
    control = ~treated
    control[:, -1] = False  # an empty place
    slope = rng.normal(-0.9, 0.4, (count, subjects)) + effect * treated
    months = np.arange(1, visits + 1) * 2.0
    noise = rng.normal(0, 1.5, (count, subjects, visits)) + rng.normal(0, 1.0, (count, subjects, 1))
    post = np.round(baseline[..., None] + slope[..., None] * months + noise)
    totals = np.concatenate([np.round(baseline)[..., None], post], axis=2)
    dropout = rng.integers(1, 3 * visits, (count, subjects))
    totals[:, :, 1:][np.arange(visits) >= dropout[..., None]] = np.nan
    totals[:, -1] = np.nan
    return totals, treated, control


def _dense_reference(totals, treated, control):
    """One trial: (estimate, p) from REML over dense matrices."""
    keep = (treated | control) & ~np.isnan(totals[:, 0])
    base = totals[keep, 0]
    change = totals[keep, 1:] - base[:, None]
    arm = treated[keep].astype(float)
    subject, visit = np.nonzero(~np.isnan(change))
    y = change[subject, visit]
    v = change.shape[1]
    x = np.zeros((len(y), 3 * v))
    for column, values in enumerate((np.ones_like(arm), arm, base)):
        x[np.arange(len(y)), visit * 3 + column] = values[subject]
    same = subject[:, None] == subject[None, :]
    lower = np.tril_indices(v)

    diagonal = lower[0] == lower[1]

    def covariance(params):
        """Sigma = L L' with a log diagonal, so every parameter vector is a covariance."""
        factor = np.zeros((v, v))
        factor[lower] = np.where(diagonal, np.exp(params), params)
        return factor @ factor.T

    def deviance(params):
        omega = np.where(same, covariance(params)[visit[:, None], visit[None, :]], 0.0)
        chol = np.linalg.cholesky(omega)
        inv = np.linalg.inv(omega)
        a = x.T @ inv @ x
        beta = np.linalg.solve(a, x.T @ inv @ y)
        r = y - x @ beta
        return 2 * np.log(np.diag(chol)).sum() + np.linalg.slogdet(a)[1] + r @ inv @ r

    start = np.where(diagonal, 0.5 * np.log(np.var(y)), 0.0)
    fit = optimize.minimize(deviance, start, method="BFGS", options={"gtol": 1e-8})
    params = fit.x
    omega = np.where(same, covariance(params)[visit[:, None], visit[None, :]], 0.0)
    inv = np.linalg.inv(omega)
    phi = np.linalg.inv(x.T @ inv @ x)
    beta = phi @ x.T @ inv @ y
    index = (v - 1) * 3 + 1

    def variance(p):
        om = np.where(same, covariance(p)[visit[:, None], visit[None, :]], 0.0)
        return np.linalg.inv(x.T @ np.linalg.inv(om) @ x)[index, index]

    step, q = 1e-4, len(params)
    hessian = np.zeros((q, q))
    grad = np.zeros(q)
    for i in range(q):
        ei = np.eye(q)[i] * step
        grad[i] = (variance(params + ei) - variance(params - ei)) / (2 * step)
        for j in range(q):
            ej = np.eye(q)[j] * step
            hessian[i, j] = (
                deviance(params + ei + ej)
                - deviance(params + ei - ej)
                - deviance(params - ei + ej)
                + deviance(params - ei - ej)
            ) / (4 * step**2)
    var = phi[index, index]
    df = 2 * var**2 / (grad @ (2 * np.linalg.inv(hessian)) @ grad)
    p = 2 * stats.t.sf(abs(beta[index]) / np.sqrt(var), df)
    return beta[index], p


def test_estimable_trials_get_numbers_and_the_rest_nan():
    totals, treated, control = _trials(4)
    totals[1, treated[1], 3] = np.nan  # no treated subject at the last visit
    result = mmrm_differences(totals, treated, control, baseline_visit=0)
    assert np.isnan(result.estimate[1])
    assert np.isfinite(np.delete(result.p, 1)).all()


@pytest.mark.slow
def test_decisions_of_200_trials_match_a_dense_reference_fit():
    totals, treated, control = _trials(200)
    result = mmrm_differences(totals, treated, control, baseline_visit=0)
    assert np.isfinite(result.p).all()
    for t in range(200):
        estimate, p = _dense_reference(totals[t], treated[t], control[t])
        assert result.estimate[t] == pytest.approx(estimate, rel=1e-4, abs=1e-5)
        if abs(p - ALPHA) > 1e-6:
            assert (result.p[t] < ALPHA) == (p < ALPHA), t
        assert result.p[t] == pytest.approx(p, rel=2e-3, abs=1e-5)
