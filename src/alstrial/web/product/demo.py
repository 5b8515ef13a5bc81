"""Demo data for the cell product: lots of both trials at every stage (docs/product.md).

Everything is written through :mod:`alstrial.web.product.services`, so the demo lots carry the
same audit trail and custody ledger as real ones. :func:`build_lot` is also the fixture the tests
use to reach a given stage.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.apps import apps
from django.utils import timezone

from alstrial.domain.product_dose import DoseRule, calculate_dose
from alstrial.web.core.records import save_clinical
from alstrial.web.product import services
from alstrial.web.product.ledger import current_weight
from alstrial.web.product.models import Lot, ReleaseAuthority

#: QC results that pass every release criterion of both demo protocols for a 70 kg subject
#: (kim2009: 0.9-1.1 x10^6 cells/kg = 6.3-7.7 x10^7 cells; mazzini2003: 1-12 x10^7 cells);
#: :func:`build_lot` replaces the viable count by the subject's own target dose.
GOOD_QC = {
    "viability_pct": 92.0,
    "viable_cells": 7.0e7,
    "cd105": 98.5,
    "cd73": 99.1,
    "cd90": 97.8,
    "cd45": 0.6,
    "cd34": 0.3,
    "cd14": 0.9,
    "cd79a": 0.2,
    "hla_dr": 1.1,
    "sterility": "negative",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.5,
    "appearance_ok": True,
    "karyotype": "normal",  # required by mazzini2003
}
STAGES = ("in_manufacturing", "qc_pending", "released", "expired", "administered", "destroyed")


def ensure_weight(subject, user, weight_kg: float = 70.0):
    """Record a weight on the subject's first done visit that collects one, if none exists."""
    if current_weight(subject) is not None:
        return
    weight_model = apps.get_model("assessments", "WeightAssessment")
    # (JSON "contains" is not supported on SQLite: scan the few done visits)
    done = subject.visits.filter(status="done").order_by("sequence")
    visit = next((v for v in done if "weight" in (v.forms or [])), None)
    if visit is None:
        raise ValueError(f"{subject.code} has no done visit that collects a weight")
    save_clinical(weight_model(subject=subject, visit=visit, weight_kg=weight_kg), user)


def target_cells(subject) -> float:
    """The protocol's target dose in cells for the subject's current weight (viable cells a
    good lot holds)."""
    found = current_weight(subject)
    rule = DoseRule.from_protocol(subject.trial.protocol)
    return calculate_dose(rule, found[0] if found else None).cells


def build_lot(
    subject, lab_user, signer, *, stage: str, password: str, dose_number: int = 1, now=None
) -> Lot:
    """One lot of ``subject`` taken through the services to ``stage`` (see :data:`STAGES`).

    ``released`` and ``expired`` lots have a prepared dose; ``expired`` is formulated long
    enough ago that its protocol expiry has passed. ``administered`` needs an investigator or
    admin as ``signer``.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    now = now or timezone.now()
    protocol = subject.trial.protocol
    expiry_hours = protocol.interventions.product.expiry_hours
    days = protocol.interventions.product.expansion_days or 28
    # "expired": made and formulated far enough back that the expiry passed an hour ago
    back = timedelta(hours=expiry_hours + 1) if stage == "expired" else timedelta(0)
    aspirated: datetime = now - back - timedelta(days=days + 2)
    harvest = services.record_harvest(
        subject,
        lab_user,
        aspirated_at=aspirated,
        volume_ml=protocol.interventions.harvest.volume_ml,
        anticoagulant="heparin",
    )
    batch = services.create_batch(harvest, lab_user, culture_started_on=aspirated.date())
    start = aspirated.date()
    services.record_passage(
        batch,
        lab_user,
        number=1,
        seeded_on=start,
        harvested_on=start + timedelta(days=days // 2),
        cells_seeded=2.0e6,
        cells_harvested=1.6e7,
    )
    services.record_passage(
        batch,
        lab_user,
        number=2,
        seeded_on=start + timedelta(days=days // 2),
        harvested_on=start + timedelta(days=days),
        cells_seeded=1.6e7,
        cells_harvested=9.0e7,
    )
    (lot,) = services.create_lots(batch, lab_user, [dose_number])
    if stage == "in_manufacturing":
        return lot
    services.record_qc(lot, lab_user, {**GOOD_QC, "viable_cells": target_cells(subject)})
    if stage == "qc_pending":
        return lot
    if stage == "destroyed":
        services.record_custody(lot, lab_user, "destroyed", note="demo: out-of-specification bag")
        return lot
    services.prepare_dose(lot, lab_user, formulated_at=now - back)
    services.release_lot(lot, signer, password=password)
    lot.refresh_from_db()
    return lot


def load_demo(ctx) -> None:
    """Release authorities for the cell labs and the admin; lots at every stage in both trials."""
    from alstrial.web.core.demo import DEMO_PASSWORD

    now = timezone.now()
    for site_code in ("seoul", "novara"):
        for name in (f"celllab.{site_code}", "admin"):
            ReleaseAuthority.objects.get_or_create(user=ctx.users[name], site=ctx.sites[site_code])
    plan = {"kim2009": "seoul", "mazzini2003": "novara"}
    for slug, site_code in plan.items():
        lab = ctx.users[f"celllab.{site_code}"]
        clinic = ctx.users.get(f"investigator.{site_code}") or ctx.users["admin"]
        enrolled = [s for s in ctx.subjects.get(slug, []) if s.status == "enrolled"]
        # Every stage in both trials; with fewer subjects than stages a donor gets a second lot.
        for index, stage in enumerate(STAGES if enrolled else ()):
            subject = enrolled[index % len(enrolled)]
            ensure_weight(subject, ctx.users[f"coordinator.{site_code}"])
            lot = build_lot(subject, lab, lab, stage=stage, password=DEMO_PASSWORD, now=now)
            if stage == "administered":
                services.administer_dose(
                    subject,
                    clinic,
                    scanned_subject_id=subject.code,
                    scanned_lot_id=lot.code,
                    route=subject.trial.protocol.interventions.route.name,
                    spinal_level="T8" if slug == "mazzini2003" else "",
                    pump_rate_ul_per_min=100.0 if slug == "mazzini2003" else None,
                    channel="import",
                    within_transaction=True,  # the demo loads in one transaction
                )
            ctx.log(f"product: {lot.code} ({stage})")
