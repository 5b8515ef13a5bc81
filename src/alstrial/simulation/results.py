"""The result of a simulation run: rejection rate with its interval, estimates, per-trial rows.

Rejection: the two-sided p-value of the design's analysis is below ``alpha``; a trial whose test
could not be computed (p-value NaN) does not reject. At effect 0 the rejection rate is the type I
error, otherwise the power. Its 95% interval is the Wilson score interval (statsmodels
``proportion_confint(method="wilson")``), which keeps its coverage near 0 and 1, where type I
errors live, better than the Wald interval.

Bias is the mean estimate minus the analysis's *target*: what the estimate would be without
noise, dropout or selection (:func:`analysis_target`): the treatment's effect itself for slope
analyses, the points it adds by the last visit for the change analyses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.trials import DRAW_SCHEME, treatment_shift, visit_grid

CI_METHOD = "wilson"
CONFIDENCE = 0.95


def rejection_interval(rejections: int, trials: int, confidence: float = CONFIDENCE):
    """Wilson score interval of a rejection rate, ``(low, high)``."""
    low, high = proportion_confint(rejections, trials, alpha=1 - confidence, method=CI_METHOD)
    return float(low), float(high)


def analysis_target(design: Design, analysis: str, effect: float) -> float:
    """The noise-free value of an analysis's estimate for a treatment ``effect`` (points/month).

    Slope analyses: the OLS slope, over the follow-up visits (baseline included), of the points
    the treatment adds (``effect`` itself without a delay). Change analyses: the points added by
    the last visit (points). Lead-in slopes are untouched by the treatment.
    """
    grid = visit_grid(design)
    shift = treatment_shift(design, grid, effect)
    if ANALYSES[analysis].target_quantity == "change":
        return float(shift[-1])
    x = grid.months[grid.baseline :]
    y = shift[grid.baseline :]
    dx = x - x.mean()
    return float(dx @ (y - y.mean()) / (dx @ dx))


@dataclass(frozen=True)
class AnalysisSummary:
    """Operating characteristics of one analysis over all trials.

    ``estimate_sd`` is the SD of the estimates over trials (the estimator's standard error in
    one trial); ``mean_estimate_se = estimate_sd / sqrt(trials with an estimate)`` is the Monte
    Carlo error of ``mean_estimate`` and of ``bias``.
    """

    analysis: str
    rejection_rate: float
    rejection_rate_ci: tuple[float, float]
    declared_effective_rate: float
    mean_estimate: float
    target: float
    bias: float
    trials_without_test: int
    estimate_sd: float = math.nan
    mean_estimate_se: float = math.nan
    comparison: str = ""  # a multi-arm design's dose arm against the control ("dose 1", ...)

    @classmethod
    def from_arrays(
        cls, design: Design, analysis: str, effect: float, estimates, p_values, comparison=""
    ) -> AnalysisSummary:
        """``effect``: the slope change of the compared arm (points/month)."""
        trials = len(p_values)
        reject = np.nan_to_num(p_values, nan=1.0) < design.alpha
        rejections = int(reject.sum())
        finite = estimates[~np.isnan(estimates)]
        mean = float(finite.mean()) if finite.size else math.nan
        sd = float(finite.std(ddof=1)) if finite.size >= 2 else math.nan
        target = analysis_target(design, analysis, effect)
        return cls(
            analysis=analysis,
            rejection_rate=rejections / trials,
            rejection_rate_ci=rejection_interval(rejections, trials),
            # Rejected with an estimate in the treatment's favour: "declared effective".
            declared_effective_rate=float((reject & (estimates > 0)).sum() / trials),
            mean_estimate=mean,
            target=target,
            bias=mean - target,
            trials_without_test=int(np.isnan(p_values).sum()),
            estimate_sd=sd,
            mean_estimate_se=sd / math.sqrt(finite.size) if finite.size >= 2 else math.nan,
            comparison=comparison,
        )

    def to_dict(self) -> dict[str, Any]:
        comparison = {"comparison": self.comparison} if self.comparison else {}
        return {
            **comparison,
            "analysis": self.analysis,
            "description": ANALYSES[self.analysis].description,
            "rejection_rate": self.rejection_rate,
            "rejection_rate_ci": list(self.rejection_rate_ci),
            "declared_effective_rate": self.declared_effective_rate,
            "mean_estimate": _plain(self.mean_estimate),
            "target": self.target,
            "bias": _plain(self.bias),
            "trials_without_test": self.trials_without_test,
            "estimate_sd": _plain(self.estimate_sd),
            "mean_estimate_se": _plain(self.mean_estimate_se),
        }


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else value


def _json_number(value: Any) -> Any:
    """Infinite parameters (e.g. no deaths: survival scale inf) as the string ``"inf"``, since
    JSON has no infinity."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


