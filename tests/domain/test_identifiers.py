"""Identifiers: every single-character substitution and adjacent transposition is detected."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alstrial.domain.errors import FieldError
from alstrial.domain.identifiers import (
    ALPHABET,
    TABLE,
    check_character,
    donor_of_lot,
    is_valid,
    lot_code,
    subject_code,
    validate_identifier,
    with_check,
)

N = 36
STATES = range(N)


def test_alphabet_is_digits_then_capitals():
    assert "0123456789" + "".join(chr(c) for c in range(ord("A"), ord("Z") + 1)) == ALPHABET


def test_table_is_a_quasigroup():
    """Every row and every column is a permutation: one wrong character always changes the
    state, and the states after it stay different."""
    for x in STATES:
        assert sorted(TABLE[x]) == list(STATES)
        assert sorted(TABLE[y][x] for y in STATES) == list(STATES)


def test_table_is_totally_anti_symmetric():
    """Exhaustive over every state c and pair x != y: (c*x)*y != (c*y)*x (Damm 2004).

    This covers every adjacent transposition at every position of every identifier, the check
    character included, because the check is computed from whatever state precedes it.
    """
    for c, x, y in itertools.product(STATES, STATES, STATES):
        if x != y:
            assert TABLE[TABLE[c][x]][y] != TABLE[TABLE[c][y]][x], (c, x, y)


def _damm_state(text: str) -> int:
    state = 0
    for char in text:
        state = TABLE[state][ALPHABET.index(char)]
    return state


def test_check_character_brings_the_state_to_zero():
    for body in ("SEO0007", "A", "Z", "0", "LOTNOV0002X01"):
        assert _damm_state(body + check_character(body)) == 0


def test_luhn_weakness_is_gone():
    """Luhn mod 36 (the previous scheme) missed 0Z <-> Z0: now detected."""
    for body in ("SEO0Z", "SEOZ0", "0Z", "Z0"):
        full = body + check_character(body)
        swapped = body[:-2] + body[-1] + body[-2] + full[-1]
        assert not is_valid(swapped)


bodies = st.text(alphabet=ALPHABET, min_size=1, max_size=16)


@given(bodies, st.data())
def test_every_single_substitution_is_detected(body, data):
    full = body + check_character(body)
    assert is_valid(full)
    position = data.draw(st.integers(0, len(full) - 1))
    other = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != full[position]))
    assert not is_valid(full[:position] + other + full[position + 1 :])


def test_every_single_substitution_exhaustive_on_a_subject_code():
    code = subject_code("SEO", 7)
    chars = code.replace("-", "")
    for position, original in enumerate(chars):
        for other in ALPHABET:
            if other != original:
                assert not is_valid(chars[:position] + other + chars[position + 1 :])


@given(bodies.filter(lambda b: len(b) >= 1), st.data())
def test_every_adjacent_transposition_is_detected(body, data):
    full = body + check_character(body)
    position = data.draw(st.integers(0, len(full) - 2))
    a, b = full[position], full[position + 1]
    swapped = full[:position] + b + a + full[position + 2 :]
    assert is_valid(swapped) == (a == b)


def test_every_adjacent_transposition_exhaustive_on_pairs():
    """All 36 x 35 ordered pairs, in a prefix, as the last two characters, and next to the
    check character."""
    for a, b in itertools.permutations(ALPHABET, 2):
        for body in (f"SEO{a}{b}00", f"SEO00{a}{b}"):
            full = body + check_character(body)
            i = body.index(f"{a}{b}")
            assert not is_valid(full[:i] + b + a + full[i + 2 :])
        full = f"SEO{a}" + check_character(f"SEO{a}")
        if full[-1] != full[-2]:
            assert not is_valid(full[:-2] + full[-1] + full[-2])


def test_subject_code_format():
    code = subject_code("seo", 7)
    assert code.startswith("SEO-0007-")
    assert len(code) == len("SEO-0007-X")
    assert is_valid(code)
    assert code[-1] == check_character("SEO0007")


@pytest.mark.parametrize(
    ("site", "number", "field"),
    [
        ("SEOUL", 1, "site_code"),
        ("SE", 1, "site_code"),
        ("S3O", 1, "site_code"),
        ("SEO", 0, "number"),
        ("SEO", 10000, "number"),
        ("SEO", True, "number"),
        ("SEO", 1.0, "number"),
    ],
)
def test_subject_code_refuses(site, number, field):
    with pytest.raises(FieldError) as info:
        subject_code(site, number)
    assert info.value.field == field


def test_lot_code_carries_its_donor():
    donor = subject_code("NOV", 12)
    lot = lot_code(donor, 3)
    assert lot.startswith(f"LOT-{donor}-03-")
    assert is_valid(lot)
    assert donor_of_lot(lot) == donor
    assert donor_of_lot(lot.lower()) == donor


@pytest.mark.parametrize("number", [0, 100, -1, True])
def test_lot_number_range(number):
    with pytest.raises(FieldError) as info:
        lot_code(subject_code("NOV", 1), number)
    assert info.value.field == "lot_number"


def test_lot_code_refuses_an_invalid_donor():
    donor = subject_code("NOV", 12)
    wrong = donor[:-1] + ("A" if donor[-1] != "A" else "B")
    with pytest.raises(FieldError) as info:
        lot_code(wrong, 1)
    assert info.value.field == "subject_id"


def test_donor_of_lot_refuses_a_lot_naming_an_invalid_donor():
    donor = subject_code("SEO", 7)
    bad_donor = donor[:-1] + ("Q" if donor[-1] != "Q" else "R")
    forged = with_check(f"LOT-{bad_donor}-01")  # its own check character is right
    assert is_valid(forged)
    assert not is_valid(bad_donor)
    with pytest.raises(FieldError, match="not a lot identifier"):
        donor_of_lot(forged)


def test_donor_of_lot_refuses_non_lots():
    with pytest.raises(FieldError) as info:
        donor_of_lot(subject_code("SEO", 1))
    assert info.value.field == "lot_id"


def test_validate_identifier_normalises_and_names_the_field():
    code = subject_code("SEO", 42)
    assert validate_identifier(f"  {code.lower()} ", "subject_id") == code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(FieldError) as info:
        validate_identifier(wrong, "subject_id")
    assert info.value.field == "subject_id"
    assert wrong in info.value.message


@pytest.mark.parametrize(
    "spelling", ["SEO 0007 {c}", "SEO--0007-{c}", "SEO\u20130007-{c}", "-SEO-0007-{c}"]
)
def test_only_the_canonical_spelling_is_accepted(spelling):
    code = subject_code("SEO", 7)
    text = spelling.format(c=code[-1])
    assert is_valid(text)  # the check character itself is right
    with pytest.raises(FieldError, match="letters, digits and single hyphens"):
        validate_identifier(text)


@pytest.mark.parametrize("value", ["", "-", "A", None, 12])
def test_too_short_or_not_text_is_invalid(value):
    assert not is_valid(value)
    with pytest.raises(FieldError):
        validate_identifier(value)  # type: ignore[arg-type]


def test_empty_body_has_no_check_character():
    with pytest.raises(FieldError):
        check_character("--")


@given(st.text(max_size=30))
def test_any_text_is_judged_without_crashing(text):
    assert is_valid(text) in (True, False)
    canonical = re.fullmatch(r"[0-9A-Z]+(-[0-9A-Z]+)*", text.strip().upper()) is not None
    if is_valid(text) and canonical:
        assert validate_identifier(text, "lot_id") == text.strip().upper()
    else:
        with pytest.raises(FieldError) as info:
            validate_identifier(text, "lot_id")
        assert info.value.field == "lot_id"
