"""The statsmodels engine of the piecewise mixed model (``fit_piecewise(engine="statsmodels")``):
``MixedLM`` with checked optimizers. Slow (statsmodels loops over subjects in Python and several
optimizers may be tried), it is kept as the independent reference the REML engine
(:mod:`.reml`) is tested against, and the simulator's reference engine uses it.

Reaching the REML optimum is checked, not assumed: an attempt is accepted when the optimizer
reports convergence, the Hessian is negative definite (or the fit is singular), and the
gradient of the profile REML log-likelihood vanishes: its largest absolute value is below
``GRADIENT_TOLERANCE`` or, since the gradient grows with the number of subjects, its Newton-scaled
size sqrt(g' (-H)^-1 g) is below ``SCALED_GRADIENT_TOLERANCE`` (lme4's scaled-gradient check).
Otherwise the next optimizer of ``OPTIMIZERS`` is tried; every attempt, its warnings and the
optimizer finally used are in the result.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from alstrial.analysis.mixed_results import EngineFit, FitAttempt, is_singular
from alstrial.analysis.results import NAN

#: Tried in order; BFGS from moment starting values reached the optimum most often in our tests.
OPTIMIZERS = ("bfgs", "lbfgs", "cg", "nm", "powell")
#: Restarted from the best fit of the first round when no attempt was accepted.
RESTART_OPTIMIZERS = ("nm", "powell", "bfgs")
GRADIENT_TOLERANCE = 1e-3
SCALED_GRADIENT_TOLERANCE = 2e-3  # lme4's check.conv.grad default
LLF_AGREEMENT = 1e-4  # REML log-likelihood units


def fit_statsmodels(frame: pd.DataFrame, formula: str) -> EngineFit | str:
    """Fit ``formula + (1 + t | subject)`` by REML; a reason (str) when nothing could be fitted."""
    model = MixedLM.from_formula(formula, data=frame, groups="subject_id", re_formula="~t")
    start = moment_start(model)
    attempts: list[FitAttempt] = []
    fits = []
    for optimizer in OPTIMIZERS:
        fit, attempt = _attempt(model, optimizer, start, "moments")
        attempts.append(attempt)
        fits.append(fit)
        if attempt.accepted:
            break
    if not any(a.accepted for a in attempts):
        # Second round: restart from the best fit so far, so that a second optimizer can
        # confirm (or improve on) the optimum that the first one found.
        finite = [i for i, a in enumerate(attempts) if np.isfinite(a.reml_log_likelihood)]
        if finite:
            top = max(finite, key=lambda i: attempts[i].reml_log_likelihood)
            origin = f"restart from {attempts[top].optimizer}"
            for optimizer in RESTART_OPTIMIZERS:
                fit, attempt = _attempt(model, optimizer, fits[top].params_object, origin)
                attempts.append(attempt)
                fits.append(fit)
                if attempt.accepted:
                    break
    accepted = [i for i, a in enumerate(attempts) if a.accepted]
    note = ""
    if not accepted:
        accepted, note = _agreement(attempts)
        attempts = [replace(a, accepted=i in accepted) for i, a in enumerate(attempts)]
    if accepted:
        best = accepted[0]
    else:
        usable = [
            i
            for i, a in enumerate(attempts)
            if fits[i] is not None and np.isfinite(a.reml_log_likelihood)
        ]
        if not usable:
            return "every optimizer failed"
        best = max(usable, key=lambda i: attempts[i].reml_log_likelihood)
        note = (
            "no optimizer reached a verified REML optimum; the fit with the highest REML "
            "log-likelihood is shown and must not be relied on"
        )
    fit = fits[best]
    if attempts[best].warnings:  # shown, not silenced: the reader judges them with the checks
        note = "; ".join(
            filter(None, [note, "statsmodels warned: " + " / ".join(attempts[best].warnings)])
        )
    cov_re = np.asarray(fit.cov_re, dtype=float)
    try:
        estimates_cov = fixed_effects_cov(model, cov_re, fit.scale)
    except np.linalg.LinAlgError:
        estimates_cov = None
    return EngineFit(
        names=tuple(model.exog_names),
        estimates=np.asarray(fit.fe_params, dtype=float),
        estimates_cov=estimates_cov,
        cov_re=cov_re,
        residual_variance=float(fit.scale),
        reml_log_likelihood=float(fit.llf),
        attempts=tuple(attempts),
        best=best,
        note=note,
    )


def _agreement(attempts: list[FitAttempt]) -> tuple[list[int], str]:
    """Accept the best fit when two optimizers agree on it.

    Near the boundary (correlation near +-1 or a variance near 0) the REML surface is a flat,
    ill-conditioned ridge: the optimizers creep along it and rarely bring the gradient below
    ``GRADIENT_TOLERANCE``. The optimum is then taken as confirmed when at least two converged
    attempts by different optimizers reach the best REML log-likelihood within
    ``LLF_AGREEMENT``.
    """
    converged = [i for i, a in enumerate(attempts) if a.converged]
    if len(converged) < 2:
        return [], ""
    best = max(converged, key=lambda i: attempts[i].reml_log_likelihood)
    top = attempts[best].reml_log_likelihood
    agree = [i for i in converged if top - attempts[i].reml_log_likelihood < LLF_AGREEMENT]
    optimizers = sorted({attempts[i].optimizer for i in agree})
    if len(optimizers) < 2:
        return [], ""
    return [best], (
        f"optimum confirmed by {', '.join(optimizers)} agreeing on the REML log-likelihood "
        f"within {LLF_AGREEMENT:g} (gradient {attempts[best].max_abs_gradient:.2g})"
    )


def moment_start(model: MixedLM) -> MixedLMParams:
    """Starting values: OLS fixed effects, and the covariance of per-subject OLS coefficients
    (intercept and slope on ``t``) of the residuals, relative to the residual variance.

    statsmodels' default start (identity relative covariance) is far from ALSFRS-R data, whose
    intercept variance (~100 points^2) dwarfs the slope variance (~0.3 (points/month)^2); from
    it, L-BFGS and BFGS often stop early, some of them reporting convergence.
    """
    x, y, z = model.exog, model.endog, model.exog_re
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    residual = y - x @ beta
    coefficients, within = [], []
    for label in model.group_labels:
        rows = model.row_indices[label]
        if len(rows) > z.shape[1] and np.ptp(z[rows, 1]) > 0:
            b = np.linalg.lstsq(z[rows], residual[rows], rcond=None)[0]
            coefficients.append(b)
            within.extend(residual[rows] - z[rows] @ b)
    scale = float(np.var(within)) if len(within) > 1 else float(np.var(residual))
    scale = scale if scale > 0 else 1.0
    if len(coefficients) > z.shape[1]:
        cov = np.cov(np.asarray(coefficients).T)
    else:
        cov = np.eye(z.shape[1]) * scale
    # Keep the start inside the parameter space (positive definite).
    cov = cov + np.eye(z.shape[1]) * 1e-3 * max(float(np.trace(cov)), 1e-6)
    return MixedLMParams.from_components(fe_params=beta, cov_re=cov / scale)


def _attempt(
    model: MixedLM, optimizer: str, start: MixedLMParams, origin: str
) -> tuple[Any, FitAttempt]:
    """One REML fit with one optimizer, its warnings recorded (they decide acceptance)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = model.fit(reml=True, method=[optimizer], start_params=start)
            # The gradient in the optimizer's own (Cholesky-factor) parameterization is zero at
            # the optimum even on the boundary, where the covariance-scale gradient need not be.
            packed = fit.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False)
            gradient = np.asarray(model.score(packed, profile_fe=True), dtype=float)
            scaled = _scaled_gradient(model, packed, gradient)
            hessian, _ = model.hessian(fit.params_object)
            negative_definite = bool(np.all(np.linalg.eigvalsh((hessian + hessian.T) / 2) < 0))
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as error:
            return None, FitAttempt(
                optimizer, origin, False, NAN, NAN, NAN, False, (f"failed: {error}",), False
            )
    messages = tuple(dict.fromkeys(str(w.message) for w in caught))
    max_gradient = float(np.max(np.abs(gradient))) if gradient.size else 0.0
    converged = bool(fit.converged and np.isfinite(fit.llf))
    singular = is_singular(np.asarray(fit.cov_re), fit.scale)
    # On the boundary the covariance-scale Hessian need not be negative definite, and the
    # Newton scaling is unreliable (the surface is flat along the boundary): there only a small
    # plain gradient, or two optimizers agreeing (see _agreement), confirms the optimum.
    small = max_gradient < GRADIENT_TOLERANCE or (
        scaled < SCALED_GRADIENT_TOLERANCE and negative_definite and not singular
    )
    accepted = converged and (negative_definite or singular) and small
    return fit, FitAttempt(
        optimizer,
        origin,
        converged,
        float(fit.llf),
        max_gradient,
        scaled,
        negative_definite,
        messages,
        accepted,
    )


