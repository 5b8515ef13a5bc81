"""Site isolation: every route of the API, walked by users of the other site, answers 404 for
the Seoul objects (lists leave them out), and nothing changes.

The routes come from the served OpenAPI document: a new route without an entry in ``CALLS``
fails ``test_every_route_has_an_isolation_call``.
"""

from __future__ import annotations

from datetime import date

import pytest
from api_support import (
    ITEMS,
    PASSWORD,
    ApiClient,
    administration_body,
    ae_report,
    open_visit_with,
)

from alstrial.web.product.models import Administration, CustodyEntry, Lot, RefusedAttempt
from alstrial.web.subjects.models import Subject

TODAY = date.today().isoformat()

#: Routes with no site-owned object: the token itself.
NO_SITE_OBJECT = {("post", "/api/v1/auth/token"), ("delete", "/api/v1/auth/token")}


def _seoul(world):
    return world["seoul"]


def _unblinding_request(o):
    """An emergency unblinding request on the Seoul subject, made once (directly, as its
    trial kim2009 is not randomised: the routes are under test, not the service)."""
    from django.utils import timezone

    from alstrial.web.core.records import save_clinical
    from alstrial.web.randomisation.models import UnblindingRequest

    if "unblinding" not in o:
        by = o["subject"].created_by
        request = UnblindingRequest(
            subject=o["subject"], requested_by=by, reason="test", requested_at=timezone.now()
        )
        o["unblinding"] = save_clinical(request, by, "isolation test")
    return o["unblinding"]


def _query(o):
    """A data query on the Seoul subject's age, raised once (directly: the routes are under
    test, not the data-management service)."""
    from django.utils import timezone

    from alstrial.web.dataquality.models import Query

    if "query" not in o:
        subject = o["subject"]
        o["query"] = Query.objects.create(
            site=subject.site,
            subject=subject,
            form="subject",
            record_id=subject.pk,
            field="age_years",
            origin="manual",
            text="Please check the age against the source.",
            opened_at=timezone.now(),
            opened_by=subject.created_by,
        )
    return o["query"]


