"""Randomisation and emergency unblinding (docs/api.md, "Randomisation").

- ``POST /subjects/{id}/randomisation`` (empty body): 201 with ``randomisation_number``,
  ``stratum`` and ``randomised_at``, and ``arm`` only for an unblinded role; 409 when already
  randomised; 422 naming the reason (not eligible, not enrolled, the lead-in entry rule, a
  missing stratification factor); 403 for a role that may not randomise; 404 outside the user's
  sites. ``GET`` on the same path reads the allocation (404 before randomisation).
- ``POST /subjects/{id}/unblinding`` ``{"reason"}``: an investigator requests; 201.
- ``POST /unblinding/{id}/approve``: a second person approves (403 for the requester).
- ``GET /unblinding/{id}``: the request, for the audit-trail roles (403 for others); ``arm``
  only for its requester once approved.
Every write goes through :mod:`alstrial.web.randomisation.services`.
"""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from ninja import Field, Router, Schema, Status

from alstrial.web.api.access import get_for_user_or_404, hides_dates, require_role, subject_for
from alstrial.web.api.errors import ApiConflict
from alstrial.web.api.schemas import ErrorOut, StrictIn
from alstrial.web.core.access import can_see_arm
from alstrial.web.core.models import AUDIT_ROLES
from alstrial.web.randomisation import services
from alstrial.web.randomisation.models import Allocation, UnblindingRequest

router = Router(tags=["randomisation"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}


class RandomisationOut(Schema):
    subject_id: int
    randomisation_number: int = Field(
        description="Permuted blocks: stratum x 1000 + place in the stratum's list; "
        "minimisation: 1, 2, 3, ... over the trial."
    )
    stratum: str = Field(description="The stratification levels joined by '/', or 'all'.")
    randomised_at: datetime | None = Field(
        description="UTC; null for the de-identified reader (statistician), as every date"
    )
    arm: str | None = Field(
        None, description="The arm code; present only for an unblinded role (no key otherwise)."
    )


class UnblindingIn(StrictIn):
    reason: str = Field(description="Why the arm must be known (the clinical emergency).")


class UnblindingOut(Schema):
    id: int
    subject_id: int
    status: str = Field(description="requested or approved")
    reason: str
    requested_by: str
    requested_at: datetime = Field(description="UTC")
    approved_by: str | None
    approved_at: datetime | None = Field(description="UTC")
    arm: str | None = Field(
        None, description="The arm code; present only for the requester, once approved."
    )


def stratum_text(levels) -> str:
    """Levels joined by '/' as in the statistician's dry-run list; ``all`` without factors."""
    return "/".join(levels) or "all"


def randomisation_out(allocation: Allocation, user) -> dict:
    out = {
        "subject_id": allocation.subject_id,
        "randomisation_number": allocation.randomisation_number,
        "stratum": stratum_text(allocation.stratum),
        "randomised_at": None
        if hides_dates(user, allocation.subject.site_id)
        else allocation.randomised_at,
    }
    if can_see_arm(user, allocation.subject.site):
        out["arm"] = services.arm_of(allocation.subject)
    return out


def unblinding_out(request: UnblindingRequest, user) -> dict:
    out = {
        "id": request.pk,
        "subject_id": request.subject_id,
        "status": request.status,
        "reason": request.reason,
        "requested_by": request.requested_by.get_username(),
        "requested_at": request.requested_at,
        "approved_by": request.approved_by.get_username() if request.approved_by else None,
        "approved_at": request.approved_at,
    }
    arm = services.revealed_arm(user, request)
    if arm is not None:
        out["arm"] = arm
    return out


@router.post(
    "/subjects/{subject_id}/randomisation",
    response={201: RandomisationOut, **ERRORS},
    exclude_unset=True,
    summary="Randomise a subject",
)
def randomise(request, subject_id: int):
    """Allocate an eligible, consented, enrolled subject of a randomised trial (once)."""
    subject = subject_for(request.user, subject_id)
    try:
        allocation = services.randomise_subject(request.user, subject)
    except services.AlreadyRandomised as error:
        raise ApiConflict("subject", str(error)) from None
    return Status(201, randomisation_out(allocation, request.user))


@router.get(
    "/subjects/{subject_id}/randomisation",
    response={200: RandomisationOut, **ERRORS},
    exclude_unset=True,
    summary="A subject's randomisation",
)
def get_randomisation(request, subject_id: int):
    """The allocation (404 when the subject is not randomised)."""
    subject = subject_for(request.user, subject_id)
    allocation = services.allocation_of(subject)
    if allocation is None:
        raise Http404("not randomised")
    return randomisation_out(allocation, request.user)


@router.post(
    "/subjects/{subject_id}/unblinding",
    response={201: UnblindingOut, **ERRORS},
    exclude_unset=True,
    summary="Request emergency unblinding",
)
def request_unblinding(request, subject_id: int, payload: UnblindingIn):
    """An investigator at the subject's site asks for the arm, giving the reason."""
    subject = subject_for(request.user, subject_id)
    unblinding = services.request_unblinding(request.user, subject, payload.reason)
    return Status(201, unblinding_out(unblinding, request.user))


def _unblinding(request, unblinding_id: int) -> UnblindingRequest:
    return get_for_user_or_404(
        UnblindingRequest.objects.select_related(
            "subject__site", "subject__trial", "requested_by", "approved_by"
        ),
        request.user,
        pk=unblinding_id,
    )


@router.post(
    "/unblinding/{unblinding_id}/approve",
    response={200: UnblindingOut, **ERRORS},
    exclude_unset=True,
    summary="Approve an emergency unblinding (second person)",
)
def approve_unblinding(request, unblinding_id: int):
    """Another investigator at the site, or the safety monitor; never the requester (403)."""
    unblinding = services.approve_unblinding(request.user, _unblinding(request, unblinding_id))
    return unblinding_out(unblinding, request.user)


@router.get(
    "/unblinding/{unblinding_id}",
    response={200: UnblindingOut, **ERRORS},
    exclude_unset=True,
    summary="An emergency unblinding request",
)
def get_unblinding(request, unblinding_id: int):
    """The request, for the roles that read the audit trail (its reason is free text); ``arm``
    only for its requester, once approved."""
    unblinding = _unblinding(request, unblinding_id)
    require_role(request.user, unblinding.subject.site, *AUDIT_ROLES)
    return unblinding_out(unblinding, request.user)
