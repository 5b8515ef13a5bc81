"""Issuing, resolving and revoking API bearer tokens.

A token is ``secrets.token_urlsafe(32)`` (256 bits); the database keeps its SHA-256 digest only.
A plain digest (no salt, no slow hash) is enough because the token is random and long: it
cannot be guessed from a dictionary, unlike a password. Tokens last
``ALSTRIAL_API_TOKEN_HOURS`` hours (default 8, one working shift) and can be revoked; like a
Django session, a token ends when its user's password changes or the user is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from alstrial.web.api.models import ApiToken

#: Default token lifetime, hours (a working shift); setting ``ALSTRIAL_API_TOKEN_HOURS``.
DEFAULT_TOKEN_HOURS = 8
#: ``last_used_at`` is written at most this often, seconds (no write on every request).
LAST_USED_RESOLUTION_SECONDS = 60


def token_lifetime() -> timedelta:
    return timedelta(hours=getattr(settings, "ALSTRIAL_API_TOKEN_HOURS", DEFAULT_TOKEN_HOURS))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user, *, client_ip: str | None = None) -> tuple[str, ApiToken]:
    """A new token for ``user``: ``(token, record)``. The token is never stored."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    record = ApiToken.objects.create(
        user=user,
        digest=digest(token),
        created_at=now,
        expires_at=now + token_lifetime(),
        client_ip=client_ip,
        password_stamp=user.get_session_auth_hash(),
    )
    return token, record


def resolve_token(token: str) -> ApiToken | None:
    """The live token record for ``token``, or None when unknown, expired, revoked, its user
    inactive or their password changed since it was issued."""
    if not token:
        return None
    record = ApiToken.objects.select_related("user").filter(digest=digest(token)).first()
    now = timezone.now()
    if (
        record is None
        or record.revoked_at is not None
        or record.expires_at <= now
        or not record.user.is_active
        or not constant_time_compare(record.password_stamp, record.user.get_session_auth_hash())
    ):
        return None
    last = record.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record


def revoke_token(record: ApiToken) -> None:
    """Revoke one token (idempotent)."""
    ApiToken.objects.filter(pk=record.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_all(user) -> int:
    """Revoke every live token of ``user`` (e.g. when the account is compromised)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
