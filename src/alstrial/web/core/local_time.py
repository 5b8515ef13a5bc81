"""The site's clock in the web app (docs/web.md, 'Time').

Django reads every typed date and time in the *current* time zone and shows every stored one
(``|date``) in it, so making the current zone the site's is what puts forms and pages on local
time at once: :class:`SiteClockMiddleware` activates the zone of the user's sites for each
request when all of them share one (a technician at Seoul types and reads Seoul time), and
:func:`site_clock` activates one site's zone around a piece of work about that site. Timestamps
are stored in UTC either way. The pure rules (parsing, formatting, study days) are in
:mod:`alstrial.domain.local_time`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.utils import timezone

from alstrial.domain.safety_clock import as_timezone
from alstrial.web.core.models import Site, SiteMembership


def user_zone(user) -> ZoneInfo | None:
    """The one time zone of all of ``user``'s sites; None for no site or sites in several zones
    (their pages then show UTC, each time still labelled with its zone)."""
    if not getattr(user, "is_authenticated", False):
        return None
    names = set(SiteMembership.objects.filter(user=user).values_list("site__time_zone", flat=True))
    if len(names) != 1 or not next(iter(names)):
        return None
    return as_timezone(names.pop())


@contextmanager
def site_clock(site: Site) -> Iterator[ZoneInfo]:
    """Within the block, typed times are read and stored times shown in ``site``'s zone."""
    previous = timezone.get_current_timezone()
    timezone.activate(site.zone)
    try:
        yield site.zone
    finally:
        timezone.activate(previous)


class SiteClockMiddleware:
    """Activates the zone of the user's sites for the request (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = user_zone(getattr(request, "user", None))
        if zone is None:
            timezone.deactivate()
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
