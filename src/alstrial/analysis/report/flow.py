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
            )
        )
        title = (
            "MSC-treated" if arm == "treated" else ("Registry controls" if registry else "Controls")
        )
        flows.append(ArmFlow(arm, title, tuple(steps)))
    return tuple(flows)
