"""Pseudonymous identifiers with a check character (Damm algorithm over 0-9A-Z).

A subject ID such as ``SEO-0007-C`` and a lot ID such as ``LOT-SEO-0007-C-01-U`` end in a check
character over the 36 characters 0-9 and A-Z. The check is the Damm algorithm (H. M. Damm,
"Total anti-symmetrische Quasigruppen", 2004) on a totally anti-symmetric quasigroup of order 36,
so it detects every single-character substitution and every transposition of two adjacent
characters (the check character included): a mistyped or misread identifier is refused at the
bedside instead of matching another subject or lot. Separators (``-``) are ignored by the check.

Why not Luhn mod 36 (used until this version): Luhn mod N misses the transposition of the first
and last characters of its alphabet (``0Z`` <-> ``Z0``), just as Luhn mod 10 misses ``09``/``90``.

The quasigroup is the direct product of two totally anti-symmetric quasigroups, GF(4) with
``x*y = w*x + y`` (``w`` a generator) and Z/9 with ``x*y = 2x + y``; a direct product of totally
anti-symmetric quasigroups is one too. Character value ``v`` is the pair ``(v // 9, v % 9)``.
``tests/domain/test_identifiers.py`` checks the property exhaustively over every state.
"""

from __future__ import annotations

import re

from alstrial.domain.errors import FieldError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_N = len(ALPHABET)
_CANONICAL = re.compile(r"[0-9A-Z]+(?:-[0-9A-Z]+)*")
# Multiplication by the generator w of GF(4) = {0, 1, w, w+1}, elements coded as 2-bit integers
# (bit 1 = coefficient of w); addition in GF(4) is XOR.
_GF4_TIMES_W = (0, 2, 3, 1)


def _operation(x: int, y: int) -> int:
    """The quasigroup operation on character values 0-35."""
    high = _GF4_TIMES_W[x // 9] ^ (y // 9)
    low = (2 * (x % 9) + y % 9) % 9
    return 9 * high + low


#: ``TABLE[x][y]``: the Damm operation table of order 36.
TABLE: tuple[tuple[int, ...], ...] = tuple(
    tuple(_operation(x, y) for y in range(_N)) for x in range(_N)
)


def _payload(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def _interim(chars: str) -> int:
    state = 0
    for char in chars:
        state = TABLE[state][_VALUE[char]]
    return state


def check_character(body: str) -> str:
    """The check character for ``body`` (letters, digits; separators ignored): the character
    that brings the Damm state back to 0."""
    chars = _payload(body)
    if not chars:
        raise FieldError("identifier", "an identifier needs at least one letter or digit")
    row = TABLE[_interim(chars)]
    return ALPHABET[row.index(0)]


def with_check(body: str) -> str:
    """``body`` followed by ``-`` and its check character."""
    return f"{body.upper()}-{check_character(body)}"


def is_valid(identifier: str) -> bool:
    """True when the last character is the right check character for the rest."""
    if not isinstance(identifier, str):
        return False
    chars = _payload(identifier)
    if len(chars) < 2:
        return False
    return _interim(chars) == 0


def validate_identifier(identifier: str, field: str = "identifier") -> str:
    """Return the normalised identifier (upper case, no surrounding spaces), or raise a
    FieldError naming ``field``. Only the canonical form is accepted (letters A-Z, digits and
    single hyphens), so one identifier is never stored under two spellings."""
    text = identifier.strip().upper() if isinstance(identifier, str) else ""
    if not _CANONICAL.fullmatch(text):
        raise FieldError(
            field, f"{identifier!r} is not an identifier: use letters, digits and single hyphens"
        )
    if not is_valid(text):
        raise FieldError(field, f"{identifier!r} is not a valid identifier (check character wrong)")
    return text


def subject_code(site_code: str, number: int) -> str:
    """Pseudonymous subject ID: site prefix (3 letters), 4-digit sequence 1-9999 and check
    character (``SEO-0007-C``). A longer site code is refused, not cut: two sites must never
    share a prefix."""
    if not re.fullmatch(r"[A-Za-z]{3}", site_code or ""):
        raise FieldError("site_code", f"a site code is 3 letters, got {site_code!r}")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 9999:
        raise FieldError("number", f"subject numbers run from 1 to 9999, got {number!r}")
    return with_check(f"{site_code.upper()}-{number:04d}")


def lot_code(subject_id: str, lot_number: int) -> str:
    """Lot ID carrying its donor's subject ID: ``LOT-<subject ID>-<nn>-<check>``, nn 01-99."""
    validate_identifier(subject_id, "subject_id")
    if isinstance(lot_number, bool) or not isinstance(lot_number, int) or not 1 <= lot_number <= 99:
        raise FieldError("lot_number", f"lot numbers run from 1 to 99, got {lot_number!r}")
    return with_check(f"LOT-{subject_id.strip().upper()}-{lot_number:02d}")


def donor_of_lot(lot_id: str) -> str:
    """The donor subject ID written inside a lot ID. The lot's own check character and the
    donor ID's check character are both verified: a hand-made lot ID cannot name a donor that
    :func:`subject_code` never issued."""
    text = validate_identifier(lot_id, "lot_id")
    match = re.fullmatch(r"LOT-(.+)-\d{2}-[0-9A-Z]", text)
    if not match or not is_valid(match.group(1)):
        raise FieldError("lot_id", f"{lot_id!r} is not a lot identifier")
    return match.group(1)
