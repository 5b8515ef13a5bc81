"""The audit trail of a trial's exported forms, as rows for the ODM AuditRecords.

From django-simple-history (each save stores the whole row with ``history_user``,
``history_date`` in UTC and ``history_change_reason``): one row per item that a version
inserted or changed, and one row (empty item) per deleted record. Replaying the rows in order
rebuilds each record's current values (the ODM tests check this against the database).
"""

from __future__ import annotations

from datetime import date, datetime

from alstrial.web.exchange.forms import FORM_MODELS, exported_fields
from alstrial.web.subjects.models import Subject, Visit


def odm_value(value) -> str | None:
    """An item value as ODM text (ISO 8601 dates; booleans 1/0); None for empty."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def audit_rows(subject_ids: list[int], codes: dict[int, str]) -> list[dict]:
    """Rows of ``TrialData.audit`` for the subjects ``subject_ids`` (pk -> code in ``codes``)."""
    sites = dict(Subject.objects.filter(pk__in=subject_ids).values_list("pk", "site__code"))
    visit_codes = dict(
        Visit.history.filter(subject_id__in=subject_ids).values_list("id", "code").distinct()
    )
    rows: list[dict] = []
    for form, model in FORM_MODELS.items():
        names = [f.attname for f in exported_fields(model)]
        history = (
            model.history.filter(subject_id__in=subject_ids)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        previous: dict[int, dict] = {}
        for version in history:
            values = {name: odm_value(getattr(version, name, None)) for name in names}
            before = previous.get(version.id)
            common = {
                "subject_id": codes[version.subject_id],
                "form": form,
                "record_id": version.id,
                "user": version.history_user.username if version.history_user else "system",
                "changed_at": version.history_date,
                "reason": version.history_change_reason or "",
                "change_type": version.history_type,
                "visit_code": version.code
                if model is Visit
                else visit_codes.get(getattr(version, "visit_id", None)),
                "site": sites.get(version.subject_id, ""),
            }
            if version.history_type == "-":
                rows.append({**common, "item": "", "value": None})
            else:
                for name in names:
                    old = None if before is None else before[name]
                    if values[name] != old and not (before is None and values[name] is None):
                        rows.append({**common, "item": name, "value": values[name]})
            previous[version.id] = values
    return rows
