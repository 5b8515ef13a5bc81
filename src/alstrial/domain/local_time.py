"""A site's clock: what people type and read is the site's local time; what is stored is UTC.

docs/web.md, 'Time'. Every time a person enters (harvest, culture start, administration, AE
onset and awareness...) is wall time at the site, converted to UTC here before it is stored;
every time shown is converted back and carries the zone's abbreviation and offset
(``2026-12-08 07:30 KST (+09:00)``), so nobody converts in their head. Study days count local
calendar dates from day 0 by :func:`study_day`, the one rule the exports, the report and the API
share: an injection at 08:00 in Seoul and a headache at 22:00 the same Seoul day fall on the same
study day although the injection was still the previous day in UTC.

This module is pure (no Django): a "site" is anything with a ``zone`` attribute (the web's
``Site``) or a ``ZoneInfo`` itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from alstrial.domain.errors import FieldError
from alstrial.domain.safety_clock import as_aware


class HasZone(Protocol):
    """A site: anything that knows its IANA time zone."""

    @property
    def zone(self) -> ZoneInfo: ...


def zone_of(site: HasZone | ZoneInfo) -> ZoneInfo:
    """The time zone of ``site`` (or ``site`` itself when it is a zone)."""
    return site if isinstance(site, ZoneInfo) else site.zone


def parse_local(value: datetime | str, site: HasZone | ZoneInfo, field: str) -> datetime:
    """A time typed at ``site`` (``2026-12-08 07:30`` or ``2026-12-08T07:30``), in UTC.

    A naive value is wall time at the site; one with an offset (``...+09:00``, ``...Z``) keeps
    it. A wall time skipped by a clock change is refused (FieldError on ``field``): it names no
    instant. A repeated hour takes the earlier instant.
    """
    if isinstance(value, str) and not value.strip():
        raise FieldError(field, "a date and time is required")
    return as_aware(value, zone_of(site), field).astimezone(UTC)


def in_site_time(moment: datetime, site: HasZone | ZoneInfo) -> datetime:
    """An aware ``moment`` as the site's wall clock reads it (an aware datetime in its zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldError("time", f"{moment:%Y-%m-%d %H:%M} has no time zone")
    return moment.astimezone(zone_of(site))


def offset_text(local: datetime) -> str:
    """The UTC offset of an aware local datetime as ``+09:00`` (``-03:30``, ``+00:00``)."""
    minutes = int(local.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def format_local(moment: datetime | None, site: HasZone | ZoneInfo, *, seconds=False) -> str:
    """A stored (aware) time as read at the site: ``2026-12-08 07:30 KST (+09:00)``.

    The abbreviation names the zone for a reader; the offset makes the instant unambiguous
    (abbreviations repeat across zones). Empty for a missing time.
    """
    if moment is None:
        return ""
    local = in_site_time(moment, site)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return f"{local.strftime('%Y-%m-%d ' + clock)} {local.tzname()} ({offset_text(local)})"


def isoformat_local(moment: datetime | None, site: HasZone | ZoneInfo) -> str | None:
    """ISO 8601 with the site's offset (``2026-12-08T07:30:00+09:00``): the API's form, never a
    bare ``Z`` for a site that is not at UTC. None for a missing time."""
    if moment is None:
        return None
    return in_site_time(moment, site).isoformat()


def local_date(moment_or_date: datetime | date, site: HasZone | ZoneInfo) -> date:
    """The site's calendar date of an aware moment; a date is already a local date."""
    if isinstance(moment_or_date, datetime):
        return in_site_time(moment_or_date, site).date()
    return moment_or_date


def study_day(
    site: HasZone | ZoneInfo, day_zero_date: date | None, moment_or_date: datetime | date | None
) -> int | None:
    """Days from day 0 to the site's local date of ``moment_or_date`` (negative before day 0).

    docs/web.md, 'Time': day 0 is the protocol's anchor (e.g. the first dose) and exists; the
    day before it is -1 (SDTM's --DY has no day 0). Dates are local calendar dates
    (``day_zero_date`` is one); a moment is first taken to the site's date. None without both.
    """
    if day_zero_date is None or moment_or_date is None:
        return None
    return (local_date(moment_or_date, site) - day_zero_date).days
