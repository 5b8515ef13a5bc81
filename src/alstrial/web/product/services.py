"""The one door for every change to the cell product (STYLE.md "One door for every state change").

Forms, the JSON API and importers call these functions and nothing else. Each one checks
everything first (role at the site, domain rules, lot state) inside one transaction, with the lot
row locked (``select_for_update``), and writes nothing unless every check passes. Errors are
:class:`alstrial.domain.errors.ValidationError` (naming each field) or ``PermissionError``
(wrong role; views answer 403).

Roles (docs/product.md): the cell lab records harvests, batches, passages, lots, QC and dose
preparation; a person with a :class:`ReleaseAuthority` at the site signs releases; an
investigator (or site admin) administers. :func:`administer_dose` lives in
:mod:`alstrial.web.product.administration` and is re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.identifiers import lot_code
from alstrial.domain.product import RELEASED_STATES, CustodyEvent, LotStatus
from alstrial.domain.product_culture import Passage as PassageFacts
from alstrial.domain.product_culture import validate_passage
from alstrial.domain.product_dose import DoseRule, calculate_dose, expiry
from alstrial.domain.product_release import (
    ReleaseCriteria,
    ReleaseEvaluation,
    evaluate_release,
    validate_qc_results,
)
from alstrial.web.core.models import Role
from alstrial.web.core.records import save_clinical
from alstrial.web.product.administration import AdministrationRefused, administer_dose
from alstrial.web.product.ledger import (
    append_custody,
    current_weight,
    move_lot,
    not_future,
    refuse,
    require,
)
from alstrial.web.product.models import (
    Batch,
    Harvest,
    Lot,
    Passage,
    QcResult,
    ReleaseAuthority,
    ReleaseSignature,
)

__all__ = [
    "AdministrationRefused",
    "administer_dose",
    "create_batch",
    "create_lots",
    "evaluate_lot",
    "link_adverse_event",
    "prepare_dose",
    "record_custody",
    "record_deviation",
    "record_harvest",
    "record_passage",
    "record_qc",
    "release_lot",
]

LAB_ROLES = (Role.CELL_LAB, Role.ADMIN)
#: Plausible bone marrow aspirate, ml (MSC protocols aspirate about 30-60 ml; Kim 2009 protocol
#: file: 30 ml). Outside (0, 200] the entry is refused as a probable typo.
MAX_ASPIRATE_ML = 200.0


def _number(value) -> float | None:
    """``value`` as a finite float, or None (the caller names the field)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _event_time(field: str, when, lot: Lot | None, errors: list[FieldError]) -> None:
    """Check the time of a lot event given explicitly (a retrospective entry: an import of
    historical records, the demo). It needs a time zone, is not in the future and not before
    the lot's latest custody entry, so the ledger stays in the order things happened. The entry
    time (``created_at`` of the record) is always now."""
    if not isinstance(when, datetime):
        errors.append(FieldError(field, "give a date and time"))
        return
    count = len(errors)
    not_future(field, when, errors)
    if len(errors) > count or lot is None or lot.pk is None:
        return
    last = lot.custody.order_by("-at", "-id").first()
    if last is not None and when < last.at:
        errors.append(
            FieldError(
                field,
                f"{when:%Y-%m-%d %H:%M %Z} is before the lot's last custody event "
                f"({last.event} at {last.at:%Y-%m-%d %H:%M} UTC)",
            )
        )


def _locked(lot: Lot) -> Lot:
    return Lot.objects.select_for_update().select_related("subject__trial", "site").get(pk=lot.pk)


@transaction.atomic
def record_harvest(
    subject,
    user,
    *,
    aspirated_at: datetime,
    volume_ml: float,
    anticoagulant: str,
    anatomical_site: str | None = None,
    operator=None,
    visit=None,
    procedure_adverse_events: str = "",
    adverse_event=None,
) -> Harvest:
    """A bone marrow aspiration of an enrolled subject (volume in ml); ``adverse_event`` is the
    safety app's record of an adverse event of the procedure, when there is one."""
    require(user, subject.site, *LAB_ROLES, Role.INVESTIGATOR, what="record a harvest")
    errors: list[FieldError] = []
    if subject.status != "enrolled":
        errors.append(FieldError("subject", f"{subject.code} is not enrolled"))
    if aspirated_at is None:
        errors.append(FieldError("aspirated_at", "the date and time of aspiration are required"))
    else:
        not_future("aspirated_at", aspirated_at, errors)
    if _number(volume_ml) is None or not 0 < _number(volume_ml) <= MAX_ASPIRATE_ML:
        errors.append(
            FieldError("volume_ml", f"must be more than 0 and at most {MAX_ASPIRATE_ML:g} ml")
        )
    if not (anticoagulant or "").strip():
        errors.append(FieldError("anticoagulant", "name the anticoagulant (e.g. heparin)"))
    if visit is not None and visit.subject_id != subject.pk:
        errors.append(FieldError("visit", "the visit belongs to another subject"))
    errors.extend(_adverse_event_errors(subject, adverse_event))
    if errors:
        raise ValidationError(errors)
    protocol_site = subject.trial.protocol.interventions.harvest.site
    if visit is None:  # the first harvest visit of the schedule that has no harvest yet
        used = Harvest.objects.filter(subject=subject, visit__isnull=False).values_list(
            "visit_id", flat=True
        )
        visit = (
            subject.visits.filter(harvest=True).exclude(pk__in=used).order_by("sequence").first()
        )
    harvest = Harvest(
        subject=subject,
        visit=visit,
        aspirated_at=aspirated_at,
        anatomical_site=(anatomical_site or "").strip() or protocol_site,
        volume_ml=_number(volume_ml),
        anticoagulant=anticoagulant.strip(),
        operator=operator or user,
        procedure_adverse_events=procedure_adverse_events.strip(),
        adverse_event=adverse_event,
    )
    return save_clinical(harvest, user)


