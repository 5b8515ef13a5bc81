"""Pseudonymous identifiers with a check character (Luhn mod N over 0-9A-Z).

A subject ID such as ``SEO-0007-K`` and a lot ID such as ``LOT-SEO-0007-K-01-Q`` end in a check
character computed by the Luhn mod N algorithm over the 36 characters 0-9 and A-Z. It detects
every single-character error and every transposition of two adjacent characters, so a mistyped or
misread identifier is refused at the bedside instead of matching another subject or lot.
Separators (``-``) are ignored by the check.
"""

from __future__ import annotations

import re

from alstrial.domain.errors import FieldError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_N = len(ALPHABET)


def _payload(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def check_character(body: str) -> str:
    """The Luhn mod 36 check character for ``body`` (letters, digits; separators ignored)."""
    chars = _payload(body)
    if not chars:
        raise FieldError("identifier", "an identifier needs at least one letter or digit")
    total = 0
    factor = 2
    for char in reversed(chars):
        addend = factor * _VALUE[char]
        total += addend // _N + addend % _N
        factor = 1 if factor == 2 else 2
    return ALPHABET[(_N - total % _N) % _N]


def with_check(body: str) -> str:
    """``body`` followed by ``-`` and its check character."""
    return f"{body.upper()}-{check_character(body)}"


def is_valid(identifier: str) -> bool:
    """True when the last character is the right check character for the rest."""
    chars = _payload(identifier)
    if len(chars) < 2:
        return False
    return check_character(chars[:-1]) == chars[-1]


def validate_identifier(identifier: str, field: str = "identifier") -> str:
    """Return the normalised identifier, or raise a FieldError naming ``field``."""
    text = (identifier or "").strip().upper()
    if not is_valid(text):
        raise FieldError(field, f"{identifier!r} is not a valid identifier (check character wrong)")
    return text


def subject_code(site_code: str, number: int) -> str:
    """Pseudonymous subject ID: site prefix, 4-digit sequence, check character (``SEO-0007-K``)."""
    if number < 1:
        raise FieldError("number", "subject numbers start at 1")
    return with_check(f"{site_code[:3].upper()}-{number:04d}")


def lot_code(subject_id: str, lot_number: int) -> str:
    """Lot ID carrying its donor's subject ID: ``LOT-<subject ID>-<nn>-<check>``."""
    validate_identifier(subject_id, "subject_id")
    return with_check(f"LOT-{subject_id.upper()}-{lot_number:02d}")


def donor_of_lot(lot_id: str) -> str:
    """The donor subject ID written inside a lot ID (the lot's own check is verified first)."""
    text = validate_identifier(lot_id, "lot_id")
    match = re.fullmatch(r"LOT-(.+)-\d{2}-[0-9A-Z]", text)
    if not match:
        raise FieldError("lot_id", f"{lot_id!r} is not a lot identifier")
    return match.group(1)
