"""Bad input on every visit form: refused with a message naming the field, nothing saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alstrial.web.assessments.models import VISIT_ASSESSMENTS, EndpointEvent
from alstrial.web.subjects.models import VisitStatus

GOOD = {
    "fvc": {"fvc_percent_predicted": "82.5", "fvc_litres": "3.1"},
    "weight": {"weight_kg": "64.2"},
    "vitals": {"systolic_mmhg": "120", "diastolic_mmhg": "80", "heart_rate_bpm": "70"},
    "conmed": {"riluzole": "on"},
    "mri_spine": {"cord_volume_ml": "18.2", "notes": "no change"},
}
BAD = [
    ("fvc", {"fvc_percent_predicted": "250"}, "fvc_percent_predicted"),
    ("fvc", {"fvc_percent_predicted": "-1"}, "fvc_percent_predicted"),
    ("fvc", {"fvc_litres": "12"}, "fvc_litres"),
    ("weight", {"weight_kg": "5"}, "weight_kg"),
    ("weight", {"weight_kg": "heavy"}, "weight_kg"),
    ("vitals", {"systolic_mmhg": "400"}, "systolic_mmhg"),
    ("vitals", {"diastolic_mmhg": "130", "systolic_mmhg": "120"}, "diastolic_mmhg"),
    ("vitals", {"temperature_c": "50"}, "temperature_c"),
    ("mri_spine", {"cord_volume_ml": "500"}, "cord_volume_ml"),
]


@pytest.fixture
def visit(enrolled_subject, client, users):
    client.force_login(users["coordinator.seoul"])
    return enrolled_subject("seoul", days_ago=200).visits.get(code="FU3")


def post(client, visit, key, values, when=None):
    data = {"visit_date": (when or visit.earliest_date).isoformat(), **GOOD[key], **values}
    return client.post(reverse("assessments:visit_form", args=[visit.pk, key]), data)


@pytest.mark.parametrize("key", sorted(GOOD))
def test_good_input_saves(client, visit, key):
    response = post(client, visit, key, {})
    assert response.status_code == 302
    assert VISIT_ASSESSMENTS[key].objects.filter(visit=visit).count() == 1


@pytest.mark.parametrize(("key", "values", "field"), BAD)
def test_bad_input_names_the_field_and_saves_nothing(client, visit, key, values, field):
    response = post(client, visit, key, values)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not VISIT_ASSESSMENTS[key].objects.filter(visit=visit).exists()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


@pytest.mark.parametrize("key", sorted(GOOD))
def test_future_visit_date_is_refused_on_every_form(client, visit, key):
    response = post(client, visit, key, {}, when=timezone.localdate() + timedelta(days=1))
    assert response.status_code == 400
    assert "visit_date" in response.context["form"].errors
    assert not VISIT_ASSESSMENTS[key].objects.filter(visit=visit).exists()


def test_a_form_the_visit_does_not_collect_is_404(client, users, enrolled_subject):
    client.force_login(users["coordinator.seoul"])
    visit = enrolled_subject("seoul").visits.get(code="HARV2")  # no ALSFRS-R at HARV2
    url = reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "death", "event_date": "2999-01-01"}, "event_date"),
        ({"kind": "death", "event_date": "1990-01-01"}, "event_date"),
        ({"kind": "coma", "event_date": "2020-01-01"}, "kind"),
        ({"kind": "tracheostomy"}, "event_date"),
    ],
)
def test_endpoint_bad_input(client, visit, values, field):
    response = client.post(reverse("assessments:endpoint_new", args=[visit.subject.pk]), values)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not EndpointEvent.objects.exists()


def test_visit_page_conflict(client, visit):
    url = reverse("subjects:visit", args=[visit.pk])
    first = {"outcome": "done", "visit_date": visit.earliest_date.isoformat(), "version": 1}
    assert client.post(url, first).status_code == 302
    stale = {**first, "visit_date": visit.target_date.isoformat(), "reason": "date fixed"}
    response = client.post(url, stale)
    assert response.status_code == 409
    assert "Reload the page" in response.content.decode()
    visit.refresh_from_db()
    assert visit.visit_date == visit.earliest_date


def test_delete_a_form_with_a_reason(client, visit):
    from alstrial.web.assessments.models import WeightAssessment
    from alstrial.web.audit.trail import replay

    assert post(client, visit, "weight", {}).status_code == 302
    record = WeightAssessment.objects.get(visit=visit)
    url = reverse("assessments:visit_form_delete", args=[visit.pk, "weight"])
    client.post(url, {"version": record.version})  # no reason: refused
    assert WeightAssessment.objects.filter(pk=record.pk).exists()
    client.post(url, {"version": record.version, "reason": "entered on the wrong visit"})
    assert not WeightAssessment.objects.filter(pk=record.pk).exists()
    assert replay(WeightAssessment, record.pk) is None
    last = WeightAssessment.history.filter(id=record.pk).latest("history_date")
    assert (last.history_type, last.history_change_reason) == ("-", "entered on the wrong visit")
