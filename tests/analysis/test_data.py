"""Reading and validating subjects.csv and visits.csv: every bad-input kind is reported with its
file, line and column, all at once, and nothing is analysed from a half-valid file."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from alstrial.analysis.data import AnalysisData, AnalysisDataError, read_analysis_data
from alstrial.domain.alsfrs import AlsfrsR

SUBJECTS = """\
subject_id,arm,age_years,sex,onset_site,onset_day,index_day,death_day
T1,treated,50,male,spinal,-300,90,
T2,treated,61,female,bulbar,-200,90,400
C1,control,55,male,other,-250,90,
"""
VISITS = """\
subject_id,day,alsfrs_r_total
T1,0,40
T1,30,39
T1,90,38
T1,120,37
T2,0,35
T2,90,33
C1,0,41
C1,90,40
"""
ITEM_HEADER = (
    "subject_id,day,speech,salivation,swallowing,handwriting,cutting_without_gastrostomy,"
    "cutting_with_gastrostomy,dressing_hygiene,turning_in_bed,walking,climbing_stairs,dyspnea,"
    "orthopnea,respiratory_insufficiency"
)


def _write(tmp_path, subjects: str, visits: str):
    s, v = tmp_path / "subjects.csv", tmp_path / "visits.csv"
    s.write_text(textwrap.dedent(subjects))
    v.write_text(textwrap.dedent(visits))
    return s, v


def _problems(tmp_path, subjects: str, visits: str) -> set[tuple[str, int, str]]:
    with pytest.raises(AnalysisDataError) as caught:
        read_analysis_data(*_write(tmp_path, subjects, visits))
    return {(e.file, e.line, e.column) for e in caught.value.errors}


def test_valid_files_are_read(tmp_path):
    data = read_analysis_data(*_write(tmp_path, SUBJECTS, VISITS))
    assert list(data.subjects["subject_id"]) == ["T1", "T2", "C1"]
    assert len(data.visits) == 8
    assert data.subjects["index_day"].dtype == "Int64"
    assert pd.isna(data.subjects.loc[0, "death_day"])


def test_items_give_the_total_through_the_domain_validator(tmp_path):
    rows = [
        "T1,0,4,4,3,3,2,,4,3,3,2,4,4,4",  # 5a scored
        "T1,90,4,3,3,3,,1,4,3,3,2,4,4,4",  # 5b scored: gastrostomy
    ]
    data = read_analysis_data(*_write(tmp_path, SUBJECTS, "\n".join([ITEM_HEADER, *rows])))
    expected = [
        AlsfrsR.from_sequence([4, 4, 3, 3, 2, 4, 3, 3, 2, 4, 4, 4]).total,
        AlsfrsR.from_sequence([4, 3, 3, 3, 1, 4, 3, 3, 2, 4, 4, 4], gastrostomy=True).total,
    ]
    assert list(data.visits["alsfrs_r_total"]) == expected == [40, 38]
    assert list(data.visits["gastrostomy"]) == [False, True]


def test_every_subject_problem_is_listed(tmp_path):
    subjects = """\
    subject_id,arm,age_years,sex,onset_site,onset_day,index_day,death_day
    T1,treated,50,male,spinal,-300,90,
    T1,treated,50,male,spinal,-300,90,
    T3,placebo,50,male,spinal,-300,90,
    T4,treated,50,male,limb,-300,90,
    T5,treated,50,male,spinal,-300,90.5,
    T6,treated,abc,male,spinal,-300,90,
    T7,treated,50,male,spinal,100,90,
    ,treated,50,male,spinal,-300,90,
    T9,treated,50,male,spinal,-300,90,-400
    """
    problems = _problems(tmp_path, subjects, "subject_id,day,alsfrs_r_total\nT1,0,40\n")
    assert problems == {
        ("subjects.csv", 3, "subject_id"),  # duplicate
        ("subjects.csv", 4, "arm"),
        ("subjects.csv", 5, "onset_site"),
        ("subjects.csv", 6, "index_day"),  # not a whole number of days
        ("subjects.csv", 7, "age_years"),
        ("subjects.csv", 8, "onset_day"),  # onset after index
        ("subjects.csv", 9, "subject_id"),  # empty
        ("subjects.csv", 10, "onset_day"),  # onset after death
    }


def test_every_visit_problem_is_listed(tmp_path):
    visits = """\
    subject_id,day,alsfrs_r_total
    T1,0,40
    T1,0,39
    X9,30,39
    T1,30.5,38
    T1,60,49
    T1,90,-1
    T2,450,30
    T1,120,
    """
    problems = _problems(tmp_path, SUBJECTS, visits)
    assert problems == {
        ("visits.csv", 3, "day"),  # duplicate day
        ("visits.csv", 4, "subject_id"),  # unknown subject
        ("visits.csv", 5, "day"),  # not an integer
        ("visits.csv", 6, "alsfrs_r_total"),  # out of range
        ("visits.csv", 7, "alsfrs_r_total"),
        ("visits.csv", 8, "day"),  # after death on day 400
        ("visits.csv", 9, "alsfrs_r_total"),  # missing
    }


def test_item_problems_name_the_item_column(tmp_path):
    rows = [
        "T1,0,5,4,3,3,2,,4,3,3,2,4,4,4",  # speech out of range
        "T1,30,4,4,3,3,2,2,4,3,3,2,4,4,4",  # both 5a and 5b
        "T1,60,4,4,3,3,,,4,3,3,2,4,4,4",  # neither
        "T1,90,4,4,3,3,2,,4,3,3,2,4,4,",  # item 12 missing
    ]
    problems = _problems(tmp_path, SUBJECTS, "\n".join([ITEM_HEADER, *rows]))
    assert problems == {
        ("visits.csv", 2, "speech"),
        ("visits.csv", 3, "cutting_with_gastrostomy"),
        ("visits.csv", 4, "cutting_without_gastrostomy"),
        ("visits.csv", 5, "respiratory_insufficiency"),
    }


def test_total_disagreeing_with_items(tmp_path):
    header = ITEM_HEADER + ",alsfrs_r_total"
    rows = ["T1,0,4,4,3,3,2,,4,3,3,2,4,4,4,40", "T1,30,4,4,3,3,2,,4,3,3,2,4,4,4,41"]
    problems = _problems(tmp_path, SUBJECTS, "\n".join([header, *rows]))
    assert problems == {("visits.csv", 3, "alsfrs_r_total")}


def test_missing_columns(tmp_path):
    subjects = "subject_id,arm,age_years,sex,onset_day,index_day\nT1,treated,50,male,-3,90\n"
    problems = _problems(tmp_path, subjects, "subject_id,day\nT1,0\n")
    assert problems == {
        ("subjects.csv", 1, "onset_site"),
        ("subjects.csv", 1, "death_day"),
        ("visits.csv", 1, "alsfrs_r_total"),
    }
    header = ITEM_HEADER.replace(",walking", "")
    problems = _problems(tmp_path, SUBJECTS, header + "\n")
    assert problems == {("visits.csv", 1, "walking")}


def test_message_names_file_line_and_column(tmp_path):
    with pytest.raises(AnalysisDataError) as caught:
        read_analysis_data(*_write(tmp_path, SUBJECTS, "subject_id,day,alsfrs_r_total\nT1,0,50\n"))
    text = str(caught.value)
    assert "visits.csv, line 2, column alsfrs_r_total" in text
    frame = caught.value.to_frame()
    assert list(frame.columns) == ["file", "line", "column", "value", "reason"]
    assert frame.loc[0, "value"] == "50"


def test_line_numbers_skip_blank_lines(tmp_path):
    visits = "subject_id,day,alsfrs_r_total\nT1,0,40\n\nT1,30,x\n"
    assert _problems(tmp_path, SUBJECTS, visits) == {("visits.csv", 4, "alsfrs_r_total")}


def test_unreadable_file(tmp_path):
    with pytest.raises(AnalysisDataError, match="cannot read"):
        read_analysis_data(tmp_path / "nope.csv", tmp_path / "visits.csv")


def test_frames_are_validated_like_files():
    subjects = pd.DataFrame(
        {
            "subject_id": ["T1"],
            "arm": ["treated"],
            "age_years": [50],
            "sex": ["male"],
            "onset_site": ["spinal"],
            "onset_day": [-10],
            "index_day": [90],
            "death_day": [None],
        }
    )
    visits = pd.DataFrame({"subject_id": ["T1", "T1"], "day": [0, 0], "alsfrs_r_total": [40, 41]})
    with pytest.raises(AnalysisDataError) as caught:
        AnalysisData.from_frames(subjects, visits)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "day")]


def test_combine_refuses_shared_ids(tmp_path):
    data = read_analysis_data(*_write(tmp_path, SUBJECTS, VISITS))
    with pytest.raises(AnalysisDataError, match="appears twice"):
        data.combine(data)


def test_infinite_values_are_reported_not_crashed_on(tmp_path):
    visits = "subject_id,day,alsfrs_r_total\nT1,inf,40\nT1,30,inf\nT1,60,-inf\n"
    assert _problems(tmp_path, SUBJECTS, visits) == {
        ("visits.csv", 2, "day"),
        ("visits.csv", 3, "alsfrs_r_total"),
        ("visits.csv", 4, "alsfrs_r_total"),
    }
    rows = ["T1,0,inf,4,3,3,2,,4,3,3,2,4,4,4"]
    assert _problems(tmp_path, SUBJECTS, "\n".join([ITEM_HEADER, *rows])) == {
        ("visits.csv", 2, "speech")
    }


def test_row_longer_than_the_header(tmp_path):
    visits = "subject_id,day,alsfrs_r_total\nT1,0,40\nT1,30,39,7\n"
    assert _problems(tmp_path, SUBJECTS, visits) == {("visits.csv", 3, "-")}
