"""Fixtures of the safety web tests: site time zones and a valid adverse event report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alstrial.web.safety.models import SiteSafetySettings


@pytest.fixture
def site_zones(sites):
    """Seoul on Asia/Seoul, Novara on Europe/Rome; Seoul e-mails its safety monitors."""
    return {
        "seoul": SiteSafetySettings.objects.create(
            site=sites["seoul"], time_zone="Asia/Seoul", email_safety_monitors=True
        ),
        "novara": SiteSafetySettings.objects.create(site=sites["novara"], time_zone="Europe/Rome"),
    }


@pytest.fixture
def ae_data():
    """``ae_data(subject, **changes)``: a valid non-serious headache report for ``subject``."""

    def make(subject, **changes):
        onset = subject.consent_date + timedelta(days=10)
        data = {
            "term": "headache",
            "onset_date": onset,
            "resolution_date": onset + timedelta(days=2),
            "grade": "1",
            "serious": "no",
            "seriousness_criteria": [],
            "relatedness_cell_product": "unlikely",
            "relatedness_bone_marrow_aspiration": "unrelated",
            "relatedness_lumbar_puncture": "probable",
            "relatedness_spinal_surgery": "",
            "action_taken": "none",
            "outcome": "recovered",
            "awareness_at": "",
            "narrative": "",
        }
        data.update(changes)
        return data

    return make
