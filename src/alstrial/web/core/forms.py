"""Form helpers shared by every app: the reason and version fields, and domain errors."""

from __future__ import annotations

from django import forms

from alstrial.domain.errors import ValidationError


class AuditedFormMixin(forms.Form):
    """Adds ``reason`` (required by ``save_clinical`` for every change after the first save)
    and the hidden ``version`` the record had when the form was loaded (optimistic locking)."""

    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for every change to saved data; kept in the audit trail.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def add_domain_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show each domain error next to its field (or at the top when the form has no such field)."""
    for field, messages in error.by_field().items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{field}: {message}")
