"""Analysis settings: every choice that changes a number, written into every output.

Sources: months = days / 30.4375 (DOMAIN.md section 3, TRICALS); follow-up window 90 days and
slope definitions (INTERFACES.md "Analysis data"); responder thresholds 1.25 and 1.5
points/month (NurOwn phase 3 and 2) and 50/75/100% (Oh et al. 2018), DOMAIN.md sections 1 and 3;
the exact/normal rule of the rank tests (R's ``wilcox.test``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from alstrial.domain.time import DAYS_PER_MONTH

PRE_SLOPE_METHODS = ("ols", "two_point", "onset")


@dataclass(frozen=True)
class AnalysisSettings:
    """Options of the efficacy analysis.

    - ``follow_up_days``: follow-up window after ``index_day`` (days).
    - ``pre_slope``: definition of the lead-in slope: ``ols`` (default; with exactly two lead-in
      visits it equals, and is reported as, ``two_point``), ``two_point`` or ``onset``.
    - ``absolute_thresholds``: responder thresholds on post minus pre slope (points/month).
    - ``relative_thresholds``: responder thresholds on (post - pre) / |pre| (percent).
    - ``confidence``: level of every confidence interval.
    - ``exact_rank_limit``: rank tests are exact when each group has fewer values than this and
      there are no ties (R's ``wilcox.test`` rule).
    """

    follow_up_days: int = 90
    days_per_month: float = DAYS_PER_MONTH
    pre_slope: str = "ols"
    absolute_thresholds: tuple[float, ...] = (1.25, 1.5)
    relative_thresholds: tuple[float, ...] = (50.0, 75.0, 100.0)
    confidence: float = 0.95
    exact_rank_limit: int = 50

    def __post_init__(self) -> None:
        if self.pre_slope not in PRE_SLOPE_METHODS:
            raise ValueError(
                f"pre_slope must be one of {', '.join(PRE_SLOPE_METHODS)}, got {self.pre_slope!r}"
            )
        if int(self.follow_up_days) != self.follow_up_days or self.follow_up_days <= 0:
            raise ValueError(
                f"follow_up_days must be a positive whole number, got {self.follow_up_days!r}"
            )
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence!r}")
        if not self.days_per_month > 0:
            raise ValueError(f"days_per_month must be > 0, got {self.days_per_month!r}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["absolute_thresholds"] = list(self.absolute_thresholds)
        out["relative_thresholds"] = list(self.relative_thresholds)
        return out
