"""``/subjects``: screening (create), correction of screening data (update), enrolment (which
lays out the visits), withdrawal, and the per-subject audit trail.

Reads: any role at the subject's site; the statistician gets no calendar dates and no free text
(study days instead). Writes: coordinator, investigator, admin (``DATA_ENTRY_ROLES``).
Audit trail: ``AUDIT_ROLES`` (not the statistician), as on the web audit page.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from alstrial.web.api.access import get_for_user_or_404, hides_dates, require_role, subject_for
from alstrial.web.api.pages import PageParams, page, page_of
from alstrial.web.api.schemas import ChangeIn, ErrorOut, Integer, Number, StrictIn
from alstrial.web.audit.blinding import trail_for
from alstrial.web.audit.trail import subject_trail
from alstrial.web.core.access import can_see_arm, is_blinded_trial, sites_for
from alstrial.web.core.models import AUDIT_ROLES, DATA_ENTRY_ROLES
from alstrial.web.randomisation.services import arm_of
from alstrial.web.subjects import services
from alstrial.web.subjects.models import Subject
from alstrial.web.trials.models import Trial

router = Router(tags=["subjects"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}


class SubjectOut(Schema):
    id: int
    code: str = Field(description="Pseudonymous subject ID with check character.")
    site: str
    trial: str
    status: str
    version: int
    deidentified: bool = Field(description="True: calendar dates and free text are withheld.")
    sex: str
    age_years: int | None
    onset_site: str
    el_escorial: str
    screening_alsfrs_r_total: Integer | None = Field(description="points, 0-48")
    screening_fvc_percent: float | None = Field(description="% of predicted")
    eligible: bool | None
    eligibility_findings: list
    consent_date: date | None
    screening_date: date | None
    symptom_onset_date: date | None
    enrolment_date: date | None
    day_zero_date: date | None
    withdrawal_date: date | None
    withdrawal_reason: str | None
    screening_study_day: int | None = Field(description="days from day 0 (negative before)")
    onset_study_day: int | None = Field(description="days from day 0 (negative before)")
    arm: str | None = Field(
        None,
        description="The randomised arm's code; present for unblinded roles of a randomised "
        "trial only (no key at all for a blinded role).",
    )


_DATES = (
    "consent_date",
    "screening_date",
    "symptom_onset_date",
    "enrolment_date",
    "day_zero_date",
    "withdrawal_date",
)


def subject_out(subject: Subject, user) -> dict:
    hidden = hides_dates(user, subject.site_id)
    out = {
        "id": subject.pk,
        "code": subject.code,
        "site": subject.site.code,
        "trial": subject.trial.slug,
        "status": subject.status,
        "version": subject.version,
        "deidentified": hidden,
        "sex": subject.sex,
        "age_years": subject.age_years,
        "onset_site": subject.onset_site,
        "el_escorial": subject.el_escorial,
        "screening_alsfrs_r_total": subject.screening_alsfrs_r_total,
        "screening_fvc_percent": subject.screening_fvc_percent,
        "eligible": subject.eligible,
        "eligibility_findings": subject.eligibility_findings,
        "withdrawal_reason": None if hidden else subject.withdrawal_reason,
        "screening_study_day": subject.study_day(subject.screening_date),
        "onset_study_day": subject.study_day(subject.symptom_onset_date),
    }
    for name in _DATES:
        out[name] = None if hidden else getattr(subject, name)
    if is_blinded_trial(subject.trial) and can_see_arm(user, subject.site_id):
        # Only here is the key set: answers are dumped without unset fields, so a blinded
        # role's answer has no ``arm`` key at all (docs/randomisation.md "Blinding").
        out["arm"] = arm_of(subject)
    return out


class ScreeningValues(StrictIn):
    consent_date: date | None = None
    screening_date: date | None = None
    sex: str = ""
    age_years: Integer | None = None
    onset_site: str = ""
    symptom_onset_date: date | None = None
    el_escorial: str | None = None
    alsfrs_r_total: Integer | None = Field(None, description="ALSFRS-R total at screening, 0-48")
    fvc_percent_predicted: Number | None = Field(None, description="% of predicted")

    def values(self) -> dict:
        return self.model_dump(exclude={"consent_date", "screening_date", "reason", "version"})


class SubjectIn(ScreeningValues):
    site: str = Field(description="Site code, e.g. seoul.")
    trial: str = Field(description="Trial slug, e.g. kim2009.")
    reason: str = ""

    def values(self) -> dict:
        return {k: v for k, v in super().values().items() if k not in ("site", "trial")}


class SubjectChangeIn(ScreeningValues, ChangeIn):
    pass


class EnrolmentIn(StrictIn):
    enrolment_date: date | None
    day_zero_date: date | None = Field(None, description="Default: from the screening date.")
    reason: str = ""


class WithdrawalIn(StrictIn):
    withdrawal_date: date | None
    withdrawal_reason: str = Field("", description="Why the subject withdrew (free text).")
    reason: str = ""


class AuditChangeOut(Schema):
    field: str
    old: str | None
    new: str | None


class AuditEntryOut(Schema):
    when: datetime = Field(description="UTC")
    user: str
    action: str = Field(description="created, changed or deleted")
    record_type: str
    record_id: int
    record: str
    version: int
    reason: str
    changes: list[AuditChangeOut]


def _subjects(user):
    return Subject.objects.visible_to(user).select_related("site", "trial").order_by("code")


SubjectOutPage = page_of(SubjectOut)


@router.get("", response=SubjectOutPage, summary="List subjects of your sites", exclude_unset=True)
def list_subjects(
    request, params: Query[PageParams], trial: str | None = None, status: str | None = None
):
    return page(
        _subjects(request.user),
        params,
        partial(subject_out, user=request.user),
        trial__slug=trial,
        status=status,
    )


@router.get(
    "/{subject_id}",
    response={200: SubjectOut, **ERRORS},
    summary="One subject",
    exclude_unset=True,
)
def get_subject(request, subject_id: int):
    return subject_out(subject_for(request.user, subject_id), request.user)


@router.post("", response={201: SubjectOut, **ERRORS}, summary="Screen a new subject")
def screen_subject(request, payload: SubjectIn):
    """Create a subject at screening; eligibility is judged against the trial's protocol."""
    site = sites_for(request.user).filter(code=payload.site).first()
    if site is None:
        raise Http404("no such site")
    require_role(request.user, site, *DATA_ENTRY_ROLES)
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=payload.trial)
    subject = services.screen_subject(
        site=site,
        trial=trial,
        user=request.user,
        consent_date=payload.consent_date,
        screening_date=payload.screening_date,
        values=payload.values(),
        reason=payload.reason,
    )
    return Status(201, subject_out(subject, request.user))


