"""A trial's analysis data from the database: the ``subjects.csv`` / ``visits.csv`` frames of
docs/interfaces.md, 'Analysis data', for ``alstrial report --trial SLUG`` and the SDTM export.

Days are study days (day 0 = the subject's day-0 anchor, the first administration for both
shipped protocols), so ``index_day`` is 0 for every treated subject. Subjects and sites follow
:mod:`alstrial.web.trials.populations` (the treated received dose 1). Only ALSFRS-R visits that were
recorded (done) are listed; months are derived later as days / 30.4375. Death, tracheostomy
and permanent ventilation days (the events that end the ALSFRS-R series, docs/domain.md,
'Series-ending events') are the optional columns ``alstrial.analysis.data`` reads.
"""

from __future__ import annotations

import pandas as pd

from alstrial.analysis.data import DAY_COLUMNS, SERIES_END_COLUMNS, SUBJECT_COLUMNS, TOTAL_COLUMN
from alstrial.domain.alsfrs_items import ITEMS
from alstrial.web.assessments.models import AlsfrsAssessment, EndpointKind
from alstrial.web.randomisation.services import emergency_unblinded_codes
from alstrial.web.subjects.models import VisitStatus
from alstrial.web.trials.populations import treated, trial_subjects

VISIT_COLUMNS = ("subject_id", "day", TOTAL_COLUMN)
ITEM_COLUMNS = tuple(item.key for item in ITEMS)
#: Endpoint events and the subjects.csv column that carries each one's study day.
ENDPOINT_COLUMNS = {
    EndpointKind.DEATH: "death_day",
    EndpointKind.TRACHEOSTOMY: "tracheostomy_day",
    EndpointKind.PERMANENT_VENTILATION: "permanent_ventilation_day",
}


def analysis_frames(
    trial, *, items: bool = False, site_ids=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(subjects, visits)`` DataFrames of the treated subjects of ``trial`` (a Trial).

    With ``items=True`` the visits frame also has the twelve item columns (5a/5b: one empty).
    ``site_ids`` limits the subjects to those sites (:func:`.populations.trial_subjects`).
    Only pseudonymous codes, study days, age in years, sex and onset site leave: de-identified.
    """
    subject_rows, visit_rows = [], []
    subjects = treated(trial_subjects(trial, site_ids))
    for subject in subjects.select_related("site").order_by("site__code", "number"):
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
    if trial.protocol.randomisation is not None:
        # A randomised trial flags the subjects whose arm was revealed by an approved emergency
        # unblinding (docs/randomisation.md, "Emergency unblinding").
        flagged = emergency_unblinded_codes(trial)
        subjects_frame["emergency_unblinded"] = subjects_frame["subject_id"].isin(flagged)
    columns = list(VISIT_COLUMNS) + (list(ITEM_COLUMNS) if items else [])
    return subjects_frame, pd.DataFrame(visit_rows, columns=columns)
