"""The efficacy analysis: every statistic of docs/interfaces.md, 'Analysis data' in one result
object.

:func:`analyse` takes validated :class:`~alstrial.analysis.data.AnalysisData` and
:class:`~alstrial.analysis.settings.AnalysisSettings` and returns an :class:`EfficacyResult`
whose ``to_dict()`` is the documented ``--json`` object (with added keys: settings, exclusions,
confidence intervals, the methods of the rank tests, responders, the two-arm mixed model and
CAFS). The command line, the report and the web pages all render this one object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.cafs import CafsResult, cafs
from alstrial.analysis.data import ARMS, AnalysisData
from alstrial.analysis.effects import paired_difference, welch_difference
from alstrial.analysis.hodges_lehmann import hodges_lehmann_paired, hodges_lehmann_shift
from alstrial.analysis.mixed import MixedModelResult, fit_piecewise
from alstrial.analysis.responders import ResponderAnalysis, responders
from alstrial.analysis.results import Estimate, TestResult, plain, records
from alstrial.analysis.settings import AnalysisSettings
from alstrial.analysis.slopes import SubjectSlopes, subject_slopes, windowed_visits
from alstrial.analysis.tests import (
    for_ranking,
    mann_whitney,
    paired_t,
    welch_t,
    wilcoxon_signed_rank,
)

RANK_TEST_RULE = (
    "exact p when each group has fewer than {limit} values and there are no ties (signed-rank: "
    "and no zero differences; zeros are dropped); otherwise the normal approximation with tie "
    "correction and continuity correction (R wilcox.test)"
)
BETWEEN_ARM_OUTCOMES = ("change", "follow_up_slope")


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.mean()) if len(values) else float("nan")


@dataclass(frozen=True)
class ArmSummary:
    """One arm: mean slopes (points/month) and change (points); follow-up vs lead-in slope tests
    over the ``n_paired`` subjects with both slopes."""

    arm: str
    n: int
    n_paired: int
    mean_lead_in_slope: float
    mean_follow_up_slope: float
    mean_change: float
    paired_t: TestResult
    wilcoxon: TestResult
    slope_difference: Estimate  # mean of follow-up minus lead-in slope, paired t CI
    hodges_lehmann: Estimate  # pseudo-median of follow-up minus lead-in slope

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mean_lead_in_slope": plain(self.mean_lead_in_slope),
            "mean_follow_up_slope": plain(self.mean_follow_up_slope),
            "mean_change": plain(self.mean_change),
            "paired_t_p": plain(self.paired_t.p_value),
            "wilcoxon_p": plain(self.wilcoxon.p_value),
            "n_paired": self.n_paired,
            "mean_slope_difference": self.slope_difference.to_dict(),
            "hodges_lehmann": self.hodges_lehmann.to_dict(),
            "paired_t": self.paired_t.to_dict(),
            "wilcoxon": self.wilcoxon.to_dict(),
        }


@dataclass(frozen=True)
class BetweenArms:
    """Treated minus control for one outcome (``change`` in points or ``follow_up_slope`` in
    points/month): Welch's t and Mann-Whitney U, two-sided."""

    outcome: str
    n_treated: int
    n_control: int
    mean_treated: float
    mean_control: float
    difference: Estimate
    welch_t: TestResult
    mann_whitney: TestResult
    hodges_lehmann: Estimate  # median of treated-minus-control differences
    #: Treated mean minus the ATT-weighted control mean, when registry controls carry unequal
    #: matching weights (matching with replacement or a variable ratio); ``None`` otherwise.
    weighted_difference: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "difference": plain(self.difference.estimate),
            "welch_t_p": plain(self.welch_t.p_value),
            "mann_whitney_p": plain(self.mann_whitney.p_value),
            "difference_ci": [plain(self.difference.ci_low), plain(self.difference.ci_high)],
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "mean_treated": plain(self.mean_treated),
            "mean_control": plain(self.mean_control),
            "hodges_lehmann": self.hodges_lehmann.to_dict(),
            "welch_t": self.welch_t.to_dict(),
            "mann_whitney": self.mann_whitney.to_dict(),
            "weighted_difference": plain(self.weighted_difference),
        }


