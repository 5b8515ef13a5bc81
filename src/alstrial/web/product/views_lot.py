"""Lot pages: the lot and its whole chain, QC entry (with a live HTMX evaluation), release by
electronic signature, dose preparation, custody moves and the printable label."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alstrial.domain.errors import ValidationError
from alstrial.domain.product_release import evaluate_release, validate_qc_results
from alstrial.web.core.access import has_role, hides_arm, role_required
from alstrial.web.core.forms import add_domain_errors
from alstrial.web.core.models import Role
from alstrial.web.core.records import ConflictError
from alstrial.web.product import services
from alstrial.web.product.forms import CustodyForm, QcForm, ReleaseForm, qc_initial
from alstrial.web.product.labels import lot_label
from alstrial.web.product.models import Lot, QcResult, ReleaseAuthority
from alstrial.web.product.queries import chain_of_custody
from alstrial.web.product.views import LAB, VIEWERS, fetch

LOTS = Lot.objects.select_related("subject__site", "subject__trial", "site", "batch__harvest")


def _lot(request, pk: int) -> Lot:
    return fetch(request, LOTS, lambda lot: lot.site, pk)


def _unblinded_lot(request, pk: int) -> Lot:
    """The lot, for a page that shows its QC (cell counts, viability): in a blinded trial only
    an unblinded role may open it (docs/randomisation.md "Blinding")."""
    lot = _lot(request, pk)
    if hides_arm(request.user, lot.subject.trial, lot.site_id):
        raise PermissionDenied("In a blinded trial the unblinded pharmacy enters QC results.")
    return lot


def _lot_context(request, lot: Lot, **extra) -> dict:
    qc = QcResult.objects.filter(lot=lot).first()
    return {
        # a blinded role sees no dose, QC or evaluation (docs/randomisation.md "Blinding")
        "blinded": hides_arm(request.user, lot.subject.trial, lot.site_id),
        "lot": lot,
        "subject": lot.subject,
        "evaluation": services.evaluate_lot(lot),
        "chain": chain_of_custody(lot),
        "signatures": lot.signatures.select_related("signer", "voided_by").order_by("signed_at"),
        "can_lab": has_role(request.user, lot.site, *LAB),
        "can_release": ReleaseAuthority.objects.filter(user=request.user, site=lot.site).exists(),
        "qc_form": QcForm(initial=qc_initial(qc)),
        "release_form": ReleaseForm(),
        "custody_form": CustodyForm(),
        "administration": getattr(lot, "administration", None) if lot.pk else None,
        **extra,
    }


@role_required(*VIEWERS)
def lot_detail(request, pk: int):
    lot = _lot(request, pk)
    return render(request, "product/lot.html", _lot_context(request, lot))


@role_required(*LAB)
def qc_edit(request, pk: int):
    lot = _unblinded_lot(request, pk)
    form = QcForm(
        request.POST or None, initial=qc_initial(QcResult.objects.filter(lot=lot).first())
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            values = {name: data.get(name) for name in QcResult.RESULT_FIELDS}
            try:
                services.record_qc(
                    lot,
                    request.user,
                    values,
                    reason=data.get("reason") or "",
                    expected_version=data.get("version"),
                )
            except ValidationError as error:
                add_domain_errors(form, error)
                status = 400
            except ConflictError as error:
                form.add_error(None, str(error))
                status = 409
            else:
                messages.success(request, f"QC results of {lot.code} saved.")
                return redirect("product:lot", pk=lot.pk)
        else:
            status = 400
    context = _lot_context(request, lot, qc_form=form)
    return render(request, "product/qc_form.html", context, status=status)


@require_POST
@role_required(*LAB)
def qc_preview(request, pk: int):
    """HTMX: the release evaluation of the values typed so far (nothing is saved)."""
    lot = _unblinded_lot(request, pk)
    criteria, rule, weight = services.release_inputs(lot)
    values = {name: request.POST.get(name) for name in QcResult.RESULT_FIELDS}
    try:
        results = validate_qc_results(values)
    except ValidationError as error:
        return render(request, "product/_evaluation.html", {"errors": error.by_field()})
    evaluation = evaluate_release(
        criteria, results, dose_volume_ml=lot.volume_ml or rule.volume_ml, weight_kg=weight
    )
    return render(request, "product/_evaluation.html", {"evaluation": evaluation})


def _lot_post(request, pk: int, form_class, form_key: str, action) -> object:
    """A form on the lot page: ``action(lot, data)`` returns the success message; on a domain
    error the lot page comes back with the errors next to the fields (400)."""
    lot = _lot(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = action(lot, form.cleaned_data)
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, message)
            return redirect("product:lot", pk=lot.pk)
    context = _lot_context(request, lot, **{form_key: form})
    return render(request, "product/lot.html", context, status=400)


@require_POST
@role_required(*VIEWERS)
def release(request, pk: int):
    def sign(lot, data):
        signature = services.release_lot(lot, request.user, password=data["password"])
        return f"{lot.code} released, signed by {signature.signer_name}."

    return _lot_post(request, pk, ReleaseForm, "release_form", sign)


@require_POST
@role_required(*LAB)
def prepare(request, pk: int):
    lot = _lot(request, pk)
    try:
        services.prepare_dose(lot, request.user)
    except ValidationError as error:
        for field, msgs in error.by_field().items():
            for message in msgs:
                messages.error(request, f"{field}: {message}")
    else:
        messages.success(request, f"Dose of {lot.code} prepared.")
    return redirect("product:lot", pk=lot.pk)


@require_POST
@role_required(*LAB, Role.INVESTIGATOR)
def custody(request, pk: int):
    def move(lot, data):
        services.record_custody(lot, request.user, data["event"], note=data["note"])
        return f"{lot.code}: {data['event']} recorded."

    return _lot_post(request, pk, CustodyForm, "custody_form", move)


@role_required(*VIEWERS)
def label(request, pk: int):
    lot = _lot(request, pk)
    return render(request, "product/label.html", {"lot": lot, "label": lot_label(lot)})