@router.put("/{subject_id}", response={200: SubjectOut, **ERRORS}, summary="Correct screening")
def correct_screening(request, subject_id: int, payload: SubjectChangeIn):
    """Correct the consent date or screening values (reason and version required)."""
    subject = subject_for(request.user, subject_id, *DATA_ENTRY_ROLES)
    services.correct_screening(
        subject,
        request.user,
        consent_date=payload.consent_date,
        screening_date=payload.screening_date,
        values=payload.values(),
        reason=payload.reason,
        expected_version=payload.version,
    )
    return subject_out(subject, request.user)


@router.post(
    "/{subject_id}/enrolment", response={200: SubjectOut, **ERRORS}, summary="Enrol a subject"
)
def enrol(request, subject_id: int, payload: EnrolmentIn):
    """Enrol an eligible screened subject; the protocol's visits are laid out from day 0."""
    return _subject_change(request, subject_id, services.enrol_subject, payload)


@router.post(
    "/{subject_id}/withdrawal", response={200: SubjectOut, **ERRORS}, summary="Withdraw a subject"
)
def withdraw(request, subject_id: int, payload: WithdrawalIn):
    """Record an enrolled subject's withdrawal (date and why); later visits stay unrecorded."""
    return _subject_change(request, subject_id, services.withdraw_subject, payload)


def _subject_change(request, subject_id: int, service, payload: StrictIn) -> dict:
    """Call a subjects service whose keyword arguments are the body's fields."""
    subject = subject_for(request.user, subject_id, *DATA_ENTRY_ROLES)
    service(subject, request.user, **payload.model_dump())
    return subject_out(subject, request.user)


def _text(value) -> str | None:
    return None if value is None else str(value)


@router.get(
    "/{subject_id}/audit",
    response={200: list[AuditEntryOut], **ERRORS},
    summary="The subject's audit trail",
)
def audit_trail(request, subject_id: int):
    """Every change to the subject's clinical records, oldest first: who, when (UTC), what
    (field, old value, new value) and why."""
    subject = subject_for(request.user, subject_id, *AUDIT_ROLES)
    return [
        {
            "when": e.when,
            "user": e.user,
            "action": e.action,
            "record_type": e.model,
            "record_id": e.record_id,
            "record": e.label,
            "version": e.version,
            "reason": e.reason,
            "changes": [
                {"field": c.field, "old": _text(c.old), "new": _text(c.new)} for c in e.changes
            ],
        }
        # A blinded role reads no entry that reveals the arm (docs/randomisation.md "Blinding").
        for e in trail_for(request.user, subject, subject_trail(subject))
    ]
