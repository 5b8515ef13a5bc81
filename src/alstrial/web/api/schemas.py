"""Schemas shared by every resource: the error body and the audited-change fields."""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field


def _json_number(value):
    """A clinical number arrives as a JSON number: ``true`` is not 1 and ``"4"`` is not 4."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number")
    return value


#: An integer input (``true`` or ``"4"`` refused, not coerced).
Integer = Annotated[int, BeforeValidator(_json_number)]
#: A decimal input (``true`` or ``"0.5"`` refused, not coerced).
Number = Annotated[float, BeforeValidator(_json_number)]


def choice_of(allowed) -> type:
    """A text input that must be one of ``allowed`` (a model field's choices), refused before
    any check runs, as the web form's choice field refuses it."""
    values = tuple(str(a) for a in allowed)

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}")
        return value

    return Annotated[str, AfterValidator(check)]


def max_length_of(model, field: str) -> int:
    """The column's length: the API's limit is the model's, as the web form's is."""
    return model._meta.get_field(field).max_length


class ErrorOut(Schema):
    """Every error answer: ``detail`` in words, ``errors`` as ``{field: [message, ...]}``."""

    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


class StrictIn(Schema):
    """An input body: an unknown key is an error (a misspelt item is never silently dropped)."""

    model_config = ConfigDict(extra="forbid")


class ChangeIn(StrictIn):
    """Fields of every update: why, and the ``version`` the client read (409 when stale)."""

    reason: str = Field(
        "",
        description="Why the saved data changes (audit trail); required for every change to "
        "saved data (422 on field 'reason' when missing).",
    )
    version: Integer = Field(ge=1, description="The record's version as the client read it.")


class RefusedOut(ErrorOut):
    """A refused administration: every failed check, and the audited attempt."""

    refused_attempt_id: int
