"""Combined Assessment of Function and Survival (CAFS; Berry et al. 2013; DOMAIN.md section 10).

Every pair of patients (both arms pooled) is compared: if both died, the longer survival wins; if
one died, the survivor wins; if both lived, the better (larger) ALSFRS-R change from baseline at
the last follow-up visit wins; ties score 0.5. A patient's score is the sum over the pairs it is
in (0 to n - 1). The arms are compared with the two-sided Mann-Whitney U test under R's
exact/normal rule (:func:`.tests.mann_whitney`).

Deaths count when they fall within the follow-up window (``index_day < death_day <= index_day +
follow_up_days``); survival is in days from ``index_day``. A survivor without a follow-up change
cannot be compared and is left out (``excluded``).
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

    scores: pd.DataFrame  # subject_id, arm, died, survival_days, change, score
    test: TestResult
    excluded: pd.DataFrame  # subject_id, arm, reason

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


def cafs(
    table: pd.DataFrame, subjects: pd.DataFrame, follow_up_days: int, exact_limit: int = 50
) -> CafsResult:
    """CAFS from the per-subject slope table (``subject_id, arm, index_day, change``) and the
    validated subjects frame (``death_day``)."""
    merged = table[["subject_id", "arm", "index_day", "change"]].merge(
        subjects[["subject_id", "death_day"]], on="subject_id", how="left"
    )
    death = merged["death_day"].astype("Float64")
    window_end = merged["index_day"].astype(float) + follow_up_days
    merged["died"] = (death.notna() & (death <= window_end)).fillna(False).astype(bool)
    merged["survival_days"] = np.where(
        merged["died"], death.astype(float) - merged["index_day"], np.nan
    )
    no_change = ~merged["died"] & merged["change"].isna()
    excluded = merged.loc[no_change, ["subject_id", "arm"]].assign(
        reason="survivor without a follow-up ALSFRS-R change"
    )
    used = merged[~no_change].reset_index(drop=True)
    used["score"] = cafs_scores(used["died"], used["survival_days"], used["change"].astype(float))
    test = mann_whitney(
        used.loc[used["arm"] == "treated", "score"],
        used.loc[used["arm"] == "control", "score"],
        exact_limit,
    )
    scores = used[["subject_id", "arm", "died", "survival_days", "change", "score"]]
    return CafsResult(scores=scores, test=test, excluded=excluded.reset_index(drop=True))
