"""What the lead-in vs follow-up comparison gives in untreated registry patients.

A single-arm lead-in design compares each patient's ALSFRS-R slope after treatment with the
slope before it. Without any treatment that comparison is not centred on zero when

- entry requires a fast lead-in decline: patients selected on a noisy fast slope decline more
  slowly afterwards (regression to the mean);
- decline is not linear (floor effects, acceleration or plateaus);
- patients who decline fastest drop out or die during follow-up (informative dropout).

This module measures the comparison in the natural-history registry, with the same windows as
the trial (:mod:`alstrial.analysis.controls`): in every eligible patient, in the patients matched
like the treated, and in the patients whose lead-in decline was fastest (the quarter with the
lowest lead-in slope, as a fast-decline entry criterion would select them). Each row is a paired
t-test of follow-up minus lead-in slope (points/month; positive = slower decline after the index
day) with its paired t confidence interval, by the analysis engine's own functions.

For informative dropout it compares, at every patient's first possible enrolment (the first
visit with a full lead-in), the lead-in slope of the patients lost during the follow-up that
would have followed (no visit near its end: death or dropout) with that of the others (Welch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.controls import MatchResult
from alstrial.analysis.effects import paired_difference, welch_difference
from alstrial.analysis.report.tables import number
from alstrial.analysis.results import plain
from alstrial.analysis.tests import paired_t, welch_t

FAST_QUANTILE = 0.25


@dataclass(frozen=True)
class SlopeShift:
    """Lead-in vs follow-up slope in one group of untreated registry patients."""

    group: str
    description: str
    n: int
    mean_lead_in_slope: float
    mean_follow_up_slope: float
    difference: float  # mean of follow-up minus lead-in slope, points/month
    ci_low: float
    ci_high: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class DropoutCheck:
    """Registry patients at their first possible enrolment: who was lost during follow-up
    (death or dropout) and how fast they had declined in the lead-in (points/month)."""

    n: int
    lost: int
    died: int
    mean_lead_in_lost: float
    mean_lead_in_retained: float
    difference: float  # lost minus retained, points/month (negative = the lost declined faster)
    ci_low: float
    ci_high: float
    p_value: float  # Welch t, two-sided

    def to_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


def dropout_check(entries: pd.DataFrame, confidence: float = 0.95) -> DropoutCheck:
    """Lead-in slopes of the patients lost in follow-up against those retained (Welch)."""
    complete = entries.dropna(subset=["lead_in_slope"])
    lost = complete.loc[complete["lost"], "lead_in_slope"].to_numpy(dtype=float)
    kept = complete.loc[~complete["lost"], "lead_in_slope"].to_numpy(dtype=float)
    estimate = welch_difference(lost, kept, confidence)
    return DropoutCheck(
        n=len(complete),
        lost=len(lost),
        died=int((complete["lost"] & complete["died"]).sum()),
        mean_lead_in_lost=float(lost.mean()) if len(lost) else float("nan"),
        mean_lead_in_retained=float(kept.mean()) if len(kept) else float("nan"),
        difference=estimate.estimate,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        p_value=welch_t(lost, kept).p_value,
    )


@dataclass(frozen=True)
class NaturalHistoryCheck:
    """The registry rows (:class:`SlopeShift`), the dropout check and their settings."""

    rows: tuple[SlopeShift, ...]
    fast_threshold: float  # lead-in slope (points/month) at or below which a patient is "fast"
    confidence: float
    settings: dict[str, Any]
    dropout: DropoutCheck | None = None

    def row(self, group: str) -> SlopeShift | None:
        return next((r for r in self.rows if r.group == group), None)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([r.to_dict() for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": dict(self.settings),
            "fast_threshold": plain(self.fast_threshold),
            "confidence": self.confidence,
            "rows": [r.to_dict() for r in self.rows],
            "dropout": None if self.dropout is None else self.dropout.to_dict(),
        }


def _shift(group: str, description: str, table: pd.DataFrame, confidence: float) -> SlopeShift:
    complete = table.dropna(subset=["lead_in_slope", "follow_up_slope"])
    pre = complete["lead_in_slope"].to_numpy(dtype=float)
    post = complete["follow_up_slope"].to_numpy(dtype=float)
    estimate = paired_difference(post, pre, confidence)
    test = paired_t(post, pre)
    return SlopeShift(
        group=group,
        description=description,
        n=len(complete),
        mean_lead_in_slope=float(pre.mean()) if len(pre) else float("nan"),
        mean_follow_up_slope=float(post.mean()) if len(post) else float("nan"),
        difference=estimate.estimate,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        p_value=test.p_value,
    )


def natural_history_check(
    match: MatchResult, confidence: float = 0.95, fast_quantile: float = FAST_QUANTILE
) -> NaturalHistoryCheck:
    """The three registry rows of the module docstring from a :class:`MatchResult`'s pool."""
    if match.pool is None:
        raise ValueError("the match result carries no registry pool")
    if not 0 < fast_quantile < 1:
        raise ValueError(f"fast_quantile must be between 0 and 1, got {fast_quantile!r}")
    pool = match.pool.candidates
    matched = pool[pool["subject_id"].isin(match.matches["control_id"])]
    complete = pool["lead_in_slope"].dropna()
    threshold = float(np.quantile(complete, fast_quantile)) if len(complete) else float("nan")
    fast = pool[pool["lead_in_slope"] <= threshold]
    rows = (
        _shift("registry_all", "all eligible registry patients", pool, confidence),
        _shift(
            "registry_matched", "registry patients matched like the treated", matched, confidence
        ),
        _shift(
            "registry_fast",
            f"registry patients with the fastest lead-in decline (lowest {fast_quantile:.0%}: "
            f"lead-in slope ≤ {number(threshold)} points/month)",
            fast,
            confidence,
        ),
    )
    entries = match.pool.entries
    return NaturalHistoryCheck(
        rows=rows,
        fast_threshold=threshold,
        confidence=confidence,
        settings=dict(match.settings, fast_quantile=fast_quantile),
        dropout=None if entries is None or entries.empty else dropout_check(entries, confidence),
    )
