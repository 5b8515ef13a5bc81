"""Production settings (alstrial.web.production) and ``alstrial serve --production``: the deploy
check is clean, secrets are required, and the running server sends the security headers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from reliability_helpers import seed
from support.testserver import ProductionServer

ALSTRIAL = str(Path(sys.executable).with_name("alstrial"))


def _alstrial(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ALSTRIAL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _deploy_check(env: dict) -> subprocess.CompletedProcess:
    env = {**env, "DJANGO_SETTINGS_MODULE": "alstrial.web.production"}
    return _alstrial(env, "manage", "check", "--deploy", "--fail-level", "WARNING")


#: The deploy check's warnings about the PostgreSQL role (alstrial.web.audit.checks).
ROLE_WARNINGS = {"alstrial.W010", "alstrial.W011"}


def test_deploy_check_is_clean_with_the_production_settings(throwaway):
    _, env = throwaway(ALSTRIAL_PLAIN_HTTP="0")
    done = _deploy_check(env)
    if os.environ.get("DATABASE_URL"):
        # The tests connect to PostgreSQL as its superuser, which the role check rightly
        # reports (docs/operations.md "Append-only audit"); nothing else may be reported.
        reported = set(re.findall(r"\((\w+\.\w+)\)", done.stderr))
        assert reported, done.stderr
        assert reported <= ROLE_WARNINGS, done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_deploy_check_warns_when_tls_is_switched_off(throwaway):
    """The check above can fail: plain HTTP (loopback tests only) is reported."""
    _, env = throwaway(ALSTRIAL_PLAIN_HTTP="1")
    done = _deploy_check(env)
    assert done.returncode != 0
    for warning in ("security.W008", "security.W012", "security.W016", "security.W004"):
        assert warning in done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_SECRET_KEY", "", "DJANGO_SECRET_KEY must be set"),
        ("DJANGO_SECRET_KEY", "too-short", "at least 50 characters"),
        (
            "DJANGO_SECRET_KEY",
            "alstrial-development-only-key-not-for-production-0123456789abcdef",
            "fresh random value",
        ),
        ("ALSTRIAL_ALLOWED_HOSTS", " ", "ALSTRIAL_ALLOWED_HOSTS must be set"),
    ],
)
def test_serving_refuses_missing_or_weak_secrets(throwaway, variable, value, message):
    _, env = throwaway()
    done = _alstrial({**env, variable: value}, "serve", "--production", "--port", "9")
    assert done.returncode == 2
    assert message in done.stderr


def test_serving_refuses_an_unmigrated_database(throwaway):
    """Several servers must not race to migrate one database: migrate once per release."""
    _, env = throwaway()
    done = _alstrial(env, "serve", "--production", "--port", "9")
    assert done.returncode == 2
    assert "unapplied migration" in done.stderr
    assert "alstrial manage migrate" in done.stderr


@pytest.mark.slow
def test_the_server_behind_tls_sends_the_security_headers(throwaway, tmp_path):
    _, env = throwaway(ALSTRIAL_PLAIN_HTTP="0")
    plan = seed(env, tmp_path, users=1)
    https = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy sets
    with ProductionServer(env, workers=1, log=tmp_path / "server.log") as server:
        plain = requests.get(f"{server.url}/accounts/login/", allow_redirects=False, timeout=30)
        assert plain.status_code == 301
        assert plain.headers["Location"].startswith("https://127.0.0.1")

        session = requests.Session()
        session.headers.update(https)
        page = session.get(f"{server.url}/accounts/login/", timeout=30)
        assert page.status_code == 200
        headers = page.headers
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        csp = dict(
            directive.strip().split(" ", 1)
            for directive in headers["Content-Security-Policy"].split(";")
        )
        assert csp["default-src"] == "'self'"
        assert csp["frame-ancestors"] == "'none'"
        assert csp["object-src"] == "'none'"
        assert csp["script-src"].startswith("'self'")
        assert "'unsafe-inline'" not in csp["script-src"]
        assert "Secure" in headers["Set-Cookie"]
        assert "HttpOnly" in headers["Set-Cookie"]

        account = plan["users"][0]
        login = session.post(
            f"{server.url}/accounts/login/",
            data={
                "username": account["username"],
                "password": plan["password"],
                "csrfmiddlewaretoken": page.cookies["csrftoken"],
            },
            headers={"Referer": f"https://127.0.0.1:{server.port}/accounts/login/"},
            # The client talks plain HTTP to the server (the proxy's side), so its cookie jar
            # holds back Secure cookies: send the CSRF cookie as the browser would over TLS.
            cookies={"csrftoken": page.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=30,
        )
        assert login.status_code == 302, login.text[:300]
        session_cookie = next(c for c in login.cookies if c.name == "sessionid")
        assert session_cookie.secure
        assert session_cookie.has_nonstandard_attr("HttpOnly")

        # DEBUG is off: an unknown page shows no settings, paths or tracebacks.
        missing = session.get(f"{server.url}/no-such-page/", timeout=30)
        assert missing.status_code == 404
        assert "urlpatterns" not in missing.text
        assert "DEBUG" not in missing.text


def test_views_are_imported_before_the_workers_fork():
    """``import_views`` imports every view module, so forked workers start with them loaded."""
    code = (
        "import sys, django; django.setup(); "
        "from alstrial.web.serving import import_views; "
        "before = 'alstrial.web.design.views' in sys.modules; import_views(); "
        "print(before, 'alstrial.web.design.views' in sys.modules, "
        "'alstrial.web.product.views' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "alstrial.web.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"]
