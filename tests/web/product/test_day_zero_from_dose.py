"""Day 0 follows the real first dose (docs/web.md, 'Time'): the schedule moves with it and the
visit carrying the dose is done on the site's date of the dose."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from alstrial.domain.local_time import local_date
from alstrial.web.product import services
from alstrial.web.subjects.models import Subject

pytestmark = pytest.mark.django_db


def _give(subject, user, lot, when):
    route = subject.trial.protocol.interventions.route.name
    extra = {"spinal_level": "T8", "pump_rate_ul_per_min": 100.0} if route == "intraspinal" else {}
    return services.administer_dose(
        subject,
        user,
        scanned_subject_id=subject.code,
        scanned_lot_id=lot.code,
        route=route,
        administered_at=when,
        **extra,
    )


def _dose_visit(subject, dose_number=1):
    return subject.visits.get(administration=dose_number)


@pytest.fixture
def long_enrolled(product_world, enrolled_subject, users):
    """A subject at Seoul (UTC+9 here) screened 300 days ago: its planned day 0 is in the past."""
    from alstrial.web.core.models import Site
    from alstrial.web.product.demo import ensure_weight

    Site.objects.filter(code="seoul").update(time_zone="Asia/Seoul")
    subject = enrolled_subject("seoul", days_ago=300)
    ensure_weight(subject, users["coordinator.seoul"])
    return Subject.objects.select_related("site", "trial").get(pk=subject.pk)


def test_a_first_dose_two_days_early_moves_day_0_and_every_later_window(
    long_enrolled, users, lot_at
):
    alice = long_enrolled
    assert alice.trial.protocol.day_zero == "first_administration"
    planned = alice.day_zero_date
    # the dose is given at 00:30 Seoul time two days before the planned day 0: still the day
    # before in UTC, so a UTC date would put day 0 one day too early
    seoul = alice.site.zone
    local = datetime.combine(planned - timedelta(days=2), time(0, 30), tzinfo=seoul)
    when = local.astimezone(UTC)
    assert when.date() == planned - timedelta(days=3)
    lot = lot_at(alice, "released", now=when - timedelta(hours=2))
    visits_before = {v.code: v.target_day for v in alice.visits.all()}
    _give(alice, users["investigator.seoul"], lot, when)

    alice = Subject.objects.get(pk=alice.pk)
    assert alice.day_zero_date == planned - timedelta(days=2)
    assert alice.day_zero_date == local_date(when, alice.site)
    # windows are study days: the same targets, now counted from the real dose
    assert {v.code: v.target_day for v in alice.visits.all()} == visits_before
    later = alice.visits.filter(target_day__gt=0).order_by("target_day").first()
    assert alice.day_zero_date + timedelta(days=later.target_day) == (
        planned + timedelta(days=later.target_day - 2)
    )
    visit = _dose_visit(alice)
    assert visit.status == "done"
    assert visit.visit_date == alice.day_zero_date
    assert visit.study_day == 0
    assert "day 0 is the first dose" in alice.history.first().history_change_reason


def test_a_dose_on_the_planned_day_leaves_day_0_and_its_history_alone(long_enrolled, users, lot_at):
    bob = long_enrolled
    planned = bob.day_zero_date
    when = datetime.combine(planned, time(10, 0), tzinfo=bob.site.zone)
    changes = bob.history.count()
    lot = lot_at(bob, "released", now=when - timedelta(hours=2))
    _give(bob, users["investigator.seoul"], lot, when)
    bob = Subject.objects.get(pk=bob.pk)
    assert bob.day_zero_date == planned
    assert bob.history.count() == changes
    assert _dose_visit(bob).status == "done"
