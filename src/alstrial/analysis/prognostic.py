"""Prognostic covariate adjustment (PROCOVA): a prognostic score of the ALSFRS-R change at the
primary time point, trained on a natural-history registry (EMA qualification opinion on PROCOVA,
2022; docs/analysis.md "Prognostic score").

**Training set.** Every registry patient of the control pool (:mod:`.registry_pool`: index day
chosen on what is known then) who is alive with an ALSFRS-R visit at the time point: the outcome
is the change from the index-day total to the visit closest to the time point in its window
(:func:`.cafs.change_at_time_point`, the rule CAFS uses; points). Patients who died or have no
visit there have no outcome and do not train the model (the score predicts the change of a
patient who is alive and seen at the time point).

**Model.** Ordinary least squares of the outcome on the covariates at the index day
(:data:`PROGNOSTIC_COVARIATES`: age, disease duration, baseline ALSFRS-R, dFS, lead-in slope,
bulbar onset, male sex; the same definitions for registry and trial patients,
:func:`alstrial.analysis.controls.treated_covariates`). A linear model is the one PROCOVA's
qualification describes for a continuous outcome and is checked against R's ``lm``.

**Cross-fitting and calibration.** The registry patients are split at random (fixed seed) into
``folds`` folds; each fold is predicted by the model fitted to the other folds, so every
registry patient has an out-of-fold prediction made without its own outcome. Calibration is
shown on these held-out predictions: the calibration intercept and slope (OLS of observed on
predicted; 0 and 1 when calibrated) and R^2 = 1 - sum (observed - predicted)^2 / sum (observed -
mean)^2. The trial's subjects are scored by the model fitted to the whole training set, which
never sees a trial outcome, so the score is a baseline covariate for an ANCOVA or MMRM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.cafs import change_at_time_point
from alstrial.analysis.controls import treated_covariates
from alstrial.analysis.registry_pool import ControlPool, control_pool
from alstrial.analysis.results import plain, records
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.errors import FieldError

#: Covariates at the index day; ``bulbar_onset`` and ``male`` are 0/1 indicators.
PROGNOSTIC_COVARIATES = (
    "age_years",
    "disease_duration_months",
    "baseline_alsfrs_r",
    "delta_fs",
    "lead_in_slope",
    "bulbar_onset",
    "male",
)
#: Default number of cross-fitting folds and seed of their random split.
FOLDS = 5
SEED = 20220101


def with_indicators(covariates: pd.DataFrame) -> pd.DataFrame:
    """``covariates`` plus ``bulbar_onset`` and ``male`` (0/1; empty when the source is)."""
    site = covariates["onset_site"].astype("string").str.lower()
    sex = covariates["sex"].astype("string").str.upper()
    return covariates.assign(
        bulbar_onset=(site == "bulbar").astype("Float64").where(site.notna()),
        male=(sex == "M").astype("Float64").where(sex.notna()),
    )


def registry_training_set(pool: ControlPool, settings: AnalysisSettings) -> pd.DataFrame:
    """Registry patients with an outcome at the time point: ``subject_id``, the covariates
    (:data:`PROGNOSTIC_COVARIATES`), ``time_point_day`` and ``outcome`` (change, points)."""
    candidates = pool.candidates
    alive = candidates["death_day"].isna() | (
        candidates["death_day"].astype("Float64") > candidates["index_day"] + settings.time_point
    )
    outcome = change_at_time_point(
        candidates.loc[alive.fillna(True).astype(bool)].rename(
            columns={"baseline_alsfrs_r": "baseline_total"}
        ),
        pool.visits,
        settings.time_point_window,
        settings.time_point,
    ).rename(columns={"change": "outcome"})
    training = with_indicators(candidates).merge(outcome, on="subject_id")
    columns = ["subject_id", *PROGNOSTIC_COVARIATES, "time_point_day", "outcome"]
    complete = training[list(PROGNOSTIC_COVARIATES)].notna().all(axis=1)
    return training.loc[complete, columns].reset_index(drop=True)


def _design(frame: pd.DataFrame, covariates: tuple[str, ...]) -> np.ndarray:
    values = frame[list(covariates)].to_numpy(dtype=float)
    return np.column_stack([np.ones(len(frame)), values])


def _ols(x: np.ndarray, y: np.ndarray, covariates: tuple[str, ...]) -> np.ndarray:
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise FieldError(
            "covariates",
            f"the prognostic covariates are collinear in the registry ({', '.join(covariates)})",
        )
    return np.linalg.lstsq(x, y, rcond=None)[0]


@dataclass(frozen=True)
class Calibration:
    """Calibration of out-of-fold predictions on held-out registry patients (points)."""

    n: int
    intercept: float  # OLS of observed on predicted: 0 when calibrated
    slope: float  # 1 when calibrated
    r_squared: float  # 1 - SS(observed - predicted) / SS(observed - mean)

    def to_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


def calibration(observed: Any, predicted: Any) -> Calibration:
    """Calibration intercept, slope and R^2 of ``predicted`` against ``observed``."""
    y = np.asarray(observed, dtype=float)
    p = np.asarray(predicted, dtype=float)
    intercept, slope = np.linalg.lstsq(np.column_stack([np.ones(len(p)), p]), y, rcond=None)[0]
    r_squared = 1.0 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)
    return Calibration(len(y), float(intercept), float(slope), float(r_squared))


@dataclass(frozen=True)
class PrognosticModel:
    """The fitted prognostic model: ``coefficients`` (intercept first; points per unit of each
    covariate), the cross-fitted ``held_out`` predictions (``subject_id, fold, outcome,
    predicted``) and their :class:`Calibration`."""

    covariates: tuple[str, ...]
    coefficients: pd.Series
    folds: int
    seed: int
    held_out: pd.DataFrame
    calibration: Calibration
    time_point_days: int

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted change at the time point (points); NaN where a covariate is missing."""
        x = _design(frame, self.covariates)
        return x @ self.coefficients.to_numpy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": f"ALSFRS-R change from the index day to day {self.time_point_days}",
            "model": "ordinary least squares",
            "covariates": list(self.covariates),
            "coefficients": {k: plain(v) for k, v in self.coefficients.items()},
            "folds": self.folds,
            "seed": self.seed,
            "n_training": len(self.held_out),
            "calibration": self.calibration.to_dict(),
        }


