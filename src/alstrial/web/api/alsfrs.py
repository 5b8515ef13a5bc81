"""``/assessments/alsfrs``: the ALSFRS-R form of a visit (Cedarbaum 1999; docs/domain.md,
'ALSFRS-R').

Items are validated by ``alstrial.domain.alsfrs`` only (through the assessments model): each an
integer 0-4, exactly one of 5a/5b; the total is computed, never sent. The visit date may be sent
with the items (as on the web form); both are saved in one transaction or neither is.
Reads: any role at the site (no visit date for the statistician). Writes: coordinator,
investigator, admin.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db import transaction
from ninja import Field, Query, Router, Schema, Status

from alstrial.domain.staging import kings_stage, mitos_stage
from alstrial.web.api.access import get_for_user_or_404, hides_dates, require_role
from alstrial.web.api.errors import ApiConflict, api_field_names
from alstrial.web.api.pages import PageParams, page, page_of
from alstrial.web.api.schemas import ChangeIn, ErrorOut, Integer, StrictIn
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.core.models import DATA_ENTRY_ROLES
from alstrial.web.core.records import save_clinical
from alstrial.web.subjects.models import Visit, VisitStatus
from alstrial.web.subjects.services import record_visit

router = Router(tags=["assessments"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}
ITEM_KEYS = AlsfrsAssessment.ITEM_KEYS


class Items(StrictIn):
    """The twelve items (0-4 points each; exactly one of the two cutting items)."""

    speech: Integer | None = None
    salivation: Integer | None = None
    swallowing: Integer | None = None
    handwriting: Integer | None = None
    cutting_without_gastrostomy: Integer | None = Field(None, description="item 5a")
    cutting_with_gastrostomy: Integer | None = Field(None, description="item 5b (gastrostomy)")
    dressing_hygiene: Integer | None = None
    turning_in_bed: Integer | None = None
    walking: Integer | None = None
    climbing_stairs: Integer | None = None
    dyspnea: Integer | None = None
    orthopnea: Integer | None = None
    respiratory_insufficiency: Integer | None = None
    visit_date: date | None = Field(
        None, description="Records the visit as done on this date (required if it is not yet)."
    )


class AlsfrsIn(Items):
    visit_id: Integer
    reason: str = ""


class AlsfrsChangeIn(Items, ChangeIn):
    pass


class AlsfrsOut(Schema):
    id: int
    subject_id: int
    subject_code: str
    visit_id: Integer
    visit_code: str
    visit_date: date | None
    items: dict[str, int | None]
    total: int = Field(description="points, 0-48 (item sum)")
    subscores: dict[str, int]
    kings_stage: str
    mitos_stage: int
    version: int


def alsfrs_out(assessment: AlsfrsAssessment, user) -> dict:
    visit = assessment.visit
    score = assessment.score()
    return {
        "id": assessment.pk,
        "subject_id": assessment.subject_id,
        "subject_code": visit.subject.code,
        "visit_id": visit.pk,
        "visit_code": visit.code,
        "visit_date": None if hides_dates(user, visit.subject.site_id) else visit.visit_date,
        "items": assessment.items(),
        "total": assessment.total,
        "subscores": score.subscores(),
        "kings_stage": str(kings_stage(score).stage),
        "mitos_stage": int(mitos_stage(score)),
        "version": assessment.version,
    }


ASSESSMENTS = AlsfrsAssessment.objects.select_related("visit__subject__site")


def _save(assessment: AlsfrsAssessment, payload: Items, user, reason: str, version) -> None:
    """Visit date and items in one transaction: a refusal of either leaves both unwritten."""
    visit = assessment.visit
    for key in ITEM_KEYS:
        setattr(assessment, key, getattr(payload, key))
    with api_field_names(visit="visit_id"), transaction.atomic():
        wanted = payload.visit_date
        if wanted is not None and (visit.status != VisitStatus.DONE or visit.visit_date != wanted):
            record_visit(visit, user, visit_date=wanted, reason=reason)
        save_clinical(assessment, user, reason, expected_version=version)


AlsfrsOutPage = page_of(AlsfrsOut)


def _entered(visit: Visit) -> AlsfrsAssessment | None:
    return AlsfrsAssessment.objects.filter(visit=visit).first()


@router.get("", response=AlsfrsOutPage, summary="List ALSFRS-R forms of your sites")
def list_alsfrs(
    request, params: Query[PageParams], subject_id: int | None = None, visit_id: int | None = None
):
    found = ASSESSMENTS.visible_to(request.user).order_by("subject_id", "visit__sequence")
    return page(
        found,
        params,
        partial(alsfrs_out, user=request.user),
        subject_id=subject_id,
        visit_id=visit_id,
    )


@router.get("/{assessment_id}", response={200: AlsfrsOut, **ERRORS}, summary="One ALSFRS-R")
def get_alsfrs(request, assessment_id: int):
    found = get_for_user_or_404(ASSESSMENTS, request.user, pk=assessment_id)
    return alsfrs_out(found, request.user)


@router.post("", response={201: AlsfrsOut, **ERRORS}, summary="Enter an ALSFRS-R")
def create_alsfrs(request, payload: AlsfrsIn):
    """Enter the ALSFRS-R of a visit that collects it (409 when it is already entered)."""
    visit = get_for_user_or_404(
        Visit.objects.select_related("subject__site", "subject__trial"),
        request.user,
        pk=payload.visit_id,
    )
    require_role(request.user, visit.subject.site, *DATA_ENTRY_ROLES)
    existing = _entered(visit)
    if existing is not None:
        raise ApiConflict(
            "visit_id",
            f"visit {visit.code} already has an ALSFRS-R (id {existing.pk}); "
            f"change it with PUT /api/v1/assessments/alsfrs/{existing.pk}",
        )
    assessment = AlsfrsAssessment(subject=visit.subject, visit=visit)
    _save(assessment, payload, request.user, payload.reason, None)
    return Status(201, alsfrs_out(assessment, request.user))


@router.put("/{assessment_id}", response={200: AlsfrsOut, **ERRORS}, summary="Change an ALSFRS-R")
def change_alsfrs(request, assessment_id: int, payload: AlsfrsChangeIn):
    """Correct the items (all twelve are sent; reason and version required)."""
    assessment = get_for_user_or_404(ASSESSMENTS, request.user, pk=assessment_id)
    require_role(request.user, assessment.visit.subject.site, *DATA_ENTRY_ROLES)
    _save(assessment, payload, request.user, payload.reason, payload.version)
    return alsfrs_out(assessment, request.user)