def _adverse_event_errors(subject, adverse_event) -> list[FieldError]:
    if adverse_event is not None and adverse_event.subject_id != subject.pk:
        return [FieldError("adverse_event", "the adverse event belongs to another subject")]
    return []


@transaction.atomic
def link_adverse_event(harvest: Harvest, user, adverse_event, *, reason: str) -> Harvest:
    """Link the harvest to the safety app's adverse event of the procedure (recorded later)."""
    require(user, harvest.subject.site, *LAB_ROLES, Role.INVESTIGATOR, what="change a harvest")
    errors = _adverse_event_errors(harvest.subject, adverse_event)
    if errors:
        raise ValidationError(errors)
    harvest.adverse_event = adverse_event
    return save_clinical(harvest, user, reason)


@transaction.atomic
def create_batch(harvest: Harvest, user, *, culture_started_on: date, deviations: str = ""):
    """The manufacturing batch of one harvest, by the protocol's expansion method."""
    subject = harvest.subject
    require(user, subject.site, *LAB_ROLES, what="start a batch")
    errors: list[FieldError] = []
    if Batch.objects.filter(harvest=harvest).exists():
        errors.append(FieldError("harvest", "this harvest already has its batch"))
    if culture_started_on is None:
        errors.append(FieldError("culture_started_on", "the culture start date is required"))
    else:
        not_future("culture_started_on", culture_started_on, errors)
        if culture_started_on < harvest.aspirated_at.date():
            errors.append(
                FieldError("culture_started_on", "the culture cannot start before the harvest")
            )
    if errors:
        raise ValidationError(errors)
    batch = Batch(
        harvest=harvest,
        subject=subject,
        expansion_method=subject.trial.protocol.interventions.product.expansion_method,
        culture_started_on=culture_started_on,
        deviations=deviations.strip(),
    )
    return save_clinical(batch, user)


@transaction.atomic
def record_deviation(batch: Batch, user, *, description: str) -> Batch:
    """Add a manufacturing deviation to ``batch`` (kept with its date, time and author; the
    batch's history records each addition)."""
    require(user, batch.subject.site, *LAB_ROLES, what="record a deviation")
    text = (description or "").strip()
    if not text:
        refuse("description", "describe the deviation")
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    stamp = f"{timezone.now():%Y-%m-%d %H:%M} UTC, {user.get_username()}: {text}"
    batch.deviations = f"{batch.deviations}\n{stamp}".strip()
    return save_clinical(batch, user, f"deviation recorded: {text}")


@transaction.atomic
def record_passage(
    batch: Batch,
    user,
    *,
    number: int,
    seeded_on: date,
    harvested_on: date,
    cells_seeded: float,
    cells_harvested: float,
) -> Passage:
    """One passage (cells); checked against the previous one and the protocol's maximum."""
    require(user, batch.subject.site, *LAB_ROLES, what="record a passage")
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    previous = batch.passages.order_by("-number").first()
    facts = PassageFacts(number, seeded_on, harvested_on, cells_seeded, cells_harvested)
    prior = (
        PassageFacts(
            previous.number,
            previous.seeded_on,
            previous.harvested_on,
            previous.cells_seeded,
            previous.cells_harvested,
        )
        if previous
        else None
    )
    errors: list[FieldError] = []
    try:
        validate_passage(facts, prior, batch.culture_started_on)
    except ValidationError as error:
        errors.extend(error.errors)
    if harvested_on is not None:
        not_future("harvested_on", harvested_on, errors)
    maximum = batch.subject.trial.protocol.interventions.product.passages_max
    if number is not None and number > maximum:
        errors.append(FieldError("number", f"the protocol allows at most {maximum} passages"))
    if batch.lots.exists():
        errors.append(FieldError("number", "lots have been made from this batch already"))
    if errors:
        raise ValidationError(errors)
    passage = Passage(
        batch=batch,
        subject=batch.subject,
        number=number,
        seeded_on=seeded_on,
        harvested_on=harvested_on,
        cells_seeded=float(cells_seeded),
        cells_harvested=float(cells_harvested),
    )
    return save_clinical(passage, user)


