"""Django settings for the alstrial trial operations app.

Environment (docs/web.md, "Settings"):
- ``DATABASE_URL`` / ``ALSTRIAL_DB``: see :mod:`alstrial.web.db`.
- ``DJANGO_SECRET_KEY``: required in production; without it a fixed development key is used,
  which ``alstrial manage check --deploy`` reports as an error (alstrial.E001).
- ``ALSTRIAL_ALLOWED_HOSTS``: comma-separated host names (default: local names only).
- ``ALSTRIAL_DEBUG=1``: Django debug mode (never in production).
- ``ALSTRIAL_SECURE_COOKIES=1``: cookies only over HTTPS (set it behind TLS);
  ``ALSTRIAL_SSL_REDIRECT=1``, ``ALSTRIAL_HSTS_SECONDS``, ``ALSTRIAL_BEHIND_PROXY=1``.

An app joins the project with one line in ``ALSTRIAL_APPS`` below and one line in
``alstrial.web.urls.APP_URLS``. ``alstrial demo`` calls each app's ``demo.load_demo`` in the order
of ``ALSTRIAL_APPS``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from alstrial.web.db import database_config

WEB_DIR = Path(__file__).resolve().parent

DEBUG = os.environ.get("ALSTRIAL_DEBUG") == "1"

# A development key is allowed only where it cannot protect real data: debug mode, tests and
# the demo (``alstrial demo`` sets ALSTRIAL_DEMO=1). `alstrial manage check --deploy` flags it.
_DEV_SECRET_KEY = "alstrial-development-only-key-not-for-production-0123456789abcdef"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _DEV_SECRET_KEY

_HOSTS = os.environ.get("ALSTRIAL_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
ALLOWED_HOSTS = [host.strip() for host in _HOSTS.split(",") if host.strip()]

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "simple_history",
    "axes",
    "django_htmx",
    "ninja",  # serves the API docs page's assets itself (no CDN)
]
# The alstrial apps, in dependency order; `alstrial demo` loads their demo data in this order.
# Add an app with one line here (and one in urls.py APP_URLS).
ALSTRIAL_APPS = [
    "alstrial.web.core",
    "alstrial.web.audit",
    "alstrial.web.accounts",
    "alstrial.web.trials",
    "alstrial.web.subjects",
    "alstrial.web.assessments",
    "alstrial.web.randomisation",
    "alstrial.web.product",
    "alstrial.web.safety",
    "alstrial.web.api",
    "alstrial.web.registry",
    "alstrial.web.exchange",
    "alstrial.web.design",
    "alstrial.web.reports",
    "alstrial.web.sap",
    "alstrial.web.dataquality",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + ALSTRIAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # An API body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 in the API's JSON shape, not HTML.
    "alstrial.web.api.body_limit.ApiBodyLimitMiddleware",
    # PostgreSQL cannot hold NUL in text: refused with 400 before any view (never a 500).
    "alstrial.web.nul_bytes.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Moves a logged-in session's idle expiry at most once a minute (not a write per request).
    "alstrial.web.accounts.sessions.IdleSessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Forms read and pages show times on the clock of the user's sites (docs/web.md, "Time").
    "alstrial.web.core.local_time.SiteClockMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A locked or deadlocked database answers 503 + Retry-After, never 500 (nothing was saved).
    "alstrial.web.db_busy.DatabaseBusyMiddleware",
    # An id too large for the database's integers names no object: 404, never 500.
    "alstrial.web.id_range.IdOutOfRangeMiddleware",
    # django-axes must be last: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alstrial.web.urls"
WSGI_APPLICATION = "alstrial.web.wsgi.application"
ASGI_APPLICATION = "alstrial.web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alstrial.web.core.context.roles",
            ],
        },
    },
]

DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out user before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    # Argon2id with OWASP's parameters (alstrial.web.accounts.hashers explains the choice).
    "alstrial.web.accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # verifies older hashes, then upgrades
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): 5 failures for one username from one address lock that pair
# out for 15 minutes (a wrong password typed elsewhere cannot lock the real user out); a
# successful login, web or API token, resets the count. Behind the reverse proxy the client's
# address is the X-Forwarded-For the proxies in ALSTRIAL_TRUSTED_PROXIES write
# (alstrial.web.client_address; docs/operations.md "The reverse proxy").
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "alstrial.web.client_address.client_address"
ALSTRIAL_TRUSTED_PROXIES = [
    a.strip() for a in os.environ.get("ALSTRIAL_TRUSTED_PROXIES", "").split(",") if a.strip()
]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions end after 30 minutes without a request and when the browser closes: an unattended
# ward computer must not stay logged in. The expiry moves with use, at most once a minute
# (alstrial.web.accounts.sessions): a session ends 29-30 minutes after the last request.
SESSION_COOKIE_AGE = 30 * 60
ALSTRIAL_SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
_SECURE = os.environ.get("ALSTRIAL_SECURE_COOKIES") == "1"
SESSION_COOKIE_SECURE = _SECURE
CSRF_COOKIE_SECURE = _SECURE
# Behind TLS (a later hardening step sets these for production serving).
SECURE_SSL_REDIRECT = os.environ.get("ALSTRIAL_SSL_REDIRECT") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("ALSTRIAL_HSTS_SECONDS") or 0)
if os.environ.get("ALSTRIAL_BEHIND_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Time and language ----------------------------------------------------------------------
# Audit timestamps are stored and shown in UTC (21 CFR Part 11: unambiguous time of change).
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
# Project-wide assets (CSS, vendored HTMX) live beside settings.py, outside any app.
STATICFILES_DIRS = [WEB_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("ALSTRIAL_STATIC_ROOT", "var/static")).resolve()

# simple-history: every historical row keeps who changed what and why; the trail is immutable
# (see alstrial.web.audit).
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"alstrial": {"handlers": ["console"], "level": "INFO"}},
}
