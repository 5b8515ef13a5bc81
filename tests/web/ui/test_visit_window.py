"""A visit form dated outside its visit's window asks for confirmation, with the window shown,
before anything is saved (docs/web.md, 'Forms')."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from alstrial.web.assessments.models import VISIT_ASSESSMENTS

FVC = {"fvc_percent_predicted": "82.5", "fvc_litres": "3.1"}


@pytest.fixture
def visit(enrolled_subject, client, users):
    client.force_login(users["coordinator.seoul"])
    return enrolled_subject("seoul", days_ago=600).visits.get(code="FU3")


def post(client, visit, when, **extra):
    data = {"visit_date": when.isoformat(), **FVC, **extra}
    return client.post(reverse("assessments:visit_form", args=[visit.pk, "fvc"]), data)


def test_a_date_outside_the_window_is_not_saved_until_confirmed(client, visit):
    outside = visit.latest_date + timedelta(days=1)
    response = post(client, visit, outside)
    assert response.status_code == 400
    assert VISIT_ASSESSMENTS["fvc"].objects.filter(visit=visit).count() == 0
    html = response.content.decode()
    window = f"{visit.earliest_date:%Y-%m-%d} to {visit.latest_date:%Y-%m-%d}"
    assert window in html
    assert 'name="confirm_outside_window"' in html
    assert 'id="error-summary"' in html

    response = post(client, visit, outside, confirm_outside_window="on")
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.visit_date == outside
    assert visit.out_of_window


@pytest.mark.parametrize("offset", [0, "last"])
def test_a_date_inside_the_window_saves_at_once(client, visit, offset):
    when = visit.latest_date if offset == "last" else visit.earliest_date
    response = post(client, visit, when)
    assert response.status_code == 302
    assert VISIT_ASSESSMENTS["fvc"].objects.filter(visit=visit).count() == 1


def test_the_day_before_the_window_asks_too(client, visit):
    response = post(client, visit, visit.earliest_date - timedelta(days=1))
    assert response.status_code == 400
    assert "outside the window of FU3" in response.content.decode()
