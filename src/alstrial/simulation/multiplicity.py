"""The multiplicity rule of a multi-arm design: which dose arms a simulated trial declares
different from the control, at familywise level ``alpha`` (two-sided).

Each comparison (dose arm ``k`` against the shared control) has its own two-sided p-value from
the design's analysis on the two arms' subjects. The rules (docs/simulation.md, 'Multi-arm
designs'):

- ``dunnett``: single step; comparison ``k`` is rejected when its p-value corresponds to a
  normal ``|Z_k|`` above Dunnett's critical value ``c`` for the correlation of the comparisons
  that the shared control induces, ``sqrt(n_j n_k / ((n_j + n_0)(n_k + n_0)))`` (1:2:2: 2/3;
  Dunnett 1955, J Am Stat Assoc 50:1096-1121), i.e. ``p_k < 2 (1 - Phi(c))``. The normal
  (infinite degrees of freedom) critical value is the one of the closed form
  (:func:`.multi_arm.dunnett_critical_value`), so the simulated and closed-form rates compare
  like with like;
- ``holm``: Bonferroni-Holm step-down (Holm 1979, Scand J Stat 6:65-70): the smallest p-value
  against ``alpha / K``, the next against ``alpha / (K - 1)``, ..., stopping at the first not
  rejected.

A comparison whose test could not be computed (p-value NaN) is not rejected and counts as the
largest p-value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from alstrial.simulation.designs import Design
from alstrial.simulation.multi_arm import dunnett_critical_value
from alstrial.simulation.results import rejection_interval


def comparison_correlation(design: Design) -> np.ndarray:
    """``(K, K)`` correlation of the comparisons' statistics under equal variances."""
    doses = np.array(design.dose_arms, dtype=float)
    control = float(design.n_control)
    scale = np.sqrt(doses / (doses + control))
    correlation = np.outer(scale, scale)
    np.fill_diagonal(correlation, 1.0)
    return correlation


def dunnett_p_threshold(design: Design) -> float:
    """The per-comparison p-value below which Dunnett's single step rejects."""
    critical = dunnett_critical_value(comparison_correlation(design), design.alpha)
    return float(2 * stats.norm.sf(critical))


def adjusted_rejections(design: Design, p_values: np.ndarray) -> np.ndarray:
    """``(K, T)`` True where the design's rule rejects comparison ``k`` in trial ``t``, from
    the comparisons' two-sided p-values ``(K, T)``."""
    p = np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0)
    if design.multiplicity == "dunnett":
        return p < dunnett_p_threshold(design)
    if design.multiplicity != "holm":
        raise ValueError(f"unknown multiplicity rule {design.multiplicity!r}")
    k = p.shape[0]
    order = np.argsort(p, axis=0, kind="stable")
    ordered = np.take_along_axis(p, order, axis=0)
    bounds = design.alpha / (k - np.arange(k))[:, None]
    passed = np.logical_and.accumulate(ordered <= bounds, axis=0)
    rejected = np.zeros_like(passed)
    np.put_along_axis(rejected, order, passed, axis=0)
    return rejected


@dataclass(frozen=True)
class MultiplicitySummary:
    """The primary analysis of a multi-arm design under its rule, over all trials: each
    comparison's rejection rate after the rule, and the rate of rejecting at least one
    (``any``: the familywise error at effect 0, otherwise the power to find some dose arm),
    with its Wilson 95% interval."""

    rule: str
    comparisons: tuple[str, ...]
    rejection_rates: tuple[float, ...]
    any_rate: float
    any_rate_ci: tuple[float, float]
    p_threshold: float  # Dunnett's per-comparison p-value bound; NaN for Holm

    @classmethod
    def from_p_values(cls, design: Design, p_values: np.ndarray) -> MultiplicitySummary:
        """From the primary analysis' ``(K, T)`` per-comparison p-values."""
        rejected = adjusted_rejections(design, p_values)
        trials = rejected.shape[1]
        anyone = int(rejected.any(axis=0).sum())
        return cls(
            rule=design.multiplicity,
            comparisons=design.comparisons,
            rejection_rates=tuple(float(r) for r in rejected.mean(axis=1)),
            any_rate=anyone / trials,
            any_rate_ci=rejection_interval(anyone, trials),
            p_threshold=(
                dunnett_p_threshold(design) if design.multiplicity == "dunnett" else math.nan
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "comparisons": list(self.comparisons),
            "rejection_rates": list(self.rejection_rates),
            "any_rejection_rate": self.any_rate,
            "any_rejection_rate_ci": list(self.any_rate_ci),
            "dunnett_p_threshold": None if math.isnan(self.p_threshold) else self.p_threshold,
        }