def weighted_difference(
    treated: pd.DataFrame, control: pd.DataFrame, outcome: str, matching: Any
) -> float | None:
    """Treated mean minus the control mean weighted by the matching's ATT weights (MatchIt's
    weights: a control matched to several treated subjects counts for each of them).

    Only a point estimate: the tests beside it (Welch, Mann-Whitney) have no weighted form that
    reproduces R, and a valid standard error must account for controls reused across treated
    subjects (Abadie-Imbens or a bootstrap over the matching), which is not implemented
    (docs/NOTES.md "Registry controls and matching weights"). ``None`` when every weight is
    equal (then the unweighted tests already estimate the ATT) or no matching was done.
    """
    if matching is None or getattr(matching, "weights", None) is None:
        return None
    weights = control["subject_id"].map(matching.weights).to_numpy(dtype=float)
    values = control[outcome].to_numpy(dtype=float)
    keep = ~np.isnan(values) & ~np.isnan(weights)
    if not keep.any() or np.allclose(weights[keep], weights[keep][0]):
        return None
    return _mean(treated[outcome]) - float(np.average(values[keep], weights=weights[keep]))


@dataclass(frozen=True)
class EfficacyResult:
    settings: AnalysisSettings
    slopes: SubjectSlopes
    arms: dict[str, ArmSummary]
    between_arms: dict[str, BetweenArms]
    responders: ResponderAnalysis
    mixed_treated: MixedModelResult
    mixed_two_arm: MixedModelResult | None
    cafs: CafsResult | None
    counts: dict[str, Any] = field(default_factory=dict)
    matching: Any = None  # alstrial.analysis.controls.MatchResult when controls were matched
    unmatched_treated: UnmatchedTreated | None = None  # treated left out of between-arm tests

    def summary(self) -> pd.DataFrame:
        """One row per arm: n, mean slopes and change, within-arm p-values."""
        rows = []
        for arm, s in self.arms.items():
            rows.append(
                {
                    "arm": arm,
                    "n": s.n,
                    "n_paired": s.n_paired,
                    "mean_lead_in_slope": s.mean_lead_in_slope,
                    "mean_follow_up_slope": s.mean_follow_up_slope,
                    "mean_change": s.mean_change,
                    "mean_slope_difference": s.slope_difference.estimate,
                    "ci_low": s.slope_difference.ci_low,
                    "ci_high": s.slope_difference.ci_high,
                    "paired_t_p": s.paired_t.p_value,
                    "wilcoxon_p": s.wilcoxon.p_value,
                    "wilcoxon_method": s.wilcoxon.method,
                }
            )
        return pd.DataFrame(rows)

    def tests_table(self) -> pd.DataFrame:
        """Every hypothesis test: comparison, test, statistic, p-value, method, n."""
        rows = []
        for arm, s in self.arms.items():
            if s.n == 0:
                continue  # an arm without subjects has no tests to list
            for test in (s.paired_t, s.wilcoxon):
                rows.append({"comparison": f"{arm}: follow-up vs lead-in slope", **test.to_dict()})
        both_arms = all(s.n > 0 for s in self.arms.values())
        for outcome, b in self.between_arms.items() if both_arms else ():
            for test in (b.welch_t, b.mann_whitney):
                rows.append({"comparison": f"treated vs control: {outcome}", **test.to_dict()})
        if self.cafs is not None:
            rows.append({"comparison": "treated vs control: CAFS", **self.cafs.test.to_dict()})
        frame = pd.DataFrame(rows)
        if len(frame):
            frame["n"] = frame["n"].map(
                lambda n: "/".join(map(str, n)) if isinstance(n, list) else n
            )
        return frame

    def to_dict(self) -> dict[str, Any]:
        settings = self.settings.to_dict()
        settings["rank_test_rule"] = RANK_TEST_RULE.format(limit=self.settings.exact_rank_limit)
        slopes = self.slopes.to_dict()
        mixed = {"treated": self.mixed_treated.to_dict()}
        if self.mixed_two_arm is not None:
            mixed["two_arm"] = self.mixed_two_arm.to_dict()
        return {
            "settings": settings,
            "subjects": slopes["subjects"],
            "arms": {arm: summary.to_dict() for arm, summary in self.arms.items()},
            "between_arms": {k: v.to_dict() for k, v in self.between_arms.items()},
            "mixed_model": mixed,
            "responders": self.responders.to_dict(),
            "responder_tests": [c.to_dict() for c in self.responders.comparisons],
            "cafs": None if self.cafs is None else self.cafs.to_dict(),
            "exclusions": slopes["exclusions"],
            "counts": self.counts,
            "matching": None if self.matching is None else self.matching.to_dict(),
            "unmatched_treated": (
                None if self.matching is None else self.unmatched_treated.to_dict()
            ),
        }


