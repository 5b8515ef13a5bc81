"""Natural-history registry data imported from PRO-ACT files (docs/domain.md, 'PRO-ACT registry
format').

Registry patients are not trial subjects: they belong to no site, carry the registry's own
pseudonymous ``subject_id`` and are read-only reference data (the importer is the only writer,
:mod:`alstrial.web.registry.importer`). Days are whole days from the patient's own time 0
(the first trial observation in PRO-ACT), so onset is negative; months = days / 30.4375.

Natural keys make a second import of the same rows a no-op: ``subject_id`` for a patient,
(patient, day, scale) for an ALSFRS row, (patient, day) for an FVC row.
"""

from __future__ import annotations

from django.db import models

from alstrial.domain.alsfrs_items import ALL_SCALES_ITEM_KEYS


class RegistryImport(models.Model):
    """One accepted import: which files (name -> SHA-256), their combined hash, what it added."""

    content_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 over the imported files' names and bytes."
    )
    source = models.CharField(max_length=1000, help_text="The folder imported from.")
    files = models.JSONField(help_text="File name -> SHA-256 of its bytes.")
    counts = models.JSONField(help_text="The reader's counts (accepted and rejected rows).")
    added = models.JSONField(help_text="Rows this import added: patients, alsfrs, fvc.")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("imported_at", "id")

    def __str__(self) -> str:
        return f"registry import {self.content_hash[:12]} ({self.imported_at:%Y-%m-%d %H:%M})"


class OnsetSite(models.TextChoices):
    BULBAR = "bulbar", "Bulbar"
    SPINAL = "spinal", "Spinal (limb)"
    OTHER = "other", "Other"


class RegistryPatient(models.Model):
    """One registry patient: demographics, onset, diagnosis and vital status.

    Empty means unknown (the reader leaves a field unknown when the registry's rows disagree).
    """

    subject_id = models.CharField(max_length=64, unique=True)
    registry_import = models.ForeignKey(
        RegistryImport, on_delete=models.PROTECT, related_name="patients"
    )
    age_years = models.FloatField(null=True, blank=True, help_text="Years at time 0.")
    sex = models.CharField(max_length=1, blank=True, help_text="M or F; empty = unknown.")
    onset_site = models.CharField(max_length=10, choices=OnsetSite.choices, blank=True)
    onset_day = models.IntegerField(null=True, blank=True, help_text="Days from time 0 (<= 0).")
    diagnosis_day = models.IntegerField(null=True, blank=True, help_text="Days from time 0.")
    death_day = models.IntegerField(null=True, blank=True, help_text="Days from time 0.")
    died = models.BooleanField(default=False)

    class Meta:
        ordering = ("subject_id",)

    def __str__(self) -> str:
        return f"registry patient {self.subject_id}"


class Scale(models.TextChoices):
    REVISED = "R", "ALSFRS-R (0-48)"
    ORIGINAL = "original", "ALSFRS, original (0-40)"


def _item_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(null=True, blank=True, help_text=f"{label}, 0-4.")


class RegistryAlsfrs(models.Model):
    """One ALSFRS row: the revised (R, 0-48) or the original (10 items, 0-40) scale, never mixed.

    ``total`` is the item sum when the items are complete (checked against the stored total by
    the reader), else the registry's stored total; ``line`` is the CSV line it came from.
    """

    patient = models.ForeignKey(RegistryPatient, on_delete=models.CASCADE, related_name="alsfrs")
    day = models.IntegerField(help_text="Days from the patient's time 0.")
    scale = models.CharField(max_length=8, choices=Scale.choices)
    speech = _item_field("Speech")
    salivation = _item_field("Salivation")
    swallowing = _item_field("Swallowing")
    handwriting = _item_field("Handwriting")
    cutting_without_gastrostomy = _item_field("Cutting food (5a)")
    cutting_with_gastrostomy = _item_field("Cutting food, gastrostomy (5b)")
    dressing_hygiene = _item_field("Dressing and hygiene")
    turning_in_bed = _item_field("Turning in bed")
    walking = _item_field("Walking")
    climbing_stairs = _item_field("Climbing stairs")
    respiratory = _item_field("Respiratory (original ALSFRS Q10)")
    dyspnea = _item_field("Dyspnea (R-1)")
    orthopnea = _item_field("Orthopnea (R-2)")
    respiratory_insufficiency = _item_field("Respiratory insufficiency (R-3)")
    total = models.PositiveSmallIntegerField(help_text="Points: 0-48 (R) or 0-40 (original).")
    stored_total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The total as stored in the registry file."
    )
    line = models.PositiveIntegerField(help_text="Line in the registry's ALSFRS file.")

    ITEM_KEYS = ALL_SCALES_ITEM_KEYS

    class Meta:
        ordering = ("patient", "day", "scale")
        constraints = (
            models.UniqueConstraint(
                fields=("patient", "day", "scale"), name="unique_registry_alsfrs_row"
            ),
        )

    def __str__(self) -> str:
        return f"ALSFRS ({self.scale}) of patient {self.patient_id} on day {self.day}: {self.total}"


class RegistryFvc(models.Model):
    """Forced vital capacity, % of predicted (best of the trials), at one day."""

    patient = models.ForeignKey(RegistryPatient, on_delete=models.CASCADE, related_name="fvc")
    day = models.IntegerField(help_text="Days from the patient's time 0.")
    fvc_percent = models.FloatField(help_text="% of predicted.")
    line = models.PositiveIntegerField(help_text="Line in the registry's FVC file.")

    class Meta:
        ordering = ("patient", "day")
        constraints = (
            models.UniqueConstraint(fields=("patient", "day"), name="unique_registry_fvc_row"),
        )

    def __str__(self) -> str:
        return f"FVC of patient {self.patient_id} on day {self.day}: {self.fvc_percent:g}%"
