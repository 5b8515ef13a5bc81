"""The lock of a trial's analysis plan: one row per trial, written once, never changed.

The row holds the canonical JSON content that was hashed (protocol hash, plan, analysis
settings, simulated operating characteristics) and its SHA-256 (:mod:`alstrial.domain.plan_lock`),
so the hash can be recomputed from the row at any time. Writes go through
:mod:`alstrial.web.sap.services`; saving an existing row or deleting one is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from alstrial.domain.plan_lock import LockedPlan
from alstrial.web.trials.models import Trial


class PlanLockChanged(Exception):
    """A locked plan was about to be changed or deleted."""


class PlanLock(models.Model):
    """A trial's locked analysis plan (at most one per trial: a lock cannot be replaced)."""

    trial = models.OneToOneField(Trial, on_delete=models.PROTECT, related_name="plan_lock")
    locked_at = models.DateTimeField()
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_from = models.CharField(max_length=40, help_text="web or command line")
    sha256 = models.CharField(max_length=64)
    content = models.JSONField(help_text="What was hashed (canonical JSON of this object).")
    history = HistoricalRecords()

    class Meta:
        ordering = ("trial__slug",)

    def __str__(self) -> str:
        return f"{self.trial.slug} plan {self.sha256[:12]}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PlanLockChanged(f"the analysis plan of {self.trial.slug} is locked")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PlanLockChanged(f"the analysis plan of {self.trial.slug} is locked")

    def as_locked_plan(self) -> LockedPlan:
        """The lock as the analysis reads it, checked against its hash."""
        locked = LockedPlan(self.sha256, self.locked_at.isoformat(), self.content)
        locked.verify()
        return locked
