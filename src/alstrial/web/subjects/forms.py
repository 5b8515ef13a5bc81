"""Screening, enrolment and visit forms; values are checked by the domain and the services."""

from __future__ import annotations

from django import forms

from alstrial.domain.protocol import EL_ESCORIAL
from alstrial.domain.text_limits import MAX_FREE_TEXT_CHARS
from alstrial.web.core.forms import AuditedFormMixin, choose_one
from alstrial.web.subjects.models import OnsetSite, Sex, SubjectIdentity

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ScreeningForm(forms.Form):
    """Consent and the screening values judged against the protocol's entry criteria."""

    #: The values handed to ``screen_subject`` / ``correct_screening``.
    VALUE_FIELDS = (
        "sex",
        "age_years",
        "onset_site",
        "symptom_onset_date",
        "el_escorial",
        "alsfrs_r_total",
        "fvc_percent_predicted",
    )

    trial = forms.ChoiceField(help_text="The trial and site the subject is screened for.")
    consent_date = forms.DateField(
        widget=DATE_WIDGET, help_text="Date of written informed consent."
    )
    screening_date = forms.DateField(widget=DATE_WIDGET)
    sex = forms.ChoiceField(choices=choose_one(Sex.choices))
    age_years = forms.IntegerField(label="Age (years)")
    onset_site = forms.ChoiceField(choices=choose_one(OnsetSite.choices), label="Site of onset")
    symptom_onset_date = forms.DateField(widget=DATE_WIDGET, label="Date of symptom onset")
    el_escorial = forms.ChoiceField(
        choices=choose_one((c, c.replace("_", " ")) for c in EL_ESCORIAL),
        label="El Escorial category",
    )
    alsfrs_r_total = forms.IntegerField(label="ALSFRS-R total at screening (0-48)")
    fvc_percent_predicted = forms.FloatField(label="FVC (% of predicted)")

    def __init__(self, *args, trial_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trial"].choices = list(trial_choices)


class CorrectionForm(AuditedFormMixin, ScreeningForm):
    """The screening values of a saved subject, corrected with a reason."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["trial"]


class IdentityForm(AuditedFormMixin, forms.ModelForm):
    class Meta:
        model = SubjectIdentity
        fields = ("full_name", "date_of_birth", "hospital_number")
        widgets = {"date_of_birth": DATE_WIDGET}  # noqa: RUF012 - Django reads this attribute


class WithdrawForm(forms.Form):
    withdrawal_date = forms.DateField(widget=DATE_WIDGET)
    withdrawal_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=MAX_FREE_TEXT_CHARS
    )


class EnrolForm(forms.Form):
    enrolment_date = forms.DateField(widget=DATE_WIDGET)
    day_zero_date = forms.DateField(
        widget=DATE_WIDGET,
        required=False,
        label="Planned day 0",
        help_text="The protocol's day-0 event (e.g. first injection); visit windows count from it."
        " Empty: computed from the screening date.",
    )


class VisitForm(AuditedFormMixin):
    """Record a visit as done (with its date) or missed (with why)."""

    outcome = forms.ChoiceField(choices=[("done", "Took place"), ("missed", "Missed")])
    visit_date = forms.DateField(widget=DATE_WIDGET, required=False)
    missed_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why was it missed?",
        max_length=MAX_FREE_TEXT_CHARS,
    )

    def clean(self):
        """A missed visit has no date: refused, as the API refuses it, never dropped."""
        data = super().clean()
        if data.get("outcome") == "missed" and data.get("visit_date") is not None:
            self.add_error("visit_date", "a missed visit has no visit date (or record it as done)")
        return data
