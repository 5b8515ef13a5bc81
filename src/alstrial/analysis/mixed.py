"""Piecewise linear mixed models of ALSFRS-R around the index day (statsmodels ``MixedLM``).

Model (INTERFACES.md "Analysis data"), over every visit with ``day <= index_day +
follow_up_days`` that is left after the series-ending rules of :mod:`.slopes`:

- treated only: ``total ~ t + t_post + (1 + t | subject)``;
- two arms: ``total ~ t + t_post + treated + treated:t + treated:t_post + (1 + t | subject)``;

``t`` is months from ``index_day`` (days / 30.4375), ``t_post = max(t, 0)``; REML, unstructured
2x2 random-effects covariance. The treated-only ``slope_change`` is the ``t_post`` coefficient
(points/month: follow-up slope minus lead-in slope); the two-arm ``slope_change_difference`` is
the ``treated:t_post`` coefficient (treated minus control change in slope). p-values are two-sided
Wald tests against the normal distribution.

Reaching the REML optimum is checked, not assumed: an attempt is accepted when the optimizer
reports convergence, the Hessian is negative definite (or the fit is singular), and the
gradient of the profile REML log-likelihood vanishes: its largest absolute value is below
``GRADIENT_TOLERANCE`` or, since the gradient grows with the number of subjects, its Newton-scaled
size sqrt(g' (-H)^-1 g) is below ``SCALED_GRADIENT_TOLERANCE`` (lme4's scaled-gradient check).
Otherwise the next optimizer of
``OPTIMIZERS`` is tried; every attempt, its warnings and the optimizer finally used are in the
result. A random-effects covariance at the boundary (singular: a relative Cholesky factor
diagonal below 1e-4, lme4's ``isSingular`` rule) is reported as ``singular``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from alstrial.analysis.data import TOTAL_COLUMN
from alstrial.analysis.results import NAN, plain

#: Tried in order; BFGS from moment starting values reached the optimum most often in our tests.
OPTIMIZERS = ("bfgs", "lbfgs", "cg", "nm", "powell")
#: Restarted from the best fit of the first round when no attempt was accepted.
RESTART_OPTIMIZERS = ("nm", "powell", "bfgs")
GRADIENT_TOLERANCE = 1e-3
SCALED_GRADIENT_TOLERANCE = 2e-3  # lme4's check.conv.grad default
LLF_AGREEMENT = 1e-4  # REML log-likelihood units
SINGULAR_TOLERANCE = 1e-4  # lme4's isSingular default
TREATED_FORMULA = "total ~ t + t_post"
TWO_ARM_FORMULA = "total ~ t + t_post + treated + treated:t + treated:t_post"


@dataclass(frozen=True)
class FitAttempt:
    optimizer: str
    start: str  # "moments" or "restart from <optimizer>"
    converged: bool
    reml_log_likelihood: float
    max_abs_gradient: float
    scaled_gradient: float
    hessian_negative_definite: bool
    warnings: tuple[str, ...]
    accepted: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "start": self.start,
            "converged": self.converged,
            "reml_log_likelihood": plain(self.reml_log_likelihood),
            "max_abs_gradient": plain(self.max_abs_gradient),
            "scaled_gradient": plain(self.scaled_gradient),
            "hessian_negative_definite": self.hessian_negative_definite,
            "warnings": list(self.warnings),
            "accepted": self.accepted,
        }


@dataclass(frozen=True)
class MixedModelResult:
    """One fitted piecewise model; ``term`` is the coefficient of interest."""

    model: str  # "treated" or "two_arm"
    formula: str
    term: str
    estimate: float
    se: float
    p_value: float
    ci_low: float
    ci_high: float
    confidence: float
    n_subjects: int
    n_visits: int
    converged: bool
    optimizer: str
    reml_log_likelihood: float
    singular: bool
    fixed_effects: pd.DataFrame
    random_effects_cov: tuple[tuple[float, float], tuple[float, float]]
    residual_variance: float
    attempts: tuple[FitAttempt, ...] = field(default=())
    note: str = ""

    def summary(self) -> pd.DataFrame:
        """Fixed effects: estimate, se, z, p (two-sided Wald, normal), CI."""
        return self.fixed_effects.copy()

    def to_dict(self) -> dict[str, Any]:
        key = "slope_change" if self.model == "treated" else "slope_change_difference"
        return {
            key: plain(self.estimate),
            f"{key}_se": plain(self.se),
            f"{key}_p": plain(self.p_value),
            f"{key}_ci": [plain(self.ci_low), plain(self.ci_high)],
            "confidence": self.confidence,
            "term": self.term,
            "formula": self.formula + " + (1 + t | subject), REML",
            "n_subjects": self.n_subjects,
            "n_visits": self.n_visits,
            "converged": self.converged,
            "optimizer": self.optimizer,
            "reml_log_likelihood": plain(self.reml_log_likelihood),
            "singular": self.singular,
            "random_effects_cov": [[plain(v) for v in row] for row in self.random_effects_cov],
            "residual_variance": plain(self.residual_variance),
            "fixed_effects": {
                name: {k: plain(v) for k, v in row.items()}
                for name, row in self.fixed_effects.to_dict("index").items()
            },
            "attempts": [a.to_dict() for a in self.attempts],
            "note": self.note or None,
        }


def model_frame(visits: pd.DataFrame) -> pd.DataFrame:
    """Columns ``subject_id, total, t, t_post, treated`` from :func:`.slopes.windowed_visits`."""
    frame = pd.DataFrame(
        {
            "subject_id": visits["subject_id"].astype(str),
            "total": visits[TOTAL_COLUMN].astype(float),
            "t": visits["t"].astype(float),
        }
    )
    frame["t_post"] = frame["t"].clip(lower=0.0)
    frame["treated"] = (visits["arm"] == "treated").astype(float)
    return frame.reset_index(drop=True)


def fit_piecewise(
    visits: pd.DataFrame, two_arm: bool = False, confidence: float = 0.95
) -> MixedModelResult:
    """Fit the treated-only (default) or two-arm piecewise model to windowed visits."""
    frame = model_frame(visits)
    if not two_arm:
        frame = frame[frame["treated"] == 1.0].reset_index(drop=True)
    model_name = "two_arm" if two_arm else "treated"
    formula = TWO_ARM_FORMULA if two_arm else TREATED_FORMULA
    term = "treated:t_post" if two_arm else "t_post"
    reason = _cannot_fit(frame, two_arm)
    if reason:
        return _empty(model_name, formula, term, frame, confidence, reason)
    model = MixedLM.from_formula(formula, data=frame, groups="subject_id", re_formula="~t")
    if np.linalg.matrix_rank(model.exog) < model.exog.shape[1]:
        return _empty(
            model_name,
            formula,
            term,
            frame,
            confidence,
            "the fixed effects cannot all be estimated from these visit times",
        )
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
            return _empty(
                model_name,
                formula,
                term,
                frame,
                confidence,
                "every optimizer failed",
                tuple(attempts),
            )
        best = max(usable, key=lambda i: attempts[i].reml_log_likelihood)
        note = (
            "no optimizer reached a verified REML optimum; the fit with the highest REML "
            "log-likelihood is shown and must not be relied on"
        )
    fit = fits[best]
    return _result(model_name, formula, term, frame, fit, attempts, best, confidence, note)


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


def _cannot_fit(frame: pd.DataFrame, two_arm: bool) -> str:
    n_subjects = frame["subject_id"].nunique()
    if n_subjects < 3:
        return f"{n_subjects} subject(s): too few for a random slope model"
    if not (frame["t"] > 0).any() or not (frame["t"] <= 0).any():
        return "visits on only one side of the index day"
    if two_arm and frame["treated"].nunique() < 2:
        return "only one arm has visits"
    return ""


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


def is_singular(cov_re: np.ndarray, scale: float, tolerance: float = SINGULAR_TOLERANCE) -> bool:
    """lme4's ``isSingular``: a diagonal of the relative Cholesky factor below ``tolerance``."""
    relative = np.asarray(cov_re, dtype=float) / float(scale)
    try:
        factor = np.linalg.cholesky(relative)
    except np.linalg.LinAlgError:
        return True
    return bool(np.min(np.abs(np.diag(factor))) < tolerance)


