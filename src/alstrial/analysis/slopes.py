"""Per-subject ALSFRS-R slopes, change from baseline and dFS.

Definitions (docs/interfaces.md, 'Analysis data'; docs/domain.md, 'Slopes'), months = days
/ 30.4375:
- lead-in visits: ``day <= index_day``; baseline = the last of them.
- follow-up visits: the baseline plus visits with ``index_day < day <= index_day +
  follow_up_days``; ``n_follow_up`` counts the baseline too.
- ``follow_up_slope``: OLS slope of the total on months over the follow-up visits (signed,
  points/month; negative is decline); null with fewer than 2 visits or no visit after baseline.
- ``change``: total at the last follow-up visit minus the baseline total (points); null when no
  visit follows the baseline in the window.
- ``lead_in_slope``: by the definition chosen in the settings (``pre_slope``):
  ``ols`` over all lead-in visits (null with < 2; with exactly 2 it is the two-point slope and is
  named so), ``two_point`` (baseline minus first lead-in visit over the months between them),
  ``onset`` ((baseline total - 48) / months from onset to baseline).
- ``delta_fs`` (Kimura 2006): (48 - baseline total) / months from onset to baseline.

Death, tracheostomy and permanent ventilation end the ALSFRS-R series: visits after the event
are left out, and every subject a rule excluded or truncated is listed in ``exclusions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.data import SERIES_END_COLUMNS, TOTAL_COLUMN, AnalysisData
from alstrial.analysis.results import records
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.alsfrs import MAX_TOTAL, delta_fs

#: Exclusion and truncation rules, with what each does to a subject.
EXCLUSION_RULES = {
    "missing_index_day": "no index_day: subject left out of every analysis",
    "death_before_index": "died before index_day: subject left out of every analysis",
    "series_ended": "tracheostomy or permanent ventilation: later visits left out",
    "died_during_follow_up": "died within the follow-up window: follow-up ends at death",
    "no_baseline": "no lead-in visit: no baseline, slopes and change are null",
    "too_few_lead_in_visits": "fewer than 2 lead-in visits: lead-in slope is null",
    "no_onset_day": "no onset_day (or onset at baseline): onset-anchored slope and dFS are null",
    "no_follow_up_visit": "no visit after baseline in the window: follow-up slope and change null",
}

#: Rules that leave a subject out of every analysis (no row in the slope table).
WHOLE_SUBJECT_RULES = ("missing_index_day", "death_before_index")

SLOPE_COLUMNS = (
    "subject_id",
    "arm",
    "index_day",
    "baseline_day",
    "baseline_total",
    "n_lead_in",
    "n_follow_up",
    "lead_in_slope",
    "lead_in_slope_method",
    "pre_slope_ols",
    "pre_slope_two_point",
    "pre_slope_onset",
    "follow_up_slope",
    "change",
    "last_follow_up_day",
    "delta_fs",
)


def ols_slope(months: Any, totals: Any) -> float:
    """Least-squares slope of ``totals`` on ``months`` (points/month); NaN with < 2 times."""
    x = np.asarray(months, dtype=float)
    y = np.asarray(totals, dtype=float)
    if x.size < 2:
        return float("nan")
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx == 0.0:
        return float("nan")
    return float(dx @ (y - y.mean()) / sxx)


def two_point_slope(
    first_month: float, first_total: float, last_month: float, last_total: float
) -> float:
    """(last - first) / months between them (points/month); NaN when the months coincide."""
    if last_month == first_month:
        return float("nan")
    return (float(last_total) - float(first_total)) / (float(last_month) - float(first_month))


def onset_anchored_slope(baseline_total: float, months_onset_to_baseline: float) -> float:
    """(baseline total - 48) / months from onset to baseline (points/month; docs/domain.md,
    'Slopes')."""
    if not months_onset_to_baseline > 0:
        return float("nan")
    return (float(baseline_total) - MAX_TOTAL) / float(months_onset_to_baseline)


def _slices(subject_ids: np.ndarray) -> dict[str, tuple[int, int]]:
    """``{subject_id: (first row, last row + 1)}`` of an array whose subjects are contiguous."""
    if subject_ids.size == 0:
        return {}
    change = np.flatnonzero(subject_ids[1:] != subject_ids[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [subject_ids.size]])
    return {str(subject_ids[a]): (int(a), int(b)) for a, b in zip(starts, ends, strict=True)}


def _day(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def windowed_visits(
    data: AnalysisData, settings: AnalysisSettings | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Visits that enter the analysis, and the exclusions made on the way.

    Returns ``(visits, exclusions)``. ``visits`` has ``subject_id, arm, day, alsfrs_r_total,
    index_day, t`` (months from ``index_day``), ``phase`` (``lead_in`` or ``follow_up``); it keeps
    subjects with an index day who were alive at it, visits up to ``index_day +
    follow_up_days`` and up to the end of the series (death, tracheostomy, permanent
    ventilation; a visit on the event day is kept).
    """
    settings = settings or AnalysisSettings()
    visits = data.visits.sort_values(["subject_id", "day"], kind="stable", ignore_index=True)
    days = visits["day"].to_numpy(dtype=np.int64)
    slices = _slices(visits["subject_id"].to_numpy(dtype=str))
    exclusions: list[dict[str, Any]] = []
    keep: list[np.ndarray] = []
    arms: list[str] = []
    index_days: list[int] = []
    for row in data.subjects.sort_values("subject_id").to_dict("records"):
        sid = row["subject_id"]

        def exclude(rule: str, detail: str, sid: str = sid, arm: str = row["arm"]) -> None:
            exclusions.append({"subject_id": sid, "arm": arm, "rule": rule, "detail": detail})

        index_day, death = _day(row["index_day"]), _day(row["death_day"])
        if index_day is None:
            exclude("missing_index_day", EXCLUSION_RULES["missing_index_day"])
            continue
        if death is not None and death < index_day:
            exclude("death_before_index", f"death on day {death}, index day {index_day}")
            continue
        end = index_day + int(settings.follow_up_days)
        lo, hi = slices.get(sid, (0, 0))
        rows = np.arange(lo, hi)
        events = [(c, _day(row.get(c))) for c in SERIES_END_COLUMNS]
        events = [(c, d) for c, d in events if d is not None]
        if events:
            event, event_day = min(events, key=lambda e: e[1])
            dropped = int(np.sum((days[rows] > event_day) & (days[rows] <= end)))
            if dropped:
                exclude(
                    "series_ended",
                    f"{event.removesuffix('_day')} on day {event_day}: {dropped} visit(s) left out",
                )
            rows = rows[days[rows] <= event_day]
        if death is not None and death <= end:
            exclude("died_during_follow_up", f"death on day {death}")
        rows = rows[days[rows] <= end]
        keep.append(rows)
        arms.extend([row["arm"]] * rows.size)
        index_days.extend([index_day] * rows.size)
    rows = np.concatenate(keep) if keep else np.array([], dtype=int)
    out = visits.iloc[rows][["subject_id", "day", TOTAL_COLUMN]].reset_index(drop=True)
    out.insert(1, "arm", pd.Series(arms, dtype=object))
    out["index_day"] = np.asarray(index_days, dtype=np.int64)
    out["t"] = (out["day"] - out["index_day"]).astype(float) / settings.days_per_month
    out["phase"] = np.where(out["day"] <= out["index_day"], "lead_in", "follow_up")
    return out, pd.DataFrame(exclusions, columns=["subject_id", "arm", "rule", "detail"])


