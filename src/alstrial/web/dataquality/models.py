"""Queries on clinical data (docs/datamanagement.md, "Queries").

A query points at one stored value: the form (its key, e.g. ``alsfrs_r``), the record's primary
key and the field. It is opened by a failed edit check (origin ``check``, with the check's code)
or by hand by a monitor or data manager (``manual``); the site answers; the monitor closes or
re-opens it. Rows are written only by :mod:`alstrial.web.dataquality.services`; simple-history
keeps every state with who, when and why.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.core.models import Site

USER = settings.AUTH_USER_MODEL


class QueryStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class QueryOrigin(models.TextChoices):
    CHECK = "check", "Edit check"
    MANUAL = "manual", "Raised by hand"


class Query(models.Model):
    """One data query on ``form``/``record_id``/``field`` of ``subject``."""

    site_lookup = "site"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(
        "subjects.Subject", on_delete=models.PROTECT, related_name="queries"
    )
    form = models.CharField(max_length=40)
    record_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=80)
    origin = models.CharField(max_length=10, choices=QueryOrigin.choices)
    check_code = models.CharField(
        max_length=64, blank=True, help_text="The protocol's check that raised it (origin check)."
    )
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    text = models.TextField()
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_by_check = models.BooleanField(
        default=False, help_text="Closed by itself: the value was corrected and the check passes."
    )
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ("opened_at", "id")
        verbose_name_plural = "queries"
        indexes = (models.Index(fields=["subject", "status"]),)

    def __str__(self) -> str:
        return f"query {self.pk} on {self.form}.{self.field} ({self.status})"


class TrialLock(models.Model):
    """The database lock of one trial: while ``locked``, every write of the trial's data is
    refused (docs/datamanagement.md, "Locks"). One row per trial, changed only by the data
    manager through the services; its history is the audit trail of every lock and unlock."""

    trial = models.OneToOneField("trials.Trial", on_delete=models.PROTECT, related_name="lock")
    locked = models.BooleanField(default=False)
    reason = models.TextField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.trial} {'locked' if self.locked else 'unlocked'}"


class SourceVerification(models.Model):
    """A monitor's mark that one stored form was checked against the source documents (SDV).

    ``record_version`` is the record's version when verified. A later change of the record
    clears the mark (``cleared_at`` and ``cleared_reason`` say when and why); the history keeps
    both states (docs/datamanagement.md, "Source data verification").
    """

    site_lookup = "site"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(
        "subjects.Subject", on_delete=models.PROTECT, related_name="verifications"
    )
    form = models.CharField(max_length=40)
    record_id = models.PositiveBigIntegerField()
    record_version = models.PositiveIntegerField()
    verified_at = models.DateTimeField()
    verified_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ("verified_at", "id")
        indexes = (models.Index(fields=["form", "record_id"]),)

    def __str__(self) -> str:
        state = "verified" if self.cleared_at is None else "cleared"
        return f"{self.form} {self.record_id} v{self.record_version} {state}"


class SubjectFreeze(models.Model):
    """A data manager's freeze of one subject's casebook: while ``frozen``, every write of the
    subject's data is refused (docs/datamanagement.md, "Locks"). One row per subject; its
    history is the audit trail of every freeze and unfreeze."""

    subject = models.OneToOneField(
        "subjects.Subject", on_delete=models.PROTECT, related_name="freeze"
    )
    frozen = models.BooleanField(default=False)
    reason = models.TextField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.subject} {'frozen' if self.frozen else 'not frozen'}"
