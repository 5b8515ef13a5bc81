"""The custody ledger and lot status changes, shared by every product service.

A lot's status changes only here: the transition is asked of the domain table
(:func:`alstrial.domain.product.next_status`) first, then the lot is saved through
``save_clinical`` (versioned, audited) and one :class:`CustodyEntry` is appended.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.product import CustodyEvent, LotStatus, next_status
from alstrial.web.core.access import has_role
from alstrial.web.core.models import Role
from alstrial.web.core.records import save_clinical
from alstrial.web.product.models import CustodyEntry, Lot

# The unblinded pharmacy of a randomised, blinded trial prepares active and placebo lots
# (docs/randomisation.md "Blinding"); a blinded lab role is refused that trial's QC pages.
LAB_ROLES = (Role.CELL_LAB, Role.ADMIN, Role.UNBLINDED_PHARMACY)


def require(user, site, *roles: str, what: str) -> None:
    """PermissionDenied unless ``user`` holds one of ``roles`` at ``site`` (answered 403)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("an identified, logged-in user is required")
    if not has_role(user, site, *roles):
        raise PermissionDenied(f"your role at this site does not allow you to {what}")


#: Clock tolerance for "not in the future" (workstation clocks drift), minutes.
CLOCK_SKEW_MINUTES = 5


def not_future(field: str, when: datetime | date, errors: list[FieldError], site=None) -> None:
    """Append a FieldError naming ``field`` when ``when`` is in the future (or naive).

    A date is a local calendar date: it is compared with today at ``site`` (docs/web.md,
    'Time'; a batch started on the Seoul date is not refused while UTC is still on yesterday).
    """
    if isinstance(when, datetime):
        if when.tzinfo is None:
            errors.append(FieldError(field, "the time needs a time zone"))
        elif when > timezone.now() + timedelta(minutes=CLOCK_SKEW_MINUTES):
            errors.append(FieldError(field, f"{when:%Y-%m-%d %H:%M} is in the future"))
    elif when > timezone.localdate(timezone=site.zone if site is not None else None):
        errors.append(FieldError(field, f"{when} is in the future"))


def refuse(field: str, message: str) -> None:
    raise ValidationError([FieldError(field, message)])


def move_lot(lot: Lot, user, event: CustodyEvent, note: str = "", at: datetime | None = None):
    """Apply ``event`` to ``lot`` (status per the domain table), save it, append custody.

    Call inside the service's transaction, on a lot read with ``select_for_update``.
    """
    before = LotStatus(lot.status)
    try:
        after = next_status(before, event)
    except FieldError as error:
        raise ValidationError([error]) from None
    if after is not before:
        lot.status = after.value
        save_clinical(lot, user, f"{event.label}: {note}" if note else event.label)
    return append_custody(lot, user, event, before, after, note, at)


def append_custody(
    lot: Lot,
    user,
    event: CustodyEvent,
    before: LotStatus | None,
    after: LotStatus,
    note: str = "",
    at: datetime | None = None,
) -> CustodyEntry:
    return CustodyEntry.objects.create(
        lot=lot,
        event=event.value,
        from_status=before.value if before else "",
        to_status=after.value,
        user=user,
        at=at or timezone.now(),
        note=note,
    )


def current_weight(subject, on: date | None = None) -> tuple[float, str] | None:
    """The subject's latest recorded body weight (kg) and where it came from, or None.

    Read from the assessments app's weight form (the latest visit with a weight, on or before
    ``on`` when given: a dose made up on a past date uses the weight known then); ``None`` when
    there is none (a per-kg dose then cannot be prepared: no default weight is ever assumed).
    """
    try:
        weight_model = apps.get_model("assessments", "WeightAssessment")
    except LookupError:
        return None
    rows = weight_model.objects.filter(subject=subject, visit__visit_date__isnull=False)
    if on is not None:
        rows = rows.filter(visit__visit_date__lte=on)
    latest = rows.select_related("visit").order_by("-visit__visit_date", "-id").first()
    if latest is None:
        return None
    return latest.weight_kg, f"{latest.visit.code} {latest.visit.visit_date}"


def check_event_time(field: str, when, lot: Lot | None, errors: list[FieldError]) -> None:
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


def require_event_time(field: str, when, lot: Lot | None) -> None:
    """:func:`check_event_time` for one optional event time: ``None`` (now) passes; a bad time
    raises :class:`ValidationError` naming ``field``, before anything is written."""
    if when is None:
        return
    errors: list[FieldError] = []
    check_event_time(field, when, lot, errors)
    if errors:
        raise ValidationError(errors)


def locked(lot: Lot) -> Lot:
    """``lot`` again, its row locked for the rest of the transaction."""
    return Lot.objects.select_for_update().select_related("subject__trial", "site").get(pk=lot.pk)
