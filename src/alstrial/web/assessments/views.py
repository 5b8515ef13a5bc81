"""Entering and editing the per-visit forms and the endpoint events.

Every visit form is saved through the assessments service (``services.py``), in one
transaction with the visit date, so a refused value leaves nothing written; another site's visit
answers 404; a stale version answers 409 with a conflict message.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from alstrial.domain.alsfrs_items import ITEMS
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.web.assessments.forms import AlsfrsForm, DeleteForm, EndpointForm, visit_form_class
from alstrial.web.assessments.models import VISIT_ASSESSMENTS, EndpointEvent
from alstrial.web.assessments.services import (
    alsfrs_score,
    delete_visit_form,
    record_alsfrs,
    record_endpoint_event,
    record_visit_form,
)
from alstrial.web.core.access import (
    get_for_user_or_404,
    has_role,
    is_deidentified,
    require_role,
    role_required,
)
from alstrial.web.core.forms import Submission, make_read_only, submit
from alstrial.web.core.models import DATA_ENTRY_ROLES
from alstrial.web.subjects.models import Subject, Visit

#: Form fields a de-identified reader (the statistician) never sees: dates and free text.
DEIDENTIFIED_HIDDEN_FIELDS = ("visit_date", "notes", "other", "reason")


def _visit(request, visit_pk: int) -> Visit:
    return get_for_user_or_404(
        Visit.objects.select_related("subject__site", "subject__trial"), request.user, pk=visit_pk
    )


#: The box a person ticks to save a visit date outside the visit's window (docs/web.md, 'Forms').
CONFIRM_OUTSIDE_WINDOW = "confirm_outside_window"


def check_window(form, visit, confirmed: bool) -> None:
    """Refuse a new visit date outside ``visit``'s window until the person confirms it.

    The window is the protocol's, from day 0 (``Visit.earliest_date`` / ``latest_date``, site
    local dates). A date already saved on the visit is not asked about again. Refused: the error
    names the window and the form gains the confirmation box, so the person checks the date
    before anything is saved instead of finding an "out of window" flag afterwards.
    """
    day = form.cleaned_data.get("visit_date")
    first, last = visit.earliest_date, visit.latest_date
    if confirmed or day is None or first is None or last is None or day == visit.visit_date:
        return
    if first <= day <= last:
        return
    form.fields[CONFIRM_OUTSIDE_WINDOW] = forms.BooleanField(
        required=False, label=f"Yes, {day:%Y-%m-%d} is right although it is outside the window"
    )
    raise ValidationError(
        [
            FieldError(
                "visit_date",
                f"{day:%Y-%m-%d} is outside the window of {visit.code} "
                f"({first:%Y-%m-%d} to {last:%Y-%m-%d}): correct the date, or confirm it "
                "below and save again",
            )
        ]
    )


def _save_visit_form(form, visit, user) -> None:
    """The form's values and visit date through the assessments service (one transaction)."""
    data = form.cleaned_data
    given = {
        "visit_date": data["visit_date"],
        "reason": data.get("reason") or "",
        "expected_version": data.get("version"),
    }
    form.instance.visit = visit
    if isinstance(form, AlsfrsForm):
        record_alsfrs(form.instance, form.item_scores(), user, **given)
    else:
        record_visit_form(form.instance, user, **given)


