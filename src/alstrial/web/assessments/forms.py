"""Forms of the per-visit assessments; every value is validated by the models' domain checks."""

from __future__ import annotations

from django import forms

from alstrial.domain.alsfrs_items import CUTTING_KEYS, ITEM_KEYS, ITEMS
from alstrial.web.assessments.models import (
    VISIT_ASSESSMENTS,
    AlsfrsAssessment,
    EndpointEvent,
)
from alstrial.web.core.forms import AuditedFormMixin

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NOT_SCORED = ""


class VisitDateMixin(forms.Form):
    visit_date = forms.DateField(widget=DATE_WIDGET, help_text="The date the visit took place.")


def _alsfrs_field(item) -> forms.CharField:
    """Radio buttons with the item's anchors; the value is passed on as typed (see below)."""
    choices = [(score, f"{score} - {item.anchors[score]}") for score in range(4, -1, -1)]
    if item.key in CUTTING_KEYS:
        choices.append((NOT_SCORED, "not scored at this visit"))
    return forms.CharField(
        label=f"{item.number}. {item.name}",
        required=False,
        widget=forms.RadioSelect(choices=choices),
    )


class AlsfrsForm(AuditedFormMixin, VisitDateMixin, forms.Form):
    """The twelve ALSFRS-R items with their anchor descriptions (Cedarbaum 1999).

    The form checks nothing about the items: the view hands :meth:`item_scores` to the
    assessments service (``record_alsfrs``), whose record validates them with
    ``alstrial.domain.alsfrs`` (range, 5a/5b, required), so exactly the same rule and messages
    apply on the web, in the API and in imports.
    """

    def __init__(self, data=None, *, instance: AlsfrsAssessment, initial=None):
        self.instance = instance
        initial = dict(initial or {})
        if instance.pk is None:
            initial.setdefault("cutting_with_gastrostomy", NOT_SCORED)
        else:
            initial.update(instance.items())
        super().__init__(data, initial=initial)
        for item in ITEMS:
            self.fields[item.key] = _alsfrs_field(item)

    def item_scores(self) -> dict:
        """Item key -> the score as submitted (or as stored, before a submission); blank
        text for an unscored item. Read by the service and the score panel alike."""
        return {key: self[key].value() for key in ITEM_KEYS}

    def item_choices(self) -> list[dict]:
        """Each item's bound field with its radio options ``{id, value, label, checked}``, for
        the page to write the inputs itself: rendering 60-odd radio widgets through Django's
        widget templates was most of the form page's time under load (bench/bench_load.py).
        The inputs carry what ``RadioSelect`` would write: name, value, ``id_<name>_<n>``,
        checked and disabled, with the same "which value is checked" rule."""
        rows = []
        for item in ITEMS:
            field = self[item.key]
            current = field.value()
            checked = "" if current is None else str(current)
            options = [
                {
                    "id": f"{field.auto_id}_{index}",
                    "value": str(value),
                    "label": label,
                    "checked": str(value) == checked,
                }
                for index, (value, label) in enumerate(field.field.widget.choices)
            ]
            rows.append({"field": field, "options": options, "disabled": field.field.disabled})
        return rows


def visit_form_class(form_key: str) -> type[forms.ModelForm]:
    """The form class of visit form ``form_key``."""
    if form_key == AlsfrsAssessment.FORM_KEY:
        return AlsfrsForm
    model = VISIT_ASSESSMENTS[form_key]
    return forms.modelform_factory(
        model,
        form=type(f"{model.__name__}Form", (AuditedFormMixin, VisitDateMixin, forms.ModelForm), {}),
        exclude=("subject", "visit"),
    )


class DeleteForm(AuditedFormMixin):
    """Deleting a saved form: the reason is required (``delete_clinical`` checks it too)."""


class EndpointForm(AuditedFormMixin, forms.ModelForm):
    class Meta:
        model = EndpointEvent
        fields = ("kind", "event_date", "notes")
        widgets = {  # noqa: RUF012 - Django reads this class attribute
            "event_date": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
