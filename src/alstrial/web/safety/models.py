"""Adverse events, expedited report submissions, enrolment halts and in-app notifications.

The rules live in the domain (:mod:`alstrial.domain.safety`, ``safety_clock``,
``safety_stopping``); these models store what was reported and decided. Derived facts
(``serious``, ``related``, ``expected``, ``susar``) are written by the one service
(:func:`alstrial.web.safety.services.record_adverse_event`) from the domain rules on every save,
and kept as columns only so that the board and the dashboard can query them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from alstrial.domain.errors import MisuseError
from alstrial.domain.safety import (
    ActionTaken,
    Cause,
    Outcome,
    Relatedness,
    Seriousness,
    is_fatal_or_life_threatening,
)
from alstrial.domain.safety_clock import ReportKind, reporting_obligations
from alstrial.domain.safety_stopping import HALTS_ENROLMENT
from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.core.models import Site
from alstrial.web.core.records import ClinicalRecord
from alstrial.web.safety.rules import assess
from alstrial.web.trials.models import Trial


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, getattr(m, "label", m.value.replace("_", " "))) for m in enum]


RELATEDNESS_CHOICES = _choices(Relatedness)


class SiteSafetySettings(models.Model):
    """Whether a site's safety monitors are also e-mailed (Django's e-mail backend).

    The site's time zone, which sets the SAE clock's day 0, is the core ``Site.time_zone``.
    """

    site_lookup = "site"

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="safety_settings")
    email_safety_monitors = models.BooleanField(default=False)
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "site safety settings"

    def __str__(self) -> str:
        return f"{self.site.code}: e-mail {'on' if self.email_safety_monitors else 'off'}"


class AdverseEvent(ClinicalRecord):
    """One adverse event of one subject; each follow-up report is a new version.

    ``follow_up_number`` is 0 for the initial report and grows by one with each follow-up;
    django-simple-history keeps every version with who, when and why. Dates are local calendar
    dates at the site; ``awareness_at`` is stored in UTC and shown in the site's time zone.
    """

    site_lookup = "subject__site"

    subject = models.ForeignKey(
        "subjects.Subject", on_delete=models.PROTECT, related_name="adverse_events"
    )
    term = models.CharField(max_length=200, help_text="Preferred term (coded) or as entered.")
    verbatim_term = models.CharField(max_length=200)
    term_code = models.CharField(
        max_length=20, blank=True, help_text="Code in alstrial's term list; empty = to be coded."
    )
    coded_term = models.CharField(
        max_length=200,
        blank=True,
        help_text="Term of the list a coder chose for a verbatim term that is not on it.",
    )
    onset_date = models.DateField()
    resolution_date = models.DateField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField(help_text="CTCAE v5 grade 1-5.")
    seriousness_criteria = models.JSONField(default=list, blank=True)
    relatedness_cell_product = models.CharField(
        max_length=12, choices=RELATEDNESS_CHOICES, blank=True
    )
    relatedness_bone_marrow_aspiration = models.CharField(
        max_length=12, choices=RELATEDNESS_CHOICES, blank=True
    )
    relatedness_lumbar_puncture = models.CharField(
        max_length=12, choices=RELATEDNESS_CHOICES, blank=True
    )
    relatedness_spinal_surgery = models.CharField(
        max_length=12, choices=RELATEDNESS_CHOICES, blank=True
    )
    action_taken = models.CharField(max_length=24, choices=_choices(ActionTaken))
    outcome = models.CharField(max_length=24, choices=_choices(Outcome))
    awareness_at = models.DateTimeField(null=True, blank=True)
    susar_awareness_at = models.DateTimeField(
        null=True, blank=True, help_text="When the information making it a SUSAR arrived."
    )
    narrative = models.TextField(blank=True)
    follow_up_number = models.PositiveIntegerField(default=0)
    # Derived by the domain on every save (never entered).
    serious = models.BooleanField(default=False, editable=False)
    related = models.BooleanField(default=False, editable=False)
    expected = models.BooleanField(default=False, editable=False)
    susar = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ("-onset_date", "-id")
        indexes = (models.Index(fields=["serious", "susar"]),)

    def __str__(self) -> str:
        return f"{self.subject.code} {self.term} (grade {self.grade})"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the stored state: a follow-up that makes the event serious or a SUSAR
        # starts a clock and notifies the safety monitor (see rules.assess, services).
        instance._was_serious = instance.__dict__.get("serious", False)
        instance._was_susar = instance.__dict__.get("susar", False)
        criteria = instance.__dict__.get("seriousness_criteria") or ()
        instance._was_fatal_or_lt = is_fatal_or_life_threatening(criteria)
        return instance

    def clean_clinical(self) -> None:
        """Validate with the domain rules and derive seriousness, relatedness, SUSAR status."""

        assess(self, timezone.now())

    @property
    def trial(self) -> Trial:
        return self.subject.trial

    @property
    def needs_coding(self) -> bool:
        return not self.term_code

    @property
    def criteria_labels(self) -> list[str]:
        return [Seriousness(c).label for c in self.seriousness_criteria]

    def relatedness_items(self) -> list[tuple[str, str]]:
        """(cause label, category) for each assessed cause."""
        out = []
        for cause in Cause:
            value = getattr(self, cause.field)
            if value:
                out.append((cause.label, value))
        return out

    @property
    def fatal_or_life_threatening(self) -> bool:
        return is_fatal_or_life_threatening(self.seriousness_criteria or ())

    def obligations(self, time_zone: str):
        """The expedited reports this event requires (domain rule; empty when not serious)."""
        if not self.serious:
            return ()
        return reporting_obligations(
            serious=True,
            susar=self.susar,
            fatal_or_life_threatening=self.fatal_or_life_threatening,
            awareness_at=self.awareness_at,
            site_timezone=time_zone,
            susar_awareness_at=self.susar_awareness_at,
        )


class ReportSubmission(models.Model):
    """An expedited report sent (SAE to the sponsor, SUSAR to the authorities); append-only."""

    site_lookup = "adverse_event__subject__site"

    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, related_name="submissions"
    )
    kind = models.CharField(max_length=24, choices=[(k.value, k.label) for k in ReportKind])
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="E.g. the receipt number.")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["adverse_event", "kind"], name="one_submission_per_kind"
            ),
        )
        ordering = ("submitted_at",)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for AE {self.adverse_event_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise MisuseError("a recorded report submission is never changed (append-only)")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise MisuseError("a recorded report submission is never deleted (append-only)")


class StoppingTrigger(models.Model):
    """A stopping rule that triggered, with its action (``halt_enrolment``, ``halt_trial``,
    ``halt_dosing``, ``dsmb_review``). Active until a person lifts it, with a reason; while an
    active trigger's action is ``halt_enrolment`` or ``halt_trial``, enrolment is refused."""

    site_lookup = "trial__sites"

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="stopping_triggers")
    rule = models.CharField(max_length=300, help_text="The rule in words.")
    rule_key = models.CharField(max_length=120, help_text="Identifies the rule in the protocol.")
    action = models.CharField(max_length=24)
    subject_codes = models.JSONField(default=list)
    triggered_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    lift_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-triggered_at",)

    def __str__(self) -> str:
        return f"{self.trial.slug}: {self.rule}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    @property
    def halts_enrolment(self) -> bool:
        return self.action in HALTS_ENROLMENT


class Notification(models.Model):
    """A message to one user inside the app (the badge counts the unread ones)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_notifications"
    )
    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, null=True, blank=True)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)
    key = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="Sent once per user and key."
    )

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.message
