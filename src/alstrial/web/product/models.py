"""The autologous cell product, from bone marrow harvest to administration.

Harvest (one subject) -> Batch (one per harvest, passages) -> Lot (one dose each, ID carrying the
donor's subject ID) -> QC results -> release signature -> dose preparation -> Administration.
Every lot movement is a :class:`CustodyEntry` in an append-only ledger; every refused
administration is a :class:`RefusedAttempt`. Rules live in ``alstrial.domain.product*``; the only
writer of these tables is :mod:`alstrial.web.product.services`.

Units: volumes ml, counts cells, percentages percent of cells, endotoxin EU/ml, weight kg,
pump rate microlitres/min; times are stored in UTC.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from alstrial.domain.errors import MisuseError
from alstrial.domain.product import CustodyEvent, LotStatus
from alstrial.domain.product_dose import is_expired
from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.core.models import Site
from alstrial.web.core.records import ClinicalRecord
from alstrial.web.core.stored_fields import check_stored_fields
from alstrial.web.core.write_guards import check_writable
from alstrial.web.subjects.models import Subject, Visit

USER = settings.AUTH_USER_MODEL


class Harvest(ClinicalRecord):
    """One bone marrow aspiration (Mazzini 2003: posterior iliac crest)."""

    site_lookup = "subject__site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="harvests")
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    aspirated_at = models.DateTimeField(help_text="Date and time of the aspiration (UTC).")
    anatomical_site = models.CharField(max_length=100, default="posterior iliac crest")
    volume_ml = models.FloatField(help_text="Bone marrow aspirated, ml.")
    anticoagulant = models.CharField(max_length=100, help_text="e.g. heparin")
    operator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    procedure_adverse_events = models.TextField(blank=True)
    adverse_event = models.ForeignKey(
        "safety.AdverseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The safety app's adverse event of this procedure, if any.",
    )

    class Meta:
        ordering = ("subject", "aspirated_at")

    def __str__(self) -> str:
        return f"harvest {self.subject.code} {self.aspirated_at:%Y-%m-%d}"


class Batch(ClinicalRecord):
    """The ex vivo expansion of one harvest (the protocol's method, e.g. Pittenger 1999)."""

    site_lookup = "subject__site"

    harvest = models.OneToOneField(Harvest, on_delete=models.PROTECT, related_name="batch")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    expansion_method = models.CharField(max_length=300)
    culture_started_on = models.DateField()
    deviations = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"batch {self.subject.code}/{self.pk}"


class Passage(ClinicalRecord):
    """One passage of a batch: dates and cell counts (cells)."""

    site_lookup = "subject__site"

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="passages")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    seeded_on = models.DateField()
    harvested_on = models.DateField()
    cells_seeded = models.FloatField()
    cells_harvested = models.FloatField()

    class Meta:
        ordering = ("batch", "number")
        constraints = (
            models.UniqueConstraint(fields=["batch", "number"], name="unique_passage_number"),
        )


class Lot(ClinicalRecord):
    """One dose of one donor's cells. ``code`` is ``LOT-<donor subject ID>-<nn>-<check>``.

    ``status`` changes only through the services (transition table in
    :mod:`alstrial.domain.product`). The dose fields are set when the dose is prepared.
    """

    site_lookup = "site"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="lots")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="lots")
    number = models.PositiveSmallIntegerField(help_text="Lot number within the donor (01, 02..).")
    code = models.CharField(max_length=40, unique=True)
    dose_number = models.PositiveSmallIntegerField(help_text="Which administration (1, 2, ...).")
    status = models.CharField(
        max_length=20,
        choices=[(s.value, s.label) for s in LotStatus],
        default=LotStatus.IN_MANUFACTURING.value,
    )
    weight_kg = models.FloatField(null=True, blank=True, help_text="Weight used for the dose.")
    dose_cells = models.FloatField(null=True, blank=True)
    cells_per_kg = models.FloatField(null=True, blank=True)
    vehicle = models.CharField(max_length=100, blank=True)
    volume_ml = models.FloatField(null=True, blank=True)
    formulated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("subject", "number")
        constraints = (
            models.UniqueConstraint(fields=["subject", "number"], name="unique_lot_number"),
        )

    def __str__(self) -> str:
        return self.code

    @property
    def lot_status(self) -> LotStatus:
        return LotStatus(self.status)

    @property
    def is_expired(self) -> bool:
        """True at and after the expiry time (``product_dose.is_expired``)."""
        return is_expired(self.expires_at, timezone.now())

    @property
    def active_signature(self):
        return self.signatures.filter(voided_at__isnull=True).first()


