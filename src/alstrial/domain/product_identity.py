"""Chain of identity: the checks that stand between an autologous lot and a patient.

Rules: docs/domain.md, 'Cell product' ("Chain of identity"). Before an administration is
recorded:
1. two identifiers are entered or scanned separately, the subject's and the lot's, and each
   carries a valid check character (a misread or mistyped identifier never matches another);
2. the scanned subject is the subject the administration is recorded for;
3. the scanned lot exists, and its donor, both as written inside the lot ID and as recorded
   from the harvest, is this subject;
4. the lot is released (a signature that is not voided) and is not destroyed or already given;
5. it is not expired at the time of administration;
6. it belongs to the subject's site;
7. this dose number has not been given to the subject already.
Every failure is collected (not only the first) so that the refusal names all of them; any one
refuses the whole operation. The function is pure: the web service feeds it facts read under a
row lock and writes nothing when it returns a failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from alstrial.domain.errors import FieldError
from alstrial.domain.identifiers import donor_of_lot, validate_identifier
from alstrial.domain.product import ADMINISTRABLE, LotStatus
from alstrial.domain.product_dose import is_expired


@dataclass(frozen=True)
class LotFacts:
    """What the database says about a lot (``donor_subject_id`` from its harvest)."""

    lot_id: str
    donor_subject_id: str
    site: str
    status: LotStatus
    expires_at: datetime | None
    dose_number: int


@dataclass(frozen=True)
class SubjectFacts:
    """The intended recipient: ID, site, and the dose numbers already given to them."""

    subject_id: str
    site: str
    doses_given: frozenset[int] = field(default_factory=frozenset)


#: Separates the fields of a lot label's QR code (``LOT-...|DONOR=...|...``); chosen because a
#: keyboard-wedge scanner types it into one field without submitting the form (no newline).
QR_SEPARATOR = "|"


def normalise(identifier: str | None) -> str:
    """Upper-case, trimmed; scanners may add spaces or a trailing newline. A scanned lot label
    QR payload is reduced to its first field, the lot ID."""
    return (identifier or "").split(QR_SEPARATOR, 1)[0].strip().upper()


def label_payload(fields: dict[str, str], lot_id: str) -> str:
    """The QR payload of a lot label: the lot ID first, then ``KEY=value`` fields."""
    parts = [lot_id] + [f"{key.upper()}={value}" for key, value in fields.items()]
    if any(QR_SEPARATOR in part for part in parts):
        raise FieldError("label", f"label fields cannot contain {QR_SEPARATOR!r}")
    return QR_SEPARATOR.join(parts)


def scanned_fields(scan: str | None) -> dict[str, str]:
    """The ``KEY=value`` fields after the lot ID in a scanned QR payload (upper-case keys)."""
    out = {}
    for part in (scan or "").split(QR_SEPARATOR)[1:]:
        key, _, value = part.partition("=")
        out[key.strip().upper()] = value.strip()
    return out


def check_identifiers(
    scanned_subject_id: str | None, scanned_lot_id: str | None, subject: SubjectFacts
) -> list[FieldError]:
    """Checks 1-2 and the donor written in the lot ID (check 3, first half)."""
    errors: list[FieldError] = []
    subject_ok = lot_ok = False
    try:
        validate_identifier(normalise(scanned_subject_id), "scanned_subject_id")
        subject_ok = True
    except FieldError:
        errors.append(
            FieldError(
                "scanned_subject_id",
                f"subject identifier {scanned_subject_id!r} is not valid (wrong check character "
                "or misread): scan the subject's wristband again",
            )
        )
    try:
        donor_in_code = donor_of_lot(normalise(scanned_lot_id))
        lot_ok = True
    except FieldError:
        donor_in_code = None
        errors.append(
            FieldError(
                "scanned_lot_id",
                f"lot identifier {scanned_lot_id!r} is not a valid lot ID (wrong check character "
                "or misread): scan the lot label again",
            )
        )
    if subject_ok and normalise(scanned_subject_id) != normalise(subject.subject_id):
        errors.append(
            FieldError(
                "scanned_subject_id",
                f"scanned subject {normalise(scanned_subject_id)} is not the subject this "
                f"administration is for ({subject.subject_id})",
            )
        )
    claimed = scanned_fields(scanned_lot_id).get("DONOR")
    if lot_ok and claimed is not None and claimed.upper() != donor_in_code:
        errors.append(
            FieldError(
                "scanned_lot_id",
                f"the label's donor ({claimed}) does not match the donor in its lot ID "
                f"({donor_in_code}): the label is not genuine; quarantine the lot",
            )
        )
    if lot_ok and donor_in_code != normalise(subject.subject_id):
        errors.append(
            FieldError(
                "scanned_lot_id",
                f"lot {normalise(scanned_lot_id)} was made from {donor_in_code}'s bone marrow, "
                f"not {subject.subject_id}'s: autologous lots go only to their donor",
            )
        )
    return errors


def check_administration(
    *,
    scanned_subject_id: str | None,
    scanned_lot_id: str | None,
    subject: SubjectFacts,
    lot: LotFacts | None,
    now: datetime,
) -> list[FieldError]:
    """Every chain-of-identity failure for giving ``lot`` to ``subject`` at ``now``; [] = allowed.

    ``lot`` is the lot found under the scanned lot ID (``None`` when there is none).
    """
    errors = check_identifiers(scanned_subject_id, scanned_lot_id, subject)
    if lot is None:
        if not any(e.field == "scanned_lot_id" for e in errors):
            errors.append(
                FieldError("scanned_lot_id", f"no lot {normalise(scanned_lot_id)} is on record")
            )
        return errors
    if normalise(lot.lot_id) != normalise(scanned_lot_id):
        errors.append(FieldError("scanned_lot_id", "the lot found is not the lot scanned"))
    if normalise(lot.donor_subject_id) != normalise(subject.subject_id):
        errors.append(
            FieldError(
                "lot",
                f"lot {lot.lot_id}'s recorded donor is {lot.donor_subject_id}, "
                f"not {subject.subject_id}",
            )
        )
    errors.extend(_state_errors(lot, subject, now))
    return errors


def _state_errors(lot: LotFacts, subject: SubjectFacts, now: datetime) -> Iterable[FieldError]:
    if lot.status not in ADMINISTRABLE:
        why = {
            LotStatus.IN_MANUFACTURING: "is still in manufacturing",
            LotStatus.QC_PENDING: "is not released (QC pending or release voided)",
            LotStatus.SHIPPED: "is shipped but its receipt is not recorded",
            LotStatus.ADMINISTERED: "has already been administered",
            LotStatus.DESTROYED: "has been destroyed",
        }[lot.status]
        yield FieldError("lot", f"lot {lot.lot_id} {why}")
    if lot.expires_at is None:
        yield FieldError("lot", f"lot {lot.lot_id} has no dose prepared (no expiry time)")
    elif is_expired(lot.expires_at, now):
        yield FieldError(
            "lot", f"lot {lot.lot_id} expired at {lot.expires_at.isoformat(timespec='minutes')}"
        )
    if lot.site != subject.site:
        yield FieldError(
            "lot", f"lot {lot.lot_id} belongs to site {lot.site}, not the subject's site"
        )
    if lot.dose_number in subject.doses_given:
        yield FieldError(
            "dose_number",
            f"dose {lot.dose_number} has already been given to {subject.subject_id}",
        )
