"""Reading the audit trail: every history row of a subject's clinical records, with the
changed fields (old and new values), user, UTC time and reason.

The trail is built from django-simple-history's tables: each save or delete stores the whole
row; the change of a row is its difference from the previous history row of the same record.
Records found: the Subject itself and every concrete :class:`ClinicalRecord` with a direct
``subject`` foreign key (visits, assessments, endpoints and the other apps' records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps

from alstrial.web.core.records import ClinicalRecord
from alstrial.web.subjects.models import Subject, Visit

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
#: Bookkeeping fields left out of the field-by-field changes (they change on every save).
SKIPPED_FIELDS = {"version", "updated_at", "updated_by", "created_at", "created_by"}


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class AuditEntry:
    """One history row: who did what to which record, when (UTC), why, and what changed."""

    when: datetime
    user: str
    action: str
    model: str
    record_id: int
    label: str
    version: int
    reason: str
    changes: tuple[Change, ...]


def subject_models() -> list[type]:
    """Concrete clinical models that belong to a subject, the Subject model first."""
    found = [Subject]
    for model in apps.get_models():
        if (
            issubclass(model, ClinicalRecord)
            and model is not Subject
            and any(f.name == "subject" for f in model._meta.concrete_fields)
        ):
            found.append(model)
    return found


def _fields(model) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in SKIPPED_FIELDS and f.name != "id"
    ]


def _entries(model, history_rows, visit_codes: dict[int, str]) -> list[AuditEntry]:
    fields = _fields(model)
    entries = []
    previous: dict[int, object] = {}
    for row in history_rows:
        before = previous.get(row.id)
        changes = []
        for name in fields:
            new = getattr(row, name, None)
            old = getattr(before, name, None) if before is not None else None
            if row.history_type == "-":
                continue
            if before is None or old != new:
                if before is None and new in (None, "", [], {}):
                    continue
                changes.append(Change(name, old, new))
        entries.append(
            AuditEntry(
                when=row.history_date,
                user=str(row.history_user) if row.history_user_id else "(system)",
                action=ACTIONS.get(row.history_type, row.history_type),
                model=str(model._meta.verbose_name),
                record_id=row.id,
                label=_label(model, row, visit_codes),
                version=getattr(row, "version", 0),
                reason=row.history_change_reason or "",
                changes=tuple(changes),
            )
        )
        previous[row.id] = row
    return entries


def _label(model, row, visit_codes: dict[int, str]) -> str:
    """The record as a person names it: its code, or the visit it belongs to."""
    code = getattr(row, "code", None)
    if code:
        return str(code)
    visit_id = getattr(row, "visit_id", None)
    if visit_id in visit_codes:
        return f"{visit_codes[visit_id]} #{row.id}"
    kind = getattr(row, "kind", None)
    if kind:
        return f"{kind} #{row.id}"
    return f"{model._meta.verbose_name} #{row.id}"


def subject_trail(subject) -> list[AuditEntry]:
    """Every audit entry of ``subject``, oldest first."""
    # From the history, so that a deleted visit still names the records that hung on it.
    visit_codes = dict(Visit.history.filter(subject_id=subject.pk).values_list("id", "code"))
    entries: list[AuditEntry] = []
    for model in subject_models():
        lookup = {"id": subject.pk} if model is type(subject) else {"subject_id": subject.pk}
        rows = (
            model.history.filter(**lookup)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        entries.extend(_entries(model, rows, visit_codes))
    entries.sort(key=lambda e: (e.when, e.model, e.record_id))
    return entries


def replay(model, record_id: int) -> dict | None:
    """The record's field values rebuilt from its trail alone (None when it was deleted).

    Starting from nothing, apply each entry's changes in order: the result must equal the
    current row (tests check this for every record they touch).
    """
    rows = model.history.filter(id=record_id).order_by("history_date", "history_id")
    state: dict | None = None
    for entry in _entries(model, rows, {}):
        if entry.action == "deleted":
            state = None
            continue
        state = dict(state or {})
        for change in entry.changes:
            state[change.field] = change.new
    return state


CSV_COLUMNS = (
    "timestamp_utc",
    "user",
    "action",
    "record_type",
    "record_id",
    "record",
    "version",
    "field",
    "old_value",
    "new_value",
    "reason",
)


def csv_rows(entries, subject_code: str = ""):
    """One CSV row per changed field (and one for a change without field changes)."""
    for e in entries:
        base = [
            e.when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            e.user,
            e.action,
            e.model,
            e.record_id,
            (subject_code and f"{subject_code} {e.label}") or e.label,
            e.version,
        ]
        if not e.changes:
            yield [*base, "", "", "", e.reason]
        for c in e.changes:
            yield [*base, c.field, _text(c.old), _text(c.new), e.reason]


def _text(value) -> str:
    return "" if value is None else str(value)
