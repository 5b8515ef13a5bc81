"""Demo data for the cell product, consistent with each subject's visit schedule
(docs/product.md "Demo").

Every subject the demo has treated (a done visit that carries an administration) gets the full
history at its visit dates: the harvest at the protocol's harvest visit, a batch with two
passages, a lot per dose, QC, the dose prepared and the lot released on the morning of the
administration visit, and the administration at that visit. Lots at the other stages sit where
they are consistent: in kim2009, the lead-in subject's first harvest (about 25 days ago) gives
lots in manufacturing, in QC and released (awaiting the first injection); a treated subject's
out-of-specification bag was destroyed, and another's dose expired when the injection was
postponed a day. Events carry their historical time (``made_at``, ``tested_at``,
``formulated_at``, ``signed_at``, ``administered_at``); entry times are now.

Everything is written through :mod:`alstrial.web.product.services`, so the demo lots carry the
same audit trail and custody ledger as real ones. :func:`build_lot` is also the fixture the tests
use to reach a given stage.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.utils import timezone

from alstrial.domain.product_dose import DoseRule, calculate_dose
from alstrial.web.core.demo import DEMO_PASSWORD
from alstrial.web.core.records import save_clinical
from alstrial.web.product import services
from alstrial.web.product.ledger import current_weight
from alstrial.web.product.models import Batch, Lot, ReleaseAuthority
from alstrial.web.subjects.models import VisitStatus

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


def target_cells(subject, on: date | None = None) -> float:
    """The protocol's target dose in cells for the subject's weight (current, or known on the
    date ``on``): the viable cells a good lot holds."""
    found = current_weight(subject, on)
    rule = DoseRule.from_protocol(subject.trial.protocol)
    return calculate_dose(rule, found[0] if found else None).cells


def build_lot(
    subject, lab_user, signer, *, stage: str, password: str, dose_number: int = 1, now=None
) -> Lot:
    """One lot of ``subject`` taken through the services to ``stage`` (see :data:`STAGES`).

    ``released`` and ``expired`` lots have a prepared dose; ``expired`` is formulated long
    enough ago that its protocol expiry has passed. ``administered`` needs an investigator or
    admin as ``signer``. The lot's events follow each other a minute apart, ending at ``now``
    (``expired``: the expiry plus an hour before ``now``).
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    now = now or timezone.now()
    protocol = subject.trial.protocol
    expiry_hours = protocol.interventions.product.expiry_hours
    days = protocol.interventions.product.expansion_days or 28
    # "expired": made and formulated far enough back that the expiry passed an hour ago
    back = timedelta(hours=expiry_hours + 1) if stage == "expired" else timedelta(0)
    end = now - back
    aspirated: datetime = end - timedelta(days=days + 2)
    harvest = services.record_harvest(
        subject,
        lab_user,
        aspirated_at=aspirated,
        volume_ml=protocol.interventions.harvest.volume_ml,
        anticoagulant="heparin",
    )
    batch = services.create_batch(harvest, lab_user, culture_started_on=aspirated.date())
    _passages(batch, lab_user, aspirated.date(), aspirated.date() + timedelta(days=days))
    made = min(end - timedelta(minutes=3), timezone.now())
    (lot,) = services.create_lots(batch, lab_user, [dose_number], made_at=made)
    if stage == "in_manufacturing":
        return lot
    qc = {**GOOD_QC, "viable_cells": target_cells(subject)}
    services.record_qc(lot, lab_user, qc, tested_at=made + timedelta(minutes=1))
    if stage == "qc_pending":
        return lot
    if stage == "destroyed":
        services.record_custody(lot, lab_user, "destroyed", note="demo: out-of-specification bag")
        return lot
    services.prepare_dose(lot, lab_user, formulated_at=made + timedelta(minutes=2))
    services.release_lot(lot, signer, password=password, signed_at=made + timedelta(minutes=3))
    lot.refresh_from_db()
    return lot


