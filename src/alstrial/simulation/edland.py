"""Closed-form power of the slope analyses under the linear random-slope model (Edland 2009).

Edland SD (2009), "Which MRI measure is best for Alzheimer's disease prevention trials:
statistical considerations of power and sample size", Joint Statistical Meetings Proceedings
4996-4999 (implemented in R as ``longpower::edland.linear.power``). The sample size per arm for
comparing the mean slopes of two arms is
``n = 2 (z_{1-alpha/2} + z_{1-beta})^2 (sigma_b^2 + sigma_e^2 / sum (t_j - tbar)^2) / delta^2``,
where ``sigma_b`` is the between-patient SD of the true slope, ``sigma_e`` the visit noise SD and
``t_j`` the visit times. It holds for the natural-history model's linear variant
(:meth:`NaturalHistory.linear`): straight lines, normal slopes, Gaussian noise, no floor, death,
dropout or selection on the lead-in.

Generalisation used here (same algebra): every analysis of a design is a per-subject linear
statistic ``c . y`` of the visit totals (an OLS slope, a difference of slopes, a change), with
``sum c = 0``. For ``y_j = a + b t_j + e_j`` its variance is
``sigma_b^2 (c . t)^2 + sigma_e^2 sum c^2``; Edland's formula is the case of one OLS slope
(``c . t = 1``, ``sum c^2 = 1 / sum (t_j - tbar)^2``). The totals are integers, so the noise
variance gains ``1/12`` (rounding error, Sheppard's correction).

PROCOVA (prognostic covariate adjustment; Schuler A, Walsh D, Hall D et al. 2022, "Increasing
the efficiency of randomized trial estimates via linear adjustment for a prognostic score", Int
J Biostat 18(2):329-356; the method the EMA qualified in 2022): analysing a between-arm
comparison by ANCOVA on a prognostic score whose correlation with the subject's statistic is
``rho`` multiplies the statistic's residual variance by ``1 - rho^2`` (one degree of freedom is
spent on the score). ``prognostic_correlation`` applies it to the closed forms here; it needs two
arms (a paired, within-arm analysis has no such adjustment).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.results import analysis_target
from alstrial.simulation.trials import visit_grid

#: Variance of rounding a continuous score to an integer, points^2 (uniform on +-0.5).
ROUNDING_VARIANCE = 1.0 / 12.0


def _ols_weights(months: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Weights ``w`` with ``w . y`` the OLS slope over the visits in ``window``."""
    x = np.where(window, months, 0.0)
    dx = np.where(window, months - x.sum() / window.sum(), 0.0)
    return dx / (dx @ dx)


def analysis_weights(design: Design, analysis: str) -> np.ndarray:
    """The per-subject statistic of ``analysis`` as weights on the design's visits."""
    grid = visit_grid(design)
    index = np.arange(len(grid.months))
    lead = index < grid.n_lead_in
    post = index >= grid.baseline  # baseline plus follow-up visits
    quantity = ANALYSES[analysis].target_quantity
    if quantity == "change":
        weights = np.zeros(len(grid.months))
        weights[-1], weights[grid.baseline] = 1.0, -1.0
        return weights
    follow_up = _ols_weights(grid.months, post)
    if quantity == "follow_up_slope":
        return follow_up
    # paired, slope_change; the mixed model estimates the same slope change (approximately).
    return follow_up - _ols_weights(grid.months, lead)


def subject_variance(design: Design, model: NaturalHistory, analysis: str | None = None) -> float:
    """Variance of one subject's statistic under the linear model (see the module docstring)."""
    grid = visit_grid(design)
    c = analysis_weights(design, analysis or design.primary)
    noise = model.noise_sd**2 + ROUNDING_VARIANCE
    return model.slope_sd**2 * float(c @ grid.months) ** 2 + noise * float(c @ c)


def edland_problems(design: Design, model: NaturalHistory) -> list[str]:
    """Why the closed form does not describe this design and model (empty when it does)."""
    problems = []
    if model.slope_skew or model.acceleration_per_year or model.floor_start is not None:
        problems.append("the natural-history model is not linear")
    if math.isfinite(model.survival_scale_months) or model.dropout_rate_per_month:
        problems.append("the model has deaths or dropouts")
    if design.dropout_per_month:
        problems.append("the design has dropouts")
    rules = design.enrolment
    if math.isfinite(rules.min_lead_in_decline) or math.isfinite(rules.max_lead_in_decline):
        problems.append("enrolment selects on the lead-in slope")
    if design.control_source == "registry":
        problems.append("controls are matched from a registry")
    spec = ANALYSES[design.primary]
    if spec.test == "rank":
        problems.append("the primary analysis is a rank test")
    elif spec.quantity == "visits":
        problems.append(
            "the primary analysis is a mixed model (the closed form is that of the per-subject "
            "slope change it estimates)"
        )
    return problems


