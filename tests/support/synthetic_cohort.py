"""A small, seedable Kim-like cohort in the analysis-CSV shape, for tests and benchmarks.

Design (Kim et al. 2009, docs/domain.md, 'The reference studies'): a 3-month lead-in with monthly
visits, the first treatment at ``index_day``, 3 months of monthly follow-up; controls observed on
the same schedule around a matched index day. Natural history (docs/domain.md, 'Natural history'):
individual slopes about -1.0 points/month (SD 0.6, right-skewed), visit noise SD 1.5 points,
baseline 37-40, integers clipped to 0-48. ``effect`` (points/month) is added to the treated
subjects' slope after ``index_day``. This is a test fixture, not the natural-history simulator
(``alstrial.simulation``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrial.domain.time import DAYS_PER_MONTH


def kim_like_cohort(
    seed: int = 0,
    n_treated: int = 22,
    n_control: int = 22,
    effect: float = 0.0,
    lead_in_days: int = 90,
    follow_up_days: int = 90,
    visit_every_days: int = 30,
    noise_sd: float = 1.5,
    death_rate_per_month: float = 0.0,
    slope_sd: float = 0.6,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(subjects, visits)`` frames in the docs/interfaces.md, 'Analysis data' analysis-CSV shape.

    ``slope_sd``: between-subject SD of the slope (points/month; 0 gives every subject the same
    slope, a data set whose random-slope variance is on the boundary).
    ``death_rate_per_month``: constant hazard of death after the index day (0 = nobody dies);
    visits after a death are not generated.
    """
    rng = np.random.default_rng(seed)
    n = n_treated + n_control
    arms = ["treated"] * n_treated + ["control"] * n_control
    subject_ids = [f"T{i + 1:03d}" for i in range(n_treated)] + [
        f"C{i + 1:03d}" for i in range(n_control)
    ]
    # Right-skewed slopes: a gamma with mean 1.0 and SD slope_sd points/month of decline.
    if slope_sd > 0:
        decline = rng.gamma((1.0 / slope_sd) ** 2, slope_sd**2 / 1.0, size=n)
    else:
        decline = np.ones(n)
    onset_months = rng.uniform(8, 24, size=n)
    index_day = rng.integers(100, 400, size=n) + lead_in_days
    onset_day = index_day - lead_in_days - np.round(onset_months * DAYS_PER_MONTH).astype(int)
    age = np.round(rng.normal(50, 10, size=n), 1)
    sex = rng.choice(["male", "female"], size=n, p=[0.63, 0.37])
    site = rng.choice(["spinal", "bulbar"], size=n, p=[0.78, 0.22])
    death_day: list[float] = []
    visit_rows = []
    for i in range(n):
        start = index_day[i] - lead_in_days
        intercept = float(np.clip(rng.normal(39, 4), 24, 47))  # total at the lead-in start
        days = np.arange(start, index_day[i] + follow_up_days + 1, visit_every_days)
        days = days + rng.integers(-3, 4, size=days.size) * (days != index_day[i])
        died = np.inf
        if death_rate_per_month > 0:
            months_to_death = rng.exponential(1.0 / death_rate_per_month)
            if months_to_death * DAYS_PER_MONTH < follow_up_days:
                died = index_day[i] + int(months_to_death * DAYS_PER_MONTH)
        death_day.append(died if np.isfinite(died) else np.nan)
        for day in days:
            if day > died:
                break
            months = (day - start) / DAYS_PER_MONTH
            after = max(0.0, (day - index_day[i]) / DAYS_PER_MONTH)
            gain = effect * after if arms[i] == "treated" else 0.0
            total = intercept - decline[i] * months + gain + rng.normal(0, noise_sd)
            visit_rows.append((subject_ids[i], int(day), int(np.clip(np.round(total), 0, 48))))
    subjects = pd.DataFrame(
        {
            "subject_id": subject_ids,
            "arm": arms,
            "age_years": age,
            "sex": sex,
            "onset_site": site,
            "onset_day": onset_day,
            "index_day": index_day,
            "death_day": pd.array(
                [None if np.isnan(d) else int(d) for d in death_day], dtype="Int64"
            ),
        }
    )
    visits = pd.DataFrame(visit_rows, columns=["subject_id", "day", "alsfrs_r_total"])
    return subjects, visits
