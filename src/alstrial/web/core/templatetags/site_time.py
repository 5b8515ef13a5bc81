"""``{% load site_time %}``: stored times shown as the site reads them (docs/web.md, 'Time').

``{{ moment|site_time:site }}`` gives ``2026-12-08 07:30 KST (+09:00)`` in ``site``'s zone;
``{{ moment|site_time }}`` uses the request's zone (the user's sites', else UTC). Either way the
zone's abbreviation and offset are shown, so a time is never read in the wrong zone.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from alstrial.domain.local_time import format_local

register = template.Library()


@register.filter
def site_time(moment, site=None) -> str:
    """A stored (aware) time on the site's wall clock with zone and offset; "" for none."""
    if not moment:
        return ""
    return format_local(moment, site if site else timezone.get_current_timezone())


@register.filter
def site_time_seconds(moment, site=None) -> str:
    """As :func:`site_time`, to the second (audit trail, custody ledger, signatures)."""
    if not moment:
        return ""
    return format_local(moment, site if site else timezone.get_current_timezone(), seconds=True)
