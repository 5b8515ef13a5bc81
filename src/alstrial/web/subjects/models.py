"""Subjects and their visits.

Clinical tables hold no names: a subject is known by a pseudonymous code with a check character
(``alstrial.domain.identifiers.subject_code``). Identifying data, where a site keeps any, lives
in :class:`SubjectIdentity`, readable only by the roles in ``IDENTITY_ROLES``.
Dates are calendar dates; study days count from the subject's day 0 (the protocol's anchor,
e.g. the first administration), so the schedule's target day ``d`` is ``day_zero_date + d``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.local_time import study_day
from alstrial.domain.protocol import EL_ESCORIAL
from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.core.models import Role, Site
from alstrial.web.core.records import ClinicalRecord
from alstrial.web.trials.models import Trial

#: Roles that may read and write identifying data (never the statistician or the cell lab).
IDENTITY_ROLES = (Role.COORDINATOR, Role.INVESTIGATOR, Role.ADMIN)


def today(site: Site | None = None) -> date:
    """Today's date at ``site`` (its time zone), or in UTC: the limit for "not in the future"."""
    return timezone.localdate(timezone=site.zone if site is not None else None)


class SubjectStatus(models.TextChoices):
    SCREENING = "screening", "Screening"
    SCREEN_FAILED = "screen_failed", "Screen failure"
    ENROLLED = "enrolled", "Enrolled"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up", "Lost to follow-up"
    DIED = "died", "Died"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"


class OnsetSite(models.TextChoices):
    """Site of symptom onset, as the analysis data names it (docs/interfaces.md, 'Analysis data'
    subjects.csv)."""

    BULBAR = "bulbar", "Bulbar"
    SPINAL = "spinal", "Spinal (limb)"
    OTHER = "other", "Other"


