"""``/visits``: the protocol's scheduled visits of a subject (laid out at enrolment, see
``POST /subjects/{id}/enrolment``) and their recording as done (with the date) or missed
(with why).

Reads: any role at the site; the statistician gets study days, not dates, and no free text.
Writes: coordinator, investigator, admin. A visit date before consent, in the future or after a
recorded death is refused by the subjects app (field ``visit_date``).
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Literal

from ninja import Field, Query, Router, Schema

from alstrial.web.api.access import get_for_user_or_404, hides_dates, require_role
from alstrial.web.api.pages import PageParams, page, page_of
from alstrial.web.api.schemas import ChangeIn, ErrorOut
from alstrial.web.core.models import DATA_ENTRY_ROLES
from alstrial.web.subjects.models import Visit
from alstrial.web.subjects.services import record_missed_visit, record_visit

router = Router(tags=["visits"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}


class VisitOut(Schema):
    id: int
    subject_id: int
    subject_code: str
    code: str
    name: str
    phase: str
    epoch: str
    sequence: int
    target_day: int = Field(description="study day (day 0 = the protocol's anchor)")
    earliest_day: int
    latest_day: int
    forms: list[str]
    administration: int | None
    harvest: bool
    status: str = Field(description="scheduled, done or missed")
    visit_date: date | None
    study_day: int | None
    out_of_window: bool
    missed_reason: str | None
    version: int


class VisitChangeIn(ChangeIn):
    status: Literal["done", "missed"]
    visit_date: date | None = None
    missed_reason: str = ""


def visit_out(visit: Visit, user) -> dict:
    hidden = hides_dates(user, visit.subject.site_id)
    return {
        "id": visit.pk,
        "subject_id": visit.subject_id,
        "subject_code": visit.subject.code,
        **{
            name: getattr(visit, name)
            for name in (
                "code",
                "name",
                "phase",
                "epoch",
                "sequence",
                "target_day",
                "earliest_day",
                "latest_day",
                "forms",
                "administration",
                "harvest",
                "status",
                "study_day",
                "out_of_window",
                "version",
            )
        },
        "visit_date": None if hidden else visit.visit_date,
        "missed_reason": None if hidden else visit.missed_reason,
    }


VISITS = Visit.objects.select_related("subject__site")


VisitOutPage = page_of(VisitOut)


@router.get("", response=VisitOutPage, summary="List visits of your sites")
def list_visits(
    request, params: Query[PageParams], subject_id: int | None = None, status: str | None = None
):
    visits = VISITS.visible_to(request.user).order_by("subject__code", "sequence")
    return page(
        visits, params, partial(visit_out, user=request.user), subject_id=subject_id, status=status
    )


@router.get("/{visit_id}", response={200: VisitOut, **ERRORS}, summary="One visit")
def get_visit(request, visit_id: int):
    return visit_out(get_for_user_or_404(VISITS, request.user, pk=visit_id), request.user)


@router.put("/{visit_id}", response={200: VisitOut, **ERRORS}, summary="Record a visit")
def change_visit(request, visit_id: int, payload: VisitChangeIn):
    """Record the visit as done on ``visit_date`` or as missed with ``missed_reason``."""
    visit = get_for_user_or_404(VISITS, request.user, pk=visit_id)
    require_role(request.user, visit.subject.site, *DATA_ENTRY_ROLES)
    service = record_visit if payload.status == "done" else record_missed_visit
    service(
        visit,
        request.user,
        visit_date=payload.visit_date,
        missed_reason=payload.missed_reason,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return visit_out(visit, request.user)
