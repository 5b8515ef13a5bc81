"""QC results, release by electronic signature, and dose preparation of a lot.

Part of the product app's one door (:mod:`alstrial.web.product.services` re-exports these):
each function checks everything first and writes nothing unless every check passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.product import RELEASED_STATES, CustodyEvent, LotStatus
from alstrial.domain.product_dose import DoseRule, calculate_dose, expiry
from alstrial.domain.product_release import (
    ReleaseCriteria,
    ReleaseEvaluation,
    evaluate_release,
    validate_qc_results,
)
from alstrial.web.core.records import save_clinical
from alstrial.web.product.ledger import (
    LAB_ROLES,
    current_weight,
    locked,
    move_lot,
    not_future,
    refuse,
    require,
    require_event_time,
)
from alstrial.web.product.models import (
    Lot,
    QcResult,
    ReleaseAuthority,
    ReleaseSignature,
)


def release_inputs(lot: Lot) -> tuple[ReleaseCriteria, DoseRule, float | None]:
    """The protocol's release criteria and dose rule, and the weight (kg) to judge ``lot`` by:
    the one its dose was prepared with, else the subject's current weight."""
    protocol = lot.subject.trial.protocol
    weight = lot.weight_kg
    if weight is None:
        found = current_weight(lot.subject)
        weight = found[0] if found else None
    return ReleaseCriteria.from_protocol(protocol), DoseRule.from_protocol(protocol), weight


def evaluate_lot(lot: Lot) -> ReleaseEvaluation:
    """Every release criterion of ``lot`` from its QC results (pending where missing).

    The weight is the one the dose was prepared with, else the subject's current weight.
    """
    criteria, rule, weight = release_inputs(lot)
    qc = QcResult.objects.filter(lot=lot).first()
    results = validate_qc_results(qc.as_mapping() if qc else {})
    volume = lot.volume_ml or rule.volume_ml
    return evaluate_release(criteria, results, dose_volume_ml=volume, weight_kg=weight)


@transaction.atomic
def record_qc(
    lot: Lot,
    user,
    values: Mapping,
    *,
    reason: str = "",
    expected_version=None,
    tested_at: datetime | None = None,
):
    """Enter or edit the QC results of ``lot`` (blank = not entered).

    ``tested_at``: when the results were obtained (a retrospective entry; default now): the
    custody ``qc`` entry's time; not in the future, not before the lot's last custody event.

    Editing a result of a released lot voids its release signature and the release (custody
    ``release_voided``), and a reason is required. A lot given or destroyed cannot change.
    """
    lot = locked(lot)
    require(user, lot.site, *LAB_ROLES, what="record QC results")
    if lot.lot_status in (LotStatus.ADMINISTERED, LotStatus.DESTROYED):
        refuse("lot", f"lot {lot.code} is {lot.lot_status.label}; its QC can no longer change")
    require_event_time("tested_at", tested_at, lot)
    new = _qc_fields(validate_qc_results(values))  # raises naming each bad field, writes nothing
    qc = QcResult.objects.filter(lot=lot).first() or QcResult(lot=lot, subject=lot.subject)
    changed = [name for name, value in new.items() if getattr(qc, name) != value]
    if qc.pk and not changed:
        return qc  # the same values again: nothing to record, nothing voided
    for name, value in new.items():
        setattr(qc, name, value)
    if lot.lot_status in RELEASED_STATES:
        if not (reason or "").strip():
            refuse("reason", "this lot is released: give a reason; the release will be voided")
        _void_release(lot, user, f"QC result changed ({', '.join(changed)}): {reason.strip()}")
    save_clinical(qc, user, reason, expected_version=expected_version)
    move_lot(lot, user, CustodyEvent.QC, note=reason.strip(), at=tested_at)
    return qc


def _qc_fields(parsed) -> dict:
    """Parsed domain results as model field values (blank text for a choice not entered)."""
    return {
        "viability_pct": parsed.viability_pct,
        "viable_cells": parsed.viable_cells,
        **{marker: parsed.markers.get(marker) for marker in QcResult.MARKERS},
        "sterility": parsed.sterility.value if parsed.sterility else "",
        "mycoplasma": parsed.mycoplasma.value if parsed.mycoplasma else "",
        "endotoxin_eu_per_ml": parsed.endotoxin_eu_per_ml,
        "appearance_ok": parsed.appearance_ok,
        "karyotype": parsed.karyotype.value if parsed.karyotype else "",
        "trilineage_ok": parsed.trilineage_ok,
    }


def _void_release(lot: Lot, user, why: str) -> None:
    signature = lot.active_signature
    if signature is not None:
        signature.voided_at = timezone.now()
        signature.voided_by = user
        signature.void_reason = why
        save_clinical(signature, user, f"release voided: {why}")
    move_lot(lot, user, CustodyEvent.RELEASE_VOIDED, note=why)


