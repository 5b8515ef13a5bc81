"""Fixtures of the API tests: a bearer-token client per user and a small two-site world.

``api(user)`` returns a client whose requests carry that user's token (obtained through
``POST /api/v1/auth/token``, like any client); ``world`` holds enrolled subjects at both sites
with a weight, a released lot each, an ALSFRS-R and an adverse event, all made through the
services as the users of their own site.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

PASSWORD = "pw-for-tests-only"  # tests/web/conftest.py make_user's default
BASE = "/api/v1"

ITEMS = {
    "speech": 4,
    "salivation": 3,
    "swallowing": 4,
    "handwriting": 3,
    "cutting_without_gastrostomy": 3,
    "cutting_with_gastrostomy": None,
    "dressing_hygiene": 3,
    "turning_in_bed": 4,
    "walking": 3,
    "climbing_stairs": 2,
    "dyspnea": 4,
    "orthopnea": 4,
    "respiratory_insufficiency": 4,
}


class ApiClient:
    """JSON requests with a bearer token; ``.call(method, path, body)`` gives the response."""

    def __init__(self, token: str | None):
        self.client = Client(enforce_csrf_checks=True)
        self.token = token

    def call(self, method: str, path: str, body=None, **headers):
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        data = json.dumps(body, default=str) if body is not None else None
        url = path if path.startswith("/") else f"{BASE}/{path}"
        return getattr(self.client, method.lower())(
            url, data=data, content_type="application/json", **headers
        )

    def get(self, path, **kw):
        return self.call("get", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("post", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("put", path, body, **kw)


def obtain_token(username: str, password: str = PASSWORD, **extra):
    return Client(enforce_csrf_checks=True).post(
        f"{BASE}/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def api(db):
    """``api(user)``: a client authenticated with a fresh token of ``user``."""

    def make(user) -> ApiClient:
        response = obtain_token(user.get_username())
        assert response.status_code == 200, response.content
        return ApiClient(response.json()["token"])

    return make


@pytest.fixture
def zones(sites):
    from alstrial.web.safety.models import SiteSafetySettings

    SiteSafetySettings.objects.create(site=sites["seoul"], time_zone="Asia/Seoul")
    SiteSafetySettings.objects.create(site=sites["novara"], time_zone="Europe/Rome")


def ae_report(subject, **changes) -> dict:
    """A valid, non-serious headache report for ``subject`` (API field names)."""
    from alstrial.web.safety.rules import trial_causes

    onset = subject.consent_date + timedelta(days=10)
    causes = trial_causes(subject.trial.protocol)
    return {
        "subject_id": subject.pk,
        "term": "headache",
        "onset_date": onset.isoformat(),
        "resolution_date": (onset + timedelta(days=2)).isoformat(),
        "grade": 1,
        "serious": False,
        "seriousness_criteria": [],
        **{f"relatedness_{cause}": "unlikely" for cause in causes},
        "action_taken": "none",
        "outcome": "recovered",
        **changes,
    }


def done_visit_with(subject, form_key: str):
    """The first done visit of ``subject`` that collects ``form_key``."""
    visits = subject.visits.filter(status="done").order_by("sequence")
    return next(v for v in visits if form_key in (v.forms or []))


def open_visit_with(subject, form_key: str):
    """The first scheduled visit of ``subject`` that collects ``form_key``."""
    visits = subject.visits.filter(status="scheduled").order_by("sequence")
    return next(v for v in visits if form_key in (v.forms or []))


def administration_body(subject, lot, **changes) -> dict:
    """A correct bedside administration of ``lot`` to ``subject`` (API field names)."""
    route = subject.trial.protocol.interventions.route.name
    body = {
        "subject_id": subject.pk,
        "scanned_subject_id": subject.code,
        "scanned_lot_id": lot.code,
        "route": route,
    }
    if route == "intraspinal":
        body.update(spinal_level="T3-T7", pump_rate_ul_per_min=10.0)
    return {**body, **changes}


@pytest.fixture
def world(enrolled_subject, users, sites, zones):
    """Per site: an enrolled subject with a 70 kg weight, dose 1 made, released and given
    (``administration``), dose 2's lot released (``lot``; at Novara, whose protocol has one
    dose, a second lot of dose 1), an ALSFRS-R at the first done visit that collects one, and
    an adverse event. ``world[site]`` is a dict of those objects."""
    from alstrial.web.assessments.models import AlsfrsAssessment
    from alstrial.web.core.records import save_clinical
    from alstrial.web.product.administration import administer_dose
    from alstrial.web.product.demo import build_lot, ensure_weight
    from alstrial.web.product.models import ReleaseAuthority
    from alstrial.web.safety.services import record_adverse_event

    out = {}
    for site in ("seoul", "novara"):
        coordinator = users[f"coordinator.{site}"]
        lab = users[f"celllab.{site}"]
        ReleaseAuthority.objects.create(user=lab, site=sites[site])
        subject = enrolled_subject(site)
        ensure_weight(subject, coordinator)
        given_lot = build_lot(subject, lab, lab, stage="released", password=PASSWORD)
        body = administration_body(subject, given_lot)
        body.pop("subject_id")
        administration = administer_dose(subject, users["admin"], **body, channel="import")
        doses = subject.trial.protocol.interventions.administrations.count
        next_dose = 2 if doses >= 2 else 1
        lot = build_lot(
            subject, lab, lab, stage="released", password=PASSWORD, dose_number=next_dose
        )
        visit = done_visit_with(subject, "alsfrs_r")
        alsfrs = save_clinical(AlsfrsAssessment(subject=subject, visit=visit, **ITEMS), coordinator)
        data = {k: v for k, v in ae_report(subject).items() if k != "subject_id"}
        ae = record_adverse_event(subject, {**data, "serious": "no"}, coordinator)
        out[site] = {
            "subject": subject,
            "lot": lot,
            "administration": administration,
            "alsfrs": alsfrs,
            "ae": ae,
            "visit": visit,
        }
    return out
