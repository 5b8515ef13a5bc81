"""Roles outside data management write no query and no lock through the API, even with a valid
body (the access matrix sends wrong-shaped bodies only): the read-only roles (statistician,
DSMB statistician, auditor) and the unblinded pharmacy get 403 and nothing is written
(docs/datamanagement.md "Roles")."""

from __future__ import annotations

import pytest

from alstrial.web.dataquality.models import Query, TrialLock

OUTSIDE_DATA_MANAGEMENT = ("statistician", "dsmb_statistician", "auditor", "unblinded_pharmacy")


@pytest.mark.parametrize("role", OUTSIDE_DATA_MANAGEMENT)
def test_role_outside_data_management_raises_closes_and_locks_nothing(
    api, enrolled_subject, users, make_user, role
):
    subject = enrolled_subject("seoul")
    body = {
        "subject_id": subject.pk,
        "form": "subject",
        "record_id": subject.pk,
        "field": "age_years",
        "text": "Age differs from the source",
    }
    raised = api(users["cra.seoul"]).post("queries", body)
    assert raised.status_code == 201, raised.content
    qid = raised.json()["id"]
    client = api(make_user(f"matrix.{role}", {"seoul": [role]}))
    queries, locks = Query.objects.count(), TrialLock.objects.count()

    assert client.post("queries", body).status_code == 403
    assert client.post(f"queries/{qid}/answer", {"answer": "fine"}).status_code == 403
    assert client.post(f"queries/{qid}/close", {"reason": "fine"}).status_code == 403
    assert client.post(f"queries/{qid}/reopen", {"reason": "again"}).status_code == 403
    assert client.post("trials/kim2009/lock", {"reason": "x"}).status_code == 403
    assert client.post("trials/kim2009/unlock", {"reason": "x"}).status_code == 403
    assert (Query.objects.count(), TrialLock.objects.count()) == (queries, locks)
    assert Query.objects.get(pk=qid).status == "open"
