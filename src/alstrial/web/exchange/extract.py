"""A trial's data from the database as :class:`alstrial.exchange.trial_data.TrialData`.

The one place where the exchange formats (SDTM, ODM, Dataset-JSON, dictionary, tidy CSV) meet
the web models. Site permissions: ``trial_data(trial, user=...)`` keeps the subjects of the
sites where ``user`` holds an analysis role (statistician, investigator, admin;
``alstrial.web.core.models.ANALYSIS_ROLES``); ``site_ids`` narrows explicitly; neither reads every
site (the command line, run by whoever holds the database). Identifying data
(``SubjectIdentity``) and free text (narratives, notes, reasons for missed visits or withdrawal)
never leave; the audit trail's change reasons do (ODM AuditRecord), as in the per-subject audit
export.
"""

from __future__ import annotations

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.exchange.trial_data import RELATEDNESS_CAUSES, TrialData, frame_of
from alstrial.web.assessments.models import (
    AlsfrsAssessment,
    ConcomitantMedication,
    EndpointEvent,
    EndpointKind,
    FvcAssessment,
    MriSpine,
    VitalSigns,
    WeightAssessment,
)
from alstrial.web.core.access import is_blinded_trial, site_ids_for
from alstrial.web.core.models import ANALYSIS_ROLES
from alstrial.web.exchange.audit import audit_rows
from alstrial.web.product.models import Administration, Harvest
from alstrial.web.randomisation.services import arms_of
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.subjects.models import Subject, Visit


def allowed_site_ids(trial, user=None, site_ids=None) -> list[int] | None:
    """The site ids to export: ``site_ids`` and/or the user's analysis sites; None = all."""
    allowed = None if site_ids is None else set(site_ids)
    if user is not None:
        mine = set(site_ids_for(user, *ANALYSIS_ROLES))
        allowed = mine if allowed is None else allowed & mine
    return None if allowed is None else sorted(allowed)


#: Administration columns that tell cells from vehicle: empty in a blinded export of a
#: randomised trial (docs/exchange.md, "Arms").
ARM_REVEALING_COLUMNS = ("cells_given", "volume_ml", "vehicle", "cells_per_kg")


