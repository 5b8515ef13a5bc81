"""Idle sessions end 30 minutes after the last request, without a database write per request.

An unattended ward computer must not stay logged in (``SESSION_COOKIE_AGE``, 30 minutes).
Django's ``SESSION_SAVE_EVERY_REQUEST`` moves the expiry on every request by saving the session:
every page view becomes a database write, and on SQLite every write queues behind the one
write lock (bench/bench_load.py measured it). :class:`IdleSessionRenewalMiddleware` saves a
logged-in session only when at least ``ALSTRIAL_SESSION_RENEW_SECONDS`` (60) have passed since
its expiry was last moved, so a session ends between 29 and 30 minutes after the last request,
and a user reading pages writes at most once a minute.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

#: Session key holding when the session's expiry was last moved (POSIX seconds).
RENEWED_AT = "_alstrial_renewed_at"
DEFAULT_RENEW_SECONDS = 60


def renew_seconds() -> int:
    """Seconds between two renewals of a session's expiry (settings, default 60)."""
    return int(getattr(settings, "ALSTRIAL_SESSION_RENEW_SECONDS", DEFAULT_RENEW_SECONDS))


def renewal_due(renewed_at: float | None, now: float, interval: int) -> bool:
    """Whether a session last renewed at ``renewed_at`` (None: never) must be renewed at ``now``.

    A clock that went backwards (``now < renewed_at``) renews too: the expiry is then set
    from the current clock, never left further ahead than it should be.
    """
    return renewed_at is None or not 0 <= now - renewed_at < interval


class IdleSessionRenewalMiddleware:
    """Move a logged-in session's expiry when it is due (see the module docstring).

    Sits inside ``SessionMiddleware``, so the session it marks as modified is saved, with a new
    expiry of ``SESSION_COOKIE_AGE`` from now, when the response leaves. A session saved anyway
    (a log-in, a message) records the renewal for free.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return response
        now = timezone.now().timestamp()
        if session.modified or renewal_due(session.get(RENEWED_AT), now, renew_seconds()):
            session[RENEWED_AT] = now
        return response
