"""Token authentication: ``POST /auth/token`` and the ``Authorization: Bearer`` check.

Failed logins go through ``django.contrib.auth.authenticate`` with the request, so django-axes
counts and throttles them exactly as for the browser login (5 failures per username and
address, 15 minutes; docs/web.md); a locked-out pair gets 429 before the password is checked.
A token obtained resets the failure count, as a web log-in does. Inactive users get no token,
and their existing tokens stop working.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field

from alstrial.web.api.schemas import ErrorOut
from alstrial.web.api.tokens import issue_token, resolve_token, revoke_token


class BearerAuth(HttpBearer):
    """``Authorization: Bearer TOKEN``; sets ``request.user`` to the token's user."""

    def authenticate(self, request, token: str):
        record = resolve_token(token)
        if record is None:
            return None
        request.user = record.user
        request.api_token = record
        return record.user


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)


class TokenOut(Schema):
    token: str = Field(description="Send as 'Authorization: Bearer TOKEN'. Shown only once.")
    expires_at: datetime = Field(description="UTC")


log = logging.getLogger("alstrial.api")
router = Router(tags=["auth"])
LOCKED_OUT = (
    "too many failed logins for this username from this address; try again later or ask an "
    "administrator to unlock the account"
)


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Obtain a bearer token",
)
def obtain_token(request, payload: TokenIn):
    """Exchange a username and password for a bearer token (valid for a working shift)."""
    user = authenticate(request, username=payload.username, password=payload.password)
    # axes' view of the client address (proxy-aware), else the socket's when axes is off
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    if getattr(request, "axes_locked_out", False):
        log.warning("API login locked out: %r from %s", payload.username, address)
        # Answer in JSON here; axes' middleware would otherwise send its HTML lockout page.
        request.axes_locked_out = False
        return Status(429, {"detail": LOCKED_OUT, "errors": {}})
    if user is None or not user.is_active:
        log.warning("API login refused: %r from %s", payload.username, address)
        return Status(401, {"detail": "wrong username or password", "errors": {}})
    # A log-in like the web's: django-axes resets this username's failures and records the
    # access, and the user's last log-in time moves (AXES_RESET_ON_SUCCESS).
    user_logged_in.send(sender=type(user), request=request, user=user)
    token, record = issue_token(user, client_ip=address)
    log.info("API token %s issued to %s from %s", record.pk, user.get_username(), address)
    return Status(200, {"token": token, "expires_at": record.expires_at})


@router.delete("/token", response={204: None}, summary="Revoke the token used")
def revoke(request):
    """Revoke the bearer token of this request (log out)."""
    revoke_token(request.api_token)
    log.info("API token %s revoked by its holder", request.api_token.pk)
    return Status(204, None)
