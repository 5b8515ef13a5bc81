"""One subject's stored records as the plain data the edit checks read
(:class:`alstrial.domain.edit_checks.SubjectData`).

Dates are the site's local calendar dates (docs/domain.md, "Time"): a dose's moment is taken to
the site's date first. Windows come from the subject's own visits, which were copied from the
protocol's schedule at enrolment.
"""

from __future__ import annotations

from alstrial.domain.edit_checks import (
    AdverseEventOnset,
    Dose,
    Measurement,
    SubjectData,
    VisitDate,
    VisitWindow,
)
from alstrial.domain.local_time import local_date
from alstrial.domain.safety_terms import shipped_terms
from alstrial.web.assessments.models import AlsfrsAssessment, FvcAssessment
from alstrial.web.product.models import Administration
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.subjects.models import Visit


def _body_system(event: AdverseEvent) -> str | None:
    term = shipped_terms().get(event.coded_term or event.term)
    return term.body_system if term is not None else None


def subject_data(subject) -> SubjectData:
    """The records of ``subject`` the checks read (a few queries, one per table)."""
    visits = list(Visit.objects.filter(subject=subject).order_by("sequence"))
    done = [v for v in visits if v.visit_date is not None]
    by_administration = sorted(
        (v for v in visits if v.administration), key=lambda v: v.administration
    )
    alsfrs = AlsfrsAssessment.objects.filter(subject=subject, total__isnull=False)
    fvc = FvcAssessment.objects.filter(subject=subject)
    doses = Administration.objects.filter(subject=subject)
    events = AdverseEvent.objects.filter(subject=subject)
    return SubjectData(
        subject=subject.pk,
        consent_date=subject.consent_date,
        day_zero=subject.day_zero_date,
        windows=tuple(VisitWindow(v.code, v.earliest_day, v.latest_day) for v in visits),
        dose_visits=tuple(v.code for v in by_administration),
        visits=tuple(VisitDate(v.pk, v.code, v.visit_date) for v in done),
        alsfrs_totals=tuple(
            Measurement(a.pk, a.visit.code, a.visit.visit_date, a.total)
            for a in alsfrs.select_related("visit")
            if a.visit.visit_date is not None
        ),
        fvc_percents=tuple(
            Measurement(f.pk, f.visit.code, f.visit.visit_date, f.fvc_percent_predicted)
            for f in fvc.select_related("visit")
            if f.visit.visit_date is not None
        ),
        doses=tuple(
            Dose(d.pk, d.dose_number, local_date(d.administered_at, subject.site)) for d in doses
        ),
        adverse_events=tuple(
            AdverseEventOnset(e.pk, e.coded_term or e.term, _body_system(e), e.onset_date)
            for e in events
        ),
    )
