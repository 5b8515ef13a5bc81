"""A site's time zone is stored once, on the core Site, and read through ``Site.zone``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alstrial.domain.errors import FieldError
from alstrial.web.core.models import Site
from alstrial.web.safety.rules import site_time_zone

BEFORE = [("core", "0003_membership_history"), ("safety", "0003_coded_term")]
AFTER = [("core", "0004_site_time_zone_required"), ("safety", "0004_time_zone_on_site")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    """Every app's latest migration again (going back also undid later migrations of others)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_the_safety_zone_over_to_the_site():
    old = _migrate(BEFORE)
    old_site = old.get_model("core", "Site")
    old_settings = old.get_model("safety", "SiteSafetySettings")
    seoul = old_site.objects.create(code="seoul", name="Seoul", prefix="SEO")  # old default UTC
    old_site.objects.create(code="novara", name="Novara", prefix="NOV", time_zone="Europe/Rome")
    old_settings.objects.create(site=seoul, time_zone="Asia/Seoul", email_safety_monitors=True)
    try:
        new = _migrate(AFTER)
        zones = dict(new.get_model("core", "Site").objects.values_list("code", "time_zone"))
        assert zones == {"seoul": "Asia/Seoul", "novara": "Europe/Rome"}
        kept = new.get_model("safety", "SiteSafetySettings").objects.get()
        assert kept.email_safety_monitors
        assert "time_zone" not in {f.name for f in kept._meta.get_fields()}

        back = _migrate(BEFORE)  # reversing puts each site's zone back into its settings
        restored = back.get_model("safety", "SiteSafetySettings").objects.get()
        assert restored.time_zone == "Asia/Seoul"
    finally:
        _migrate_to_latest()


@pytest.mark.django_db
def test_the_zone_is_read_from_the_site(sites):
    seoul = sites["seoul"]
    seoul.time_zone = "Asia/Seoul"
    seoul.full_clean()
    seoul.save()
    assert Site.objects.get(code="seoul").zone == ZoneInfo("Asia/Seoul")
    assert site_time_zone(seoul) == "Asia/Seoul"


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "asia/seoul", "localtime", "../etc"])
@pytest.mark.django_db
def test_a_zone_that_is_not_in_the_iana_list_is_refused(sites, name):
    seoul = sites["seoul"]
    seoul.time_zone = name
    with pytest.raises(DjangoValidationError) as excinfo:
        seoul.full_clean()
    assert "time_zone" in excinfo.value.message_dict


@pytest.mark.django_db
def test_a_site_without_a_zone_has_no_fallback(sites):
    Site.objects.filter(code="novara").update(time_zone="")
    novara = Site.objects.get(code="novara")
    with pytest.raises(FieldError) as excinfo:
        novara.zone  # noqa: B018 - the property raises
    assert excinfo.value.field == "time_zone"
    assert "novara" in excinfo.value.message
