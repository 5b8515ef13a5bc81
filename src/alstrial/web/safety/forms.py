"""Forms of the safety pages. They check types only; every clinical rule is the domain's
(:func:`alstrial.domain.safety.validate_adverse_event`, called through the service), and its
errors are put back next to the field they name."""

from __future__ import annotations

from django import forms

from alstrial.domain.errors import ValidationError
from alstrial.domain.safety import (
    GRADE_LABELS,
    ActionTaken,
    Cause,
    Outcome,
    Relatedness,
    Seriousness,
)
from alstrial.domain.safety_terms import shipped_terms
from alstrial.domain.text_limits import MAX_FREE_TEXT_CHARS, MAX_REASON_CHARS
from alstrial.web.core.forms import choose_one

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.TextInput(attrs={"type": "datetime-local"})
YES_NO = [("no", "No"), ("yes", "Yes")]
#: Domain field names that a form shows under another name.
FIELD_ALIASES = {"subject_id": "subject", "version": "__all__"}


def _label(value: str) -> str:
    return value.replace("_", " ")


class AdverseEventForm(forms.Form):
    """Initial report or follow-up of one adverse event.

    ``causes`` are the product and the protocol's procedures (one relatedness field each);
    ``follow_up`` adds the reason, the information-received time and the loaded version.
    """

    term = forms.CharField(
        max_length=200,
        help_text="Choose from the list, or type the term as reported (it is then coded later).",
        widget=forms.TextInput(attrs={"list": "ae-terms", "autocomplete": "off"}),
    )
    onset_date = forms.DateField(widget=DATE)
    resolution_date = forms.DateField(required=False, widget=DATE, label="Resolution date")
    grade = forms.ChoiceField(
        choices=[(int(g), label) for g, label in GRADE_LABELS.items()], label="CTCAE v5 grade"
    )
    serious = forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, label="Serious?")
    seriousness_criteria = forms.MultipleChoiceField(
        choices=[(s.value, s.label) for s in Seriousness],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Seriousness criteria (ICH E2A)",
    )
    awareness_at = forms.CharField(
        required=False,
        widget=DATETIME,
        label="Site became aware of the serious event",
        help_text="Site local time. Day 0 of the reporting clock.",
    )
    action_taken = forms.ChoiceField(choices=[(a.value, _label(a.value)) for a in ActionTaken])
    outcome = forms.ChoiceField(choices=choose_one((o.value, _label(o.value)) for o in Outcome))
    narrative = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_FREE_TEXT_CHARS
    )

    def __init__(
        self, *args, causes=tuple(c.value for c in Cause), subjects=None, time_zone="", **kwargs
    ):
        self.follow_up = kwargs.pop("follow_up", False)
        super().__init__(*args, **kwargs)
        if time_zone:
            self.fields[
                "awareness_at"
            ].help_text = f"Site local time ({time_zone}). Day 0 of the reporting clock."
        if subjects is not None:
            # Choosing the subject reloads the form with the relatedness fields of its trial
            # (static/alstrial/reload_on_change.js: no inline handler, which the CSP blocks).
            self.fields["subject"] = forms.ModelChoiceField(
                queryset=subjects,
                to_field_name="code",
                widget=forms.Select(attrs={"data-reload-with": "subject"}),
            )
            self.order_fields(["subject"])
        blank = [("", "---------")]
        for cause in Cause:
            if cause.value in causes:
                self.fields[cause.field] = forms.ChoiceField(
                    choices=blank + [(r.value, r.value) for r in Relatedness],
                    label=f"Relatedness to the {cause.label}",
                    required=False,
                )
        if self.follow_up:
            self.fields["information_received_at"] = forms.CharField(
                required=False,
                widget=DATETIME,
                label="Follow-up information received",
                help_text=f"Site local time{f' ({time_zone})' if time_zone else ''}; starts "
                "the SUSAR clock if this makes the event a SUSAR.",
            )
            self.fields["reason"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}),
                label="Reason for the change",
                max_length=MAX_REASON_CHARS,
            )
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)

    def cause_fields(self):
        return [self[c.field] for c in Cause if c.field in self.fields]

    def add_domain_errors(self, error: ValidationError) -> None:
        """Show each domain error next to the field it names."""
        for field, messages in error.by_field().items():
            name = FIELD_ALIASES.get(field, field)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    @staticmethod
    def term_choices() -> list[str]:
        return [t.term for t in sorted(shipped_terms(), key=lambda t: t.term)]


class SubmissionForm(forms.Form):
    """An expedited report was sent: when (site local time; empty = now) and its reference."""

    submitted_at = forms.CharField(required=False, widget=DATETIME, label="Sent at")
    reference = forms.CharField(required=False, max_length=100, label="Receipt or reference")


class LiftForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Decision and reason",
        max_length=MAX_REASON_CHARS,
    )
