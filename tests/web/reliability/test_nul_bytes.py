"""A NUL character in any input is refused with 400 naming the field (on PostgreSQL it was a
500: text cannot hold NUL; found by the form fuzz test on the adverse-event form)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def test_query_and_form_fields_with_nul_are_refused(client, users, kim_trial):
    client.force_login(users["coordinator.seoul"])
    answer = client.get("/safety/new/", {"subject": "SEO\x00"})
    assert answer.status_code == 400
    assert b"subject: contains a NUL character" in answer.content
    answer = client.post("/safety/new/", {"subject": "\x00", "term": "Headache"})
    assert answer.status_code == 400
    assert client.get("/safety/new/", {"subject": "SEO-0001"}).status_code == 200


def test_api_json_with_nul_is_refused_in_the_error_shape(client, users):
    from alstrial.web.api.tokens import issue_token

    token = issue_token(users["coordinator.seoul"])[0]
    answer = client.post(
        "/api/v1/subjects",
        data=json.dumps({"sex": "M\u0000"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 400
    assert json.loads(answer.content)["errors"] == {
        "body": ["contains a NUL character, which no value may hold"]
    }
