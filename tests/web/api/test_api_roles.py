"""Roles at their own site: what each may and may not do through the API, the same rules as
the web pages (docs/web.md roles table, docs/product.md, docs/safety.md). A role that may not
act on an object it can see gets 403 and nothing changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from api_support import ITEMS, PASSWORD, ae_report

from alstrial.web.product.demo import build_lot
from alstrial.web.subjects.models import Subject

ROLES = {
    "coordinator": "coordinator.seoul",
    "investigator": "investigator.seoul",
    "cell_lab": "celllab.seoul",
    "safety_monitor": "safety.monitor",
    "statistician": "statistician",
    "auditor": "auditor.seoul",
    "admin": "admin",
}
DATA_ENTRY = {"coordinator", "investigator", "admin"}
#: Actions that change a state once (the later allowed roles get 422, not 403).
ONCE_ONLY = {"ship lot", "withdraw subject", "prepare dose"}


@pytest.fixture
def clients(world, users, make_user, api):
    users = {**users, "auditor.seoul": make_user("auditor.seoul", {"seoul": ["auditor"]})}
    return {role: api(users[name]) for role, name in ROLES.items()}


def _screening_body(when: date) -> dict:
    return {
        "site": "seoul",
        "trial": "kim2009",
        "consent_date": str(when),
        "screening_date": str(when),
        "symptom_onset_date": str(when - timedelta(days=400)),
        "sex": "F",
        "age_years": 60,
        "onset_site": "bulbar",
        "el_escorial": "definite",
        "alsfrs_r_total": 38,
        "fvc_percent_predicted": 80.0,
    }


def _alsfrs_change(client, alsfrs):
    version = client.get(f"assessments/alsfrs/{alsfrs.pk}").json()["version"]
    body = {**ITEMS, "speech": 3, "reason": "monitoring finding", "version": version}
    return client.put(f"assessments/alsfrs/{alsfrs.pk}", body)


def _qc_change(client, lot):
    qc = client.get(f"lots/{lot.pk}").json()["qc"]
    body = {**{k: v for k, v in qc.items() if k != "version"}, "viability_pct": 88.0}
    return client.put(f"lots/{lot.pk}/qc", {**body, "reason": "recount", "version": qc["version"]})


#: action -> (function(client, seoul objects) -> response, roles allowed)
ACTIONS = {
    "read subject": (lambda c, o: c.get(f"subjects/{o['subject'].pk}"), set(ROLES)),
    "read lots": (lambda c, o: c.get(f"lots/{o['lot'].pk}"), set(ROLES)),
    "screen subject": (lambda c, o: c.post("subjects", _screening_body(date.today())), DATA_ENTRY),
    "change ALSFRS-R": (lambda c, o: _alsfrs_change(c, o["alsfrs"]), DATA_ENTRY),
    "read adverse events": (
        lambda c, o: c.get(f"adverse-events/{o['ae'].pk}"),
        DATA_ENTRY | {"safety_monitor", "auditor"},
    ),
    "list adverse events": (
        lambda c, o: c.get("adverse-events"),
        DATA_ENTRY | {"safety_monitor", "auditor"},
    ),
    "report adverse event": (
        lambda c, o: c.post("adverse-events", ae_report(o["subject"])),
        DATA_ENTRY,
    ),
    "read audit trail": (
        lambda c, o: c.get(f"subjects/{o['subject'].pk}/audit"),
        DATA_ENTRY | {"safety_monitor", "auditor"},
    ),
    "withdraw subject": (
        lambda c, o: c.post(
            f"subjects/{o['subject'].pk}/withdrawal",
            {"withdrawal_date": str(date.today()), "withdrawal_reason": "moved abroad"},
        ),
        DATA_ENTRY,
    ),
    "record visit": (
        lambda c, o: c.put(
            f"visits/{o['visit'].pk}",
            {
                "status": "done",
                "visit_date": str(o["visit"].visit_date),
                "reason": "re-confirmed",
                "version": c.get(f"visits/{o['visit'].pk}").json()["version"],
            },
        ),
        DATA_ENTRY,
    ),
    "make lots": (
        lambda c, o: c.post("lots", {"batch_id": o["lot"].batch_id, "dose_numbers": [2]}),
        {"cell_lab", "admin"},
    ),
    "prepare dose": (
        lambda c, o: c.post(f"lots/{o['pending_lot'].pk}/dose", {}),
        {"cell_lab", "admin"},
    ),
    "change QC": (lambda c, o: _qc_change(c, o["lot"]), {"cell_lab", "admin"}),
    "ship lot": (
        lambda c, o: c.post(f"lots/{o['lot'].pk}/custody", {"event": "shipped"}),
        {"cell_lab", "investigator", "admin"},
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_role_may_do_only_its_own_actions(world, clients, users, action):
    call, allowed = ACTIONS[action]
    seoul = world["seoul"]
    if action == "prepare dose":  # a dose is prepared once, on a lot in QC
        lab = users["celllab.seoul"]
        pending = build_lot(seoul["subject"], lab, lab, stage="qc_pending", password=PASSWORD)
        seoul = {**seoul, "pending_lot": pending}
    outcomes = {}  # each refused call changes nothing, so the roles share one world
    for role, client in clients.items():
        outcomes[role] = call(client, seoul).status_code
    expected_ok = {role for role in ROLES if role in allowed}
    ok = {role for role, status in outcomes.items() if status in (200, 201)}
    denied = {role for role, status in outcomes.items() if status == 403}
    if action in ONCE_ONLY:  # the first allowed role does it; later ones find it done (422)
        assert ok, outcomes
        assert ok <= expected_ok, outcomes
        assert denied == set(ROLES) - expected_ok, outcomes
        return
    assert ok == expected_ok, outcomes
    assert denied == set(ROLES) - expected_ok, outcomes


def test_release_needs_a_release_authority_and_the_password(world, clients, users):
    lot = world["seoul"]["lot"]
    qc = clients["cell_lab"].put(
        f"lots/{lot.pk}/qc",
        {**_qc_fields(clients, lot), "viability_pct": 90.0, "reason": "recount", "version": 1},
    )
    assert qc.status_code == 200, qc.content
    assert qc.json()["status"] == "qc_pending"  # the change voided the release
    for role in ("coordinator", "investigator", "safety_monitor", "statistician", "admin"):
        response = clients[role].post(f"lots/{lot.pk}/release", {"password": PASSWORD})
        assert response.status_code == 403, role
    wrong = clients["cell_lab"].post(f"lots/{lot.pk}/release", {"password": "not-mine"})
    assert wrong.status_code == 422
    assert "password" in wrong.json()["errors"]
    signed = clients["cell_lab"].post(f"lots/{lot.pk}/release", {"password": PASSWORD})
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "released"


def _qc_fields(clients, lot):
    qc = clients["cell_lab"].get(f"lots/{lot.pk}").json()["qc"]
    return {k: v for k, v in qc.items() if k != "version"}


def test_statistician_sees_de_identified_data(world, clients):
    statistician = clients["statistician"]
    seoul = world["seoul"]
    subject = statistician.get(f"subjects/{seoul['subject'].pk}").json()
    assert subject["deidentified"] is True
    dates = ("consent_date", "screening_date", "symptom_onset_date", "enrolment_date")
    assert all(subject[name] is None for name in dates)
    assert subject["withdrawal_reason"] is None
    stored = Subject.objects.get(pk=seoul["subject"].pk)
    expected_day = (stored.screening_date - stored.day_zero_date).days
    assert subject["screening_study_day"] == expected_day
    visit = statistician.get(f"visits/{seoul['visit'].pk}").json()
    assert visit["visit_date"] is None
    assert visit["study_day"] == (seoul["visit"].visit_date - stored.day_zero_date).days
    assert statistician.get(f"assessments/alsfrs/{seoul['alsfrs'].pk}").json()["visit_date"] is None
    given = statistician.get(f"administrations/{seoul['administration'].pk}").json()
    assert given["administered_at"] is None
    lot = statistician.get(f"lots/{seoul['lot'].pk}").json()
    assert (lot["formulated_at"], lot["expires_at"]) == (None, None)
    assert clients["cell_lab"].get(f"lots/{seoul['lot'].pk}").json()["expires_at"] is not None
    coordinator = clients["coordinator"].get(f"subjects/{seoul['subject'].pk}").json()
    assert coordinator["deidentified"] is False
    assert coordinator["consent_date"] == str(stored.consent_date)


def test_role_is_checked_before_the_version(world, clients):
    """A role that may not enter QC gets 403 even with a stale version (never 409 first)."""
    lot = world["seoul"]["lot"]
    for role in ("coordinator", "safety_monitor", "statistician", "auditor"):
        response = clients[role].put(f"lots/{lot.pk}/qc", {"viability_pct": 50.0, "version": 0})
        assert response.status_code == 403, (role, response.content)
    stale = clients["admin"].put(f"lots/{lot.pk}/qc", {"viability_pct": 50.0, "version": 0})
    assert stale.status_code == 409
