"""Calibration of the natural-history model to a registry (PRO-ACT format, read by
:func:`alstrial.registry.proact.read_registry`).

The registry is duck-typed (its ``alsfrs``, ``subjects`` and ``fvc`` frames), so this module,
like the rest of ``simulation``, does not import the registry layer. Times are months from
entry (days / 30.4375); slopes are signed points/month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation.natural_history import (
    MAX_TOTAL,
    NaturalHistory,
    draw_patients,
    observe_totals,
    per_patient_ols,
    survival_linear_predictor,
)


def _visits_matrix(alsfrs: pd.DataFrame, subject_ids: pd.Index, window_days: float):
    """Revised-scale totals of each subject, (n, v) months and totals padded with NaN."""
    rows = alsfrs.loc[
        (alsfrs["scale"] == "R")
        & alsfrs["total"].notna()
        & (alsfrs["day"] >= 0)
        & (alsfrs["day"] <= window_days)
        & alsfrs["subject_id"].isin(subject_ids),
        ["subject_id", "day", "total"],
    ].sort_values(["subject_id", "day"], kind="stable")
    row = subject_ids.get_indexer(rows["subject_id"])
    col = rows.groupby("subject_id", sort=False).cumcount().to_numpy()
    width = int(col.max()) + 1 if len(col) else 1
    months = np.full((len(subject_ids), width), np.nan)
    totals = np.full((len(subject_ids), width), np.nan)
    months[row, col] = rows["day"].to_numpy(float) / DAYS_PER_MONTH
    totals[row, col] = rows["total"].to_numpy(float)
    return months, totals


def _weibull_fit(time, died, lp, shape0: float, scale0: float) -> tuple[float, float]:
    """Weibull PH maximum likelihood of (shape, scale) with a fixed linear predictor (offset)."""
    log_t = np.log(time)

    def negloglik(theta):
        log_k, log_l = theta
        k = np.exp(log_k)
        cum = np.exp(k * (log_t - log_l) + lp)
        log_h = log_k - log_l + (k - 1.0) * (log_t - log_l) + lp
        return -(died * log_h - cum).sum()

    fit = minimize(
        negloglik,
        [np.log(shape0), np.log(scale0)],
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000},
    )
    if not fit.success:
        raise RuntimeError(f"Weibull survival fit did not converge: {fit.message}")
    return float(np.exp(fit.x[0])), float(np.exp(fit.x[1]))


def _slope_statistics(months: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Naive cohort statistics of per-patient OLS: slope mean, SD, decline skew, noise SD.

    The OLS sampling variance sigma^2/Sxx is subtracted from the slope variance; the third
    cumulant needs no correction because the visit noise is symmetric.
    """
    slope, _, rss, n, sxx = per_patient_ols(months, totals)
    ok = ~np.isnan(slope)
    if ok.sum() < 10:
        raise ValueError(f"calibrate needs >= 10 subjects with 3 ALSFRS-R visits, got {ok.sum()}")
    noise_var = rss[ok].sum() / (n[ok] - 2).sum()
    s = slope[ok]
    var_true = max(s.var(ddof=1) - np.mean(noise_var / sxx[ok]), 1e-4)
    third = np.mean((s - s.mean()) ** 3)
    return np.array([s.mean(), np.sqrt(var_true), -third / var_true**1.5, np.sqrt(noise_var)])