def trial_data(
    trial, *, user=None, site_ids=None, audit: bool = False, unblinded: bool = False
) -> TrialData:
    """Every exchange frame of ``trial`` for the allowed sites (see the module docstring).

    A randomised trial's export is blinded unless ``unblinded`` (the caller checked
    ``access.can_see_arm`` at every exported site): no arms, and the administrations'
    :data:`ARM_REVEALING_COLUMNS` empty.
    """
    sites = allowed_site_ids(trial, user, site_ids)
    subjects = Subject.objects.filter(trial=trial).select_related("site")
    if sites is not None:
        subjects = subjects.filter(site_id__in=sites)
    subjects = list(subjects.order_by("site__code", "number"))
    ids = [s.pk for s in subjects]
    code = {s.pk: s.code for s in subjects}
    deaths = {
        e.subject_id: e.event_date for e in _of(EndpointEvent, ids).filter(kind=EndpointKind.DEATH)
    }
    frames = {
        "subjects": frame_of("subjects", [_subject_row(s, deaths.get(s.pk)) for s in subjects]),
        "visits": frame_of(
            "visits",
            [
                {
                    "subject_id": code[v.subject_id],
                    "visit_code": v.code,
                    "visit_name": v.name,
                    "visit_num": v.sequence,
                    "epoch": v.epoch,
                    "status": v.status,
                    "visit_date": v.visit_date,
                    "administration": v.administration,
                }
                for v in Visit.objects.filter(subject_id__in=ids).order_by("subject", "sequence")
            ],
        ),
        "alsfrs": _visit_form("alsfrs", AlsfrsAssessment, ids, code, (*ITEM_KEYS, "total")),
        "vitals": _visit_form(
            "vitals",
            VitalSigns,
            ids,
            code,
            (
                "systolic_mmhg",
                "diastolic_mmhg",
                "heart_rate_bpm",
                "respiratory_rate",
                "temperature_c",
            ),
        ),
        "weight": _visit_form("weight", WeightAssessment, ids, code, ("weight_kg",)),
        "conmed": _visit_form(
            "conmed", ConcomitantMedication, ids, code, ("riluzole", "edaravone")
        ),
        "fvc": _visit_form(
            "fvc", FvcAssessment, ids, code, ("fvc_percent_predicted", "fvc_litres")
        ),
        "mri": _visit_form(
            "mri", MriSpine, ids, code, ("cord_volume_ml", "abnormal_proliferation")
        ),
        "harvests": frame_of(
            "harvests",
            [
                {
                    "subject_id": code[h.subject_id],
                    "visit_code": h.visit.code if h.visit else None,
                    "aspirated_at": h.aspirated_at,
                    "anatomical_site": h.anatomical_site,
                    "volume_ml": h.volume_ml,
                }
                for h in _of(Harvest, ids).select_related("visit").order_by("aspirated_at")
            ],
        ),
        "administrations": frame_of(
            "administrations",
            [
                {
                    "subject_id": code[a.subject_id],
                    "visit_code": a.visit.code if a.visit else None,
                    "dose_number": a.dose_number,
                    "route": a.route,
                    "administered_at": a.administered_at,
                    "cells_given": a.cells_given,
                    "volume_ml": a.volume_ml,
                    "lot_code": a.lot.code,
                    "vehicle": a.lot.vehicle,
                    "cells_per_kg": a.lot.cells_per_kg,
                }
                for a in _of(Administration, ids)
                .select_related("visit", "lot")
                .order_by("subject", "dose_number")
            ],
        ),
        "adverse_events": frame_of(
            "adverse_events",
            [_ae_row(ae, code) for ae in _of(AdverseEvent, ids).order_by("subject", "onset_date")],
        ),
    }
    if audit:
        frames["audit"] = frame_of("audit", audit_rows(ids, code))
    arms = None
    if is_blinded_trial(trial):
        if unblinded:
            arms = {code[sid]: arm for sid, arm in arms_of(ids).items()}
        else:
            given = frames["administrations"]
            given[list(ARM_REVEALING_COLUMNS)] = None
    return TrialData(
        study_id=trial.slug.upper(),
        title=trial.title,
        protocol=trial.protocol,
        frames=frames,
        arms=arms,
    )


def _of(model, subject_ids):
    return model.objects.filter(subject_id__in=subject_ids)


def _subject_row(s: Subject, death_date) -> dict:
    return {
        "subject_id": s.code,
        "site": s.site.code,
        "status": s.status,
        "sex": s.sex or None,
        "age_years": s.age_years,
        "onset_site": s.onset_site or None,
        "consent_date": s.consent_date,
        "screening_date": s.screening_date,
        "enrolment_date": s.enrolment_date,
        "day_zero_date": s.day_zero_date,
        "withdrawal_date": s.withdrawal_date,
        "death_date": death_date,
    }


def _visit_form(name: str, model, ids, code, fields) -> object:
    records = _of(model, ids).select_related("visit").order_by("subject", "visit__sequence")
    return frame_of(
        name,
        [
            {
                "subject_id": code[r.subject_id],
                "visit_code": r.visit.code,
                "visit_date": r.visit.visit_date,
                **{f: getattr(r, f) for f in fields},
            }
            for r in records
        ],
    )


def _ae_row(ae: AdverseEvent, code) -> dict:
    return {
        "subject_id": code[ae.subject_id],
        "ae_id": ae.pk,
        "verbatim_term": ae.verbatim_term,
        "term": ae.term,
        "coded_term": ae.coded_term or None,
        "term_code": ae.term_code or None,
        "onset_date": ae.onset_date,
        "resolution_date": ae.resolution_date,
        "grade": ae.grade,
        "serious": ae.serious,
        "seriousness_criteria": list(ae.seriousness_criteria or ()),
        **{
            f"relatedness_{cause}": getattr(ae, f"relatedness_{cause}") or None
            for cause in RELATEDNESS_CAUSES
        },
        "outcome": ae.outcome,
        "action_taken": ae.action_taken,
    }
