"""Give a subject a dose through the product services (tests of the treated population)."""

from __future__ import annotations

#: tests/web/conftest.py ``make_user``'s default password (the release signature needs it).
PASSWORD = "pw-for-tests-only"


def give_dose(subject, users, sites, dose_number: int = 1):
    """Weigh ``subject``, make and release a lot of dose ``dose_number`` at its site and give it
    (as the site's investigator); returns the ``Administration``."""
    from alstrial.web.product.administration import administer_dose
    from alstrial.web.product.demo import build_lot, ensure_weight
    from alstrial.web.product.models import ReleaseAuthority

    site = subject.site.code
    lab = users[f"celllab.{site}"]
    ensure_weight(subject, users[f"coordinator.{site}"])
    ReleaseAuthority.objects.get_or_create(user=lab, site=sites[site])
    lot = build_lot(subject, lab, lab, stage="released", password=PASSWORD, dose_number=dose_number)
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
        within_transaction=True,  # the test's own transaction encloses it
    )
