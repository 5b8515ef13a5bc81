"""Fuzz every API operation from its OpenAPI document (schemathesis) as an authorised user
(admin at both sites): no input gives a server error; every rejection is a 4xx with the API's
JSON error body. Bounded: ``MAX_EXAMPLES`` generated requests per operation, in-process (WSGI).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from alstrial.web.wsgi import application

MAX_EXAMPLES = 12

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across in-process WSGI requests, as Django's test
    client does: at the end of a request Django closes a connection whose autocommit differs
    from the settings, which inside the test's transaction it always does (PostgreSQL)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(users, enrolled_subject, in_process_requests):
    """The admin's bearer token, with an enrolled subject at each site to find."""
    from alstrial.web.api.tokens import issue_token

    enrolled_subject("seoul")
    enrolled_subject("novara")
    return issue_token(users["admin"])[0]


def rejections_are_clear(ctx, response, case) -> None:
    """A 4xx answer carries the API's JSON error body: ``{"detail": text, ...}``; the
    authorised user is never told to authenticate (else the fuzzing would test nothing)."""
    sent_token = "Authorization" in response.request.headers  # schemathesis also tries none
    if sent_token and not case.path.endswith("/auth/token"):  # fuzzed log-ins get 401, rightly
        assert response.status_code != 401, "the fuzzing user's token was refused"
    if 400 <= response.status_code < 500 and response.status_code != 405:
        try:
            body = json.loads(response.content)
        except ValueError:
            pytest.fail(f"{response.status_code} without a JSON body: {response.content[:300]!r}")
        assert isinstance(body.get("detail"), str | list), body
        assert body["detail"], body


@pytest.mark.slow
# Each request commits or rolls back on its own, as in production: inside one test transaction
# a database error the app handled (PostgreSQL aborts the transaction) would fail every later
# request of the run.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_api_input_gives_a_server_error(case, admin_token, settings):
    settings.AXES_ENABLED = False  # token requests are not log-in attempts to throttle here
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, rejections_are_clear],
    )
