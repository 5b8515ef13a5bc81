"""Bad input through the API: 422 naming each bad field (400 for a body that is not JSON),
and nothing saved. The rules are the domain's (ALSFRS-R, visit dates, adverse events)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from api_support import BASE, ITEMS, ae_report, open_visit_with

from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.subjects.models import Subject, Visit

TODAY = date.today()


@pytest.fixture
def coordinator(world, users, api):
    return api(users["coordinator.seoul"])


def _state(subject):
    """Everything these writes could touch, to prove that a refusal wrote nothing."""
    return {
        "alsfrs": list(AlsfrsAssessment.objects.filter(subject=subject).values()),
        "visits": list(Visit.objects.filter(subject=subject).values()),
        "events": list(AdverseEvent.objects.filter(subject=subject).values()),
        "subject": Subject.objects.filter(pk=subject.pk).values().get(),
        "history": Visit.history.count() + AlsfrsAssessment.history.count(),
    }


def _refused(response, *fields, status=422):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"]
    assert set(fields) <= set(body["errors"]), body
    for field in fields:
        assert all(isinstance(m, str) and m for m in body["errors"][field])
    return body


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"speech": 5}, ["speech"]),
        ({"walking": -1}, ["walking"]),
        ({"dyspnea": 5, "orthopnea": 7}, ["dyspnea", "orthopnea"]),
        ({"cutting_with_gastrostomy": 2}, ["cutting_with_gastrostomy"]),  # 5a and 5b
        ({"cutting_without_gastrostomy": None}, ["cutting_without_gastrostomy"]),  # neither
        ({"swallowing": None}, ["swallowing"]),
        ({"speech": "four"}, ["speech"]),  # not a number: the schema names it
        ({"speach": 4}, ["speach"]),  # a misspelt item is refused, not dropped
        ({"speech": True}, ["speech"]),  # true is not 1
        ({"walking": "3"}, ["walking"]),  # a string is not a score
        ({"visit_id": True}, ["visit_id"]),  # nor an identifier
    ],
)
def test_bad_alsfrs_items_are_named_and_nothing_saved(world, coordinator, changes, fields):
    subject = world["seoul"]["subject"]
    visit = open_visit_with(subject, "alsfrs_r")
    before = _state(subject)
    body = {"visit_id": visit.pk, "visit_date": str(TODAY), **ITEMS, **changes}
    _refused(coordinator.post("assessments/alsfrs", body), *fields)
    assert _state(subject) == before  # the visit date was not recorded either


def test_bad_items_on_update_are_named_and_nothing_saved(world, coordinator):
    alsfrs = world["seoul"]["alsfrs"]
    before = _state(alsfrs.subject)
    body = {**ITEMS, "cutting_with_gastrostomy": 3, "reason": "5b", "version": alsfrs.version}
    _refused(coordinator.put(f"assessments/alsfrs/{alsfrs.pk}", body), "cutting_with_gastrostomy")
    assert _state(alsfrs.subject) == before


@pytest.mark.parametrize(
    ("visit_date", "why"),
    [
        (lambda s: s.consent_date - timedelta(days=1), "before consent"),
        (lambda s: TODAY + timedelta(days=1), "in the future"),
    ],
)
def test_visit_date_before_consent_or_in_future(world, coordinator, visit_date, why):
    subject = world["seoul"]["subject"]
    visit = open_visit_with(subject, "alsfrs_r")
    before = _state(subject)
    when = str(visit_date(subject))
    body = {"status": "done", "visit_date": when, "version": visit.version}
    errors = _refused(coordinator.put(f"visits/{visit.pk}", body), "visit_date")["errors"]
    assert any(why in message for message in errors["visit_date"])
    alsfrs = {"visit_id": visit.pk, "visit_date": when, **ITEMS}
    _refused(coordinator.post("assessments/alsfrs", alsfrs), "visit_date")
    assert _state(subject) == before


def test_missed_visit_needs_its_reason(world, coordinator):
    subject = world["seoul"]["subject"]
    visit = open_visit_with(subject, "alsfrs_r")
    before = _state(subject)
    body = {"status": "missed", "missed_reason": " ", "version": visit.version}
    _refused(coordinator.put(f"visits/{visit.pk}", body), "missed_reason")
    _refused(coordinator.put(f"visits/{visit.pk}", {"status": "cancelled", "version": 1}), "status")
    assert _state(subject) == before


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (
            lambda s: {"resolution_date": str(s.consent_date + timedelta(days=5))},
            ["resolution_date"],
        ),  # onset is consent + 10 days
        (lambda s: {"onset_date": str(s.consent_date - timedelta(days=1))}, ["onset_date"]),
        (lambda s: {"onset_date": str(TODAY + timedelta(days=2))}, ["onset_date"]),
        (lambda s: {"grade": 6}, ["grade"]),
        (lambda s: {"serious": True, "seriousness_criteria": []}, ["seriousness_criteria"]),
        (lambda s: {"outcome": "recovering"}, ["resolution_date"]),
        (lambda s: {"grade": "severe"}, ["grade"]),
        (lambda s: {"grade": True}, ["grade"]),
    ],
)
def test_bad_adverse_events_are_named_and_nothing_saved(world, coordinator, changes, fields):
    subject = world["seoul"]["subject"]
    before = _state(subject)
    response = coordinator.post("adverse-events", ae_report(subject, **changes(subject)))
    _refused(response, *fields)
    assert _state(subject) == before


def test_ae_follow_up_with_bad_dates_changes_nothing(world, coordinator):
    ae = world["seoul"]["ae"]
    before = _state(ae.subject)
    report = {k: v for k, v in ae_report(ae.subject).items() if k != "subject_id"}
    report["resolution_date"] = str(ae.onset_date - timedelta(days=1))
    body = {**report, "reason": "follow-up", "version": ae.version}
    _refused(coordinator.put(f"adverse-events/{ae.pk}", body), "resolution_date")
    assert _state(ae.subject) == before


def test_screening_without_consent_is_refused(world, coordinator):
    count = Subject.objects.count()
    body = {"site": "seoul", "trial": "kim2009", "screening_date": str(TODAY)}
    _refused(coordinator.post("subjects", body), "consent_date", "symptom_onset_date")
    assert Subject.objects.count() == count


def test_body_that_is_not_json_is_400(world, coordinator):
    response = coordinator.client.post(
        f"{BASE}/assessments/alsfrs",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {coordinator.token}",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "the request body is not valid JSON"


def test_wrong_query_type_is_named(world, coordinator):
    _refused(coordinator.get("visits?subject_id=abc"), "subject_id")
    _refused(coordinator.get("visits/abc"), "visit_id")


def test_form_on_a_visit_that_does_not_collect_it_names_visit_id(world, coordinator):
    subject = world["seoul"]["subject"]
    visits = subject.visits.filter(status="scheduled").order_by("sequence")
    visit = next(v for v in visits if "alsfrs_r" not in (v.forms or []))
    before = _state(subject)
    body = {"visit_id": visit.pk, "visit_date": str(TODAY), **ITEMS}
    errors = _refused(coordinator.post("assessments/alsfrs", body), "visit_id")["errors"]
    assert "visit" not in errors  # the model's name is reported as the body's
    assert _state(subject) == before


def test_times_without_a_time_zone_are_refused(world, users, api):
    """A bedside time without its zone is ambiguous by hours: refused, nothing given."""
    from api_support import administration_body

    from alstrial.web.product.models import Administration, RefusedAttempt

    seoul = world["seoul"]
    body = administration_body(seoul["subject"], seoul["lot"], administered_at="2026-11-21T10:00")
    response = api(users["investigator.seoul"]).post("administrations", body)
    _refused(response, "administered_at")
    assert not Administration.objects.filter(lot=seoul["lot"]).exists()
    assert not RefusedAttempt.objects.filter(subject=seoul["subject"]).exists()  # never reached
    lab = api(users["celllab.seoul"])
    _refused(
        lab.post(f"lots/{seoul['lot'].pk}/dose", {"formulated_at": "2026-11-21 09:00"}),
        "formulated_at",
    )
