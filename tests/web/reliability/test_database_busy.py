"""A locked database gives a bounded wait, then a clear 503 with Retry-After; never a 500,
never a half-saved form (alstrial.web.db_busy)."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date

import psycopg
import pytest
from django.db import OperationalError
from django.test import RequestFactory
from reliability_helpers import Coordinator, seed, verify
from support.loadtest import alsfrs_post, form_version, random_items
from support.testserver import ProductionServer

from alstrial.web import db_busy


def _middleware():
    return db_busy.DatabaseBusyMiddleware(lambda request: None)


@pytest.mark.parametrize(
    "message", ["database is locked", "database table is locked", "Database is locked"]
)
def test_sqlite_lock_answers_503_with_retry_after(message):
    request = RequestFactory().post("/assessments/visit/1/alsfrs_r/")
    response = _middleware().process_exception(request, OperationalError(message))
    assert response.status_code == 503
    assert int(response["Retry-After"]) == db_busy.RETRY_AFTER_SECONDS
    assert b"nothing was saved" in response.content


@pytest.mark.parametrize(
    "cause", [psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure]
)
def test_postgres_lock_conflicts_answer_503_in_json_on_the_api(cause):
    error = OperationalError("conflict")
    error.__cause__ = cause("conflict")
    request = RequestFactory().post("/api/v1/subjects/")
    response = _middleware().process_exception(request, error)
    assert response.status_code == 503
    assert json.loads(response.content)["detail"] == db_busy.BUSY_MESSAGE


@pytest.mark.parametrize(
    "error", [OperationalError("no such table: subjects_subject"), ValueError("database is locked")]
)
def test_other_errors_are_not_disguised_as_busy(error):
    assert _middleware().process_exception(RequestFactory().get("/"), error) is None


def test_handler500_turns_a_busy_error_outside_a_view_into_503(settings):
    request = RequestFactory().get("/subjects/")
    try:
        raise OperationalError("database is locked")  # e.g. the session save after the view
    except OperationalError:
        response = db_busy.server_error(request)
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        assert db_busy.server_error(request).status_code == 500


def test_a_session_save_that_met_the_lock_answers_503_not_400():
    """Django turns a failed session save into SessionInterrupted (400, "you logged out")."""
    from django.contrib.sessions.exceptions import SessionInterrupted

    request = RequestFactory().get("/subjects/")
    interrupted = SessionInterrupted("The request's session was deleted")
    interrupted.__context__ = OperationalError("database is locked")  # as Django raises it
    assert db_busy.bad_request(request, interrupted).status_code == 503
    assert db_busy.bad_request(request, SessionInterrupted("really gone")).status_code == 400


@pytest.mark.slow
def test_a_locked_sqlite_file_gives_503_then_the_retry_saves(throwaway, tmp_path):
    """Another process holds SQLite's write lock longer than the busy timeout (1 s here)."""
    database, env = throwaway(ALSTRIAL_SQLITE_BUSY_TIMEOUT="1")
    if database.vendor != "sqlite":
        pytest.skip("SQLite's file lock; PostgreSQL lock conflicts are covered above")
    plan = seed(env, tmp_path, users=1)
    account = plan["users"][0]
    visit = account["subjects"][0]["visits"][0]
    items = random_items(random.Random(3))
    with ProductionServer(env, workers=1, log=tmp_path / "server.log") as server:
        coordinator = Coordinator(server.url, account["username"], plan["password"])
        coordinator.log_in()
        page = coordinator.get(f"/assessments/visit/{visit}/alsfrs_r/")
        assert page.status_code == 200
        url = f"/assessments/visit/{visit}/alsfrs_r/"
        refused = {"visit": visit, "reason": "sent while locked", "items": items}
        body = alsfrs_post(items, date.today(), refused["reason"], form_version(page.text))
        locker = sqlite3.connect(database.name, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock, held across the requests
        try:
            answer = coordinator.post(url, body)
            assert answer.status_code == 503, answer.text[:300]
            assert answer.headers["Retry-After"] == str(db_busy.RETRY_AFTER_SECONDS)
            # A page read writes nothing (the session was renewed less than a minute ago), so
            # it is served while the lock is held: WAL readers never wait for the writer.
            assert coordinator.get(f"/subjects/{account['subjects'][0]['id']}/").status_code == 200
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        answer, saved = coordinator.save_alsfrs(visit, items)
        assert answer.status_code == 302
    (tmp_path / "acks.jsonl").write_text(json.dumps(saved) + "\n")
    result = verify(env, tmp_path / "acks.jsonl")
    assert result["ok"], result
    # The refused attempt left nothing: one audit row (the retry), version 1.
    (tmp_path / "refused.jsonl").write_text(json.dumps(refused) + "\n")
    assert verify(env, tmp_path / "refused.jsonl")["missing"] == [refused]
