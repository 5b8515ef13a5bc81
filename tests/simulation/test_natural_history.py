"""Natural-history model: cohort statistics against docs/domain.md, 'Natural history', checked
independently.

Slopes are re-estimated with ``numpy.polyfit`` per patient, distributions compared with scipy,
so the test does not reuse the module's own estimators.
"""

from __future__ import annotations

from dataclasses import fields
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alstrial.domain.errors import ValidationError
from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation.natural_history import (
    NaturalHistory,
    Patients,
    _pearson3,
    calibrate,
    draw_patients,
    expected_totals,
    literature_range_violations,
    observe_fvc,
    observe_totals,
    per_patient_ols,
)

MONTHS = np.arange(0.0, 13.0)  # monthly visits for a year, as in PRO-ACT trials


def polyfit_slopes(months: np.ndarray, totals: np.ndarray, min_visits: int = 3) -> np.ndarray:
    """Per-patient OLS slope by numpy.polyfit (independent of per_patient_ols)."""
    out = np.full(len(totals), np.nan)
    for i, row in enumerate(totals):
        ok = ~np.isnan(row)
        if ok.sum() >= min_visits:
            out[i] = np.polyfit(months[ok], row[ok], 1)[0]
    return out


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(20260101)
    patients = draw_patients(5000, rng)
    return patients, observe_totals(patients, MONTHS, rng)


def test_literature_cohort_statistics_fall_in_domain_ranges(cohort):
    patients, totals = cohort
    slopes = polyfit_slopes(MONTHS, totals)
    slopes = slopes[~np.isnan(slopes)]
    survival_from_onset = patients.months_since_onset + patients.death_month
    statistics = {
        "slope_mean": slopes.mean(),
        "slope_sd": slopes.std(ddof=1),
        "bulbar_share": patients.bulbar_onset.mean(),
        "male_share": patients.male.mean(),
        "age_mean": patients.age_years.mean(),
        "age_sd": patients.age_years.std(ddof=1),
        "months_since_onset_mean": patients.months_since_onset.mean(),
        "baseline_mean": np.nanmean(totals[:, 0]),
        "baseline_sd": np.nanstd(totals[:, 0], ddof=1),
        # Every patient has a death time (no censoring), so the empirical median is the KM one.
        "median_survival_from_onset_months": np.median(survival_from_onset),
    }
    assert literature_range_violations(statistics) == []
    assert len(slopes) > 4000  # most patients have >= 3 visits before death or dropout
    # Right-skewed decline: a long tail of fast progressors (negative skew of signed slopes).
    assert stats.skew(slopes) < -0.3


def test_range_check_reports_a_value_outside_its_range():
    violations = literature_range_violations({"slope_mean": -1.4, "male_share": 0.63})
    assert len(violations) == 1
    assert "slope_mean" in violations[0]


def test_survival_is_shorter_with_fast_dfs_bulbar_onset_older_age_and_low_fvc():
    rng = np.random.default_rng(7)
    p = draw_patients(20000, rng)
    survival = p.months_since_onset + p.death_month
    fast = p.delta_fs > np.median(p.delta_fs)
    old = p.age_years > 65
    low_fvc = p.fvc_percent < 70
    assert np.median(p.death_month[fast]) < np.median(p.death_month[~fast])
    assert np.median(survival[p.bulbar_onset]) < np.median(survival[~p.bulbar_onset])
    assert np.median(p.death_month[old]) < np.median(p.death_month[~old])
    assert np.median(p.death_month[low_fvc]) < np.median(p.death_month[~low_fvc])


def test_dropout_is_informative():
    p = draw_patients(20000, np.random.default_rng(8))
    fast = p.slope < np.median(p.slope)
    assert (p.dropout_month[fast] < 12).mean() > 1.3 * (p.dropout_month[~fast] < 12).mean()