def _result(
    model_name: str,
    formula: str,
    term: str,
    frame: pd.DataFrame,
    fit: Any,
    attempts: list[FitAttempt],
    best: int,
    confidence: float,
    note: str,
) -> MixedModelResult:
    names = list(fit.model.exog_names)
    estimates = np.asarray(fit.fe_params, dtype=float)
    try:
        se = np.sqrt(np.diag(fixed_effects_cov(fit.model, np.asarray(fit.cov_re), fit.scale)))
    except np.linalg.LinAlgError:
        se = np.full(estimates.shape, NAN)
        note = "; ".join(filter(None, [note, "standard errors unavailable (singular information)"]))
    z = estimates / se
    p = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(0.5 + confidence / 2)
    fixed = pd.DataFrame(
        {
            "estimate": estimates,
            "se": se,
            "z": z,
            "p_value": p,
            "ci_low": estimates - q * se,
            "ci_high": estimates + q * se,
        },
        index=names,
    )
    cov_re = np.asarray(fit.cov_re, dtype=float)
    singular = is_singular(cov_re, fit.scale)
    if attempts[best].warnings:  # shown, not silenced: the reader judges them with the checks
        note = "; ".join(
            filter(None, [note, "statsmodels warned: " + " / ".join(attempts[best].warnings)])
        )
    if singular:
        note = "; ".join(
            filter(
                None,
                [
                    note,
                    "random-effects covariance is singular (boundary "
                    "fit): the data do not support a 2x2 covariance",
                ],
            )
        )
    attempts = [replace(a, accepted=i == best and a.accepted) for i, a in enumerate(attempts)]
    row = fixed.loc[term]
    return MixedModelResult(
        model=model_name,
        formula=formula,
        term=term,
        estimate=float(row["estimate"]),
        se=float(row["se"]),
        p_value=float(row["p_value"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        confidence=confidence,
        n_subjects=int(frame["subject_id"].nunique()),
        n_visits=len(frame),
        converged=attempts[best].accepted,
        optimizer=attempts[best].optimizer,
        reml_log_likelihood=float(fit.llf),
        singular=singular,
        fixed_effects=fixed,
        random_effects_cov=(
            (float(cov_re[0, 0]), float(cov_re[0, 1])),
            (float(cov_re[1, 0]), float(cov_re[1, 1])),
        ),
        residual_variance=float(fit.scale),
        attempts=tuple(attempts),
        note=note,
    )


def _empty(
    model_name: str,
    formula: str,
    term: str,
    frame: pd.DataFrame,
    confidence: float,
    reason: str,
    attempts: tuple[FitAttempt, ...] = (),
) -> MixedModelResult:
    return MixedModelResult(
        model=model_name,
        formula=formula,
        term=term,
        estimate=NAN,
        se=NAN,
        p_value=NAN,
        ci_low=NAN,
        ci_high=NAN,
        confidence=confidence,
        n_subjects=int(frame["subject_id"].nunique()),
        n_visits=len(frame),
        converged=False,
        optimizer="",
        reml_log_likelihood=NAN,
        singular=False,
        fixed_effects=pd.DataFrame(columns=["estimate", "se", "z", "p_value", "ci_low", "ci_high"]),
        random_effects_cov=((NAN, NAN), (NAN, NAN)),
        residual_variance=NAN,
        attempts=attempts,
        note=f"not fitted: {reason}",
    )
