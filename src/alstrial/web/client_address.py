"""The client's address as log-in throttling sees it (django-axes ``AXES_CLIENT_IP_CALLABLE``).

Behind the documented reverse proxy every request arrives from the proxy's address, so throttling
by address alone would put every user in one bucket. The proxy sets ``X-Forwarded-For`` to the
client's address (docs/operations.md "The reverse proxy"); that header is believed only when the
request comes from a proxy listed in ``ALSTRIAL_TRUSTED_PROXIES`` (settings), otherwise a
client could name any address it likes and escape the throttle. Of the header's addresses the
right-most is taken: it is the one the trusted proxy wrote (earlier ones came from the client).
"""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address: the trusted proxy's ``X-Forwarded-For``, else the socket's."""
    remote = request.META.get("REMOTE_ADDR")
    if remote not in getattr(settings, "ALSTRIAL_TRUSTED_PROXIES", ()):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    return forwarded[-1] if forwarded else remote
