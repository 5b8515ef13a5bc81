"""Fixtures of the blinding suite: the randomised msc_rct trial and its subjects, shared with
the randomisation suite (tests/web/randomisation/conftest.py)."""

import pytest
from web.randomisation.conftest import api, rct_subject, rct_trial  # noqa: F401


@pytest.fixture
def both_arms(rct_subject, users):  # noqa: F811 (the imported fixture)
    """``{arm code: subject}``: randomised msc_rct subjects at seoul, one of each arm (subjects
    of one stratum until both arms were drawn; a permuted block of 2 or 4 holds both)."""
    from alstrial.web.randomisation.services import arm_of, randomise_subject

    found = {}
    for _ in range(4):
        subject = rct_subject(onset_site="spinal", decline=1.5)
        randomise_subject(users["coordinator.seoul"], subject)
        found.setdefault(arm_of(subject), subject)
        if len(found) == 2:
            return found
    raise AssertionError(f"four subjects of one stratum drew one arm only: {sorted(found)}")


def _lots_of_both_arms(both_arms, users, sites, stage: str) -> dict:
    from alstrial.web.product.demo import build_lot, ensure_weight
    from alstrial.web.product.models import ReleaseAuthority

    admin = users["admin"]
    ReleaseAuthority.objects.create(user=admin, site=sites["seoul"])
    lots = {}
    for arm, subject in both_arms.items():
        ensure_weight(subject, users["coordinator.seoul"])
        lots[arm] = build_lot(subject, admin, admin, stage=stage, password="pw-for-tests-only")
    return lots


@pytest.fixture
def rct_lots(both_arms, users, sites):
    """``{arm code: lot}``: a released dose-1 lot of each arm's subject, made with the product
    services by the admin (who holds every role)."""
    return _lots_of_both_arms(both_arms, users, sites, "released")


@pytest.fixture
def rct_given(both_arms, users, sites):
    """``{arm code: lot}``: as ``rct_lots``, each given to its subject as dose 1 by the
    investigator at the bedside (the same scan for both arms)."""
    from alstrial.web.product.administration import administer_dose

    lots = _lots_of_both_arms(both_arms, users, sites, "released")
    for arm, lot in lots.items():
        subject = both_arms[arm]
        administer_dose(
            subject,
            users["investigator.seoul"],
            scanned_subject_id=subject.code,
            scanned_lot_id=lot.code,
            route="intrathecal",
        )
        lot.refresh_from_db()
    return lots
