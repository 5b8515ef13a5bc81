"""Product pages: lots list, a subject's product page, harvest, batch and passages.

Every object is fetched with :func:`fetch`: another site's object answers 404, a role that may
not read product data (the statistician) 403. Every change goes through
:mod:`alstrial.web.product.services`, whose ``PermissionDenied`` answers 403 and whose
``ValidationError`` is shown next to each field. Lot pages are in ``views_lot``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from alstrial.domain.errors import ValidationError
from alstrial.domain.local_time import local_date
from alstrial.web.core.access import (
    get_for_user_or_404,
    has_role,
    hides_arm,
    require_role,
    role_required,
)
from alstrial.web.core.forms import add_domain_errors
from alstrial.web.core.models import Role
from alstrial.web.product import services
from alstrial.web.product.forms import (
    AdministrationForm,
    BatchForm,
    DeviationForm,
    HarvestForm,
    LotsForm,
    PassageForm,
)
from alstrial.web.product.models import Batch, Harvest, Lot, RefusedAttempt
from alstrial.web.product.queries import culture_summary
from alstrial.web.subjects.models import Subject

LAB = (Role.CELL_LAB, Role.ADMIN)
SUBJECTS = Subject.objects.select_related("site", "trial")
HARVESTS = Harvest.objects.select_related("subject__site", "subject__trial")
BATCHES = Batch.objects.select_related("subject__site", "subject__trial", "harvest")
CLINIC = (Role.INVESTIGATOR, Role.ADMIN)
#: Who may read the product pages: every role but the statistician, whose de-identified view
#: has no calendar times or free text (docs/web.md); product data reach analysis by export.
VIEWERS = (
    Role.COORDINATOR,
    Role.INVESTIGATOR,
    Role.CELL_LAB,
    Role.SAFETY_MONITOR,
    Role.AUDITOR,
    Role.ADMIN,
)


def fetch(request, queryset, site_of, pk: int):
    """The object ``pk`` of ``queryset``: 404 outside the user's sites, 403 for a statistician
    (or any role not in :data:`VIEWERS`) at its site. ``site_of(obj)`` gives its Site."""
    obj = get_for_user_or_404(queryset, request.user, pk=pk)
    require_role(request.user, site_of(obj), *VIEWERS)
    return obj


def submit(request, form, action: Callable, success: Callable, template: str, context: dict):
    """Run ``action(cleaned_data)`` for a valid POST; show domain errors next to the fields.

    Returns the response: ``success(result)`` after a write, or the page again (400 on errors).
    """
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = action(form.cleaned_data)
            except ValidationError as error:
                add_domain_errors(form, error)
                status = 400
            else:
                return success(result)
        else:
            status = 400
    return render(request, template, {**context, "form": form}, status=status)


@role_required(*VIEWERS)
def lot_list(request):
    lots = (
        Lot.objects.visible_to(request.user, *VIEWERS)
        .select_related("subject", "site", "subject__trial")
        .order_by("site__code", "subject__number", "number")
    )
    return render(request, "product/lot_list.html", {"lots": lots})


@role_required(*VIEWERS)
def subject_product(request, pk: int):
    """A subject's whole product history: harvests, batches, lots, administrations, refusals."""
    subject = fetch(request, SUBJECTS, lambda s: s.site, pk)
    protocol = subject.trial.protocol
    context = {
        "subject": subject,
        "protocol": protocol,
        "harvests": subject.harvests.select_related("operator").order_by("aspirated_at"),
        "lots": subject.lots.order_by("number"),
        "administrations": subject.administrations.select_related("lot", "operator"),
        "refusals": RefusedAttempt.objects.filter(subject=subject).select_related("user")[:20],
        "can_lab": has_role(request.user, subject.site, *LAB),
        "can_administer": has_role(request.user, subject.site, *CLINIC),
    }
    return render(request, "product/subject.html", context)


@role_required(*LAB, Role.INVESTIGATOR)
def harvest_create(request, pk: int):
    subject = fetch(request, SUBJECTS, lambda s: s.site, pk)
    initial = {"anatomical_site": subject.trial.protocol.interventions.harvest.site}
    form = HarvestForm(request.POST or None, subject=subject, initial=initial)

    def action(data):
        return services.record_harvest(subject, request.user, **data)

    def success(harvest):
        messages.success(request, f"Harvest of {subject.code} recorded.")
        return redirect("product:subject", pk=subject.pk)

    return submit(request, form, action, success, "product/harvest_form.html", {"subject": subject})