def _standard_error(
    design: Design, model: NaturalHistory, analysis: str, prognostic_correlation: float = 0.0
) -> tuple[float, int]:
    """Standard error of the estimate and the t-test's degrees of freedom (with a prognostic
    covariate: the PROCOVA variance factor ``1 - rho^2`` and one degree of freedom fewer)."""
    var = subject_variance(design, model, analysis)
    if ANALYSES[analysis].quantity == "paired":
        _check_correlation(prognostic_correlation, paired=True)
        return math.sqrt(var / design.n_treated), design.n_treated - 1
    factor = procova_variance_factor(prognostic_correlation)
    n_t, n_c = design.n_treated, design.n_control
    score_df = 1 if factor < 1 else 0  # the score's coefficient
    return math.sqrt(var * factor * (1 / n_t + 1 / n_c)), n_t + n_c - 2 - score_df


def procova_variance_factor(prognostic_correlation: float) -> float:
    """``1 - rho^2``: the residual variance left by adjusting for a prognostic score with
    correlation ``rho`` to the outcome (PROCOVA; module docstring)."""
    _check_correlation(prognostic_correlation, paired=False)
    return 1.0 - prognostic_correlation**2


def _check_correlation(rho: float, paired: bool) -> None:
    if paired and rho:
        raise ValidationError(
            [FieldError("prognostic_correlation", "needs a two-arm analysis, not a paired one")]
        )
    if not (math.isfinite(rho) and -1 < rho < 1):
        raise ValidationError(
            [FieldError("prognostic_correlation", f"must be between -1 and 1, got {rho!r}")]
        )


def edland_power(
    design: Design,
    model: NaturalHistory,
    effect: float,
    analysis: str | None = None,
    distribution: str = "normal",
    prognostic_correlation: float = 0.0,
) -> float:
    """Two-sided power of ``analysis`` (default: the primary) at ``effect`` points/month.

    ``distribution="normal"`` is Edland's formula; ``"t"`` uses the noncentral t distribution
    with the pooled degrees of freedom (closer for small trials; Welch's df are about the same
    when the arms are alike). ``prognostic_correlation``: the power of the same comparison
    adjusted for a prognostic score with that correlation to the subject's statistic (PROCOVA).
    """
    analysis = analysis or design.primary
    delta = abs(analysis_target(design, analysis, effect))
    se, df = _standard_error(design, model, analysis, prognostic_correlation)
    if distribution == "normal":
        z = stats.norm.ppf(1 - design.alpha / 2)
        return float(stats.norm.cdf(delta / se - z) + stats.norm.cdf(-delta / se - z))
    if distribution == "t":
        crit = stats.t.ppf(1 - design.alpha / 2, df)
        ncp = delta / se
        return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))
    raise ValueError(f"distribution must be 'normal' or 't', got {distribution!r}")


def edland_sample_size(
    design: Design,
    model: NaturalHistory,
    effect: float,
    power: float = 0.8,
    prognostic_correlation: float = 0.0,
) -> int:
    """Subjects per arm (equal arms; the treated arm for a paired analysis) for ``power``:
    Edland's formula, rounded up; with a prognostic score of correlation
    ``prognostic_correlation`` (PROCOVA), the variance times ``1 - rho^2``."""
    analysis = design.primary
    paired = ANALYSES[analysis].quantity == "paired"
    _check_correlation(prognostic_correlation, paired=paired)
    delta = analysis_target(design, analysis, effect)
    if delta == 0:
        raise ValueError("effect must not be 0 for a sample size")
    z = stats.norm.ppf(1 - design.alpha / 2) + stats.norm.ppf(power)
    arms = 1 if paired else 2
    variance = subject_variance(design, model, analysis)
    if not paired:
        variance *= procova_variance_factor(prognostic_correlation)
    return math.ceil(arms * z**2 * variance / delta**2)