def test_linear_variant_has_requested_slope_mean_and_sd():
    model = NaturalHistory.linear(slope_mean=-1.1, slope_sd=0.5, noise_sd=1.5)
    rng = np.random.default_rng(3)
    n = 40000
    p = draw_patients(n, rng, model)
    # Mean within 4 standard errors; SD by the chi-square interval of a normal sample.
    assert abs(p.slope.mean() + 1.1) < 4 * 0.5 / np.sqrt(n)
    low, high = stats.chi2.ppf([0.0005, 0.9995], n - 1)
    assert (n - 1) * p.slope.var(ddof=1) / 0.25 == pytest.approx((low + high) / 2, rel=0.05)
    assert low < (n - 1) * p.slope.var(ddof=1) / 0.25 < high
    assert stats.normaltest(p.slope).pvalue > 1e-4
    assert np.isinf(p.death_month).all()
    assert np.isinf(p.dropout_month).all()
    # Straight lines: expected = baseline + slope * t exactly, no floor.
    expected = expected_totals(p.take(slice(0, 100)), MONTHS)
    by_hand = p.baseline_total[:100, None] + p.slope[:100, None] * MONTHS
    np.testing.assert_allclose(expected, np.clip(by_hand, 0, 48), atol=1e-12)


def test_linear_variant_noise_is_gaussian_with_requested_sd():
    model = NaturalHistory.linear(noise_sd=1.5, baseline_mean=30.0, baseline_sd=1.0)
    rng = np.random.default_rng(4)
    p = draw_patients(20000, rng, model)
    months = np.array([0.0, 1.0, 2.0])
    resid = observe_totals(p, months, rng) - expected_totals(p, months)
    # Rounding to integers adds a uniform error of variance 1/12.
    assert resid.std() == pytest.approx(np.sqrt(1.5**2 + 1 / 12), rel=0.02)


