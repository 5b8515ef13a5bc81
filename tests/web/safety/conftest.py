"""Fixtures of the safety web tests: site time zones and valid adverse event reports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alstrial.web.safety.models import SiteSafetySettings


@pytest.fixture
def site_zones(sites):
    """Seoul on Asia/Seoul, Novara on Europe/Rome; Seoul e-mails its safety monitors."""
    for code, zone in (("seoul", "Asia/Seoul"), ("novara", "Europe/Rome")):
        sites[code].time_zone = zone
        sites[code].save(update_fields=["time_zone"])
    return {
        "seoul": SiteSafetySettings.objects.create(site=sites["seoul"], email_safety_monitors=True),
        "novara": SiteSafetySettings.objects.create(site=sites["novara"]),
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


@pytest.fixture
def sae_data(ae_data):
    """``sae_data(subject, **changes)``: a serious event that is a SUSAR in kim2009 (meningitis,
    grade 3, hospitalisation, possibly related to the lumbar puncture, not on the protocol's
    list), the site aware at 09:30 local time on consent + 11 days."""

    def make(subject, **changes):
        aware = subject.consent_date + timedelta(days=11)
        values = {
            "term": "meningitis",
            "grade": "3",
            "serious": "yes",
            "seriousness_criteria": ["hospitalisation"],
            "awareness_at": f"{aware.isoformat()}T09:30",
            "relatedness_lumbar_puncture": "possible",
            "outcome": "recovering",
            "resolution_date": None,
        }
        return ae_data(subject, **{**values, **changes})

    return make
