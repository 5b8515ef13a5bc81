"""Validation errors that name the field (or file, row and column) at fault, and the misuse error.

Every layer raises these, so the web form can show each message next to its field, the API can
return them as a JSON body and the importers can list them per row.
"""

from __future__ import annotations

from collections.abc import Iterable


class FieldError(ValueError):
    """One bad value: ``field`` names it, ``message`` says what is wrong in a user's words."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ValidationError(ValueError):
    """One or more :class:`FieldError`; raised so that nothing is saved."""

    def __init__(self, errors: Iterable[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    def by_field(self) -> dict[str, list[str]]:
        """``{field: [message, ...]}``, the shape forms and the API report."""
        out: dict[str, list[str]] = {}
        for error in self.errors:
            out.setdefault(error.field, []).append(error.message)
        return out


class MisuseError(RuntimeError):
    """Code used something in a way its rules never allow: a defect to fix, not bad input.

    Raised, for example, when a clinical record is saved or deleted outside its audited service,
    a bulk write would skip the audit trail, an append-only row (custody ledger, report
    submission) is changed or deleted, or a function that commits its own transaction is called
    inside another one. No user can cause it through a form or the API, so it names no field
    and is never shown as a 4xx answer (docs/DEVELOPING.md "Errors").
    """
