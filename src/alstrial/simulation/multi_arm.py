"""Power of multi-arm designs (several dose arms against one shared control, e.g. 1:2:2) under
a stated multiplicity rule, in the closed form of :mod:`.edland` (the linear model).

Each dose arm ``k`` is compared with the control by the design's between-arm analysis (the
per-subject statistic of :func:`.edland.subject_variance`, variance ``v``): ``Z_k = d_k /
sqrt(v (1/n_k + 1/n_0))`` with ``d_k`` the analysis' target at arm ``k``'s effect. The shared
control makes the ``Z_k`` correlated: ``corr(Z_j, Z_k) = (v / n_0) / sqrt(v (1/n_j + 1/n_0) v
(1/n_k + 1/n_0))`` (1:2:2: 2/3). Two-sided tests at familywise level ``alpha``:

- ``dunnett``: single step; every ``|Z_k|`` is compared with the critical value ``c`` for which
  ``P(max_k |Z_k| <= c) = 1 - alpha`` under the null (Dunnett 1955, J Am Stat Assoc 50:1096-1121;
  normal, i.e. infinite degrees of freedom), found with scipy's multivariate normal distribution;
- ``holm``: Bonferroni-Holm step-down (Holm 1979, Scand J Stat 6:65-70): the smallest p-value
  against ``alpha / K``, the next against ``alpha / (K - 1)``, ..., stopping at the first not
  rejected; its power is computed from ``draws`` draws of the joint normal ``Z`` (a fixed seed:
  the same answer every time; Monte Carlo SE at most 0.5 / sqrt(draws)).

Results: each arm's power (its own hypothesis rejected) and the power to reject at least one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.edland import subject_variance
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.results import analysis_target

RULES = ("dunnett", "holm")
HOLM_DRAWS = 400_000


@dataclass(frozen=True)
class MultiArmPower:
    """Power of a multi-arm design: per dose arm and for at least one arm (familywise level
    ``alpha``, two-sided); ``critical_value`` is Dunnett's (NaN for Holm)."""

    rule: str
    arm_sizes: tuple[int, ...]  # control first, then the dose arms
    effects: tuple[float, ...]  # points/month, per dose arm
    alpha: float
    correlation: np.ndarray  # (K, K) of the comparisons' statistics
    arm_power: tuple[float, ...]
    any_power: float
    critical_value: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "arm_sizes": list(self.arm_sizes),
            "effects": list(self.effects),
            "alpha": self.alpha,
            "correlation": self.correlation.tolist(),
            "arm_power": list(self.arm_power),
            "any_power": self.any_power,
            "critical_value": None if math.isnan(self.critical_value) else self.critical_value,
        }


def multi_arm_power(
    design: Design,
    model: NaturalHistory,
    arm_sizes: tuple[int, ...],
    effects: tuple[float, ...],
    rule: str = "dunnett",
    analysis: str | None = None,
) -> MultiArmPower:
    """Power of ``design``'s visits and analysis with a control arm of ``arm_sizes[0]`` and dose
    arms of ``arm_sizes[1:]`` subjects whose effects are ``effects`` (points/month), under
    ``rule`` (module docstring). ``design``'s own arm sizes are not used."""
    analysis = analysis or design.primary
    _check(design, arm_sizes, effects, rule, analysis)
    variance = subject_variance(design, model, analysis)
    control, doses = arm_sizes[0], np.array(arm_sizes[1:], dtype=float)
    se = np.sqrt(variance * (1 / doses + 1 / control))
    means = np.array([analysis_target(design, analysis, e) for e in effects]) / se
    covariance = (variance / control) / np.outer(se, se)
    np.fill_diagonal(covariance, 1.0)
    if rule == "dunnett":
        critical = dunnett_critical_value(covariance, design.alpha)
        normal = stats.norm
        arm_power = normal.sf(critical - means) + normal.cdf(-critical - means)
        inside = stats.multivariate_normal(mean=means, cov=covariance).cdf(
            np.full(means.size, critical), lower_limit=np.full(means.size, -critical)
        )
        any_power = 1.0 - float(inside)
    else:
        critical = math.nan
        arm_power, any_power = _holm_power(means, covariance, design.alpha)
    return MultiArmPower(
        rule=rule,
        arm_sizes=tuple(int(n) for n in arm_sizes),
        effects=tuple(float(e) for e in effects),
        alpha=design.alpha,
        correlation=covariance,
        arm_power=tuple(float(p) for p in arm_power),
        any_power=float(any_power),
        critical_value=float(critical),
    )


def dunnett_critical_value(correlation: np.ndarray, alpha: float) -> float:
    """``c`` with ``P(max_k |Z_k| <= c) = 1 - alpha`` for standard normal ``Z`` of the given
    correlation (two-sided Dunnett, infinite degrees of freedom)."""
    k = correlation.shape[0]
    null = stats.multivariate_normal(mean=np.zeros(k), cov=correlation)

    def excess(c: float) -> float:
        return float(null.cdf(np.full(k, c), lower_limit=np.full(k, -c))) - (1 - alpha)

    low = stats.norm.isf(alpha / 2)  # no multiplicity
    high = stats.norm.isf(alpha / (2 * k))  # Bonferroni
    return float(optimize.brentq(excess, low - 1e-9, high + 1e-9, xtol=1e-10))


def _holm_power(
    means: np.ndarray, correlation: np.ndarray, alpha: float
) -> tuple[np.ndarray, float]:
    """Per-arm and any-arm power of two-sided Bonferroni-Holm, from draws of ``Z``."""
    rng = np.random.default_rng(20260101)
    z = rng.multivariate_normal(means, correlation, size=HOLM_DRAWS)
    p = 2 * stats.norm.sf(np.abs(z))
    k = means.size
    order = np.argsort(p, axis=1)
    sorted_p = np.take_along_axis(p, order, axis=1)
    thresholds = alpha / (k - np.arange(k))
    # step-down: the i-th smallest is rejected when it and every smaller one pass their bounds
    passed = np.logical_and.accumulate(sorted_p <= thresholds, axis=1)
    rejected = np.zeros_like(passed)
    np.put_along_axis(rejected, order, passed, axis=1)
    return rejected.mean(axis=0), float(rejected.any(axis=1).mean())


def _check(design, arm_sizes, effects, rule, analysis) -> None:
    errors = []
    if rule not in RULES:
        errors.append(FieldError("rule", f"must be one of {', '.join(RULES)}, got {rule!r}"))
    if len(arm_sizes) < 3 or any(int(n) < 2 for n in arm_sizes):
        errors.append(
            FieldError("arm_sizes", "needs a control and at least 2 dose arms of >= 2 subjects")
        )
    if len(effects) != len(arm_sizes) - 1:
        errors.append(FieldError("effects", "needs one effect per dose arm"))
    if ANALYSES[analysis].quantity in ("paired", "visits"):
        errors.append(
            FieldError("analysis", f"{analysis!r}: the closed form needs a between-arm analysis")
        )
    if errors:
        raise ValidationError(errors)
