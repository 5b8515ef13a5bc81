"""Fixtures of the cell product tests: subjects with a weight, lab users and lots at a stage."""

from __future__ import annotations

import pytest

PASSWORD = "pw-for-tests-only"  # tests/web/conftest.py make_user's default


@pytest.fixture
def product_world(enrolled_subject, users, sites):
    """Three enrolled subjects at Seoul (kim2009) and one at Novara (mazzini2003), each with a
    70 kg weight; release authorities for the cell lab users."""
    from alstrial.web.product.demo import ensure_weight
    from alstrial.web.product.models import ReleaseAuthority

    world = {
        "alice": enrolled_subject("seoul"),
        "bob": enrolled_subject("seoul"),
        "nina": enrolled_subject("novara"),
    }
    for key, subject in world.items():
        site = "novara" if key == "nina" else "seoul"
        ensure_weight(subject, users[f"coordinator.{site}"])
    for site in ("seoul", "novara"):
        ReleaseAuthority.objects.create(user=users[f"celllab.{site}"], site=sites[site])
    return world


@pytest.fixture
def lot_at(users):
    """``lot_at(subject, stage, dose_number=1)``: a lot made through the services."""
    from alstrial.web.product.demo import build_lot

    def make(subject, stage="released", dose_number=1, **kwargs):
        lab = users[f"celllab.{subject.site.code}"]
        return build_lot(
            subject, lab, lab, stage=stage, password=PASSWORD, dose_number=dose_number, **kwargs
        )

    return make
