"""Seed a database for load and fault tests, and check afterwards that nothing acknowledged
was lost (bench/bench_load.py, tests/web/reliability/).

The plan gives each simulated coordinator a log-in at Seoul and subjects of their own (kim2009),
so concurrent saves never edit the same form (that would be a legitimate 409, not a fault).
Every save a client saw acknowledged (the form answered with its redirect) is written by the
client as one JSON line ``{"visit": id, "reason": text, "items": {key: score}}``; :func:`verify`
then finds, for each line, the ALSFRS-R record of that visit and the audit-trail row carrying
that reason with exactly those items, and checks that no record is half-written.

Run as a script (:data:`SCRIPT`) with the database of the server under test (``DATABASE_URL``
or ``ALSTRIAL_DB``)::

    python tests/support/loadtest.py seed --users 50 --out plan.json
    python tests/support/loadtest.py verify ACKS.jsonl...
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from alstrial.domain.alsfrs_items import ITEMS

#: ALSFRS-R items the load clients fill in (5a, cutting without gastrostomy; 5b left empty).
ITEM_KEYS = tuple(item.key for item in ITEMS if item.key != "cutting_with_gastrostomy")
#: The password of every load-test account (a throw-away database only).
LOAD_PASSWORD = "load-test-password-0451"
SUBJECTS_PER_USER = 2
SCREENING_DAYS_AGO = 200
#: This file, to run as a script in a subprocess (it imports only the installed package).
SCRIPT = str(Path(__file__).resolve())


_VERSION_INPUT = re.compile(r'<input[^>]*name="version"[^>]*>')
_VALUE = re.compile(r'value="(\d+)"')


def form_version(html: str) -> int | None:
    """The hidden ``version`` a form page was rendered with (None for a record not yet saved)."""
    tag = _VERSION_INPUT.search(html)
    value = _VALUE.search(tag.group(0)) if tag else None
    return int(value.group(1)) if value else None


def random_items(rng: random.Random) -> dict[str, int]:
    """Valid ALSFRS-R items (5a scored, 5b not): each 0-4 points."""
    return {key: rng.randint(0, 4) for key in ITEM_KEYS}


def alsfrs_post(items: dict, visit_date: date, reason: str, version: int | None) -> dict:
    """The POST body of the ALSFRS-R visit form (without the CSRF token)."""
    body = {**{k: str(v) for k, v in items.items()}, "cutting_with_gastrostomy": ""}
    body.update(visit_date=visit_date.isoformat(), reason=reason)
    body["version"] = "" if version is None else str(version)
    # The seeded visits are scored "today", often outside their window: the coordinator
    # confirms the date, as the form asks (ignored when the date is inside the window).
    body["confirm_outside_window"] = "on"
    return body


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alstrial.web.settings")
    import django

    django.setup()


def seed(users: int, subjects_per_user: int = SUBJECTS_PER_USER) -> dict:
    """Migrate, then create Seoul and kim2009, ``users`` coordinators ``load.NN`` with their own
    enrolled subjects. Returns the plan: ``{"password", "users": [{"username", "subjects":
    [{"id", "visits": [visit ids collecting ALSFRS-R, dated today or earlier]}]}]}``."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    from alstrial.web.core.models import Role, Site, SiteMembership
    from alstrial.web.subjects.services import enrol_subject, screen_subject
    from alstrial.web.trials.services import create_bundled_trial

    call_command("migrate", verbosity=0)
    today = date.today()
    screened = today - timedelta(days=SCREENING_DAYS_AGO)
    plan: dict = {"password": LOAD_PASSWORD, "users": []}
    with transaction.atomic():
        site = Site.objects.create(code="seoul", name="Seoul", prefix="SEO", time_zone="Asia/Seoul")
        trial = create_bundled_trial("kim2009", [site])
        for n in range(users):
            user = get_user_model().objects.create_user(f"load.{n:02d}", password=LOAD_PASSWORD)
            SiteMembership.objects.create(user=user, site=site, role=Role.COORDINATOR)
            entry = {"username": user.username, "subjects": []}
            for _ in range(subjects_per_user):
                subject = screen_subject(
                    site=site,
                    trial=trial,
                    user=user,
                    consent_date=screened,
                    screening_date=screened,
                    values={
                        "sex": "F",
                        "age_years": 55,
                        "onset_site": "spinal",
                        "el_escorial": "probable",
                        "alsfrs_r_total": 40,
                        "fvc_percent_predicted": 85.0,
                        "symptom_onset_date": screened - timedelta(days=400),
                    },
                )
                subject = enrol_subject(subject, user, enrolment_date=screened)
                visits = [
                    visit.pk
                    for visit in subject.visits.order_by("sequence")
                    if "alsfrs_r" in visit.forms and visit.target_date <= today
                ]
                entry["subjects"].append({"id": subject.pk, "visits": visits})
            plan["users"].append(entry)
    return plan


@dataclass
class Verification:
    """What :func:`verify` found. ``ok`` when nothing acknowledged is missing and nothing is
    half-written."""

    acknowledged: int = 0
    found: int = 0
    missing: list[dict] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.acknowledged == self.found and not self.missing and not self.half_written

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def read_acks(paths: list[Path]) -> list[dict]:
    """The acknowledged saves in the JSON-lines files ``paths`` (a truncated last line, written
    while the client died, was never acknowledged and is skipped)."""
    acks = []
    for path in paths:
        for line in Path(path).read_text().splitlines():
            try:
                acks.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return acks


def verify(acks: list[dict]) -> Verification:
    """Every acknowledged save has its audit row (reason and items); every ALSFRS-R record is
    whole: valid items, total = item sum, ``version`` = its number of audit rows, visit done."""
    from alstrial.web.assessments.models import AlsfrsAssessment

    result = Verification(acknowledged=len(acks))
    history = AlsfrsAssessment.history.model.objects
    for ack in acks:
        rows = history.filter(visit_id=ack["visit"], history_change_reason=ack["reason"])
        if any(all(getattr(row, k) == v for k, v in ack["items"].items()) for row in rows):
            result.found += 1
        else:
            result.missing.append(ack)
    for record in AlsfrsAssessment.objects.select_related("visit"):
        label = f"ALSFRS-R {record.pk} (visit {record.visit_id})"
        if record.check_values() or record.total != record.score().total:
            result.half_written.append(f"{label}: items do not make a valid score")
        rows = history.filter(id=record.pk).count()
        if rows != record.version:
            result.half_written.append(f"{label}: version {record.version}, {rows} audit rows")
        if record.visit.visit_date is None:
            result.half_written.append(f"{label}: the visit has no date")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/support/loadtest.py")
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("--users", type=int, required=True)
    seeding.add_argument("--subjects-per-user", type=int, default=SUBJECTS_PER_USER)
    seeding.add_argument("--out", type=Path, required=True)
    checking = commands.add_parser("verify")
    checking.add_argument("acks", type=Path, nargs="*")
    args = parser.parse_args(argv)
    _setup()
    if args.command == "seed":
        args.out.write_text(json.dumps(seed(args.users, args.subjects_per_user)))
        return 0
    result = verify(read_acks(args.acks))
    print(json.dumps(result.to_dict()))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
