"""Limits on text a user types, shared by the web forms, the API and the importers.

A reason for a change enters the append-only audit trail, which can never be trimmed later, so
it is capped (docs/api.md "Limits"); free-text clinical fields (narratives, reasons a visit was
missed or a subject withdrew) are capped so one record cannot fill a page or a listing.
Lengths are counted in characters (Unicode code points), as the database's ``varchar(n)`` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from alstrial.domain.errors import FieldError, ValidationError

#: Longest reason for a change (characters); it is kept for ever in the audit trail.
MAX_REASON_CHARS = 1000
#: Longest free-text clinical field without its own limit (characters).
MAX_FREE_TEXT_CHARS = 4000
#: Longest scanned identifier (characters): a lot label's whole QR payload, whose first field
#: is the lot ID, fits many times over.
MAX_SCAN_CHARS = 500


def length_error(field: str, value: str | None, limit: int) -> FieldError | None:
    """A FieldError on ``field`` when ``value`` has more than ``limit`` characters."""
    if value is not None and len(value) > limit:
        return FieldError(field, f"at most {limit:,} characters (this has {len(value):,})")
    return None


def choice_error(field: str, value, allowed: Iterable) -> FieldError | None:
    """A FieldError on ``field`` when ``value`` is given but not one of ``allowed``."""
    allowed = [str(a) for a in allowed]
    if value in (None, "") or str(value) in allowed:
        return None
    shown = repr(value) if len(str(value)) <= 40 else f"{str(value)[:40]!r}..."
    return FieldError(field, f"{shown} is not one of {', '.join(allowed)}")


def check_reason(reason: str | None) -> None:
    """Refuse a reason for a change longer than :data:`MAX_REASON_CHARS` (field ``reason``)."""
    error = length_error("reason", reason, MAX_REASON_CHARS)
    if error is not None:
        raise ValidationError([error])