@role_required(*LAB)
def batch_create(request, pk: int):
    harvest = fetch(request, HARVESTS, lambda h: h.subject.site, pk)
    started = local_date(harvest.aspirated_at, harvest.subject.site)  # the site's date
    form = BatchForm(request.POST or None, initial={"culture_started_on": started})

    def action(data):
        return services.create_batch(harvest, request.user, **data)

    def success(batch):
        messages.success(request, "Batch started.")
        return redirect("product:batch", pk=batch.pk)

    context = {"harvest": harvest, "subject": harvest.subject}
    return submit(request, form, action, success, "product/batch_form.html", context)


def _batch_context(request, batch: Batch) -> dict:
    protocol = batch.subject.trial.protocol
    next_number = (
        batch.passages.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    return {
        "batch": batch,
        "subject": batch.subject,
        "summary": culture_summary(batch),
        "lots": batch.lots.order_by("number"),
        "can_lab": has_role(request.user, batch.subject.site, *LAB),
        "passage_form": PassageForm(initial={"number": next_number}),
        "deviation_form": DeviationForm(),
        "lots_form": LotsForm(doses=_doses(batch)),
        "passages_max": protocol.interventions.product.passages_max,
    }


@role_required(*VIEWERS)
def batch_detail(request, pk: int):
    batch = fetch(request, BATCHES, lambda b: b.subject.site, pk)
    if hides_arm(request.user, batch.subject.trial, batch.subject.site_id):
        # The culture (passages, cell counts) is what a placebo lacks: unblinded roles only
        # (docs/randomisation.md "Blinding").
        raise PermissionDenied("In a blinded trial only the unblinded pharmacy sees the culture.")
    return render(request, "product/batch.html", _batch_context(request, batch))


def _batch_post(request, pk: int, form_key: str, make_form, action, message) -> object:
    """A form on the batch page: ``action(batch, data)`` then back to the batch page."""
    batch = fetch(request, BATCHES, lambda b: b.subject.site, pk)
    context = _batch_context(request, batch)
    form = make_form(batch, request.POST or None)
    context[form_key] = form

    def success(result):
        messages.success(request, message(result))
        return redirect("product:batch", pk=batch.pk)

    return submit(
        request, form, lambda data: action(batch, data), success, "product/batch.html", context
    )


@role_required(*LAB)
def passage_create(request, pk: int):
    return _batch_post(
        request,
        pk,
        "passage_form",
        lambda batch, data: PassageForm(data),
        lambda batch, data: services.record_passage(batch, request.user, **data),
        lambda passage: f"Passage {passage.number} recorded.",
    )


@role_required(*LAB)
def lots_create(request, pk: int):
    return _batch_post(
        request,
        pk,
        "lots_form",
        lambda batch, data: LotsForm(data, doses=_doses(batch)),
        lambda batch, data: services.create_lots(batch, request.user, data["dose_numbers"]),
        lambda lots: "Lots made: " + ", ".join(lot.code for lot in lots),
    )


@role_required(*LAB)
def deviation_create(request, pk: int):
    return _batch_post(
        request,
        pk,
        "deviation_form",
        lambda batch, data: DeviationForm(data),
        lambda batch, data: services.record_deviation(batch, request.user, **data),
        lambda batch: "Deviation recorded.",
    )


def _doses(batch: Batch) -> int:
    return batch.subject.trial.protocol.interventions.administrations.count


@role_required(*CLINIC)
def administer(request, pk: int):
    """Record an administration after the chain-of-identity checks (two separate scans)."""
    subject = fetch(request, SUBJECTS, lambda s: s.site, pk)
    route = subject.trial.protocol.interventions.route
    form = AdministrationForm(
        request.POST or None,
        initial={"route": route.name, "pump_rate_ul_per_min": route.pump_rate_ul_per_min},
    )
    status = 200
    refusal = None
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            try:
                given = services.administer_dose(subject, request.user, channel="form", **data)
            except services.AdministrationRefused as error:
                refusal = error
                add_domain_errors(form, error)
                status = 422
            except ValidationError as error:
                add_domain_errors(form, error)
                status = 400
            else:
                messages.success(
                    request, f"Dose {given.dose_number} ({given.lot.code}) given to {subject.code}."
                )
                return redirect("product:subject", pk=subject.pk)
        else:
            status = 400
    ready = subject.lots.filter(status__in=["released", "received"]).order_by("dose_number")
    context = {
        "subject": subject,
        "form": form,
        "refusal": refusal,
        "route": route,
        "ready": ready,
        "given": sorted(subject.administrations.values_list("dose_number", flat=True)),
    }
    return render(request, "product/administer.html", context, status=status)
