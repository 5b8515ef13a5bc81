"""``/assessments/alsfrs``: the ALSFRS-R form of a visit (Cedarbaum 1999; docs/domain.md,
'ALSFRS-R').

The item fields are the domain's item list (``alstrial.domain.alsfrs_items.ITEMS``); items are
validated by ``alstrial.domain.alsfrs`` only: each an integer 0-4, exactly one of 5a/5b; the
total is computed, never sent. Writes and the score display go through the assessments service
(``web/assessments/services.py``), as the web form's do: the visit date may be sent with the
items and both are saved in one transaction or neither is.
Reads: any role at the site (no visit date for the statistician). Writes: coordinator,
investigator, admin.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model

from alstrial.domain.alsfrs_items import ITEM_KEYS, ITEMS
from alstrial.web.api.access import get_for_user_or_404, hides_dates, require_role
from alstrial.web.api.errors import ApiConflict, api_field_names
from alstrial.web.api.pages import PageParams, page, page_of
from alstrial.web.api.schemas import ChangeIn, ErrorOut, Integer, StrictIn
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.assessments.services import alsfrs_score, record_alsfrs
from alstrial.web.core.models import DATA_ENTRY_ROLES
from alstrial.web.subjects.models import Visit

router = Router(tags=["assessments"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}


#: One optional field per questionnaire item (``speech`` ... ``respiratory_insufficiency``),
#: made from the domain's item list so that the API cannot drift from it, then the visit date.
Items = create_model(
    "Items",
    __base__=StrictIn,
    __doc__="The twelve items (0-4 points each; exactly one of the two cutting items).",
    **{
        item.key: (Integer | None, Field(None, description=f"item {item.number}: {item.name}"))
        for item in ITEMS
    },
    visit_date=(
        date | None,
        Field(
            None,
            description="Records the visit as done on this date (required if it is not yet).",
        ),
    ),
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
    return {
        "id": assessment.pk,
        "subject_id": assessment.subject_id,
        "subject_code": visit.subject.code,
        "visit_id": visit.pk,
        "visit_code": visit.code,
        "visit_date": None if hides_dates(user, visit.subject.site_id) else visit.visit_date,
        "items": assessment.items(),
        **alsfrs_score(assessment.items()).to_dict(),
        "version": assessment.version,
    }


ASSESSMENTS = AlsfrsAssessment.objects.select_related("visit__subject__site")


def _save(assessment: AlsfrsAssessment, payload: Items, user, reason: str, version) -> None:
    """Items and visit date through the assessments service (errors on ``visit`` are the
    body's ``visit_id``)."""
    items = {key: getattr(payload, key) for key in ITEM_KEYS}
    with api_field_names(visit="visit_id"):
        record_alsfrs(
            assessment,
            items,
            user,
            visit_date=payload.visit_date,
            reason=reason,
            expected_version=version,
        )


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
