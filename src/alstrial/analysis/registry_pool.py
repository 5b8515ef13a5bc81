"""The registry control pool: every registry patient who could serve as an external control.

The registry comes as frames (see :mod:`alstrial.registry.proact`, which reads the files):
``registry.alsfrs`` (``subject_id, day, scale, total``; ``scale`` is ``"R"`` or ``"original"``)
and ``registry.subjects`` (``subject_id, age_years, sex, onset_site, onset_day, death_day``).
Days are each patient's own registry days (PRO-ACT ``*_Delta``: onset is negative). The rules
(index day, windows, covariates) are stated in :mod:`alstrial.analysis.controls`, which matches
the treated to this pool. Everything here is vectorised over all visits of the registry at once
(``numpy.searchsorted`` on a (patient, day) key), so 100,000 patients take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrial.domain.alsfrs import delta_fs
from alstrial.domain.errors import FieldError
from alstrial.domain.time import DAYS_PER_MONTH, DAYS_PER_YEAR

COVARIATE_COLUMNS = (
    "age_years",
    "sex",
    "onset_site",
    "disease_duration_months",
    "baseline_alsfrs_r",
    "delta_fs",
    "lead_in_slope",
)
REGISTRY_ALSFRS_COLUMNS = ("subject_id", "day", "scale", "total")
REGISTRY_SUBJECT_COLUMNS = (
    "subject_id",
    "age_years",
    "sex",
    "onset_site",
    "onset_day",
    "death_day",
)
INDEX_RULE = (
    "first revised-scale visit with a visit lead_in_days (+-window_days) before it, onset before "
    "it, age known, alive on it; nothing after it is required (deaths and dropouts of controls "
    "count as for the treated)"
)


@dataclass(frozen=True)
class ControlPool:
    """Registry patients who qualify as controls, with their covariates and windowed visits.

    ``candidates``: one row per eligible patient: ``subject_id`` (``id_prefix`` + registry id),
    ``registry_id``, ``index_day``, ``lead_in_start_day``, ``death_day``, ``onset_day``,
    ``n_lead_in`` (visits on or before the index day), ``n_follow_up`` (the baseline and the
    visits after it, as the analysis engine counts them), :data:`COVARIATE_COLUMNS` and two
    outcomes,
    ``follow_up_slope`` (points/month) and ``change`` (points), kept for the report's
    natural-history check and never offered as covariates. ``entries``: every patient at the
    first visit with a full lead-in, with its lead-in slope and whether the patient was ``lost``
    (no visit near the end of follow-up) or ``died`` in follow-up (the dropout check).
    ``visits``: ``subject_id, day,
    alsfrs_r_total`` of those windows. ``flow``: how many patients each rule removed.
    """

    candidates: pd.DataFrame
    visits: pd.DataFrame
    flow: dict[str, int]
    settings: dict[str, Any]
    entries: pd.DataFrame | None = None


def ols_slopes_by_group(
    codes: np.ndarray, months: np.ndarray, totals: np.ndarray, n: int
) -> np.ndarray:
    """OLS slope of total on months per group code (points/month); NaN with < 2 distinct times."""
    count = np.bincount(codes, minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = np.bincount(codes, months, n) / count
        mean_y = np.bincount(codes, totals, n) / count
    dx = months - mean_x[codes]
    sxx = np.bincount(codes, dx * dx, n)
    sxy = np.bincount(codes, dx * (totals - mean_y[codes]), n)
    slope = np.full(n, np.nan)
    ok = sxx > 0
    slope[ok] = sxy[ok] / sxx[ok]
    return slope


def _window_rows(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``starts[i]`` to ``stops[i] - 1`` of every window, and the window each belongs to."""
    lengths = stops - starts
    member = np.repeat(np.arange(len(starts)), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return member, offset + np.repeat(starts, lengths)


def _lead_in_start(key, index_rows, start_lo, start_hi, lead_in_days) -> np.ndarray:
    """Of the visits in each lead-in start window, the one closest to d - lead_in_days (on a
    tie the earlier one); every window holds at least one visit."""
    target = key[index_rows] - lead_in_days
    lo, hi = start_lo[index_rows], start_hi[index_rows]
    after = np.clip(np.searchsorted(key, target, "left"), lo, hi - 1)
    before = np.clip(after - 1, lo, hi - 1)
    take_before = np.abs(target - key[before]) <= np.abs(key[after] - target)
    return np.where(take_before, before, after)


def _entries(key, codes, uniques, day, total, can_enter, starts, death_day, days, per_month):
    """Every patient at the first visit with a full lead-in (the day a trial could enrol them),
    whether follow-up was complete, and the lead-in slope then: the data of the dropout check.

    ``lost``: no visit at all from ``follow_up_days - window_days`` after entry on (death or
    dropout, not a late visit); ``died``: death within ``follow_up_days`` of entry.
    """
    lead_in_days, follow_up_days, window_days = days
    code, first = np.unique(codes[can_enter], return_index=True)
    rows = np.flatnonzero(can_enter)[first]
    start = _lead_in_start(key, rows, *starts, lead_in_days)
    member, window = _window_rows(start, rows + 1)
    months = (day[window] - day[rows][member]) / per_month
    last_day = np.full(len(uniques), np.iinfo(np.int64).min)
    np.maximum.at(last_day, codes, day)
    death = death_day.reindex(uniques[code]).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "registry_id": uniques[code],
            "entry_day": day[rows],
            "lead_in_slope": ols_slopes_by_group(member, months, total[window], len(rows)),
            "lost": last_day[code] < day[rows] + follow_up_days - window_days,
            "died": death <= day[rows] + follow_up_days,
        }
    )


