"""Retrospective entries (an import of historical records, the demo): each product event takes
its real time (``made_at``, ``tested_at``, ``formulated_at``, ``signed_at``, ``at``,
``administered_at``) while the record's entry time stays now. A time in the future, without a
time zone, or before the lot's previous custody event is refused naming the field, and nothing
is written."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from alstrial.domain.errors import ValidationError
from alstrial.web.product import services
from alstrial.web.product.demo import GOOD_QC, target_cells
from alstrial.web.product.models import CustodyEntry, Lot, ReleaseSignature

PASSWORD = "pw-for-tests-only"  # tests/web/conftest.py make_user's default
DAYS_AGO = 40


def _fields(error: ValidationError) -> set[str]:
    return {e.field for e in error.errors}


@pytest.fixture
def history(product_world, users):
    """A harvest 40 days ago, two passages to 10 days ago; returns (subject, lab, batch, t0)."""
    subject = product_world["alice"]
    lab = users["celllab.seoul"]
    t0 = timezone.now() - timedelta(days=DAYS_AGO)
    harvest = services.record_harvest(
        subject, lab, aspirated_at=t0, volume_ml=30, anticoagulant="heparin"
    )
    batch = services.create_batch(harvest, lab, culture_started_on=t0.date())
    for number, (start, end) in enumerate(((0, 15), (15, 30)), start=1):
        services.record_passage(
            batch,
            lab,
            number=number,
            seeded_on=t0.date() + timedelta(days=start),
            harvested_on=t0.date() + timedelta(days=end),
            cells_seeded=1e6,
            cells_harvested=9e7,
        )
    return subject, lab, batch, t0


def _qc(subject) -> dict:
    return {**GOOD_QC, "viable_cells": target_cells(subject)}


def test_a_back_dated_history_keeps_event_times_and_entry_times(history, users):
    subject, lab, batch, t0 = history
    made = t0 + timedelta(days=31, hours=2)
    (lot,) = services.create_lots(batch, lab, [1], made_at=made)
    services.record_qc(lot, lab, _qc(subject), tested_at=made + timedelta(hours=3))
    formulated = made + timedelta(days=1)
    services.prepare_dose(lot, lab, formulated_at=formulated)
    signed = formulated + timedelta(minutes=30)
    signature = services.release_lot(lot, lab, password=PASSWORD, signed_at=signed)
    given_at = signed + timedelta(hours=1)
    administration = services.administer_dose(
        subject,
        users["investigator.seoul"],
        scanned_subject_id=subject.code,
        scanned_lot_id=lot.code,
        route="intrathecal",
        administered_at=given_at,
    )
    signature.refresh_from_db()
    assert signature.signed_at == signed
    # the entry time is now: days after the signature
    assert signature.created_at - signed > timedelta(days=DAYS_AGO - 33)
    assert administration.administered_at == given_at
    assert administration.created_at > given_at + timedelta(days=DAYS_AGO - 33)
    entries = list(CustodyEntry.objects.filter(lot=lot).order_by("id"))
    assert [(e.event, e.at) for e in entries] == [
        ("made", made),
        ("qc", made + timedelta(hours=3)),
        ("dose_prepared", formulated),
        ("released", signed),
        ("administered", given_at),
    ]
    assert Lot.objects.get(pk=lot.pk).status == "administered"


def test_a_release_before_its_qc_is_refused_and_nothing_written(history):
    subject, lab, batch, t0 = history
    made = t0 + timedelta(days=31)
    (lot,) = services.create_lots(batch, lab, [1], made_at=made)
    tested = made + timedelta(days=2)
    services.record_qc(lot, lab, _qc(subject), tested_at=tested)
    with pytest.raises(ValidationError) as refused:
        services.release_lot(lot, lab, password=PASSWORD, signed_at=tested - timedelta(hours=1))
    assert _fields(refused.value) == {"signed_at"}
    assert "before the lot's last custody event (qc" in refused.value.errors[0].message
    assert not ReleaseSignature.objects.filter(lot=lot).exists()
    assert Lot.objects.get(pk=lot.pk).status == "qc_pending"
    # one minute after the QC is accepted
    signature = services.release_lot(
        lot, lab, password=PASSWORD, signed_at=tested + timedelta(minutes=1)
    )
    assert signature.signed_at == tested + timedelta(minutes=1)


@pytest.mark.parametrize(
    "when",
    [
        timezone.now() + timedelta(days=1),  # the future
        datetime(2026, 1, 1, 12, 0),  # no time zone
        "2026-01-01",  # not a datetime
    ],
)
def test_a_signature_time_in_the_future_or_malformed_is_refused(history, when):
    subject, lab, batch, t0 = history
    (lot,) = services.create_lots(batch, lab, [1], made_at=t0 + timedelta(days=31))
    services.record_qc(lot, lab, _qc(subject), tested_at=t0 + timedelta(days=32))
    with pytest.raises(ValidationError) as refused:
        services.release_lot(lot, lab, password=PASSWORD, signed_at=when)
    assert _fields(refused.value) == {"signed_at"}
    assert Lot.objects.get(pk=lot.pk).status == "qc_pending"


def test_lots_made_before_the_culture_ended_are_refused(history):
    _, lab, batch, t0 = history
    with pytest.raises(ValidationError) as refused:
        services.create_lots(batch, lab, [1], made_at=t0 + timedelta(days=20))  # passage 2 on
    assert _fields(refused.value) == {"made_at"}
    assert not Lot.objects.filter(batch=batch).exists()


def test_qc_formulation_and_destruction_back_dated_too_far_are_refused(history):
    subject, lab, batch, t0 = history
    made = t0 + timedelta(days=31)
    (lot,) = services.create_lots(batch, lab, [1], made_at=made)
    with pytest.raises(ValidationError) as refused:
        services.record_qc(lot, lab, _qc(subject), tested_at=made - timedelta(hours=1))
    assert _fields(refused.value) == {"tested_at"}
    assert Lot.objects.get(pk=lot.pk).status == "in_manufacturing"
    tested = made + timedelta(days=1)
    services.record_qc(lot, lab, _qc(subject), tested_at=tested)
    with pytest.raises(ValidationError) as refused:
        services.prepare_dose(lot, lab, formulated_at=made - timedelta(minutes=1))
    assert _fields(refused.value) == {"formulated_at"}
    assert Lot.objects.get(pk=lot.pk).formulated_at is None
    with pytest.raises(ValidationError) as refused:
        services.record_custody(
            lot, lab, "destroyed", note="out of specification", at=tested - timedelta(hours=2)
        )
    assert _fields(refused.value) == {"at"}
    assert Lot.objects.get(pk=lot.pk).status == "qc_pending"
    entry = services.record_custody(
        lot, lab, "destroyed", note="out of specification", at=tested + timedelta(hours=2)
    )
    assert entry.at == tested + timedelta(hours=2)


def test_a_back_dated_administration_before_the_release_is_refused(history, users):
    subject, lab, batch, t0 = history
    (lot,) = services.create_lots(batch, lab, [1], made_at=t0 + timedelta(days=31))
    services.record_qc(lot, lab, _qc(subject), tested_at=t0 + timedelta(days=31, hours=1))
    services.prepare_dose(lot, lab, formulated_at=t0 + timedelta(days=32))
    signed = t0 + timedelta(days=32, hours=1)
    services.release_lot(lot, lab, password=PASSWORD, signed_at=signed)
    with pytest.raises(services.AdministrationRefused) as refused:
        services.administer_dose(
            subject,
            users["investigator.seoul"],
            scanned_subject_id=subject.code,
            scanned_lot_id=lot.code,
            route="intrathecal",
            administered_at=signed - timedelta(minutes=10),
        )
    assert "administered_at" in _fields(refused.value)
    assert Lot.objects.get(pk=lot.pk).status == "released"
