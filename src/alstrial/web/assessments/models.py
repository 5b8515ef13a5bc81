"""Per-visit case report forms and subject-level endpoint events.

Ranges and their sources:
- ALSFRS-R: validated only by ``alstrial.domain.alsfrs`` (Cedarbaum 1999; docs/domain.md,
  'ALSFRS-R').
- FVC: % of predicted, 0-200 (plausibility limit, not a clinical criterion).
- Weight: kg, 20-300; vital signs: blood pressure mmHg, heart rate beats/min, respiratory rate
  breaths/min, temperature degrees C (plausibility limits).
- MRI of the spinal cord (Mazzini 2003 safety follow-up): cord volume in ml (cm^3), abnormal
  proliferation yes/no.
- Death, tracheostomy and permanent ventilation end the ALSFRS-R series (docs/domain.md,
  'Series-ending events').
"""

from __future__ import annotations

from django.db import models

from alstrial.domain.alsfrs import AlsfrsR
from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.web.core.records import ClinicalRecord
from alstrial.web.subjects.models import Subject, Visit, VisitStatus, today


def _range(errors: list, field: str, value, low: float, high: float, unit: str) -> None:
    if value is not None and not low <= value <= high:
        errors.append(FieldError(field, f"must be between {low:g} and {high:g} {unit}"))


class VisitAssessment(ClinicalRecord):
    """A form filled in at one visit. ``FORM_KEY`` is its key in the protocol's forms."""

    FORM_KEY = ""
    site_lookup = "subject__site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="%(class)s")

    class Meta:
        abstract = True

    def clean_clinical(self) -> None:
        errors: list[FieldError] = []
        if self.visit.subject_id != self.subject_id:
            errors.append(FieldError("visit", "the visit belongs to another subject"))
        if not self.subject.has_consent:
            errors.append(FieldError("visit", "no data entry before the subject's consent"))
        if self.FORM_KEY not in (self.visit.forms or []):
            errors.append(
                FieldError("visit", f"visit {self.visit.code} does not collect {self.FORM_KEY}")
            )
        if self.visit.status != VisitStatus.DONE:
            errors.append(FieldError("visit_date", "record the visit date first"))
        errors.extend(self.check_values())
        if errors:
            raise ValidationError(errors)

    def check_values(self) -> list[FieldError]:
        """Field checks of the form itself; override."""
        return []


class AlsfrsAssessment(VisitAssessment):
    """ALSFRS-R at one visit: twelve items 0-4 (exactly one of 5a/5b) and the item sum."""

    FORM_KEY = "alsfrs_r"

    class Meta:
        verbose_name = "ALSFRS-R"
        verbose_name_plural = "ALSFRS-R"

    speech = models.PositiveSmallIntegerField(null=True, blank=True)
    salivation = models.PositiveSmallIntegerField(null=True, blank=True)
    swallowing = models.PositiveSmallIntegerField(null=True, blank=True)
    handwriting = models.PositiveSmallIntegerField(null=True, blank=True)
    cutting_without_gastrostomy = models.PositiveSmallIntegerField(null=True, blank=True)
    cutting_with_gastrostomy = models.PositiveSmallIntegerField(null=True, blank=True)
    dressing_hygiene = models.PositiveSmallIntegerField(null=True, blank=True)
    turning_in_bed = models.PositiveSmallIntegerField(null=True, blank=True)
    walking = models.PositiveSmallIntegerField(null=True, blank=True)
    climbing_stairs = models.PositiveSmallIntegerField(null=True, blank=True)
    dyspnea = models.PositiveSmallIntegerField(null=True, blank=True)
    orthopnea = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_insufficiency = models.PositiveSmallIntegerField(null=True, blank=True)
    total = models.PositiveSmallIntegerField(
        editable=False, default=0, help_text="Item sum, 0-48 points (computed, never typed)."
    )

    def items(self) -> dict:
        """Item key -> stored score (0-4 points, None when not scored), questionnaire order."""
        return {key: getattr(self, key) for key in ITEM_KEYS}

    def score(self) -> AlsfrsR:
        """The validated score (raises ValidationError naming each bad item)."""
        return AlsfrsR.from_items(self.items())

    def check_values(self) -> list[FieldError]:
        """Validate the items with the domain rules; store them as integers and their sum."""
        try:
            score = self.score()
        except ValidationError as error:
            return list(error.errors)
        for key in ITEM_KEYS:
            setattr(self, key, score.items.get(key))
        self.total = score.total
        return []


class FvcAssessment(VisitAssessment):
    """Forced vital capacity, % of predicted (best of the trials)."""

    FORM_KEY = "fvc"

    class Meta:
        verbose_name = "FVC"
        verbose_name_plural = "FVC"

    fvc_percent_predicted = models.FloatField(help_text="% of predicted, 0-200.")
    fvc_litres = models.FloatField(null=True, blank=True, help_text="Litres (optional), 0-10.")

    def check_values(self) -> list[FieldError]:
        errors: list[FieldError] = []
        _range(errors, "fvc_percent_predicted", self.fvc_percent_predicted, 0, 200, "%")
        _range(errors, "fvc_litres", self.fvc_litres, 0, 10, "l")
        return errors


