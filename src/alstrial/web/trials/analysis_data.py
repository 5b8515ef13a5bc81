"""A trial's analysis data from the database: the ``subjects.csv`` / ``visits.csv`` frames of
docs/interfaces.md, 'Analysis data', for ``alstrial report --trial SLUG`` and the SDTM export.

Days are study days (day 0 = the subject's day-0 anchor, the first administration for both
shipped protocols), so ``index_day`` is 0 for every treated subject. A subject counts as
treated when the visit carrying administration 1 is done. Only ALSFRS-R visits that were
recorded (done) are listed; months are derived later as days / 30.4375. Death, tracheostomy
and permanent ventilation days (the events that end the ALSFRS-R series, docs/domain.md,
'Series-ending events') are the optional columns ``alstrial.analysis.data`` reads.
"""

from __future__ import annotations

import pandas as pd

from alstrial.analysis.data import DAY_COLUMNS, SERIES_END_COLUMNS, SUBJECT_COLUMNS, TOTAL_COLUMN
from alstrial.domain.alsfrs_items import ITEMS
from alstrial.web.assessments.models import AlsfrsAssessment, EndpointKind
from alstrial.web.subjects.models import Subject, SubjectStatus, VisitStatus

VISIT_COLUMNS = ("subject_id", "day", TOTAL_COLUMN)
ITEM_COLUMNS = tuple(item.key for item in ITEMS)
#: Endpoint events and the subjects.csv column that carries each one's study day.
ENDPOINT_COLUMNS = {
    EndpointKind.DEATH: "death_day",
    EndpointKind.TRACHEOSTOMY: "tracheostomy_day",
    EndpointKind.PERMANENT_VENTILATION: "permanent_ventilation_day",
}


def _treated(subject: Subject) -> bool:
    return subject.visits.filter(administration=1, status=VisitStatus.DONE).exists()


def analysis_frames(
    trial, *, items: bool = False, site_ids=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(subjects, visits)`` DataFrames of the treated subjects of ``trial`` (a Trial).

    With ``items=True`` the visits frame also has the twelve item columns (5a/5b: one empty).
    ``site_ids`` limits the subjects to those sites (web downloads pass the user's sites);
    ``None`` reads every site (command line, run by whoever holds the database).
    Only pseudonymous codes, study days, age in years, sex and onset site leave: de-identified.
    """
    subject_rows, visit_rows = [], []
    subjects = Subject.objects.filter(trial=trial)
    if site_ids is not None:
        subjects = subjects.filter(site_id__in=site_ids)
    subjects = (
        subjects.filter(status__in=(SubjectStatus.ENROLLED, SubjectStatus.WITHDRAWN))
        .select_related("site")
        .order_by("site__code", "number")
    )
    for subject in subjects:
        if subject.day_zero_date is None or not _treated(subject):
            continue
        events = {e.kind: e.event_date for e in subject.endpoints.all()}
        subject_rows.append(
            {
                "subject_id": subject.code,
                "arm": "treated",
                "age_years": subject.age_years,
                "sex": subject.sex,
                "onset_site": subject.onset_site or "other",
                "onset_day": subject.study_day(subject.symptom_onset_date),
                "index_day": 0,
                **{
                    column: subject.study_day(events.get(kind))
                    for kind, column in ENDPOINT_COLUMNS.items()
                },
            }
        )
        assessments = (
            AlsfrsAssessment.objects.filter(subject=subject, visit__status=VisitStatus.DONE)
            .select_related("visit")
            .order_by("visit__visit_date")
        )
        for a in assessments:
            row = {
                "subject_id": subject.code,
                "day": subject.study_day(a.visit.visit_date),
                "alsfrs_r_total": a.total,
            }
            if items:
                row.update({key: getattr(a, key) for key in ITEM_COLUMNS})
            visit_rows.append(row)
    subjects_frame = pd.DataFrame(subject_rows, columns=[*SUBJECT_COLUMNS, *SERIES_END_COLUMNS])
    for column in DAY_COLUMNS:
        subjects_frame[column] = subjects_frame[column].astype("Int64")
    columns = list(VISIT_COLUMNS) + (list(ITEM_COLUMNS) if items else [])
    return subjects_frame, pd.DataFrame(visit_rows, columns=columns)


def write_analysis_csv(trial, out_dir) -> tuple:
    """Write ``subjects.csv`` and ``visits.csv`` to ``out_dir``; returns their paths."""
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    subjects, visits = analysis_frames(trial)
    subjects_path, visits_path = out / "subjects.csv", out / "visits.csv"
    subjects.to_csv(subjects_path, index=False)
    visits.to_csv(visits_path, index=False)
    return subjects_path, visits_path
