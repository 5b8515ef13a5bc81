"""Forms of the per-visit assessments; every value is validated by the models' domain checks."""

from __future__ import annotations

from django import forms

from alstrial.domain.alsfrs_items import CUTTING_KEYS, ITEMS
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


def _alsfrs_field(item) -> forms.TypedChoiceField:
    choices = [(score, f"{score} - {item.anchors[score]}") for score in range(4, -1, -1)]
    if item.key in CUTTING_KEYS:
        choices.append((NOT_SCORED, "not scored at this visit"))
    return forms.TypedChoiceField(
        label=f"{item.number}. {item.name}",
        choices=choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class AlsfrsForm(AuditedFormMixin, VisitDateMixin, forms.ModelForm):
    """The twelve ALSFRS-R items with their anchor descriptions (Cedarbaum 1999).

    Items are not required here: ``alstrial.domain.alsfrs`` decides what is missing or invalid,
    so the same rule applies on the web, in the API and in imports.
    """

    class Meta:
        model = AlsfrsAssessment
        fields = AlsfrsAssessment.ITEM_KEYS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in ITEMS:
            self.fields[item.key] = _alsfrs_field(item)
        if not self.is_bound and self.instance.pk is None:
            self.initial.setdefault("cutting_with_gastrostomy", NOT_SCORED)

    def item_fields(self):
        return [self[item.key] for item in ITEMS]


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


class EndpointForm(AuditedFormMixin, forms.ModelForm):
    class Meta:
        model = EndpointEvent
        fields = ("kind", "event_date", "notes")
        widgets = {  # noqa: RUF012 - Django reads this class attribute
            "event_date": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
