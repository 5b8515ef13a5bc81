"""Piecewise linear mixed models of ALSFRS-R around the index day.

Model (docs/interfaces.md "Analysis data"), over every visit with ``day <= index_day +
follow_up_days`` that is left after the series-ending rules of :mod:`.slopes`:

- treated only: ``total ~ t + t_post + (1 + t | subject)``;
- two arms: ``total ~ t + t_post + treated + treated:t + treated:t_post + (1 + t | subject)``;

``t`` is months from ``index_day`` (days / 30.4375), ``t_post = max(t, 0)``; REML, unstructured
2x2 random-effects covariance. The treated-only ``slope_change`` is the ``t_post`` coefficient
(points/month: follow-up slope minus lead-in slope); the two-arm ``slope_change_difference`` is
the ``treated:t_post`` coefficient (treated minus control change in slope). p-values are two-sided
Wald tests against the normal distribution; standard errors are the model-based ones of lme4,
nlme and SAS PROC MIXED, ``sqrt(diag(sigma^2 (X'V^-1 X)^-1))``.

Engines (``engine=``; docs/analysis.md "Piecewise linear mixed model"):

- ``reml`` (default): :mod:`.reml`, profiled REML with Newton steps on lme4's parametrisation,
  lme4's convergence checks; the same REML criterion as ``lme4::lmer``;
- ``statsmodels``: :mod:`.mixed_statsmodels`, statsmodels' ``MixedLM`` with checked optimizers,
  the independent reference (slow).

A random-effects covariance at the boundary (singular: a relative Cholesky factor diagonal
below 1e-4, lme4's ``isSingular`` rule) is reported as ``singular``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from alstrial.analysis.data import TOTAL_COLUMN
from alstrial.analysis.mixed_results import (
    EngineFit,
    FitAttempt,
    MixedModelResult,
    is_singular,
)
from alstrial.analysis.mixed_statsmodels import fit_statsmodels
from alstrial.analysis.reml import fit_reml
from alstrial.analysis.reml_profile import moments_from_rows
from alstrial.analysis.results import NAN

__all__ = [
    "ENGINES",
    "FitAttempt",
    "MixedModelResult",
    "design_columns",
    "fit_piecewise",
    "is_singular",
    "model_frame",
]

ENGINES = ("reml", "statsmodels")
TREATED_FORMULA = "total ~ t + t_post"
TWO_ARM_FORMULA = "total ~ t + t_post + treated + treated:t + treated:t_post"
TREATED_TERMS = ("Intercept", "t", "t_post")
TWO_ARM_TERMS = (*TREATED_TERMS, "treated", "treated:t", "treated:t_post")


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


def design_columns(frame: pd.DataFrame, two_arm: bool) -> np.ndarray:
    """The fixed effects' design matrix, columns :data:`TREATED_TERMS` or :data:`TWO_ARM_TERMS`."""
    t, t_post = frame["t"].to_numpy(float), frame["t_post"].to_numpy(float)
    columns = [np.ones(len(frame)), t, t_post]
    if two_arm:
        treated = frame["treated"].to_numpy(float)
        columns += [treated, treated * t, treated * t_post]
    return np.column_stack(columns)


def fit_piecewise(
    visits: pd.DataFrame, two_arm: bool = False, confidence: float = 0.95, engine: str = "reml"
) -> MixedModelResult:
    """Fit the treated-only (default) or two-arm piecewise model to windowed visits, with the
    ``reml`` engine (default) or the ``statsmodels`` reference."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    frame = model_frame(visits)
    if not two_arm:
        frame = frame[frame["treated"] == 1.0].reset_index(drop=True)
    model_name = "two_arm" if two_arm else "treated"
    formula = TWO_ARM_FORMULA if two_arm else TREATED_FORMULA
    term = "treated:t_post" if two_arm else "t_post"
    reason = _cannot_fit(frame, two_arm)
    x = design_columns(frame, two_arm)
    # The rank of X'X (p x p) is X's, and much cheaper to find than X's (visits x p).
    if not reason and np.linalg.matrix_rank(x.T @ x, hermitian=True) < x.shape[1]:
        reason = "the fixed effects cannot all be estimated from these visit times"
    if reason:
        return _empty(model_name, formula, term, frame, confidence, reason)
    if engine == "statsmodels":
        fit = fit_statsmodels(frame, formula)
    else:
        fit = _fit_reml(frame, x, TWO_ARM_TERMS if two_arm else TREATED_TERMS)
    if isinstance(fit, str):
        return _empty(model_name, formula, term, frame, confidence, fit)
    return _result(model_name, formula, term, frame, fit, confidence)


def _fit_reml(frame: pd.DataFrame, x: np.ndarray, names: tuple[str, ...]) -> EngineFit:
    """One fit by :func:`.reml.fit_reml`, as an :class:`EngineFit`."""
    subject, labels = pd.factorize(frame["subject_id"])
    z = np.column_stack([np.ones(len(frame)), frame["t"].to_numpy(float)])
    moments = moments_from_rows(frame["total"].to_numpy(float), x, z, subject, len(labels))
    fits = fit_reml(moments)
    attempt = FitAttempt(
        optimizer="newton",
        start="lme4's default (1, 0, 1)" if fits.restarted[0] else "moments",
        converged=bool(fits.converged[0]),
        reml_log_likelihood=float(fits.log_likelihood[0]),
        max_abs_gradient=float(fits.max_abs_gradient[0]),
        scaled_gradient=float(fits.scaled_gradient[0]),
        hessian_negative_definite=bool(fits.hessian_negative_definite[0]),
        warnings=(),
        accepted=bool(fits.converged[0]),
    )
    note = (
        ""
        if fits.converged[0]
        else (
            "the REML fit did not pass lme4's convergence checks (scaled gradient "
            f"{fits.scaled_gradient[0]:.2g}); it must not be relied on"
        )
    )
    return EngineFit(
        names=names,
        estimates=fits.beta[0],
        estimates_cov=fits.beta_cov[0] if np.isfinite(fits.log_likelihood[0]) else None,
        cov_re=fits.cov_re[0],
        residual_variance=float(fits.sigma2[0]),
        reml_log_likelihood=float(fits.log_likelihood[0]),
        attempts=(attempt,),
        best=0,
        note=note,
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


def _result(
    model_name: str,
    formula: str,
    term: str,
    frame: pd.DataFrame,
    fit: EngineFit,
    confidence: float,
) -> MixedModelResult:
    estimates = np.asarray(fit.estimates, dtype=float)
    note = fit.note
    if fit.estimates_cov is None:
        se = np.full(estimates.shape, NAN)
        note = "; ".join(filter(None, [note, "standard errors unavailable (singular information)"]))
    else:
        se = np.sqrt(np.diag(fit.estimates_cov))
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
        index=list(fit.names),
    )
    cov_re = np.asarray(fit.cov_re, dtype=float)
    singular = is_singular(cov_re, fit.residual_variance)
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
    best = fit.best
    attempts = [replace(a, accepted=i == best and a.accepted) for i, a in enumerate(fit.attempts)]
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
        reml_log_likelihood=fit.reml_log_likelihood,
        singular=singular,
        fixed_effects=fixed,
        random_effects_cov=(
            (float(cov_re[0, 0]), float(cov_re[0, 1])),
            (float(cov_re[1, 0]), float(cov_re[1, 1])),
        ),
        residual_variance=fit.residual_variance,
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
