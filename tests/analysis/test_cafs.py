"""CAFS (Berry 2013; docs/domain.md, 'CAFS') against hand-scored pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alstrial.analysis.cafs import cafs, cafs_scores


def test_hand_scored_pairs():
    # P0 died day 30, P1 died day 60, P2 alive change -5, P3 alive change -2, P4 alive change -2
    died = [True, True, False, False, False]
    survival = [30, 60, np.nan, np.nan, np.nan]
    change = [np.nan, np.nan, -5, -2, -2]
    # P0 loses every pair: 0. P1 beats P0: 1. P2 beats P0, P1: 2.
    # P3 beats P0, P1, P2 and ties P4: 3.5. P4 the same: 3.5. Total = n(n-1)/2 = 10.
    np.testing.assert_allclose(cafs_scores(died, survival, change), [0, 1, 2, 3.5, 3.5])


def _tables():
    ids = ["T1", "T2", "T3", "C1", "C2", "C3"]
    table = pd.DataFrame(
        {
            "subject_id": ids,
            "arm": ["treated"] * 3 + ["control"] * 3,
            "index_day": [100] * 6,
            "baseline_total": [40.0] * 6,
        }
    )
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "death_day": pd.array([None, None, 300, None, 150, None], dtype="Int64"),
        }
    )
    visits = pd.DataFrame(
        [
            ("T1", 100, 40), ("T1", 130, 36), ("T1", 190, 39),  # month 3: -1
            ("T2", 100, 40), ("T2", 185, 38),  # month 3 (day 85 after index): -2
            ("T3", 100, 40), ("T3", 130, 39),  # alive at day 90, last seen at day 30
            ("C1", 100, 40), ("C1", 190, 37),  # -3
            ("C2", 100, 40),  # died day 50 after index
            ("C3", 100, 40), ("C3", 160, 38), ("C3", 180, 36),  # day 80 (window 76-90): -4
        ],
        columns=["subject_id", "day", "alsfrs_r_total"],
    )  # fmt: skip
    return table, subjects, visits


def test_cafs_from_tables_compares_arms_with_a_rank_test():
    table, subjects, visits = _tables()
    # follow-up 90 days: T3's death on day 300 is outside the window; alive at the time point
    # but last seen at day 30, T3 cannot be ranked there
    result = cafs(table, subjects, visits, follow_up_days=90)
    assert list(result.excluded["subject_id"]) == ["T3"]
    assert "days 76-90" in result.excluded["reason"].iloc[0]
    scores = result.scores.set_index("subject_id")["score"]
    # C2 died (day 150 = index + 50): loses to all 4 others. T1 (-1) beats all.
    assert scores.to_dict() == {"T1": 4.0, "T2": 3.0, "C1": 2.0, "C2": 0.0, "C3": 1.0}
    expected = stats.mannwhitneyu([4.0, 3.0], [2.0, 0.0, 1.0], method="exact")
    assert result.test.p_value == pytest.approx(expected.pvalue)
    document = result.to_dict()
    assert document["arms"]["control"]["deaths"] == 1
    assert document["time_point_days"] == 90
    assert document["window_days"] == [76, 90]


def test_survivors_are_compared_at_the_common_time_point_not_their_last_visit():
    table, subjects, visits = _tables()
    # T3 seen at day 30 only with change -1 would beat C1 (-3 at day 90) by having had less time
    # to decline; C3's last visit (day 80, -4) is in the window but T2 has a later, better one
    result = cafs(table, subjects, visits, follow_up_days=90)
    used = result.scores.set_index("subject_id")
    assert "T3" not in used.index
    assert used.loc["C3", "time_point_day"] == 80
    assert used.loc["C3", "change"] == -4
    # with time point 60 (window 46-90) T3 still has no visit; C3's day-60 visit is nearest
    at_60 = cafs(table, subjects, visits, follow_up_days=90, time_point_days=60).scores
    at_60 = at_60.set_index("subject_id")
    assert at_60.loc["C3", "time_point_day"] == 60
    assert at_60.loc["C3", "change"] == -2
    # with a window reaching day 30, T3 counts at its day-30 visit
    early = cafs(table, subjects, visits, follow_up_days=90, time_point_days=30).scores
    assert early.set_index("subject_id").loc["T3", "change"] == -1


def test_visits_outside_the_window_never_stand_for_the_time_point():
    table, subjects, visits = _tables()
    # T1's month-3 visit is on day 90 after index; with follow-up 85 it is outside the window
    result = cafs(table, subjects, visits, follow_up_days=85)
    assert "T1" in set(result.excluded["subject_id"])
    assert result.to_dict()["window_days"] == [71, 85]
