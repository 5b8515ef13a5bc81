"""The audit trail: recorded, replayable, exportable, and not editable."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from alstrial.domain.alsfrs_items import ITEMS
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.audit.trail import replay, subject_trail
from alstrial.web.core.records import save_clinical
from alstrial.web.subjects.models import Subject, Visit


@pytest.fixture
def edited(enrolled_subject, users):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="SCR")
    user = users["coordinator.seoul"]
    items = {i.key: 4 for i in ITEMS if i.key != "cutting_with_gastrostomy"}
    alsfrs = save_clinical(AlsfrsAssessment(subject=subject, visit=visit, **items), user)
    alsfrs.walking = 2
    save_clinical(alsfrs, users["investigator.seoul"], "walking re-rated after review")
    alsfrs.speech = 3
    save_clinical(alsfrs, user, "speech corrected")
    return subject, alsfrs


def test_trail_names_who_when_what_and_why(edited, users):
    subject, _ = edited
    entries = [e for e in subject_trail(subject) if e.model == "ALSFRS-R"]
    assert [e.action for e in entries] == ["created", "changed", "changed"]
    change = entries[1]
    assert change.user == "investigator.seoul"
    assert change.reason == "walking re-rated after review"
    assert [(c.field, c.old, c.new) for c in change.changes if c.field != "total"] == [
        ("walking", 4, 2)
    ]
    assert change.when.tzinfo is not None  # UTC-aware


@pytest.mark.parametrize("model", [Subject, Visit, AlsfrsAssessment])
def test_trail_replays_to_the_current_state(edited, model):
    subject, _ = edited
    records = (
        model.objects.filter(pk=subject.pk)
        if model is Subject
        else model.objects.filter(subject=subject)
    )
    assert records.exists()
    for record in records:
        state = replay(model, record.pk)
        for name, value in state.items():
            assert getattr(record, name) == value, (model.__name__, name)
        assert state  # the replay holds the record's values, not nothing


def test_audit_page_and_csv(client, users, edited):
    subject, _ = edited
    client.force_login(users["investigator.seoul"])
    page = client.get(reverse("audit:subject", args=[subject.pk])).content.decode()
    assert "walking re-rated after review" in page
    response = client.get(reverse("audit:subject_csv", args=[subject.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    walking = [r for r in rows if r["field"] == "walking" and r["action"] == "changed"]
    assert walking == [
        {**walking[0], "old_value": "4", "new_value": "2", "user": "investigator.seoul"}
    ]
    assert walking[0]["timestamp_utc"].endswith("Z")


def test_history_has_no_admin_interface_to_change_it():
    for model in (Subject, Visit, AlsfrsAssessment):
        assert model.history.model not in admin.site._registry


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
@pytest.mark.usefixtures("edited")
def test_postgres_trigger_refuses_raw_update_and_delete():
    table = AlsfrsAssessment.history.model._meta.db_table
    for sql in (
        f'UPDATE "{table}" SET history_change_reason = %s',
        f'DELETE FROM "{table}" WHERE %s = %s',
    ):
        params = ["tampered"] if sql.startswith("UPDATE") else [1, 1]
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    assert AlsfrsAssessment.history.filter(history_change_reason="tampered").count() == 0
