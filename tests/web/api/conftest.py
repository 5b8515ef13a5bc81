"""Fixtures of the API tests: a bearer-token client per user and a small two-site world.

``api(user)`` returns a client whose requests carry that user's token (obtained through
``POST /api/v1/auth/token``, like any client); ``world`` holds enrolled subjects at both sites
with a weight, a released lot each, an ALSFRS-R and an adverse event, all made through the
services as the users of their own site.
"""

from __future__ import annotations

import pytest
from api_support import (
    ITEMS,
    PASSWORD,
    ApiClient,
    administration_body,
    ae_report,
    done_visit_with,
    obtain_token,
)


@pytest.fixture
def api(db):
    """``api(user)``: a client authenticated with a fresh token of ``user``."""

    def make(user) -> ApiClient:
        response = obtain_token(user.get_username())
        assert response.status_code == 200, response.content
        return ApiClient(response.json()["token"])

    return make


@pytest.fixture
def world(enrolled_subject, users, sites):
    """Per site: an enrolled subject with a 70 kg weight, dose 1 made, released and given
    (``administration``), dose 2's lot released (``lot``; at Novara, whose protocol has one
    dose, a second lot of dose 1), an ALSFRS-R at the first done visit that collects one, and
    an adverse event. ``world[site]`` is a dict of those objects."""
    from alstrial.web.assessments.models import AlsfrsAssessment
    from alstrial.web.core.records import save_clinical
    from alstrial.web.product.administration import administer_dose
    from alstrial.web.product.demo import build_lot, ensure_weight
    from alstrial.web.product.models import ReleaseAuthority
    from alstrial.web.safety.services import record_adverse_event

    out = {}
    for site in ("seoul", "novara"):
        coordinator = users[f"coordinator.{site}"]
        lab = users[f"celllab.{site}"]
        ReleaseAuthority.objects.create(user=lab, site=sites[site])
        subject = enrolled_subject(site)
        ensure_weight(subject, coordinator)
        given_lot = build_lot(subject, lab, lab, stage="released", password=PASSWORD)
        body = administration_body(subject, given_lot)
        body.pop("subject_id")
        administration = administer_dose(subject, users["admin"], **body, channel="import")
        doses = subject.trial.protocol.interventions.administrations.count
        next_dose = 2 if doses >= 2 else 1
        lot = build_lot(
            subject, lab, lab, stage="released", password=PASSWORD, dose_number=next_dose
        )
        visit = done_visit_with(subject, "alsfrs_r")
        alsfrs = save_clinical(AlsfrsAssessment(subject=subject, visit=visit, **ITEMS), coordinator)
        data = {k: v for k, v in ae_report(subject).items() if k != "subject_id"}
        ae = record_adverse_event(subject, {**data, "serious": "no"}, coordinator)
        out[site] = {
            "subject": subject,
            "lot": lot,
            "administration": administration,
            "alsfrs": alsfrs,
            "ae": ae,
            "visit": visit,
        }
    return out
