"""Analysis settings: every choice that changes a number, written into every output.

Sources: months = days / 30.4375 (docs/domain.md, TRICALS); follow-up window 90 days (or the
protocol's last follow-up visit window, :func:`settings_from_protocol`) and slope definitions
(docs/interfaces.md "Analysis data"); responder thresholds 1.25 and 1.5 points/month (NurOwn
phase 3 and 2) and 50/75/100% (Oh et al. 2018), docs/domain.md; the exact/normal rule of the
rank tests (R's ``wilcox.test``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from alstrial.domain.errors import FieldError
from alstrial.domain.time import DAYS_PER_MONTH

#: The protocol's form name of the ALSFRS-R (docs/protocols.md).
ALSFRS_FORM = "alsfrs_r"

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
    - ``time_point_days``: the primary time point (days after ``index_day``; the last scheduled
      follow-up visit's target day), at which CAFS compares survivors; ``None``: the end of the
      follow-up window.
    - ``time_point_window_before_days``: how early a visit may fall before the time point and
      still stand for it (days); the window is [time point - this, ``follow_up_days``].
    - ``follow_up_visit``: the protocol's visit whose window set these (its code), if any.

    :func:`settings_from_protocol` takes the follow-up window and the time point from the
    protocol's visit windows (docs/analysis.md "Follow-up window").
    """

    follow_up_days: int = 90
    days_per_month: float = DAYS_PER_MONTH
    pre_slope: str = "ols"
    absolute_thresholds: tuple[float, ...] = (1.25, 1.5)
    relative_thresholds: tuple[float, ...] = (50.0, 75.0, 100.0)
    confidence: float = 0.95
    exact_rank_limit: int = 50
    time_point_days: int | None = None
    time_point_window_before_days: int = 14
    follow_up_visit: str | None = None

    @property
    def time_point(self) -> int:
        """The primary time point in days after ``index_day`` (``time_point_days`` or the end of
        the follow-up window)."""
        return self.follow_up_days if self.time_point_days is None else int(self.time_point_days)

    @property
    def time_point_window(self) -> tuple[int, int]:
        """First and last day (after ``index_day``, both included) of a visit that stands for
        the time point."""
        return (
            max(1, self.time_point - self.time_point_window_before_days),
            int(self.follow_up_days),
        )

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
        if self.time_point_days is not None and not 0 < self.time_point_days <= self.follow_up_days:
            raise ValueError(
                f"time_point_days must be within the follow-up window (1 to {self.follow_up_days}"
                f" days), got {self.time_point_days!r}"
            )
        if self.time_point_window_before_days < 0:
            raise ValueError(
                "time_point_window_before_days must not be negative, got "
                f"{self.time_point_window_before_days!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["absolute_thresholds"] = list(self.absolute_thresholds)
        out["relative_thresholds"] = list(self.relative_thresholds)
        out["time_point_days"] = self.time_point
        out["time_point_window_days"] = list(self.time_point_window)
        return out


def settings_from_protocol(protocol: Any, **options: Any) -> AnalysisSettings:
    """Analysis settings whose follow-up window and time point are the protocol's last follow-up
    visit with an ALSFRS-R form (kim2009: FU3, day 91, -7/+7 days).

    The follow-up window ends where that visit's window ends (day 98 for kim2009), so no visit
    held inside the protocol's own window is dropped, and the time point is its target day (91).
    Days count from the protocol's day 0, which is the analysis ``index_day`` (the first
    injection, or randomisation). ``options`` are the other settings (``pre_slope``, ...).
    """
    after_day_zero = [v for v in protocol.visits() if v.day > 0 and ALSFRS_FORM in tuple(v.forms)]
    if not after_day_zero:
        raise FieldError(
            "phases.visits", "the protocol has no visit with an ALSFRS-R form after day 0"
        )
    last = max(after_day_zero, key=lambda v: (v.day, v.latest_day))
    return AnalysisSettings(
        follow_up_days=int(last.latest_day),
        time_point_days=int(last.day),
        time_point_window_before_days=int(last.window_before_days),
        follow_up_visit=last.code,
        **options,
    )
