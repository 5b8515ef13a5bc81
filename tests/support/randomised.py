"""Subjects of the randomised msc_rct trial ready to randomise, for the randomisation tests
(tests/web/randomisation/) and the race script (:data:`RACE_SCRIPT`).

:func:`ready_subject` screens, enrols and records the three lead-in ALSFRS-R visits of one
subject so that the totals fall by ``decline`` points/month; :func:`items_for_total` gives
twelve items (cutting without gastrostomy) summing to a total.

Run as a script with the database of a throw-away process (``DATABASE_URL`` or
``ALSTRIAL_DB``): ``python tests/support/randomised.py race N`` migrates, makes ``N`` ready
subjects at Seoul, randomises them all at once from ``N`` threads (a barrier releases them
together) and prints JSON ``{"vendor", "outcomes": [...], "allocations": [{"subject",
"number", "stratum_number", "arm"}], "seed", "scheme_ok"}``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.domain.time import DAYS_PER_MONTH

RACE_SCRIPT = str(Path(__file__).resolve())
#: The ALSFRS-R total at the first lead-in visit.
LEAD_IN_START_TOTAL = 44


def items_for_total(total: int) -> dict[str, int | None]:
    """Twelve scored items (cutting without gastrostomy) that sum to ``total`` points."""
    items: dict[str, int | None] = {
        k: (None if k == "cutting_with_gastrostomy" else 4) for k in ITEM_KEYS
    }
    missing = 48 - total
    for key, value in items.items():
        if value is None or missing == 0:
            continue
        taken = min(4, missing)
        items[key] = value - taken
        missing -= taken
    return items


def ready_subject(
    trial,
    site,
    user,
    *,
    onset_site: str = "spinal",
    decline: float = 1.5,
    enrol: bool = True,
    lead_in: bool = True,
    eligible: bool = True,
    days_ago: int = 100,
):
    """A subject of ``trial`` (msc_rct) screened ``days_ago`` days ago by ``user``; enrolled and
    with its lead-in ALSFRS-R recorded unless told otherwise (``eligible=False`` screens it as
    El Escorial "possible", a screen failure)."""
    from alstrial.web.assessments.models import AlsfrsAssessment
    from alstrial.web.assessments.services import record_alsfrs
    from alstrial.web.subjects.services import enrol_subject, screen_subject

    screening_date = date.today() - timedelta(days=days_ago)
    subject = screen_subject(
        site=site,
        trial=trial,
        user=user,
        consent_date=screening_date,
        screening_date=screening_date,
        values={
            "sex": "F",
            "age_years": 55,
            "onset_site": onset_site,
            "el_escorial": "probable" if eligible else "possible",
            "alsfrs_r_total": 40,
            "fvc_percent_predicted": 85.0,
            "symptom_onset_date": screening_date - timedelta(days=300),
        },
    )
    if not enrol:
        return subject
    enrol_subject(subject, user, enrolment_date=screening_date)
    if lead_in:
        visits = list(subject.visits.filter(epoch="RUN-IN").order_by("sequence"))
        first = subject.day_zero_date + timedelta(days=visits[0].target_day)
        for visit in visits:
            when = subject.day_zero_date + timedelta(days=visit.target_day)
            months = (when - first).days / DAYS_PER_MONTH
            record_alsfrs(
                AlsfrsAssessment(subject=subject, visit=visit),
                items_for_total(round(LEAD_IN_START_TOTAL - decline * months)),
                user,
                visit_date=when,
            )
    subject.refresh_from_db()
    return subject


def race(count: int) -> dict:
    """Migrate, make ``count`` ready subjects (both onset sites, slow and fast), randomise them
    from ``count`` threads at once; what happened, for the test to check."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, connections

    from alstrial.domain import randomisation as rules
    from alstrial.web.core.models import Role, Site, SiteMembership
    from alstrial.web.randomisation.models import Allocation, SealedSeed
    from alstrial.web.randomisation.services import arm_of, randomise_subject
    from alstrial.web.trials.services import create_bundled_trial

    call_command("migrate", verbosity=0)
    site = Site.objects.create(code="seoul", name="Seoul", prefix="SEO", time_zone="UTC")
    trial = create_bundled_trial("msc_rct", [site])
    user = get_user_model().objects.create_user("race.coordinator", password="race-only-0451")
    SiteMembership.objects.create(user=user, site=site, role=Role.COORDINATOR)
    kinds = [("spinal", 0.6), ("spinal", 2.0), ("bulbar", 2.0)]
    subjects = [
        ready_subject(trial, site, user, onset_site=kinds[i % 3][0], decline=kinds[i % 3][1])
        for i in range(count)
    ]
    connections.close_all()
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def randomise(subject) -> None:
        try:
            barrier.wait()
            randomise_subject(user, subject)
            outcomes.append("randomised")
        except Exception as error:  # reported to the test, which fails on any
            outcomes.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=randomise, args=(s,)) for s in subjects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    made = Allocation.objects.filter(trial=trial).select_related("subject")
    seed = SealedSeed.objects.get(trial=trial).seed
    scheme = trial.protocol.randomisation
    allocations = [
        {
            "subject": a.subject.code,
            "number": a.randomisation_number,
            "stratum_number": a.stratum_number,
            "arm": arm_of(a.subject),
        }
        for a in made
    ]
    expected = {
        stratum: [e.arm for e in rules.stratum_list(scheme, seed, stratum, count)]
        for stratum in range(1, len(scheme.strata()) + 1)
    }
    return {
        "vendor": connection.vendor,
        "outcomes": outcomes,
        "allocations": allocations,
        "expected_arms": expected,
    }


def main(argv: list[str]) -> int:
    if argv[:1] != ["race"] or len(argv) != 2:
        print("usage: randomised.py race N", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alstrial.web.settings")
    import django

    django.setup()
    print(json.dumps(race(int(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
