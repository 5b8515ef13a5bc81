"""A technician at a UTC+9 and at a UTC+1 site, in a real browser, just after local midnight:
a harvest typed at the local time is accepted (not "in the future"), stored in UTC and read back
on the site's clock with zone and offset (docs/web.md, 'Time').

Django's now is frozen in the live server (same process) and the browser's clock with
Playwright's clock API, both at 00:10 on the site's date.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

PASSWORD = "pw-for-tests-only"


def _just_after_local_midnight(zone: ZoneInfo) -> datetime:
    """00:10 on the latest local date at which that moment is already past."""
    day = datetime.now(zone).date()
    moment = datetime.combine(day, time(0, 10), tzinfo=zone)
    if moment > datetime.now(UTC):
        moment -= timedelta(days=1)
    return moment


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("site_code", "zone_name", "label"),
    [
        ("seoul", "Asia/Seoul", "KST (+09:00)"),
        ("novara", "Europe/Rome", "CET (+01:00)"),
    ],
)
def test_a_harvest_just_after_local_midnight(
    browser_page,
    live_server,
    users,
    sites,
    enrolled_subject,
    monkeypatch,
    site_code,
    zone_name,
    label,
):
    from alstrial.web.product.demo import ensure_weight
    from alstrial.web.product.models import Harvest

    zone = ZoneInfo(zone_name)
    site = sites[site_code]
    site.time_zone = zone_name
    site.save()
    subject = enrolled_subject(site_code)
    ensure_weight(subject, users[f"coordinator.{site_code}"])
    frozen = _just_after_local_midnight(zone)
    if frozen.utcoffset() != timedelta(hours=9 if site_code == "seoul" else 1):
        pytest.skip("Rome is on summer time today: the UTC+1 case needs a winter date")
    monkeypatch.setattr(timezone, "now", lambda: frozen.astimezone(UTC))

    page = browser_page
    page.clock.set_fixed_time(frozen.astimezone(UTC))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", f"celllab.{site_code}")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/product/subjects/{subject.pk}/harvest/")
    typed = frozen - timedelta(minutes=5)  # 00:05 local: still yesterday in UTC
    page.fill("#id_aspirated_at", typed.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_volume_ml", "30")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/product/subjects/{subject.pk}/")
    harvest = Harvest.objects.get(subject=subject)
    assert harvest.aspirated_at == typed.astimezone(UTC)
    assert harvest.aspirated_at.date() < typed.date()  # the UTC date is the day before
    assert page.get_by_text(f"{typed:%Y-%m-%d} 00:05 {label}").count() == 1
