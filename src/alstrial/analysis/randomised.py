"""The analyses of a randomised trial (docs/analysis.md, "Randomised trials").

:func:`analyse_randomised` runs the MMRM of change from baseline (:mod:`.mmrm`), the ANCOVA at
the last scheduled visit (:mod:`.ancova`) and the time-to-event analysis (:mod:`.survival`) on
one validated :class:`~alstrial.analysis.data.AnalysisData`; its ``to_dict()`` gives the
``--json`` keys ``mmrm``, ``ancova`` and ``survival``. Given a prognostic score
(:func:`alstrial.analysis.prognostic.prognostic_score`), the MMRM and ANCOVA are also fitted
with it as a covariate (PROCOVA) under ``prognostic_adjusted``; the contract keys stay the
unadjusted analyses.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alstrial.analysis.ancova import AncovaResult, fit_ancova
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.mmrm import DF_METHODS, MmrmResult, fit_mmrm
from alstrial.analysis.prognostic import PrognosticScore
from alstrial.analysis.survival import SurvivalResult, analyse_survival
from alstrial.domain.errors import FieldError


@dataclass(frozen=True)
class RandomisedSettings:
    """``df_method``: ``satterthwaite`` or ``kenward_roger``; ``rmst_tau_days``: the RMST horizon
    (None: the smaller of the two arms' largest follow-up times); ``confidence`` of intervals."""

    df_method: str = "satterthwaite"
    rmst_tau_days: float | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.df_method not in DF_METHODS:
            raise FieldError("df_method", f"df_method must be one of {', '.join(DF_METHODS)}")
        if not 0 < self.confidence < 1:
            raise FieldError("confidence", "confidence must be between 0 and 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PrognosticAdjusted:
    """MMRM and ANCOVA with the prognostic score as a covariate, and the score's model (its
    coefficients and held-out calibration)."""

    prognostic: PrognosticScore
    mmrm: MmrmResult
    ancova: AncovaResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "prognostic_model": self.prognostic.model.to_dict(),
            "mmrm": self.mmrm.to_dict(),
            "ancova": self.ancova.to_dict(),
        }


@dataclass(frozen=True)
class RandomisedResult:
    settings: RandomisedSettings
    mmrm: MmrmResult
    ancova: AncovaResult
    survival: SurvivalResult
    prognostic_adjusted: PrognosticAdjusted | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": "randomised",
            "settings": self.settings.to_dict(),
            "mmrm": self.mmrm.to_dict(),
            "ancova": self.ancova.to_dict(),
            "survival": self.survival.to_dict(),
            "prognostic_adjusted": (
                None if self.prognostic_adjusted is None else self.prognostic_adjusted.to_dict()
            ),
        }


def analyse_randomised(
    data: AnalysisData,
    settings: RandomisedSettings | None = None,
    prognostic: PrognosticScore | None = None,
) -> RandomisedResult:
    """MMRM, ANCOVA and survival of a two-arm randomised trial; with ``prognostic`` also the
    prognostic-score-adjusted MMRM and ANCOVA."""
    settings = settings or RandomisedSettings()
    adjusted = None
    if prognostic is not None:
        score = prognostic.by_subject()
        adjusted = PrognosticAdjusted(
            prognostic=prognostic,
            mmrm=fit_mmrm(data, settings.df_method, settings.confidence, score),
            ancova=fit_ancova(data, settings.confidence, score),
        )
    return RandomisedResult(
        settings=settings,
        mmrm=fit_mmrm(data, settings.df_method, settings.confidence),
        ancova=fit_ancova(data, settings.confidence),
        survival=analyse_survival(data, settings.rmst_tau_days),
        prognostic_adjusted=adjusted,
    )


#: The files :func:`write_randomised_outputs` writes (``alstrial analyse --design randomised
#: --out DIR``): the result object, the MMRM's LS means, the Kaplan-Meier table and figure.
RANDOMISED_OUTPUT_NAMES = ("randomised.json", "mmrm_ls_means.csv", "km_table.csv", "km_curve.svg")


def write_randomised_outputs(result: RandomisedResult, folder: Path) -> list[Path]:
    """Write the randomised analyses' files into ``folder``; returns them."""
    # matplotlib loads only when the figures are written: fitting the analyses needs none.
    import matplotlib.pyplot as plt

    from alstrial.analysis.survival_figure import km_figure

    folder.mkdir(parents=True, exist_ok=True)
    json_path, lsm_path, km_path, figure_path = (folder / n for n in RANDOMISED_OUTPUT_NAMES)
    json_path.write_text(json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n")
    result.mmrm.ls_means.to_csv(lsm_path, index=False)
    result.survival.km.to_csv(km_path, index=False)
    figure = km_figure(result.survival)
    try:
        figure.savefig(figure_path)
    finally:
        plt.close(figure)
    return [json_path, lsm_path, km_path, figure_path]
