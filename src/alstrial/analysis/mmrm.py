"""The MMRM of a randomised trial: change from baseline at the scheduled visits.

Definitions (docs/analysis.md, "Randomised trials"):
- baseline: the last visit at or before ``index_day`` (the day of randomisation, label ``BL``);
  the rows are the labelled visits after it, ``change`` = total minus the baseline total
  (ALSFRS-R points). Visits after tracheostomy or permanent ventilation are left out, as in every
  analysis (docs/domain.md: these events end the ALSFRS-R series).
- visits are ordered by time (the median day after randomisation of each label), not by label:
  ``M10`` comes after ``M2``. Subjects with no labelled visit after baseline leave the MMRM.
- model: ``change ~ visit + arm + visit:arm + baseline + visit:baseline``, unstructured
  covariance of the visits with a variance per visit (nlme ``gls`` with ``corSymm`` +
  ``varIdent``), REML (:mod:`.mmrm_kernel`). Stratum is not in the MMRM.
- least-squares means: each arm at each visit with baseline at its mean over the model's rows;
  the treatment difference is treated minus control at the last visit.
- degrees of freedom: Satterthwaite from the observed REML information, as nlme's ``apVar`` and
  emmeans' ``mode = "satterthwaite"`` compute them; or Kenward-Roger (:mod:`.mmrm_kr`), whose
  standard error is the KR-adjusted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrial.analysis import mmrm_kernel as kernel
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.mmrm_kr import kenward_roger
from alstrial.analysis.results import plain
from alstrial.domain.errors import FieldError

DF_METHODS = ("satterthwaite", "kenward_roger")
#: Subject-level covariates of every visit's mean: intercept, treated (0/1), baseline total.
COVARIATES = ("intercept", "treated", "baseline")
TREATED, BASELINE = 1, 2


def change_from_baseline(data: AnalysisData) -> pd.DataFrame:
    """One row per labelled post-randomisation visit: ``subject_id, arm, baseline, visit, day,
    change``, plus ``visit_order`` (0 = earliest visit by median day after randomisation).

    Subjects without a baseline (no visit at or before ``index_day``) have no rows.
    """
    subjects = data.subjects.set_index("subject_id")
    visits = data.visits.join(
        subjects[["arm", "index_day", "tracheostomy_day", "permanent_ventilation_day"]],
        on="subject_id",
    )
    visits = visits[visits["index_day"].notna()]
    before = visits[visits["day"] <= visits["index_day"]]
    baseline = before.groupby("subject_id")["alsfrs_r_total"].last()  # visits are day-sorted
    series_end = visits[["tracheostomy_day", "permanent_ventilation_day"]].min(axis=1)
    after = visits[
        (visits["day"] > visits["index_day"])
        & visits["visit"].notna()
        & ~(visits["day"] > series_end).fillna(False)
        & visits["subject_id"].isin(baseline.index)
    ].copy()
    after["baseline"] = after["subject_id"].map(baseline).astype(float)
    after["change"] = after["alsfrs_r_total"] - after["baseline"]
    after["since_randomisation"] = (after["day"] - after["index_day"]).astype(float)
    timing = after.groupby("visit")["since_randomisation"].median().sort_values(kind="stable")
    order = {label: i for i, label in enumerate(timing.index)}
    after["visit_order"] = after["visit"].map(order).astype(int)
    columns = ["subject_id", "arm", "baseline", "visit", "visit_order", "day", "change"]
    return after[columns].sort_values(["subject_id", "visit_order"], ignore_index=True)


@dataclass(frozen=True)
class TreatmentDifference:
    """Treated minus control LS mean of change at ``visit`` (ALSFRS-R points)."""

    visit: str
    estimate: float
    se: float
    df: float
    p: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class MmrmResult:
    """The MMRM fit: the contract keys are ``treatment_difference`` and ``df_method``."""

    treatment_difference: TreatmentDifference
    df_method: str
    se_adjusted: bool
    visits: tuple[str, ...]
    n_subjects: dict[str, int]
    n_rows: int
    ls_means: pd.DataFrame
    covariance: np.ndarray
    log_likelihood: float
    converged: bool
    iterations: int
    confidence: float = 0.95
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment_difference": self.treatment_difference.to_dict(),
            "df_method": self.df_method,
            "se_kenward_roger_adjusted": self.se_adjusted,
            "confidence": self.confidence,
            "visits": list(self.visits),
            "n_subjects": dict(self.n_subjects),
            "n_rows": self.n_rows,
            "ls_means": [
                {k: plain(v) for k, v in row.items()} for row in self.ls_means.to_dict("records")
            ],
            "covariance": [[plain(v) for v in row] for row in self.covariance],
            "reml_log_likelihood": plain(self.log_likelihood),
            "converged": self.converged,
            "iterations": self.iterations,
        }


def model_arrays(
    rows: pd.DataFrame, visits: int, extra: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Responses (N, V) with NaN where missing and covariates (N, 3) of each subject; with
    ``extra`` (a subject-level covariate by ``subject_id``, e.g. the prognostic score) a fourth
    column, which like the baseline gets its own coefficient at every visit."""
    subjects = pd.Index(rows["subject_id"].unique())
    position = subjects.get_indexer(rows["subject_id"])
    y = np.full((len(subjects), visits), np.nan)
    y[position, rows["visit_order"].to_numpy()] = rows["change"].to_numpy(float)
    first = rows.drop_duplicates("subject_id").set_index("subject_id").loc[subjects]
    z = np.column_stack(
        [
            np.ones(len(subjects)),
            (first["arm"] == "treated").to_numpy(float),
            first["baseline"].to_numpy(float),
        ]
    )
    if extra is not None:
        z = np.column_stack([z, extra.reindex(subjects).to_numpy(float)])
    return y, z