@dataclass(frozen=True)
class SubjectSlopes:
    """Per-subject slopes (``table``, columns :data:`SLOPE_COLUMNS`) and ``exclusions``
    (``subject_id, arm, rule, detail``; rules in :data:`EXCLUSION_RULES`)."""

    table: pd.DataFrame
    exclusions: pd.DataFrame
    settings: AnalysisSettings

    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def exclusion_counts(self) -> dict[str, int]:
        """Number of distinct subjects each rule excluded or truncated (every rule listed)."""
        counts = self.exclusions.groupby("rule")["subject_id"].nunique()
        return {rule: int(counts.get(rule, 0)) for rule in EXCLUSION_RULES}

    def to_dict(self) -> dict[str, Any]:
        return {
            "subjects": records(self.table),
            "exclusions": {
                "counts": self.exclusion_counts(),
                "subjects": records(self.exclusions),
            },
        }


def subject_slopes(data: AnalysisData, settings: AnalysisSettings | None = None) -> SubjectSlopes:
    """Slopes, change and dFS of every analysable subject (see the module docstring)."""
    settings = settings or AnalysisSettings()
    visits, excluded = windowed_visits(data, settings)
    days = visits["day"].to_numpy(dtype=float)
    totals = visits[TOTAL_COLUMN].to_numpy(dtype=float)
    slices = _slices(visits["subject_id"].to_numpy(dtype=str))
    # Every subject not left out entirely gets a row, with or without visits in the window.
    left_out = set(excluded.loc[excluded["rule"].isin(WHOLE_SUBJECT_RULES), "subject_id"])
    rows, notes = [], []
    for subject in data.subjects.sort_values("subject_id").to_dict("records"):
        if subject["subject_id"] in left_out:
            continue
        lo, hi = slices.get(subject["subject_id"], (0, 0))
        row, subject_notes = _one_subject(subject, days[lo:hi], totals[lo:hi], settings)
        rows.append(row)
        notes.extend(subject_notes)
    table = pd.DataFrame(rows, columns=list(SLOPE_COLUMNS))
    exclusions = pd.concat(
        [excluded, pd.DataFrame(notes, columns=excluded.columns)], ignore_index=True
    )
    return SubjectSlopes(table=table, exclusions=exclusions, settings=settings)


