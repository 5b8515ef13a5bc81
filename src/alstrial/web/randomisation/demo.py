"""Demo hook: the randomised, double-blind msc_rct trial at Seoul (docs/randomisation.md,
"Demo").

About forty synthetic subjects at every stage: screening (2), a screen failure (1), in the
lead-in (3), one whose lead-in decline is below the protocol's entry rule (not randomised: the
service refuses it), and 34 randomised through :func:`services.randomise_subject` at the end
of their lead-in: before their first dose (5), between doses (10), in follow-up after the third
dose (10) and finished (9, every visit to month 6 done). The trial's seed is sealed with a fixed
demo value (:data:`DEMO_SEED`), so the same demo gives the same allocations; a real trial's
seed comes from ``secrets``. ALSFRS-R is recorded at every visit that took place, declining
at the same rate in both arms (no treatment effect is put in: the demo is blinded data).
Emergency unblinding: one request approved by a second person, one waiting for approval.
Allocations are made on the day the demo is loaded (``randomised_at`` is now): the one door
never backdates. The subjects are left in ``ctx.subjects["msc_rct"]`` for later hooks.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from alstrial.domain.errors import ValidationError
from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.registry.synth_items import (
    ITEM_ORDER,
    gastrostomy_status,
    items_for_totals,
    loss_thresholds,
)
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.assessments.services import record_visit_form
from alstrial.web.randomisation import services
from alstrial.web.subjects.models import VisitStatus
from alstrial.web.subjects.services import enrol_subject, record_visit, screen_subject
from alstrial.web.trials.services import create_bundled_trial

SLUG = "msc_rct"
SITE = "seoul"
#: The demo's fixed seed (a real trial's is drawn with ``secrets`` when first needed).
DEMO_SEED = 20_261_208
#: (stage, how many, day 0 relative to the demo's today in days; None: not enrolled).
PLAN = (
    ("screening", 2, None),
    ("screen_failure", 1, None),
    ("lead_in", 3, 70),
    ("below_entry_rule", 1, 20),
    ("randomised_before_dose", 5, 20),
    ("between_doses", 10, -50),
    ("follow_up", 10, -140),
    ("finished", 9, -200),
)
#: Lead-in decline (points/month) of the subject below the entry rule (0.3 in msc_rct).
SLOW_DECLINE = 0.0
#: Lead-in declines of the others are drawn in this range (points/month): far enough above the
#: entry rule that whole-point totals cannot bring the measured decline below it.
DECLINE_RANGE = (0.8, 2.2)
#: Visit-to-visit noise of the demo's ALSFRS-R totals (points, SD).
NOISE_SD = 0.5


def load_demo(ctx) -> None:
    site = ctx.sites[SITE]
    trial = create_bundled_trial(SLUG, [site])
    ctx.trials[SLUG] = trial
    services.seal_seed(trial, seed=DEMO_SEED)
    rng = np.random.default_rng(ctx.seed + 16)
    coordinator = ctx.users[f"coordinator.{SITE}"]
    ready = []
    for stage, count, day_zero_offset in PLAN:
        for n in range(count):
            subject, patient = _screen(ctx, trial, site, coordinator, stage, n, rng)
            ctx.subjects.setdefault(SLUG, []).append(subject)
            if day_zero_offset is None:
                continue
            day_zero = ctx.today + timedelta(days=day_zero_offset - 3 * n)
            enrol_subject(
                subject,
                coordinator,
                enrolment_date=day_zero + timedelta(days=trial.protocol.schedule()[0].day),
                day_zero_date=day_zero,
            )
            _record_visits(subject, coordinator, ctx.today, patient, rng)
            if subject.visits.filter(code="RAND", status=VisitStatus.DONE).exists():
                ready.append(subject)
    # Randomised in the order their randomisation visits took place.
    ready.sort(key=lambda s: s.visits.get(code="RAND").visit_date)
    randomised = []
    for subject in ready:
        try:
            services.randomise_subject(ctx.users[f"investigator.{SITE}"], subject)
        except ValidationError as error:
            ctx.log(f"randomisation: {subject.code} not randomised: {error}")
            continue
        randomised.append(subject)
    ctx.log(f"randomisation: {len(randomised)} subjects of {SLUG} randomised")
    _unblinding(ctx, randomised)


def _screen(ctx, trial, site, user, stage: str, n: int, rng):
    """Screen one subject; returns it and its drawn course (decline in points/month)."""
    screening_total = int(rng.integers(34, 45))
    decline = SLOW_DECLINE if stage == "below_entry_rule" else float(rng.uniform(*DECLINE_RANGE))
    patient = {
        "screening_total": screening_total,
        "decline": decline,
        "bulbar": bool(rng.random() < 0.3),
    }
    if stage in ("screening", "screen_failure"):
        screening_date = ctx.today - timedelta(days=3 + n)
    else:
        screening_date = None  # set by the caller's day 0: the screening visit's target day
    values = {
        "sex": "M" if rng.random() < 0.6 else "F",
        "age_years": int(rng.integers(35, 72)),
        "onset_site": "bulbar" if patient["bulbar"] else "spinal",
        "el_escorial": "possible" if stage == "screen_failure" else "probable",
        "alsfrs_r_total": screening_total,
        "fvc_percent_predicted": round(float(rng.uniform(65, 105)), 1),
    }
    if screening_date is None:
        offset = dict((s, o) for s, _, o in PLAN)[stage]
        day_zero = ctx.today + timedelta(days=offset - 3 * n)
        screening_date = day_zero + timedelta(days=trial.protocol.schedule()[0].day)
    values["symptom_onset_date"] = screening_date - timedelta(days=int(rng.integers(200, 500)))
    subject = screen_subject(
        site=site,
        trial=trial,
        user=user,
        consent_date=screening_date,
        screening_date=screening_date,
        values=values,
        reason="demo data",
    )
    return subject, patient


def _record_visits(subject, user, today, patient: dict, rng) -> None:
    """Every visit whose target date has passed is recorded on its target date, with the
    ALSFRS-R where the visit collects it (the lead-in ones give the stratification decline)."""
    visits = [
        v
        for v in subject.visits.order_by("sequence")
        if v.target_date <= today and (v.status == VisitStatus.SCHEDULED or v.sequence == 1)
    ]
    days = np.array([v.target_day for v in visits], dtype=float)
    months = (days - days[0]) / DAYS_PER_MONTH
    # No noise before randomisation: the lead-in decline is the drawn one, up to whole points.
    after_lead_in = np.array([v.epoch not in ("SCREENING", "RUN-IN") for v in visits])
    noise = rng.normal(0.0, NOISE_SD, len(days)) * after_lead_in
    expected = patient["screening_total"] - patient["decline"] * months
    totals = np.clip(np.rint(expected + noise), 0, 48)
    thresholds = loss_thresholds(np.array([patient["bulbar"]]), rng)
    items = items_for_totals(thresholds, totals[None, :])
    gastrostomy = gastrostomy_status(items)
    for i, visit in enumerate(visits):
        when = visit.target_date
        if visit.status == VisitStatus.SCHEDULED:
            record_visit(visit, user, visit_date=when)
        if "alsfrs_r" in visit.forms:
            values = dict(zip(ITEM_ORDER, (int(v) for v in items[0, i]), strict=True))
            cutting = values.pop("cutting")
            key = "cutting_with_gastrostomy" if gastrostomy[0, i] else "cutting_without_gastrostomy"
            values[key] = cutting
            record = AlsfrsAssessment(subject=subject, visit=visit, **values)
            record_visit_form(record, user, visit_date=None, reason="demo data")


def _unblinding(ctx, randomised: list) -> None:
    """One emergency unblinding approved by the safety monitor, one waiting for approval."""
    if len(randomised) < 2:
        return
    investigator = ctx.users[f"investigator.{SITE}"]
    approved = services.request_unblinding(
        investigator,
        randomised[-1],
        "Demo: suspected meningitis after the intrathecal dose; treating physician must know "
        "whether cells were given.",
    )
    services.approve_unblinding(ctx.users["safety.monitor"], approved)
    services.request_unblinding(
        investigator, randomised[-2], "Demo: severe headache after lumbar puncture."
    )