def fit_mmrm(
    data: AnalysisData,
    df_method: str = "satterthwaite",
    confidence: float = 0.95,
    prognostic_score: pd.Series | None = None,
) -> MmrmResult:
    """Fit the MMRM of change from baseline; raise ``FieldError`` when it cannot be fitted.

    ``prognostic_score`` (points, by ``subject_id``; :func:`alstrial.analysis.prognostic.
    prognostic_score`) adds ``score + visit:score`` to the model (PROCOVA), treated like the
    baseline; LS means then hold it at its mean over rows too."""
    if df_method not in DF_METHODS:
        raise FieldError("df_method", f"df_method must be one of {', '.join(DF_METHODS)}")
    rows = change_from_baseline(data)
    if rows.empty:
        raise FieldError("visit", "no labelled visit after randomisation: no MMRM")
    labels = tuple(rows.drop_duplicates("visit").sort_values("visit_order")["visit"])
    _check_estimable(rows, labels)
    if prognostic_score is not None:
        scores = prognostic_score.reindex(rows["subject_id"]).to_numpy(float)
        if np.isnan(scores).any():
            missing = rows["subject_id"].to_numpy()[np.isnan(scores)][0]
            raise FieldError("prognostic_score", f"subject {missing} has no prognostic score")
    y, z = model_arrays(rows, len(labels), prognostic_score)
    m = z.shape[1]
    sums = kernel.pattern_sums(y[None], z[None])
    fits = kernel.fit_reml(sums)
    if not fits.converged[0]:
        raise FieldError("visit", "the MMRM did not converge (REML optimum not reached)")
    contrast = np.zeros(len(labels) * m)
    contrast[(len(labels) - 1) * m + TREATED] = 1.0
    estimate = float(fits.beta[0, -1, TREATED])
    if df_method == "satterthwaite":
        variance, df = satterthwaite(sums, fits.theta, contrast, fits.hessian)
        se, df = float(np.sqrt(variance[0])), float(df[0])
    else:
        se, df = kenward_roger(sums, fits, contrast)
    quantile = stats.t.ppf(0.5 + confidence / 2, df)
    difference = TreatmentDifference(
        visit=labels[-1],
        estimate=estimate,
        se=se,
        df=df,
        p=float(2 * stats.t.sf(abs(estimate / se), df)),
        ci_low=estimate - quantile * se,
        ci_high=estimate + quantile * se,
    )
    arms = rows.drop_duplicates("subject_id")["arm"].value_counts()
    return MmrmResult(
        treatment_difference=difference,
        df_method=df_method,
        se_adjusted=df_method == "kenward_roger",
        visits=labels,
        n_subjects={arm: int(arms.get(arm, 0)) for arm in ("treated", "control")},
        n_rows=len(rows),
        ls_means=ls_means(
            fits,
            labels,
            float(rows["baseline"].mean()),
            None if prognostic_score is None else float(np.mean(scores)),
        ),
        covariance=fits.sigma[0],
        log_likelihood=float(fits.log_likelihood(sums)[0]),
        converged=True,
        iterations=int(fits.iterations[0]),
        confidence=confidence,
    )


def satterthwaite(
    sums: kernel.PatternSums,
    theta: np.ndarray,
    contrast: np.ndarray,
    hessian: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Variance of ``contrast' beta`` and its Satterthwaite df, ``2 v^2 / (g' I^-1 g)`` with the
    observed REML information ``I`` (half the deviance's Hessian, computed at ``theta`` (B, q)
    unless given)."""
    variance, grad = kernel.contrast_variance_gradient(sums, theta, contrast)
    if hessian is None:
        hessian = kernel.deviance_hessian(sums, theta)
    spread = np.einsum("bi,bi->b", grad, np.linalg.solve(hessian, grad[..., None])[..., 0])
    return variance, variance**2 / spread


def ls_means(
    fits: kernel.RemlFits,
    labels: tuple[str, ...],
    baseline_mean: float,
    score_mean: float | None = None,
) -> pd.DataFrame:
    """LS mean of change per visit and arm (baseline, and the prognostic score when fitted, at
    their means over rows), with its SE."""
    extra = () if score_mean is None else (score_mean,)
    m = len(COVARIATES) + len(extra)
    rows = []
    for j, label in enumerate(labels):
        for arm, treated in (("treated", 1.0), ("control", 0.0)):
            weights = np.zeros(len(labels) * m)
            weights[j * m : (j + 1) * m] = (1.0, treated, baseline_mean, *extra)
            rows.append(
                {
                    "visit": label,
                    "arm": arm,
                    "ls_mean": float(weights @ fits.beta[0].ravel()),
                    "se": float(np.sqrt(weights @ fits.a_inv[0] @ weights)),
                }
            )
    return pd.DataFrame(rows)


def _check_estimable(rows: pd.DataFrame, labels: tuple[str, ...]) -> None:
    """Every visit needs both arms, and every pair of visits a subject seen at both (otherwise
    their covariance is not estimable)."""
    for label in labels:
        arms = set(rows.loc[rows["visit"] == label, "arm"])
        missing = {"treated", "control"} - arms
        if missing:
            raise FieldError("visit", f"visit {label!r} has no {missing.pop()} subject: no MMRM")
    seen = rows.pivot(index="subject_id", columns="visit", values="change").notna()
    pairs = seen.astype(int).T @ seen.astype(int)
    for a in labels:
        for b in labels:
            if pairs.loc[a, b] == 0:
                raise FieldError("visit", f"no subject has both visit {a!r} and {b!r}: no MMRM")
