"""The query API: list with filters and age, raise by hand, answer, close, re-open; roles,
site isolation and named errors (docs/api.md, "Queries")."""

from __future__ import annotations

import pytest

from alstrial.web.assessments.models import FvcAssessment
from alstrial.web.assessments.services import record_visit_form


@pytest.fixture
def cra(users):
    return users["cra.seoul"]  # the demo's monitor (CRA)


def test_query_life_cycle_through_the_api(api, enrolled_subject, users, cra):
    subject = enrolled_subject()
    coordinator = users["coordinator.seoul"]
    visit = next(v for v in subject.visits.order_by("sequence") if "fvc" in v.forms)
    fvc = record_visit_form(
        FvcAssessment(subject=subject, visit=visit, fvc_percent_predicted=35.0),
        coordinator,
        visit_date=subject.screening_date,
    )
    monitor, site = api(cra), api(coordinator)

    raised = monitor.post(
        "queries",
        {
            "subject_id": subject.pk,
            "form": "subject",
            "record_id": subject.pk,
            "field": "age_years",
            "text": "Age differs from the source",
        },
    )
    assert raised.status_code == 201, raised.content
    manual = raised.json()
    assert (manual["origin"], manual["status"], manual["age_days"]) == ("manual", "open", 0)

    listed = site.get(f"queries?subject_id={subject.pk}&status=open").json()
    by_origin = {q["origin"]: q for q in listed if q["form"] in ("fvc", "subject")}
    assert by_origin["check"]["record_id"] == fvc.pk
    assert by_origin["check"]["field"] == "fvc_percent_predicted"
    assert by_origin["check"]["check"] == "fvc_low"
    assert set(by_origin["check"]) >= {
        "id",
        "subject_id",
        "form",
        "field",
        "status",
        "origin",
        "text",
        "opened_at",
    }

    qid = manual["id"]
    assert monitor.post(f"queries/{qid}/answer", {"answer": "fine"}).status_code == 403
    answered = site.post(f"queries/{qid}/answer", {"answer": "the source says 52"})
    assert answered.json()["status"] == "answered"
    assert site.get("queries?status=answered").json()[0]["id"] == qid
    assert site.post(f"queries/{qid}/close", {}).status_code == 403
    again = site.post(f"queries/{qid}/answer", {"answer": "again"})
    assert again.status_code == 422
    assert "status" in again.json()["errors"]
    reopened = monitor.post(f"queries/{qid}/reopen", {"reason": "source shows 53"})
    assert reopened.json()["status"] == "open"
    site.post(f"queries/{qid}/answer", {"answer": "corrected to 53"})
    closed = monitor.post(f"queries/{qid}/close", {"reason": "agreed"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


def test_query_api_errors_and_isolation(api, enrolled_subject, users, cra):
    seoul, novara = enrolled_subject("seoul"), enrolled_subject("novara")
    monitor = api(cra)
    body = {"subject_id": seoul.pk, "form": "subject", "record_id": seoul.pk, "field": "x"}
    bad = monitor.post("queries", {**body, "text": "?"})
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["field"]
    assert monitor.post("queries", {**body, "field": "sex"}).status_code == 422  # no text
    other_site = {**body, "subject_id": novara.pk, "record_id": novara.pk, "field": "sex"}
    assert monitor.post("queries", {**other_site, "text": "?"}).status_code == 404
    assert monitor.post("queries/999999/close", {}).status_code == 404
    # The statistician reads no queries (their text is free text).
    assert api(users["statistician"]).get("queries").status_code == 403
    assert api(users["coordinator.novara"]).get(f"queries?subject_id={seoul.pk}").json() == []
