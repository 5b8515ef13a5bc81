"""The demo hook gives both trials lots at every stage, made through the services."""

from __future__ import annotations

from datetime import date

import pytest

from alstrial.web.core.demo import DEMO_PASSWORD, DemoContext
from alstrial.web.product.demo import load_demo
from alstrial.web.product.models import Administration, CustodyEntry, Lot, ReleaseAuthority

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def stage_of(lot: Lot) -> str:
    return "expired" if lot.status == "released" and lot.is_expired else lot.status


def test_demo_lots_at_every_stage_in_both_trials(enrolled_subject, users, sites):
    for user in users.values():  # the demo signs releases with the demo password
        user.set_password(DEMO_PASSWORD)
        user.save()
    subjects = {
        "kim2009": [enrolled_subject("seoul") for _ in range(3)],
        "mazzini2003": [enrolled_subject("novara") for _ in range(2)],
    }
    ctx = DemoContext(
        today=date.today(), sites=sites, users=users, subjects=subjects, log=lambda _: None
    )
    load_demo(ctx)
    expected = {
        "in_manufacturing",
        "qc_pending",
        "released",
        "expired",
        "administered",
        "destroyed",
    }
    for slug, group in subjects.items():
        lots = Lot.objects.filter(subject__in=group)
        assert {stage_of(lot) for lot in lots} == expected, slug
    for administration in Administration.objects.select_related("lot"):
        assert administration.lot.subject_id == administration.subject_id
    assert ReleaseAuthority.objects.filter(user=users["celllab.novara"]).exists()
    # every lot has its "made" entry first
    for lot in Lot.objects.all():
        assert CustodyEntry.objects.filter(lot=lot).first().event == "made"
