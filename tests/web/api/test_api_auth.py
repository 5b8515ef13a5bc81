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


def test_a_token_log_in_resets_the_failure_count(users, settings):
    """As a web log-in does: four failures, a success, then four more do not lock out."""
    from axes.models import AccessAttempt

    address = {"REMOTE_ADDR": "10.0.0.21"}
    below = settings.AXES_FAILURE_LIMIT - 1
    for _ in range(below):
        assert obtain_token("coordinator.seoul", "wrong", **address).status_code == 401
    assert obtain_token("coordinator.seoul", PASSWORD, **address).status_code == 200
    assert not AccessAttempt.objects.filter(username="coordinator.seoul").exists()
    for _ in range(below):
        assert obtain_token("coordinator.seoul", "wrong", **address).status_code == 401
    assert obtain_token("coordinator.seoul", PASSWORD, **address).status_code == 200


def test_failures_of_another_client_behind_the_proxy_do_not_lock_the_user_out(users, settings):
    """Behind the reverse proxy every request comes from its address: the throttle counts the
    client's address the proxy forwards, so an attacker's failures lock only the attacker."""
    settings.ALSTRIAL_TRUSTED_PROXIES = ["10.0.0.1"]
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        obtain_token("coordinator.seoul", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    attacker = obtain_token(
        "coordinator.seoul", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
    )
    assert attacker.status_code == 429
    user = obtain_token("coordinator.seoul", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy)
    assert user.status_code == 200


def test_a_client_cannot_name_its_own_address(users, settings):
    """X-Forwarded-For from anyone but a trusted proxy is ignored: a client changing the header
    on each try stays throttled by its real address."""
    settings.ALSTRIAL_TRUSTED_PROXIES = ["10.0.0.1"]
    direct = {"REMOTE_ADDR": "203.0.113.50"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        obtain_token("coordinator.seoul", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", **direct)
    again = obtain_token("coordinator.seoul", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99", **direct)
    assert again.status_code == 429


def test_access_logs_cannot_be_deleted_in_the_admin(users):
    from axes.models import AccessFailureLog, AccessLog

    obtain_token("coordinator.seoul")
    log = AccessLog.objects.get()  # the token log-in is logged as a web log-in is
    failure = AccessFailureLog.objects.create(
        username="coordinator.seoul", ip_address="192.0.2.1", user_agent="x", path_info="/"
    )
    admin_user = users["admin"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    browser = Client()
    browser.force_login(admin_user)
    for model, row in (("accesslog", log), ("accessfailurelog", failure)):
        assert browser.get(f"/admin/axes/{model}/{row.pk}/delete/").status_code == 403
        bulk = {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
        browser.post(f"/admin/axes/{model}/", bulk)
    assert AccessLog.objects.filter(pk=log.pk).exists()
    assert AccessFailureLog.objects.filter(pk=failure.pk).exists()
