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
from alstrial.domain.text_limits import choice_error
from alstrial.web.core.records import ConflictError, save_clinical
from alstrial.web.subjects.models import (
    OnsetSite,
    Sex,
    Subject,
    SubjectStatus,
    Visit,
    VisitStatus,
    today,
)

#: Tries at a free subject number when screenings at one site happen at the same moment.
NUMBERING_ATTEMPTS = 3


def _next_number(site) -> int:
    last = Subject.objects.filter(site=site).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _judge(trial, consent_date, screening_date, values, errors: list[FieldError]):
    """Check the screening values (domain rules) and judge them against the protocol."""
    if consent_date is None:
        errors.append(FieldError("consent_date", "no screening data before informed consent"))
    if screening_date is None:
        errors.append(FieldError("screening_date", "the screening date is required"))
    elif consent_date is not None and screening_date < consent_date:
        errors.append(FieldError("screening_date", "screening cannot happen before consent"))
    for field, allowed in (("sex", Sex.values), ("onset_site", OnsetSite.values)):
        value = values.get(field)
        if value in (None, ""):
            errors.append(FieldError(field, "required"))
        elif (error := choice_error(field, value, allowed)) is not None:
            errors.append(error)
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
    return data, evaluate_eligibility(trial.protocol.eligibility, data)


def _apply(subject: Subject, consent_date, screening_date, values, data, result) -> None:
    subject.consent_date = consent_date
    subject.screening_date = screening_date
    subject.sex = values.get("sex") or ""
    subject.age_years = int(data.age_years)
    subject.onset_site = values.get("onset_site") or ""
    subject.symptom_onset_date = values.get("symptom_onset_date")
    subject.el_escorial = data.el_escorial
    subject.screening_alsfrs_r_total = data.alsfrs_r_total
    subject.screening_fvc_percent = data.fvc_percent_predicted
    subject.eligible = result.eligible
    subject.eligibility_findings = result.to_dict()["criteria"]


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
    data, result = _judge(trial, consent_date, screening_date, values, errors)
    for attempt in range(NUMBERING_ATTEMPTS):
        number = _next_number(site)
        subject = Subject(
            site=site,
            trial=trial,
            number=number,
            code=subject_code(site.prefix, number),
            status=SubjectStatus.SCREENING if result.eligible else SubjectStatus.SCREEN_FAILED,
        )
        _apply(subject, consent_date, screening_date, values, data, result)
        try:
            return save_clinical(subject, user, reason or "screening")
        except ConflictError:
            # Another coordinator at this site took the same number a moment earlier.
            if attempt == NUMBERING_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def correct_screening(
    subject: Subject, user, *, consent_date, screening_date, values, reason, expected_version
):
    """Correct a subject's consent date or screening values (reason required, version checked).

    Eligibility is judged again. Before enrolment the status follows the new verdict
    (screening or screen failure); after enrolment it stays, and the findings show any
    criterion that is no longer met, for the investigator to act on.
    """
    data, result = _judge(subject.trial, consent_date, screening_date, values, [])
    _apply(subject, consent_date, screening_date, values, data, result)
    if subject.status in (SubjectStatus.SCREENING, SubjectStatus.SCREEN_FAILED):
        subject.status = SubjectStatus.SCREENING if result.eligible else SubjectStatus.SCREEN_FAILED
    return save_clinical(subject, user, reason, expected_version=expected_version)


def withdraw_subject(subject: Subject, user, *, withdrawal_date, withdrawal_reason, reason=""):
    """Record the withdrawal (date and why); later visits stay scheduled and unrecorded."""
    errors = []
    if subject.status != SubjectStatus.ENROLLED:
        errors.append(FieldError("status", f"{subject.code} is not enrolled"))
    if withdrawal_date is None:
        errors.append(FieldError("withdrawal_date", "the withdrawal date is required"))
    elif subject.enrolment_date and withdrawal_date < subject.enrolment_date:
        errors.append(FieldError("withdrawal_date", "cannot precede enrolment"))
    if not (withdrawal_reason or "").strip():
        errors.append(FieldError("withdrawal_reason", "say why the subject withdrew"))
    if errors:
        raise ValidationError(errors)
    subject.status = SubjectStatus.WITHDRAWN
    subject.withdrawal_date = withdrawal_date
    subject.disposition_date = withdrawal_date
    subject.withdrawal_reason = withdrawal_reason.strip()
    return save_clinical(subject, user, reason or "withdrawal")


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
    elif enrolment_date > today(subject.site):
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