class Subject(ClinicalRecord):
    """A trial subject at one site. ``code`` is pseudonymous (``SEO-0007-K``)."""

    site_lookup = "site"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="subjects")
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="subjects")
    number = models.PositiveIntegerField(help_text="Sequence number within the site.")
    code = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=20, choices=SubjectStatus.choices, default=SubjectStatus.SCREENING
    )
    consent_date = models.DateField(null=True, blank=True)
    screening_date = models.DateField(null=True, blank=True)
    # Baseline characteristics (no identifying data: age in years, not the date of birth).
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    onset_site = models.CharField(max_length=10, choices=OnsetSite.choices, blank=True)
    symptom_onset_date = models.DateField(null=True, blank=True)
    el_escorial = models.CharField(
        max_length=40, blank=True, choices=[(c, c.replace("_", " ")) for c in EL_ESCORIAL]
    )
    screening_alsfrs_r_total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="ALSFRS-R total at screening, points 0-48."
    )
    screening_fvc_percent = models.FloatField(
        null=True, blank=True, help_text="FVC at screening, % of predicted."
    )
    eligible = models.BooleanField(null=True, blank=True)
    eligibility_findings = models.JSONField(default=list, blank=True)
    enrolment_date = models.DateField(null=True, blank=True)
    day_zero_date = models.DateField(
        null=True, blank=True, help_text="Day 0 of the schedule (the protocol's anchor event)."
    )
    withdrawal_date = models.DateField(null=True, blank=True)
    disposition_date = models.DateField(
        null=True,
        blank=True,
        help_text="Site date the subject finished: completed, withdrew, was lost or died.",
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = (
            "site__code",
            "number",
        )
        constraints = (
            models.UniqueConstraint(fields=["site", "number"], name="unique_subject_number"),
        )

    def __str__(self) -> str:
        return self.code

    @property
    def has_consent(self) -> bool:
        return self.consent_date is not None

    def study_day(self, when: date | datetime | None) -> int | None:
        """Days from day 0 to ``when`` (negative before day 0), a moment taken to the site's
        date first (the one rule, ``alstrial.domain.local_time.study_day``); None without both."""
        if when is None or self.day_zero_date is None:
            return None
        return study_day(self.site, self.day_zero_date, when)

    def clean_clinical(self) -> None:
        errors = []
        now = today(self.site)
        dates = ("consent_date", "screening_date", "enrolment_date", "withdrawal_date")
        for field in (*dates, "disposition_date"):
            value = getattr(self, field)
            if value is not None and value > now:
                errors.append(FieldError(field, f"{value} is in the future"))
        if self.screening_date and self.consent_date and self.screening_date < self.consent_date:
            errors.append(FieldError("screening_date", "screening cannot happen before consent"))
        if self.symptom_onset_date and self.symptom_onset_date > now:
            errors.append(FieldError("symptom_onset_date", "onset cannot be in the future"))
        if self.status == SubjectStatus.ENROLLED:
            if not self.consent_date:
                errors.append(FieldError("consent_date", "enrolment needs the consent date"))
            elif self.enrolment_date and self.enrolment_date < self.consent_date:
                errors.append(FieldError("enrolment_date", "enrolment cannot precede consent"))
        if errors:
            raise ValidationError(errors)


class SubjectIdentity(models.Model):
    """Identifying data of one subject, kept apart from every clinical table.

    Readable and writable only by ``IDENTITY_ROLES`` at the subject's site; its own history
    records every change.
    """

    site_lookup = "subject__site"

    subject = models.OneToOneField(Subject, on_delete=models.PROTECT, related_name="identity")
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    hospital_number = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"identity of {self.subject.code}"


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"


class Visit(ClinicalRecord):
    """One scheduled visit of one subject, copied from the protocol's schedule at enrolment.

    ``target_day``, ``earliest_day`` and ``latest_day`` are study days (day 0 = anchor);
    ``forms`` are the protocol's form keys for this visit.
    """

    site_lookup = "subject__site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="visits")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    phase = models.CharField(max_length=32)
    epoch = models.CharField(max_length=20)
    sequence = models.PositiveSmallIntegerField()
    target_day = models.IntegerField()
    earliest_day = models.IntegerField()
    latest_day = models.IntegerField()
    forms = models.JSONField(default=list)
    administration = models.PositiveSmallIntegerField(null=True, blank=True)
    harvest = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    visit_date = models.DateField(null=True, blank=True)
    missed_reason = models.TextField(blank=True)

    class Meta:
        ordering = (
            "subject",
            "sequence",
        )
        constraints = (
            models.UniqueConstraint(fields=["subject", "code"], name="unique_visit_code"),
        )

    def __str__(self) -> str:
        return f"{self.subject.code} {self.code}"

    def _date_of(self, day: int) -> date | None:
        anchor = self.subject.day_zero_date
        return None if anchor is None else anchor + timedelta(days=day)

    @property
    def target_date(self) -> date | None:
        return self._date_of(self.target_day)

    @property
    def earliest_date(self) -> date | None:
        return self._date_of(self.earliest_day)

    @property
    def latest_date(self) -> date | None:
        return self._date_of(self.latest_day)

    @property
    def study_day(self) -> int | None:
        return self.subject.study_day(self.visit_date)

    @property
    def out_of_window(self) -> bool:
        """True when the visit happened outside its window."""
        day = self.study_day
        return day is not None and not self.earliest_day <= day <= self.latest_day

    @property
    def overdue(self) -> bool:
        """True when the window has closed and the visit is neither done nor missed."""
        latest = self.latest_date
        if self.status != VisitStatus.SCHEDULED or latest is None:
            return False
        return latest < today(self.subject.site)

    @property
    def due(self) -> bool:
        """True when today is inside the window and the visit is not yet done or missed."""
        if self.status != VisitStatus.SCHEDULED or self.earliest_date is None:
            return False
        return self.earliest_date <= today(self.subject.site) <= self.latest_date

    def clean_clinical(self) -> None:
        errors = []
        subject = self.subject
        if not subject.has_consent:
            errors.append(FieldError("visit_date", "no data entry before the subject's consent"))
        if self.status == VisitStatus.DONE:
            if self.visit_date is None:
                errors.append(FieldError("visit_date", "a done visit needs its date"))
        elif self.status == VisitStatus.MISSED:
            if not (self.missed_reason or "").strip():
                errors.append(FieldError("missed_reason", "say why the visit was missed"))
            if self.visit_date is not None:
                errors.append(FieldError("visit_date", "a missed visit has no visit date"))
        if self.visit_date is not None:
            if self.visit_date > today(subject.site):
                errors.append(FieldError("visit_date", f"{self.visit_date} is in the future"))
            ended = subject.endpoints.filter(kind="death").first() if subject.pk else None
            if ended is not None and self.visit_date > ended.event_date:
                errors.append(
                    FieldError(
                        "visit_date",
                        f"{self.visit_date} is after the recorded death ({ended.event_date})",
                    )
                )
            if subject.consent_date and self.visit_date < subject.consent_date:
                errors.append(
                    FieldError(
                        "visit_date",
                        f"{self.visit_date} is before consent ({subject.consent_date})",
                    )
                )
        if errors:
            raise ValidationError(errors)