@dataclass(frozen=True)
class SimulationResult:
    """A simulation run: the primary analysis's summary, the secondary ones, per-trial arrays.

    ``estimates``/``p_values`` are ``(rows, trials)`` in ``design.outcome_rows`` order (for a
    two-arm design, one row per analysis in ``design.analyses`` order; a multi-arm design has a
    row per analysis and dose arm, and ``analyses`` a summary per row, the primary's first).
    """

    design: Design
    trials: int
    seed: int
    effect: float
    engine: str
    seconds: float
    model: str
    analyses: tuple[AnalysisSummary, ...]
    estimates: np.ndarray = field(repr=False)
    p_values: np.ndarray = field(repr=False)
    n_enrolled: np.ndarray = field(repr=False)
    n_controls: np.ndarray = field(repr=False)
    model_parameters: dict[str, Any] = field(default_factory=dict, repr=False)
    #: A multi-arm design's primary analysis under its multiplicity rule
    #: (:class:`.multiplicity.MultiplicitySummary`); None for two arms.
    multiplicity: Any = None

    @property
    def primary(self) -> AnalysisSummary:
        return self.analyses[0]

    @property
    def rejection_rate(self) -> float:
        """How often a trial rejects: the primary analysis', or for a multi-arm design at least
        one dose arm under its multiplicity rule (the familywise error at effect 0)."""
        if self.multiplicity is not None:
            return self.multiplicity.any_rate
        return self.primary.rejection_rate

    @property
    def rejection_rate_ci(self) -> tuple[float, float]:
        """Wilson 95% interval of :attr:`rejection_rate`."""
        if self.multiplicity is not None:
            return self.multiplicity.any_rate_ci
        return self.primary.rejection_rate_ci

    @property
    def short_trials(self) -> int:
        """Trials that could not fill every place from the candidates screened."""
        places = self.design.n_treated + (
            self.design.n_control if self.design.control_source == "randomized" else 0
        )
        return int((self.n_enrolled < places).sum())

    def per_trial(self) -> pd.DataFrame:
        """One row per trial: ``trial, estimate, p_value, reject`` (primary analysis)."""
        p = self.p_values[0]
        return pd.DataFrame(
            {
                "trial": np.arange(self.trials),
                "estimate": self.estimates[0],
                "p_value": p,
                "reject": (np.nan_to_num(p, nan=1.0) < self.design.alpha).astype(int),
            }
        )

    def summary(self) -> pd.DataFrame:
        """One row per analysis (primary first)."""
        return pd.DataFrame([a.to_dict() for a in self.analyses])

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON object of ``alstrial simulate --json`` (docs/interfaces.md,
        'Simulation output')."""
        primary = self.primary
        return {
            "design": self.design.name,
            "trials": self.trials,
            "seed": self.seed,
            "effect": self.effect,
            "engine": self.engine,
            "rejection_rate": primary.rejection_rate,
            "rejection_rate_ci": list(primary.rejection_rate_ci),
            "rejection_rate_ci_method": "Wilson score, 95%",
            "mean_estimate": _plain(primary.mean_estimate),
            "seconds": self.seconds,
            "analysis": primary.analysis,
            "alpha": self.design.alpha,
            "target": primary.target,
            "bias": _plain(primary.bias),
            "mean_estimate_se": _plain(primary.mean_estimate_se),
            "estimate_sd": _plain(primary.estimate_sd),
            "declared_effective_rate": primary.declared_effective_rate,
            "trials_without_test": primary.trials_without_test,
            "short_trials": self.short_trials,
            "secondary": [a.to_dict() for a in self.analyses[1:]],
            **({"multiplicity": self.multiplicity.to_dict()} if self.multiplicity else {}),
            "model": self.model,
            "model_parameters": {k: _json_number(v) for k, v in self.model_parameters.items()},
            "settings": {"days_per_month": DAYS_PER_MONTH, "design": self.design.to_dict()},
            # The version of the random draws: the same seed gives the same trials only
            # under the same scheme (trials.DRAW_SCHEME).
            "draw_scheme": DRAW_SCHEME,
        }
