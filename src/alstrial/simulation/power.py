"""Power curves and type I error: the functions the web page and the trial report call.

- :func:`power_curve` simulates a design at each value of one parameter (sample size, effect,
  follow-up length) and returns a table with the rejection rate, its Wilson 95% interval, the
  mean estimate and, where the linear random-slope model applies, Edland's closed-form power.
  Every point uses the same seed (common random numbers), so the curve is smooth and
  differences between points are not Monte Carlo noise.
- :func:`type_one_error` is the rejection rate at effect 0 with its interval (for the report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrial.simulation.designs import Design, load_design
from alstrial.simulation.edland import edland_power, edland_problems
from alstrial.simulation.engines import Simulation, scheduler_address
from alstrial.simulation.multi_arm import multi_arm_power
from alstrial.simulation.natural_history import NaturalHistory

#: What a power curve can vary, with the units of the values.
CURVE_PARAMETERS = {
    "n": "subjects per arm",
    "effect": "slope change, points/month",
    "follow_up": "months of follow-up after the first dose",
}
CURVE_COLUMNS = (
    "over",
    "value",
    "n_treated",
    "n_control",
    "follow_up_months",
    "effect",
    "trials",
    "rejection_rate",
    "ci_low",
    "ci_high",
    "mean_estimate",
    "target",
    "bias",
    "edland_power",
)


def _as_design(design: Design | str) -> Design:
    return design if isinstance(design, Design) else load_design(design)


def power_curve(
    design: Design | str,
    over: str,
    values,
    trials: int = 1000,
    seed: int = 0,
    effect: float | None = None,
    model: NaturalHistory | None = None,
    engine: str = "vectorized",
    n_jobs: int = 1,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Rejection rate of ``design`` at each of ``values`` of ``over`` (``"n"``, ``"effect"`` or
    ``"follow_up"``), ``trials`` trials each from ``seed``.

    ``effect`` (points/month) applies when ``over`` is not ``"effect"`` (default: the design's).
    ``n_jobs`` and ``scheduler`` spread each point's trials as in :class:`Simulation`; a
    ``"local"`` Dask cluster is started once for the whole curve.
    Columns: :data:`CURVE_COLUMNS`; ``edland_power`` (Edland's normal formula, two-sided) is
    NaN where the closed form does not describe the design or model
    (:func:`~alstrial.simulation.edland.edland_problems`).
    """
    if over not in CURVE_PARAMETERS:
        raise ValueError(f"over must be one of {', '.join(CURVE_PARAMETERS)}, got {over!r}")
    base = _as_design(design)
    model = model or NaturalHistory.literature()
    rows = []
    with scheduler_address(scheduler, n_jobs) as address:
        for value in values:
            point_design, point_effect = base, base.effect if effect is None else effect
            if over == "n":
                point_design = base.with_changes(n=int(value))
            elif over == "follow_up":
                point_design = base.with_changes(follow_up_months=float(value))
            else:
                point_effect = float(value)
            result = Simulation(
                point_design,
                model=model,
                effect=point_effect,
                engine=engine,
                n_jobs=n_jobs,
                scheduler=address,
            ).run(trials, seed)
            rows.append(_curve_row(over, float(value), result, model))
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def _curve_row(over: str, value: float, result, model: NaturalHistory) -> dict[str, Any]:
    """One point of a power curve (columns :data:`CURVE_COLUMNS`)."""
    design, primary = result.design, result.primary
    closed_form = math.nan
    if not edland_problems(design, model):
        closed_form = _closed_form(design, model, result)
    return {
        "over": over,
        "value": value,
        "n_treated": design.n_treated,
        "n_control": design.n_control,
        "follow_up_months": design.follow_up_months,
        "effect": result.effect,
        "trials": result.trials,
        # a multi-arm design: at least one dose arm under its rule (result.rejection_rate)
        "rejection_rate": result.rejection_rate,
        "ci_low": result.rejection_rate_ci[0],
        "ci_high": result.rejection_rate_ci[1],
        "mean_estimate": primary.mean_estimate,
        "target": primary.target,
        "bias": primary.bias,
        "edland_power": closed_form,
    }


def _closed_form(design: Design, model: NaturalHistory, result) -> float:
    """Edland's power of the run (with the design's prognostic-score correlation), or for a
    multi-arm design the closed-form power to reject at least one dose arm under its rule."""
    if not design.is_multi_arm:
        return edland_power(
            design, model, result.effect, prognostic_correlation=design.prognostic_correlation
        )
    sizes = (design.n_control, *design.dose_arms)
    effects = tuple(design.comparison_effect(result.effect, k) for k in range(len(sizes) - 1))
    return multi_arm_power(design, model, sizes, effects, rule=design.multiplicity).any_power


@dataclass(frozen=True)
class TypeOneError:
    """The rejection rate of a design's primary analysis at effect 0, with its Wilson 95%
    interval, under the natural-history model named by ``model``."""

    design: str
    analysis: str
    trials: int
    seed: int
    model: str
    alpha: float
    rate: float
    ci_low: float
    ci_high: float
    ci_method: str = "Wilson score, 95%"

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "analysis": self.analysis,
            "trials": self.trials,
            "seed": self.seed,
            "model": self.model,
            "alpha": self.alpha,
            "type_one_error": self.rate,
            "type_one_error_ci": [self.ci_low, self.ci_high],
            "ci_method": self.ci_method,
        }


def type_one_error(
    design: Design | str = "kim2009",
    seed: int = 0,
    trials: int = 10_000,
    model: NaturalHistory | None = None,
    model_name: str | None = None,
    n_jobs: int = 1,
) -> TypeOneError:
    """Type I error of ``design`` (default ``kim2009``) under ``model`` (default: the
    literature natural history; ``model_name`` labels it, e.g. "calibrated from PRO-ACT").

    10,000 trials give a Wilson interval about +-0.01 wide near 0.3 (+-0.004 near 0.05).
    """
    chosen = _as_design(design)
    result = Simulation(
        chosen,
        model=model or NaturalHistory.literature(),
        effect=0.0,
        n_jobs=n_jobs,
        model_name=model_name,
    ).run(trials, seed)
    low, high = result.rejection_rate_ci
    return TypeOneError(
        design=chosen.name,
        analysis=chosen.primary,
        trials=trials,
        seed=seed,
        model=result.model,
        alpha=chosen.alpha,
        rate=result.rejection_rate,
        ci_low=low,
        ci_high=high,
    )


def parse_values(text: str) -> list[float]:
    """``"10,20,30"`` or ``"10:50:10"`` (start:stop:step, stop included) as numbers."""
    text = text.strip()
    if ":" in text:
        start, stop, step = (float(part) for part in text.split(":"))
        if step <= 0 or stop < start:
            raise ValueError(f"values {text!r}: need start <= stop and step > 0")
        count = math.floor((stop - start) / step + 1e-9) + 1
        return [float(v) for v in np.round(start + step * np.arange(count), 10)]
    return [float(part) for part in text.split(",") if part.strip()]
