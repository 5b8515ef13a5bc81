"""Registry controls: index-day rule, covariates and matched frames, on a hand-made registry."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from alstrial.analysis.controls import (
    control_pool,
    matched_controls,
    treated_covariates,
    with_registry_controls,
)
from alstrial.analysis.data import SUBJECT_COLUMNS, AnalysisData
from alstrial.analysis.matching import Matcher
from alstrial.domain.errors import FieldError

DPM = 30.4375


def registry_frames():
    visits = [
        # A: index 90 (lead-in start 0; follow-up end 180 within [166, 180]).
        *[("A", d, "R", t) for d, t in [(0, 40), (30, 39), (90, 37), (120, 36), (180, 34)]],
        # B: original scale only: never a control.
        *[("B", d, "original", t) for d, t in [(0, 35), (90, 33), (180, 31)]],
        # C: no visit at the end of any follow-up window (200 is past 90 + 90).
        *[("C", d, "R", t) for d, t in [(0, 44), (90, 43), (200, 41)]],
        # D: unknown onset.
        *[("D", d, "R", t) for d, t in [(0, 40), (90, 38), (180, 36)]],
        # E: lead-in start closest to 85 - 90 = -5 is day -10; death on 172 drops 175 and 260.
        *[
            ("E", d, "R", t)
            for d, t in [(-10, 42), (5, 41), (85, 40), (100, 38), (170, 36), (175, 35), (260, 30)]
        ],
        # F: a duplicate day and a fractional total; index 100.
        *[("F", d, "R", t) for d, t in [(10, 30), (10, 29), (50, 28.5), (100, 27), (190, 25)]],
        # G: a full lead-in, then no visit again: lost to follow-up.
        *[("G", d, "R", t) for d, t in [(0, 41), (45, 38), (90, 36), (120, 35)]],
    ]
    alsfrs = pd.DataFrame(visits, columns=["subject_id", "day", "scale", "total"])
    subjects = pd.DataFrame(
        {
            "subject_id": ["A", "B", "C", "D", "E", "F", "G"],
            "age_years": [50.0, 60.0, 55.0, 58.0, 62.0, 45.0, 66.0],
            "sex": ["M", "F", "M", "F", "F", "M", "F"],
            "onset_site": ["spinal", "bulbar", "spinal", "spinal", "bulbar", "spinal", "spinal"],
            "onset_day": [-300, -200, -400, None, -500, -250, -100],
            "death_day": [None, None, None, None, 172, None, None],
        }
    )
    return SimpleNamespace(alsfrs=alsfrs, subjects=subjects)


def test_index_day_rule_and_flow():
    pool = control_pool(registry_frames())
    got = pool.candidates.set_index("registry_id")
    # Chosen on what is known on the index day: C (no visit in the follow-up window) and G (lost
    # after day 120) are controls like any other; their later course is the outcome.
    assert list(got.index) == ["A", "C", "E", "F", "G"]
    assert got["index_day"].tolist() == [90, 90, 85, 100, 90]
    assert got["lead_in_start_day"].tolist() == [0, 0, -10, 10, 0]
    assert pool.flow == {
        "registry_patients": 7,
        "visits_after_death_dropped": 2,
        "duplicate_visit_days_dropped": 1,
        "fractional_totals_dropped": 1,
        "without_revised_visits": 1,
        "without_onset_or_age": 1,
        "without_lead_in": 0,
        "eligible": 5,
    }
    windows = pool.visits.groupby("subject_id")["day"].apply(list).to_dict()
    assert windows == {
        "registry-A": [0, 30, 90, 120, 180],
        "registry-C": [0, 90],
        "registry-E": [-10, 5, 85, 100, 170],
        "registry-F": [10, 100, 190],
        "registry-G": [0, 45, 90, 120],
    }
    assert got["n_lead_in"].tolist() == [3, 2, 3, 2, 3]
    assert got["n_follow_up"].tolist() == [3, 1, 3, 2, 2]  # baseline included, as the engine counts
    # C has no visit after its index day: no change and no follow-up slope, as for a treated
    assert np.isnan(got.at["C", "change"])
    assert np.isnan(got.at["C", "follow_up_slope"])
    assert got.at["G", "change"] == 35 - 36


def test_controls_who_die_early_stay_in_the_pool():
    registry = registry_frames()
    # H dies 20 days after a full lead-in, before any follow-up visit: under a rule that asked
    # for a visit at the end of follow-up, no control could ever die early.
    extra = pd.DataFrame(
        [("H", d, "R", t) for d, t in [(0, 38), (90, 33)]],
        columns=["subject_id", "day", "scale", "total"],
    )
    registry.alsfrs = pd.concat([registry.alsfrs, extra], ignore_index=True)
    registry.subjects = pd.concat(
        [
            registry.subjects,
            pd.DataFrame(
                {
                    "subject_id": ["H"],
                    "age_years": [70.0],
                    "sex": ["M"],
                    "onset_site": ["bulbar"],
                    "onset_day": [-200],
                    "death_day": [110],
                }
            ),
        ],
        ignore_index=True,
    )
    got = control_pool(registry).candidates.set_index("registry_id")
    assert got.at["H", "index_day"] == 90
    assert got.at["H", "death_day"] == 110
    # a patient is never indexed on or after the day of death
    registry.subjects.loc[registry.subjects["subject_id"] == "H", "death_day"] = 90
    assert "H" not in set(control_pool(registry).candidates["registry_id"])


def test_entries_say_who_was_lost_or_died_after_a_full_lead_in():
    entries = control_pool(registry_frames()).entries.set_index("registry_id")
    # D has no onset day, B no revised visits: neither could have been enrolled.
    assert list(entries.index) == ["A", "C", "E", "F", "G"]
    assert entries["entry_day"].tolist() == [90, 90, 85, 100, 90]
    # C's late visit (200) is not a loss; G has no visit from day 90 + 76 on.
    assert entries["lost"].tolist() == [False, False, False, False, True]
    assert entries["died"].tolist() == [False, False, True, False, False]
    months = (np.array([0, 45, 90]) - 90) / DPM
    assert entries.at["G", "lead_in_slope"] == pytest.approx(np.polyfit(months, [41, 38, 36], 1)[0])


def test_registry_covariates_at_the_index_day():
    a = control_pool(registry_frames()).candidates.set_index("registry_id").loc["A"]
    duration = (90 + 300) / DPM
    assert a["age_years"] == pytest.approx(50 + 90 / 365.25)
    assert a["disease_duration_months"] == pytest.approx(duration)
    assert a["baseline_alsfrs_r"] == 37
    assert a["delta_fs"] == pytest.approx((48 - 37) / duration)
    months = (np.array([0, 30, 90]) - 90) / DPM
    assert a["lead_in_slope"] == pytest.approx(np.polyfit(months, [40, 39, 37], 1)[0])
    after = (np.array([90, 120, 180]) - 90) / DPM
    assert a["follow_up_slope"] == pytest.approx(np.polyfit(after, [37, 36, 34], 1)[0])
    assert a["change"] == 34 - 37


def trial_frames():
    subjects = pd.DataFrame(
        {
            "subject_id": ["T1", "T2", "T3"],
            "arm": ["treated", "treated", "treated"],
            "age_years": [51.0, 61.0, 40.0],
            "sex": ["M", "F", "M"],
            "onset_site": ["spinal", "bulbar", "spinal"],
            "onset_day": [-390, -580, None],
            "index_day": [0, 0, 0],
            "death_day": [None, None, None],
        }
    )
    visits = pd.DataFrame(
        {
            "subject_id": ["T1"] * 4 + ["T2"] * 3 + ["T3"] * 2,
            "day": [-90, -45, 0, 90, -91, 0, 88, -90, 0],
            "alsfrs_r_total": [40, 38, 37, 36, 44, 41, 40, 30, 29],
        }
    )
    return subjects, visits


def test_treated_covariates_and_unusable_subjects():
    covariates, unusable = treated_covariates(*trial_frames())
    t1 = covariates.set_index("subject_id").loc["T1"]
    assert t1["disease_duration_months"] == pytest.approx(390 / DPM)
    assert t1["baseline_alsfrs_r"] == 37
    assert t1["delta_fs"] == pytest.approx(11 / (390 / DPM))
    assert t1["lead_in_slope"] == pytest.approx(
        np.polyfit(np.array([-90, -45, 0]) / DPM, [40, 38, 37], 1)[0]
    )
    assert t1["sex"] == "M"  # the trial's spelling mapped to the registry's code
    assert unusable.to_dict("records") == [
        {"treated_id": "T3", "reason": "no onset_day before index_day"}
    ]


def test_matched_controls_in_the_analysis_csv_shape():
    subjects, visits = trial_frames()
    matcher = Matcher(caliper=None, covariates=("age_years", "disease_duration_months"))
    control_subjects, control_visits, result = matched_controls(
        subjects, visits, registry_frames(), matcher=matcher
    )
    pairs = dict(zip(result.matches["treated_id"], result.matches["control_id"], strict=True))
    # T2 is bulbar: E is the only bulbar candidate. T1 spinal: nearest of A, C, F, G is A.
    assert pairs == {"T1": "registry-A", "T2": "registry-E"}
    assert result.unmatched["treated_id"].tolist() == ["T3"]
    assert list(control_subjects.columns) == list(SUBJECT_COLUMNS)
    assert set(control_subjects["arm"]) == {"control"}
    assert set(control_visits["subject_id"]) == {"registry-A", "registry-E"}
    # The analysis engine accepts them as a control arm.
    trial = AnalysisData.from_frames(subjects, visits)
    combined = trial.combine(AnalysisData.from_frames(control_subjects, control_visits))
    assert (combined.subjects["arm"] == "control").sum() == 2
    assert result.to_dict()["registry_flow"]["eligible"] == 5
    assert result.settings["lead_in_days"] == 90


def test_empty_matching_covariates_leave_patients_out_not_the_matching():
    registry = registry_frames()
    registry.subjects.loc[registry.subjects["subject_id"] == "E", "onset_site"] = None
    subjects, visits = trial_frames()
    subjects.loc[subjects["subject_id"] == "T1", "sex"] = None
    matcher = Matcher(caliper=None, covariates=("age_years",), exact=("onset_site", "sex"))
    _, _, result = matched_controls(subjects, visits, registry, matcher=matcher)
    assert result.flow["without_matching_covariates"] == 1  # E: no onset site
    assert result.matches.empty  # T2 (bulbar) had only E; T1 has no sex
    reasons = dict(zip(result.unmatched["treated_id"], result.unmatched["reason"], strict=True))
    assert reasons["T1"] == "no sex"
    assert reasons["T2"] == "no candidate in the same exact-matching stratum"


def test_missing_registry_column_is_named():
    registry = registry_frames()
    registry.subjects = registry.subjects.drop(columns=["onset_day"])
    with pytest.raises(FieldError, match="'onset_day' is missing from the registry subjects"):
        control_pool(registry)


def test_fractional_registry_day_is_refused_with_the_patient_named():
    registry = registry_frames()
    registry.subjects.loc[registry.subjects["subject_id"] == "A", "onset_day"] = -300.5
    with pytest.raises(FieldError, match=r"onset_day must be a whole number of days \(patient A"):
        control_pool(registry)


def test_no_qualifying_registry_patient_is_a_clear_error():
    registry = registry_frames()
    registry.alsfrs = registry.alsfrs[registry.alsfrs["subject_id"] == "D"]  # onset unknown
    with pytest.raises(FieldError, match="no registry patient qualifies"):
        matched_controls(*trial_frames(), registry)


def test_the_analysis_compares_the_matched_treated_with_their_controls():
    from alstrial.analysis.efficacy import analyse
    from alstrial.analysis.settings import AnalysisSettings

    subjects, visits = trial_frames()
    # T3 has a month-3 visit too, but no onset day: it cannot be matched
    visits = pd.concat(
        [visits, pd.DataFrame({"subject_id": ["T3"], "day": [90], "alsfrs_r_total": [20]})]
    )
    visits.loc[(visits["subject_id"] == "T2") & (visits["day"] == 88), "alsfrs_r_total"] = 39
    matcher = Matcher(caliper=None, covariates=("age_years", "disease_duration_months"))
    data, match = with_registry_controls(
        AnalysisData.from_frames(subjects, visits),
        registry_frames(),
        AnalysisSettings(),
        matcher,
    )
    result = analyse(data, AnalysisSettings(), matching=match)
    unmatched = result.to_dict()["unmatched_treated"]
    assert unmatched["n"] == 1
    assert unmatched["subjects"][0]["subject_id"] == "T3"
    assert unmatched["subjects"][0]["reason"] == "no onset_day before index_day"
    assert unmatched["mean_change"] == 20 - 29
    change = result.between_arms["change"]
    # T1 (-1) and T2 (-2) against A (34 - 37) and E (36 on day 170 - 40; died on day 172)
    assert change.n_treated == 2
    assert change.mean_treated == pytest.approx(-1.5)
    assert change.mean_control == pytest.approx(np.mean([34 - 37, 36 - 40]))
    # balance is shown for exactly the treated compared
    assert match.balance.sample_sizes["treated_after"] == change.n_treated
    assert result.arms["treated"].n == 3  # the within-arm analysis keeps every treated subject
