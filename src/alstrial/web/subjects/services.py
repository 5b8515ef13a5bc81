"""Screening, enrolment and visit recording: the one door for subject state changes.

Each function checks everything first (domain validators, site, consent) and writes nothing
unless all checks pass; every write goes through ``save_clinical`` so it is audited.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max

from alstrial.domain.eligibility import (
    disease_duration_months,
    evaluate_eligibility,
    validate_screening,
)
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.identifiers import subject_code
from alstrial.web.core.records import save_clinical
from alstrial.web.subjects.models import Subject, SubjectStatus, Visit, VisitStatus, today


def _next_number(site) -> int:
    last = Subject.objects.filter(site=site).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def screen_subject(*, site, trial, user, consent_date, screening_date, values, reason=""):
    """Create a subject at screening and judge eligibility against the trial's protocol.

    ``values``: ``sex``, ``age_years``, ``onset_site``, ``symptom_onset_date``, ``el_escorial``,
    ``alsfrs_r_total`` (points), ``fvc_percent_predicted`` (% predicted). Consent is required:
    no data is entered before it (ValidationError on ``consent_date``). Returns the Subject,
    status ``screening`` (eligible) or ``screen_failed`` with the failed criteria recorded.
    """
    errors: list[FieldError] = []
    if not trial.sites.filter(pk=site.pk).exists():
        errors.append(FieldError("site", f"trial {trial.slug} does not run at {site.code}"))
    if consent_date is None:
        errors.append(FieldError("consent_date", "no screening data before informed consent"))
    if screening_date is None:
        errors.append(FieldError("screening_date", "the screening date is required"))
    onset = values.get("symptom_onset_date")
    duration = None
    if onset is None:
        errors.append(FieldError("symptom_onset_date", "the date of symptom onset is required"))
    elif screening_date is not None:
        try:
            duration = disease_duration_months(onset, screening_date)
        except FieldError as error:
            errors.append(error)
    try:
        data = validate_screening({**values, "disease_duration_months": duration or 0})
    except ValidationError as error:
        errors.extend(error.errors)
        data = None
    if errors:
        raise ValidationError(errors)
    result = evaluate_eligibility(trial.protocol.eligibility, data)
    with transaction.atomic():
        number = _next_number(site)
        subject = Subject(
            site=site,
            trial=trial,
            number=number,
            code=subject_code(site.prefix, number),
            status=SubjectStatus.SCREENING if result.eligible else SubjectStatus.SCREEN_FAILED,
            consent_date=consent_date,
            screening_date=screening_date,
            sex=values.get("sex") or "",
            age_years=int(data.age_years),
            onset_site=values.get("onset_site") or "",
            symptom_onset_date=onset,
            el_escorial=data.el_escorial,
            screening_alsfrs_r_total=data.alsfrs_r_total,
            screening_fvc_percent=data.fvc_percent_predicted,
            eligible=result.eligible,
            eligibility_findings=result.to_dict()["criteria"],
        )
        save_clinical(subject, user, reason or "screening")
    return subject


def planned_day_zero(subject: Subject) -> date:
    """Day 0 implied by the screening date: the screening visit is on its target day."""
    protocol = subject.trial.protocol
    screening_row = protocol.schedule()[0]
    return subject.screening_date - timedelta(days=screening_row.day)


def enrol_subject(subject: Subject, user, *, enrolment_date: date, day_zero_date=None, reason=""):
    """Enrol an eligible subject and lay out the protocol's visit schedule from day 0.

    ``day_zero_date`` defaults to :func:`planned_day_zero`. The first visit of the schedule (the
    screening visit) is recorded as done on the screening date. Refused (ValidationError) for a
    subject who is not eligible, not in screening, without consent, or when the enrolment date
    precedes consent or lies in the future.
    """
    errors: list[FieldError] = []
    if subject.status != SubjectStatus.SCREENING or not subject.eligible:
        errors.append(FieldError("status", f"{subject.code} is not an eligible screened subject"))
    if not subject.has_consent:
        errors.append(FieldError("consent_date", "enrolment needs informed consent"))
    if enrolment_date is None:
        errors.append(FieldError("enrolment_date", "the enrolment date is required"))
    elif enrolment_date > today():
        errors.append(FieldError("enrolment_date", f"{enrolment_date} is in the future"))
    elif subject.screening_date and enrolment_date < subject.screening_date:
        errors.append(FieldError("enrolment_date", "enrolment cannot precede screening"))
    if errors:
        raise ValidationError(errors)
    anchor = day_zero_date or planned_day_zero(subject)
    with transaction.atomic():
        subject.status = SubjectStatus.ENROLLED
        subject.enrolment_date = enrolment_date
        subject.day_zero_date = anchor
        save_clinical(subject, user, reason or "enrolment")
        for sequence, row in enumerate(subject.trial.protocol.schedule(), start=1):
            visit = Visit(
                subject=subject,
                code=row.visit,
                name=row.name,
                phase=row.phase,
                epoch=row.epoch,
                sequence=sequence,
                target_day=row.day,
                earliest_day=row.earliest_day,
                latest_day=row.latest_day,
                forms=list(row.forms),
                administration=row.administration,
                harvest=row.harvest,
            )
            if sequence == 1:
                visit.status = VisitStatus.DONE
                visit.visit_date = subject.screening_date
            save_clinical(visit, user, "visit schedule laid out at enrolment")
    return subject


def record_visit(visit: Visit, user, *, visit_date, reason="", expected_version=None) -> Visit:
    """Record that ``visit`` took place on ``visit_date`` (checked: consent, not in future).

    Filling in a scheduled visit is its first data entry (reason optional); changing a visit
    already recorded as done or missed needs a reason.
    """
    if visit.status == VisitStatus.SCHEDULED and not (reason or "").strip():
        reason = "visit recorded"
    visit.status = VisitStatus.DONE
    visit.visit_date = visit_date
    visit.missed_reason = ""
    return save_clinical(visit, user, reason, expected_version=expected_version)


def record_missed_visit(visit: Visit, user, *, missed_reason, reason="", expected_version=None):
    """Record that ``visit`` did not take place, and why (``missed_reason`` is required)."""
    if visit.status == VisitStatus.SCHEDULED and not (reason or "").strip():
        reason = "visit recorded as missed"
    visit.status = VisitStatus.MISSED
    visit.visit_date = None
    visit.missed_reason = (missed_reason or "").strip()
    return save_clinical(visit, user, reason, expected_version=expected_version)
