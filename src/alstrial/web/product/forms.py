"""Forms of the product pages. They only parse input: every rule is checked by the services."""

from __future__ import annotations

from django import forms

from alstrial.domain.text_limits import MAX_FREE_TEXT_CHARS, MAX_REASON_CHARS, MAX_SCAN_CHARS
from alstrial.web.core.forms import AuditedFormMixin
from alstrial.web.product.models import Administration, QcResult, Route
from alstrial.web.safety.models import AdverseEvent

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HarvestForm(forms.Form):
    aspirated_at = forms.DateTimeField(
        label="Aspirated at (site time)", widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"]
    )
    anatomical_site = forms.CharField(
        required=False, help_text="Blank: the protocol's site (e.g. posterior iliac crest)."
    )
    volume_ml = forms.FloatField(label="Volume aspirated (ml)")
    anticoagulant = forms.CharField(initial="heparin")
    procedure_adverse_events = forms.CharField(
        label="Procedure adverse events", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    adverse_event = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Adverse event (safety app)",
        help_text="The subject's adverse event of this procedure, once it is recorded.",
    )

    def __init__(self, *args, subject, **kwargs):
        super().__init__(*args, **kwargs)
        events = AdverseEvent.objects.filter(subject=subject)
        self.fields["adverse_event"].queryset = events.order_by("onset_date")


class BatchForm(forms.Form):
    culture_started_on = forms.DateField(widget=DATE)
    deviations = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeviationForm(forms.Form):
    description = forms.CharField(
        label="Deviation", widget=forms.Textarea(attrs={"rows": 2}), help_text="What happened."
    )


class PassageForm(forms.Form):
    number = forms.IntegerField(min_value=1)
    seeded_on = forms.DateField(widget=DATE)
    harvested_on = forms.DateField(widget=DATE)
    cells_seeded = forms.FloatField(help_text="cells, e.g. 2e6")
    cells_harvested = forms.FloatField(help_text="cells")


class LotsForm(forms.Form):
    dose_numbers = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Make one lot for dose"
    )

    def __init__(self, *args, doses: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dose_numbers"].choices = [(n, f"dose {n}") for n in range(1, doses + 1)]


class QcForm(AuditedFormMixin):
    """Text inputs, so the domain parser reports bad values in the user's words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for name in QcResult.RESULT_FIELDS:
            model_field = QcResult._meta.get_field(name)
            label = str(model_field.verbose_name)
            if model_field.choices:  # sterility, mycoplasma, karyotype
                field = forms.ChoiceField(
                    required=False, choices=[("", "not entered"), *model_field.choices]
                )
            elif name.endswith("_ok"):
                field = forms.ChoiceField(
                    required=False,
                    choices=[("", "not entered"), ("yes", "conforms"), ("no", "does not conform")],
                )
            else:
                field = forms.CharField(required=False)
            field.label = _LABELS.get(name, label)
            fields[name] = field
        # results first, then reason and version
        self.fields = {**fields, **self.fields}


_LABELS = {
    "viability_pct": "Viability (%)",
    "viable_cells": "Viable cells in the lot",
    "endotoxin_eu_per_ml": "Endotoxin (EU/ml)",
    "sterility": "Sterility",
    "mycoplasma": "Mycoplasma",
    "karyotype": "Karyotype",
    "appearance_ok": "Appearance",
    "trilineage_ok": "Trilineage differentiation",
}


def qc_initial(qc: QcResult | None) -> dict:
    """Form initial values from stored results (booleans as yes/no)."""
    if qc is None:
        return {}
    out = {}
    for name, value in qc.as_mapping().items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        out[name] = "" if value is None else value
    out["version"] = qc.version
    return out


class ReleaseForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign (21 CFR 11.200).",
    )


class CustodyForm(forms.Form):
    event = forms.ChoiceField(
        choices=[("shipped", "Shipped"), ("received", "Received"), ("destroyed", "Destroyed")]
    )
    note = forms.CharField(
        required=False, help_text="Required to destroy a lot.", max_length=MAX_REASON_CHARS
    )


def _column(field: str) -> int:
    """An administration column's length: the form's limit is the model's, as the API's is."""
    return Administration._meta.get_field(field).max_length


class AdministrationForm(forms.Form):
    """Two identifiers, entered or scanned separately (never pre-filled)."""

    scanned_subject_id = forms.CharField(
        label="Scan the subject's wristband",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
        max_length=MAX_SCAN_CHARS,
    )
    scanned_lot_id = forms.CharField(
        label="Scan the lot label",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        max_length=MAX_SCAN_CHARS,
    )
    route = forms.ChoiceField(choices=Route.choices)
    administered_at = forms.DateTimeField(
        label="Administered at (site time)",
        widget=DATETIME,
        input_formats=["%Y-%m-%dT%H:%M"],
        required=False,
        help_text="Blank: now.",
    )
    volume_ml = forms.FloatField(
        label="Volume injected (ml)", required=False, help_text="Blank: the whole prepared dose."
    )
    spinal_level = forms.CharField(
        required=False, help_text="Intraspinal only, e.g. T8.", max_length=_column("spinal_level")
    )
    pump_rate_ul_per_min = forms.FloatField(
        label="Pump rate (µl/min)", required=False, help_text="Intraspinal only."
    )
    immediate_reactions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_FREE_TEXT_CHARS
    )
