"""FieldError / ValidationError: every message names its field."""

from __future__ import annotations

from alstrial.domain.errors import FieldError, ValidationError


def test_field_error():
    error = FieldError("walking", "item 8 (walking) must be between 0 and 4, got 5")
    assert error.field == "walking"
    assert str(error) == "walking: item 8 (walking) must be between 0 and 4, got 5"
    assert isinstance(error, ValueError)


def test_validation_error_groups_messages_by_field():
    error = ValidationError(
        [FieldError("a", "one"), FieldError("b", "two"), FieldError("a", "three")]
    )
    assert error.by_field() == {"a": ["one", "three"], "b": ["two"]}
    assert str(error) == "a: one; b: two; a: three"
    assert len(error.errors) == 3
