"""The site's clock: local input to UTC, UTC to local text, study days from local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from alstrial.domain.errors import FieldError
from alstrial.domain.local_time import (
    format_local,
    isoformat_local,
    local_date,
    parse_local,
    study_day,
)

SEOUL = ZoneInfo("Asia/Seoul")  # UTC+9 all year
ROME = ZoneInfo("Europe/Rome")  # UTC+1 in winter, +2 in summer


class _Site:
    """A site as the web has it: only its zone matters here."""

    def __init__(self, name: str):
        self.zone = ZoneInfo(name)


def test_a_harvest_typed_at_0730_in_seoul_is_2230_utc_the_day_before():
    stored = parse_local("2026-12-08 07:30", _Site("Asia/Seoul"), "harvested_at")
    assert stored == datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_a_typed_offset_is_kept_rather_than_read_as_site_time():
    assert parse_local("2026-12-08T07:30+01:00", SEOUL, "t") == datetime(
        2026, 12, 8, 6, 30, tzinfo=UTC
    )


def test_a_wall_time_skipped_by_the_spring_clock_change_is_refused():
    with pytest.raises(FieldError) as error:
        parse_local("2026-03-29 02:30", ROME, "onset_at")
    assert error.value.field == "onset_at"


def test_blank_and_garbage_input_name_the_field():
    for text in ("", "  ", "08/12/2026 7.30"):
        with pytest.raises(FieldError) as error:
            parse_local(text, SEOUL, "harvested_at")
        assert error.value.field == "harvested_at"


def test_format_shows_the_site_wall_clock_with_abbreviation_and_offset():
    moment = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    assert format_local(moment, SEOUL) == "2026-12-08 07:30 KST (+09:00)"
    assert format_local(moment, ROME) == "2026-12-07 23:30 CET (+01:00)"
    assert format_local(datetime(2026, 7, 1, 12, tzinfo=UTC), ROME) == (
        "2026-07-01 14:00 CEST (+02:00)"
    )
    assert format_local(None, SEOUL) == ""


def test_format_and_parse_round_trip_every_quarter_hour_of_a_year_in_rome():
    # an independent check: the formatted wall clock, typed back, is the same instant
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for step in range(0, 365 * 24 * 4, 37):  # about 3,800 instants, both clock changes
        moment = start + timedelta(minutes=15 * step)
        wall = format_local(moment, ROME)[:16]
        back = parse_local(wall, ROME, "t")
        # the repeated autumn hour is read as its first (earlier) instant
        assert back == moment or back == moment - timedelta(hours=1)


def test_api_datetimes_carry_the_site_offset_not_z():
    moment = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    assert isoformat_local(moment, SEOUL) == "2026-12-08T07:30:00+09:00"
    assert isoformat_local(moment, ZoneInfo("UTC")) == "2026-12-07T22:30:00+00:00"
    assert isoformat_local(None, SEOUL) is None


def test_naive_moments_are_refused_when_shown():
    with pytest.raises(FieldError):
        format_local(datetime(2026, 12, 8, 7, 30), SEOUL)


def test_an_injection_and_a_headache_on_one_seoul_day_share_a_study_day():
    # 08:00 and 22:00 Seoul on 2026-12-08: 23:00 UTC on the 7th and 13:00 UTC on the 8th
    injection = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    headache = datetime(2026, 12, 8, 13, 0, tzinfo=UTC)
    day_zero = date(2026, 12, 8)
    site = _Site("Asia/Seoul")
    assert study_day(site, day_zero, injection) == 0
    assert study_day(site, day_zero, headache) == 0
    # at UTC the injection would be day -1: the local date is what counts
    assert study_day(ZoneInfo("UTC"), day_zero, injection) == -1


def test_study_day_of_dates_and_missing_values():
    assert study_day(SEOUL, date(2026, 12, 8), date(2026, 12, 5)) == -3
    assert study_day(SEOUL, date(2026, 12, 8), date(2027, 1, 7)) == 30
    assert study_day(SEOUL, None, date(2026, 12, 8)) is None
    assert study_day(SEOUL, date(2026, 12, 8), None) is None


def test_local_date_just_after_local_midnight():
    # 00:05 in Seoul on the 8th is still the 7th in UTC; 00:05 in Rome is 23:05 UTC the day before
    assert local_date(datetime(2026, 12, 7, 15, 5, tzinfo=UTC), SEOUL) == date(2026, 12, 8)
    assert local_date(datetime(2026, 12, 7, 23, 5, tzinfo=UTC), ROME) == date(2026, 12, 8)
    plus_one = timezone(timedelta(hours=1))
    assert local_date(datetime(2026, 12, 8, 0, 5, tzinfo=plus_one), ROME) == date(2026, 12, 8)