@transaction.atomic
def create_lots(
    batch: Batch, user, dose_numbers: Iterable[int], *, made_at: datetime | None = None
) -> list[Lot]:
    """One lot per dose number (1..the protocol's administrations count) from ``batch``.

    Each lot ID carries the donor's subject ID and a check character
    (:func:`alstrial.domain.identifiers.lot_code`). Custody: ``made``, at ``made_at`` (the
    time the lots were made, for a retrospective entry; default now): not in the future, not
    before the harvest nor before the last passage was harvested.
    """
    subject = batch.subject
    require(user, subject.site, *LAB_ROLES, what="make lots")
    dose_numbers = list(dose_numbers)
    count = subject.trial.protocol.interventions.administrations.count
    errors: list[FieldError] = []
    if not dose_numbers:
        errors.append(FieldError("dose_numbers", "choose at least one dose"))
    for n in dose_numbers:
        if not isinstance(n, int) or not 1 <= n <= count:
            errors.append(FieldError("dose_numbers", f"dose {n!r} is not one of 1-{count}"))
    if len(set(dose_numbers)) != len(dose_numbers):
        errors.append(FieldError("dose_numbers", "a dose number is listed twice"))
    last_passage = batch.passages.order_by("-number").first()
    if last_passage is None:
        errors.append(FieldError("batch", "record the passages before making lots"))
    if made_at is not None:
        _event_time("made_at", made_at, None, errors)
        aware = isinstance(made_at, datetime) and timezone.is_aware(made_at)
        if aware and (
            made_at < batch.harvest.aspirated_at
            or (
                last_passage is not None
                and timezone.localdate(made_at, subject.site.zone) < last_passage.harvested_on
            )
        ):
            errors.append(
                FieldError("made_at", "lots cannot be made before the culture was harvested")
            )
    if errors:
        raise ValidationError(errors)
    # Lock the donor's lots so two lab users cannot draw the same lot number.
    taken = list(
        Lot.objects.select_for_update().filter(subject=subject).values_list("number", flat=True)
    )
    next_number = max(taken, default=0) + 1
    lots = []
    for offset, dose_number in enumerate(dose_numbers):
        number = next_number + offset
        lot = Lot(
            site=subject.site,
            subject=subject,
            batch=batch,
            number=number,
            code=lot_code(subject.code, number),
            dose_number=dose_number,
            status=LotStatus.IN_MANUFACTURING.value,
        )
        save_clinical(lot, user)
        append_custody(lot, user, CustodyEvent.MADE, None, LotStatus.IN_MANUFACTURING, at=made_at)
        lots.append(lot)
    return lots


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
    lot = _locked(lot)
    require(user, lot.site, *LAB_ROLES, what="record QC results")
    if lot.lot_status in (LotStatus.ADMINISTERED, LotStatus.DESTROYED):
        refuse("lot", f"lot {lot.code} is {lot.lot_status.label}; its QC can no longer change")
    if tested_at is not None:
        errors: list[FieldError] = []
        _event_time("tested_at", tested_at, lot, errors)
        if errors:
            raise ValidationError(errors)
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
    lot = _locked(lot)
    if user is None or not user.is_authenticated:
        raise PermissionError("an identified, logged-in user is required")
    if not ReleaseAuthority.objects.filter(user=user, site=lot.site).exists():
        raise PermissionError("you are not authorised to release lots at this site")
    if not user.check_password(password or ""):
        refuse("password", "the password is not correct; the lot was not released")
    if lot.lot_status is not LotStatus.QC_PENDING:
        refuse("lot", f"lot {lot.code} is {lot.lot_status.label}; only a lot in QC can be released")
    if signed_at is not None:
        errors: list[FieldError] = []
        _event_time("signed_at", signed_at, lot, errors)
        if errors:
            raise ValidationError(errors)
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
    lot = _locked(lot)
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
MANUAL_EVENTS = (CustodyEvent.SHIPPED, CustodyEvent.RECEIVED, CustodyEvent.DESTROYED)


@transaction.atomic
def record_custody(
    lot: Lot, user, event: CustodyEvent | str, *, note: str = "", at: datetime | None = None
):
    """Ship, receive or destroy a lot (a reason is required to destroy); ``at`` is when it
    happened, for a retrospective entry (default now; not in the future, not before the lot's
    last custody event)."""
    lot = _locked(lot)
    require(user, lot.site, *LAB_ROLES, Role.INVESTIGATOR, what="move lots")
    try:
        event = CustodyEvent(event)
    except ValueError:
        refuse("event", f"unknown custody event {event!r}")
    if event not in MANUAL_EVENTS:
        refuse("event", f"{event.label} is recorded by its own service, not by hand")
    if event is CustodyEvent.DESTROYED and not note.strip():
        refuse("note", "say why the lot is destroyed")
    if at is not None:
        errors: list[FieldError] = []
        _event_time("at", at, lot, errors)
        if errors:
            raise ValidationError(errors)
    return move_lot(lot, user, event, note=note.strip(), at=at)