def _scaled_gradient(model: MixedLM, packed: np.ndarray, gradient: np.ndarray) -> float:
    """sqrt(g' (-H)^-1 g) in the optimizer's parameterization, H by central differences of the
    analytic gradient; infinite where -H is not positive definite (not at a maximum)."""
    k = packed.size
    hessian = np.empty((k, k))
    for i in range(k):
        step = 1e-5 * max(1.0, abs(float(packed[i])))
        up, down = packed.copy(), packed.copy()
        up[i] += step
        down[i] -= step
        hessian[:, i] = (
            np.asarray(model.score(up, profile_fe=True))
            - np.asarray(model.score(down, profile_fe=True))
        ) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        factor = np.linalg.cholesky(-hessian)
    except np.linalg.LinAlgError:
        return float("inf")
    return float(np.linalg.norm(np.linalg.solve(factor, gradient)))


def fixed_effects_cov(model: MixedLM, cov_re: np.ndarray, scale: float) -> np.ndarray:
    """Model-based covariance of the fixed effects, (sum_i X_i' V_i^-1 X_i)^-1 with
    V_i = Z_i G Z_i' + scale I at the REML estimates: the standard errors of lme4, nlme and SAS
    PROC MIXED. (statsmodels' ``bse_fe`` inverts the joint Hessian instead and differs slightly.)
    """
    x, z = model.exog, model.exog_re
    information = np.zeros((x.shape[1], x.shape[1]))
    for label in model.group_labels:
        rows = model.row_indices[label]
        v = z[rows] @ cov_re @ z[rows].T + scale * np.eye(len(rows))
        information += x[rows].T @ np.linalg.solve(v, x[rows])
    return np.linalg.inv(information)