#: (method, OpenAPI path) -> function(seoul objects) -> (concrete path, body). Each call
#: targets a Seoul object; the caller holds roles at Novara only.
CALLS = {
    ("get", "/api/v1/subjects/{subject_id}"): lambda o: (f"subjects/{o['subject'].pk}", None),
    ("put", "/api/v1/subjects/{subject_id}"): lambda o: (
        f"subjects/{o['subject'].pk}",
        {"reason": "typo", "version": o["subject"].version, "age_years": 53},
    ),
    ("post", "/api/v1/subjects"): lambda o: (
        "subjects",
        {"site": "seoul", "trial": "kim2009", "consent_date": TODAY, "screening_date": TODAY},
    ),
    ("post", "/api/v1/subjects/{subject_id}/enrolment"): lambda o: (
        f"subjects/{o['subject'].pk}/enrolment",
        {"enrolment_date": TODAY},
    ),
    ("post", "/api/v1/subjects/{subject_id}/withdrawal"): lambda o: (
        f"subjects/{o['subject'].pk}/withdrawal",
        {"withdrawal_date": TODAY, "withdrawal_reason": "moved abroad"},
    ),
    ("get", "/api/v1/subjects/{subject_id}/audit"): lambda o: (
        f"subjects/{o['subject'].pk}/audit",
        None,
    ),
    ("get", "/api/v1/visits/{visit_id}"): lambda o: (f"visits/{o['visit'].pk}", None),
    ("put", "/api/v1/visits/{visit_id}"): lambda o: (
        f"visits/{o['visit'].pk}",
        {"status": "done", "visit_date": TODAY, "reason": "x", "version": o["visit"].version},
    ),
    ("get", "/api/v1/assessments/alsfrs/{assessment_id}"): lambda o: (
        f"assessments/alsfrs/{o['alsfrs'].pk}",
        None,
    ),
    ("post", "/api/v1/assessments/alsfrs"): lambda o: (
        "assessments/alsfrs",
        {"visit_id": open_visit_with(o["subject"], "alsfrs_r").pk, **ITEMS},
    ),
    ("put", "/api/v1/assessments/alsfrs/{assessment_id}"): lambda o: (
        f"assessments/alsfrs/{o['alsfrs'].pk}",
        {**ITEMS, "speech": 2, "reason": "x", "version": o["alsfrs"].version},
    ),
    ("get", "/api/v1/adverse-events/{event_id}"): lambda o: (
        f"adverse-events/{o['ae'].pk}",
        None,
    ),
    ("post", "/api/v1/adverse-events"): lambda o: ("adverse-events", ae_report(o["subject"])),
    ("put", "/api/v1/adverse-events/{event_id}"): lambda o: (
        f"adverse-events/{o['ae'].pk}",
        {
            **{k: v for k, v in ae_report(o["subject"]).items() if k != "subject_id"},
            "reason": "follow-up",
            "version": o["ae"].version,
        },
    ),
    ("get", "/api/v1/lots/{lot_id}"): lambda o: (f"lots/{o['lot'].pk}", None),
    ("post", "/api/v1/lots"): lambda o: (
        "lots",
        {"batch_id": o["lot"].batch_id, "dose_numbers": [2]},
    ),
    ("put", "/api/v1/lots/{lot_id}/qc"): lambda o: (
        f"lots/{o['lot'].pk}/qc",
        {"viability_pct": 91, "reason": "x", "version": o["lot"].qc.version},
    ),
    ("post", "/api/v1/lots/{lot_id}/dose"): lambda o: (f"lots/{o['lot'].pk}/dose", {}),
    ("post", "/api/v1/lots/{lot_id}/release"): lambda o: (
        f"lots/{o['lot'].pk}/release",
        {"password": PASSWORD},
    ),
    ("post", "/api/v1/lots/{lot_id}/custody"): lambda o: (
        f"lots/{o['lot'].pk}/custody",
        {"event": "destroyed", "note": "test"},
    ),
    ("get", "/api/v1/administrations/{administration_id}"): lambda o: (
        f"administrations/{o['administration'].pk}",
        None,
    ),
    ("post", "/api/v1/administrations"): lambda o: (
        "administrations",
        administration_body(o["subject"], o["lot"]),
    ),
    ("post", "/api/v1/subjects/{subject_id}/randomisation"): lambda o: (
        f"subjects/{o['subject'].pk}/randomisation",
        None,
    ),
    ("get", "/api/v1/subjects/{subject_id}/randomisation"): lambda o: (
        f"subjects/{o['subject'].pk}/randomisation",
        None,
    ),
    ("post", "/api/v1/subjects/{subject_id}/unblinding"): lambda o: (
        f"subjects/{o['subject'].pk}/unblinding",
        {"reason": "test"},
    ),
    ("post", "/api/v1/unblinding/{unblinding_id}/approve"): lambda o: (
        f"unblinding/{_unblinding_request(o).pk}/approve",
        None,
    ),
    ("get", "/api/v1/unblinding/{unblinding_id}"): lambda o: (
        f"unblinding/{_unblinding_request(o).pk}",
        None,
    ),
    ("post", "/api/v1/queries"): lambda o: (
        "queries",
        {
            "subject_id": o["subject"].pk,
            "form": "subject",
            "record_id": o["subject"].pk,
            "field": "age_years",
            "text": "Please check.",
        },
    ),
    ("post", "/api/v1/queries/{query_id}/answer"): lambda o: (
        f"queries/{_query(o).pk}/answer",
        {"answer": "checked against the source"},
    ),
    ("post", "/api/v1/queries/{query_id}/close"): lambda o: (
        f"queries/{_query(o).pk}/close",
        {"reason": "resolved"},
    ),
    ("post", "/api/v1/queries/{query_id}/reopen"): lambda o: (
        f"queries/{_query(o).pk}/reopen",
        {"reason": "not resolved"},
    ),
    ("post", "/api/v1/trials/{slug}/lock"): lambda o: ("trials/kim2009/lock", {"reason": "x"}),
    ("post", "/api/v1/trials/{slug}/unlock"): lambda o: ("trials/kim2009/unlock", {"reason": "x"}),
}

#: Routes answering a plain list: (method, path) -> function(seoul objects) -> path.
PLAIN_LISTS = {
    ("get", "/api/v1/queries"): lambda o: (_query(o), f"queries?subject_id={o['subject'].pk}")[1],
}

