"""Form helpers shared by every app: the reason and version fields, and domain errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms

from alstrial.domain.errors import ValidationError
from alstrial.domain.text_limits import MAX_REASON_CHARS
from alstrial.web.core.records import ConflictError


class AuditedFormMixin(forms.Form):
    """Adds ``reason`` (required by ``save_clinical`` for every change after the first save)
    and the hidden ``version`` the record had when the form was loaded (optimistic locking)."""

    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for every change to saved data; kept in the audit trail.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


#: The empty first option of a choice a person must make: nothing is pre-selected, so a clinical
#: value (sex, site of onset, El Escorial category, an adverse event's outcome) is never saved
#: because it happened to be first in the list (docs/web.md, 'Forms').
CHOOSE = ("", "Choose…")


def choose_one(choices) -> list[tuple[str, str]]:
    """``choices`` behind an empty "Choose…" option; the field stays required."""
    return [CHOOSE, *choices]


#: How a person reads the domain's field names that no form field shows (a derived value such
#: as the disease duration is named in the domain's errors, docs/domain.md).
READABLE_NAMES = {
    "disease_duration_months": "Disease duration (months, from symptom onset to screening)",
    "enrolment_date": "Enrolment date",
    "alsfrs_r_total": "ALSFRS-R total",
    "fvc_percent_predicted": "FVC (% of predicted)",
}


def readable_name(field: str, form: forms.BaseForm | None = None) -> str:
    """The name a clinician reads for domain field ``field``: the form's label when the form has
    the field, a known name, else the words of the identifier (``visit_date`` -> "Visit date")."""
    if form is not None and field in form.fields and form.fields[field].label:
        return str(form.fields[field].label)
    return READABLE_NAMES.get(field) or field.replace("_", " ").capitalize()


def add_domain_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show each domain error next to its field, or at the top under the field's readable name
    when the form has no such field."""
    for field, messages in error.by_field().items():
        target = field if field in form.fields else None
        for message in messages:
            if target or not field:
                form.add_error(target, message)
            else:
                form.add_error(None, f"{readable_name(field)}: {message}")


@dataclass(frozen=True)
class Submission:
    """What became of a submitted form: ``saved``, the HTTP ``status`` to answer otherwise
    (400 bad input, 409 stale version) and the ``conflict`` message to show."""

    saved: bool
    status: int = 200
    conflict: str | None = None


def submit(form: forms.BaseForm, save: Callable[[dict], object]) -> Submission:
    """Validate ``form`` and call ``save(cleaned_data)`` (which writes through the services).

    Domain errors are shown next to their fields (400); a stale version becomes the conflict
    message (409). ``save`` runs in the services' own transaction, so nothing is half-written.
    """
    if not form.is_valid():
        return Submission(False, 400)
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        add_domain_errors(form, error)
        return Submission(False, 400)
    except ConflictError as error:
        return Submission(False, 409, str(error))
    return Submission(True)


def make_read_only(form: forms.BaseForm) -> None:
    """Show the form's values without letting them be changed (readers without a write role)."""
    for field in form.fields.values():
        field.disabled = True
