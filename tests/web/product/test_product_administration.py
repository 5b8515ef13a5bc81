"""Every wrong-patient path through the service layer is refused, audited, and gives nothing.

docs/domain.md, 'Cell product': two identifiers, donor = recipient, released and unexpired, right
site, dose not already given. Each refusal must leave no Administration, leave the lot's status
unchanged, and write a RefusedAttempt plus a ``refused`` custody entry.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from alstrial.domain.errors import MisuseError, ValidationError
from alstrial.domain.identifiers import lot_code
from alstrial.web.product import services
from alstrial.web.product.models import Administration, CustodyEntry, Lot, RefusedAttempt


def give(subject, user, lot_id, scanned_subject=None, **kwargs):
    route = subject.trial.protocol.interventions.route.name
    details = {"route": route}
    if route == "intraspinal":
        details.update(spinal_level="T8", pump_rate_ul_per_min=100.0)
    details.update(kwargs)
    return services.administer_dose(
        subject,
        user,
        scanned_subject_id=subject.code if scanned_subject is None else scanned_subject,
        scanned_lot_id=lot_id,
        **details,
    )


def assert_refused(call, subject, lot=None, field=None, words=""):
    before = Lot.objects.get(pk=lot.pk).status if lot else None
    attempts = RefusedAttempt.objects.count()
    with pytest.raises(services.AdministrationRefused) as info:
        call()
    refusal = info.value
    assert not Administration.objects.filter(subject=subject).exists()
    assert RefusedAttempt.objects.count() == attempts + 1
    attempt = refusal.attempt
    assert attempt.subject == subject
    assert attempt.reasons == [{"field": e.field, "message": e.message} for e in refusal.errors]
    if field:
        assert field in refusal.by_field()
    if words:
        assert any(words in m for msgs in refusal.by_field().values() for m in msgs)
    if lot is not None:
        assert Lot.objects.get(pk=lot.pk).status == before
        last = CustodyEntry.objects.filter(lot=lot).last()
        assert last.event == "refused"
        assert subject.code in last.note
    return refusal


def test_the_donor_receives_their_own_lot(product_world, users, lot_at):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    given = give(alice, users["investigator.seoul"], lot.code, immediate_reactions="none")
    lot.refresh_from_db()
    assert lot.status == "administered"
    assert given.lot == lot
    assert given.dose_number == 1
    assert given.cells_given == pytest.approx(7.0e7)
    assert given.operator == users["investigator.seoul"]
    assert CustodyEntry.objects.filter(lot=lot).last().event == "administered"
    assert not RefusedAttempt.objects.exists()


def test_another_subjects_lot_is_refused(product_world, users, lot_at, caplog):
    alice, bob = product_world["alice"], product_world["bob"]
    bobs_lot = lot_at(bob, "released")
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], bobs_lot.code),
        alice,
        bobs_lot,
        field="scanned_lot_id",
        words="autologous lots go only to their donor",
    )
    # and the operations log says so too
    assert f"administration refused for {alice.code}" in caplog.text


def test_an_unreleased_lot_is_refused(product_world, users, lot_at):
    alice = product_world["alice"]
    for stage in ("in_manufacturing", "qc_pending"):
        lot = lot_at(alice, stage)
        assert_refused(
            lambda lot=lot: give(alice, users["investigator.seoul"], lot.code),
            alice,
            lot,
            field="lot",
        )


def test_a_voided_release_is_refused(product_world, users, lot_at):
    from alstrial.web.product.demo import GOOD_QC

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    services.record_qc(lot, users["celllab.seoul"], {**GOOD_QC, "cd90": 96}, reason="typo")
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], lot.code),
        alice,
        lot,
        words="not released",
    )


def test_an_expired_lot_is_refused(product_world, users, lot_at):
    alice = product_world["alice"]
    lot = lot_at(alice, "expired")
    assert lot.expires_at < timezone.now()
    # and it cannot be given a new expiry by preparing the dose again
    with pytest.raises(ValidationError) as info:
        services.prepare_dose(lot, users["celllab.seoul"])
    assert "prepared once" in info.value.by_field()["lot"][0]
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], lot.code),
        alice,
        lot,
        words="expired",
    )


def test_a_used_lot_and_a_dose_already_given_are_refused(product_world, users, lot_at):
    alice = product_world["alice"]
    first = lot_at(alice, "released")
    give(alice, users["investigator.seoul"], first.code)
    # The used lot: refused, and the one administration stays the only one
    attempts = RefusedAttempt.objects.count()
    with pytest.raises(services.AdministrationRefused) as info:
        give(alice, users["investigator.seoul"], first.code)
    assert "already been administered" in str(info.value)
    assert Administration.objects.filter(subject=alice).count() == 1
    assert RefusedAttempt.objects.count() == attempts + 1
    # A second lot for the same dose number: refused as dose 1 was given already
    spare = lot_at(alice, "released", dose_number=1)
    with pytest.raises(services.AdministrationRefused) as info:
        give(alice, users["investigator.seoul"], spare.code)
    assert "dose_number" in info.value.by_field()
    assert Administration.objects.filter(subject=alice).count() == 1
    assert Lot.objects.get(pk=spare.pk).status == "released"


def test_a_lot_of_another_site_is_refused(product_world, users, lot_at):
    alice, nina = product_world["alice"], product_world["nina"]
    ninas_lot = lot_at(nina, "released")
    refusal = assert_refused(
        lambda: give(alice, users["investigator.seoul"], ninas_lot.code),
        alice,
        ninas_lot,
    )
    messages = " ".join(m for msgs in refusal.by_field().values() for m in msgs)
    assert "belongs to site novara" in messages


def test_mismatched_scanned_subject_is_refused(product_world, users, lot_at):
    alice, bob = product_world["alice"], product_world["bob"]
    lot = lot_at(alice, "released")
    # the right lot for Alice, but the wristband scanned is Bob's
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], lot.code, scanned_subject=bob.code),
        alice,
        lot,
        field="scanned_subject_id",
    )


@pytest.mark.parametrize("which", ["subject", "lot"])
def test_a_wrong_check_character_is_refused(product_world, users, lot_at, which):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    bad_lot = lot.code[:-1] + ("A" if lot.code[-1] != "A" else "B")
    bad_subject = alice.code[:-1] + ("A" if alice.code[-1] != "A" else "B")
    if which == "lot":
        call = lambda: give(alice, users["investigator.seoul"], bad_lot)  # noqa: E731
        assert_refused(call, alice, None, field="scanned_lot_id", words="check character")
    else:
        call = lambda: give(  # noqa: E731
            alice, users["investigator.seoul"], lot.code, scanned_subject=bad_subject
        )
        assert_refused(call, alice, lot, field="scanned_subject_id", words="check character")
    assert Lot.objects.get(pk=lot.pk).status == "released"


def test_an_unknown_lot_is_refused(product_world, users):
    alice = product_world["alice"]
    ghost = lot_code(alice.code, 99)
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], ghost),
        alice,
        None,
        field="scanned_lot_id",
        words="no lot",
    )


def test_wrong_details_are_refused_and_audited(product_world, users, lot_at):
    alice, nina = product_world["alice"], product_world["nina"]
    lot = lot_at(alice, "released")
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], lot.code, route="intraspinal"),
        alice,
        lot,
        field="route",
    )
    future = timezone.now() + timedelta(hours=2)
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], lot.code, administered_at=future),
        alice,
        lot,
        field="administered_at",
    )
    ninas = lot_at(nina, "released")
    assert_refused(
        lambda: give(nina, users["admin"], ninas.code, spinal_level="", pump_rate_ul_per_min=None),
        nina,
        ninas,
        field="spinal_level",
    )


def test_only_investigators_administer(product_world, users, lot_at):
    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    for name in ("celllab.seoul", "coordinator.seoul", "statistician"):
        with pytest.raises(PermissionDenied):
            give(alice, users[name], lot.code)
    assert not Administration.objects.exists()
    assert not RefusedAttempt.objects.exists()


def test_the_service_refuses_to_run_inside_a_callers_transaction(product_world, users, lot_at):
    """A refusal is committed before the error leaves the service; an enclosing transaction of
    the caller could roll that audit record back, so the service will not run inside one."""
    from django.db import transaction

    alice, bob = product_world["alice"], product_world["bob"]
    bobs_lot = lot_at(bob, "released")
    with pytest.raises(MisuseError, match="own transaction"), transaction.atomic():
        give(alice, users["investigator.seoul"], bobs_lot.code)
    assert not RefusedAttempt.objects.exists()
    with pytest.raises(services.AdministrationRefused):
        give(alice, users["investigator.seoul"], bobs_lot.code)
    assert RefusedAttempt.objects.filter(subject=alice).count() == 1


def test_the_database_refuses_a_lot_given_to_someone_else(product_world, users, lot_at):
    """Even a row written around the services: the trigger refuses it (SQLite and PostgreSQL)."""
    from django.db import DatabaseError, transaction

    alice, bob = product_world["alice"], product_world["bob"]
    lot = lot_at(alice, "released")
    row = Administration(
        subject=bob,
        lot=lot,
        dose_number=1,
        route="intrathecal",
        administered_at=timezone.now(),
        operator=users["investigator.seoul"],
        cells_given=lot.dose_cells,
        volume_ml=lot.volume_ml,
        scanned_subject_id=bob.code,
        scanned_lot_id=lot.code,
    )
    row._through_service = True  # pretend a buggy path skipped the checks
    with pytest.raises(DatabaseError, match="not the donor of the lot"), transaction.atomic():
        row.save()
    assert not Administration.objects.exists()


def test_a_scanned_label_payload_is_stored_as_its_lot_id(product_world, users, lot_at):
    from alstrial.web.product.labels import lot_label

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    payload = lot_label(lot).payload
    assert len(payload) > 40  # longer than the stored column: the lot ID is what is kept
    given = give(alice, users["investigator.seoul"], payload, scanned_subject=alice.code.lower())
    given.refresh_from_db()
    assert given.scanned_lot_id == lot.code
    assert given.scanned_subject_id == alice.code


def test_a_partial_injection_records_the_cells_in_proportion(product_world, users, lot_at):
    nina = product_world["nina"]
    lot = lot_at(nina, "released")  # mazzini2003: 6e7 cells in 2 ml
    refusal = None
    try:
        give(nina, users["admin"], lot.code, volume_ml=2.5)
    except services.AdministrationRefused as error:
        refusal = error
    assert refusal is not None
    assert "volume_ml" in refusal.by_field()
    given = give(nina, users["admin"], lot.code, volume_ml=1.5)
    assert given.volume_ml == 1.5
    assert given.cells_given == pytest.approx(4.5e7)  # 6e7 x 1.5 / 2
    assert given.pump_rate_ul_per_min == 100.0
    assert given.spinal_level == "T8"


def test_a_time_without_time_zone_is_a_field_error(product_world, users, lot_at):
    from datetime import datetime

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    with pytest.raises(ValidationError) as info:
        give(alice, users["investigator.seoul"], lot.code, administered_at=datetime(2024, 1, 1))
    assert set(info.value.by_field()) == {"administered_at"}
    assert not Administration.objects.exists()


def test_a_withdrawn_subject_receives_nothing(product_world, users, lot_at):
    from alstrial.web.core.records import save_clinical

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    alice.status = "withdrawn"
    alice.withdrawal_date = alice.enrolment_date
    alice.withdrawal_reason = "consent withdrawn"
    save_clinical(alice, users["coordinator.seoul"], "consent withdrawn")
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], lot.code),
        alice,
        lot,
        field="subject",
        words="withdrawn",
    )


@pytest.mark.parametrize("action", ["halt_dosing", "halt_trial"])
def test_a_stopping_rule_that_halts_dosing_refuses_every_dose(product_world, users, lot_at, action):
    from alstrial.web.safety.models import StoppingTrigger

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    trigger = StoppingTrigger.objects.create(
        trial=alice.trial,
        rule="2 subjects with a related grade >= 3 event",
        rule_key="related_grade_3",
        action=action,
        triggered_at=timezone.now(),
    )
    assert_refused(
        lambda: give(alice, users["investigator.seoul"], lot.code),
        alice,
        lot,
        field="trial",
        words="halted by a stopping rule",
    )
    # lifted by the safety monitor: the same lot now goes to its donor
    trigger.lifted_at = timezone.now()
    trigger.save()
    assert give(alice, users["investigator.seoul"], lot.code).lot == lot


def test_an_enrolment_halt_does_not_stop_dosing(product_world, users, lot_at):
    from alstrial.web.safety.models import StoppingTrigger

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    StoppingTrigger.objects.create(
        trial=alice.trial,
        rule="any related death",
        rule_key="related_death",
        action="halt_enrolment",
        triggered_at=timezone.now(),
    )
    assert give(alice, users["investigator.seoul"], lot.code).lot == lot