#: List routes: (method, path) -> function(seoul objects) -> (path with a filter, Seoul ids).
LISTS = {
    ("get", "/api/v1/subjects"): lambda o: ("subjects?trial=kim2009", {o["subject"].pk}),
    ("get", "/api/v1/visits"): lambda o: (
        f"visits?subject_id={o['subject'].pk}",
        set(o["subject"].visits.values_list("pk", flat=True)),
    ),
    ("get", "/api/v1/assessments/alsfrs"): lambda o: (
        f"assessments/alsfrs?subject_id={o['subject'].pk}",
        {o["alsfrs"].pk},
    ),
    ("get", "/api/v1/adverse-events"): lambda o: (
        f"adverse-events?subject_id={o['subject'].pk}",
        {o["ae"].pk},
    ),
    ("get", "/api/v1/lots"): lambda o: (
        f"lots?subject_id={o['subject'].pk}",
        set(o["subject"].lots.values_list("pk", flat=True)),
    ),
    ("get", "/api/v1/administrations"): lambda o: (
        f"administrations?subject_id={o['subject'].pk}",
        {o["administration"].pk},
    ),
}

#: One user per role, holding it at Novara only.
OTHER_SITE_ROLES = (
    "coordinator",
    "investigator",
    "cell_lab",
    "safety_monitor",
    "auditor",
    "statistician",
    "admin",
    "monitor",
    "data_manager",
    "unblinded_pharmacy",
    "dsmb_statistician",
)


def served_operations(client) -> set[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_route_has_an_isolation_call(world, users, api):
    served = served_operations(api(users["admin"]))
    covered = set(CALLS) | set(LISTS) | set(PLAIN_LISTS) | NO_SITE_OBJECT
    assert served - covered == set(), "routes without a site-isolation test"
    assert covered - served == set(), "isolation calls for routes that do not exist"


def _snapshot(subject_id):
    return {
        "subject": Subject.objects.filter(pk=subject_id).values("version", "status").get(),
        "lots": list(Lot.objects.filter(subject_id=subject_id).values("version", "status")),
        "given": Administration.objects.filter(subject_id=subject_id).count(),
        "custody": CustodyEntry.objects.filter(lot__subject_id=subject_id).count(),
        "refused": RefusedAttempt.objects.filter(subject_id=subject_id).count(),
        "history": sum(model.history.count() for model in (Subject, Lot, Administration)),
    }


@pytest.mark.parametrize("role", OTHER_SITE_ROLES)
def test_other_site_user_gets_404_on_every_object_route(world, make_user, api, role):
    client = api(make_user(f"novara-{role}", {"novara": [role]}))
    seoul = _seoul(world)
    before = _snapshot(seoul["subject"].pk)
    for (method, route), call in CALLS.items():
        path, body = call(seoul)
        response = client.call(method, path, body)
        assert response.status_code == 404, (method, route, response.status_code, response.content)
        assert response.json() == {"detail": "not found", "errors": {}}
    assert _snapshot(seoul["subject"].pk) == before


@pytest.mark.parametrize("role", OTHER_SITE_ROLES)
def test_other_site_user_lists_leave_out_the_other_site(world, make_user, api, role):
    client = api(make_user(f"novara-{role}", {"novara": [role]}))
    seoul, novara = world["seoul"], world["novara"]
    for (_method, route), call in LISTS.items():
        path, seoul_ids = call(seoul)
        response = client.get(path)
        if response.status_code == 403:  # a role that reads no such records anywhere
            continue
        assert response.status_code == 200, (route, response.content)
        assert response.json()["items"] == [], route
        unfiltered = client.get(path.split("?")[0] + "?limit=1000").json()["items"]
        assert not {item["id"] for item in unfiltered} & seoul_ids, route
    own = client.get("subjects").json()["items"]
    assert [s["id"] for s in own] == [novara["subject"].pk]


@pytest.mark.parametrize("role", OTHER_SITE_ROLES)
def test_other_site_user_plain_lists_leave_out_the_other_site(world, make_user, api, role):
    client = api(make_user(f"novara-{role}", {"novara": [role]}))
    seoul = _seoul(world)
    for (_method, route), call in PLAIN_LISTS.items():
        path = call(seoul)
        response = client.get(path)
        if response.status_code == 403:  # a role that reads no such records anywhere
            continue
        assert response.status_code == 200, (route, response.content)
        assert response.json() == [], route
        unfiltered = client.get(path.split("?")[0]).json()
        assert not {item["subject_id"] for item in unfiltered} & {seoul["subject"].pk}, route


def test_every_route_without_a_token_is_401(world):
    anonymous = ApiClient(None)
    seoul = _seoul(world)
    for (method, route), call in CALLS.items():
        path, body = call(seoul)
        assert anonymous.call(method, path, body).status_code == 401, (method, route)
    for (_method, route), call in LISTS.items():
        assert anonymous.get(call(seoul)[0]).status_code == 401, route
    for (_method, route), call in PLAIN_LISTS.items():
        assert anonymous.get(call(seoul)).status_code == 401, route