def fit_prognostic_model(
    training: pd.DataFrame,
    covariates: tuple[str, ...] = PROGNOSTIC_COVARIATES,
    folds: int = FOLDS,
    seed: int = SEED,
    time_point_days: int = 0,
) -> PrognosticModel:
    """Cross-fitted OLS prognostic model of ``outcome`` on ``covariates`` (module docstring)."""
    if int(folds) != folds or folds < 2:
        raise FieldError("folds", f"folds must be a whole number of at least 2, got {folds!r}")
    n, p = len(training), len(covariates) + 1
    if n < folds * (p + 1):
        raise FieldError(
            "registry",
            f"{n} registry patients with an outcome at the time point: too few to fit "
            f"{p} coefficients in each of {folds} folds",
        )
    x = _design(training, covariates)
    y = training["outcome"].to_numpy(dtype=float)
    fold = np.random.default_rng(seed).permutation(n) % folds
    predicted = np.empty(n)
    for k in range(folds):
        held = fold == k
        predicted[held] = x[held] @ _ols(x[~held], y[~held], covariates)
    held_out = pd.DataFrame(
        {"subject_id": training["subject_id"], "fold": fold, "outcome": y, "predicted": predicted}
    )
    return PrognosticModel(
        covariates=tuple(covariates),
        coefficients=pd.Series(_ols(x, y, covariates), index=["intercept", *covariates]),
        folds=int(folds),
        seed=int(seed),
        held_out=held_out,
        calibration=calibration(y, predicted),
        time_point_days=int(time_point_days),
    )


@dataclass(frozen=True)
class PrognosticScore:
    """Each trial subject's prognostic score (``subject_id, prognostic_score``; points, NaN
    when a covariate is missing, with the ``reason``) and the model that made it."""

    scores: pd.DataFrame
    model: PrognosticModel

    def by_subject(self) -> pd.Series:
        """The scores indexed by ``subject_id`` (an extra covariate for ANCOVA or MMRM)."""
        return self.scores.set_index("subject_id")["prognostic_score"]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model.to_dict(), "subjects": records(self.scores)}


def prognostic_score(
    subjects: pd.DataFrame,
    visits: pd.DataFrame,
    registry: Any,
    settings: AnalysisSettings | None = None,
    covariates: tuple[str, ...] = PROGNOSTIC_COVARIATES,
    folds: int = FOLDS,
    seed: int = SEED,
    lead_in_days: int = 90,
    window_days: int = 14,
) -> PrognosticScore:
    """The prognostic score of every subject (both arms) of the trial's analysis frames.

    The model is trained on ``registry`` (PRO-ACT frames, :func:`alstrial.registry.proact.
    read_registry`) at ``settings``' time point and window; the subjects' covariates are taken
    at their ``index_day`` as for matching. ``covariates`` may drop ``lead_in_slope`` for a
    trial without a lead-in (a randomised trial seen only at baseline).
    """
    settings = settings or AnalysisSettings()
    unknown = [c for c in covariates if c not in PROGNOSTIC_COVARIATES]
    if unknown:
        raise FieldError("covariates", f"not a prognostic covariate: {', '.join(unknown)}")
    pool = control_pool(
        registry, lead_in_days, settings.follow_up_days, window_days, settings.days_per_month
    )
    model = fit_prognostic_model(
        registry_training_set(pool, settings), covariates, folds, seed, settings.time_point
    )
    # Both arms take the covariate definitions of the treated (one rule for every subject).
    found, unusable = treated_covariates(
        subjects.assign(arm="treated"), visits, settings.days_per_month
    )
    found = with_indicators(found)
    score = model.predict(found)
    missing = found[list(covariates)].isna()
    reasons = np.where(missing.any(axis=1), "no " + missing.idxmax(axis=1), "")
    scores = pd.concat(
        [
            pd.DataFrame(
                {"subject_id": found["subject_id"], "prognostic_score": score, "reason": reasons}
            ),
            pd.DataFrame(
                {
                    "subject_id": unusable["treated_id"],
                    "prognostic_score": np.nan,
                    "reason": unusable["reason"],
                }
            ),
        ],
        ignore_index=True,
    )
    order = {sid: i for i, sid in enumerate(subjects["subject_id"])}
    scores = scores.sort_values("subject_id", key=lambda s: s.map(order), ignore_index=True)
    return PrognosticScore(scores=scores, model=model)
