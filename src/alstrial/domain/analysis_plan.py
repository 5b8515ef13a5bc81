"""The analysis plan of a protocol: the estimand, the one primary analysis and the ordered
secondaries (``[analysis]`` keys ``estimand``, ``primary``, ``secondaries``; docs/protocols.md
and docs/analysis.md, "Analysis plan").

The analysis names are a closed vocabulary: each names one number of the analysis result
(:mod:`alstrial.analysis.plan` maps it to the ``--json`` field it reads) and the control types
whose trials produce it, so a protocol cannot pre-specify an analysis its design never runs.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Control types (``analysis.control``) that have a control arm to compare against.
_CONTROLLED = ("matched_external", "randomised")
_ANY = ("none", "matched_external", "randomised")


@dataclass(frozen=True)
class PlannedAnalysis:
    """One analysis of the vocabulary: what a clinician reads (``label``) and the control types
    (``analysis.control``) whose analyses produce it."""

    label: str
    controls: tuple[str, ...]


#: The closed vocabulary of analysis names, in the order they are described in docs/analysis.md.
ANALYSES: dict[str, PlannedAnalysis] = {
    "change_vs_control": PlannedAnalysis(
        "Change in ALSFRS-R over follow-up, treated minus control (Welch t, points)", _CONTROLLED
    ),
    "change_vs_control_rank": PlannedAnalysis(
        "Change in ALSFRS-R over follow-up, treated minus control (Hodges-Lehmann, "
        "Mann-Whitney U, points)",
        _CONTROLLED,
    ),
    "slope_vs_control": PlannedAnalysis(
        "Follow-up ALSFRS-R slope, treated minus control (Welch t, points/month)", _CONTROLLED
    ),
    "slope_change_vs_control_mixed": PlannedAnalysis(
        "Slope change after day 0, treated minus control (two-arm mixed model, points/month)",
        _CONTROLLED,
    ),
    "slope_change_treated_mixed": PlannedAnalysis(
        "Slope change after day 0 in the treated (treated-only mixed model, points/month)", _ANY
    ),
    "slope_change_treated_paired": PlannedAnalysis(
        "Follow-up minus lead-in slope in the treated (paired t, points/month)", _ANY
    ),
    "mmrm_difference": PlannedAnalysis(
        "Change from baseline at the last visit, treated minus control (MMRM LS means, points)",
        ("randomised",),
    ),
    "ancova_change": PlannedAnalysis(
        "Change from baseline at the last visit, treated minus control (ANCOVA, points)",
        ("randomised",),
    ),
    "survival_hazard_ratio": PlannedAnalysis(
        "Death, tracheostomy or permanent ventilation, treated against control (Cox hazard ratio)",
        ("randomised",),
    ),
    "rmst_difference": PlannedAnalysis(
        "Restricted mean event-free time, treated minus control (days)", ("randomised",)
    ),
}


@dataclass(frozen=True)
class AnalysisPlan:
    """The pre-specified plan: the estimand in words, the one primary analysis and the
    secondaries in their order of importance (names from :data:`ANALYSES`)."""

    estimand: str
    primary: str
    secondaries: tuple[str, ...] = ()

    def role(self, name: str) -> str:
        """``primary``, ``secondary`` or ``exploratory``: how the report labels an analysis."""
        if name == self.primary:
            return "primary"
        return "secondary" if name in self.secondaries else "exploratory"

    def to_dict(self) -> dict:
        return {
            "estimand": self.estimand,
            "primary": self.primary,
            "secondaries": list(self.secondaries),
        }


def plan_problems(
    primary: str, secondaries: tuple[str, ...], control: str
) -> list[tuple[str, str]]:
    """``(key, message)`` for each planned analysis the trial's control type never produces,
    and for a secondary that is also the primary (repeats are refused by the reader)."""
    named = [("primary", primary)] + [(f"secondaries[{i}]", s) for i, s in enumerate(secondaries)]
    problems = [
        (
            key,
            f"{name} needs control = {' or '.join(ANALYSES[name].controls)}; this protocol has "
            f"control = {control!r}",
        )
        for key, name in named
        if name in ANALYSES and control not in ANALYSES[name].controls
    ]
    problems += [
        (f"secondaries[{i}]", f"{name} is the primary analysis")
        for i, name in enumerate(secondaries)
        if name == primary
    ]
    return problems
