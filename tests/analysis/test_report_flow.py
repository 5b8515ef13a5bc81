"""The report's study flow says who was compared with matched controls and how many visits fell
after the follow-up window."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.report.flow import study_flow


def _matching(matched, unmatched):
    return SimpleNamespace(
        flow={"eligible": 40, "registry_patients": 100},
        matches=pd.DataFrame({"treated_id": matched, "control_id": "c"}),
        unmatched=pd.DataFrame(
            {"treated_id": unmatched, "reason": ["no onset_day before index_day"] * len(unmatched)}
        ),
        weights=None,
        to_dict=dict,
    )


def test_flow_counts_the_compared_treated_and_the_late_visits():
    subjects, visits = kim_like_cohort(seed=9, n_treated=8, n_control=6)
    late = subjects.loc[subjects["subject_id"].isin(["T001", "T004"]), ["subject_id", "index_day"]]
    visits = pd.concat(
        [
            visits,
            pd.DataFrame(
                {
                    "subject_id": late["subject_id"],
                    "day": late["index_day"] + 120,
                    "alsfrs_r_total": 10,
                }
            ),
        ],
        ignore_index=True,
    )
    data = AnalysisData.from_frames(subjects, visits)
    treated_ids = sorted(subjects.loc[subjects["arm"] == "treated", "subject_id"])
    matching = _matching(treated_ids[2:], treated_ids[:2])
    result = analyse(data, matching=matching)
    treated, _ = study_flow(result, data, matching=matching)
    steps = {s.label: s for s in treated.steps}
    compared = steps["Compared with matched registry controls"]
    assert compared.n == len(treated_ids) - 2
    assert compared.reasons == (("no onset_day before index_day", 2),)
    expected_late = int(
        (
            visits.merge(subjects[["subject_id", "arm", "index_day"]])
            .query("arm == 'treated'")
            .eval("day > index_day + 90")
        ).sum()
    )
    assert expected_late >= 2
    assert steps["Analysed: lead-in and follow-up slopes"].detail == (
        f"{expected_late} visits after the 90-day follow-up window not analysed"
    )


def test_flow_without_matching_has_no_comparison_step():
    subjects, visits = kim_like_cohort(seed=9, n_treated=4, n_control=4)
    data = AnalysisData.from_frames(subjects, visits)
    treated, _ = study_flow(analyse(data), data)
    assert "Compared with matched registry controls" not in {s.label for s in treated.steps}
