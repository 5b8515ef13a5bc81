"""The subject API shows day 0 where the real first dose put it (docs/api.md, 'Subjects')."""

from __future__ import annotations

import pytest

from alstrial.domain.local_time import local_date

pytestmark = pytest.mark.django_db


def test_day_zero_date_is_the_site_date_of_the_first_dose(world, api, users):
    for site in ("seoul", "novara"):
        subject = world[site]["subject"]
        given = world[site]["administration"]
        assert given.dose_number == 1
        body = api(users[f"coordinator.{site}"]).get(f"/api/v1/subjects/{subject.pk}").json()
        expected = local_date(given.administered_at, subject.site)
        assert body["day_zero_date"] == expected.isoformat()
        assert body["screening_study_day"] == (subject.screening_date - expected).days