class WeightAssessment(VisitAssessment):
    """Body weight, kg (the dose per kg is computed from it by the product app)."""

    FORM_KEY = "weight"

    class Meta:
        verbose_name = "weight"
        verbose_name_plural = "weight"

    weight_kg = models.FloatField(help_text="kg, 20-300.")

    def check_values(self) -> list[FieldError]:
        errors: list[FieldError] = []
        _range(errors, "weight_kg", self.weight_kg, 20, 300, "kg")
        return errors


class VitalSigns(VisitAssessment):
    FORM_KEY = "vitals"

    systolic_mmhg = models.PositiveSmallIntegerField(help_text="mmHg, 50-260.")
    diastolic_mmhg = models.PositiveSmallIntegerField(help_text="mmHg, 20-160.")
    heart_rate_bpm = models.PositiveSmallIntegerField(help_text="beats/min, 20-250.")
    respiratory_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="breaths/min, 4-60."
    )
    temperature_c = models.FloatField(null=True, blank=True, help_text="degrees C, 30-43.")

    class Meta:
        verbose_name_plural = "vital signs"

    def check_values(self) -> list[FieldError]:
        errors: list[FieldError] = []
        _range(errors, "systolic_mmhg", self.systolic_mmhg, 50, 260, "mmHg")
        _range(errors, "diastolic_mmhg", self.diastolic_mmhg, 20, 160, "mmHg")
        _range(errors, "heart_rate_bpm", self.heart_rate_bpm, 20, 250, "beats/min")
        _range(errors, "respiratory_rate", self.respiratory_rate, 4, 60, "breaths/min")
        _range(errors, "temperature_c", self.temperature_c, 30, 43, "degrees C")
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            errors.append(FieldError("diastolic_mmhg", "must be lower than the systolic pressure"))
        return errors


class MriSpine(VisitAssessment):
    """MRI of the spinal cord (Mazzini 2003: no volume change, no abnormal proliferation)."""

    FORM_KEY = "mri_spine"

    cord_volume_ml = models.FloatField(
        null=True, blank=True, help_text="Spinal cord volume of the imaged segment, ml (0-100)."
    )
    abnormal_proliferation = models.BooleanField(help_text="Any abnormal tissue proliferation.")
    notes = models.TextField(blank=True)

    class Meta:
        verbose_name = "spinal cord MRI"

    def check_values(self) -> list[FieldError]:
        errors: list[FieldError] = []
        _range(errors, "cord_volume_ml", self.cord_volume_ml, 0, 100, "ml")
        return errors


class ConcomitantMedication(VisitAssessment):
    """ALS treatments taken at the visit: riluzole, edaravone (yes/no), and any other."""

    FORM_KEY = "conmed"

    class Meta:
        verbose_name = "concomitant medication"
        verbose_name_plural = "concomitant medication"

    riluzole = models.BooleanField()
    edaravone = models.BooleanField()
    other = models.TextField(blank=True, help_text="Other medication (free text).")


class EndpointKind(models.TextChoices):
    DEATH = "death", "Death"
    TRACHEOSTOMY = "tracheostomy", "Tracheostomy"
    PERMANENT_VENTILATION = "ventilation", "Permanent assisted ventilation"


class EndpointEvent(ClinicalRecord):
    """Death, tracheostomy or permanent ventilation: one of each at most per subject.

    Each ends the ALSFRS-R series (docs/domain.md, 'Series-ending events'). The date cannot precede
    consent or a recorded visit, nor lie in the future.
    """

    site_lookup = "subject__site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="endpoints")
    kind = models.CharField(max_length=20, choices=EndpointKind.choices)
    event_date = models.DateField()
    notes = models.TextField(blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("subject", "kind"), name="one_endpoint_per_kind"),
        )

    def clean_clinical(self) -> None:
        errors: list[FieldError] = []
        subject = self.subject
        if not subject.has_consent:
            errors.append(FieldError("event_date", "no data entry before the subject's consent"))
        if self.event_date is None:
            errors.append(FieldError("event_date", "the date is required"))
        else:
            if self.event_date > today(subject.site):
                errors.append(FieldError("event_date", f"{self.event_date} is in the future"))
            if subject.consent_date and self.event_date < subject.consent_date:
                errors.append(FieldError("event_date", "cannot precede the consent date"))
            if self.kind == EndpointKind.DEATH:
                last = (
                    subject.visits.filter(visit_date__isnull=False).order_by("-visit_date").first()
                )
                if last is not None and self.event_date < last.visit_date:
                    errors.append(
                        FieldError(
                            "event_date",
                            f"death date {self.event_date} is before visit {last.code} "
                            f"({last.visit_date})",
                        )
                    )
        if errors:
            raise ValidationError(errors)


#: Form key -> model, for the visit forms this app implements.
VISIT_ASSESSMENTS: dict[str, type[VisitAssessment]] = {
    model.FORM_KEY: model
    for model in (
        AlsfrsAssessment,
        FvcAssessment,
        WeightAssessment,
        VitalSigns,
        MriSpine,
        ConcomitantMedication,
    )
}
