"""``build_lot`` (the demo's and the tests' way to reach a stage) goes through the services with
a chronological custody ledger. The whole demo's product history is checked against the visit
schedule in ``tests/web/test_demo_history.py``."""

from __future__ import annotations

import pytest

from alstrial.web.product.demo import STAGES
from alstrial.web.product.models import CustodyEntry, Lot

pytestmark = [pytest.mark.django_db]

#: The custody events each stage has been through, in order (docs/product.md).
EVENTS = {
    "in_manufacturing": ["made"],
    "qc_pending": ["made", "qc"],
    "destroyed": ["made", "qc", "destroyed"],
    "released": ["made", "qc", "dose_prepared", "released"],
    "expired": ["made", "qc", "dose_prepared", "released"],
}


def stage_of(lot: Lot) -> str:
    return "expired" if lot.status == "released" and lot.is_expired else lot.status


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "administered"])
def test_build_lot_reaches_each_stage_in_order(product_world, lot_at, stage):
    lot = lot_at(product_world["alice"], stage)
    lot.refresh_from_db()
    assert stage_of(lot) == stage
    entries = list(CustodyEntry.objects.filter(lot=lot).order_by("id"))
    assert [e.event for e in entries] == EVENTS[stage]
    times = [e.at for e in entries]
    assert times == sorted(times)  # written in the order things happened
    if stage == "expired":
        assert lot.active_signature.signed_at == entries[-1].at


def test_an_unknown_stage_is_refused(product_world, lot_at):
    with pytest.raises(ValueError, match="unknown stage"):
        lot_at(product_world["alice"], "frozen")
