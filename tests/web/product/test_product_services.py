"""The product services: each step, its checks, and nothing half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from alstrial.domain.errors import MisuseError, ValidationError
from alstrial.domain.identifiers import is_valid
from alstrial.web.product import services
from alstrial.web.product.demo import GOOD_QC
from alstrial.web.product.models import (
    Batch,
    CustodyEntry,
    Harvest,
    Lot,
    QcResult,
    ReleaseSignature,
)

PASSWORD = "pw-for-tests-only"  # tests/web/conftest.py make_user's default


def test_harvest_batch_passages_and_lots(product_world, users):
    alice = product_world["alice"]
    lab = users["celllab.seoul"]
    when = timezone.now() - timedelta(days=30)
    harvest = services.record_harvest(
        alice, lab, aspirated_at=when, volume_ml=30, anticoagulant="heparin"
    )
    assert harvest.anatomical_site == "posterior iliac crest"  # from kim2009.toml
    assert harvest.operator == lab
    batch = services.create_batch(harvest, lab, culture_started_on=when.date())
    assert "Oh 2015" in batch.expansion_method
    day0 = when.date()
    services.record_passage(
        batch,
        lab,
        number=1,
        seeded_on=day0,
        harvested_on=day0 + timedelta(days=10),
        cells_seeded=1e6,
        cells_harvested=8e6,
    )
    lots = services.create_lots(batch, lab, [1, 2])
    # LOT-<donor's subject ID>-<lot number>-<check character>
    assert [lot.code.rsplit("-", 1)[0] for lot in lots] == [
        f"LOT-{alice.code}-01",
        f"LOT-{alice.code}-02",
    ]
    assert all(is_valid(lot.code) for lot in lots)
    assert [lot.dose_number for lot in lots] == [1, 2]
    assert all(lot.status == "in_manufacturing" for lot in lots)
    assert [e.event for e in CustodyEntry.objects.filter(lot=lots[0])] == ["made"]


def test_bad_harvest_names_each_field_and_writes_nothing(product_world, users):
    with pytest.raises(ValidationError) as info:
        services.record_harvest(
            product_world["alice"],
            users["celllab.seoul"],
            aspirated_at=timezone.now() + timedelta(days=1),
            volume_ml=0,
            anticoagulant=" ",
        )
    assert set(info.value.by_field()) == {"aspirated_at", "volume_ml", "anticoagulant"}
    assert not Harvest.objects.exists()


def test_roles_are_checked(product_world, users):
    alice = product_world["alice"]
    with pytest.raises(PermissionDenied):
        services.record_harvest(
            alice,
            users["celllab.novara"],  # another site's cell lab
            aspirated_at=timezone.now(),
            volume_ml=30,
            anticoagulant="heparin",
        )
    with pytest.raises(PermissionDenied):
        services.record_harvest(
            alice,
            users["statistician"],
            aspirated_at=timezone.now(),
            volume_ml=30,
            anticoagulant="heparin",
        )
    assert not Harvest.objects.exists()


def test_one_batch_per_harvest_and_passages_in_order(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "in_manufacturing")
    lab = users["celllab.seoul"]
    with pytest.raises(ValidationError) as info:
        services.create_batch(lot.batch.harvest, lab, culture_started_on=timezone.localdate())
    assert "harvest" in info.value.by_field()
    # lots have been made: no more passages
    with pytest.raises(ValidationError) as info:
        services.record_passage(
            lot.batch,
            lab,
            number=3,
            seeded_on=timezone.localdate(),
            harvested_on=timezone.localdate(),
            cells_seeded=1,
            cells_harvested=2,
        )
    assert "number" in info.value.by_field()
    assert Batch.objects.count() == 1


def test_population_doublings_of_a_batch(product_world, lot_at):
    from alstrial.web.product.queries import culture_summary

    lot = lot_at(product_world["alice"], "in_manufacturing")
    summary = culture_summary(lot.batch)
    # demo passages: 2e6 -> 1.6e7 (PD 3) and 1.6e7 -> 9e7 (PD log2(5.625) = 2.4919)
    assert [round(p.population_doublings, 4) for p in summary.passages] == [3.0, 2.4919]
    assert summary.cumulative_population_doublings == pytest.approx(5.491853096329675)
    assert summary.days_in_culture == 28  # kim2009 expansion_days


def test_qc_release_and_signature(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "qc_pending")
    evaluation = services.evaluate_lot(lot)
    assert evaluation.releasable
    lab = users["celllab.seoul"]
    with pytest.raises(ValidationError) as info:
        services.release_lot(lot, lab, password="wrong")
    assert "password" in info.value.by_field()
    signature = services.release_lot(lot, lab, password=PASSWORD)
    lot.refresh_from_db()
    assert lot.status == "released"
    assert signature.signer == lab
    assert signature.signer_name == "celllab.seoul"
    assert lot.code in signature.meaning
    assert signature.evaluation["releasable"] is True
    events = list(CustodyEntry.objects.filter(lot=lot).values_list("event", flat=True))
    assert events == ["made", "qc", "released"]


def test_release_needs_the_release_authority(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "qc_pending")
    with pytest.raises(PermissionDenied):
        services.release_lot(lot, users["coordinator.seoul"], password=PASSWORD)
    with pytest.raises(PermissionDenied):  # authority at novara only
        services.release_lot(lot, users["celllab.novara"], password=PASSWORD)
    lot.refresh_from_db()
    assert lot.status == "qc_pending"
    assert not ReleaseSignature.objects.exists()


def test_a_failing_criterion_blocks_release(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "qc_pending")
    lab = users["celllab.seoul"]
    services.record_qc(lot, lab, {**GOOD_QC, "mycoplasma": "positive"}, reason="result in")
    with pytest.raises(ValidationError) as info:
        services.release_lot(lot, lab, password=PASSWORD)
    assert "Mycoplasma (fail)" in info.value.by_field()["lot"][0]
    lot.refresh_from_db()
    assert lot.status == "qc_pending"


def test_endotoxin_limit_uses_the_subjects_weight(product_world, users, lot_at):
    # 7 EU/ml x 2 ml / 70 kg = 0.2 EU/kg: not below the 0.2 EU/kg limit
    lot = lot_at(product_world["alice"], "qc_pending")
    services.record_qc(
        lot, users["celllab.seoul"], {**GOOD_QC, "endotoxin_eu_per_ml": 7}, reason="retest"
    )
    endotoxin = {c.key: c for c in services.evaluate_lot(lot).criteria}["endotoxin"]
    assert endotoxin.outcome == "fail"
    assert "0.2 EU/kg" in endotoxin.observed


def test_bad_qc_names_each_field_and_changes_nothing(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "qc_pending")
    before = QcResult.objects.get(lot=lot).version
    with pytest.raises(ValidationError) as info:
        services.record_qc(
            lot, users["celllab.seoul"], {**GOOD_QC, "cd90": "101", "sterility": "maybe"}
        )
    assert set(info.value.by_field()) == {"cd90", "sterility"}
    assert QcResult.objects.get(lot=lot).version == before


def test_editing_qc_after_release_voids_the_signature(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "released")
    lab = users["celllab.seoul"]
    with pytest.raises(ValidationError) as info:
        services.record_qc(lot, lab, {**GOOD_QC, "cd73": 98.0})
    assert "reason" in info.value.by_field()
    lot.refresh_from_db()
    assert lot.status == "released"  # refused: nothing changed
    services.record_qc(lot, lab, {**GOOD_QC, "cd73": 98.0}, reason="transcription error")
    lot.refresh_from_db()
    assert lot.status == "qc_pending"
    signature = ReleaseSignature.objects.get(lot=lot)
    assert signature.voided_at is not None
    assert "cd73" in signature.void_reason
    events = list(CustodyEntry.objects.filter(lot=lot).values_list("event", flat=True))
    assert events[-2:] == ["release_voided", "qc"]
    # the same values again change nothing
    services.record_qc(lot, lab, {**GOOD_QC, "cd73": 98.0}, reason="resubmitted")
    assert CustodyEntry.objects.filter(lot=lot).count() == len(events)
    # and it can be released again, with a new signature
    services.release_lot(lot, lab, password=PASSWORD)
    assert ReleaseSignature.objects.filter(lot=lot, voided_at__isnull=True).count() == 1


def test_dose_per_kg_from_the_current_weight(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "released")
    # kim2009: 1x10^6 cells/kg x 70 kg = 7x10^7 cells in 2 ml CSF, expiry 24 h
    assert lot.dose_cells == pytest.approx(7.0e7)
    assert lot.cells_per_kg == 1e6
    assert lot.volume_ml == 2.0
    assert lot.vehicle == "autologous cerebrospinal fluid"
    assert lot.expires_at - lot.formulated_at == timedelta(hours=24)


def test_fixed_dose_for_mazzini(product_world, lot_at):
    lot = lot_at(product_world["nina"], "released")
    assert lot.dose_cells == pytest.approx(6.0e7)  # mazzini2003.toml fixed target
    assert lot.expires_at - lot.formulated_at == timedelta(hours=6)


def test_no_weight_no_per_kg_dose(enrolled_subject, users, sites, lot_at):
    from alstrial.web.product.models import ReleaseAuthority

    ReleaseAuthority.objects.create(user=users["celllab.seoul"], site=sites["seoul"])
    subject = enrolled_subject("seoul")
    lot = lot_at(subject, "in_manufacturing")
    services.record_qc(lot, users["celllab.seoul"], GOOD_QC)
    viable = {c.key: c for c in services.evaluate_lot(lot).criteria}["viable_cells"]
    assert viable.outcome == "pending"  # the per-kg range needs a weight
    assert "no weight recorded" in viable.requirement
    with pytest.raises(ValidationError) as info:
        services.prepare_dose(lot, users["celllab.seoul"])
    assert "weight_kg" in info.value.by_field()
    lot.refresh_from_db()
    assert lot.expires_at is None


def test_custody_ship_receive_destroy(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "released")
    lab = users["celllab.seoul"]
    services.record_custody(lot, lab, "shipped", note="to ward 5")
    services.record_custody(lot, lab, "received")
    lot.refresh_from_db()
    assert lot.status == "received"
    with pytest.raises(ValidationError) as info:
        services.record_custody(lot, lab, "destroyed")
    assert "note" in info.value.by_field()
    with pytest.raises(ValidationError):
        services.record_custody(lot, lab, "administered")  # only through administer_dose
    services.record_custody(lot, lab, "destroyed", note="bag dropped")
    lot.refresh_from_db()
    assert lot.status == "destroyed"
    with pytest.raises(ValidationError):
        services.record_custody(lot, lab, "shipped")


def test_ledger_is_append_only(product_world, lot_at):
    lot = lot_at(product_world["alice"], "released")
    entry = CustodyEntry.objects.filter(lot=lot).first()
    entry.note = "rewritten"
    with pytest.raises(MisuseError):
        entry.save()
    with pytest.raises(MisuseError):
        entry.delete()
    with pytest.raises(MisuseError):
        CustodyEntry.objects.filter(lot=lot).update(note="x")
    with pytest.raises(MisuseError):
        CustodyEntry.objects.filter(lot=lot).delete()
    assert CustodyEntry.objects.get(pk=entry.pk).note != "rewritten"


def test_lot_status_cannot_be_saved_around_the_services(product_world, lot_at):
    lot = lot_at(product_world["alice"], "qc_pending")
    lot.status = "released"
    with pytest.raises(MisuseError):
        lot.save()
    assert Lot.objects.get(pk=lot.pk).status == "qc_pending"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_postgres_refuses_raw_changes_to_the_ledger(product_world, users, lot_at):
    lot = lot_at(product_world["alice"], "released")
    services_refusal = None
    try:
        services.administer_dose(
            product_world["bob"],
            users["investigator.seoul"],
            scanned_subject_id=product_world["bob"].code,
            scanned_lot_id=lot.code,
            route="intrathecal",
        )
    except services.AdministrationRefused as refusal:
        services_refusal = refusal
    assert services_refusal is not None
    for table in ("product_custodyentry", "product_refusedattempt", "product_historicallot"):
        for sql in (f'UPDATE "{table}" SET id = id', f'DELETE FROM "{table}"'):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
    assert CustodyEntry.objects.filter(lot=lot).count() >= 4


def _aspiration_site_pain(subject, user):
    from alstrial.web.safety.services import record_adverse_event

    onset = subject.consent_date + timedelta(days=10)
    data = {
        "term": "back pain",
        "onset_date": onset,
        "resolution_date": onset + timedelta(days=3),
        "grade": "1",
        "serious": "no",
        "seriousness_criteria": [],
        "relatedness_cell_product": "unrelated",
        "relatedness_bone_marrow_aspiration": "probable",
        "relatedness_lumbar_puncture": "unrelated",
        "relatedness_spinal_surgery": "",
        "action_taken": "none",
        "outcome": "recovered",
        "awareness_at": "",
        "narrative": "pain at the aspiration site",
    }
    return record_adverse_event(subject, data, user)


def test_harvest_links_the_safety_apps_adverse_event(product_world, users, lot_at):
    alice, bob = product_world["alice"], product_world["bob"]
    coordinator, lab = users["coordinator.seoul"], users["celllab.seoul"]
    alices_ae = _aspiration_site_pain(alice, coordinator)
    bobs_ae = _aspiration_site_pain(bob, coordinator)
    with pytest.raises(ValidationError) as info:
        services.record_harvest(
            alice,
            lab,
            aspirated_at=timezone.now(),
            volume_ml=30,
            anticoagulant="heparin",
            adverse_event=bobs_ae,
        )
    assert "adverse_event" in info.value.by_field()
    assert not Harvest.objects.exists()
    harvest = lot_at(alice, "in_manufacturing").batch.harvest
    assert harvest.visit.code == "HARV1"  # the schedule's first harvest visit
    with pytest.raises(ValidationError):
        services.link_adverse_event(harvest, lab, bobs_ae, reason="AE reported")
    services.link_adverse_event(harvest, lab, alices_ae, reason="AE reported")
    harvest.refresh_from_db()
    assert harvest.adverse_event == alices_ae
    assert harvest.history.first().history_change_reason == "AE reported"


def test_lot_record_for_the_api(product_world, lot_at):
    from alstrial.web.product.queries import lot_record

    lot = lot_at(product_world["nina"], "released")
    record = lot_record(lot)
    assert record["lot_id"] == lot.code
    assert record["donor_subject_id"] == product_world["nina"].code
    assert record["site"] == "novara"
    assert record["status"] == "released"
    assert record["expired"] is False
    assert record["dose_cells"] == pytest.approx(6.0e7)  # mazzini2003 fixed dose
    assert record["release"]["releasable"] is True
    assert record["signature"]["signer"] == "celllab.novara"
    assert record["expires_at"].endswith("+00:00")


@pytest.mark.parametrize("volume", ["lots", None, float("nan"), -5])
def test_harvest_volume_must_be_a_number(product_world, users, volume):
    with pytest.raises(ValidationError) as info:
        services.record_harvest(
            product_world["alice"],
            users["celllab.seoul"],
            aspirated_at=timezone.now(),
            volume_ml=volume,
            anticoagulant="heparin",
        )
    assert set(info.value.by_field()) == {"volume_ml"}
