"""The one door for every change to the cell product (docs/DEVELOPING.md, 'Where each kind of rule
lives').

Forms, the JSON API and importers call these functions and nothing else. Each one checks
everything first (role at the site, domain rules, lot state) inside one transaction, with the lot
row locked (``select_for_update``), and writes nothing unless every check passes. Errors are
:class:`alstrial.domain.errors.ValidationError` (naming each field) or Django's
``PermissionDenied`` (wrong role; views and the API answer 403).

Roles (docs/product.md): the cell lab records harvests, batches, passages, lots, QC and dose
preparation; a person with a :class:`ReleaseAuthority` at the site signs releases; an
investigator (or site admin) administers. :func:`administer_dose` lives in
:mod:`alstrial.web.product.administration` and is re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.identifiers import lot_code
from alstrial.domain.local_time import local_date
from alstrial.domain.product import CustodyEvent, LotStatus
from alstrial.domain.product_culture import Passage as PassageFacts
from alstrial.domain.product_culture import validate_passage
from alstrial.web.core.models import Role
from alstrial.web.core.records import save_clinical
from alstrial.web.product.administration import AdministrationRefused, administer_dose
from alstrial.web.product.ledger import (
    LAB_ROLES,
    append_custody,
    check_event_time,
    locked,
    move_lot,
    not_future,
    refuse,
    require,
    require_event_time,
)
from alstrial.web.product.models import (
    Batch,
    Harvest,
    Lot,
    Passage,
)
from alstrial.web.product.release import (
    evaluate_lot,
    prepare_dose,
    record_qc,
    release_inputs,
    release_lot,
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
    "release_inputs",
    "release_lot",
]

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
        not_future("culture_started_on", culture_started_on, errors, subject.site)
        if culture_started_on < local_date(harvest.aspirated_at, subject.site):
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
        not_future("harvested_on", harvested_on, errors, batch.subject.site)
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
        check_event_time("made_at", made_at, None, errors)
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


MANUAL_EVENTS = (CustodyEvent.SHIPPED, CustodyEvent.RECEIVED, CustodyEvent.DESTROYED)


@transaction.atomic
def record_custody(
    lot: Lot, user, event: CustodyEvent | str, *, note: str = "", at: datetime | None = None
):
    """Ship, receive or destroy a lot (a reason is required to destroy); ``at`` is when it
    happened, for a retrospective entry (default now; not in the future, not before the lot's
    last custody event)."""
    lot = locked(lot)
    require(user, lot.site, *LAB_ROLES, Role.INVESTIGATOR, what="move lots")
    try:
        event = CustodyEvent(event)
    except ValueError:
        refuse("event", f"unknown custody event {event!r}")
    if event not in MANUAL_EVENTS:
        refuse("event", f"{event.label} is recorded by its own service, not by hand")
    if event is CustodyEvent.DESTROYED and not note.strip():
        refuse("note", "say why the lot is destroyed")
    require_event_time("at", at, lot)
    return move_lot(lot, user, event, note=note.strip(), at=at)
