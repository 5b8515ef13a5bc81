"""Limits of the API's inputs: an offset beyond the databases' integers and a body over the
size limit answer in the API's JSON error shape (422, 413), never 409 or an HTML page."""

from __future__ import annotations

import json

import pytest
from api_support import BASE

from alstrial.web.api.pages import MAX_OFFSET


@pytest.fixture
def coordinator(world, users, api):
    return api(users["coordinator.seoul"])


@pytest.mark.parametrize("offset", [2**63, 2**64, MAX_OFFSET + 1])
def test_an_offset_beyond_the_limit_is_named(coordinator, offset):
    response = coordinator.get(f"subjects?offset={offset}")
    assert response.status_code == 422, response.content
    assert "offset" in response.json()["errors"]


def test_the_largest_offset_is_an_empty_page(coordinator):
    response = coordinator.get(f"visits?offset={MAX_OFFSET}")
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["count"] > 0


def test_a_body_over_the_size_limit_answers_json(coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"subject_id": 1, "term": "headache", "narrative": "n" * 2000}
    response = coordinator.client.post(
        f"{BASE}/adverse-events",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {coordinator.token}",
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "1,000 bytes" in response.json()["detail"]
    assert "body" in response.json()["errors"]


def test_a_body_within_the_limit_reaches_the_api(coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = coordinator.post("adverse-events", {"subject_id": 1})
    assert response.status_code == 422  # read and judged by the API (missing fields)
