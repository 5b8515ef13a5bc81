"""ANCOVA of change from baseline at the last scheduled visit of a randomised trial.

Definition (docs/analysis.md, "Randomised trials"): the rows of the MMRM
(:func:`alstrial.analysis.mmrm.change_from_baseline`) at the last visit in time order, complete
cases only; ordinary least squares ``change ~ arm + baseline`` (+ ``stratum`` as a factor when
the subjects carry one). ``estimate`` is the treated coefficient (ALSFRS-R points), with its
t-test on the residual degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.mmrm import change_from_baseline
from alstrial.analysis.results import plain
from alstrial.domain.errors import FieldError


@dataclass(frozen=True)
class AncovaResult:
    """Contract keys ``estimate``, ``se``, ``df``, ``p``; ``visit`` and ``n`` say what was used."""

    estimate: float
    se: float
    df: float
    p: float
    ci_low: float
    ci_high: float
    visit: str
    n: dict[str, int]
    stratified: bool
    prognostic_score: bool = False  # adjusted for the prognostic score (PROCOVA)

    def to_dict(self) -> dict[str, Any]:
        return {k: plain(v) if not isinstance(v, dict) else v for k, v in self.__dict__.items()}


def fit_ancova(
    data: AnalysisData, confidence: float = 0.95, prognostic_score: pd.Series | None = None
) -> AncovaResult:
    """OLS of change at the last scheduled visit on arm and baseline (+ stratum).

    ``prognostic_score`` (points, by ``subject_id``; :func:`alstrial.analysis.prognostic.
    prognostic_score`) adds the registry-trained prognostic score as a covariate (PROCOVA); a
    subject at the last visit without a score is an error naming it."""
    rows = change_from_baseline(data)
    if rows.empty:
        raise FieldError("visit", "no labelled visit after randomisation: no ANCOVA")
    last = rows.loc[rows["visit_order"].idxmax(), "visit"]
    at_last = rows[rows["visit"] == last]
    strata = data.subjects.set_index("subject_id")["stratum"]
    stratified = bool(strata.notna().any())
    design = pd.DataFrame(
        {
            "const": 1.0,
            "treated": (at_last["arm"] == "treated").to_numpy(float),
            "baseline": at_last["baseline"].to_numpy(float),
        }
    )
    if prognostic_score is not None:
        score = prognostic_score.reindex(at_last["subject_id"]).to_numpy(float)
        if np.isnan(score).any():
            missing = at_last["subject_id"].to_numpy()[np.isnan(score)][0]
            raise FieldError("prognostic_score", f"subject {missing} has no prognostic score")
        design["prognostic_score"] = score
    if stratified:
        stratum = strata.reindex(at_last["subject_id"]).to_numpy()
        if pd.isna(stratum).any():
            raise FieldError("stratum", "stratum is missing for some subjects at the last visit")
        levels = sorted(set(stratum))
        for level in levels[1:]:  # the first level is the reference, as R's treatment coding
            design[f"stratum[{level}]"] = (stratum == level).astype(float)
    arms = at_last["arm"].value_counts()
    if arms.get("treated", 0) == 0 or arms.get("control", 0) == 0:
        raise FieldError("arm", f"visit {last!r} needs treated and control subjects: no ANCOVA")
    fit = sm.OLS(at_last["change"].to_numpy(float), design.to_numpy()).fit()
    if fit.df_resid < 1 or np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        raise FieldError("visit", f"too few subjects at visit {last!r} for the ANCOVA")
    low, high = fit.conf_int(1 - confidence)[1]
    return AncovaResult(
        estimate=float(fit.params[1]),
        se=float(fit.bse[1]),
        df=float(fit.df_resid),
        p=float(fit.pvalues[1]),
        ci_low=float(low),
        ci_high=float(high),
        visit=str(last),
        n={arm: int(arms.get(arm, 0)) for arm in ("treated", "control")},
        stratified=stratified,
        prognostic_score=prognostic_score is not None,
    )