def _passages(batch, lab_user, start: date, end: date) -> None:
    """Two passages from ``start`` to ``end`` (the culture's last harvest), split evenly."""
    middle = start + (end - start) // 2
    services.record_passage(
        batch,
        lab_user,
        number=1,
        seeded_on=start,
        harvested_on=middle,
        cells_seeded=2.0e6,
        cells_harvested=1.6e7,
    )
    services.record_passage(
        batch,
        lab_user,
        number=2,
        seeded_on=middle,
        harvested_on=end,
        cells_seeded=1.6e7,
        cells_harvested=9.0e7,
    )


def at_site(subject, day: date, hours: float) -> datetime:
    """``day`` at ``hours`` o'clock (local time of the subject's site), aware."""
    return datetime.combine(day, time(0, 0), tzinfo=subject.site.zone) + timedelta(hours=hours)


class Team:
    """Who does what in the demo: the site's cell lab (also signs releases), its coordinator
    (weights) and its investigator (gives the doses)."""

    def __init__(self, ctx, site_code: str, password: str):
        self.lab = ctx.users[f"celllab.{site_code}"]
        self.coordinator = ctx.users[f"coordinator.{site_code}"]
        self.clinic = ctx.users.get(f"investigator.{site_code}") or ctx.users["admin"]
        self.password = password


def _harvest_batch(subject, team: Team, visit, culture_end: date) -> Batch:
    """The harvest at ``visit`` (09:00 local) and its batch, expanded until ``culture_end``."""
    protocol = subject.trial.protocol
    harvest = services.record_harvest(
        subject,
        team.lab,
        aspirated_at=at_site(subject, visit.visit_date, 9),
        volume_ml=protocol.interventions.harvest.volume_ml,
        anticoagulant="heparin",
        visit=visit,
        operator=team.clinic,
    )
    batch = services.create_batch(harvest, team.lab, culture_started_on=visit.visit_date)
    _passages(batch, team.lab, visit.visit_date, culture_end)
    return batch


def _qc(subject, on: date | None = None, **changes) -> dict:
    return {**GOOD_QC, "viable_cells": target_cells(subject, on), **changes}


def _give(subject, team: Team, lot: Lot, visit, when: datetime):
    route = subject.trial.protocol.interventions.route.name
    intraspinal = route == "intraspinal"
    return services.administer_dose(
        subject,
        team.clinic,
        scanned_subject_id=subject.code,
        scanned_lot_id=lot.code,
        route=route,
        administered_at=when,
        visit=visit,
        spinal_level="T8" if intraspinal else "",
        pump_rate_ul_per_min=100.0 if intraspinal else None,
        channel="import",
        within_transaction=True,  # the demo loads in one transaction
    )


def treatment_history(subject, team: Team, *, destroyed_bag=False, postponed_dose=None) -> int:
    """The product history of every done administration visit of ``subject``; returns how many
    doses were given.

    Dose ``n`` comes from the harvest at the protocol's ``n``-th harvest visit (the last one when
    there are fewer harvests than doses). Its lot is made and tested the evening before the
    visit, the dose prepared at 08:00 and the lot released at 08:30 on the visit day, and given
    at 10:00. ``destroyed_bag``: a second bag of the first batch failed its QC (appearance) and
    was destroyed. ``postponed_dose``: that dose was first prepared and released two days
    before its visit, then the injection was postponed; that bag expired unused.
    """
    given = list(
        subject.visits.filter(status=VisitStatus.DONE, administration__isnull=False).order_by(
            "administration"
        )
    )
    harvest_visits = list(subject.visits.filter(harvest=True).order_by("sequence"))
    batches: dict[int, Batch] = {}
    for visit in given:
        n = visit.administration
        source = harvest_visits[min(n, len(harvest_visits)) - 1]
        if source.status != VisitStatus.DONE or source.visit_date > visit.visit_date:
            raise ValueError(f"{subject.code}: dose {n} has no harvest before {visit.code}")
        day = visit.visit_date
        ready = day - timedelta(days=3 if n == postponed_dose else 1)
        if source.pk not in batches:
            batches[source.pk] = _harvest_batch(subject, team, source, ready)
        batch = batches[source.pk]
        made, tested = at_site(subject, ready, 16), at_site(subject, ready, 17)
        if n == postponed_dose:  # made, released, then the injection was postponed
            (spare,) = services.create_lots(batch, team.lab, [n], made_at=made)
            planned = day - timedelta(days=2)
            services.record_qc(spare, team.lab, _qc(subject, planned), tested_at=tested)
            services.prepare_dose(spare, team.lab, formulated_at=at_site(subject, planned, 8))
            services.release_lot(
                spare,
                team.lab,
                password=team.password,
                signed_at=at_site(subject, planned, 8.5),
                meaning=f"I release lot {spare.code} for dose {n} to its donor {subject.code} "
                "only (injection postponed after release: the dose expired unused).",
            )
        (lot,) = services.create_lots(batch, team.lab, [n], made_at=made)
        eve = day - timedelta(days=1)
        services.record_qc(lot, team.lab, _qc(subject, day), tested_at=at_site(subject, eve, 17))
        if destroyed_bag and n == 1:
            (bad,) = services.create_lots(batch, team.lab, [n], made_at=made)
            failed = _qc(subject, day, appearance_ok=False)
            services.record_qc(bad, team.lab, failed, tested_at=tested)
            services.record_custody(
                bad,
                team.lab,
                "destroyed",
                note="out of specification (appearance: cell clumps); the other bag was used",
                at=at_site(subject, ready, 18),
            )
        services.prepare_dose(lot, team.lab, formulated_at=at_site(subject, day, 8))
        services.release_lot(
            lot, team.lab, password=team.password, signed_at=at_site(subject, day, 8.5)
        )
        _give(subject, team, lot, visit, at_site(subject, day, 10))
    return len(given)