def calibrate(
    registry, window_months: float = 12.0, prior: NaturalHistory | None = None
) -> NaturalHistory:
    """Estimate the natural-history parameters from an imported registry.

    ``registry`` is an :class:`alstrial.registry.proact.Registry` (duck-typed: its ``alsfrs``,
    ``subjects`` and ``fvc`` frames). Only revised-scale (ALSFRS-R) rows with ``day >= 0`` within
    ``window_months`` of entry are used; subjects need >= 3 such visits for a slope.

    Read directly: age, male and bulbar shares, months from onset at entry (log-normal),
    baseline mean and SD (first visit, noise variance removed), FVC at entry. Fitted: the
    Weibull survival shape and scale (time from entry, censored at the last ALSFRS-R visit)
    with the covariate hazard ratios held at the prior's values, since a year of trial
    follow-up has too few deaths to estimate them. Slope mean, SD, skew and the visit noise SD
    by indirect inference: the naive per-patient OLS statistics are biased by the floor, the
    acceleration and by death and dropout of fast progressors, so the model is simulated
    (20,000 patients, fixed seed) on the registry's typical visit grid and each parameter is
    shifted by the gap between the registry's and the simulation's statistic, four times.
    Kept from ``prior`` (default :meth:`NaturalHistory.literature`): acceleration, floor,
    correlations, bulbar shift, FVC slope link, hazard ratios and dropout.
    """
    prior = prior or NaturalHistory.literature()
    subjects = registry.subjects.set_index("subject_id")
    months, totals = _visits_matrix(registry.alsfrs, subjects.index, window_months * DAYS_PER_MONTH)
    observed = _slope_statistics(months, totals)
    # The simulated visits: the registry's median gap, up to its usual end of follow-up (the
    # 90th percentile of the subjects' last visit, within the window).
    gaps = np.diff(months, axis=1)
    last = np.where(np.isnan(months), -np.inf, months).max(axis=1)
    end = min(window_months, float(np.percentile(last[np.isfinite(last)], 90)))
    grid = np.arange(0.0, end + 1e-9, max(float(np.nanmedian(gaps)), 0.25))
    site = subjects["onset_site"].to_numpy()
    known_site = np.isin(site, ("bulbar", "spinal", "other"))
    baseline = totals[~np.isnan(totals[:, 0]), 0]
    onset_months = -subjects["onset_day"].to_numpy(float) / DAYS_PER_MONTH
    log_onset = np.log(onset_months[onset_months > 0])
    age = subjects["age_years"].dropna().to_numpy(float)
    fvc = registry.fvc.loc[registry.fvc["day"].between(-30, 30)]
    fvc_entry = fvc.sort_values("day").groupby("subject_id")["fvc_percent"].first()
    model = prior.replace(
        baseline_mean=float(baseline.mean()),
        baseline_sd=float(np.sqrt(max(baseline.var(ddof=1) - observed[3] ** 2, 1e-4))),
        age_mean=float(age.mean()),
        age_sd=float(age.std(ddof=1)),
        male_share=float((subjects["sex"].dropna() == "M").mean()),
        bulbar_share=float((site[known_site] == "bulbar").mean()),
        months_since_onset_median=float(np.exp(log_onset.mean())),
        months_since_onset_sdlog=float(log_onset.std(ddof=1)),
        fvc_mean=float(fvc_entry.mean()) if len(fvc_entry) > 10 else prior.fvc_mean,
        fvc_sd=float(fvc_entry.std(ddof=1)) if len(fvc_entry) > 10 else prior.fvc_sd,
    )
    model = _calibrate_survival(registry, subjects, model, fvc_entry)
    theta = observed.copy()
    for _ in range(4):
        model = model.replace(
            slope_mean=float(theta[0]),
            slope_sd=float(max(theta[1], 0.01)),
            slope_skew=float(np.clip(theta[2], -2.0, 2.0)),
            noise_sd=float(max(theta[3], 0.01)),
        )
        rng = np.random.default_rng(20090101)
        patients = draw_patients(20000, rng, model)
        theta = theta + observed - _slope_statistics(grid, observe_totals(patients, grid, rng))
    return model


def _calibrate_survival(registry, subjects, model: NaturalHistory, fvc_entry) -> NaturalHistory:
    """Weibull shape and scale from the registry's deaths, the covariate effects held fixed."""
    alsfrs = registry.alsfrs
    revised = alsfrs.loc[(alsfrs["scale"] == "R") & alsfrs["total"].notna()]
    revised = revised.sort_values("day", kind="stable").groupby("subject_id")
    first_total = revised["total"].first().reindex(subjects.index)
    last_day = revised["day"].max().reindex(subjects.index)
    died = subjects["died"].to_numpy(bool) & subjects["death_day"].notna().to_numpy()
    end_day = np.where(died, subjects["death_day"].to_numpy(float), last_day.to_numpy(float))
    months_onset = -subjects["onset_day"].to_numpy(float) / DAYS_PER_MONTH
    baseline = first_total.to_numpy(float)
    time = end_day / DAYS_PER_MONTH
    usable = (time > 0) & (months_onset > 0) & np.isfinite(baseline)
    if died[usable].sum() < 10:
        return model  # too few deaths: keep the prior's survival
    with np.errstate(divide="ignore", invalid="ignore"):
        delta_fs = (MAX_TOTAL - baseline) / months_onset
    lp = survival_linear_predictor(
        model,
        delta_fs,
        subjects["onset_site"].to_numpy() == "bulbar",
        subjects["age_years"].fillna(model.age_mean).to_numpy(float),
        fvc_entry.reindex(subjects.index).fillna(model.fvc_mean).to_numpy(float),
    )[usable]
    shape, scale = _weibull_fit(
        time[usable], died[usable], lp, model.survival_shape, model.survival_scale_months
    )
    return model.replace(survival_shape=shape, survival_scale_months=scale)
