"""Properties of the analysis engine that must hold for any data (hypothesis)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.data import AnalysisData, AnalysisDataError
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.settings import AnalysisSettings
from alstrial.analysis.slopes import subject_slopes

CELLS = st.one_of(
    st.none(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["treated", "control", "spinal", "bulbar", "12", "12.0", "12.5", " 7 "]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["T001", "C001", "X"]), CELLS, CELLS), max_size=12))
def test_any_visits_file_is_either_valid_or_fully_reported(rows):
    subjects, _ = kim_like_cohort(0, n_treated=1, n_control=1)
    visits = pd.DataFrame(rows, columns=["subject_id", "day", "alsfrs_r_total"], dtype=object)
    try:
        data, problems = AnalysisData.from_frames(subjects, visits), []
    except AnalysisDataError as error:
        data, problems = None, error.errors
    if data is None:
        assert problems
        assert all(e.file == "visits.csv" and e.line >= 2 and e.column for e in problems)
        return
    assert data.visits["alsfrs_r_total"].between(0, 48).all()
    assert not data.visits.duplicated(["subject_id", "day"]).any()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(-5000, 5000))
def test_slopes_do_not_depend_on_the_day_origin(seed, shift):
    subjects, visits = kim_like_cohort(
        seed % 50, n_treated=4, n_control=3, death_rate_per_month=0.05
    )
    moved_subjects = subjects.copy()
    for column in ("onset_day", "index_day", "death_day"):
        moved_subjects[column] = moved_subjects[column] + shift
    moved_visits = visits.assign(day=visits["day"] + shift)
    a = subject_slopes(AnalysisData.from_frames(subjects, visits)).table
    b = subject_slopes(AnalysisData.from_frames(moved_subjects, moved_visits)).table
    for column in (
        "lead_in_slope",
        "follow_up_slope",
        "change",
        "delta_fs",
        "pre_slope_onset",
        "pre_slope_two_point",
        "n_lead_in",
        "n_follow_up",
    ):
        np.testing.assert_allclose(
            a[column].astype(float), b[column].astype(float), rtol=1e-9, atol=1e-12, err_msg=column
        )
    assert (b["baseline_day"] - a["baseline_day"] == shift).all()


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_slopes_result_is_strict_json(seed):
    subjects, visits = kim_like_cohort(seed, n_treated=3, n_control=2, death_rate_per_month=0.2)
    # thin the visits at random so that every exclusion rule can occur
    rng = np.random.default_rng(seed)
    visits = visits[rng.random(len(visits)) < 0.6]
    result = subject_slopes(AnalysisData.from_frames(subjects, visits))
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(document["subjects"]) == len(subjects)


DAY = st.integers(0, 400)
SUBJECT = st.tuples(
    st.sampled_from(["treated", "control"]),
    st.one_of(st.none(), st.integers(-300, 0)),  # onset
    st.one_of(st.none(), DAY),  # index
    st.one_of(st.none(), DAY),  # death
    st.one_of(st.none(), DAY),  # tracheostomy
)


def _valid_frames(subjects, visits):
    """Turn drawn tuples into valid analysis frames (the rules of alstrial.analysis.data)."""
    rows = []
    for i, (arm, onset, index, death, trach) in enumerate(subjects):
        if onset is not None and (
            (index is not None and onset > index) or (death is not None and onset > death)
        ):
            onset = None
        rows.append([f"S{i}", arm, 50, "male", "spinal", onset, index, death, trach])
    columns = [
        "subject_id",
        "arm",
        "age_years",
        "sex",
        "onset_site",
        "onset_day",
        "index_day",
        "death_day",
        "tracheostomy_day",
    ]
    kept, seen = [], set()
    for k, day, total in visits:
        row = rows[k % len(rows)]
        if (row[0], day) in seen or (row[7] is not None and day > row[7]):
            continue
        seen.add((row[0], day))
        kept.append((row[0], day, total))
    return (
        pd.DataFrame(rows, columns=columns),
        pd.DataFrame(kept, columns=["subject_id", "day", "alsfrs_r_total"]),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(SUBJECT, min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), DAY, st.integers(0, 48)), max_size=30),
    st.sampled_from(["ols", "two_point", "onset"]),
)
def test_analysis_of_any_valid_data_completes_with_strict_json(subjects, visits, pre_slope):
    """Tiny, degenerate trials (one subject, no follow-up, collinear visit times) give nulls and
    notes, never an exception, NaN or infinity in the JSON."""
    data = AnalysisData.from_frames(*_valid_frames(subjects, visits))
    result = analyse(data, AnalysisSettings(pre_slope=pre_slope))
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["settings"]["pre_slope"] == pre_slope
    assert set(result.tests_table().get("comparison", [])) <= {
        "treated: follow-up vs lead-in slope",
        "control: follow-up vs lead-in slope",
        "treated vs control: change",
        "treated vs control: follow_up_slope",
        "treated vs control: CAFS",
    }


def test_degenerate_trial_found_by_hypothesis():
    subjects = [
        ("treated", None, 220, None, None),
        ("treated", None, 229, None, 245),
        ("treated", None, 229, None, None),
    ]
    visits = [(0, 53, 4), (5, 25, 41), (4, 120, 32), (0, 127, 47), (0, 266, 7)]
    result = analyse(AnalysisData.from_frames(*_valid_frames(subjects, visits)))
    json.dumps(result.to_dict(), allow_nan=False)
    assert not result.mixed_treated.converged
    assert result.mixed_treated.note
