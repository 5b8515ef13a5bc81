"""The analyses a simulated design may name (``analysis.primary``/``secondary`` in
``designs/*.toml``): what each compares and how (docs/simulation.md, 'Design files').

Read through :mod:`.designs`, which checks a design's analyses against :data:`ANALYSES`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisSpec:
    """What an analysis compares and how.

    ``quantity``: ``paired`` (treated arm, follow-up minus lead-in slope, points/month),
    ``follow_up_slope`` (points/month), ``slope_change`` (follow-up minus lead-in slope,
    points/month) or ``change`` (last follow-up total minus baseline, points); the last three are
    compared between arms, treated minus control. ``test``: ``t`` (paired or Welch t) or
    ``rank`` (Wilcoxon signed-rank or Mann-Whitney U). The estimate is always the mean
    difference, so a beneficial treatment gives a positive estimate.

    ``quantity = "visits"``: a model fitted to the visits themselves (``test = "wald"``), run by
    :data:`alstrial.simulation.model_analyses.MODEL_ANALYSES` (docs/simulation.md "Model-based
    analyses"); its estimate is the model's treatment effect, positive when beneficial.
    ``requires_lead_in``: the analysis needs at least 2 lead-in visits (implied for
    ``paired`` and ``slope_change``). ``estimates``: for a model, the per-subject quantity whose
    between-arm difference it estimates (``slope_change`` or ``change``), which sets its target
    and closed-form weights (:func:`alstrial.simulation.results.analysis_target`).
    """

    quantity: str
    test: str
    description: str
    requires_lead_in: bool = False
    estimates: str = "slope_change"

    @property
    def target_quantity(self) -> str:
        """The quantity the estimate is compared with: its own, or a model's ``estimates``."""
        return self.estimates if self.quantity == "visits" else self.quantity

    @property
    def needs_controls(self) -> bool:
        return self.quantity != "paired"

    @property
    def needs_lead_in(self) -> bool:
        return self.requires_lead_in or self.quantity in ("paired", "slope_change")


#: The primary (and secondary) analyses a design may name; each is one test of the analysis
#: engine (:mod:`alstrial.analysis.tests`) applied to per-subject summaries
#: (:mod:`alstrial.analysis.slopes`).
ANALYSES = {
    "paired_slope_t": AnalysisSpec(
        "paired", "t", "treated arm: follow-up minus lead-in slope, paired t-test (points/month)"
    ),
    "paired_slope_wilcoxon": AnalysisSpec(
        "paired",
        "rank",
        "treated arm: follow-up minus lead-in slope, Wilcoxon signed-rank test (points/month)",
    ),
    "welch_slope": AnalysisSpec(
        "follow_up_slope",
        "t",
        "follow-up slope, treated minus control, Welch t-test (points/month)",
    ),
    "mann_whitney_slope": AnalysisSpec(
        "follow_up_slope",
        "rank",
        "follow-up slope, treated minus control, Mann-Whitney U test (points/month)",
    ),
    "welch_slope_change": AnalysisSpec(
        "slope_change",
        "t",
        "follow-up minus lead-in slope, treated minus control, Welch t-test (points/month)",
    ),
    "mann_whitney_slope_change": AnalysisSpec(
        "slope_change",
        "rank",
        "follow-up minus lead-in slope, treated minus control, Mann-Whitney U test (points/month)",
    ),
    "welch_change": AnalysisSpec(
        "change",
        "t",
        "ALSFRS-R change from baseline to the last follow-up visit, treated minus control, "
        "Welch t-test (points)",
    ),
    "mann_whitney_change": AnalysisSpec(
        "change",
        "rank",
        "ALSFRS-R change from baseline to the last follow-up visit, treated minus control, "
        "Mann-Whitney U test (points)",
    ),
    "mixed_model_slope_change": AnalysisSpec(
        "visits",
        "wald",
        "change in slope at the first dose, treated minus control: the two-arm piecewise mixed "
        "model's treated:t_post, REML, Wald test (points/month)",
        requires_lead_in=True,
    ),
    "mmrm": AnalysisSpec(
        "visits",
        "t",
        "ALSFRS-R change from baseline at the last follow-up visit, treated minus control: the "
        "MMRM's least-squares mean difference (unstructured covariance, REML), Satterthwaite t "
        "(points)",
        estimates="change",
    ),
}
