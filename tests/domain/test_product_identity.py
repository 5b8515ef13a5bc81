"""Chain-of-identity checks (docs/domain.md, 'Cell product'): every wrong-patient path is
refused."""

from datetime import UTC, datetime, timedelta

import pytest

from alstrial.domain.errors import FieldError
from alstrial.domain.identifiers import lot_code, subject_code
from alstrial.domain.product import CustodyEvent, LotStatus, next_status
from alstrial.domain.product_identity import (
    LotFacts,
    SubjectFacts,
    check_administration,
    label_payload,
    normalise,
    scanned_fields,
)

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
ALICE = subject_code("SEO", 7)  # SEO-0007-A
BOB = subject_code("SEO", 8)
ALICE_LOT = lot_code(ALICE, 1)
BOB_LOT = lot_code(BOB, 1)


def lot(**kw):
    facts = {
        "lot_id": ALICE_LOT,
        "donor_subject_id": ALICE,
        "site": "seoul",
        "status": LotStatus.RELEASED,
        "expires_at": NOW + timedelta(hours=2),
        "dose_number": 1,
    }
    facts.update(kw)
    return LotFacts(**facts)


def check(scanned_subject=ALICE, scanned_lot=ALICE_LOT, subject=None, the_lot="default"):
    subject = subject or SubjectFacts(ALICE, "seoul")
    return check_administration(
        scanned_subject_id=scanned_subject,
        scanned_lot_id=scanned_lot,
        subject=subject,
        lot=lot() if the_lot == "default" else the_lot,
        now=NOW,
    )


def fields(errors):
    return sorted(e.field for e in errors)


def test_the_donor_may_receive_their_own_released_lot():
    assert check() == []
    # scanners may add whitespace and lower case
    assert check(scanned_subject=f" {ALICE.lower()}\n", scanned_lot=ALICE_LOT.lower()) == []


def test_a_scanned_label_payload_is_read_as_its_lot_id():
    payload = label_payload(
        {"donor": ALICE, "product": "BM-MSC", "expires": "2024-05-01"}, ALICE_LOT
    )
    assert payload.startswith(f"{ALICE_LOT}|DONOR={ALICE}|")
    assert normalise(payload) == ALICE_LOT
    assert scanned_fields(payload)["PRODUCT"] == "BM-MSC"
    assert check(scanned_lot=payload) == []
    # a label whose printed donor differs from the donor inside its lot ID is not genuine
    forged = label_payload({"donor": BOB}, ALICE_LOT)
    errors = check(scanned_lot=forged)
    assert fields(errors) == ["scanned_lot_id"]
    assert "not genuine" in errors[0].message
    with pytest.raises(FieldError):
        label_payload({"note": "a|b"}, ALICE_LOT)


def test_another_subjects_lot_is_refused():
    errors = check(scanned_lot=BOB_LOT, the_lot=lot(lot_id=BOB_LOT, donor_subject_id=BOB))
    assert fields(errors) == ["lot", "scanned_lot_id"]
    assert "autologous lots go only to their donor" in errors[0].message


def test_a_lot_whose_recorded_donor_differs_from_its_code_is_refused():
    # Defence in depth: even if a record were corrupted, both donor records must agree.
    errors = check(the_lot=lot(donor_subject_id=BOB))
    assert fields(errors) == ["lot"]
    assert "recorded donor" in errors[0].message


def test_mismatched_scanned_subject_is_refused():
    errors = check(scanned_subject=BOB)
    assert fields(errors) == ["scanned_subject_id"]
    assert "not the subject this administration is for" in errors[0].message


@pytest.mark.parametrize("position", [0, 5, -1])
def test_a_wrong_check_character_or_misread_character_is_refused(position):
    chars = list(ALICE_LOT)
    chars[position] = "Z" if chars[position] != "Z" else "Y"
    errors = check(scanned_lot="".join(chars))
    assert "scanned_lot_id" in fields(errors)
    chars = list(ALICE)
    chars[position] = "Z" if chars[position] != "Z" else "Y"
    assert "scanned_subject_id" in fields(check(scanned_subject="".join(chars)))


@pytest.mark.parametrize(
    "status",
    [
        LotStatus.IN_MANUFACTURING,
        LotStatus.QC_PENDING,
        LotStatus.SHIPPED,
        LotStatus.ADMINISTERED,
        LotStatus.DESTROYED,
    ],
)
def test_only_a_released_or_received_lot_may_be_given(status):
    errors = check(the_lot=lot(status=status))
    assert fields(errors) == ["lot"]
    assert check(the_lot=lot(status=LotStatus.RECEIVED)) == []


def test_an_expired_lot_is_refused_at_its_expiry_time():
    errors = check(the_lot=lot(expires_at=NOW))
    assert fields(errors) == ["lot"]
    assert "expired" in errors[0].message
    assert fields(check(the_lot=lot(expires_at=None))) == ["lot"]


def test_a_lot_of_another_site_is_refused():
    errors = check(the_lot=lot(site="novara"))
    assert fields(errors) == ["lot"]
    assert "site" in errors[0].message


def test_a_dose_number_already_given_is_refused():
    errors = check(subject=SubjectFacts(ALICE, "seoul", frozenset({1})))
    assert fields(errors) == ["dose_number"]
    assert check(subject=SubjectFacts(ALICE, "seoul", frozenset({2}))) == []


def test_an_unknown_lot_is_refused():
    assert fields(check(the_lot=None)) == ["scanned_lot_id"]
    # a mistyped ID is reported once (invalid), not twice
    assert len(check(scanned_lot="LOT-NOPE", the_lot=None)) == 1


def test_every_failure_is_named_not_only_the_first():
    errors = check(
        scanned_subject=BOB,
        scanned_lot=BOB_LOT,
        the_lot=lot(
            lot_id=BOB_LOT, donor_subject_id=BOB, site="novara", status=LotStatus.DESTROYED
        ),
    )
    assert len(errors) >= 4


def test_lot_transitions():
    S, E = LotStatus, CustodyEvent
    assert next_status(S.IN_MANUFACTURING, E.QC) is S.QC_PENDING
    assert next_status(S.QC_PENDING, E.RELEASED) is S.RELEASED
    assert next_status(S.RECEIVED, E.RELEASE_VOIDED) is S.QC_PENDING
    assert next_status(S.RELEASED, E.ADMINISTERED) is S.ADMINISTERED
    assert next_status(S.ADMINISTERED, E.REFUSED) is S.ADMINISTERED
    for status, event in [
        (S.IN_MANUFACTURING, E.RELEASED),
        (S.ADMINISTERED, E.DESTROYED),
        (S.DESTROYED, E.QC),
        (S.QC_PENDING, E.ADMINISTERED),
        (S.SHIPPED, E.ADMINISTERED),
        (S.RELEASED, E.MADE),
    ]:
        with pytest.raises(FieldError) as info:
            next_status(status, event)
        assert info.value.field == "status"
