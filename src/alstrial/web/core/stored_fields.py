"""The one check of stored values that every write path shares: web forms, the API and the
importers all save through ``save_clinical`` or an append-only ledger, which call
:func:`check_stored_fields` before anything is written.

A value the database would refuse or store wrongly is refused here with a FieldError naming
the field, on SQLite exactly as on PostgreSQL: a choice outside the field's choices, text
longer than the column (PostgreSQL raises, SQLite silently stores it), free text over
:data:`alstrial.domain.text_limits.MAX_FREE_TEXT_CHARS`, an integer outside PostgreSQL's column
range, a number that is not finite. See docs/api.md "Limits".
"""

from __future__ import annotations

import math

from django.db import models

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.text_limits import MAX_FREE_TEXT_CHARS, choice_error, length_error

#: PostgreSQL's range of each integer column type (SQLite stores any 64-bit integer).
INTEGER_RANGES = {
    "SmallIntegerField": (-32768, 32767),
    "PositiveSmallIntegerField": (0, 32767),
    "IntegerField": (-2147483648, 2147483647),
    "PositiveIntegerField": (0, 2147483647),
    "BigIntegerField": (-(2**63), 2**63 - 1),
    "PositiveBigIntegerField": (0, 2**63 - 1),
}


def _field_error(field: models.Field, value) -> FieldError | None:
    name = field.name
    if value is None:
        return None
    if field.choices and not isinstance(value, list | dict):
        error = choice_error(name, value, [key for key, _ in field.flatchoices])
        if error is not None:
            return error
    if isinstance(field, models.CharField) and field.max_length:
        return length_error(name, str(value), field.max_length)
    if isinstance(field, models.TextField):
        return length_error(name, str(value), field.max_length or MAX_FREE_TEXT_CHARS)
    not_finite = isinstance(value, float) and not math.isfinite(value)
    if isinstance(field, models.FloatField) and not_finite:
        return FieldError(name, "must be a finite number")
    bounds = INTEGER_RANGES.get(field.get_internal_type())
    if bounds is not None and isinstance(value, int) and not bounds[0] <= value <= bounds[1]:
        return FieldError(name, f"must lie between {bounds[0]:,} and {bounds[1]:,}")
    return None


def stored_field_errors(obj: models.Model) -> list[FieldError]:
    """Every value of ``obj`` (its own columns, not its relations) that may not be stored."""
    errors = []
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.is_relation:
            continue
        error = _field_error(field, getattr(obj, field.attname))
        if error is not None:
            errors.append(error)
    return errors


def check_stored_fields(obj: models.Model) -> None:
    """Raise ValidationError naming every value of ``obj`` that may not be stored."""
    errors = stored_field_errors(obj)
    if errors:
        raise ValidationError(errors)
