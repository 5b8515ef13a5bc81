"""Give a subject a dose through the product services (tests of the treated population)."""

from __future__ import annotations

#: tests/web/conftest.py ``make_user``'s default password (the release signature needs it).
PASSWORD = "pw-for-tests-only"


def give_dose(subject, users, sites, dose_number: int = 1, at=None):
    """Weigh ``subject``, make and release a lot of dose ``dose_number`` at its site and give it
    (as the site's investigator) now or ``at`` (aware; the lot is then made two hours before);
    returns the ``Administration``. Dose 1 moves day 0 to the site's date of the dose."""
    from datetime import timedelta

    from alstrial.web.product.administration import administer_dose
    from alstrial.web.product.demo import build_lot, ensure_weight
    from alstrial.web.product.models import ReleaseAuthority

    site = subject.site.code
    lab = users[f"celllab.{site}"]
    ensure_weight(subject, users[f"coordinator.{site}"])
    ReleaseAuthority.objects.get_or_create(user=lab, site=sites[site])
    made = None if at is None else at - timedelta(hours=2)
    lot = build_lot(
        subject, lab, lab, stage="released", password=PASSWORD, dose_number=dose_number, now=made
    )
    route = subject.trial.protocol.interventions.route
    intraspinal = route.name == "intraspinal"
    return administer_dose(
        subject,
        users[f"investigator.{site}"],
        scanned_subject_id=subject.code,
        scanned_lot_id=lot.code,
        route=route.name,
        spinal_level="T8" if intraspinal else "",
        pump_rate_ul_per_min=100.0 if intraspinal else None,
        administered_at=at,
        within_transaction=True,  # the test's own transaction encloses it
    )
