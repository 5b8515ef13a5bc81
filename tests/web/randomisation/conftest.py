"""Fixtures of the randomisation suite: the shipped msc_rct trial at seoul and subjects taken
through screening, enrolment and the lead-in ALSFRS-R visits with a chosen decline."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.domain.time import DAYS_PER_MONTH

TODAY = date.today()


def items_for_total(total: int) -> dict[str, int | None]:
    """Twelve scored items (cutting without gastrostomy) that sum to ``total`` points."""
    items: dict[str, int | None] = {
        k: (None if k == "cutting_with_gastrostomy" else 4) for k in ITEM_KEYS
    }
    missing = 48 - total
    for key in items:
        if items[key] is None or missing == 0:
            continue
        taken = min(4, missing)
        items[key] -= taken
        missing -= taken
    assert sum(v for v in items.values() if v is not None) == total
    return items


@pytest.fixture
def rct_trial(sites):
    from alstrial.web.trials.services import create_bundled_trial

    return create_bundled_trial("msc_rct", [sites["seoul"]])


@pytest.fixture
def rct_subject(rct_trial, users, sites):
    """``rct_subject(onset_site="spinal", decline=1.5, enrol=True, lead_in=True)``: a subject of
    msc_rct whose three lead-in ALSFRS-R totals fall by ``decline`` points/month (exactly, on
    the lead-in visit dates), as a coordinator of seoul."""
    from alstrial.web.assessments.models import AlsfrsAssessment
    from alstrial.web.assessments.services import record_alsfrs
    from alstrial.web.subjects.services import enrol_subject, screen_subject

    coordinator = users["coordinator.seoul"]

    def make(
        onset_site="spinal",
        decline=1.5,
        *,
        enrol=True,
        lead_in=True,
        eligible=True,
        days_ago=100,
    ):
        screening_date = TODAY - timedelta(days=days_ago)
        subject = screen_subject(
            site=sites["seoul"],
            trial=rct_trial,
            user=coordinator,
            consent_date=screening_date,
            screening_date=screening_date,
            values={
                "sex": "F",
                "age_years": 55,
                "onset_site": onset_site,
                "el_escorial": "probable" if eligible else "possible",
                "alsfrs_r_total": 40,
                "fvc_percent_predicted": 85.0,
                "symptom_onset_date": screening_date - timedelta(days=300),
            },
        )
        if not enrol:
            return subject
        enrol_subject(subject, coordinator, enrolment_date=screening_date)
        if lead_in:
            visits = list(subject.visits.filter(epoch="RUN-IN").order_by("sequence"))
            first = subject.day_zero_date + timedelta(days=visits[0].target_day)
            for visit in visits:
                when = subject.day_zero_date + timedelta(days=visit.target_day)
                months = (when - first).days / DAYS_PER_MONTH
                total = round(44 - decline * months)
                record_alsfrs(
                    AlsfrsAssessment(subject=subject, visit=visit),
                    items_for_total(total),
                    coordinator,
                    visit_date=when,
                )
        subject.refresh_from_db()
        return subject

    return make


class ApiClient:
    """JSON requests to ``/api/v1`` with a bearer token obtained like any client's."""

    def __init__(self, username: str, password: str = "pw-for-tests-only"):
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)
        answer = self.client.post(
            "/api/v1/auth/token",
            data=json.dumps({"username": username, "password": password}),
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['token']}"}

    def get(self, path: str):
        return self.client.get(f"/api/v1/{path}", **self.auth)

    def post(self, path: str, body=None):
        data = json.dumps(body) if body is not None else None
        return self.client.post(
            f"/api/v1/{path}", data=data, content_type="application/json", **self.auth
        )


@pytest.fixture
def api(db):
    """``api(user)``: an API client with a fresh token of ``user``."""
    return lambda user: ApiClient(user.get_username())