def lab_workflow_lots(subject, team: Team) -> list[Lot]:
    """Lots of a subject not yet treated whose first harvest was done (about a month ago): from
    its batch, one lot released (awaiting the first administration; the dose is prepared on
    the day), one with QC entered awaiting release, one still in manufacturing."""
    harvest_visit = (
        subject.visits.filter(harvest=True, status=VisitStatus.DONE).order_by("sequence").first()
    )
    if harvest_visit is None:
        return []
    now = timezone.now()
    today = timezone.localdate()
    batch = _harvest_batch(subject, team, harvest_visit, today - timedelta(days=1))
    made = now - timedelta(hours=20)
    lots = [services.create_lots(batch, team.lab, [1], made_at=made)[0] for _ in range(3)]
    released, pending, _in_manufacturing = lots
    services.record_qc(released, team.lab, _qc(subject), tested_at=now - timedelta(hours=4))
    services.release_lot(
        released, team.lab, password=team.password, signed_at=now - timedelta(hours=2)
    )
    services.record_qc(pending, team.lab, _qc(subject), tested_at=now - timedelta(hours=3))
    return lots


def load_demo(ctx) -> None:
    """Release authorities for the cell labs and the admin; the product history of every
    treated subject; in kim2009 the lab workflow's other stages (see the module docstring)."""
    for site_code in ("seoul", "novara"):
        for name in (f"celllab.{site_code}", "admin"):
            ReleaseAuthority.objects.get_or_create(user=ctx.users[name], site=ctx.sites[site_code])
    plan = {"kim2009": "seoul", "mazzini2003": "novara"}
    for slug, site_code in plan.items():
        team = Team(ctx, site_code, DEMO_PASSWORD)
        enrolled = [s for s in ctx.subjects.get(slug, []) if s.status == "enrolled"]
        treated = [
            s
            for s in enrolled
            if s.visits.filter(status=VisitStatus.DONE, administration__isnull=False).exists()
        ]
        for index, subject in enumerate(treated):
            ensure_weight(subject, team.coordinator)
            doses = treatment_history(
                subject,
                team,
                destroyed_bag=slug == "kim2009" and index == 1,
                postponed_dose=2 if slug == "kim2009" and index == 2 else None,
            )
            ctx.log(f"product: {subject.code}: {doses} dose(s) given")
        if slug != "kim2009":
            continue
        for subject in enrolled:
            if subject in treated:
                continue
            ensure_weight(subject, team.coordinator)
            for lot in lab_workflow_lots(subject, team):
                lot.refresh_from_db()
                ctx.log(f"product: {lot.code} ({lot.status})")