class Microbial(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"


class QcResult(ClinicalRecord):
    """The QC results of one lot; blank = not entered (the criterion stays pending)."""

    site_lookup = "lot__site"
    MARKERS = ("cd105", "cd73", "cd90", "cd45", "cd34", "cd14", "cd11b", "cd79a", "cd19", "hla_dr")

    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="qc")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    viability_pct = models.FloatField(null=True, blank=True)
    viable_cells = models.FloatField(null=True, blank=True)
    cd105 = models.FloatField("CD105 %", null=True, blank=True)
    cd73 = models.FloatField("CD73 %", null=True, blank=True)
    cd90 = models.FloatField("CD90 %", null=True, blank=True)
    cd45 = models.FloatField("CD45 %", null=True, blank=True)
    cd34 = models.FloatField("CD34 %", null=True, blank=True)
    cd14 = models.FloatField("CD14 %", null=True, blank=True)
    cd11b = models.FloatField("CD11b %", null=True, blank=True)
    cd79a = models.FloatField("CD79a %", null=True, blank=True)
    cd19 = models.FloatField("CD19 %", null=True, blank=True)
    hla_dr = models.FloatField("HLA-DR %", null=True, blank=True)
    sterility = models.CharField(max_length=10, choices=Microbial.choices, blank=True)
    mycoplasma = models.CharField(max_length=10, choices=Microbial.choices, blank=True)
    endotoxin_eu_per_ml = models.FloatField(null=True, blank=True)
    appearance_ok = models.BooleanField(null=True, blank=True)
    karyotype = models.CharField(
        max_length=10, blank=True, choices=[("normal", "Normal"), ("abnormal", "Abnormal")]
    )
    trilineage_ok = models.BooleanField(null=True, blank=True)

    RESULT_FIELDS = (
        "viability_pct",
        "viable_cells",
        *MARKERS,
        "sterility",
        "mycoplasma",
        "endotoxin_eu_per_ml",
        "appearance_ok",
        "karyotype",
        "trilineage_ok",
    )

    def as_mapping(self) -> dict:
        return {name: getattr(self, name) for name in self.RESULT_FIELDS}


class ReleaseSignature(ClinicalRecord):
    """An electronic release signature (21 CFR 11.50: printed name, date and time, meaning).

    Voided (not deleted) when a QC result changes after release; its history keeps both states.
    """

    site_lookup = "lot__site"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="signatures")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200, help_text="Printed name at signing.")
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=300)
    evaluation = models.JSONField(help_text="Every release criterion as evaluated at signing.")
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ("lot", "signed_at")


class ReleaseAuthority(models.Model):
    """A person authorised to sign lot releases at a site (the release role; QP/QA)."""

    site_lookup = "site"

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["user", "site"], name="unique_release_authority"),
        )

    def __str__(self) -> str:
        return f"{self.user} may release lots at {self.site.code}"


class Route(models.TextChoices):
    INTRATHECAL = "intrathecal", "Intrathecal (lumbar puncture)"
    INTRASPINAL = "intraspinal", "Intraspinal (micrometric pump)"


class Administration(ClinicalRecord):
    """One dose given. A lot is given once; a dose number once per subject (database-enforced
    too, as the last line of defence behind the service's checks)."""

    site_lookup = "subject__site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="administrations")
    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="administration")
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dose_number = models.PositiveSmallIntegerField()
    route = models.CharField(max_length=20, choices=Route.choices)
    administered_at = models.DateTimeField()
    operator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    cells_given = models.FloatField()
    volume_ml = models.FloatField()
    spinal_level = models.CharField(max_length=40, blank=True)
    pump_rate_ul_per_min = models.FloatField(null=True, blank=True)
    immediate_reactions = models.TextField(blank=True)
    scanned_subject_id = models.CharField(max_length=40)
    scanned_lot_id = models.CharField(max_length=40)

    class Meta:
        ordering = ("subject", "dose_number")
        constraints = (
            models.UniqueConstraint(
                fields=["subject", "dose_number"], name="one_administration_per_dose_number"
            ),
        )


class AppendOnlyQuerySet(SiteScopedQuerySet):
    """No bulk update or delete: ledger rows are written once."""

    def update(self, **kwargs):
        raise MisuseError(f"{self.model.__name__} is append-only")

    def delete(self):
        raise MisuseError(f"{self.model.__name__} is append-only")


class AppendOnly(models.Model):
    """A row that is inserted once and never changed or deleted (also by a PostgreSQL trigger,
    migration 0001)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise MisuseError(f"{type(self).__name__} is append-only: rows are never changed")
        # A value refused here would otherwise stay in the ledger for good (or fail on
        # PostgreSQL only); the same check as every clinical save.
        check_stored_fields(self)
        check_writable(self)  # a locked trial refuses ledger rows too (WritesLocked)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise MisuseError(f"{type(self).__name__} is append-only: rows are never deleted")


class CustodyEntry(AppendOnly):
    """One movement of a lot: who, when (UTC), what, from which status to which."""

    site_lookup = "lot__site"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="custody")
    event = models.CharField(max_length=20, choices=[(e.value, e.label) for e in CustodyEvent])
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("lot", "at", "id")
        verbose_name_plural = "custody entries"

    def __str__(self) -> str:
        return f"{self.lot.code} {self.event} {self.at:%Y-%m-%d %H:%M}"


class RefusedAttempt(AppendOnly):
    """An administration that the chain-of-identity checks refused (nothing was given)."""

    site_lookup = "subject__site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    scanned_subject_id = models.CharField(max_length=60, blank=True)
    scanned_lot_id = models.CharField(max_length=60, blank=True)
    reasons = models.JSONField(help_text="[{field, message}] as refused.")
    channel = models.CharField(max_length=20, help_text="form, api or import")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"refused for {self.subject.code} at {self.at:%Y-%m-%d %H:%M}"