@dataclass(frozen=True)
class UnmatchedTreated:
    """Treated subjects without a matched registry control: left out of every between-arm
    comparison (the estimand is the effect in the matched treated, ATT) and summarised here.
    Means in points/month (slopes) and points (change)."""

    subjects: pd.DataFrame  # subject_id, reason, lead_in_slope, follow_up_slope, change

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": len(self.subjects),
            "mean_lead_in_slope": plain(_mean(self.subjects["lead_in_slope"])),
            "mean_follow_up_slope": plain(_mean(self.subjects["follow_up_slope"])),
            "mean_change": plain(_mean(self.subjects["change"])),
            "subjects": records(self.subjects),
        }


def matched_set(table: pd.DataFrame, matching: Any) -> tuple[pd.DataFrame, UnmatchedTreated]:
    """The rows of the slope table that enter between-arm comparisons, and the unmatched treated.

    Without matching (a trial's own control arm) every row is compared. With registry controls
    only the treated with at least one matched control are compared (ATT: balance is shown for
    exactly these, see :class:`~alstrial.analysis.balance.BalanceTable`); the others are reported
    apart, with the matcher's reason where it gave one.
    """
    columns = ["subject_id", "reason", "lead_in_slope", "follow_up_slope", "change"]
    if matching is None:
        return table, UnmatchedTreated(pd.DataFrame(columns=columns))
    matched_ids = set(matching.matches["treated_id"])
    treated = table["arm"] == "treated"
    unmatched = table[treated & ~table["subject_id"].isin(matched_ids)]
    reasons = dict(zip(matching.unmatched["treated_id"], matching.unmatched["reason"], strict=True))
    unmatched = unmatched.assign(
        reason=[reasons.get(sid, "no matched control") for sid in unmatched["subject_id"]]
    )
    compared = table[~treated | table["subject_id"].isin(matched_ids)]
    return compared, UnmatchedTreated(unmatched[columns].reset_index(drop=True))


def visits_after_window(data: AnalysisData, follow_up_days: int) -> dict[str, int]:
    """Visits of each arm later than ``index_day + follow_up_days``: held, but outside the
    analysis window (a protocol's visit held late, or a follow-up window set too short)."""
    days = data.visits[["subject_id", "day"]].merge(
        data.subjects[["subject_id", "arm", "index_day"]], on="subject_id"
    )
    late = days["day"].astype(float) > days["index_day"].astype(float) + follow_up_days
    return {arm: int((late & (days["arm"] == arm)).sum()) for arm in ARMS}


