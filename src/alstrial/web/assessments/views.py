"""Entering and editing the per-visit forms and the endpoint events.

Every save goes through ``save_clinical`` inside one transaction with the visit date, so a
refused value leaves nothing written; another site's visit answers 404; a stale version
answers 409 with a conflict message.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from alstrial.domain.alsfrs import AlsfrsR
from alstrial.domain.alsfrs_items import ITEMS
from alstrial.domain.errors import ValidationError
from alstrial.domain.staging import kings_stage, mitos_stage
from alstrial.web.assessments.forms import DeleteForm, EndpointForm, visit_form_class
from alstrial.web.assessments.models import VISIT_ASSESSMENTS, EndpointEvent
from alstrial.web.core.access import (
    get_for_user_or_404,
    has_role,
    is_deidentified,
    require_role,
    role_required,
)
from alstrial.web.core.forms import Submission, make_read_only, submit
from alstrial.web.core.models import DATA_ENTRY_ROLES
from alstrial.web.core.records import delete_clinical, save_clinical
from alstrial.web.subjects.models import Subject, Visit, VisitStatus
from alstrial.web.subjects.services import record_visit

#: Form fields a de-identified reader (the statistician) never sees: dates and free text.
DEIDENTIFIED_HIDDEN_FIELDS = ("visit_date", "notes", "other", "reason")


def _visit(request, visit_pk: int) -> Visit:
    return get_for_user_or_404(
        Visit.objects.select_related("subject__site", "subject__trial"), request.user, pk=visit_pk
    )


def _save_visit_form(data, instance, visit, user) -> None:
    """Visit date and form values in one transaction (ValidationError/ConflictError roll back)."""
    reason = data.get("reason") or ""
    with transaction.atomic():
        if visit.status != VisitStatus.DONE or visit.visit_date != data["visit_date"]:
            record_visit(visit, user, visit_date=data["visit_date"], reason=reason)
        instance.visit = visit
        save_clinical(instance, user, reason, expected_version=data.get("version"))


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
        outcome = submit(
            form, lambda data: _save_visit_form(data, form.instance, visit, request.user)
        )
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
        "score": _score_context(instance.items()) if form_key == "alsfrs_r" else None,
    }
    return render(
        request, template or "assessments/visit_form.html", context, status=outcome.status
    )


def _score_context(items: dict) -> dict:
    """Total, subscores and stages when the items are valid; else the partial sum and why."""
    try:
        score = AlsfrsR.from_items(items)
    except ValidationError as error:
        entered = [v for v in items.values() if v not in (None, "")]
        partial = sum(int(v) for v in entered if str(v).isdigit())
        missing = [m for msgs in error.by_field().values() for m in msgs]
        return {"complete": False, "partial": partial, "problems": missing}
    kings = kings_stage(score)
    return {
        "complete": True,
        "total": score.total,
        "subscores": [(d.replace("_", " "), v) for d, v in score.subscores().items()],
        "kings": kings.stage,
        "kings_flags": kings.flags,
        "mitos": mitos_stage(score),
    }


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
        lambda data: delete_clinical(
            instance, request.user, data["reason"], expected_version=data["version"]
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
    return render(request, "assessments/_alsfrs_score.html", {"score": _score_context(items)})


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
            lambda data: save_clinical(
                form.instance,
                request.user,
                data.get("reason") or "",
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
