"""Administering a dose: the chain-of-identity gate (docs/domain.md, 'Cell product').

:func:`administer_dose` is the only way an administration is recorded. Inside one transaction it
locks the subject and the scanned lot, asks the domain's ``check_administration`` (two
identifiers, donor = recipient, released, not expired, same site, dose number not given)
and checks the administration details (route from the protocol; intraspinal level and pump
rate; time). If anything fails, nothing is administered: a :class:`RefusedAttempt` and, when the
lot exists, a ``refused`` custody entry are committed, and :class:`AdministrationRefused` is
raised naming every failure. Forms, the API and importers all call this function.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from alstrial.domain.errors import FieldError, MisuseError, ValidationError
from alstrial.domain.local_time import local_date
from alstrial.domain.product import CustodyEvent, LotStatus
from alstrial.domain.product_identity import (
    LotFacts,
    SubjectFacts,
    check_administration,
    normalise,
)
from alstrial.web.core.models import Role
from alstrial.web.core.records import save_clinical
from alstrial.web.product.ledger import append_custody, move_lot, not_future, require
from alstrial.web.product.models import Administration, Lot, RefusedAttempt, Route
from alstrial.web.safety.services import check_dosing_open
from alstrial.web.subjects.models import Subject, VisitStatus
from alstrial.web.subjects.services import record_visit, set_day_zero

ADMINISTERING_ROLES = (Role.INVESTIGATOR, Role.ADMIN)
logger = logging.getLogger(__name__)


class AdministrationRefused(ValidationError):
    """The administration was refused; ``attempt`` is the audited :class:`RefusedAttempt`."""

    def __init__(self, errors, attempt: RefusedAttempt):
        super().__init__(errors)
        self.attempt = attempt


def _detail_errors(protocol, *, route, administered_at, spinal_level, pump_rate) -> list:
    """Checks of the administration details against the protocol (not of identity)."""
    errors: list[FieldError] = []
    expected_route = protocol.interventions.route.name
    if route != expected_route:
        errors.append(
            FieldError("route", f"the protocol's route is {expected_route}, not {route or 'none'}")
        )
    if route == Route.INTRASPINAL:
        if not (spinal_level or "").strip():
            errors.append(FieldError("spinal_level", "give the spinal level of the implantation"))
        if not isinstance(pump_rate, int | float) or not pump_rate > 0:
            errors.append(
                FieldError("pump_rate_ul_per_min", "give the micrometric pump rate (µl/min)")
            )
    if administered_at is None:
        errors.append(FieldError("administered_at", "the time of administration is required"))
    else:
        not_future("administered_at", administered_at, errors)
    return errors


def _timing_errors(lot: Lot | None, administered_at: datetime | None) -> list[FieldError]:
    """A dose cannot be given before it was formulated or released (no backdating past them)."""
    if lot is None or administered_at is None:
        return []
    errors = []
    if lot.formulated_at and administered_at < lot.formulated_at:
        errors.append(FieldError("administered_at", "the dose was not yet formulated at that time"))
    signature = lot.active_signature
    if signature is not None and administered_at < signature.signed_at:
        errors.append(FieldError("administered_at", "the lot was not yet released at that time"))
    return errors


def _volume_errors(lot: Lot | None, volume_ml) -> list[FieldError]:
    """The volume injected: more than 0 and at most the prepared volume (ml)."""
    if volume_ml is None or lot is None or lot.volume_ml is None:
        return []
    if not isinstance(volume_ml, int | float) or not 0 < volume_ml <= lot.volume_ml:
        return [FieldError("volume_ml", f"must be more than 0 and at most {lot.volume_ml:g} ml")]
    return []


def _facts(subject: Subject, lot: Lot | None) -> tuple[SubjectFacts, LotFacts | None]:
    given = frozenset(
        Administration.objects.filter(subject=subject).values_list("dose_number", flat=True)
    )
    subject_facts = SubjectFacts(subject.code, subject.site.code, given)
    if lot is None:
        return subject_facts, None
    lot_facts = LotFacts(
        lot_id=lot.code,
        donor_subject_id=lot.subject.code,
        site=lot.site.code,
        status=LotStatus(lot.status),
        expires_at=lot.expires_at,
        dose_number=lot.dose_number,
    )
    return subject_facts, lot_facts


def administer_dose(
    subject: Subject,
    user,
    *,
    scanned_subject_id: str,
    scanned_lot_id: str,
    route: str,
    administered_at: datetime | None = None,
    operator=None,
    visit=None,
    spinal_level: str = "",
    pump_rate_ul_per_min: float | None = None,
    immediate_reactions: str = "",
    volume_ml: float | None = None,
    channel: str = "form",
    within_transaction: bool = False,
) -> Administration:
    """Give the scanned lot to ``subject``, or refuse and audit the attempt.

    ``scanned_subject_id`` and ``scanned_lot_id`` are the two identifiers entered or scanned
    separately at the bedside. ``volume_ml`` is the volume injected (ml; default the whole
    prepared volume); the cells given are the dose in proportion. ``channel`` (form, api,
    import) is recorded with a refusal.
    ``within_transaction=True`` lets a loader that runs in one enclosing transaction (the demo,
    an all-or-nothing import) call it; a refusal then aborts that whole transaction, audit row
    included, and the loader must report it.
    """
    require(user, subject.site, *ADMINISTERING_ROLES, what="administer doses")
    if not within_transaction:
        _require_outermost_transaction()
    if administered_at is not None and timezone.is_naive(administered_at):
        # a malformed input, like a form that does not parse: nothing to check identity with
        raise ValidationError([FieldError("administered_at", "the time needs a time zone")])
    administered_at = administered_at or timezone.now()
    refusal: AdministrationRefused | None = None
    with transaction.atomic():
        # Lock the recipient first (dose numbers), then the lot: one order, no deadlock.
        subject = (
            Subject.objects.select_for_update().select_related("site", "trial").get(pk=subject.pk)
        )
        lot = (
            Lot.objects.select_for_update()
            .select_related("subject", "site")
            .filter(code=normalise(scanned_lot_id))
            .first()
        )
        subject_facts, lot_facts = _facts(subject, lot)
        errors = check_administration(
            scanned_subject_id=scanned_subject_id,
            scanned_lot_id=scanned_lot_id,
            subject=subject_facts,
            lot=lot_facts,
            now=administered_at,
        )
        errors += _detail_errors(
            subject.trial.protocol,
            route=route,
            administered_at=administered_at,
            spinal_level=spinal_level,
            pump_rate=pump_rate_ul_per_min,
        )
        errors += _timing_errors(lot, administered_at)
        errors += _volume_errors(lot, volume_ml)
        if subject.status != "enrolled":  # withdrawn, completed or never enrolled
            errors.append(
                FieldError("subject", f"{subject.code} is {subject.get_status_display().lower()}")
            )
        if visit is not None and visit.subject_id != subject.pk:
            errors.append(FieldError("visit", "the visit belongs to another subject"))
        errors += _dosing_halt_errors(subject.trial)
        if errors:
            scanned = (scanned_subject_id, scanned_lot_id)
            refusal = _refuse(subject, lot, user, scanned, errors, channel)
        else:
            return _administer(
                subject,
                lot,
                user,
                administered_at=administered_at,
                operator=operator or user,
                visit=visit,
                route=route,
                spinal_level=spinal_level,
                pump_rate_ul_per_min=pump_rate_ul_per_min,
                immediate_reactions=immediate_reactions,
                scanned_subject_id=normalise(scanned_subject_id),  # as read, canonical
                scanned_lot_id=normalise(scanned_lot_id),  # the lot ID of a label payload
                volume_ml=volume_ml,
            )
    # Raised after the transaction has committed the audit record of the refusal.
    raise refusal


def _dosing_halt_errors(trial) -> list[FieldError]:
    """A stopping rule that halts dosing (or the trial) refuses every dose until it is lifted."""
    try:
        check_dosing_open(trial)
    except ValidationError as halted:
        return halted.errors
    return []


def _require_outermost_transaction() -> None:
    """A refusal is committed before the error is raised; a caller's enclosing transaction
    would roll that audit record back with its own failure, so none is allowed (a test case's
    wrapping transaction excepted: Django marks it ``_from_testcase``)."""
    connection = transaction.get_connection()
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise MisuseError(
            "administer_dose runs its own transaction: do not call it inside transaction.atomic"
        )


def _refuse(subject, lot, user, scanned, errors, channel):
    scanned_subject_id, scanned_lot_id = scanned
    # also to the operations log: a refused bedside check is worth a look the same day
    logger.warning(
        "administration refused for %s (lot scan %r, %s by %s): %s",
        subject.code,
        scanned_lot_id,
        channel,
        user.get_username(),
        "; ".join(e.message for e in errors),
    )
    attempt = RefusedAttempt.objects.create(
        subject=subject,
        lot=lot,
        scanned_subject_id=(scanned_subject_id or "")[:60],
        scanned_lot_id=(scanned_lot_id or "")[:60],
        reasons=[{"field": e.field, "message": e.message} for e in errors],
        channel=channel,
        user=user,
        at=timezone.now(),
    )
    if lot is not None:
        status = LotStatus(lot.status)
        note = f"administration to {subject.code} refused: " + "; ".join(e.message for e in errors)
        append_custody(lot, user, CustodyEvent.REFUSED, status, status, note)
    return AdministrationRefused(errors, attempt)


def _follow_the_dose(subject: Subject, administration: Administration, user) -> None:
    """The schedule follows the dose actually given (docs/web.md, 'Time'): the visit carrying it
    is done on the site's date of the dose, and dose 1 of a protocol anchored on the first
    administration moves day 0 there, and with it every later visit window (windows are study
    days). Recorded visits keep their dates."""
    dose_day = local_date(administration.administered_at, subject.site)
    visit = administration.visit
    if visit is not None and visit.status == VisitStatus.SCHEDULED:
        record_visit(visit, user, visit_date=dose_day, reason=f"dose {administration.dose_number}")
    anchored = subject.trial.protocol.day_zero == "first_administration"
    if anchored and administration.dose_number == 1 and subject.day_zero_date != dose_day:
        set_day_zero(
            subject, user, dose_day, reason=f"day 0 is the first dose, given on {dose_day}"
        )


def _administer(subject, lot, user, *, volume_ml, **details) -> Administration:
    if details["visit"] is None:  # the schedule's visit for this dose number
        details["visit"] = subject.visits.filter(administration=lot.dose_number).first()
    administration = Administration(
        subject=subject,
        lot=lot,
        dose_number=lot.dose_number,
        # a partial injection gives the cells in proportion to the volume
        cells_given=lot.dose_cells * (volume_ml or lot.volume_ml) / lot.volume_ml,
        volume_ml=volume_ml or lot.volume_ml,
        **details,
    )
    save_clinical(administration, user)
    _follow_the_dose(subject, administration, user)
    move_lot(
        lot,
        user,
        CustodyEvent.ADMINISTERED,
        note=(
            f"dose {lot.dose_number} given to {subject.code} ({administration.route}"
            f"{', ' + administration.spinal_level if administration.spinal_level else ''}) by "
            f"{administration.operator.get_username()}"
        ),
        at=details["administered_at"],
    )
    return administration