def analyse(
    data: AnalysisData, settings: AnalysisSettings | None = None, matching: Any = None
) -> EfficacyResult:
    """Run the whole efficacy analysis (see the module docstring); ``matching`` (the match
    result of registry controls, if any) is carried into the result and its JSON, and limits
    the between-arm comparisons to the matched treated (:func:`matched_set`)."""
    settings = settings or AnalysisSettings()
    slopes = subject_slopes(data, settings)
    table = slopes.table
    arms = {arm: _arm_summary(arm, table[table["arm"] == arm], settings) for arm in ARMS}
    compared, unmatched = matched_set(table, matching)
    treated = compared[compared["arm"] == "treated"]
    control = compared[compared["arm"] == "control"]
    between = {
        outcome: BetweenArms(
            outcome=outcome,
            n_treated=int(treated[outcome].notna().sum()),
            n_control=int(control[outcome].notna().sum()),
            mean_treated=_mean(treated[outcome]),
            mean_control=_mean(control[outcome]),
            difference=welch_difference(treated[outcome], control[outcome], settings.confidence),
            welch_t=welch_t(treated[outcome], control[outcome]),
            mann_whitney=mann_whitney(
                for_ranking(treated[outcome]),
                for_ranking(control[outcome]),
                settings.exact_rank_limit,
            ),
            hodges_lehmann=hodges_lehmann_shift(
                for_ranking(treated[outcome]),
                for_ranking(control[outcome]),
                settings.confidence,
                settings.exact_rank_limit,
            ),
            weighted_difference=weighted_difference(treated, control, outcome, matching),
        )
        for outcome in BETWEEN_ARM_OUTCOMES
    }
    visits, _ = windowed_visits(data, settings)
    mixed_treated = fit_piecewise(visits, two_arm=False, confidence=settings.confidence)
    compared_visits = visits[visits["subject_id"].isin(compared["subject_id"])]
    mixed_two_arm = (
        fit_piecewise(compared_visits, two_arm=True, confidence=settings.confidence)
        if len(control)
        else None
    )
    died = slopes.exclusion_counts()["died_during_follow_up"]
    cafs_result = (
        cafs(
            compared,
            data.subjects,
            compared_visits,
            settings.follow_up_days,
            settings.time_point,
            settings.time_point_window_before_days,
            settings.exact_rank_limit,
        )
        if died and len(treated) and len(control)
        else None
    )
    counts = {
        "subjects": {arm: int((data.subjects["arm"] == arm).sum()) for arm in ARMS},
        "analysed": {arm: int((table["arm"] == arm).sum()) for arm in ARMS},
        "visits": len(data.visits),
        "visits_analysed": len(visits),
        "visits_after_follow_up_window": visits_after_window(data, settings.follow_up_days),
    }
    return EfficacyResult(
        settings=settings,
        slopes=slopes,
        arms=arms,
        between_arms=between,
        responders=responders(
            compared,
            settings.absolute_thresholds,
            settings.relative_thresholds,
            settings.confidence,
        ),
        mixed_treated=mixed_treated,
        mixed_two_arm=mixed_two_arm,
        cafs=cafs_result,
        counts=counts,
        matching=matching,
        unmatched_treated=unmatched,
    )


def _arm_summary(arm: str, table: pd.DataFrame, settings: AnalysisSettings) -> ArmSummary:
    pre = table["lead_in_slope"].to_numpy(dtype=float)
    post = table["follow_up_slope"].to_numpy(dtype=float)
    # rank statistics on the rounded differences: equal or zero in exact arithmetic stays so
    differences = for_ranking(post - pre)
    zeros = np.zeros_like(differences)
    return ArmSummary(
        arm=arm,
        n=len(table),
        n_paired=int(np.sum(~np.isnan(pre) & ~np.isnan(post))),
        mean_lead_in_slope=_mean(table["lead_in_slope"]),
        mean_follow_up_slope=_mean(table["follow_up_slope"]),
        mean_change=_mean(table["change"]),
        paired_t=paired_t(post, pre),
        wilcoxon=wilcoxon_signed_rank(differences, zeros, settings.exact_rank_limit),
        slope_difference=paired_difference(post, pre, settings.confidence),
        hodges_lehmann=hodges_lehmann_paired(
            differences, zeros, settings.confidence, settings.exact_rank_limit
        ),
    )
