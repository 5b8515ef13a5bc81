"""Token flow: obtain, use, expire, revoke, wrong password, inactive user, throttling."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from api_support import BASE, PASSWORD, ApiClient, obtain_token
from django.test import Client
from django.utils import timezone

from alstrial.web.api.models import ApiToken


def test_token_obtained_and_used(users):
    response = obtain_token("coordinator.seoul")
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) >= 40
    me = ApiClient(token).get("subjects")
    assert me.status_code == 200
    assert me.json() == {"items": [], "count": 0, "limit": 100, "offset": 0}


def test_only_a_hash_of_the_token_is_stored(users):
    token = obtain_token("coordinator.seoul").json()["token"]
    record = ApiToken.objects.get()
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list().get()]
    assert not any(token in value for value in stored)
    assert record.expires_at > timezone.now() + timedelta(hours=7)
    assert record.expires_at <= timezone.now() + timedelta(hours=8)


def test_missing_malformed_or_unknown_token_is_401(users):
    assert ApiClient(None).get("subjects").status_code == 401
    assert ApiClient("not-a-token").get("subjects").status_code == 401
    raw = Client().get(f"{BASE}/subjects", HTTP_AUTHORIZATION="Token abc")
    assert raw.status_code == 401
    assert raw.json()["detail"]


def test_browser_session_does_not_authenticate_the_api(users):
    """Only bearer tokens: a logged-in browser cannot be driven by a forged cross-site call."""
    client = Client()
    client.force_login(users["coordinator.seoul"])
    assert client.get(f"{BASE}/subjects").status_code == 401


def test_expired_token_is_refused(users):
    token = obtain_token("coordinator.seoul").json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiClient(token).get("subjects").status_code == 401


def test_revoked_token_is_refused_and_others_still_work(users):
    first = ApiClient(obtain_token("coordinator.seoul").json()["token"])
    second = ApiClient(obtain_token("coordinator.seoul").json()["token"])
    assert first.call("delete", "auth/token").status_code == 204
    assert first.get("subjects").status_code == 401
    assert second.get("subjects").status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1


def test_wrong_password_and_unknown_user_answer_alike(users):
    wrong = obtain_token("coordinator.seoul", "not-the-password")
    unknown = obtain_token("nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token_and_loses_existing_ones(users):
    user = users["coordinator.seoul"]
    client = ApiClient(obtain_token(user.username).json()["token"])
    user.is_active = False
    user.save()
    assert client.get("subjects").status_code == 401
    assert obtain_token(user.username).status_code == 401


def test_login_body_is_validated(users):
    response = Client().post(
        f"{BASE}/auth/token", data={"username": ""}, content_type="application/json"
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"username", "password"}


def test_repeated_failures_are_throttled_like_the_browser_login(users, settings):
    """django-axes: 5 failures per username and address lock that pair out (429), even with
    the right password; another address is not locked."""
    address = {"REMOTE_ADDR": "10.0.0.7"}
    statuses = [
        obtain_token("coordinator.seoul", "wrong-password", **address).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429  # the failure that reaches the limit is already locked out
    locked = obtain_token("coordinator.seoul", PASSWORD, **address)
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    assert "too many failed logins" in locked.json()["detail"]
    assert not ApiToken.objects.exists()
    assert obtain_token("coordinator.seoul", PASSWORD, REMOTE_ADDR="10.0.0.8").status_code == 200


def test_browser_login_failures_count_towards_the_api_lockout(users, settings):
    address = {"REMOTE_ADDR": "10.0.0.9"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/accounts/login/",
            {"username": "coordinator.seoul", "password": "wrong-password"},
            **address,
        )
    assert obtain_token("coordinator.seoul", PASSWORD, **address).status_code == 429


def test_an_administrator_revokes_tokens_in_the_admin(users):
    token = obtain_token("coordinator.seoul").json()["token"]
    admin_user = users["admin"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    browser = Client()
    browser.force_login(admin_user)
    listing = browser.get("/admin/api/apitoken/")
    assert listing.status_code == 200
    assert token not in listing.content.decode()
    record = ApiToken.objects.get()
    response = browser.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [record.pk]},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert ApiClient(token).get("subjects").status_code == 401


def test_token_answer_gives_its_expiry_in_utc(users):
    answer = obtain_token("coordinator.seoul").json()
    expires = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
    assert expires.utcoffset() == timedelta(0)
    assert abs(expires - ApiToken.objects.get().expires_at) < timedelta(milliseconds=1)


def test_password_change_ends_every_token(users):
    user = users["coordinator.seoul"]
    client = ApiClient(obtain_token(user.username).json()["token"])
    assert client.get("subjects").status_code == 200
    user.set_password("a-new-long-password-for-tests")
    user.save()
    assert client.get("subjects").status_code == 401
    fresh = obtain_token(user.username, "a-new-long-password-for-tests").json()["token"]
    assert ApiClient(fresh).get("subjects").status_code == 200


def test_logins_are_logged_without_the_password(users, caplog):
    caplog.set_level("INFO", logger="alstrial.api")
    obtain_token("coordinator.seoul", "wrong-password-123")
    token = obtain_token("coordinator.seoul").json()["token"]
    text = caplog.text
    assert "API login refused: 'coordinator.seoul'" in text
    assert "issued to coordinator.seoul" in text
    assert "wrong-password-123" not in text
    assert PASSWORD not in text
    assert token not in text
