"""Fixtures of the randomisation suite: the shipped msc_rct trial at seoul, subjects taken
through screening, enrolment and the lead-in ALSFRS-R visits with a chosen decline, and an API
client with a bearer token."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def rct_trial(sites):
    from alstrial.web.trials.services import create_bundled_trial

    return create_bundled_trial("msc_rct", [sites["seoul"]])


@pytest.fixture
def rct_subject(rct_trial, users, sites):
    """``rct_subject(onset_site="spinal", decline=1.5, enrol=True, lead_in=True,
    eligible=True)``: a subject of msc_rct whose three lead-in ALSFRS-R totals fall by
    ``decline`` points/month, made as a coordinator of seoul (tests/support/randomised.py)."""
    from support.randomised import ready_subject

    def make(**kwargs):
        return ready_subject(rct_trial, sites["seoul"], users["coordinator.seoul"], **kwargs)

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
