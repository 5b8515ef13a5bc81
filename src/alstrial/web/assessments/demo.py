"""Demo hook: the forms of every recorded visit, with item-level ALSFRS-R.

Totals follow each subject's natural-history trajectory (``ctx.data["patients"]`` from the
subjects hook): the drawn slope (points/month, negative) before day 0 and, after day 0, the
slope times ``DEMO_SLOPE_RATIO``, so the demo trial looks like Kim 2009 (decline 2.68 points per
3 months in the lead-in vs 1.54 in follow-up: ratio 0.57). Visit-to-visit noise SD 1.5 points
(docs/domain.md, 'Natural history'). Items that sum to each total come from the synthetic registry's
item model (``alstrial.registry.synth_items``), so they are consistent with a realistic decline.
This is demo data: the effect is put in on purpose and says nothing about the therapy.
"""

from __future__ import annotations

import numpy as np

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.registry.synth_items import (
    ITEM_ORDER,
    gastrostomy_status,
    items_for_totals,
    loss_thresholds,
)
from alstrial.web.assessments.models import (
    AlsfrsAssessment,
    ConcomitantMedication,
    FvcAssessment,
    MriSpine,
    VitalSigns,
    WeightAssessment,
)
from alstrial.web.assessments.services import record_visit_form
from alstrial.web.subjects.models import VisitStatus

DEMO_SLOPE_RATIO = 0.57
NOISE_SD = 1.5


def _totals(patient: dict, days: np.ndarray, screening_day: int, rng) -> np.ndarray:
    pre = np.minimum(days, 0) - screening_day
    post = np.maximum(days, 0)
    slope = patient["slope"]
    expected = (
        patient["screening_total"]
        + slope * pre / DAYS_PER_MONTH
        + slope * DEMO_SLOPE_RATIO * post / DAYS_PER_MONTH
    )
    noisy = expected + rng.normal(0.0, NOISE_SD, len(days))
    noisy[0] = patient["screening_total"]  # the screening visit's total is the screened value
    return np.clip(np.rint(noisy), 0, 48)


def _alsfrs(visit, subject, items_row, gastrostomy) -> AlsfrsAssessment:
    values = dict(zip(ITEM_ORDER, (int(v) for v in items_row), strict=True))
    cutting = values.pop("cutting")
    key = "cutting_with_gastrostomy" if gastrostomy else "cutting_without_gastrostomy"
    values[key] = cutting
    return AlsfrsAssessment(subject=subject, visit=visit, **values)


def _other_forms(key, visit, subject, patient, months, rng):
    common = {"subject": subject, "visit": visit}
    if key == "fvc":
        fvc = patient["fvc"] + patient["fvc_slope"] * months + rng.normal(0, 3)
        return FvcAssessment(**common, fvc_percent_predicted=round(float(np.clip(fvc, 20, 140)), 1))
    if key == "weight":
        weight = patient.setdefault("weight", float(rng.normal(66, 9))) - 0.2 * months
        return WeightAssessment(**common, weight_kg=round(weight, 1))
    if key == "vitals":
        return VitalSigns(
            **common,
            systolic_mmhg=int(rng.normal(124, 10)),
            diastolic_mmhg=int(rng.normal(78, 7)),
            heart_rate_bpm=int(rng.normal(74, 8)),
            respiratory_rate=int(rng.normal(16, 2)),
            temperature_c=round(float(rng.normal(36.7, 0.3)), 1),
        )
    if key == "conmed":
        riluzole = patient.setdefault("riluzole", bool(rng.random() < 0.8))
        return ConcomitantMedication(**common, riluzole=riluzole, edaravone=False)
    if key == "mri_spine":
        volume = patient.setdefault("cord_volume_ml", float(rng.normal(18.0, 1.5)))
        return MriSpine(**common, cord_volume_ml=round(volume, 1), abnormal_proliferation=False)
    return None


def load_demo(ctx) -> None:
    rng = np.random.default_rng(ctx.seed + 1)
    patients = ctx.data.get("patients", {})
    for subjects in ctx.subjects.values():
        for subject in subjects:
            visits = list(subject.visits.filter(status=VisitStatus.DONE).order_by("sequence"))
            if not visits or subject.code not in patients:
                continue
            patient = patients[subject.code]
            user = ctx.users[f"coordinator.{subject.site.code}"]
            days = np.array([visit.study_day for visit in visits])
            totals = _totals(patient, days, visits[0].target_day, rng)
            thresholds = loss_thresholds(np.array([patient["bulbar"]]), rng)
            items = items_for_totals(thresholds, totals[None, :])
            gastrostomy = gastrostomy_status(items)
            for i, visit in enumerate(visits):
                months = (visit.study_day - visits[0].target_day) / DAYS_PER_MONTH
                for key in visit.forms:
                    if key == "alsfrs_r":
                        record = _alsfrs(visit, subject, items[0, i], gastrostomy[0, i])
                    else:
                        record = _other_forms(key, visit, subject, patient, months, rng)
                    if record is not None:
                        record_visit_form(record, user, visit_date=None, reason="demo data")
