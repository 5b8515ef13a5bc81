"""The API contract of randomisation and emergency unblinding (docs/api.md, "Randomisation")."""

from __future__ import annotations

import pytest

from alstrial.web.randomisation.models import Allocation, UnblindingRequest
from alstrial.web.randomisation.services import arm_of, randomise_subject


def _path(subject, what="randomisation") -> str:
    return f"subjects/{subject.pk}/{what}"


def test_201_without_the_arm_for_a_blinded_role(rct_subject, users, api):
    subject = rct_subject(onset_site="bulbar", decline=0.6)
    answer = api(users["coordinator.seoul"]).post(_path(subject))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert set(body) == {"subject_id", "randomisation_number", "stratum", "randomised_at"}
    stored = Allocation.objects.get(subject=subject)
    assert body["randomisation_number"] == stored.randomisation_number == 1001
    assert body["stratum"] == "bulbar/slow"
    assert body["randomised_at"] is not None
    read = api(users["statistician"]).get(_path(subject)).json()
    assert "arm" not in read
    assert read["randomisation_number"] == 1001
    assert read["randomised_at"] is None  # the de-identified reader sees no dates


@pytest.mark.parametrize("username", ["unblinded.seoul", "dsmb.statistician"])
def test_the_arm_for_an_unblinded_role(rct_subject, users, api, username):
    subject = rct_subject()
    body = api(users["investigator.seoul"]).post(_path(subject)).json()
    assert "arm" not in body  # the investigator is blinded
    assert api(users[username]).get(_path(subject)).json()["arm"] == arm_of(subject)
    assert arm_of(subject) in ("MSC", "SHAM")


def test_409_when_already_randomised(rct_subject, users, api):
    subject = rct_subject()
    client = api(users["coordinator.seoul"])
    assert client.post(_path(subject)).status_code == 201
    again = client.post(_path(subject))
    assert again.status_code == 409
    assert "already randomised" in again.json()["errors"]["subject"][0]
    assert Allocation.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"enrol": False}, "status"),
        ({"eligible": False, "enrol": False}, "eligible"),
        ({"decline": 0.0}, "lead_in_decline_points_per_month"),
    ],
)
def test_422_names_the_reason(rct_subject, users, api, kwargs, field):
    subject = rct_subject(**kwargs)
    answer = api(users["coordinator.seoul"]).post(_path(subject))
    assert answer.status_code == 422
    assert field in answer.json()["errors"]
    assert not Allocation.objects.exists()


@pytest.mark.parametrize(
    ("username", "status"),
    [("celllab.seoul", 403), ("statistician", 403), ("coordinator.novara", 404)],
)
def test_403_for_a_role_that_may_not_randomise_and_404_at_another_site(
    rct_subject, users, api, username, status
):
    subject = rct_subject()
    assert api(users[username]).post(_path(subject)).status_code == status
    assert not Allocation.objects.exists()


def test_get_before_randomisation_is_404(rct_subject, users, api):
    assert api(users["coordinator.seoul"]).get(_path(rct_subject())).status_code == 404


def test_emergency_unblinding_request_and_second_person_approval(rct_subject, users, api):
    subject = rct_subject()
    randomise_subject(users["coordinator.seoul"], subject)
    requester = api(users["investigator.seoul"])
    asked = requester.post(_path(subject, "unblinding"), {"reason": "suspected meningitis"})
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["id"]
    assert asked.json()["status"] == "requested"
    assert "arm" not in asked.json()
    assert "arm" not in requester.get(f"unblinding/{request_id}").json()  # not yet approved
    assert requester.post(f"unblinding/{request_id}/approve").status_code == 403
    approver = api(users["safety.monitor"])
    approved = approver.post(f"unblinding/{request_id}/approve")
    assert approved.status_code == 200
    assert approved.json()["approved_by"] == "safety.monitor"
    assert "arm" not in approved.json()  # the approver stays blinded
    assert requester.get(f"unblinding/{request_id}").json()["arm"] == arm_of(subject)
    assert "arm" not in api(users["coordinator.seoul"]).get(f"unblinding/{request_id}").json()
    assert approver.post(f"unblinding/{request_id}/approve").status_code == 422  # once
    assert api(users["coordinator.novara"]).get(f"unblinding/{request_id}").status_code == 404
    history = UnblindingRequest.objects.get(pk=request_id).history.order_by("history_id")
    assert [h.history_user.get_username() for h in history] == [
        "investigator.seoul",
        "safety.monitor",
    ]


@pytest.mark.parametrize(
    ("username", "body", "status", "field"),
    [
        ("investigator.seoul", {"reason": "  "}, 422, "reason"),
        ("investigator.seoul", {}, 422, "reason"),
        ("coordinator.seoul", {"reason": "emergency"}, 403, None),
    ],
)
def test_unblinding_request_refusals(rct_subject, users, api, username, body, status, field):
    subject = rct_subject()
    randomise_subject(users["coordinator.seoul"], subject)
    answer = api(users[username]).post(_path(subject, "unblinding"), body)
    assert answer.status_code == status
    if field:
        assert field in answer.json()["errors"]
    assert not UnblindingRequest.objects.exists()


def test_unblinding_a_subject_not_randomised_is_422(rct_subject, users, api):
    answer = api(users["investigator.seoul"]).post(
        _path(rct_subject(), "unblinding"), {"reason": "emergency"}
    )
    assert answer.status_code == 422
    assert "subject" in answer.json()["errors"]


@pytest.mark.parametrize("username", ["statistician", "celllab.seoul", "dsmb.statistician"])
def test_unblinding_requests_are_read_by_the_audit_roles_only(rct_subject, users, api, username):
    subject = rct_subject()
    randomise_subject(users["coordinator.seoul"], subject)
    asked = api(users["investigator.seoul"]).post(_path(subject, "unblinding"), {"reason": "x"})
    answer = api(users[username]).get(f"unblinding/{asked.json()['id']}")
    assert answer.status_code == 403
    assert "x" not in answer.json()["detail"]
