"""Per-subject ALSFRS-R slopes, change from baseline and dFS.

Definitions (INTERFACES.md "Analysis data"; DOMAIN.md section 3), months = days / 30.4375:
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

from alstrial.analysis.data import TOTAL_COLUMN, AnalysisData
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
    """(baseline total - 48) / months from onset to baseline (points/month; DOMAIN.md s. 3)."""
    if not months_onset_to_baseline > 0:
        return float("nan")
    return (float(baseline_total) - MAX_TOTAL) / float(months_onset_to_baseline)


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
    subjects = data.subjects.set_index("subject_id")
    exclusions: list[dict[str, Any]] = []

    def exclude(sid: str, rule: str, detail: str) -> None:
        exclusions.append(
            {"subject_id": sid, "arm": subjects.at[sid, "arm"], "rule": rule, "detail": detail}
        )

    keep: list[pd.DataFrame] = []
    by_subject = dict(tuple(data.visits.groupby("subject_id", sort=True)))
    for sid in sorted(subjects.index):
        row = subjects.loc[sid]
        visits = by_subject.get(sid, data.visits.iloc[0:0])
        if pd.isna(row["index_day"]):
            exclude(sid, "missing_index_day", EXCLUSION_RULES["missing_index_day"])
            continue
        index_day = int(row["index_day"])
        end = index_day + int(settings.follow_up_days)
        death = None if pd.isna(row["death_day"]) else int(row["death_day"])
        if death is not None and death < index_day:
            exclude(sid, "death_before_index", f"death on day {death}, index day {index_day}")
            continue
        events = [
            (c, int(row[c]))
            for c in ("tracheostomy_day", "permanent_ventilation_day")
            if not pd.isna(row[c])
        ]
        if events:
            event, event_day = min(events, key=lambda e: e[1])
            dropped = visits[(visits["day"] > event_day) & (visits["day"] <= end)]
            if len(dropped):
                exclude(
                    sid,
                    "series_ended",
                    f"{event.removesuffix('_day')} on day {event_day}: "
                    f"{len(dropped)} visit(s) left out",
                )
            visits = visits[visits["day"] <= event_day]
        if death is not None and death <= end:
            exclude(sid, "died_during_follow_up", f"death on day {death}")
        visits = visits[visits["day"] <= end].copy()
        visits["arm"] = row["arm"]
        visits["index_day"] = index_day
        keep.append(visits)
    columns = ["subject_id", "arm", "day", TOTAL_COLUMN, "index_day"]
    out = pd.concat(keep, ignore_index=True)[columns] if keep else pd.DataFrame(columns=columns)
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
    exclusions = [excluded]
    subjects = data.subjects.set_index("subject_id")
    # Every subject not left out entirely gets a row, with or without visits in the window.
    left_out = set(excluded.loc[excluded["rule"].isin(WHOLE_SUBJECT_RULES), "subject_id"])
    groups = dict(tuple(visits.groupby("subject_id", sort=True)))
    rows = []
    for sid in sorted(set(subjects.index) - left_out):
        group = groups.get(sid, visits.iloc[0:0])
        row, notes = _one_subject(sid, group, subjects.loc[sid], settings)
        rows.append(row)
        if notes:
            exclusions.append(pd.DataFrame(notes))
    table = pd.DataFrame(rows, columns=list(SLOPE_COLUMNS))
    all_exclusions = pd.concat([e for e in exclusions if len(e)] or [excluded], ignore_index=True)
    return SubjectSlopes(table=table, exclusions=all_exclusions, settings=settings)


def _one_subject(
    sid: str, visits: pd.DataFrame, subject: pd.Series, settings: AnalysisSettings
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    notes: list[dict[str, Any]] = []

    def note(rule: str, detail: str = "") -> None:
        notes.append(
            {
                "subject_id": sid,
                "arm": subject["arm"],
                "rule": rule,
                "detail": detail or EXCLUSION_RULES[rule],
            }
        )

    dpm = settings.days_per_month
    lead = visits[visits["phase"] == "lead_in"]
    post = visits[visits["phase"] == "follow_up"]
    row: dict[str, Any] = dict.fromkeys(SLOPE_COLUMNS)
    row.update(
        subject_id=sid,
        arm=subject["arm"],
        index_day=int(subject["index_day"]),
        n_lead_in=len(lead),
        n_follow_up=0,
    )
    if lead.empty:
        note("no_baseline")
        row["n_follow_up"] = len(post)
        return row, notes
    base = lead.iloc[-1]
    base_day, base_total = int(base["day"]), int(base[TOTAL_COLUMN])
    row.update(baseline_day=base_day, baseline_total=base_total)
    months = lead["day"].to_numpy(dtype=float) / dpm
    totals = lead[TOTAL_COLUMN].to_numpy(dtype=float)
    row["pre_slope_ols"] = ols_slope(months, totals)
    row["pre_slope_two_point"] = (
        two_point_slope(months[0], totals[0], months[-1], totals[-1])
        if len(lead) >= 2
        else float("nan")
    )
    onset = subject["onset_day"]
    onset_months = float("nan") if pd.isna(onset) else (base_day - int(onset)) / dpm
    row["pre_slope_onset"] = onset_anchored_slope(base_total, onset_months)
    row["delta_fs"] = delta_fs(base_total, onset_months) if onset_months > 0 else float("nan")
    if np.isnan(row["pre_slope_onset"]):
        note("no_onset_day")
    method = settings.pre_slope
    if method == "ols" and len(lead) == 2:
        method = "two_point"  # the OLS line through two visits is the two-point slope
    row["lead_in_slope"] = row[f"pre_slope_{method}"]
    row["lead_in_slope_method"] = method
    if len(lead) < 2 and settings.pre_slope != "onset":
        note("too_few_lead_in_visits")
    window = pd.concat([lead.iloc[[-1]], post])
    row["n_follow_up"] = len(window)
    if post.empty:
        note("no_follow_up_visit")
        return row, notes
    row["follow_up_slope"] = ols_slope(
        window["day"].to_numpy(dtype=float) / dpm, window[TOTAL_COLUMN].to_numpy(dtype=float)
    )
    row["change"] = int(post[TOTAL_COLUMN].iloc[-1]) - base_total
    row["last_follow_up_day"] = int(post["day"].iloc[-1])
    return row, notes
