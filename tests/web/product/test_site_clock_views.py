"""Forms and pages on the site's clock (docs/web.md, 'Time'): at a UTC+9 site, a harvest typed at
a local time just after local midnight is read as Seoul time, its batch starts on the Seoul
date, and pages show the time back in Seoul time with its zone and offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from alstrial.web.core.models import Site
from alstrial.web.product.models import Batch, Harvest

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def seoul_lab(client, product_world, users):
    Site.objects.filter(code="seoul").update(time_zone="Asia/Seoul")
    client.force_login(users["celllab.seoul"])
    return client


def test_a_harvest_typed_in_seoul_time_is_stored_in_utc_and_shown_back_local(
    seoul_lab, product_world
):
    alice = product_world["alice"]
    # ten minutes ago on the Seoul clock, typed as a technician reads it; read as UTC it would
    # lie nine hours in the future and be refused
    local = timezone.now().astimezone(SEOUL) - timedelta(minutes=10)
    typed = local.strftime("%Y-%m-%dT%H:%M")
    response = seoul_lab.post(
        reverse("product:harvest", args=[alice.pk]),
        {"aspirated_at": typed, "volume_ml": "30", "anticoagulant": "heparin"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    harvest = Harvest.objects.get(subject=alice)
    assert harvest.aspirated_at == local.replace(second=0, microsecond=0).astimezone(UTC)
    page = seoul_lab.get(reverse("product:subject", args=[alice.pk])).content.decode()
    assert f"{local:%Y-%m-%d %H:%M} KST (+09:00)" in page
    assert "(UTC)" not in page

    # the batch form offers, and the service accepts, the Seoul date of the harvest
    form = seoul_lab.get(reverse("product:batch_create", args=[harvest.pk])).content.decode()
    assert f'value="{local:%Y-%m-%d}"' in form
    response = seoul_lab.post(
        reverse("product:batch_create", args=[harvest.pk]),
        {"culture_started_on": f"{local:%Y-%m-%d}"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Batch.objects.get(harvest=harvest).culture_started_on == local.date()


def test_a_batch_on_the_seoul_date_is_accepted_while_utc_is_still_on_yesterday(
    product_world, users
):
    from alstrial.web.product import services

    Site.objects.filter(code="seoul").update(time_zone="Asia/Seoul")
    alice = type(product_world["alice"]).objects.get(pk=product_world["alice"].pk)
    lab = users["celllab.seoul"]
    # 00:20 in Seoul today is 15:20 UTC yesterday
    seoul_today = timezone.localdate(timezone=SEOUL)
    aspirated = datetime(*seoul_today.timetuple()[:3], 0, 20, tzinfo=SEOUL)
    if aspirated > timezone.now():
        aspirated -= timedelta(days=1)
    harvest = services.record_harvest(
        alice, lab, aspirated_at=aspirated, volume_ml=30.0, anticoagulant="heparin"
    )
    assert aspirated.astimezone(UTC).date() == aspirated.date() - timedelta(days=1)
    batch = services.create_batch(harvest, lab, culture_started_on=aspirated.date())
    assert batch.culture_started_on == aspirated.date()
