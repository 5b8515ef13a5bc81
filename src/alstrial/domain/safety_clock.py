"""The expedited reporting clock for serious adverse events, and its time-zone rule.

Timelines (docs/domain.md, 'Adverse events'), counted from awareness, day 0:
- every SAE: the investigator reports it to the sponsor within 24 hours (EU Regulation 536/2014
  art. 41(4); ICH E6 4.11.1 "immediately");
- a fatal or life-threatening SUSAR: to the authorities within 7 days, then a full report within
  8 more days (ICH E2A III.A.1-2), i.e. by the end of day 15;
- any other SUSAR: within 15 days (ICH E2A III.A.2).

Time-zone rule (alstrial's choice, written in every board and listing):
- awareness is an aware datetime in the site's IANA time zone (a naive form entry is read in the
  site's zone; a wall time that does not exist because of a clock change is refused; an
  ambiguous one takes the earlier instant, which gives the earlier deadline);
- the 24-hour clock is 24 elapsed hours from the awareness instant (a DST change does not
  lengthen or shorten it);
- "N days" are calendar days, weekends and holidays included; day 0 is the local calendar date of
  awareness, and the report is due by the end of local day N, i.e. before 00:00 local time of
  day N + 1. A day that is 23 or 25 hours long because of DST is still one day.
- deadlines are stored in UTC (``due_at``, exclusive: a report at or after it is late) and shown
  in the site's local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alstrial.domain.errors import FieldError

SPONSOR_REPORT_HOURS = 24
SUSAR_FATAL_DAYS = 7
SUSAR_FATAL_FULL_REPORT_EXTRA_DAYS = 8
SUSAR_OTHER_DAYS = 15
CLOCK_RULE = (
    "day 0 = local date of awareness; calendar days (weekends count); due before 00:00 site "
    "time after day N; 24 h sponsor clock in elapsed hours; deadlines stored in UTC"
)


def as_timezone(name: str | ZoneInfo) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``Asia/Seoul``), or a FieldError."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise FieldError("time_zone", f"{name!r} is not an IANA time zone") from error


def as_aware(value: datetime | str, tz: ZoneInfo, field: str) -> datetime:
    """``value`` as an aware datetime; naive values are wall time in ``tz``.

    A wall time skipped by a clock change is refused (it names no instant); an ambiguous one
    (repeated hour) takes the earlier instant (``fold=0``).
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise FieldError(field, f"{value!r} is not a date and time") from error
    if not isinstance(value, datetime):
        raise FieldError(field, f"{value!r} is not a date and time")
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    local = value.replace(tzinfo=tz, fold=0)
    round_trip = local.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != value.replace(tzinfo=None, fold=0):
        raise FieldError(field, f"{value:%Y-%m-%d %H:%M} does not exist in {tz.key} (clock change)")
    return local


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware ``moment`` in ``tz``."""
    return moment.astimezone(tz).date()


def start_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC.

    Where midnight is skipped by a clock change, ``fold=0`` maps it past the gap, which is the
    first instant that exists on that day.
    """
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def calendar_day_deadline(awareness_at: datetime, days: int, tz: ZoneInfo) -> datetime:
    """End of local calendar day ``days`` after the awareness date (exclusive, UTC)."""
    day0 = local_date(awareness_at, tz)
    return start_of_local_day(day0 + timedelta(days=days + 1), tz)


class ReportKind(StrEnum):
    """The expedited reports an event can require."""

    SPONSOR = "sponsor"
    AUTHORITY_INITIAL = "authority_initial"
    AUTHORITY_FULL = "authority_full"

    @property
    def label(self) -> str:
        return REPORT_LABELS[self]


REPORT_LABELS = {
    ReportKind.SPONSOR: "SAE report to the sponsor",
    ReportKind.AUTHORITY_INITIAL: "SUSAR report to the authorities",
    ReportKind.AUTHORITY_FULL: "SUSAR full report to the authorities",
}


