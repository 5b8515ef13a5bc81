"""An id too large for the database's integers is a missing object (404), never a 500 (found by
the API fuzz test: ``?visit_id=156361073164337761222656`` crashed SQLite's driver)."""

from __future__ import annotations

import json

import pytest

HUGE = "156361073164337761222656"  # > 2**63


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/subjects/{HUGE}",
        f"/api/v1/visits/{HUGE}",
        f"/api/v1/lots/{HUGE}",
    ],
)
def test_api_answers_404_in_its_error_shape(users, client, url):
    from alstrial.web.api.tokens import issue_token

    token = issue_token(users["admin"])[0]
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404
    assert json.loads(response.content) == {"detail": "not found", "errors": {}}


@pytest.mark.django_db
def test_a_list_filtered_by_a_huge_id_is_empty_or_404(users, client):
    """PostgreSQL's backend matches nothing (an empty page); SQLite's driver overflows, which
    the middleware answers 404. Neither is a server error."""
    from alstrial.web.api.tokens import issue_token

    token = issue_token(users["admin"])[0]
    url = f"/api/v1/assessments/alsfrs?visit_id={HUGE}"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.loads(response.content)
    if response.status_code == 200:
        assert body["count"] == 0
    else:
        assert (response.status_code, body["detail"]) == (404, "not found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", [f"/subjects/{HUGE}/", f"/assessments/visit/{HUGE}/alsfrs_r/", f"/product/lots/{HUGE}/"]
)
def test_pages_answer_404(users, client, url):
    client.force_login(users["admin"])
    assert client.get(url).status_code == 404


def test_other_errors_pass_through():
    from django.db import DataError
    from django.test import RequestFactory

    from alstrial.web.id_range import IdOutOfRangeMiddleware

    middleware = IdOutOfRangeMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), DataError("other")) is None
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None
