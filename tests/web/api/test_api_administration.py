"""Administration through the API: every wrong-patient path is refused (422 naming the failed
check), nothing is administered, no lot changes, and the attempt is recorded (channel api)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_support import PASSWORD, administration_body
from django.utils import timezone

from alstrial.web.product.demo import build_lot, ensure_weight
from alstrial.web.product.models import Administration, CustodyEntry, Lot, RefusedAttempt


def _misread(code: str) -> str:
    """``code`` with a wrong check character (a misread scan)."""
    return code[:-1] + ("B" if code[-1] != "B" else "C")


@pytest.fixture
def bedside(world, users, enrolled_subject, api):
    """Alice (Seoul: dose 1 given, dose 2 released), Bob (Seoul) and Nina (Novara) with lots
    at each stage, made through the services; ``make(subject, stage, dose)`` makes more."""
    alice = world["seoul"]["subject"]
    bob = enrolled_subject("seoul")
    ensure_weight(bob, users["coordinator.seoul"])

    def make(subject, stage, dose=2):
        lab_user = users[f"celllab.{subject.site.code}"]
        return build_lot(
            subject, lab_user, lab_user, stage=stage, password=PASSWORD, dose_number=dose
        )

    return {
        "alice": alice,
        "bob": bob,
        "nina": world["novara"]["subject"],
        "alice_dose2": world["seoul"]["lot"],
        "alice_dose1_given": world["seoul"]["administration"].lot,
        "nina_lot": world["novara"]["lot"],
        "make": make,
        "client": api(users["investigator.seoul"]),
    }


def _lots_state():
    return list(Lot.objects.order_by("pk").values_list("pk", "status", "version"))


CASES = {
    # name: function(bedside) -> (changes to the correct body for Alice's dose 2, fields)
    "another subject's lot": lambda b: (
        {"scanned_lot_id": b["make"](b["bob"], "released", 1).code},
        {"scanned_lot_id", "lot"},
    ),
    "unreleased lot": lambda b: (
        {"scanned_lot_id": b["make"](b["alice"], "qc_pending").code},
        {"lot"},
    ),
    "lot in manufacturing": lambda b: (
        {"scanned_lot_id": b["make"](b["alice"], "in_manufacturing").code},
        {"lot"},
    ),
    "expired lot": lambda b: ({"scanned_lot_id": b["make"](b["alice"], "expired").code}, {"lot"}),
    "destroyed lot": lambda b: (
        {"scanned_lot_id": b["make"](b["alice"], "destroyed").code},
        {"lot"},
    ),
    "used lot": lambda b: (
        {"scanned_lot_id": b["alice_dose1_given"].code},
        {"lot", "dose_number"},
    ),
    "dose already given": lambda b: (
        {"scanned_lot_id": b["make"](b["alice"], "released", 1).code},
        {"dose_number"},
    ),
    "another site's lot": lambda b: (
        {"scanned_lot_id": b["nina_lot"].code},
        {"scanned_lot_id", "lot"},
    ),
    "wristband of another subject": lambda b: (
        {"scanned_subject_id": b["bob"].code},
        {"scanned_subject_id"},
    ),
    "misread wristband": lambda b: (
        {"scanned_subject_id": _misread(b["alice"].code)},
        {"scanned_subject_id"},
    ),
    "misread lot label": lambda b: (
        {"scanned_lot_id": _misread(b["alice_dose2"].code)},
        {"scanned_lot_id"},
    ),
    "forged label donor": lambda b: (
        {"scanned_lot_id": f"{b['alice_dose2'].code}|DONOR={b['bob'].code}"},
        {"scanned_lot_id"},
    ),
    "no such lot": lambda b: (
        {"scanned_lot_id": b["alice_dose2"].code.replace("-02-", "-09-")},
        {"scanned_lot_id"},
    ),
    "wrong route": lambda b: ({"route": "intraspinal"}, {"route"}),
    "time in the future": lambda b: (
        {"administered_at": (timezone.now() + timedelta(hours=2)).isoformat()},
        {"administered_at"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_patient_administration_is_refused_and_audited(bedside, users, case):
    changes, fields = CASES[case](bedside)
    alice, client = bedside["alice"], bedside["client"]
    body = administration_body(alice, bedside["alice_dose2"], **changes)
    given, lots = Administration.objects.count(), _lots_state()
    custody = CustodyEntry.objects.count()
    response = client.post("administrations", body)
    assert response.status_code == 422, response.content
    answer = response.json()
    assert fields <= set(answer["errors"]), answer
    assert "nothing was administered" in answer["detail"]
    assert Administration.objects.count() == given
    assert _lots_state() == lots
    attempt = RefusedAttempt.objects.get(pk=answer["refused_attempt_id"])
    assert (attempt.subject_id, attempt.user, attempt.channel) == (
        alice.pk,
        users["investigator.seoul"],
        "api",
    )
    assert attempt.scanned_lot_id == body["scanned_lot_id"][:60]
    assert {r["field"] for r in attempt.reasons} == set(answer["errors"])
    scanned = Lot.objects.filter(code=body["scanned_lot_id"].split("|")[0]).first()
    if attempt.lot_id is not None:  # the scanned lot exists: its ledger shows the refusal
        assert attempt.lot == scanned
        assert CustodyEntry.objects.count() == custody + 1
        assert CustodyEntry.objects.latest("id").event == "refused"
    else:
        assert CustodyEntry.objects.count() == custody


def test_the_right_lot_to_its_donor_is_administered_once(bedside):
    alice, lot, client = bedside["alice"], bedside["alice_dose2"], bedside["client"]
    response = client.post("administrations", administration_body(alice, lot))
    assert response.status_code == 201, response.content
    given = response.json()
    assert (given["subject_id"], given["lot_code"], given["dose_number"]) == (alice.pk, lot.code, 2)
    assert Lot.objects.get(pk=lot.pk).status == "administered"
    assert client.get(f"administrations/{given['id']}").json() == given
    again = client.post("administrations", administration_body(alice, lot))
    assert again.status_code == 422
    assert {"lot", "dose_number"} <= set(again.json()["errors"])
    assert Administration.objects.filter(lot=lot).count() == 1


def test_roles_that_do_not_administer_get_403_and_nothing_is_given(bedside, users, api):
    alice, lot = bedside["alice"], bedside["alice_dose2"]
    for name in ("coordinator.seoul", "celllab.seoul", "safety.monitor", "statistician"):
        response = api(users[name]).post("administrations", administration_body(alice, lot))
        assert response.status_code == 403, name
    assert Lot.objects.get(pk=lot.pk).status == "released"
    assert not Administration.objects.filter(lot=lot).exists()


def test_visit_of_another_subject_is_refused_by_its_body_name(bedside):
    alice, bob, client = bedside["alice"], bedside["bob"], bedside["client"]
    bobs_visit = bob.visits.filter(administration=2).get()
    body = administration_body(alice, bedside["alice_dose2"], visit_id=bobs_visit.pk)
    response = client.post("administrations", body)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"visit_id"}
    assert not Administration.objects.filter(lot=bedside["alice_dose2"]).exists()
    attempt = RefusedAttempt.objects.get(pk=response.json()["refused_attempt_id"])
    assert [r["field"] for r in attempt.reasons] == ["visit"]
