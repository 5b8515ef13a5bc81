"""CAFS (Berry 2013; DOMAIN.md section 10) against hand-scored pairs."""

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


def test_cafs_from_tables_compares_arms_with_a_rank_test():
    table = pd.DataFrame(
        {
            "subject_id": ["T1", "T2", "T3", "C1", "C2", "C3"],
            "arm": ["treated"] * 3 + ["control"] * 3,
            "index_day": [100] * 6,
            "change": [-1.0, -2.0, np.nan, -3.0, np.nan, -4.0],
        }
    )
    subjects = pd.DataFrame(
        {
            "subject_id": ["T1", "T2", "T3", "C1", "C2", "C3"],
            "death_day": pd.array([None, None, 300, None, 150, None], dtype="Int64"),
        }
    )
    # follow-up 90 days: T3's death on day 300 is outside the window -> survivor without change
    result = cafs(table, subjects, follow_up_days=90)
    assert list(result.excluded["subject_id"]) == ["T3"]
    scores = result.scores.set_index("subject_id")["score"]
    # C2 died (day 150 = index + 50): loses to all 4 others. T1 (-1) beats all.
    assert scores.to_dict() == {"T1": 4.0, "T2": 3.0, "C1": 2.0, "C2": 0.0, "C3": 1.0}
    expected = stats.mannwhitneyu([4.0, 3.0], [2.0, 0.0, 1.0], method="exact")
    assert result.test.p_value == pytest.approx(expected.pvalue)
    assert result.to_dict()["arms"]["control"]["deaths"] == 1
