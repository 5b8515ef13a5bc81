"""Per-subject slopes against a hand-worked example (the arithmetic is written out) and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alstrial.analysis.data import SUBJECT_COLUMNS, AnalysisData
from alstrial.analysis.settings import AnalysisSettings
from alstrial.analysis.slopes import (
    EXCLUSION_RULES,
    ols_slope,
    subject_slopes,
    windowed_visits,
)

DPM = 30.4375
COLUMNS = [*SUBJECT_COLUMNS, "tracheostomy_day"]


def _data() -> AnalysisData:
    subjects = pd.DataFrame(
        [
            # A: the hand-worked subject
            ["A", "treated", 50, "male", "spinal", -180, 100, None, None],
            ["B", "treated", 51, "female", "bulbar", -100, 30, None, None],  # 2 lead-in visits
            ["C", "treated", 52, "male", "spinal", None, 0, None, None],  # 1 lead-in visit
            ["D", "control", 53, "male", "spinal", -50, None, None, None],  # no index day
            ["E", "control", 54, "male", "spinal", -50, 60, 105, None],  # dies in follow-up
            ["F", "control", 55, "male", "spinal", -50, 60, None, 100],  # tracheostomy
            ["G", "control", 56, "male", "spinal", -50, 60, 40, None],  # dies before index
            ["H", "control", 57, "male", "spinal", -50, 60, None, None],  # no follow-up visit
            ["J", "control", 58, "male", "spinal", -50, 60, None, None],  # no visit at all
        ],
        columns=COLUMNS,
    )
    visits = pd.DataFrame(
        [
            ("A", 0, 40),
            ("A", 30, 39),
            ("A", 61, 37),
            ("A", 100, 36),
            ("A", 130, 36),
            ("A", 160, 34),
            ("A", 190, 33),
            ("A", 200, 30),
            ("B", 0, 30),
            ("B", 30, 28),
            ("B", 60, 27),
            ("B", 90, 25),
            ("C", 0, 44),
            ("C", 30, 43),
            ("C", 60, 43),
            ("D", 0, 40),
            ("D", 30, 39),
            ("E", 0, 40),
            ("E", 30, 39),
            ("E", 60, 38),
            ("E", 90, 36),
            ("E", 105, 35),
            ("F", 0, 40),
            ("F", 30, 39),
            ("F", 60, 38),
            ("F", 90, 37),
            ("F", 100, 36),
            ("F", 120, 30),
            ("F", 150, 28),
            ("G", 0, 40),
            ("G", 30, 38),
            ("H", 0, 40),
            ("H", 30, 39),
            ("H", 60, 38),
        ],
        columns=["subject_id", "day", "alsfrs_r_total"],
    )
    return AnalysisData.from_frames(subjects, visits)


@pytest.fixture(scope="module")
def slopes():
    return subject_slopes(_data())


def _row(slopes, sid):
    return slopes.table.set_index("subject_id").loc[sid]


def test_hand_worked_subject(slopes):
    a = _row(slopes, "A")
    # Lead-in: days 0, 30, 61, 100 with totals 40, 39, 37, 36 (baseline = day 100, 36).
    # mean day 191/4 = 47.75, mean total 38; dx = -47.75, -17.75, 13.25, 52.25; dy = 2, 1, -1, -2
    # Sxy = -95.5 - 17.75 - 13.25 - 104.5 = -231; Sxx = 2280.0625 + 315.0625 + 175.5625
    # + 2730.0625 = 5500.75; slope = -231 / 5500.75 points/day * 30.4375 days/month.
    assert a["lead_in_slope"] == pytest.approx(-231 / 5500.75 * DPM, rel=1e-12)
    assert a["lead_in_slope_method"] == "ols"
    assert a["n_lead_in"] == 4
    assert a["baseline_day"] == 100
    assert a["baseline_total"] == 36
    # Follow-up: baseline + days 130, 160, 190 (day 200 is after index + 90 = 190).
    # mean day 145, mean total 139/4 = 34.75; dx = -45, -15, 15, 45; dy = 1.25, 1.25, -0.75,
    # -1.75; Sxy = -56.25 - 18.75 - 11.25 - 78.75 = -165; Sxx = 4500.
    assert a["follow_up_slope"] == pytest.approx(-165 / 4500 * DPM, rel=1e-12)
    assert a["n_follow_up"] == 4
    assert a["change"] == 33 - 36
    assert a["last_follow_up_day"] == 190
    # Two-point: (36 - 40) / (100 / 30.4375) months.
    assert a["pre_slope_two_point"] == pytest.approx(-4 / (100 / DPM), rel=1e-12)
    # Onset-anchored: (36 - 48) / ((100 - (-180)) / 30.4375); dFS the same with opposite sign.
    assert a["pre_slope_onset"] == pytest.approx(-12 / (280 / DPM), rel=1e-12)
    assert a["delta_fs"] == pytest.approx(12 / (280 / DPM), rel=1e-12)


def test_two_lead_in_visits_is_named_two_point(slopes):
    b = _row(slopes, "B")
    assert b["n_lead_in"] == 2
    assert b["lead_in_slope_method"] == "two_point"
    assert b["lead_in_slope"] == pytest.approx((28 - 30) / (30 / DPM))


def test_one_lead_in_visit_has_no_lead_in_slope(slopes):
    c = _row(slopes, "C")
    assert np.isnan(c["lead_in_slope"])
    assert np.isnan(c["delta_fs"])  # no onset day
    # baseline day 0 (44), follow-up days 30, 60 -> OLS over 3 points
    assert c["follow_up_slope"] == pytest.approx(
        ols_slope(np.array([0, 30, 60]) / DPM, [44, 43, 43])
    )


def test_exclusions_are_counted_with_reasons(slopes):
    counts = slopes.exclusion_counts()
    assert set(counts) == set(EXCLUSION_RULES)
    assert counts["missing_index_day"] == 1
    assert counts["death_before_index"] == 1
    assert counts["died_during_follow_up"] == 1
    assert counts["series_ended"] == 1
    assert counts["too_few_lead_in_visits"] == 1
    assert counts["no_follow_up_visit"] == 1
    rules = slopes.exclusions.set_index("subject_id")["rule"]
    assert rules["D"] == "missing_index_day"
    assert rules["G"] == "death_before_index"
    assert "H" in set(
        slopes.exclusions.loc[slopes.exclusions["rule"] == "no_follow_up_visit", "subject_id"]
    )
    assert set(slopes.table["subject_id"]) == {"A", "B", "C", "E", "F", "H", "J"}
    assert rules["J"] == "no_baseline"
    assert counts["no_baseline"] == 1


def test_series_ends_at_tracheostomy(slopes):
    f = _row(slopes, "F")
    # visits after day 100 (tracheostomy) are left out: follow-up = 60, 90, 100 only
    assert f["n_follow_up"] == 3
    assert f["change"] == 36 - 38
    detail = slopes.exclusions.set_index("subject_id").loc["F", "detail"]
    assert "2 visit(s) left out" in detail


def test_death_ends_follow_up(slopes):
    e = _row(slopes, "E")
    assert e["last_follow_up_day"] == 105
    assert e["change"] == 35 - 38


def test_no_follow_up_visit(slopes):
    h = _row(slopes, "H")
    assert np.isnan(h["follow_up_slope"])
    assert np.isnan(h["change"])
    assert h["n_follow_up"] == 1


@pytest.mark.parametrize("method", ["two_point", "onset"])
def test_pre_slope_setting(method):
    table = subject_slopes(_data(), AnalysisSettings(pre_slope=method)).table
    a = table.set_index("subject_id").loc["A"]
    assert a["lead_in_slope_method"] == method
    assert a["lead_in_slope"] == a[f"pre_slope_{method}"]


def test_follow_up_days_setting():
    table = subject_slopes(_data(), AnalysisSettings(follow_up_days=100)).table
    a = table.set_index("subject_id").loc["A"]
    assert a["n_follow_up"] == 5  # day 200 now falls in the window
    assert a["change"] == 30 - 36


def test_ols_slope_matches_scipy():
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0, 6, 9), rng.normal(38, 3, 9)
    assert ols_slope(x, y) == pytest.approx(stats.linregress(x, y).slope, rel=1e-12)
    assert np.isnan(ols_slope([1.0], [2.0]))
    assert np.isnan(ols_slope([1.0, 1.0], [2.0, 3.0]))


def test_windowed_visits_time_axis():
    visits, _ = windowed_visits(_data())
    a = visits[visits["subject_id"] == "A"]
    np.testing.assert_allclose(a["t"], (a["day"] - 100) / DPM)
    assert list(a["phase"]) == ["lead_in"] * 4 + ["follow_up"] * 3