def _require(frame: Any, columns, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise FieldError(name, f"the registry has no {name} table")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FieldError(
            missing[0], f"column {missing[0]!r} is missing from the registry {name} table"
        )
    return frame


def control_pool(
    registry: Any,
    lead_in_days: int = 90,
    follow_up_days: int = 90,
    window_days: int = 14,
    days_per_month: float = DAYS_PER_MONTH,
    id_prefix: str = "registry-",
) -> ControlPool:
    """Every registry patient with an index day by the module's rule, and why others fail."""
    for name, value in (("lead_in_days", lead_in_days), ("follow_up_days", follow_up_days)):
        if int(value) != value or value <= 0:
            raise FieldError(name, f"{name} must be a positive whole number, got {value!r}")
    if int(window_days) != window_days or not 0 <= window_days < min(lead_in_days, follow_up_days):
        raise FieldError(
            "window_days",
            f"window_days must be a whole number from 0 to less "
            f"than the lead-in and follow-up, got {window_days!r}",
        )
    alsfrs = _require(getattr(registry, "alsfrs", None), REGISTRY_ALSFRS_COLUMNS, "alsfrs")
    people = _require(getattr(registry, "subjects", None), REGISTRY_SUBJECT_COLUMNS, "subjects")
    people = people.drop_duplicates("subject_id").set_index("subject_id")
    flow = {"registry_patients": len(people)}
    revised = alsfrs.loc[
        (alsfrs["scale"] == "R") & alsfrs["total"].notna(), ["subject_id", "day", "total"]
    ]
    revised = revised[revised["subject_id"].isin(people.index)]
    death = people["death_day"].reindex(revised["subject_id"]).to_numpy(dtype=float)
    after_death = revised["day"].to_numpy(dtype=float) > np.nan_to_num(death, nan=np.inf)
    flow["visits_after_death_dropped"] = int(after_death.sum())
    revised = revised[~after_death].sort_values(["subject_id", "day"], kind="stable")
    duplicated = revised.duplicated(["subject_id", "day"])
    flow["duplicate_visit_days_dropped"] = int(duplicated.sum())
    revised = revised[~duplicated]
    # A total must be a whole number of points; a fractional one (old PRO-ACT rows with decimal
    # items) is left out and counted, never rounded into a score nobody recorded.
    fractional = revised["total"].to_numpy(dtype=float) % 1 != 0
    flow["fractional_totals_dropped"] = int(fractional.sum())
    revised = revised[~fractional]
    flow["without_revised_visits"] = int(len(people) - revised["subject_id"].nunique())

    ids = revised["subject_id"].to_numpy()
    codes, uniques = pd.factorize(ids, sort=False)
    day = revised["day"].to_numpy(dtype=np.int64)
    total = revised["total"].to_numpy(dtype=float)
    reach = int(lead_in_days + follow_up_days + 2 * window_days + 1)
    low = int(day.min()) if len(day) else 0
    span = (int(day.max()) - low if len(day) else 0) + 2 * reach + 1
    key = codes.astype(np.int64) * span + (day - low + reach)  # days never cross patients

    start_lo = np.searchsorted(key, key - lead_in_days - window_days, "left")
    start_hi = np.searchsorted(key, key - lead_in_days + window_days, "right")
    end_hi = np.searchsorted(key, key + follow_up_days, "right")
    onset = people["onset_day"].reindex(ids).to_numpy(dtype=float)
    age = people["age_years"].reindex(ids).to_numpy(dtype=float)
    has_lead_in = start_hi > start_lo
    # Only what is known on the index day: a lead-in, onset, age, alive. Requiring a visit at
    # the end of follow-up (as before) chose controls on their survival and staying in the
    # registry; a control who dies or drops out now counts as a treated subject who does.
    alive = day < np.nan_to_num(people["death_day"].reindex(ids).to_numpy(dtype=float), nan=np.inf)
    known = ~np.isnan(onset) & ~np.isnan(age) & (onset < day) & alive
    qualifies = has_lead_in & known
    patients_known = np.bincount(codes, known, len(uniques)) > 0
    flow["without_onset_or_age"] = int((~patients_known).sum())
    first_code, first_row = np.unique(codes[qualifies], return_index=True)
    index_rows = np.flatnonzero(qualifies)[first_row]
    flow["without_lead_in"] = int(patients_known.sum() - len(index_rows))
    flow["eligible"] = len(index_rows)

    start_rows = _lead_in_start(key, index_rows, start_lo, start_hi, lead_in_days)
    stop_rows = end_hi[index_rows]  # one past the last follow-up visit
    lengths = stop_rows - start_rows
    member, rows = _window_rows(start_rows, stop_rows)
    subject_ids = np.array([f"{id_prefix}{uniques[c]}" for c in first_code], dtype=object)
    visits = pd.DataFrame(
        {"subject_id": subject_ids[member], "day": day[rows], "alsfrs_r_total": total[rows]}
    )
    visits["alsfrs_r_total"] = visits["alsfrs_r_total"].astype(np.int64)
    lead = rows <= index_rows[member]
    months = (day[rows] - day[index_rows][member]) / days_per_month
    slope = ols_slopes_by_group(member[lead], months[lead], total[rows][lead], len(index_rows))
    # Outcomes of the whole pool (for the natural-history check of the report; never covariates):
    # the follow-up is the baseline plus the visits after it, as in the analysis engine.
    follow = rows >= index_rows[member]
    follow_up_slope = ols_slopes_by_group(
        member[follow], months[follow], total[rows][follow], len(index_rows)
    )
    # no visit after the index day (death or dropout): no change, as for a treated subject
    last_total = np.where(stop_rows - 1 > index_rows, total[stop_rows - 1], np.nan)

    registry_ids = uniques[first_code]
    for column, values in (
        ("onset_day", onset[index_rows]),
        ("death_day", people["death_day"].reindex(registry_ids).to_numpy(dtype=float)),
    ):
        fractional = ~np.isnan(values) & (values % 1 != 0)
        if fractional.any():  # a day offset is whole; truncating one would move an event
            raise FieldError(
                column,
                f"registry {column} must be a whole number of days (patient "
                f"{registry_ids[np.argmax(fractional)]}: {values[fractional][0]})",
            )
    info = people.loc[registry_ids]
    index_day = day[index_rows]
    duration = (index_day - onset[index_rows]) / days_per_month
    baseline = total[index_rows]
    candidates = pd.DataFrame(
        {
            "subject_id": subject_ids,
            "registry_id": registry_ids,
            "index_day": index_day,
            "lead_in_start_day": day[start_rows],
            "onset_day": onset[index_rows].astype(np.int64),
            "death_day": pd.array(info["death_day"].to_numpy(dtype=float)).astype("Int64"),
            "n_lead_in": np.bincount(member[lead], minlength=len(index_rows)),
            # As the analysis engine counts them: the baseline plus the visits after it.
            "n_follow_up": lengths - np.bincount(member[lead], minlength=len(index_rows)) + 1,
            "age_years": age[index_rows] + index_day / DAYS_PER_YEAR,
            "sex": info["sex"].to_numpy(),
            "onset_site": info["onset_site"].to_numpy(),
            "disease_duration_months": duration,
            "baseline_alsfrs_r": baseline,
            "delta_fs": [delta_fs(b, m) for b, m in zip(baseline, duration, strict=True)],
            "lead_in_slope": slope,
            "follow_up_slope": follow_up_slope,
            "change": last_total - total[index_rows],
        }
    )
    entries = _entries(
        key,
        codes,
        uniques,
        day,
        total,
        has_lead_in & known,
        (start_lo, start_hi),
        people["death_day"],
        (lead_in_days, follow_up_days, window_days),
        days_per_month,
    )
    settings = {
        "lead_in_days": int(lead_in_days),
        "follow_up_days": int(follow_up_days),
        "window_days": int(window_days),
        "days_per_month": float(days_per_month),
        "index_rule": INDEX_RULE,
    }
    return ControlPool(
        candidates=candidates, visits=visits, flow=flow, settings=settings, entries=entries
    )
