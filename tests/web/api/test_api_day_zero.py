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


def test_datetimes_carry_the_site_offset_never_a_bare_z(world, api, users):
    from datetime import datetime

    from alstrial.web.core.models import Site

    Site.objects.filter(code="seoul").update(time_zone="Asia/Seoul")
    client = api(users["investigator.seoul"])
    given = world["seoul"]["administration"]
    lot = world["seoul"]["lot"]
    answers = {
        "administered_at": (client.get(f"/api/v1/administrations/{given.pk}").json(), given),
        "expires_at": (client.get(f"/api/v1/lots/{lot.pk}").json(), lot),
    }
    for field, (body, record) in answers.items():
        text = body[field]
        assert text.endswith("+09:00"), (field, text)
        # the same instant as stored, nine hours ahead on the wall clock
        shown = datetime.fromisoformat(text)  # the API gives milliseconds
        assert abs(shown - getattr(record, field)).total_seconds() < 0.001
    # a site at UTC keeps UTC
    other = api(users["coordinator.novara"]).get(
        f"/api/v1/administrations/{world['novara']['administration'].pk}"
    )
    assert datetime.fromisoformat(other.json()["administered_at"]).utcoffset().total_seconds() == 0