@role_required()
def visit_form(request, visit_pk: int, form_key: str):
    """Enter, view or edit form ``form_key`` of one visit."""
    visit = _visit(request, visit_pk)
    model = VISIT_ASSESSMENTS.get(form_key)
    if model is None or form_key not in visit.forms:
        raise Http404("This visit does not collect that form")
    subject = visit.subject
    instance = model.objects.filter(visit=visit).first() or model(subject=subject, visit=visit)
    can_edit = has_role(request.user, subject.site, *DATA_ENTRY_ROLES)
    form_class = visit_form_class(form_key)
    initial = {"visit_date": visit.visit_date, "version": instance.version}
    outcome = Submission(False)
    if request.method == "POST":
        require_role(request.user, subject.site, *DATA_ENTRY_ROLES)
        form = form_class(request.POST, instance=instance, initial=initial)
        confirmed = request.POST.get(CONFIRM_OUTSIDE_WINDOW) in ("on", "true", "1")

        def save(data):
            check_window(form, visit, confirmed)
            _save_visit_form(form, visit, request.user)

        outcome = submit(form, save)
        if outcome.saved:
            messages.success(request, f"{model._meta.verbose_name} saved for {visit}.")
            return redirect("subjects:detail", pk=subject.pk)
    else:
        form = form_class(instance=instance, initial=initial)
    if not can_edit:
        make_read_only(form)
    deidentified = is_deidentified(request.user, subject.site)
    if deidentified:  # no calendar dates or free text for the statistician
        for name in DEIDENTIFIED_HIDDEN_FIELDS:
            form.fields.pop(name, None)
    template = f"assessments/{form_key}_form.html" if form_key == "alsfrs_r" else None
    context = {
        "visit": visit,
        "subject": subject,
        "form": form,
        "form_key": form_key,
        "title": capfirst(model._meta.verbose_name),
        "instance": instance,
        "can_edit": can_edit,
        "conflict": outcome.conflict,
        "deidentified": deidentified,
        "score": alsfrs_score(form.item_scores()) if isinstance(form, AlsfrsForm) else None,
    }
    return render(
        request, template or "assessments/visit_form.html", context, status=outcome.status
    )


@require_POST
@role_required(*DATA_ENTRY_ROLES)
def visit_form_delete(request, visit_pk: int, form_key: str):
    """Delete a form entered in error; a reason is required and the trail keeps every version."""
    visit = _visit(request, visit_pk)
    model = VISIT_ASSESSMENTS.get(form_key)
    if model is None:
        raise Http404("No such form")
    require_role(request.user, visit.subject.site, *DATA_ENTRY_ROLES)
    instance = get_for_user_or_404(model, request.user, visit=visit)
    form = DeleteForm(request.POST)
    outcome = submit(
        form,
        lambda data: delete_visit_form(
            instance, request.user, reason=data["reason"], expected_version=data["version"]
        ),
    )
    if outcome.saved:
        messages.success(request, f"{model._meta.verbose_name} of {visit} deleted.")
    else:
        problems = outcome.conflict or "; ".join(
            f"{field}: {', '.join(errors)}" for field, errors in form.errors.items()
        )
        messages.error(request, f"Not deleted: {problems}")
    return redirect("subjects:detail", pk=visit.subject_id)


@require_POST
@role_required()
def alsfrs_preview(request):
    """HTMX: the score panel for the items chosen so far (validation by the domain only)."""
    items = {item.key: request.POST.get(item.key) or None for item in ITEMS}
    return render(request, "assessments/_alsfrs_score.html", {"score": alsfrs_score(items)})


@role_required(*DATA_ENTRY_ROLES)
def endpoint_form(request, subject_pk: int, pk: int | None = None):
    """Record or correct a death, tracheostomy or permanent ventilation."""
    subject = get_for_user_or_404(
        Subject.objects.select_related("site"), request.user, pk=subject_pk
    )
    require_role(request.user, subject.site, *DATA_ENTRY_ROLES)
    instance = (
        get_for_user_or_404(EndpointEvent, request.user, pk=pk, subject=subject)
        if pk
        else EndpointEvent(subject=subject)
    )
    form = EndpointForm(
        request.POST or None, instance=instance, initial={"version": instance.version}
    )
    outcome = Submission(False)
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: record_endpoint_event(
                form.instance,
                request.user,
                reason=data.get("reason") or "",
                expected_version=data.get("version"),
            ),
        )
        if outcome.saved:
            messages.success(request, f"{form.instance.get_kind_display()} recorded.")
            return redirect("subjects:detail", pk=subject.pk)
    context = {
        "subject": subject,
        "form": form,
        "conflict": outcome.conflict,
        "title": "Endpoint event",
        "action": reverse("assessments:endpoint_new", args=[subject.pk])
        if not pk
        else reverse("assessments:endpoint_edit", args=[subject.pk, pk]),
    }
    return render(request, "assessments/endpoint_form.html", context, status=outcome.status)
