"""ALSFRS-R scoring (docs/domain.md, 'ALSFRS-R' and 'Time, slopes and progression'), checked against
an oracle written from docs/domain.md, 'ALSFRS-R'.

The oracle below restates the item table of docs/domain.md, 'ALSFRS-R' by hand; it does not import
the item list from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from alstrial.domain.alsfrs import (
    AlsfrsOriginal,
    AlsfrsR,
    check_stored_total,
    delta_fs,
    validate_items,
    validate_total,
)
from alstrial.domain.errors import FieldError, ValidationError

# docs/domain.md, 'ALSFRS-R', by hand: (number, key, domain).
TABLE = [
    ("1", "speech", "bulbar"),
    ("2", "salivation", "bulbar"),
    ("3", "swallowing", "bulbar"),
    ("4", "handwriting", "fine_motor"),
    ("5a", "cutting_without_gastrostomy", "fine_motor"),
    ("5b", "cutting_with_gastrostomy", "fine_motor"),
    ("6", "dressing_hygiene", "fine_motor"),
    ("7", "turning_in_bed", "gross_motor"),
    ("8", "walking", "gross_motor"),
    ("9", "climbing_stairs", "gross_motor"),
    ("10", "dyspnea", "respiratory"),
    ("11", "orthopnea", "respiratory"),
    ("12", "respiratory_insufficiency", "respiratory"),
]
NUMBER = {key: number for number, key, _ in TABLE}
DOMAIN_OF = {key: domain for _, key, domain in TABLE}
CUT_A, CUT_B = "cutting_without_gastrostomy", "cutting_with_gastrostomy"
TWELVE = [key for _, key, _ in TABLE if key != CUT_B]  # questionnaire order, item 5 = 5a


def visit_items(scores: list[int], gastrostomy: bool = False) -> dict[str, int]:
    """Twelve scores in order 1..12 as an items dict; item 5 goes to 5b with a gastrostomy."""
    items = dict(zip(TWELVE, scores, strict=True))
    if gastrostomy:
        items[CUT_B] = items.pop(CUT_A)
    return items


def oracle(items: dict[str, int]) -> dict[str, int]:
    """Total and subscores straight from the docs/domain.md, 'ALSFRS-R' table."""
    out = {"bulbar": 0, "fine_motor": 0, "gross_motor": 0, "respiratory": 0}
    for key, value in items.items():
        out[DOMAIN_OF[key]] += value
    out["total"] = sum(items.values())
    return out


scores12 = st.lists(st.integers(0, 4), min_size=12, max_size=12)


@given(scores12, st.booleans())
def test_total_and_subscores_match_the_oracle(scores, gastrostomy):
    items = visit_items(scores, gastrostomy)
    visit = AlsfrsR.from_items(items)
    expected = oracle(items)
    assert visit.total == expected["total"]
    assert visit.subscores() == {k: v for k, v in expected.items() if k != "total"}
    assert visit.bulbar == expected["bulbar"]
    assert visit.fine_motor == expected["fine_motor"]
    assert visit.gross_motor == expected["gross_motor"]
    assert visit.respiratory == expected["respiratory"]
    assert 0 <= visit.total <= 48
    assert all(0 <= v <= 12 for v in visit.subscores().values())
    assert visit.gastrostomy is gastrostomy
    assert visit.cutting == scores[4]


@given(scores12, st.booleans())
def test_from_sequence_puts_item_5_in_5a_or_5b(scores, gastrostomy):
    visit = AlsfrsR.from_sequence(scores, gastrostomy=gastrostomy)
    assert dict(visit.items) == visit_items(scores, gastrostomy)
    assert (CUT_B in visit.items) is gastrostomy
    assert (CUT_A in visit.items) is not gastrostomy


def test_hand_worked_visit():
    # speech 3, salivation 4, swallowing 2 | handwriting 1, 5b 2, dressing 3 |
    # turning 2, walking 1, stairs 0 | dyspnea 4, orthopnea 3, resp. insufficiency 4
    visit = AlsfrsR.from_sequence([3, 4, 2, 1, 2, 3, 2, 1, 0, 4, 3, 4], gastrostomy=True)
    assert (visit.bulbar, visit.fine_motor, visit.gross_motor, visit.respiratory) == (9, 6, 3, 11)
    assert visit.total == 29
    assert visit["cutting_with_gastrostomy"] == 2


def test_a_validated_visit_cannot_be_changed():
    visit = AlsfrsR.from_sequence([4] * 12)
    with pytest.raises(TypeError):
        visit.items["speech"] = 0  # type: ignore[index]
    assert visit.total == 48
    original = AlsfrsOriginal.from_items(original_items([4] * 9, 4))
    with pytest.raises(TypeError):
        original.items["respiratory"] = 0  # type: ignore[index]


def test_to_dict():
    data = AlsfrsR.from_sequence([3, 4, 2, 1, 2, 3, 2, 1, 0, 4, 3, 4], gastrostomy=True).to_dict()
    assert data["total"] == 29
    assert (data["bulbar"], data["fine_motor"], data["gross_motor"], data["respiratory"]) == (
        9,
        6,
        3,
        11,
    )
    assert data["gastrostomy"] is True
    assert data["items"]["cutting_with_gastrostomy"] == 2
    assert "cutting_without_gastrostomy" not in data["items"]


def test_extremes():
    assert AlsfrsR.from_sequence([4] * 12).total == 48
    assert AlsfrsR.from_sequence([0] * 12, gastrostomy=True).total == 0


def _fields(error: ValidationError) -> set[str]:
    return set(error.by_field())


def test_both_5a_and_5b_is_an_error():
    items = visit_items([4] * 12)
    items[CUT_B] = 4
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    assert _fields(info.value) == {CUT_B}
    assert "not both" in info.value.by_field()[CUT_B][0]


def test_neither_5a_nor_5b_is_an_error():
    items = visit_items([4] * 12)
    del items[CUT_A]
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    assert _fields(info.value) == {CUT_A}
    assert "5a" in info.value.by_field()[CUT_A][0]


@pytest.mark.parametrize("blank", [None, "", "  ", float("nan"), np.nan])
def test_blank_5b_counts_as_not_scored(blank):
    items = visit_items([3] * 12)
    items[CUT_B] = blank
    visit = AlsfrsR.from_items(items)
    assert not visit.gastrostomy
    assert visit.total == 36


@pytest.mark.parametrize("key", TWELVE)
def test_missing_item_is_named(key):
    items = visit_items([4] * 12)
    del items[key]
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    assert key in info.value.by_field()
    if key != CUT_A:
        assert info.value.by_field()[key] == [f"item {NUMBER[key]} ({key}) is required"]


BAD_VALUES = [5, -1, 2.5, "2.5", "three", "5", True, False, float("inf"), [3], object(), "4a"]


@given(st.sampled_from(TWELVE), st.sampled_from(BAD_VALUES), scores12, st.booleans())
def test_bad_item_gives_an_error_naming_the_item(key, bad, scores, gastrostomy):
    items = visit_items(scores, gastrostomy)
    if key == CUT_A and gastrostomy:
        key = CUT_B
    items[key] = bad
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    messages = info.value.by_field()
    assert list(messages) == [key]
    assert f"item {NUMBER[key]} ({key})" in messages[key][0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3), (" 2 ", 2), (3.0, 3), (np.int64(1), 1), (np.float64(4.0), 4), (0, 0)],
)
def test_whole_numbers_in_other_types_are_accepted(value, expected):
    items = visit_items([4] * 12)
    items["speech"] = value
    visit = AlsfrsR.from_items(items)
    assert visit["speech"] == expected
    assert isinstance(visit["speech"], int)


def test_out_of_range_message_states_the_range():
    items = visit_items([4] * 12)
    items["walking"] = 5
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    assert info.value.by_field() == {"walking": ["item 8 (walking) must be between 0 and 4, got 5"]}


def test_every_bad_item_is_reported_at_once():
    items = visit_items([4] * 12)
    items["speech"] = 7
    items["dyspnea"] = "x"
    del items["orthopnea"]
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    assert _fields(info.value) == {"speech", "dyspnea", "orthopnea"}


def test_unknown_item_is_an_error_unless_blank():
    items = visit_items([4] * 12)
    items["speach"] = 4
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    assert _fields(info.value) == {"speach"}
    items["speach"] = None
    assert AlsfrsR.from_items(items).total == 48
    items["respiratory"] = float("nan")  # an empty original-scale column beside a revised row
    assert AlsfrsR.from_items(items).total == 48


def test_wrong_number_of_scores():
    with pytest.raises(ValidationError) as info:
        AlsfrsR.from_sequence([4] * 11)
    assert info.value.by_field() == {"items": ["expected 12 item scores, got 11"]}


# --- stored totals --------------------------------------------------------------------------


@given(scores12, st.booleans())
def test_stored_total_that_agrees_is_accepted(scores, gastrostomy):
    items = visit_items(scores, gastrostomy)
    total = sum(scores)
    for stored in (total, float(total), str(total), None, "", float("nan")):
        assert check_stored_total(items, stored).total == total


@given(scores12, st.integers(-5, 60))
def test_stored_total_that_disagrees_is_an_error(scores, stored):
    items = visit_items(scores)
    assume(stored != sum(scores))
    with pytest.raises(ValidationError) as info:
        check_stored_total(items, stored)
    (message,) = info.value.by_field()["alsfrs_r_total"]
    assert str(stored) in message
    assert str(sum(scores)) in message


@pytest.mark.parametrize("stored", ["forty", True, [48], 10**400])
def test_stored_total_that_is_not_a_number(stored):
    with pytest.raises(ValidationError) as info:
        check_stored_total(visit_items([4] * 12), stored)
    assert _fields(info.value) == {"alsfrs_r_total"}


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (48, 48), ("37", 37), (40.0, 40)])
def test_validate_total_accepts(value, expected):
    assert validate_total(value) == expected


@pytest.mark.parametrize(
    "value", [49, -1, 47.5, "x", None, "", True, float("nan"), float("inf"), [1], 10**400]
)
def test_validate_total_refuses(value):
    with pytest.raises(FieldError) as info:
        validate_total(value, field="alsfrs_r_total")
    assert info.value.field == "alsfrs_r_total"


def test_validate_total_original_scale_is_0_to_40():
    assert validate_total(40, field="alsfrs_total", maximum=40) == 40
    with pytest.raises(FieldError) as info:
        validate_total(41, field="alsfrs_total", maximum=40)
    assert info.value.field == "alsfrs_total"


# --- dFS (Kimura 2006) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "months", "expected"),
    [(36, 12.0, 1.0), (48, 5.0, 0.0), (0, 24.0, 2.0), (40, 16.0, 0.5), (45, 0.5, 6.0)],
)
def test_delta_fs_hand_worked(total, months, expected):
    assert delta_fs(total, months) == pytest.approx(expected)


@given(st.integers(0, 48), st.floats(0.1, 240))
def test_delta_fs_definition(total, months):
    value = delta_fs(total, months)
    assert value == pytest.approx((48 - total) / months)
    assert value >= 0


@pytest.mark.parametrize("months", [0, -3, float("nan"), float("inf"), None, True])
def test_delta_fs_needs_positive_months(months):
    with pytest.raises(FieldError) as info:
        delta_fs(40, months)
    assert info.value.field == "months_since_onset"


@pytest.mark.parametrize("total", [49, -1, float("nan"), None])
def test_delta_fs_needs_an_alsfrs_r_total(total):
    with pytest.raises(FieldError) as info:
        delta_fs(total, 12)
    assert info.value.field == "alsfrs_r_total"


# --- the original ALSFRS (10 items, 0-40), kept apart -----------------------------------------

ORIGINAL_NINE = TWELVE[:9]


def original_items(scores: list[int], respiratory: int) -> dict[str, int]:
    return {**dict(zip(ORIGINAL_NINE, scores, strict=True)), "respiratory": respiratory}


@given(st.lists(st.integers(0, 4), min_size=9, max_size=9), st.integers(0, 4))
def test_original_total_is_0_to_40(scores, respiratory):
    visit = AlsfrsOriginal.from_items(original_items(scores, respiratory))
    assert visit.total == sum(scores) + respiratory
    assert 0 <= visit.total <= 40


def test_original_all_normal_is_40_not_48():
    assert AlsfrsOriginal.from_items(original_items([4] * 9, 4)).total == 40


def test_original_refuses_revised_respiratory_items():
    items = original_items([4] * 9, 4)
    items["dyspnea"] = 4
    with pytest.raises(ValidationError) as info:
        AlsfrsOriginal.from_items(items)
    assert _fields(info.value) == {"dyspnea"}


def test_revised_refuses_the_original_respiratory_item():
    items = original_items([4] * 9, 4)
    with pytest.raises(ValidationError) as info:
        AlsfrsR.from_items(items)
    fields = _fields(info.value)
    assert "respiratory" in fields
    assert {"dyspnea", "orthopnea", "respiratory_insufficiency"} <= fields


def test_original_needs_its_respiratory_item_and_one_of_5a_5b():
    items = original_items([4] * 9, 4)
    del items["respiratory"]
    with pytest.raises(ValidationError) as info:
        AlsfrsOriginal.from_items(items)
    assert info.value.by_field()["respiratory"] == [
        "item 10 (respiratory, original ALSFRS) is required"
    ]
    both = original_items([4] * 9, 4)
    both[CUT_B] = 3
    with pytest.raises(ValidationError) as info:
        AlsfrsOriginal.from_items(both)
    assert CUT_A in info.value.by_field()
    neither = original_items([4] * 9, 4)
    del neither[CUT_A]
    with pytest.raises(ValidationError):
        AlsfrsOriginal.from_items(neither)


def test_original_bad_item_is_named():
    items = original_items([4] * 9, 4)
    items["respiratory"] = 9
    with pytest.raises(ValidationError) as info:
        AlsfrsOriginal.from_items(items)
    assert "item 10 (respiratory" in info.value.by_field()["respiratory"][0]


def test_nan_is_not_a_score():
    items = visit_items([4] * 12)
    items["speech"] = float("nan")
    with pytest.raises(ValidationError) as info:
        validate_items(items)
    assert info.value.by_field()["speech"] == ["item 1 (speech) is required"]


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
)


def _outcome(build, items):
    """(result, None) or (None, the ValidationError); any other exception propagates."""
    try:
        return build(items), None
    except ValidationError as error:
        return None, error


@given(st.dictionaries(st.sampled_from([*NUMBER, "respiratory", "extra", 7, None]), anything))
def test_any_input_gives_a_score_or_a_validation_error(items):
    """Whatever a form, an API call or a CSV row sends, the answer is a validated visit or a
    ValidationError naming fields: never another exception."""
    visit, error = _outcome(AlsfrsR.from_items, items)
    if error is None:
        assert 0 <= visit.total <= 48
    else:
        assert error.errors
        assert all(e.field for e in error.errors)
    original, error = _outcome(AlsfrsOriginal.from_items, items)
    if error is None:
        assert 0 <= original.total <= 40
    else:
        assert error.errors


@pytest.mark.parametrize("typed", ["²", "٣", "３", "1.0", "+1", ""])
def test_item_text_must_be_ascii_digits(typed):
    """Unicode digits pass str.isdigit() but are not scores a rater typed: refused by name."""
    scores = ["4"] * 12
    scores[3] = typed
    with pytest.raises(ValidationError) as caught:
        AlsfrsR.from_sequence(scores)
    assert list(caught.value.by_field()) == ["handwriting"]
