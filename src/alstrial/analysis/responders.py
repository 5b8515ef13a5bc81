"""Responder analyses on the change in ALSFRS-R slope (docs/domain.md, 'Responders').

The improvement of a subject is ``follow_up_slope - lead_in_slope`` (points/month; positive means
a slower decline after treatment).
- absolute responder: improvement >= threshold (1.25 points/month: NurOwn phase 3; 1.5: phase 2);
- relative responder: improvement / |lead_in_slope| >= threshold percent (50/75/100%:
  Oh et al. 2018). A lead-in slope of exactly 0 has no relative change: such a subject is left
  out of the relative analyses and counted in ``n_undefined``.
Proportions carry exact (Clopper-Pearson) confidence intervals; the arms are compared by
Fisher's exact test (two-sided, as R's ``fisher.test``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from alstrial.analysis.results import NAN, plain


@dataclass(frozen=True)
class ResponderRate:
    """Responders in one arm under one definition."""

    arm: str
    definition: str  # "absolute" or "relative"
    threshold: float  # points/month (absolute) or percent (relative)
    responders: int
    n: int
    n_undefined: int
    proportion: float
    ci_low: float
    ci_high: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "definition": self.definition,
            "threshold": self.threshold,
            "threshold_unit": "points/month" if self.definition == "absolute" else "percent",
            "responders": self.responders,
            "n": self.n,
            "n_undefined": self.n_undefined,
            "proportion": plain(self.proportion),
            "ci": [plain(self.ci_low), plain(self.ci_high)],
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class ResponderComparison:
    """Treated vs control responders under one definition: difference in proportions
    (treated minus control) and Fisher's exact two-sided p-value."""

    definition: str
    threshold: float
    treated: ResponderRate
    control: ResponderRate
    difference: float
    fisher_p: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": self.definition,
            "threshold": self.threshold,
            "treated_proportion": plain(self.treated.proportion),
            "control_proportion": plain(self.control.proportion),
            "difference": plain(self.difference),
            "fisher_p": plain(self.fisher_p),
        }


@dataclass(frozen=True)
class ResponderAnalysis:
    rates: tuple[ResponderRate, ...]
    comparisons: tuple[ResponderComparison, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One row per arm and definition, the interval as ``ci_low, ci_high``."""
        rows = []
        for rate in self.rates:
            row = rate.to_dict()
            del row["ci"]
            rows.append({**row, "ci_low": rate.ci_low, "ci_high": rate.ci_high})
        return pd.DataFrame(rows)

    def to_dict(self) -> list[dict[str, Any]]:
        return [rate.to_dict() for rate in self.rates]


def clopper_pearson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact binomial confidence interval for a proportion; (NaN, NaN) when ``n`` is 0."""
    if n == 0:
        return NAN, NAN
    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="beta")
    return float(low), float(high)


def responders(
    table: pd.DataFrame,
    absolute_thresholds: tuple[float, ...] = (1.25, 1.5),
    relative_thresholds: tuple[float, ...] = (50.0, 75.0, 100.0),
    confidence: float = 0.95,
) -> ResponderAnalysis:
    """Responder counts per arm from a per-subject slope table (``arm``, ``lead_in_slope``,
    ``follow_up_slope``); subjects missing either slope are not counted."""
    rates = []
    complete = table.dropna(subset=["lead_in_slope", "follow_up_slope"])
    for arm, group in complete.groupby("arm", sort=False):
        pre = group["lead_in_slope"].to_numpy(dtype=float)
        improvement = group["follow_up_slope"].to_numpy(dtype=float) - pre
        for threshold in absolute_thresholds:
            # a small tolerance so that e.g. 1.25 computed as 1.2499999999 still counts
            hits = int(np.sum(improvement >= threshold - 1e-9))
            rates.append(_rate(arm, "absolute", threshold, hits, len(group), 0, confidence))
        defined = np.round(pre, 9) != 0  # a flat lead-in, up to floating-point noise
        relative = improvement[defined] / np.abs(pre[defined]) * 100.0
        for threshold in relative_thresholds:
            hits = int(np.sum(relative >= threshold - 1e-9))
            rates.append(
                _rate(
                    arm,
                    "relative",
                    threshold,
                    hits,
                    int(defined.sum()),
                    int((~defined).sum()),
                    confidence,
                )
            )
    return ResponderAnalysis(rates=tuple(rates), comparisons=tuple(_compare(rates)))


def _compare(rates: list[ResponderRate]) -> list[ResponderComparison]:
    by_key = {(r.arm, r.definition, r.threshold): r for r in rates}
    out = []
    for (arm, definition, threshold), treated in by_key.items():
        control = by_key.get(("control", definition, threshold))
        if arm != "treated" or control is None or not treated.n or not control.n:
            continue
        table = [
            [treated.responders, treated.n - treated.responders],
            [control.responders, control.n - control.responders],
        ]
        p = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
        out.append(
            ResponderComparison(
                definition, threshold, treated, control, treated.proportion - control.proportion, p
            )
        )
    return out


def _rate(
    arm: str,
    definition: str,
    threshold: float,
    hits: int,
    n: int,
    undefined: int,
    confidence: float,
) -> ResponderRate:
    low, high = clopper_pearson(hits, n, confidence)
    return ResponderRate(
        arm,
        definition,
        float(threshold),
        hits,
        n,
        undefined,
        hits / n if n else NAN,
        low,
        high,
        confidence,
    )
