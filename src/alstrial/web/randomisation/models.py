"""Allocation of a randomised trial and emergency unblinding (docs/randomisation.md).

- :class:`SealedSeed`: one per randomised trial, the secret seed from which every allocation of
  the trial is computed (``alstrial.domain.randomisation``). It is generated with ``secrets``
  when the trial's randomisation is set up, is never shown in a page, the admin, the API, an
  export or the audit trail (its history leaves the seed out), and is read only by the service
  that allocates and by the list the unblinded statistician regenerates. Its row is also the lock
  that serialises the trial's allocations.
- :class:`Allocation`: one per randomised subject (never changed once made), what site staff
  may see; :class:`SealedArm` beside it holds the arm and the block, for unblinded code only.
- :class:`UnblindingRequest`: an investigator's request to reveal one subject's arm, approved by a
  second authorised person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.core.records import ClinicalRecord
from alstrial.web.subjects.models import Subject
from alstrial.web.trials.models import Trial


class SealedSeed(models.Model):
    """The secret seed of one randomised trial (a 63-bit integer from ``secrets``)."""

    site_lookup = "trial__sites"

    trial = models.OneToOneField(Trial, on_delete=models.PROTECT, related_name="sealed_seed")
    seed = models.BigIntegerField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The audit trail records that and when the seed was sealed, never its value.
    history = HistoricalRecords(excluded_fields=["seed"])

    objects = SiteScopedQuerySet.as_manager()

    def __str__(self) -> str:
        # Never the seed: this text appears in the admin and in log lines.
        return f"sealed randomisation seed of {self.trial.slug}"

    def __repr__(self) -> str:
        return f"<SealedSeed trial={self.trial_id}>"


class Allocation(ClinicalRecord):
    """The randomisation of one subject as site staff may see it: number, stratum, when, by whom
    (docs/randomisation.md, "Allocation in the web app").

    ``stratum`` holds the subject's level of each stratification factor in the protocol's
    ``stratify_by`` order; ``randomised_at`` is UTC. The arm and the block are in
    :class:`SealedArm`, so that this record and its audit trail reveal neither (a block's size
    would let staff predict the next arm).
    """

    site_lookup = "subject__site"

    subject = models.OneToOneField(Subject, on_delete=models.PROTECT, related_name="allocation")
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="allocations")
    randomisation_number = models.PositiveIntegerField()
    stratum = models.JSONField(default=list)
    stratum_number = models.PositiveSmallIntegerField()
    randomised_at = models.DateTimeField()
    randomised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("trial", "randomisation_number")
        constraints = (
            models.UniqueConstraint(
                fields=["trial", "randomisation_number"], name="unique_randomisation_number"
            ),
        )

    def __str__(self) -> str:
        return f"{self.subject.code} randomisation number {self.randomisation_number}"


class SealedArm(models.Model):
    """The blinded part of one allocation: the arm code and (permuted blocks) the block number
    within the stratum's list and its size. Written once with the allocation, in the same
    transaction; read only through ``services.arm_of`` by unblinded code paths. Its own history
    audits it apart from the subject's trail, which blinded roles read."""

    site_lookup = "allocation__subject__site"

    allocation = models.OneToOneField(
        Allocation, on_delete=models.PROTECT, related_name="sealed_arm"
    )
    arm = models.CharField(max_length=20)
    block = models.PositiveIntegerField(null=True, blank=True)
    block_size = models.PositiveSmallIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    objects = SiteScopedQuerySet.as_manager()

    def __str__(self) -> str:
        # Never the arm: this text can reach logs and admin lists.
        return f"sealed arm of allocation {self.allocation_id}"


class UnblindingStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"


class UnblindingRequest(ClinicalRecord):
    """An emergency unblinding of one subject: requested by an investigator with a reason,
    approved by a second authorised person (never the requester); once approved, the arm is
    shown to the requester only and the subject is flagged ``emergency_unblinded`` in the
    analysis data (docs/randomisation.md, "Emergency unblinding")."""

    site_lookup = "subject__site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="unblindings")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=UnblindingStatus.choices, default=UnblindingStatus.REQUESTED
    )

    class Meta:
        ordering = ("-requested_at",)

    def __str__(self) -> str:
        return f"unblinding request {self.pk} for {self.subject.code} ({self.status})"
