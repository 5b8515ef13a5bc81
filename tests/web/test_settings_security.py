"""Database choice, SQLite tuning, password hashing, log-in throttling, CSRF, sessions."""

from __future__ import annotations

import sqlite3

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from alstrial.web import db


def test_database_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ALSTRIAL_DB", str(tmp_path / "x.sqlite3"))
    config = db.database_config()
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "x.sqlite3")
    monkeypatch.delenv("ALSTRIAL_DB")
    monkeypatch.chdir(tmp_path)
    assert db.database_config()["NAME"] == str(tmp_path / "var" / "alstrial.sqlite3")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5433/trial")
    config = db.database_config()
    assert (config["ENGINE"], config["HOST"], config["PORT"], config["NAME"]) == (
        "django.db.backends.postgresql",
        "db.example",
        5433,
        "trial",
    )


def test_sqlite_connections_use_wal_and_a_busy_timeout(tmp_path, monkeypatch, django_db_blocker):
    from django.db.backends.sqlite3.base import DatabaseWrapper
    from django.db.utils import ConnectionHandler

    path = tmp_path / "wal.sqlite3"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ALSTRIAL_DB", str(path))
    handler = ConnectionHandler({"default": db.database_config()})
    wrapper = handler["default"]
    assert isinstance(wrapper, DatabaseWrapper)
    with django_db_blocker.unblock():
        wrapper.ensure_connection()
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == db.SQLITE_BUSY_TIMEOUT_SECONDS * 1000
        wrapper.close()
    # WAL is recorded in the file itself: a plain sqlite3 connection sees it.
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_production_settings_are_ready():
    from alstrial.web import settings as project

    assert project.PASSWORD_HASHERS[0] == "alstrial.web.accounts.hashers.OwaspArgon2PasswordHasher"
    assert project.SESSION_COOKIE_AGE == 30 * 60
    assert not getattr(project, "SESSION_SAVE_EVERY_REQUEST", False)
    assert "alstrial.web.accounts.sessions.IdleSessionRenewalMiddleware" in project.MIDDLEWARE
    assert project.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert "django.middleware.csrf.CsrfViewMiddleware" in project.MIDDLEWARE


def test_argon2_is_available():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("demo-password", hasher.salt())
    assert encoded.startswith("argon2$")
    assert hasher.verify("demo-password", encoded)


def test_passwords_hash_with_owasp_argon2id_parameters():
    from argon2 import extract_parameters
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from alstrial.web.accounts.hashers import OwaspArgon2PasswordHasher

    hasher = OwaspArgon2PasswordHasher()
    encoded = hasher.encode("demo-password", hasher.salt())
    parameters = extract_parameters(encoded.removeprefix("argon2"))
    assert (parameters.type.name, parameters.memory_cost, parameters.time_cost) == ("ID", 19456, 2)
    assert parameters.parallelism == 1
    assert hasher.verify("demo-password", encoded)
    assert not hasher.verify("wrong-password", encoded)
    assert not hasher.must_update(encoded)
    # A hash made with Django's heavier defaults still verifies, and is re-hashed at log-in.
    older = Argon2PasswordHasher().encode("demo-password", hasher.salt())
    assert hasher.verify("demo-password", older)
    assert hasher.must_update(older)


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account(client, make_user):
    make_user("coordinator.seoul", {"seoul": ["coordinator"]}, password="right-password-123")
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "coordinator.seoul", "password": "wrong"})
    locked = client.post(url, {"username": "coordinator.seoul", "password": "right-password-123"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_works_with_the_right_password(client, make_user):
    make_user("coordinator.seoul", {"seoul": ["coordinator"]}, password="right-password-123")
    response = client.post(
        reverse("login"), {"username": "coordinator.seoul", "password": "right-password-123"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_posts_without_csrf_token_are_refused(users, kim_trial):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["coordinator.seoul"])
    response = client.post(reverse("subjects:screen"), {"trial": "kim2009:seoul"})
    assert response.status_code == 403
    preview = client.post(reverse("assessments:alsfrs_preview"), {"speech": "4"})
    assert preview.status_code == 403


def test_deploy_check_refuses_the_development_key(settings):
    from alstrial.web.core.checks import secret_key_is_set

    settings.SECRET_KEY = "alstrial-development-only-key-not-for-production-0123456789abcdef"
    assert [e.id for e in secret_key_is_set(None)] == ["alstrial.E001"]
    settings.SECRET_KEY = "a-real-long-random-production-secret-key-0123456789-abcdefghij"
    assert secret_key_is_set(None) == []


@pytest.mark.django_db
def test_idle_session_expires_after_30_minutes(client, make_user):
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    make_user("coordinator.seoul", {"seoul": ["coordinator"]}, password="right-password-123")
    client.post(
        reverse("login"), {"username": "coordinator.seoul", "password": "right-password-123"}
    )
    assert client.get(reverse("subjects:list")).status_code == 200
    later = timezone.now() + timedelta(minutes=31)
    with mock.patch("django.contrib.sessions.backends.db.timezone.now", return_value=later):
        response = client.get(reverse("subjects:list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