@transaction.atomic
def release_lot(
    lot: Lot,
    user,
    *,
    password: str,
    meaning: str | None = None,
    signed_at: datetime | None = None,
) -> ReleaseSignature:
    """Release ``lot`` by electronic signature (21 CFR 11.50 and 11.200: the signer re-enters
    the password; the record shows the printed name, date and time, and the meaning).

    Requires a :class:`ReleaseAuthority` at the lot's site and every release criterion passed.
    ``signed_at``: when the release was signed, for a retrospective entry of a paper record
    (default now); not in the future and not before the lot's last custody event (its QC).
    The signature keeps both times: ``signed_at`` and its entry time ``created_at``.
    """
    lot = locked(lot)
    if user is None or not user.is_authenticated:
        raise PermissionDenied("an identified, logged-in user is required")
    if not ReleaseAuthority.objects.filter(user=user, site=lot.site).exists():
        raise PermissionDenied("you are not authorised to release lots at this site")
    if not user.check_password(password or ""):
        refuse("password", "the password is not correct; the lot was not released")
    if lot.lot_status is not LotStatus.QC_PENDING:
        refuse("lot", f"lot {lot.code} is {lot.lot_status.label}; only a lot in QC can be released")
    require_event_time("signed_at", signed_at, lot)
    evaluation = evaluate_lot(lot)
    if not evaluation.releasable:
        names = [
            f"{c.label} ({c.outcome.value})" for c in (*evaluation.failed, *evaluation.pending)
        ]
        refuse("lot", f"release criteria not met: {', '.join(names)}")
    signer_name = user.get_full_name() or user.get_username()
    meaning = (meaning or "").strip() or (
        f"I release lot {lot.code} for administration to its donor {lot.subject.code} only: "
        "every release criterion is met."
    )
    signature = ReleaseSignature(
        lot=lot,
        subject=lot.subject,
        signer=user,
        signer_name=signer_name,
        signed_at=signed_at or timezone.now(),
        meaning=meaning,
        evaluation=evaluation.to_dict(),
    )
    save_clinical(signature, user, "release signature")
    move_lot(
        lot,
        user,
        CustodyEvent.RELEASED,
        note=f"signed by {signer_name}: {meaning}",
        at=signature.signed_at,
    )
    return signature


@transaction.atomic
def prepare_dose(lot: Lot, user, *, formulated_at: datetime | None = None) -> Lot:
    """Formulate the dose, once: cells from the protocol's rule and the subject's current
    weight, the vehicle and volume, and the expiry (formulation + the protocol's hours)."""
    lot = locked(lot)
    require(user, lot.site, *LAB_ROLES, what="prepare a dose")
    if lot.formulated_at is not None:
        # Cells suspended in the vehicle cannot be formulated again: preparing twice would also
        # give an expired dose a new expiry. A wrong or expired dose is destroyed.
        refuse(
            "lot",
            f"the dose of {lot.code} was prepared at {lot.formulated_at:%Y-%m-%d %H:%M} UTC; "
            "a dose is prepared once (destroy an expired or wrong one)",
        )
    formulated_at = formulated_at or timezone.now()
    errors: list[FieldError] = []
    not_future("formulated_at", formulated_at, errors)
    # Not before the lot was made. (QC results are often entered after the dose was made up,
    # so a formulation time before the QC entry stays allowed, as it always was.)
    made = lot.custody.filter(event=CustodyEvent.MADE.value).order_by("at").first()
    if not errors and made is not None and formulated_at < made.at:
        errors.append(
            FieldError("formulated_at", f"the lot was made later ({made.at:%Y-%m-%d %H:%M} UTC)")
        )
    if errors:
        raise ValidationError(errors)
    rule = DoseRule.from_protocol(lot.subject.trial.protocol)
    # the weight known on the day of formulation at the site (a back-dated entry ignores
    # weights recorded later)
    found = current_weight(lot.subject, on=timezone.localdate(formulated_at, lot.site.zone))
    try:
        dose = calculate_dose(rule, found[0] if found else None)
    except FieldError as error:
        errors.append(error)
    if errors:
        raise ValidationError(errors)
    lot.weight_kg = dose.weight_kg
    lot.dose_cells = dose.cells
    lot.cells_per_kg = dose.cells_per_kg
    lot.vehicle = dose.vehicle
    lot.volume_ml = dose.volume_ml
    lot.formulated_at = formulated_at
    lot.expires_at = expiry(formulated_at, rule.expiry_hours)
    if lot.lot_status in RELEASED_STATES and not evaluate_lot(lot).releasable:
        refuse("weight_kg", "with the current weight the lot no longer meets its release criteria")
    source = f"weight {dose.weight_kg:g} kg from {found[1]}" if found else "fixed dose"
    save_clinical(lot, user, f"dose prepared ({source})")
    move_lot(
        lot,
        user,
        CustodyEvent.DOSE_PREPARED,
        note=f"{dose.cells:.3g} cells; {source}",
        at=formulated_at,
    )
    return lot


#: Custody events a user records directly (the others follow from the services above).
