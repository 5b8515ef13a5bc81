"""What a piecewise mixed-model fit returns (:mod:`.mixed`), whichever engine made it: the
result object, the record of each fitting attempt, and lme4's singular-fit rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.results import plain

SINGULAR_TOLERANCE = 1e-4  # lme4's isSingular default


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


@dataclass(frozen=True)
class EngineFit:
    """What an engine hands to :func:`.mixed.fit_piecewise`: the chosen fit's fixed-effect
    ``names``, ``estimates`` and their covariance ``estimates_cov``, the random-effects
    covariance ``cov_re`` (intercept, slope), ``residual_variance``, the REML log-likelihood, every
    attempt with the index ``best`` of the one shown, and a ``note`` (warnings, caveats)."""

    names: tuple[str, ...]
    estimates: np.ndarray
    estimates_cov: np.ndarray | None
    cov_re: np.ndarray
    residual_variance: float
    reml_log_likelihood: float
    attempts: tuple[FitAttempt, ...]
    best: int
    note: str = ""


def is_singular(cov_re: np.ndarray, scale: float, tolerance: float = SINGULAR_TOLERANCE) -> bool:
    """lme4's ``isSingular``: a diagonal of the relative Cholesky factor below ``tolerance``."""
    relative = np.asarray(cov_re, dtype=float) / float(scale)
    try:
        factor = np.linalg.cholesky(relative)
    except np.linalg.LinAlgError:
        return True
    return bool(np.min(np.abs(np.diag(factor))) < tolerance)
