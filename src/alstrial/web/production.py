"""Production settings: ``DJANGO_SETTINGS_MODULE=alstrial.web.production`` (``alstrial serve
--production`` sets it). Everything of :mod:`alstrial.web.settings`, hardened for a server that
holds real patients' data behind a TLS-terminating reverse proxy (docs/operations.md).

Environment:
- ``DJANGO_SECRET_KEY`` (required, at least 50 characters, not the development key);
- ``ALSTRIAL_ALLOWED_HOSTS`` (required, comma-separated host names the proxy forwards);
- ``DATABASE_URL`` (PostgreSQL; several app servers share one database) or ``ALSTRIAL_DB``;
- ``ALSTRIAL_HSTS_SECONDS`` (default one year; 0 while trying TLS out); ``ALSTRIAL_HSTS_PRELOAD=1``
  adds ``preload`` (the domain owner's decision);
- ``ALSTRIAL_CSRF_TRUSTED_ORIGINS`` (comma-separated ``https://host`` origins, when the public
  address differs from the host header the proxy sends);
- ``ALSTRIAL_PLAIN_HTTP=1``: **loopback benchmarks and tests only**: no HTTPS redirect, cookies
  not marked Secure, no HSTS (``manage check --deploy`` then warns, as it should).

The proxy must set ``X-Forwarded-Proto: https`` (trusted through ``SECURE_PROXY_SSL_HEADER``)
and must overwrite, never pass on, a client's own ``X-Forwarded-Proto``.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from alstrial.web.settings import *  # noqa: F403 - production extends the project settings
from alstrial.web.settings import _DEV_SECRET_KEY, MIDDLEWARE

#: Django's own deploy check (security.W009) asks for at least this many characters.
MIN_SECRET_KEY_LENGTH = 50


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set for production (docs/operations.md)")
    return value


def _listed(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = False

SECRET_KEY = _required("DJANGO_SECRET_KEY")
if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be a fresh random value of at least {MIN_SECRET_KEY_LENGTH} "
        "characters (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
_required("ALSTRIAL_ALLOWED_HOSTS")
ALLOWED_HOSTS = _listed("ALSTRIAL_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = _listed("ALSTRIAL_CSRF_TRUSTED_ORIGINS")

PLAIN_HTTP = os.environ.get("ALSTRIAL_PLAIN_HTTP") == "1"

# --- TLS (terminated by the reverse proxy) ----------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not PLAIN_HTTP
SESSION_COOKIE_SECURE = not PLAIN_HTTP
CSRF_COOKIE_SECURE = not PLAIN_HTTP
SECURE_HSTS_SECONDS = 0 if PLAIN_HTTP else int(os.environ.get("ALSTRIAL_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preloading commits the whole domain (every subdomain of the hospital's) to HTTPS in browsers
# for months: a decision for the domain's owner (ALSTRIAL_HSTS_PRELOAD=1), so its deploy-check
# reminder (security.W021) is silenced rather than the header sent by default.
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0 and os.environ.get("ALSTRIAL_HSTS_PRELOAD") == "1"
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# The login page and forms must not be readable by scripts or framed by another site.
CSRF_COOKIE_HTTPONLY = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Content-Security-Policy (django-csp 4) ----------------------------------------------------
# Scripts only from our own static files (HTMX is vendored); the label page's print button is
# the one inline handler, allowed by its hash. Inline styles are allowed: templates use style
# attributes and HTMX adds its indicator style; styles cannot run code.
INSTALLED_APPS = [*INSTALLED_APPS, "csp"]  # noqa: F405
_PRINT_BUTTON_HASH = "'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='"  # window.print()
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-hashes'", _PRINT_BUTTON_HASH],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
MIDDLEWARE = [
    *MIDDLEWARE[:1],
    "csp.middleware.CSPMiddleware",
    *MIDDLEWARE[1:],
]

# --- Static files: collected once per release, served by the reverse proxy ----------------------
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"alstrial": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
