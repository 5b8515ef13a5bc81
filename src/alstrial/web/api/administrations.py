"""``/administrations``: doses given, and giving one through the product app's
``administer_dose`` (the chain-of-identity gate, docs/domain.md, 'Cell product').

A refused administration answers 422 naming every failed check (field ``scanned_lot_id``,
``scanned_subject_id``, ``lot``, ``route``...), with ``refused_attempt_id``: nothing was
administered, the lot did not change, and the attempt is recorded (channel ``api``).
Reads: any role at the subject's site (no times for the statistician). Giving: investigator,
admin. An administration is never edited (it happened); its audit trail is the subject's.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from alstrial.domain.local_time import in_site_time
from alstrial.domain.text_limits import MAX_FREE_TEXT_CHARS, MAX_SCAN_CHARS
from alstrial.web.api.access import get_for_user_or_404, hides_arm, hides_dates, subject_for
from alstrial.web.api.errors import api_field_names
from alstrial.web.api.pages import PageParams, page, page_of
from alstrial.web.api.schemas import (
    ErrorOut,
    Integer,
    Number,
    RefusedOut,
    StrictIn,
    choice_of,
    max_length_of,
)
from alstrial.web.api.site_time import SITE_TIME
from alstrial.web.product.administration import administer_dose
from alstrial.web.product.models import Administration, Route
from alstrial.web.subjects.models import Visit

router = Router(tags=["cell product"])


class AdministrationIn(StrictIn):
    subject_id: Integer = Field(description="The recipient (whose record this is).")
    scanned_subject_id: str = Field(
        description="Read from the wristband, never pre-filled.",
        max_length=MAX_SCAN_CHARS,
    )
    scanned_lot_id: str = Field(
        description="Read from the lot label, never pre-filled.",
        max_length=MAX_SCAN_CHARS,
    )
    route: choice_of(Route.values) = Field(
        description="The protocol's route: intrathecal or intraspinal."
    )
    administered_at: AwareDatetime | None = Field(
        None, description="Default now; ISO 8601 with a time zone (Z or +09:00)."
    )
    visit_id: Integer | None = Field(None, description="Default: the schedule's visit of the dose.")
    spinal_level: str = Field("", max_length=max_length_of(Administration, "spinal_level"))
    pump_rate_ul_per_min: Number | None = None
    immediate_reactions: str = Field("", max_length=MAX_FREE_TEXT_CHARS)


class AdministrationOut(Schema):
    id: int
    subject_id: int
    subject_code: str
    lot_id: int
    lot_code: str
    visit_id: int | None
    dose_number: int
    route: str
    administered_at: datetime | None = Field(description=SITE_TIME)
    cells_given: float | None = Field(description="null for a blinded role in a blinded trial")
    volume_ml: float | None = Field(description="null for a blinded role in a blinded trial")
    spinal_level: str
    pump_rate_ul_per_min: float | None
    immediate_reactions: str | None
    operator: str
    version: int


def administration_out(given: Administration, user) -> dict:
    """The administration; in a blinded trial a blinded role gets no cells or volume, which
    would tell cells from vehicle (docs/randomisation.md "Blinding")."""
    hidden = hides_dates(user, given.subject.site_id)
    blinded = hides_arm(user, given.subject.trial, given.subject.site_id)
    return {
        "id": given.pk,
        "subject_id": given.subject_id,
        "subject_code": given.subject.code,
        "lot_id": given.lot_id,
        "lot_code": given.lot.code,
        "visit_id": given.visit_id,
        "dose_number": given.dose_number,
        "route": given.route,
        "administered_at": None
        if hidden
        else in_site_time(given.administered_at, given.subject.site),
        "cells_given": None if blinded else given.cells_given,
        "volume_ml": None if blinded else given.volume_ml,
        "spinal_level": given.spinal_level,
        "pump_rate_ul_per_min": given.pump_rate_ul_per_min,
        "immediate_reactions": None if hidden else given.immediate_reactions,
        "operator": given.operator.get_username(),
        "version": given.version,
    }


GIVEN = Administration.objects.select_related("subject__site", "subject__trial", "lot", "operator")


AdministrationOutPage = page_of(AdministrationOut)


@router.get("", response=AdministrationOutPage, summary="List administrations")
def list_administrations(request, params: Query[PageParams], subject_id: int | None = None):
    given = GIVEN.visible_to(request.user).order_by("subject__code", "dose_number")
    return page(
        given, params, partial(administration_out, user=request.user), subject_id=subject_id
    )


@router.get(
    "/{administration_id}",
    response={200: AdministrationOut, 404: ErrorOut},
    summary="One administration",
)
def get_administration(request, administration_id: int):
    given = get_for_user_or_404(GIVEN, request.user, pk=administration_id)
    return administration_out(given, request.user)


@router.post(
    "",
    response={201: AdministrationOut, 403: ErrorOut, 404: ErrorOut, 422: RefusedOut},
    summary="Administer a dose",
)
def administer(request, payload: AdministrationIn):
    """Give the scanned lot to the subject after every chain-of-identity check, or refuse."""
    subject = subject_for(request.user, payload.subject_id)
    visit = None
    if payload.visit_id is not None:
        visit = get_for_user_or_404(Visit, request.user, pk=payload.visit_id)
    with api_field_names(visit="visit_id"):
        given = administer_dose(
            subject,
            request.user,
            scanned_subject_id=payload.scanned_subject_id,
            scanned_lot_id=payload.scanned_lot_id,
            route=payload.route,
            administered_at=payload.administered_at,
            visit=visit,
            spinal_level=payload.spinal_level,
            pump_rate_ul_per_min=payload.pump_rate_ul_per_min,
            immediate_reactions=payload.immediate_reactions,
            channel="api",
        )
    return Status(201, administration_out(GIVEN.get(pk=given.pk), request.user))
