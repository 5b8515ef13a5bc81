"""Expedited reporting deadlines: day 0, calendar days, weekends, time zones, DST.

Every expected instant below was worked out by hand from the zone's UTC offset on that date
(Asia/Seoul is UTC+9 all year; Europe/Rome is UTC+1, or UTC+2 from the last Sunday of March to
the last Sunday of October).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrial.domain.errors import FieldError
from alstrial.domain.safety_clock import (
    ReportKind,
    ReportStatus,
    as_aware,
    calendar_day_deadline,
    reporting_obligations,
    start_of_local_day,
)

SEOUL = ZoneInfo("Asia/Seoul")
ROME = ZoneInfo("Europe/Rome")


def due(obligations, kind):
    return next(o for o in obligations if o.kind == kind).due_at


def obligations(aware, *, susar=False, fatal=False, tz="Asia/Seoul", **kw):
    return reporting_obligations(
        serious=True,
        susar=susar,
        fatal_or_life_threatening=fatal,
        awareness_at=aware,
        site_timezone=tz,
        **kw,
    )


def test_a_non_serious_event_needs_no_expedited_report():
    assert (
        reporting_obligations(
            serious=False,
            susar=False,
            fatal_or_life_threatening=False,
            awareness_at=None,
            site_timezone="Asia/Seoul",
        )
        == ()
    )


def test_sae_not_susar_only_needs_the_sponsor_report_within_24_hours_over_a_weekend():
    # Friday 6 March 2026, 16:30 in Seoul = 07:30 UTC; due Saturday 07:30 UTC.
    aware = datetime(2026, 3, 6, 16, 30, tzinfo=SEOUL)
    result = obligations(aware)
    assert [o.kind for o in result] == [ReportKind.SPONSOR]
    assert result[0].due_at == datetime(2026, 3, 7, 7, 30, tzinfo=UTC)
    assert result[0].due_local.strftime("%a %H:%M") == "Sat 16:30"


def test_the_24_hour_clock_is_elapsed_hours_across_the_spring_dst_change():
    # Rome, Saturday 28 March 2026 12:00 CET (UTC+1) = 11:00 UTC. Clocks jump at 02:00 on the
    # 29th, so 24 elapsed hours later it is 13:00 CEST on the wall.
    aware = datetime(2026, 3, 28, 12, 0, tzinfo=ROME)
    sponsor = due(obligations(aware, tz="Europe/Rome"), ReportKind.SPONSOR)
    assert sponsor == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)
    assert sponsor.astimezone(ROME).hour == 13


def test_fatal_susar_seven_days_then_full_report_eight_more_across_dst():
    # Day 0 = Wednesday 25 March (Rome, CET); day 7 = Wednesday 1 April (CEST by then).
    # Due before 2 April 00:00 CEST = 1 April 22:00 UTC; the full report (day 15) before
    # 10 April 00:00 CEST = 9 April 22:00 UTC.
    aware = datetime(2026, 3, 25, 23, 30, tzinfo=ROME)
    result = obligations(aware, susar=True, fatal=True, tz="Europe/Rome")
    assert [o.kind for o in result] == [
        ReportKind.SPONSOR,
        ReportKind.AUTHORITY_INITIAL,
        ReportKind.AUTHORITY_FULL,
    ]
    assert due(result, ReportKind.AUTHORITY_INITIAL) == datetime(2026, 4, 1, 22, 0, tzinfo=UTC)
    assert due(result, ReportKind.AUTHORITY_FULL) == datetime(2026, 4, 9, 22, 0, tzinfo=UTC)
    assert result[1].day0 == date(2026, 3, 25)
    assert result[1].due_text() == "end of 2026-04-01 (Europe/Rome)"
    assert result[2].due_text() == "end of 2026-04-09 (Europe/Rome)"
    # the 24-hour clock is shown as a local wall time: 23:30 CET + 24 h = 23:30 CET next day
    assert result[0].due_text() == "2026-03-26 23:30 (Europe/Rome)"


def test_other_susar_fifteen_days_across_the_autumn_dst_change():
    # Day 0 = 20 October 2026 (CEST); day 15 = 4 November (CET): due before
    # 5 November 00:00 CET = 4 November 23:00 UTC.
    aware = datetime(2026, 10, 20, 10, 0, tzinfo=ROME)
    result = obligations(aware, susar=True, tz="Europe/Rome")
    assert [o.kind for o in result] == [ReportKind.SPONSOR, ReportKind.AUTHORITY_INITIAL]
    assert due(result, ReportKind.AUTHORITY_INITIAL) == datetime(2026, 11, 4, 23, 0, tzinfo=UTC)


def test_day_zero_is_the_local_date_not_the_utc_date():
    # 00:05 on 10 March in Seoul is still 9 March in UTC; day 0 is the 10th (local).
    early = datetime(2026, 3, 10, 0, 5, tzinfo=SEOUL)
    late = datetime(2026, 3, 10, 23, 55, tzinfo=SEOUL)
    assert early.astimezone(UTC).date() == date(2026, 3, 9)
    for aware in (early, late):
        # day 15 = 25 March; due before 26 March 00:00 KST = 25 March 15:00 UTC
        assert calendar_day_deadline(aware, 15, SEOUL) == datetime(2026, 3, 25, 15, 0, tzinfo=UTC)


def test_weekends_count_and_a_deadline_on_a_saturday_is_not_moved():
    # Day 0 Saturday 7 March; day 7 is Saturday 14 March.
    aware = datetime(2026, 3, 7, 11, 0, tzinfo=SEOUL)
    deadline = calendar_day_deadline(aware, 7, SEOUL)
    last_local_day = (deadline - timedelta(microseconds=1)).astimezone(SEOUL).date()
    assert last_local_day == date(2026, 3, 14)
    assert last_local_day.weekday() == 5


def test_a_susar_recognised_at_follow_up_starts_its_clock_then():
    first = datetime(2026, 3, 2, 9, 0, tzinfo=SEOUL)
    upgrade = datetime(2026, 3, 9, 9, 0, tzinfo=SEOUL)
    result = obligations(first, susar=True, susar_awareness_at=upgrade)
    assert due(result, ReportKind.SPONSOR) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    # day 0 = 9 March, day 15 = 24 March; before 25 March 00:00 KST = 24 March 15:00 UTC
    assert due(result, ReportKind.AUTHORITY_INITIAL) == datetime(2026, 3, 24, 15, 0, tzinfo=UTC)


def test_status_at_the_boundaries():
    aware = datetime(2026, 3, 6, 16, 30, tzinfo=SEOUL)
    sponsor = obligations(aware)[0]
    just_before = sponsor.due_at - timedelta(seconds=1)
    assert sponsor.status(just_before) == ReportStatus.DUE
    assert sponsor.status(sponsor.due_at) == ReportStatus.OVERDUE
    assert sponsor.status(sponsor.due_at, submitted_at=just_before) == ReportStatus.SUBMITTED
    assert sponsor.status(just_before, submitted_at=sponsor.due_at) == ReportStatus.SUBMITTED_LATE
    assert sponsor.time_left(just_before) == timedelta(seconds=1)


def test_naive_awareness_is_site_time_and_a_skipped_wall_time_is_refused():
    assert as_aware("2026-03-28T12:00", ROME, "awareness_at").utcoffset() == timedelta(hours=1)
    with pytest.raises(FieldError) as excinfo:
        as_aware("2026-03-29T02:30", ROME, "awareness_at")  # 02:00-03:00 does not exist
    assert excinfo.value.field == "awareness_at"
    assert "clock change" in excinfo.value.message


def test_an_ambiguous_wall_time_takes_the_earlier_instant():
    # 25 October 2026 02:30 happens twice in Rome: first at UTC+2 (00:30 UTC), then UTC+1.
    aware = as_aware(datetime(2026, 10, 25, 2, 30), ROME, "awareness_at")
    assert aware.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_day_whose_midnight_is_skipped_starts_after_the_gap():
    # Chile moved from UTC-4 to UTC-3 at 00:00 on Sunday 6 September 2026: the day starts at
    # 01:00 local = 04:00 UTC.
    santiago = ZoneInfo("America/Santiago")
    assert start_of_local_day(date(2026, 9, 6), santiago) == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)


def test_unknown_zone_and_missing_awareness_name_their_field():
    with pytest.raises(FieldError) as excinfo:
        obligations(datetime(2026, 3, 6, tzinfo=UTC), tz="Mars/Olympus")
    assert excinfo.value.field == "time_zone"
    with pytest.raises(FieldError) as excinfo:
        obligations(None)
    assert excinfo.value.field == "awareness_at"


ZONES = ["Asia/Seoul", "Europe/Rome", "America/Santiago", "Australia/Lord_Howe", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    days=st.sampled_from([7, 15]),
)
def test_deadline_invariants_in_any_zone(moment, zone, days):
    tz = ZoneInfo(zone)
    deadline = calendar_day_deadline(moment, days, tz)
    local = deadline.astimezone(tz)
    day0 = moment.astimezone(tz).date()
    # the deadline is the first instant of local day N + 1 ...
    assert local.date() == day0 + timedelta(days=days + 1)
    last_instant = deadline.astimezone(UTC) - timedelta(microseconds=1)
    assert last_instant.astimezone(tz).date() == day0 + timedelta(days=days)
    # ... which starts at midnight unless a clock change skips midnight (then just after it)
    assert local.hour == 0 or local.hour == 1
    # and lies between N and N + 1 days (plus at most one DST hour) after awareness
    assert timedelta(days=days) - timedelta(hours=1) < deadline - moment
    assert deadline - moment <= timedelta(days=days + 1, hours=1)
    sponsor = obligations(moment, tz=zone)[0]
    assert sponsor.due_at - moment == timedelta(hours=24)


def test_the_last_day_is_right_when_a_clock_change_skips_midnight():
    # Found by the property test: Chile skipped 00:00-01:00 on 11 September 2022. Aware on
    # 3 September: day 7 is 10 September, due before 11 September 01:00 (-03) = 04:00 UTC.
    santiago = ZoneInfo("America/Santiago")
    aware = datetime(2022, 9, 3, 12, 0, tzinfo=santiago)
    result = obligations(aware, susar=True, fatal=True, tz="America/Santiago")
    initial = result[1]
    assert initial.due_at == datetime(2022, 9, 11, 4, 0, tzinfo=UTC)
    assert initial.last_local_day == date(2022, 9, 10)
    assert initial.due_text() == "end of 2022-09-10 (America/Santiago)"