def test_skewed_slopes_match_scipy_pearson3_quantiles():
    z = np.random.default_rng(5).standard_normal(400000)
    for skew in (0.5, 1.0, 1.5):
        sample = np.quantile(_pearson3(z, skew), [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
        exact = stats.pearson3.ppf([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99], skew)
        np.testing.assert_allclose(sample, exact, atol=0.03)


def one_patient(model: NaturalHistory, baseline: float, slope: float) -> Patients:
    values = {f.name: np.array([0.0]) for f in fields(Patients) if f.name != "model"}
    values.update(baseline_total=np.array([baseline]), slope=np.array([slope]))
    return Patients(**values, model=model)


def test_floor_slows_decline_below_25_continuously():
    patient = one_patient(NaturalHistory.linear().replace(floor_start=25.0), 35.0, -1.0)
    months = np.array([0.0, 10.0, 35.0])
    # Above 25 a straight line; at latent 0 (35 months) the total is 25 * exp(-1) = 9.197.
    np.testing.assert_allclose(expected_totals(patient, months)[0], [35.0, 25.0, 25 * np.exp(-1)])
    # A baseline already below the floor is reproduced at entry and keeps declining slowly.
    low = one_patient(NaturalHistory.literature(), 20.0, -1.0)
    path = expected_totals(low, np.array([0.0, 1.0]))[0]
    assert path[0] == pytest.approx(20.0)
    assert 0.5 < path[0] - path[1] < 1.0


def test_observed_totals_are_integers_0_48_nan_after_death_and_dropout(cohort):
    patients, totals = cohort
    seen = totals[~np.isnan(totals)]
    assert np.array_equal(seen, np.rint(seen))
    assert seen.min() >= 0
    assert seen.max() <= 48
    gone = (patients.death_month[:, None] <= MONTHS) | (patients.dropout_month[:, None] < MONTHS)
    assert np.array_equal(np.isnan(totals), gone)


def test_same_seed_same_draws_and_per_patient_months():
    a = draw_patients(50, np.random.default_rng(11))
    b = draw_patients(50, np.random.default_rng(11))
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    months = np.random.default_rng(1).uniform(0, 12, (50, 6))
    ya = observe_totals(a, months, np.random.default_rng(2))
    yb = observe_totals(b, months, np.random.default_rng(2))
    np.testing.assert_array_equal(ya, yb)
    assert observe_fvc(a, months, np.random.default_rng(2)).shape == (50, 6)
    with pytest.raises(ValueError, match="months must be"):
        expected_totals(a, np.zeros((3, 4)))


def test_per_patient_ols_matches_polyfit_with_missing_visits():
    rng = np.random.default_rng(9)
    totals = rng.normal(40, 3, (200, 8))
    totals[rng.random(totals.shape) < 0.3] = np.nan
    months = np.sort(rng.uniform(0, 12, (200, 8)), axis=1)
    slope, intercept, rss, n, _ = per_patient_ols(months, totals)
    assert n.max() <= 8
    for i in range(200):
        ok = ~np.isnan(totals[i])
        if ok.sum() < 3:
            assert np.isnan(slope[i])
            continue
        coef, res, *_ = np.polyfit(months[i, ok], totals[i, ok], 1, full=True)
        assert slope[i] == pytest.approx(coef[0], abs=1e-9)
        assert intercept[i] == pytest.approx(coef[1], abs=1e-8)
        assert rss[i] == pytest.approx(res[0], abs=1e-8)


def registry_from_model(model: NaturalHistory, n: int, seed: int) -> SimpleNamespace:
    """A Registry-shaped object (alsfrs, subjects, fvc frames) drawn straight from the model."""
    rng = np.random.default_rng(seed)
    p = draw_patients(n, rng, model)
    days = np.rint(MONTHS * DAYS_PER_MONTH)
    totals = observe_totals(p, days / DAYS_PER_MONTH, rng)
    ids = np.array([f"S{i:05d}" for i in range(n)])
    alsfrs = pd.DataFrame(
        {
            "subject_id": np.repeat(ids, len(days)),
            "day": np.tile(days, n).astype(int),
            "scale": "R",
            "total": totals.ravel(),
        }
    ).dropna(subset=["total"])
    last = days[-1] / DAYS_PER_MONTH
    died = p.death_month < np.minimum(p.dropout_month, last)
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "age_years": p.age_years,
            "sex": np.where(p.male, "M", "F"),
            "onset_site": np.where(p.bulbar_onset, "bulbar", "spinal"),
            "onset_day": -np.rint(p.months_since_onset * DAYS_PER_MONTH),
            "death_day": np.where(died, np.rint(p.death_month * DAYS_PER_MONTH), np.nan),
            "died": died,
        }
    )
    fvc = pd.DataFrame({"subject_id": ids, "day": 0, "fvc_percent": p.fvc_percent})
    return SimpleNamespace(alsfrs=alsfrs, subjects=subjects, fvc=fvc)


@pytest.mark.slow
def test_calibrate_recovers_the_parameters_of_a_synthetic_registry():
    truth = NaturalHistory.literature().replace(
        slope_mean=-1.2,
        slope_sd=0.5,
        noise_sd=2.0,
        baseline_mean=36.0,
        bulbar_share=0.3,
        age_mean=60.0,
        male_share=0.55,
        months_since_onset_median=20.0,
        survival_scale_months=34.0,
    )
    fitted = calibrate(registry_from_model(truth, 5000, seed=12))
    assert fitted.slope_mean == pytest.approx(truth.slope_mean, abs=0.08)
    assert fitted.slope_sd == pytest.approx(truth.slope_sd, abs=0.08)
    assert fitted.slope_skew == pytest.approx(truth.slope_skew, abs=0.35)
    assert fitted.noise_sd == pytest.approx(truth.noise_sd, abs=0.15)
    assert fitted.baseline_mean == pytest.approx(truth.baseline_mean, abs=0.5)
    assert fitted.baseline_sd == pytest.approx(truth.baseline_sd, abs=0.6)
    assert fitted.bulbar_share == pytest.approx(truth.bulbar_share, abs=0.03)
    assert fitted.age_mean == pytest.approx(truth.age_mean, abs=0.6)
    assert fitted.male_share == pytest.approx(truth.male_share, abs=0.03)
    assert fitted.months_since_onset_median == pytest.approx(20.0, rel=0.05)
    assert fitted.months_since_onset_sdlog == pytest.approx(truth.months_since_onset_sdlog, 0.05)
    assert fitted.fvc_mean == pytest.approx(truth.fvc_mean, abs=1.0)
    assert fitted.survival_scale_months == pytest.approx(34.0, rel=0.12)
    assert fitted.survival_shape == pytest.approx(truth.survival_shape, rel=0.2)


