"""Randomise a subject (a confirmation page, then POST) and emergency unblinding (request,
approve). Every write goes through :mod:`alstrial.web.randomisation.services`."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alstrial.domain.errors import ValidationError
from alstrial.web.core.access import get_for_user_or_404, require_role, role_required
from alstrial.web.randomisation.models import UnblindingRequest
from alstrial.web.randomisation.services import (
    RANDOMISER_ROLES,
    UNBLINDING_APPROVER_ROLES,
    UNBLINDING_REQUESTER_ROLES,
    AlreadyRandomised,
    approve_unblinding,
    randomise_subject,
    request_unblinding,
)
from alstrial.web.subjects.models import Subject


def _subject(request, pk: int, roles) -> Subject:
    subject = get_for_user_or_404(
        Subject.objects.select_related("site", "trial"), request.user, pk=pk
    )
    require_role(request.user, subject.site, *roles)
    return subject


@role_required(*RANDOMISER_ROLES)
def randomise(request, pk: int):
    """GET: the confirmation page; POST: randomise through the one door."""
    subject = _subject(request, pk, RANDOMISER_ROLES)
    scheme = subject.trial.protocol.randomisation
    context = {"subject": subject, "scheme": scheme.describe() if scheme else "not randomised"}
    if request.method != "POST":
        return render(request, "randomisation/confirm.html", context)
    try:
        allocation = randomise_subject(request.user, subject)
    except AlreadyRandomised as error:
        context["errors"] = {"subject": [str(error)]}
        return render(request, "randomisation/confirm.html", context, status=409)
    except ValidationError as error:
        context["errors"] = error.by_field()
        return render(request, "randomisation/confirm.html", context, status=422)
    messages.success(
        request, f"{subject.code} randomised: number {allocation.randomisation_number}."
    )
    return redirect("subjects:detail", pk=subject.pk)


@require_POST
@role_required(*UNBLINDING_REQUESTER_ROLES)
def request_unblinding_view(request, pk: int):
    subject = _subject(request, pk, UNBLINDING_REQUESTER_ROLES)
    try:
        request_unblinding(request.user, subject, request.POST.get("reason", ""))
    except ValidationError as error:
        for field, errors in error.by_field().items():
            for message in errors:
                messages.error(request, f"Unblinding not requested: {field}: {message}")
    else:
        messages.success(request, "Emergency unblinding requested; a second person approves it.")
    return redirect("subjects:detail", pk=subject.pk)


@require_POST
@role_required(*UNBLINDING_APPROVER_ROLES)
def approve_unblinding_view(request, pk: int):
    unblinding = get_for_user_or_404(
        UnblindingRequest.objects.select_related("subject__site"), request.user, pk=pk
    )
    try:
        approve_unblinding(request.user, unblinding)
    except ValidationError as error:
        for field, errors in error.by_field().items():
            for message in errors:
                messages.error(request, f"Not approved: {field}: {message}")
    else:
        messages.success(request, "Unblinding approved; the arm is shown to the requester only.")
    return redirect("subjects:detail", pk=unblinding.subject_id)
