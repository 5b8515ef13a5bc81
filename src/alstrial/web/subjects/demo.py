"""Demo hook: synthetic subjects at every stage, drawn from the natural-history model.

kim2009 (Seoul): 22 subjects treated and followed up (all visits done, like Kim 2009), one in
follow-up whose month-2 visit is overdue, one at the end of the lead-in (first harvest done
about 25 days ago, so its cells are in the lab; second harvest due now, first injection in
3 days), one eligible in screening and one screen failure (so the dashboard has something to
show). mazzini2003 (Novara): 5 subjects implanted about 10 months ago (300-312 days), in
follow-up with the month-3 and month-6 MRIs done, and one in screening.
Patients come from ``alstrial.simulation.natural_history.draw_patients`` (literature values,
docs/domain.md, 'Natural history'); their trajectories are left in ``ctx.data["patients"]`` (by
subject code) for the assessments hook, which writes the item-level ALSFRS-R.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np

from alstrial.simulation.natural_history import NaturalHistory, draw_patients
from alstrial.web.subjects.models import VisitStatus
from alstrial.web.subjects.services import enrol_subject, record_visit, screen_subject

#: Mean age at entry, years: Asian cohorts about 50 (docs/domain.md, 'Natural history'), others the
#: literature default (56).
AGE_MEAN_YEARS = {"kim2009": 50.0}

#: (trial, site, stage, how many, day 0 relative to the demo's today in days, leave the last
#: opened visit unrecorded)
PLAN = (
    ("kim2009", "seoul", "treated", 22, -110, False),
    ("kim2009", "seoul", "follow_up", 1, -70, True),
    ("kim2009", "seoul", "lead_in", 1, 3, True),
    ("kim2009", "seoul", "screening", 1, None, False),
    ("kim2009", "seoul", "screen_failure", 1, None, False),
    ("mazzini2003", "novara", "follow_up", 5, -300, False),
    ("mazzini2003", "novara", "screening", 1, None, False),
)


def _values(patient: dict, screen_fail: bool) -> dict:
    return {
        "sex": "M" if patient["male"] else "F",
        "age_years": int(np.clip(patient["age_years"], 25, 74)),
        "onset_site": "bulbar" if patient["bulbar"] else "spinal",
        "el_escorial": "possible" if screen_fail else "probable",
        "alsfrs_r_total": patient["screening_total"],
        "fvc_percent_predicted": round(float(np.clip(patient["fvc"], 55, 120)), 1),
    }


def load_demo(ctx) -> None:
    rng = np.random.default_rng(ctx.seed)
    model = NaturalHistory.literature().replace(
        survival_scale_months=np.inf, dropout_rate_per_month=0.0
    )
    cohorts, next_index = {}, Counter()
    for slug in dict.fromkeys(row[0] for row in PLAN):
        size = sum(row[3] for row in PLAN if row[0] == slug)
        cohort_model = model.replace(age_mean=AGE_MEAN_YEARS.get(slug, model.age_mean))
        cohorts[slug] = draw_patients(size, rng, cohort_model)
    patients = ctx.data.setdefault("patients", {})
    for slug, site_code, stage, count, day_zero_offset, leave_open in PLAN:
        drawn = cohorts[slug]
        trial = ctx.trials[slug]
        coordinator = ctx.users[f"coordinator.{site_code}"]
        screening_day = trial.protocol.schedule()[0].day
        for n in range(count):
            index = next_index[slug]
            next_index[slug] += 1
            months = float(np.clip(drawn.months_since_onset[index], 6, 30))
            patient = {
                "age_years": float(drawn.age_years[index]),
                "male": bool(drawn.male[index]),
                "bulbar": bool(drawn.bulbar_onset[index]),
                "months_since_onset": months,
                "screening_total": int(np.clip(round(drawn.baseline_total[index]), 28, 46)),
                "slope": float(min(drawn.slope[index], -0.3)),
                "fvc": float(drawn.fvc_percent[index]),
                "fvc_slope": float(drawn.fvc_slope[index]),
            }
            if day_zero_offset is None:
                day_zero = None
                screening_date = ctx.today - timedelta(days=3 + n)
            else:
                stagger = 3 * n
                day_zero = ctx.today + timedelta(days=day_zero_offset - stagger)
                screening_date = day_zero + timedelta(days=screening_day)
            values = _values(patient, stage == "screen_failure")
            values["symptom_onset_date"] = screening_date - timedelta(days=round(months * 30.4375))
            subject = screen_subject(
                site=ctx.sites[site_code],
                trial=trial,
                user=coordinator,
                consent_date=screening_date,
                screening_date=screening_date,
                values=values,
            )
            ctx.subjects.setdefault(slug, []).append(subject)
            patients[subject.code] = patient
            if day_zero is None:
                continue
            enrol_subject(
                subject, coordinator, enrolment_date=screening_date, day_zero_date=day_zero
            )
            _record_past_visits(subject, coordinator, ctx.today, rng, leave_open)


def _record_past_visits(subject, user, today, rng, leave_last_open: bool) -> None:
    """Every visit whose window has opened is recorded, on a day inside its window (but the
    last one when ``leave_last_open``: it is then due now, or overdue once its window closed)."""
    opened = [
        visit
        for visit in subject.visits.filter(status=VisitStatus.SCHEDULED).order_by("sequence")
        if visit.earliest_date <= today
    ]
    if leave_last_open:
        opened = opened[:-1]
    for visit in opened:
        earliest, latest = visit.earliest_date, visit.latest_date
        offset = int(rng.integers(-2, 3))
        when = min(max(visit.target_date + timedelta(days=offset), earliest), latest, today)
        record_visit(visit, user, visit_date=when)