def test_impossible_parameters_are_refused_naming_each_field():
    with pytest.raises(ValidationError) as info:
        NaturalHistory(slope_sd=-0.1, bulbar_share=1.2, slope_skew=3.0, survival_shape=0)
    assert set(info.value.by_field()) == {
        "slope_sd",
        "bulbar_share",
        "slope_skew",
        "survival_shape",
    }
    with pytest.raises(ValidationError, match="positive-definite"):
        NaturalHistory(
            corr_decline_months=0.9, corr_decline_baseline=0.9, corr_months_baseline=-0.9
        )
    with pytest.raises(ValidationError, match="noise_sd must be a number"):
        NaturalHistory(noise_sd="1.7")
    assert NaturalHistory(noise_sd=np.float64(1.5)).noise_sd == 1.5


def test_calibrate_needs_enough_slopes_and_ignores_subjects_without_revised_rows():
    with pytest.raises(ValueError, match="needs >= 10 subjects"):
        calibrate(registry_from_model(NaturalHistory.literature(), 5, seed=1))
    registry = registry_from_model(NaturalHistory.literature(), 400, seed=2)
    # Subjects whose every row is on the original scale take no part in the slope estimates.
    first = registry.subjects["subject_id"].iloc[:50]
    registry.alsfrs.loc[registry.alsfrs["subject_id"].isin(first), "scale"] = "original"
    fitted = calibrate(registry)
    assert -1.3 < fitted.slope_mean < -0.7


def test_death_times_follow_the_weibull_of_scipy_when_covariates_have_no_effect():
    model = NaturalHistory.literature().replace(
        log_hr_dfs=0.0, log_hr_bulbar=0.0, log_hr_age_per_decade=0.0, log_hr_fvc_per_10pct=0.0
    )
    p = draw_patients(20000, np.random.default_rng(21), model)
    weibull = stats.weibull_min(c=model.survival_shape, scale=model.survival_scale_months)
    assert stats.kstest(p.death_month, weibull.cdf).pvalue > 0.001
    # With a linear predictor lp the scale shrinks by exp(-lp / shape) (proportional hazards).
    bulbar = NaturalHistory.literature().replace(
        log_hr_dfs=0.0, log_hr_age_per_decade=0.0, log_hr_fvc_per_10pct=0.0
    )
    q = draw_patients(40000, np.random.default_rng(22), bulbar)
    scale = bulbar.survival_scale_months * np.exp(-bulbar.log_hr_bulbar / bulbar.survival_shape)
    shifted = stats.weibull_min(c=bulbar.survival_shape, scale=scale)
    assert stats.kstest(q.death_month[q.bulbar_onset], shifted.cdf).pvalue > 0.001


def test_weibull_fit_matches_scipy_on_uncensored_times():
    from alstrial.simulation.natural_history_calibration import _weibull_fit

    times = stats.weibull_min(c=1.8, scale=30.0).rvs(3000, random_state=5)
    shape, scale = _weibull_fit(times, np.ones(3000, bool), np.zeros(3000), 1.0, 20.0)
    c, _, s = stats.weibull_min.fit(times, floc=0)
    assert shape == pytest.approx(c, rel=1e-3)
    assert scale == pytest.approx(s, rel=1e-3)


def test_parameters_round_trip_through_to_dict_and_unknown_keys_are_named():
    model = NaturalHistory.literature().replace(slope_mean=-1.1, floor_start=None)
    assert NaturalHistory.from_dict(model.to_dict()) == model
    with pytest.raises(ValidationError) as info:
        NaturalHistory.from_dict({"slope_mean": -1.0, "slope_sdd": 0.7})
    assert set(info.value.by_field()) == {"slope_sdd"}
