"""Checks every write of trial data passes before anything is stored: the database lock
(docs/datamanagement.md, "Locks").

``save_clinical``, ``delete_clinical`` and the append-only ledger's save call
:func:`check_writable`; apps register their guards here (the data-management app registers the
trial lock at start-up), so the one place every write passes needs no import of the apps above
it. A guard raises :class:`WritesLocked`, which the web forms show like any domain error and
the API answers with 423 Locked.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from alstrial.domain.errors import FieldError, ValidationError

Guard = Callable[[models.Model], None]
_GUARDS: list[Guard] = []
#: Foreign keys followed from a record to the subject (or trial) it belongs to.
_OWNER_PATHS = ("subject", "lot", "batch", "harvest", "visit")


class WritesLocked(ValidationError):
    """The record's trial (or subject) is locked: nothing is written. ``field`` names what is
    locked (``trial`` or ``subject``)."""

    def __init__(self, field: str, message: str):
        super().__init__([FieldError(field, message)])
        self.message = message


def register_write_guard(guard: Guard) -> None:
    """Add ``guard`` (idempotent: a guard registered twice runs once)."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def check_writable(obj: models.Model) -> None:
    """Run every registered guard on ``obj`` (raises :class:`WritesLocked`)."""
    for guard in _GUARDS:
        guard(obj)


def trial_id_of(obj: models.Model, depth: int = 0) -> int | None:
    """The trial a record belongs to: its own ``trial``, or its subject's through the lot, batch,
    harvest or visit it hangs on; None for data of no trial (site settings)."""
    trial_id = getattr(obj, "trial_id", None)
    if trial_id is not None:
        return trial_id
    if depth > len(_OWNER_PATHS):
        return None
    for name in _OWNER_PATHS:
        if f"{name}_id" in obj.__dict__ and obj.__dict__[f"{name}_id"] is not None:
            return trial_id_of(getattr(obj, name), depth + 1)
    return None


def subject_id_of(obj: models.Model) -> int | None:
    """The subject a record belongs to (the subject itself for a Subject), or None."""
    if type(obj).__name__ == "Subject":
        return obj.pk
    subject_id = getattr(obj, "subject_id", None)
    if subject_id is not None:
        return subject_id
    for name in _OWNER_PATHS[1:]:
        if obj.__dict__.get(f"{name}_id") is not None:
            return subject_id_of(getattr(obj, name))
    return None
