"""Which stored record a query's ``form`` names: the form keys of the protocol's case report
forms (``alsfrs_r``, ``fvc``, ...) plus the subject, visit, dose and adverse-event records the
edit checks point at (docs/datamanagement.md, "Queries")."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from alstrial.domain.errors import FieldError, ValidationError


def form_models() -> dict[str, type[models.Model]]:
    """``{form key: model}``; visit forms are found by their ``FORM_KEY``."""
    found: dict[str, type[models.Model]] = {
        "subject": apps.get_model("subjects", "Subject"),
        "visit": apps.get_model("subjects", "Visit"),
        "administration": apps.get_model("product", "Administration"),
        "adverse_event": apps.get_model("safety", "AdverseEvent"),
    }
    for model in apps.get_app_config("assessments").get_models():
        key = getattr(model, "FORM_KEY", "")
        if key:
            found[key] = model
    return found


def record_of(subject, form: str, record_id: int, field: str | None) -> models.Model:
    """The record a query points at; ValidationError naming ``form``, ``record_id`` or ``field``
    when it is not a form, not this subject's record or (``field`` given) not one of its
    fields."""
    registry = form_models()
    model = registry.get(form)
    if model is None:
        raise ValidationError(
            [FieldError("form", f"unknown form {form!r}; expected one of {', '.join(registry)}")]
        )
    names = {f.name for f in model._meta.concrete_fields if f.editable}
    if field is not None and field not in names and not (form == "alsfrs_r" and field == "total"):
        raise ValidationError([FieldError("field", f"{form} has no field {field!r}")])
    record = model._base_manager.filter(pk=record_id).first()
    owner_id = getattr(record, "pk" if form == "subject" else "subject_id", None)
    if record is None or owner_id != subject.pk:
        raise ValidationError(
            [FieldError("record_id", f"{subject.code} has no {form} record {record_id}")]
        )
    return record