class ReportStatus(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"
    SUBMITTED_LATE = "submitted_late"


@dataclass(frozen=True)
class Obligation:
    """One report an event requires: what, from which day 0, and when it is due.

    ``due_at`` is exclusive and in UTC; ``due_local`` is the same instant in the site's zone
    (for display); ``rule`` says which timeline applies.
    """

    kind: ReportKind
    awareness_at: datetime
    due_at: datetime
    time_zone: str
    rule: str

    @property
    def due_local(self) -> datetime:
        return self.due_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def day0(self) -> date:
        return local_date(self.awareness_at, ZoneInfo(self.time_zone))

    @property
    def calendar_days(self) -> bool:
        """True for a deadline at the end of a local calendar day (not an elapsed-hours one)."""
        return self.kind != ReportKind.SPONSOR

    @property
    def last_local_day(self) -> date:
        """The last local calendar day on which the report is on time."""
        # Step back in UTC: wall-clock arithmetic would land in a skipped hour when a clock
        # change skips midnight (America/Santiago) and name the wrong day.
        last_instant = self.due_at.astimezone(UTC) - timedelta(microseconds=1)
        return last_instant.astimezone(ZoneInfo(self.time_zone)).date()

    def due_text(self) -> str:
        """The deadline as a person at the site reads it, e.g. "end of 2026-03-14 (Asia/Seoul)"
        or "2026-03-07 16:30 (Asia/Seoul)"; the UTC instant is ``due_at``."""
        if self.calendar_days:
            return f"end of {self.last_local_day.isoformat()} ({self.time_zone})"
        return f"{self.due_local:%Y-%m-%d %H:%M} ({self.time_zone})"

    def status(self, now: datetime, submitted_at: datetime | None = None) -> ReportStatus:
        """Due, overdue, submitted or submitted late, at the aware instant ``now``."""
        if submitted_at is not None:
            on_time = submitted_at < self.due_at
            return ReportStatus.SUBMITTED if on_time else ReportStatus.SUBMITTED_LATE
        return ReportStatus.DUE if now < self.due_at else ReportStatus.OVERDUE

    def time_left(self, now: datetime) -> timedelta:
        """Time until the deadline (negative when overdue)."""
        return self.due_at - now

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "awareness_at": self.awareness_at.isoformat(),
            "day0": self.day0.isoformat(),
            "due_at_utc": self.due_at.astimezone(UTC).isoformat(),
            "due_local": self.due_local.isoformat(),
            "time_zone": self.time_zone,
            "rule": self.rule,
        }


def reporting_obligations(
    *,
    serious: bool,
    susar: bool,
    fatal_or_life_threatening: bool,
    awareness_at: datetime | None,
    site_timezone: str | ZoneInfo,
    susar_awareness_at: datetime | None = None,
) -> tuple[Obligation, ...]:
    """The expedited reports an event requires, with their deadlines.

    ``awareness_at`` is day 0 of the SAE clock. ``susar_awareness_at`` is when the information
    that made the event a SUSAR arrived (a follow-up that upgrades relatedness or seriousness
    starts the SUSAR clock then; ICH E2A III.A.2); it defaults to ``awareness_at``.
    """
    if not serious:
        return ()
    if awareness_at is None or awareness_at.utcoffset() is None:
        raise FieldError("awareness_at", "a serious event needs an aware awareness time")
    tz = as_timezone(site_timezone)
    out = [
        Obligation(
            kind=ReportKind.SPONSOR,
            awareness_at=awareness_at,
            # Add in UTC: Python adds a timedelta to an aware datetime on the wall clock of its
            # own zone, which would make the clock 23 or 25 real hours across a DST change.
            due_at=awareness_at.astimezone(UTC) + timedelta(hours=SPONSOR_REPORT_HOURS),
            time_zone=tz.key,
            rule=f"{SPONSOR_REPORT_HOURS} hours from awareness (EU 536/2014 art. 41(4))",
        )
    ]
    if not susar:
        return tuple(out)
    day0 = susar_awareness_at or awareness_at
    if fatal_or_life_threatening:
        out.append(
            Obligation(
                ReportKind.AUTHORITY_INITIAL,
                day0,
                calendar_day_deadline(day0, SUSAR_FATAL_DAYS, tz),
                tz.key,
                f"fatal or life-threatening SUSAR: {SUSAR_FATAL_DAYS} calendar days (ICH E2A)",
            )
        )
        full_days = SUSAR_FATAL_DAYS + SUSAR_FATAL_FULL_REPORT_EXTRA_DAYS
        out.append(
            Obligation(
                ReportKind.AUTHORITY_FULL,
                day0,
                calendar_day_deadline(day0, full_days, tz),
                tz.key,
                f"full report {SUSAR_FATAL_FULL_REPORT_EXTRA_DAYS} more calendar days (ICH E2A)",
            )
        )
    else:
        out.append(
            Obligation(
                ReportKind.AUTHORITY_INITIAL,
                day0,
                calendar_day_deadline(day0, SUSAR_OTHER_DAYS, tz),
                tz.key,
                f"SUSAR: {SUSAR_OTHER_DAYS} calendar days (ICH E2A)",
            )
        )
    return tuple(out)
