"""Form metadata from the Django models and the protocol: the specs the data dictionary and
the ODM study metadata are written from (``alstrial.exchange.forms``).

Introspection, not a second copy: labels are the models' verbose names, descriptions their
help texts, allowed values their choices (ALSFRS-R items: 0-4 with Cedarbaum's anchors from
``alstrial.domain.alsfrs_items``), ranges the ``a-b`` in the help text. Bookkeeping fields
(version, created/updated), links (subject, visit, lot, users), identifying or free-text
fields (notes, narratives, scanned IDs) are left out: they are not exported.
"""

from __future__ import annotations

import re

from django.db import models

from alstrial.domain.alsfrs_items import ITEM_BY_KEY
from alstrial.domain.protocol_model import FORM_LABELS
from alstrial.exchange.forms import FormSpec, ItemSpec
from alstrial.web.assessments.models import VISIT_ASSESSMENTS
from alstrial.web.product.models import Administration
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.subjects.models import Visit

#: Form key -> model, for the forms exported: the visit itself (status and date), the visit
#: forms, the administration and adverse events.
FORM_MODELS: dict[str, type[models.Model]] = {
    "visit": Visit,
    **VISIT_ASSESSMENTS,
    "administration": Administration,
    "adverse_events": AdverseEvent,
}
SKIPPED = {
    "id",
    "subject",
    "visit",
    "lot",
    "operator",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "scanned_subject_id",
    "scanned_lot_id",
}
UNITS = {
    "_kg": "kg",
    "_ml": "ml",
    "_mmhg": "mmHg",
    "_bpm": "beats/min",
    "_c": "degrees C",
    "_percent_predicted": "% of predicted",
    "_pct": "%",
    "_litres": "l",
    "respiratory_rate": "breaths/min",
    "_per_min": "microlitres/min",
    "cells_given": "cells",
}
RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)")


#: Models of which only these fields are exported (the rest is the protocol's schedule).
ONLY_FIELDS = {Visit: ("status", "visit_date")}


def exported_fields(model) -> list[models.Field]:
    if model in ONLY_FIELDS:
        return [model._meta.get_field(name) for name in ONLY_FIELDS[model]]
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in SKIPPED and not isinstance(f, models.TextField | models.ForeignKey)
    ]


def _type(field: models.Field) -> str:
    if isinstance(field, models.BooleanField):
        return "boolean"
    if isinstance(field, models.IntegerField):
        return "integer"
    if isinstance(field, models.FloatField):
        return "float"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    return "text"


def _units(name: str) -> str:
    for suffix, unit in UNITS.items():
        if name.endswith(suffix):
            return unit
    return ""


def item_spec(field: models.Field) -> ItemSpec:
    name = field.attname
    help_text = str(field.help_text or "")
    item = ITEM_BY_KEY.get(name)
    if item is not None:
        allowed = {str(score): anchor for score, anchor in enumerate(item.anchors)}
        label = f"ALSFRS-R {item.number}. {item.name}"
        return ItemSpec(name, label, "integer", allowed, "points", "0-4", required=False)
    allowed = {str(value): str(text) for value, text in field.choices or ()}
    found = RANGE.search(help_text)
    label = str(field.verbose_name)
    label = label[0].upper() + label[1:]
    return ItemSpec(
        name,
        label,
        _type(field),
        allowed,
        "points" if name == "total" else _units(name),
        f"{found.group(1)}-{found.group(2)}" if found else "",
        required=not (field.null or field.blank),
        description=help_text,
    )


def form_specs(protocol=None) -> list[FormSpec]:
    """The exported forms (those the protocol's visits collect, plus adverse events)."""
    used = None
    if protocol is not None:
        used = {form for visit in protocol.visits() for form in visit.forms}
        used |= {"visit", "adverse_events"}
    specs = []
    for key, model in FORM_MODELS.items():
        if used is not None and key not in used:
            continue
        items = tuple(item_spec(f) for f in exported_fields(model))
        label = FORM_LABELS.get(key, str(model._meta.verbose_name).capitalize())
        specs.append(FormSpec(key, label, items, repeating=key == "adverse_events"))
    return specs
