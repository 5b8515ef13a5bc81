"""Operating characteristics of a protocol's primary analysis, frozen when its analysis plan is
locked (docs/analysis.md, "Analysis plan").

The design simulated is the shipped design named like the protocol (``designs/<slug>.toml``),
with its primary analysis set to the simulator's counterpart of the protocol's primary
(:data:`SIMULATED_AS`): the type I error at no effect and the power at the stated effect, from
a stated seed and number of trials, so anyone can rerun them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation

#: Protocol analysis names (:data:`alstrial.domain.analysis_plan.ANALYSES`) -> the simulator's
#: analysis of the same comparison (:data:`alstrial.simulation.designs.ANALYSES`). Analyses the
#: simulator does not run (ANCOVA, survival) have no simulated operating characteristics.
SIMULATED_AS = {
    "change_vs_control": "welch_change",
    "change_vs_control_rank": "mann_whitney_change",
    "slope_vs_control": "welch_slope",
    "slope_change_vs_control_mixed": "mixed_model_slope_change",
    "slope_change_treated_paired": "paired_slope_t",
    "mmrm_difference": "mmrm",
}


def operating_characteristics(
    slug: str, primary: str, *, effect: float, trials: int, seed: int
) -> dict[str, Any]:
    """Type I error (effect 0) and power (``effect``: the treatment's slope change from the
    first dose, points/month) of ``primary`` in the design ``slug``, over ``trials`` simulated
    trials from ``seed``; rates are fractions with their 95 % intervals."""
    if primary not in SIMULATED_AS:
        raise FieldError(
            "analysis.primary",
            f"{primary} is not run by the simulator (it runs {', '.join(SIMULATED_AS)})",
        )
    try:
        design = load_design(slug)
    except (ValidationError, FieldError, OSError) as error:
        raise FieldError("design", f"no simulation design for trial {slug}: {error}") from None
    design = replace(design, primary=SIMULATED_AS[primary], secondary=())
    null = Simulation(design, effect=0.0).run(trials, seed).analyses[0]
    alternative = Simulation(design, effect=effect).run(trials, seed).analyses[0]
    return {
        "design": design.name,
        "analysis": design.primary,
        "alpha": design.alpha,
        "trials": trials,
        "seed": seed,
        "effect_points_per_month": effect,
        "type_i_error": null.rejection_rate,
        "type_i_error_ci": list(null.rejection_rate_ci),
        "power": alternative.rejection_rate,
        "power_ci": list(alternative.rejection_rate_ci),
    }
