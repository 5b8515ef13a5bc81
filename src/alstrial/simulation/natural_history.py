"""Natural history of ALS for simulation: vectorised patients, ALSFRS-R and FVC trajectories.

Everything is array based (numpy): one call draws every patient of every simulated trial, so
the simulator can run 10,000 trials x ~100 patients x ~10 visits in well under two seconds.
Times are months from trial entry (months = days / 30.4375, ``alstrial.domain.time``); slopes are
signed points/month (negative = decline). The literature values are docs/domain.md, 'Natural
history'; each parameter of :class:`NaturalHistory` names its source. The generative model, for one
patient:

* latent standard normals ``z`` with correlations ``corr_*`` link the decline rate, the months
  from onset at entry and the baseline total (fast progressors enter earlier and lower);
* decline rate (points/month, positive) = ``-slope_mean + slope_sd * K(z, slope_skew)``, where
  ``K`` is the Wilson-Hilferty approximation of a standardised Pearson type III (shifted gamma)
  variate: right-skewed for ``slope_skew > 0``, exactly normal for 0;
* expected total ``f(b + s t + a t^2 / 2)`` where ``a = s * acceleration_per_year / 12`` makes
  the decline grow mildly with time and ``f`` is the identity above ``floor_start`` and
  ``F exp((x - F) / F)`` below it (a smooth floor: decline slows near the bottom of the scale);
* observed total = round(expected + N(0, noise_sd)), clipped to 0-48; NaN after death or dropout;
* death: Weibull proportional hazards from entry, hazard raised by a fast dFS at entry, bulbar
  onset, older age and low FVC; dropout: exponential, faster for fast decliners (informative).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.time import DAYS_PER_MONTH

MAX_TOTAL = 48


@dataclass(frozen=True)
class NaturalHistory:
    """Parameters of the natural-history model; units in each name or comment.

    :meth:`literature` gives the docs/domain.md, 'Natural history' values; :meth:`linear` a Gaussian
    linear model without floor, acceleration, death or dropout, for closed-form power checks.
    """

    # ALSFRS-R slope at entry, signed points/month. PRO-ACT mean decline 1.02, -0.99 in n=3,367,
    # docs/domain.md, 'Natural history': 0.9-1.0. With acceleration, floor, death and informative
    # dropout, -0.97 at entry gives a mean per-patient OLS slope of about -0.95 over a year of
    # monthly visits.
    slope_mean: float = -0.97
    # Between-patient SD of the true slope (docs/domain.md, 'Natural history': 0.6-0.8; OLS adds
    # visit noise on top).
    slope_sd: float = 0.68
    # Skewness of the decline rate (-slope): right-skewed, a tail of fast progressors
    # (docs/domain.md, 'Natural history').
    slope_skew: float = 1.0
    # Relative growth of each patient's decline rate per year ("mild acceleration", docs/domain.md,
    # 'Natural history').
    acceleration_per_year: float = 0.10
    # Expected totals below this many points are compressed smoothly (docs/domain.md, 'Natural
    # history' "floor effect below about 25"); None disables the floor.
    floor_start: float | None = 25.0
    # Visit-to-visit noise SD around a person's trend, points (docs/domain.md, 'Natural
    # history': 1.5-2).
    noise_sd: float = 1.7
    # Expected ALSFRS-R total at entry, points (docs/domain.md, 'Natural history': 37-40, SD 4-6).
    baseline_mean: float = 38.5
    baseline_sd: float = 5.0
    # Age at entry, years (docs/domain.md, 'Natural history': 55-57, SD 11); bulbar-onset patients
    # are older (shift is centred so the cohort mean stays age_mean).
    age_mean: float = 56.0
    age_sd: float = 11.0
    bulbar_age_shift: float = 4.0
    male_share: float = 0.63  # docs/domain.md, 'Natural history': 60-66% male
    bulbar_share: float = 0.22  # docs/domain.md, 'Natural history': 18-26% bulbar onset in trials
    # Bulbar onset declines faster by this many points/month (centred; cohort mean unchanged).
    bulbar_decline_shift: float = 0.15
    # Months from symptom onset at entry: log-normal (docs/domain.md, 'Natural history': 15-19
    # months at entry).
    months_since_onset_median: float = 15.0
    months_since_onset_sdlog: float = 0.45
    # Correlations of the latent normals (decline rate, months from onset, baseline); chosen so
    # that faster decline goes with earlier entry and a lower baseline, as in PRO-ACT.
    corr_decline_months: float = -0.3
    corr_decline_baseline: float = -0.35
    corr_months_baseline: float = -0.3
    # FVC, % of predicted: entry level, and its slope per ALSFRS-R point/month of slope.
    fvc_mean: float = 86.0
    fvc_sd: float = 17.0
    fvc_per_alsfrs_point: float = 2.6  # %/month of FVC slope per point/month of ALSFRS-R slope
    fvc_slope_sd: float = 1.0  # extra between-patient SD of the FVC slope, %/month
    fvc_noise_sd: float = 5.0  # visit noise, % of predicted
    # Survival from entry: Weibull PH, hazard(t) = (k/l)(t/l)^(k-1) exp(lp), l in months.
    # Covariate log hazard ratios follow the direction and size of Kimura 2006 (dFS) and the
    # ENCALS model (Westeneng 2018: bulbar onset, age, FVC); the scale is set so that the median
    # survival from onset is about 36 months (docs/domain.md, 'Natural history': 30-44). inf =
    # nobody dies. Shape 2.2 keeps one-year mortality after entry near 15%, as in PRO-ACT trial
    # cohorts.
    survival_shape: float = 2.2
    survival_scale_months: float = 28.0
    log_hr_dfs: float = 0.7  # per point/month of dFS above 0.6
    log_hr_bulbar: float = 0.35
    log_hr_age_per_decade: float = 0.25  # per 10 years above 56
    log_hr_fvc_per_10pct: float = -0.15  # per 10 % predicted above 86
    # Dropout (withdrawal other than death), per month, and its log hazard ratio per SD of the
    # latent decline rate: sicker patients drop out more (informative missingness).
    dropout_rate_per_month: float = 0.012
    dropout_log_hr_decline: float = 0.5

    def __post_init__(self) -> None:
        """Refuse impossible parameters, naming each field (they may come from a file)."""
        errors = []

        def bad(name: str, rule: str) -> None:
            errors.append(FieldError(name, f"{name} {rule}, got {getattr(self, name)!r}"))

        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not isinstance(value, Real):
                bad(f.name, "must be a number")
        if errors:
            raise ValidationError(errors)
        for name in ("slope_sd", "noise_sd", "baseline_sd", "age_sd", "fvc_sd", "fvc_slope_sd"):
            if not getattr(self, name) >= 0:
                bad(name, "must be >= 0")
        for name in ("fvc_noise_sd", "months_since_onset_sdlog", "dropout_rate_per_month"):
            if not getattr(self, name) >= 0:
                bad(name, "must be >= 0")
        for name in ("male_share", "bulbar_share"):
            if not 0 <= getattr(self, name) <= 1:
                bad(name, "must be between 0 and 1")
        if not abs(self.slope_skew) <= 2:
            bad("slope_skew", "must be between -2 and 2 (Wilson-Hilferty transform)")
        if self.floor_start is not None and not 0 < self.floor_start <= MAX_TOTAL:
            bad("floor_start", "must be between 0 and 48 points, or None")
        for name in ("months_since_onset_median", "survival_shape", "survival_scale_months"):
            if not getattr(self, name) > 0:
                bad(name, "must be > 0")
        corr = self.correlation()
        if not np.all(np.isfinite(corr)) or np.linalg.eigvalsh(corr).min() <= 0:
            bad("corr_decline_months", "and the other corr_* must form a positive-definite matrix")
        if errors:
            raise ValidationError(errors)

    def correlation(self) -> np.ndarray:
        """Correlation of the latent normals (decline rate, months from onset, baseline)."""
        return np.array(
            [
                [1.0, self.corr_decline_months, self.corr_decline_baseline],
                [self.corr_decline_months, 1.0, self.corr_months_baseline],
                [self.corr_decline_baseline, self.corr_months_baseline, 1.0],
            ]
        )

    @classmethod
    def literature(cls) -> NaturalHistory:
        """docs/domain.md, 'Natural history' values (the defaults)."""
        return cls()

    @classmethod
    def linear(
        cls,
        slope_mean: float = -0.95,
        slope_sd: float = 0.7,
        noise_sd: float = 1.7,
        baseline_mean: float = 38.5,
        baseline_sd: float = 5.0,
    ) -> NaturalHistory:
        """Normal slopes, straight lines, Gaussian noise, no floor, death or dropout."""
        return cls(
            slope_mean=slope_mean,
            slope_sd=slope_sd,
            slope_skew=0.0,
            acceleration_per_year=0.0,
            floor_start=None,
            noise_sd=noise_sd,
            baseline_mean=baseline_mean,
            baseline_sd=baseline_sd,
            bulbar_decline_shift=0.0,
            corr_decline_months=0.0,
            corr_decline_baseline=0.0,
            corr_months_baseline=0.0,
            survival_scale_months=np.inf,
            dropout_rate_per_month=0.0,
        )

    def replace(self, **changes: Any) -> NaturalHistory:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The parameters and the months convention (``days_per_month``), for outputs."""
        out = asdict(self)
        out["days_per_month"] = DAYS_PER_MONTH
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> NaturalHistory:
        """Parameters from :meth:`to_dict` (or a file); an unknown key is refused by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known - {"days_per_month"})
        if unknown:
            raise ValidationError(
                [FieldError(key, f"unknown natural-history parameter {key!r}") for key in unknown]
            )
        if values.get("days_per_month", DAYS_PER_MONTH) != DAYS_PER_MONTH:
            raise ValidationError(
                [
                    FieldError(
                        "days_per_month",
                        f"must be {DAYS_PER_MONTH} (docs/domain.md, 'Months')",
                    )
                ]
            )
        return cls(**{key: value for key, value in values.items() if key in known})


@dataclass(frozen=True)
class Patients:
    """A struct of arrays, one element per patient (length n). Times in months from entry."""

    age_years: np.ndarray
    male: np.ndarray  # bool
    bulbar_onset: np.ndarray  # bool
    months_since_onset: np.ndarray  # at entry
    baseline_total: np.ndarray  # expected ALSFRS-R total at entry, points
    slope: np.ndarray  # signed points/month at entry (negative = decline)
    acceleration: np.ndarray  # points/month^2 (same sign as slope)
    fvc_percent: np.ndarray  # expected FVC at entry, % predicted
    fvc_slope: np.ndarray  # %/month
    death_month: np.ndarray  # months from entry; inf = no death
    dropout_month: np.ndarray  # months from entry; inf = no dropout
    model: NaturalHistory = NaturalHistory()  # the parameters they were drawn from

    def __len__(self) -> int:
        return len(self.slope)

    def take(self, index) -> Patients:
        """The patients selected by an integer or boolean index."""
        arrays = {f.name: getattr(self, f.name)[index] for f in fields(self) if f.name != "model"}
        return Patients(**arrays, model=self.model)

    @property
    def delta_fs(self) -> np.ndarray:
        """dFS at entry, points/month (Kimura 2006): (48 - baseline) / months from onset."""
        return (MAX_TOTAL - self.baseline_total) / self.months_since_onset

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}
        )


def _pearson3(z: np.ndarray, skew: float) -> np.ndarray:
    """Standardised Pearson III variate from a standard normal (Wilson-Hilferty, |skew| <= 2)."""
    if skew == 0:
        return z
    g = skew
    return (2.0 / g) * ((1.0 + g * z / 6.0 - g * g / 36.0) ** 3 - 1.0)


def _floor(latent: np.ndarray, floor_start: float | None) -> np.ndarray:
    if floor_start is None:
        return latent
    f = floor_start
    return np.where(latent >= f, latent, f * np.exp((np.minimum(latent, f) - f) / f))


def _unfloor(total: np.ndarray, floor_start: float | None) -> np.ndarray:
    """Inverse of :func:`_floor`; a total of 0 (the floor's limit) maps to a very low latent."""
    if floor_start is None:
        return total
    f = floor_start
    below = np.clip(total, 1e-6, f)  # the log is only used below the floor, never at 0
    return np.where(total >= f, total, f + f * np.log(below / f))


def draw_patients(
    n: int, rng: np.random.Generator, model: NaturalHistory | None = None
) -> Patients:
    """Draw ``n`` patients at trial entry from ``model`` (default: the literature values)."""
    m = model or NaturalHistory.literature()
    z = rng.standard_normal((n, 3)) @ np.linalg.cholesky(m.correlation()).T
    bulbar = rng.random(n) < m.bulbar_share
    male = rng.random(n) < m.male_share
    centred_bulbar = bulbar - m.bulbar_share
    age = rng.normal(m.age_mean, m.age_sd, n) + m.bulbar_age_shift * centred_bulbar
    age = np.clip(age, 18.0, 90.0)
    decline = (
        -m.slope_mean
        + m.slope_sd * _pearson3(z[:, 0], m.slope_skew)
        + m.bulbar_decline_shift * centred_bulbar
    )
    slope = -decline
    acceleration = slope * m.acceleration_per_year / 12.0
    months = m.months_since_onset_median * np.exp(m.months_since_onset_sdlog * z[:, 1])
    baseline = np.clip(m.baseline_mean + m.baseline_sd * z[:, 2], 1.0, MAX_TOTAL)
    fvc = np.clip(rng.normal(m.fvc_mean, m.fvc_sd, n), 15.0, 140.0)
    fvc_slope = m.fvc_per_alsfrs_point * slope + rng.normal(0.0, m.fvc_slope_sd, n)
    patients = Patients(
        age_years=age,
        male=male,
        bulbar_onset=bulbar,
        months_since_onset=months,
        baseline_total=baseline,
        slope=slope,
        acceleration=acceleration,
        fvc_percent=fvc,
        fvc_slope=fvc_slope,
        death_month=np.full(n, np.inf),
        dropout_month=np.full(n, np.inf),
        model=m,
    )
    death = np.full(n, np.inf)
    if np.isfinite(m.survival_scale_months):
        lp = survival_linear_predictor(m, patients.delta_fs, bulbar, age, fvc)
        death = m.survival_scale_months * (rng.standard_exponential(n) / np.exp(lp)) ** (
            1.0 / m.survival_shape
        )
    dropout = np.full(n, np.inf)
    if m.dropout_rate_per_month > 0:
        rate = m.dropout_rate_per_month * np.exp(m.dropout_log_hr_decline * z[:, 0])
        dropout = rng.standard_exponential(n) / rate
    return replace(patients, death_month=death, dropout_month=dropout)


def survival_linear_predictor(
    model: NaturalHistory, delta_fs, bulbar_onset, age_years, fvc_percent
) -> np.ndarray:
    """Weibull PH linear predictor: log hazard ratio against the reference patient
    (dFS 0.6 points/month, spinal onset, 56 years, FVC 86% of predicted)."""
    m = model
    return (
        m.log_hr_dfs * (np.asarray(delta_fs) - 0.6)
        + m.log_hr_bulbar * np.asarray(bulbar_onset, dtype=float)
        + m.log_hr_age_per_decade * (np.asarray(age_years) - 56.0) / 10.0
        + m.log_hr_fvc_per_10pct * (np.asarray(fvc_percent) - 86.0) / 10.0
    )


def _months_grid(patients: Patients, months) -> np.ndarray:
    t = np.asarray(months, dtype=float)
    if t.ndim == 1:
        t = np.broadcast_to(t, (len(patients), t.shape[0]))
    if t.ndim != 2 or t.shape[0] != len(patients):
        raise ValueError(f"months must be (v,) or (n, v) with n={len(patients)}, got {t.shape}")
    return t


def expected_totals(patients: Patients, months) -> np.ndarray:
    """Expected ALSFRS-R totals, (n, v) float points, at ``months`` from entry ((v,) or (n, v))."""
    t = _months_grid(patients, months)
    floor_start = patients.model.floor_start
    start = _unfloor(patients.baseline_total, floor_start)[:, None]
    latent = start + patients.slope[:, None] * t + 0.5 * patients.acceleration[:, None] * t * t
    return np.clip(_floor(latent, floor_start), 0.0, MAX_TOTAL)


def _censor(patients: Patients, t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """NaN at visits on or after death and after dropout."""
    gone = (t >= patients.death_month[:, None]) | (t > patients.dropout_month[:, None])
    return np.where(gone, np.nan, values)


def observe_totals(patients: Patients, months, rng: np.random.Generator) -> np.ndarray:
    """Observed totals (n, v): integers 0-48 stored as float, NaN after death or dropout.

    Noise: independent N(0, ``patients.model.noise_sd``) per visit, then rounded and clipped.
    """
    t = _months_grid(patients, months)
    noisy = expected_totals(patients, t) + rng.normal(0.0, patients.model.noise_sd, t.shape)
    return _censor(patients, t, np.clip(np.rint(noisy), 0, MAX_TOTAL))


def observe_fvc(patients: Patients, months, rng: np.random.Generator) -> np.ndarray:
    """Observed FVC, % predicted (n, v), one decimal, >= 5; NaN after death or dropout."""
    t = _months_grid(patients, months)
    expected = patients.fvc_percent[:, None] + patients.fvc_slope[:, None] * t
    noise = rng.normal(0.0, patients.model.fvc_noise_sd, t.shape)
    noisy = np.maximum(expected + noise, 5.0)
    return _censor(patients, t, np.round(noisy, 1))


def per_patient_ols(months: np.ndarray, totals: np.ndarray, min_visits: int = 3):
    """Per-row OLS of totals on months, ignoring NaN: (slope, intercept, rss, n, sxx).

    Rows with fewer than ``min_visits`` observed visits get NaN slope. Vectorised over rows.
    """
    y = np.asarray(totals, dtype=float)
    x = np.broadcast_to(np.asarray(months, dtype=float), y.shape)
    ok = ~np.isnan(y) & ~np.isnan(x)
    n = ok.sum(axis=1)
    safe_n = np.maximum(n, 1)
    x0 = np.where(ok, x, 0.0)
    y0 = np.where(ok, y, 0.0)
    xm = x0.sum(axis=1) / safe_n
    ym = y0.sum(axis=1) / safe_n
    dx = np.where(ok, x - xm[:, None], 0.0)
    dy = np.where(ok, y - ym[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    valid = (n >= min_visits) & (sxx > 0)
    slope = np.full(len(y), np.nan)
    slope[valid] = (dx * dy).sum(axis=1)[valid] / sxx[valid]
    intercept = ym - np.where(valid, slope, 0.0) * xm
    resid = np.where(ok, dy - np.where(valid, slope, 0.0)[:, None] * dx, 0.0)
    rss = np.where(valid, (resid * resid).sum(axis=1), np.nan)
    return slope, intercept, rss, n, sxx


def calibrate(
    registry, window_months: float = 12.0, prior: NaturalHistory | None = None
) -> NaturalHistory:
    """Estimate the natural-history parameters from an imported registry (a ``Registry`` of
    :mod:`alstrial.registry.proact`); see :mod:`alstrial.simulation.natural_history_calibration`
    for what is estimated and how. Imported on use: that module builds on this one."""
    # A cycle: alstrial.simulation.natural_history_calibration imports this module.
    from alstrial.simulation.natural_history_calibration import calibrate as _calibrate

    return _calibrate(registry, window_months=window_months, prior=prior)


#: docs/domain.md, 'Natural history' ranges for a trial cohort's statistics: (low, high), inclusive.
#: Slopes are signed points/month from per-patient OLS over about a year of visits.
LITERATURE_RANGES: dict[str, tuple[float, float]] = {
    "slope_mean": (-1.0, -0.9),
    "slope_sd": (0.6, 0.8),
    "bulbar_share": (0.18, 0.26),
    "male_share": (0.60, 0.66),
    "age_mean": (55.0, 57.0),
    "age_sd": (10.0, 12.0),
    "months_since_onset_mean": (15.0, 19.0),
    "baseline_mean": (37.0, 40.0),
    "baseline_sd": (4.0, 6.0),
    "median_survival_from_onset_months": (30.0, 44.0),
}


def literature_range_violations(statistics: dict[str, float]) -> list[str]:
    """The statistics (keys of :data:`LITERATURE_RANGES`) outside their range in docs/domain.md,
    'Natural history'."""
    out = []
    for key, value in statistics.items():
        low, high = LITERATURE_RANGES[key]
        if not low <= value <= high:
            where = "docs/domain.md, 'Natural history'"
            out.append(f"{key} = {value:.3f} outside [{low}, {high}] ({where})")
    return out