def _one_subject(
    subject: dict[str, Any], days: np.ndarray, totals: np.ndarray, settings: AnalysisSettings
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One subject's row from its windowed visits (``days`` sorted, ``totals`` aligned)."""
    sid, arm, index_day = subject["subject_id"], subject["arm"], int(subject["index_day"])
    notes: list[dict[str, Any]] = []

    def note(rule: str) -> None:
        notes.append({"subject_id": sid, "arm": arm, "rule": rule, "detail": EXCLUSION_RULES[rule]})

    dpm = settings.days_per_month
    n_lead = int(np.sum(days <= index_day))
    row: dict[str, Any] = dict.fromkeys(SLOPE_COLUMNS)
    row.update(
        subject_id=sid,
        arm=arm,
        index_day=index_day,
        n_lead_in=n_lead,
        n_follow_up=days.size - n_lead,
    )
    if n_lead == 0:
        note("no_baseline")
        return row, notes
    months = days / dpm
    base_day, base_total = int(days[n_lead - 1]), int(totals[n_lead - 1])
    row.update(baseline_day=base_day, baseline_total=base_total)
    row["pre_slope_ols"] = ols_slope(months[:n_lead], totals[:n_lead])
    row["pre_slope_two_point"] = (
        two_point_slope(months[0], totals[0], months[n_lead - 1], totals[n_lead - 1])
        if n_lead >= 2
        else float("nan")
    )
    onset = _day(subject["onset_day"])
    onset_months = float("nan") if onset is None else (base_day - onset) / dpm
    row["pre_slope_onset"] = onset_anchored_slope(base_total, onset_months)
    row["delta_fs"] = delta_fs(base_total, onset_months) if onset_months > 0 else float("nan")
    if np.isnan(row["pre_slope_onset"]):
        note("no_onset_day")
    method = settings.pre_slope
    if method == "ols" and n_lead == 2:
        method = "two_point"  # the OLS line through two visits is the two-point slope
    row["lead_in_slope"] = row[f"pre_slope_{method}"]
    row["lead_in_slope_method"] = method
    if n_lead < 2 and settings.pre_slope != "onset":
        note("too_few_lead_in_visits")
    # follow-up: the baseline and every later visit of the window
    row["n_follow_up"] = days.size - n_lead + 1
    if days.size == n_lead:
        note("no_follow_up_visit")
        return row, notes
    row["follow_up_slope"] = ols_slope(months[n_lead - 1 :], totals[n_lead - 1 :])
    row["change"] = int(totals[-1]) - base_total
    row["last_follow_up_day"] = int(days[-1])
    return row, notes
