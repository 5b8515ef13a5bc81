"""The randomised-trial columns of the analysis data: ``visit`` labels, ``stratum`` and
``last_contact_day``; each problem names its file, line and column."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from alstrial.analysis.data import AnalysisDataError, read_analysis_data

SUBJECTS = """\
subject_id,arm,age_years,sex,onset_site,onset_day,index_day,death_day,stratum,last_contact_day
T1,treated,50,male,spinal,-300,0,,bulbar,200
C1,control,55,male,other,-250,0,150,spinal,150
"""
VISITS = """\
subject_id,day,alsfrs_r_total,visit
T1,-10,40,SCR
T1,0,40,BL
T1,60,38,M2
T1,190,36,M6
C1,0,41,BL
C1,62,39,M2
C1,100,38,
"""


def _write(tmp_path, subjects: str, visits: str):
    s, v = tmp_path / "subjects.csv", tmp_path / "visits.csv"
    s.write_text(textwrap.dedent(subjects))
    v.write_text(textwrap.dedent(visits))
    return s, v


def _problems(tmp_path, subjects: str, visits: str) -> dict[tuple[str, int, str], str]:
    with pytest.raises(AnalysisDataError) as caught:
        read_analysis_data(*_write(tmp_path, subjects, visits))
    return {(e.file, e.line, e.column): e.reason for e in caught.value.errors}


def test_randomised_columns_are_read(tmp_path):
    data = read_analysis_data(*_write(tmp_path, SUBJECTS, VISITS))
    assert list(data.subjects["stratum"]) == ["bulbar", "spinal"]
    assert list(data.subjects["last_contact_day"]) == [200, 150]
    assert data.subjects["last_contact_day"].dtype == "Int64"
    labels = data.visits.set_index(["subject_id", "day"])["visit"]
    assert labels[("T1", 0)] == "BL"
    assert labels[("T1", 190)] == "M6"
    assert pd.isna(labels[("C1", 100)])  # an unscheduled visit keeps no label


def test_files_without_the_new_columns_still_read(tmp_path):
    subjects = "\n".join(line.rsplit(",", 2)[0] for line in SUBJECTS.splitlines()) + "\n"
    visits = "\n".join(line.rsplit(",", 1)[0] for line in VISITS.splitlines()) + "\n"
    data = read_analysis_data(*_write(tmp_path, subjects, visits))
    assert data.subjects["stratum"].isna().all()
    assert data.subjects["last_contact_day"].isna().all()
    assert data.visits["visit"].isna().all()


def test_event_after_last_contact_names_the_row(tmp_path):
    subjects = SUBJECTS.replace("0,150,spinal,150", "0,160,spinal,150")
    problems = _problems(tmp_path, subjects, VISITS)
    assert ("subjects.csv", 3, "death_day") in problems
    assert "last_contact_day 150" in problems[("subjects.csv", 3, "death_day")]


def test_tracheostomy_after_last_contact_names_the_row(tmp_path):
    subjects = SUBJECTS.replace("last_contact_day", "last_contact_day,tracheostomy_day")
    subjects = subjects.replace("bulbar,200", "bulbar,200,201").replace("spinal,150", "spinal,150,")
    problems = _problems(tmp_path, subjects, VISITS)
    assert set(problems) == {("subjects.csv", 2, "tracheostomy_day")}


def test_visit_after_last_contact_names_the_row(tmp_path):
    problems = _problems(tmp_path, SUBJECTS.replace("bulbar,200", "bulbar,180"), VISITS)
    assert set(problems) == {("visits.csv", 5, "day")}


def test_bad_last_contact_day_names_the_column(tmp_path):
    problems = _problems(tmp_path, SUBJECTS.replace("bulbar,200", "bulbar,2x"), VISITS)
    assert ("subjects.csv", 2, "last_contact_day") in problems


def test_duplicate_label_names_the_row(tmp_path):
    problems = _problems(tmp_path, SUBJECTS, VISITS.replace("C1,100,38,", "C1,100,38,M2"))
    assert set(problems) == {("visits.csv", 8, "visit")}
    assert "also on line 7" in problems[("visits.csv", 8, "visit")]


def test_baseline_after_randomisation_is_an_error(tmp_path):
    visits = VISITS.replace("C1,0,41,BL", "C1,5,41,BL")
    problems = _problems(tmp_path, SUBJECTS, visits)
    assert set(problems) == {("visits.csv", 6, "visit")}
    assert "after index_day 0" in problems[("visits.csv", 6, "visit")]


def test_baseline_must_be_the_last_visit_before_randomisation(tmp_path):
    visits = VISITS.replace("T1,-10,40,SCR", "T1,-10,40,BL").replace("T1,0,40,BL", "T1,0,40,")
    problems = _problems(tmp_path, SUBJECTS, visits)
    assert set(problems) == {("visits.csv", 2, "visit")}
    assert "not the last visit" in problems[("visits.csv", 2, "visit")]
