"""The API contract of blinding (docs/randomisation.md "Blinding"): ``GET /subjects/{id}`` has
an ``arm`` key for unblinded roles only, and nothing a blinded role reads of subjects, lots and
administrations tells the arm."""

from __future__ import annotations

import pytest

from alstrial.web.randomisation.services import arm_of

BLINDED = ["coordinator.seoul", "investigator.seoul", "celllab.seoul", "statistician"]


@pytest.mark.parametrize("username", ["unblinded.seoul", "dsmb.statistician"])
def test_unblinded_roles_read_the_arm(both_arms, users, api, username):
    client = api(users[username])
    for arm, subject in both_arms.items():
        assert client.get(f"subjects/{subject.pk}").json()["arm"] == arm == arm_of(subject)


@pytest.mark.parametrize("username", BLINDED)
def test_blinded_roles_get_no_arm_key(both_arms, users, api, username):
    client = api(users[username])
    for subject in both_arms.values():
        body = client.get(f"subjects/{subject.pk}").json()
        assert body["code"] == subject.code
        assert "arm" not in body
    listed = client.get("subjects").json()["items"]
    assert listed
    assert all("arm" not in row for row in listed)


def test_an_open_trial_has_no_arm_key_for_anyone(enrolled_subject, users, api):
    subject = enrolled_subject("seoul")
    assert "arm" not in api(users["unblinded.seoul"]).get(f"subjects/{subject.pk}").json()


@pytest.mark.parametrize("username", BLINDED)
def test_a_blinded_role_reads_the_same_fields_of_an_active_and_a_placebo_lot(
    rct_lots, users, api, username
):
    client = api(users[username])
    answers = {arm: client.get(f"lots/{lot.pk}").json() for arm, lot in rct_lots.items()}
    differing = {key for key in answers["MSC"] if answers["MSC"][key] != answers["SHAM"][key]}
    # Only what identifies the lot and its own subject may differ (and the expiry moment).
    assert differing <= {"id", "code", "subject_id", "donor_code", "expires_at"}
    for body in answers.values():
        assert body["qc"] is None
        assert body["dose_cells"] is None
        assert body["volume_ml"] is None
        assert body["vehicle"] is None
        assert body["batch_id"] is None
        assert body["status"] == "released"


def test_the_unblinded_pharmacy_reads_the_lot_in_full(rct_lots, users, api):
    client = api(users["unblinded.seoul"])
    for lot in rct_lots.values():
        body = client.get(f"lots/{lot.pk}").json()
        assert body["qc"] is not None
        assert body["dose_cells"] == pytest.approx(lot.dose_cells)
        assert body["batch_id"] == lot.batch_id
