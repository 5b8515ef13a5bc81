"""Two bedside terminals give the same lot at the same moment: exactly one administration is
recorded (the lot row is locked with SELECT ... FOR UPDATE; PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from alstrial.web.product import services
from alstrial.web.product.models import Administration, RefusedAttempt

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_one_lot_given_twice_at_once_is_given_once(product_world, users, lot_at):
    from django.db import connections

    alice = product_world["alice"]
    lot = lot_at(alice, "released")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def bedside():
        try:
            barrier.wait()
            services.administer_dose(
                alice,
                users["investigator.seoul"],
                scanned_subject_id=alice.code,
                scanned_lot_id=lot.code,
                route="intrathecal",
            )
            outcomes.append("given")
        except services.AdministrationRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bedside) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["given", "refused"]
    assert Administration.objects.filter(lot=lot).count() == 1
    assert RefusedAttempt.objects.filter(subject=alice).count() == 1
