"""Combined Assessment of Function and Survival (CAFS; Berry et al. 2013; docs/domain.md, 'CAFS').

Every pair of patients (both arms pooled) is compared: if both died, the longer survival wins; if
one died, the survivor wins; if both lived, the better (larger) ALSFRS-R change from baseline *at
the common time point* wins; ties score 0.5. A patient's score is the sum over the pairs it is
in (0 to n - 1). The arms are compared with the two-sided Mann-Whitney U test under R's
exact/normal rule (:func:`.tests.mann_whitney`).

**Common time point** (Berry et al. 2013 rank every survivor at one fixed time): the time point is
``time_point_days`` after ``index_day`` (the protocol's last follow-up visit, e.g. day 91 for
kim2009; by default the end of the follow-up window). A survivor's change is taken at the visit
closest to it within ``[time point - window_before_days, follow_up_days]`` (on equal distance
the earlier visit); comparing each survivor at their own last visit, as before, let a survivor
last seen at month 1 beat one seen at month 3 by having had less time to decline.

Deaths count when they fall within the follow-up window (``index_day < death_day <= index_day +
follow_up_days``); survival is in days from ``index_day``. A survivor without a visit in the
time-point window (missed or dropped out) cannot be ranked and is left out and listed
(``excluded``, with the reason): the comparison then assumes such survivors are missing at random.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.results import TestResult, plain, records
from alstrial.analysis.tests import mann_whitney


@dataclass(frozen=True)
class CafsResult:
    """Per-subject CAFS scores (``scores``), the arm comparison and the subjects left out."""

    scores: pd.DataFrame  # subject_id, arm, died, survival_days, time_point_day, change, score
    test: TestResult
    excluded: pd.DataFrame  # subject_id, arm, reason
    time_point_days: int  # the common time point, days after index_day
    window_days: tuple[int, int]  # first and last day of a visit standing for it

    def summary(self) -> pd.DataFrame:
        """Per arm: n, deaths, mean and median CAFS score."""
        return (
            self.scores.groupby("arm", sort=False)
            .agg(
                n=("score", "size"),
                deaths=("died", "sum"),
                mean_score=("score", "mean"),
                median_score=("score", "median"),
            )
            .reset_index()
        )

    def to_dict(self) -> dict[str, Any]:
        arms = {
            row["arm"]: {k: plain(v) for k, v in row.items() if k != "arm"}
            for row in self.summary().to_dict("records")
        }
        return {
            "time_point_days": self.time_point_days,
            "window_days": list(self.window_days),
            "arms": arms,
            "mann_whitney_p": plain(self.test.p_value),
            "test": self.test.to_dict(),
            "subjects": records(self.scores),
            "excluded": records(self.excluded),
        }


def cafs_scores(died: Any, survival_days: Any, change: Any) -> np.ndarray:
    """CAFS score of each patient: wins plus half the ties over all other patients.

    ``died`` (bool), ``survival_days`` (days from index to death; ignored for survivors) and
    ``change`` (ALSFRS-R points from baseline; ignored for the dead) are aligned arrays.
    """
    died = np.asarray(died, dtype=bool)
    survival = np.asarray(survival_days, dtype=float)
    change = np.asarray(change, dtype=float)
    n = died.size
    wins = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if died[i] and died[j]:
                a, b = survival[i], survival[j]
            elif died[i] != died[j]:
                a, b = float(not died[i]), float(not died[j])
            else:
                a, b = change[i], change[j]
            wins[i, j] = 1.0 if a > b else 0.5 if a == b else 0.0
    return wins.sum(axis=1)


def change_at_time_point(
    survivors: pd.DataFrame, visits: pd.DataFrame, window: tuple[int, int], time_point: int
) -> pd.DataFrame:
    """Per subject of ``survivors`` (``subject_id, index_day, baseline_total``): the day after
    ``index_day`` and the ALSFRS-R change (points) of the visit standing for the time point (the
    closest to ``time_point`` in ``window``, both days after index; on equal distance the
    earlier); subjects without a visit in the window get no row. The prognostic model's outcome
    is defined the same way."""
    rows = visits[["subject_id", "day", "alsfrs_r_total"]].merge(
        survivors[["subject_id", "index_day", "baseline_total"]], on="subject_id"
    )
    rows["time_point_day"] = rows["day"] - rows["index_day"]
    inside = rows[rows["time_point_day"].between(window[0], window[1])].copy()
    inside["distance"] = (inside["time_point_day"] - time_point).abs()
    best = inside.sort_values(["subject_id", "distance", "time_point_day"]).drop_duplicates(
        "subject_id"
    )
    best["change"] = best["alsfrs_r_total"].astype(float) - best["baseline_total"].astype(float)
    return best[["subject_id", "time_point_day", "change"]]


def cafs(
    table: pd.DataFrame,
    subjects: pd.DataFrame,
    visits: pd.DataFrame,
    follow_up_days: int,
    time_point_days: int | None = None,
    window_before_days: int = 14,
    exact_limit: int = 50,
) -> CafsResult:
    """CAFS from the per-subject slope table (``subject_id, arm, index_day, baseline_total``),
    the validated subjects frame (``death_day``) and the analysed visits (``subject_id, day,
    alsfrs_r_total``; visits after the end of the series already left out), at the common time
    point ``time_point_days`` (default: ``follow_up_days``), all in days after ``index_day``."""
    time_point = follow_up_days if time_point_days is None else int(time_point_days)
    window = (max(1, time_point - int(window_before_days)), int(follow_up_days))
    merged = table[["subject_id", "arm", "index_day", "baseline_total"]].merge(
        subjects[["subject_id", "death_day"]], on="subject_id", how="left"
    )
    death = merged["death_day"].astype("Float64")
    window_end = merged["index_day"].astype(float) + follow_up_days
    merged["died"] = (death.notna() & (death <= window_end)).fillna(False).astype(bool)
    merged["survival_days"] = np.where(
        merged["died"], death.astype(float) - merged["index_day"], np.nan
    )
    at_time_point = change_at_time_point(merged[~merged["died"]], visits, window, time_point)
    merged = merged.merge(at_time_point, on="subject_id", how="left")
    no_change = ~merged["died"] & merged["change"].isna()
    excluded = merged.loc[no_change, ["subject_id", "arm"]].assign(
        reason=f"alive without an ALSFRS-R visit on days {window[0]}-{window[1]} after index "
        f"(time point day {time_point})"
    )
    used = merged[~no_change].reset_index(drop=True)
    used["score"] = cafs_scores(used["died"], used["survival_days"], used["change"].astype(float))
    test = mann_whitney(
        used.loc[used["arm"] == "treated", "score"],
        used.loc[used["arm"] == "control", "score"],
        exact_limit,
    )
    columns = ["subject_id", "arm", "died", "survival_days", "time_point_day", "change", "score"]
    return CafsResult(
        scores=used[columns],
        test=test,
        excluded=excluded.reset_index(drop=True),
        time_point_days=time_point,
        window_days=window,
    )
