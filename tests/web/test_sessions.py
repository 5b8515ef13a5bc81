"""Idle session expiry (accounts): 30 minutes after the last request, give or take the
one-minute renewal step, and no database write for a page read within that minute."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alstrial.web.accounts.sessions import renewal_due

PASSWORD = "right-password-123"


def test_renewal_is_due_after_the_interval_and_never_before():
    assert renewal_due(None, 1000.0, 60)
    assert not renewal_due(1000.0, 1000.0, 60)
    assert not renewal_due(1000.0, 1059.9, 60)
    assert renewal_due(1000.0, 1060.0, 60)
    assert renewal_due(1000.0, 999.0, 60)  # the clock went back: renew from the current clock


@contextmanager
def clock_at(moment):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@contextmanager
def session_writes():
    """The UPDATE/INSERT statements on the session table run inside the block."""
    writes: list[str] = []

    def record(execute, sql, params, many, context):
        if "django_session" in sql and sql.lstrip().upper().startswith(("UPDATE", "INSERT")):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield writes


@pytest.fixture
def logged_in(client, make_user):
    """A coordinator logged in at ``start``; returns (client, start)."""
    make_user("coordinator.seoul", {"seoul": ["coordinator"]}, password=PASSWORD)
    start = timezone.now()
    with clock_at(start):
        response = client.post(
            reverse("login"), {"username": "coordinator.seoul", "password": PASSWORD}
        )
    assert response.status_code == 302
    return client, start


def page(client, moment):
    with clock_at(moment):
        return client.get(reverse("subjects:list"))


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


@pytest.mark.django_db
def test_a_page_read_within_a_minute_of_the_last_renewal_writes_nothing(logged_in):
    client, start = logged_in
    with session_writes() as writes:
        assert page(client, start + timedelta(seconds=30)).status_code == 200
    assert writes == []
    assert expiry(client) == start + timedelta(minutes=30)


@pytest.mark.django_db
def test_a_page_read_after_a_minute_moves_the_expiry(logged_in):
    client, start = logged_in
    later = start + timedelta(seconds=90)
    with session_writes() as writes:
        assert page(client, later).status_code == 200
    assert len(writes) == 1
    assert expiry(client) == later + timedelta(minutes=30)


@pytest.mark.django_db
def test_a_user_at_work_stays_logged_in_past_30_minutes(logged_in):
    client, start = logged_in
    for minutes in (10, 20, 30, 40, 50, 60):
        assert page(client, start + timedelta(minutes=minutes)).status_code == 200


@pytest.mark.django_db
def test_an_idle_session_ends_between_29_and_30_minutes_after_the_last_request(logged_in):
    client, start = logged_in
    last = start + timedelta(seconds=59)  # within the minute: the expiry does not move
    assert page(client, last).status_code == 200
    still = page(client, last + timedelta(minutes=29))
    assert still.status_code == 200
    # That request renewed the expiry; 30 minutes of idleness after it end the session.
    renewed = last + timedelta(minutes=29)
    gone = page(client, renewed + timedelta(minutes=30, seconds=1))
    assert gone.status_code == 302
    assert reverse("login") in gone["Location"]


@pytest.mark.django_db
def test_logging_out_leaves_no_session_to_renew(logged_in):
    client, start = logged_in
    with clock_at(start + timedelta(minutes=5)):
        client.post(reverse("logout"))
    response = page(client, start + timedelta(minutes=6))
    assert response.status_code == 302
    assert not Session.objects.filter(expire_date__gt=start + timedelta(minutes=6)).exists()
