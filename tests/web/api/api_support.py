"""Helpers of the API tests (constants, a bearer-token client, request bodies).

Kept out of ``conftest.py`` so tests import them by a unique module name: ``from conftest
import ...`` resolves to whichever ``conftest`` was imported first under pytest-xdist.
"""

from __future__ import annotations

import json
from datetime import timedelta

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