def record_visit(
    visit: Visit, user, *, visit_date, missed_reason="", reason="", expected_version=None
) -> Visit:
    """Record that ``visit`` took place on ``visit_date`` (checked: consent, not in future).

    Filling in a scheduled visit is its first data entry (reason optional); changing a visit
    already recorded as done or missed needs a reason. A reason it was missed is refused
    (field ``missed_reason``) rather than silently dropped.
    """
    if (missed_reason or "").strip():
        raise ValidationError(
            [FieldError("missed_reason", "a visit that took place has no reason it was missed")]
        )
    if visit.status == VisitStatus.SCHEDULED and not (reason or "").strip():
        reason = "visit recorded"
    visit.status = VisitStatus.DONE
    visit.visit_date = visit_date
    visit.missed_reason = ""
    return save_clinical(visit, user, reason, expected_version=expected_version)


def complete_if_finished(subject: Subject, user) -> bool:
    """An enrolled subject whose last scheduled visit is done has completed the study, on that
    visit's date (docs/web.md, 'Subjects finish'). Returns whether the subject completed.

    Called once a subject's data are in, not from :func:`record_visit`: a completed subject
    receives no dose, and loaders (the demo) record the visits before the doses given at them.
    """
    last = subject.visits.order_by("-sequence").first()
    if subject.status != SubjectStatus.ENROLLED or last is None:
        return False
    if last.status != VisitStatus.DONE:
        return False
    subject.status = SubjectStatus.COMPLETED
    subject.disposition_date = last.visit_date
    save_clinical(subject, user, f"completed: last scheduled visit {last.code} done")
    return True


#: Dispositions a person records (``completed`` follows from the visits).
RECORDED_DISPOSITIONS = (
    SubjectStatus.WITHDRAWN,
    SubjectStatus.LOST_TO_FOLLOW_UP,
    SubjectStatus.DIED,
)


def record_disposition(subject: Subject, user, *, disposition, disposition_date, reason):
    """Record that an enrolled subject stopped early: ``withdrawn``, ``lost_to_follow_up`` or
    ``died``, on ``disposition_date`` (the site's date), with why (``reason``, required).
    Later visits stay scheduled and unrecorded. Refused with a FieldError naming the field."""
    errors = []
    if subject.status != SubjectStatus.ENROLLED:
        errors.append(FieldError("status", f"{subject.code} is not enrolled"))
    if disposition not in RECORDED_DISPOSITIONS:
        allowed = ", ".join(RECORDED_DISPOSITIONS)
        errors.append(FieldError("disposition", f"{disposition!r} is not one of {allowed}"))
    if disposition_date is None:
        errors.append(FieldError("disposition_date", "the date is required"))
    elif subject.enrolment_date and disposition_date < subject.enrolment_date:
        errors.append(FieldError("disposition_date", "cannot precede enrolment"))
    if not (reason or "").strip():
        errors.append(FieldError("reason", "say why the subject left the study"))
    if errors:
        raise ValidationError(errors)
    subject.status = disposition
    subject.disposition_date = disposition_date
    if disposition == SubjectStatus.WITHDRAWN:
        subject.withdrawal_date = disposition_date
        subject.withdrawal_reason = reason.strip()
    return save_clinical(subject, user, reason.strip())


def record_missed_visit(
    visit: Visit, user, *, missed_reason, visit_date=None, reason="", expected_version=None
):
    """Record that ``visit`` did not take place, and why (``missed_reason`` is required).

    A visit date is refused (field ``visit_date``) rather than silently dropped: the visit
    either took place on that date or it was missed.
    """
    if visit_date is not None:
        raise ValidationError(
            [FieldError("visit_date", "a missed visit has no visit date (or record it as done)")]
        )
    if visit.status == VisitStatus.SCHEDULED and not (reason or "").strip():
        reason = "visit recorded as missed"
    visit.status = VisitStatus.MISSED
    visit.visit_date = None
    visit.missed_reason = (missed_reason or "").strip()
    return save_clinical(visit, user, reason, expected_version=expected_version)


def set_day_zero(subject: Subject, user, day_zero_date: date, *, reason: str) -> Subject:
    """Move the subject's day 0 (e.g. to the actual first administration): every visit window
    is recomputed from it, since windows are stored as study days. A reason is required.

    The product app calls this when the first dose is given on another date than planned
    (protocol ``day_zero = "first_administration"``); recorded visits keep their dates.
    """
    errors = []
    if subject.status != SubjectStatus.ENROLLED:
        errors.append(FieldError("status", f"{subject.code} is not enrolled"))
    if day_zero_date is None:
        errors.append(FieldError("day_zero_date", "the day-0 date is required"))
    elif subject.enrolment_date and day_zero_date < subject.enrolment_date:
        errors.append(FieldError("day_zero_date", "day 0 cannot precede enrolment"))
    if errors:
        raise ValidationError(errors)
    subject.day_zero_date = day_zero_date
    return save_clinical(subject, user, reason)
