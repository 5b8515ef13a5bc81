"""The study flow of the report: from screening to the analysed subjects, with reasons.

Counts come from the analysis files and the result's exclusion list; screening numbers come
from the caller (the database knows who was screened, analysis files do not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import EfficacyResult
from alstrial.analysis.slopes import EXCLUSION_RULES

#: Rules that remove a subject before the index day (never treated / no index).
BEFORE_INDEX = ("missing_index_day", "death_before_index")
#: Rules that leave a slope null (subject not in the paired analysis).
NO_SLOPE = ("no_baseline", "too_few_lead_in_visits", "no_follow_up_visit")


@dataclass(frozen=True)
class FlowStep:
    label: str
    n: int | None
    reasons: tuple[tuple[str, int], ...] = field(default=())
    detail: str = ""


@dataclass(frozen=True)
class ArmFlow:
    arm: str
    title: str
    steps: tuple[FlowStep, ...]


def _reasons(result: EfficacyResult, arm: str, rules) -> tuple[tuple[str, int], ...]:
    frame = result.slopes.exclusions
    frame = frame[frame["arm"] == arm]
    out = []
    for rule in rules:
        n = int(frame.loc[frame["rule"] == rule, "subject_id"].nunique())
        if n:
            out.append((EXCLUSION_RULES[rule], n))
    return tuple(out)


def _late_visits(result: EfficacyResult, arm: str) -> str:
    """The visits held after the follow-up window, which no analysis uses, when there are any."""
    late = result.counts.get("visits_after_follow_up_window", {}).get(arm, 0)
    if not late:
        return ""
    return (
        f"{late} visit{'s' if late != 1 else ''} after the {result.settings.follow_up_days}-day "
        "follow-up window not analysed"
    )


def _compared_with_controls(result: EfficacyResult) -> FlowStep:
    """Treated subjects in the between-arm comparisons (ATT): those with a matched control; the
    unmatched are counted by reason (docs/analysis.md, "Matched registry controls")."""
    unmatched = result.unmatched_treated.subjects
    reasons = unmatched["reason"].value_counts(sort=False)
    table = result.slopes.table
    compared = int((table["arm"] == "treated").sum()) - len(unmatched)
    return FlowStep(
        "Compared with matched registry controls",
        compared,
        tuple((str(reason), int(n)) for reason, n in reasons.items()),
        detail="treated without a matched control are summarised apart, in no between-arm test",
    )


def study_flow(
    result: EfficacyResult,
    data: AnalysisData,
    screening: Mapping[str, Any] | None = None,
    matching: Any = None,
) -> tuple[ArmFlow, ...]:
    """Steps per arm: screened (when given), enrolled, treated or indexed, analysed."""
    flows = []
    for arm in ("treated", "control"):
        enrolled = int((data.subjects["arm"] == arm).sum())
        if enrolled == 0:
            continue
        steps = []
        if arm == "treated" and screening:
            reasons = tuple((str(k), int(v)) for k, v in screening.get("reasons", {}).items())
            steps.append(FlowStep("Screened", int(screening["screened"]), reasons))
        registry = arm == "control" and matching is not None
        if registry:
            steps.append(
                FlowStep(
                    "Eligible registry patients",
                    int(matching.flow["eligible"]),
                    detail=f"of {matching.flow['registry_patients']} registry patients",
                )
            )
        steps.append(FlowStep("Matched to the treated" if registry else "Enrolled", enrolled))
        before = _reasons(result, arm, BEFORE_INDEX)
        indexed = enrolled - sum(n for _, n in before)
        steps.append(
            FlowStep(
                "Treated (first injection)" if arm == "treated" else "With an index day",
                indexed,
                before,
            )
        )
        summary = result.arms[arm]
        steps.append(
            FlowStep(
                "Analysed: lead-in and follow-up slopes",
                summary.n_paired,
                _reasons(result, arm, NO_SLOPE),
                detail=_late_visits(result, arm),
            )
        )
        if arm == "treated" and matching is not None and result.unmatched_treated is not None:
            steps.append(_compared_with_controls(result))
        title = (
            "MSC-treated" if arm == "treated" else ("Registry controls" if registry else "Controls")
        )
        flows.append(ArmFlow(arm, title, tuple(steps)))
    return tuple(flows)
