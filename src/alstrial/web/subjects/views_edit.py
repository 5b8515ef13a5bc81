"""Changing a saved subject: screening corrections, identifying data, withdrawal.

Every change needs a reason and is version-checked (``save_clinical``); the identity page is
open only to ``IDENTITY_ROLES`` at the subject's site (403 for other roles, 404 for other sites).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.web.core.access import get_for_user_or_404, require_role, role_required
from alstrial.web.core.forms import Submission, add_domain_errors, submit
from alstrial.web.core.models import DATA_ENTRY_ROLES
from alstrial.web.subjects.forms import CorrectionForm, IdentityForm, WithdrawForm
from alstrial.web.subjects.models import IDENTITY_ROLES, Subject, SubjectIdentity
from alstrial.web.subjects.services import correct_screening, withdraw_subject


def _subject(request, pk: int, roles) -> Subject:
    subject = get_for_user_or_404(
        Subject.objects.select_related("site", "trial"), request.user, pk=pk
    )
    require_role(request.user, subject.site, *roles)
    return subject


@role_required(*DATA_ENTRY_ROLES)
def correct(request, pk: int):
    """Correct consent date and screening values; eligibility is judged again."""
    subject = _subject(request, pk, DATA_ENTRY_ROLES)
    initial = {
        "consent_date": subject.consent_date,
        "screening_date": subject.screening_date,
        "sex": subject.sex,
        "age_years": subject.age_years,
        "onset_site": subject.onset_site,
        "symptom_onset_date": subject.symptom_onset_date,
        "el_escorial": subject.el_escorial,
        "alsfrs_r_total": subject.screening_alsfrs_r_total,
        "fvc_percent_predicted": subject.screening_fvc_percent,
        "version": subject.version,
    }
    form = CorrectionForm(request.POST or None, initial=initial)
    outcome = Submission(False)
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: correct_screening(
                subject,
                request.user,
                consent_date=data["consent_date"],
                screening_date=data["screening_date"],
                values={key: data[key] for key in CorrectionForm.VALUE_FIELDS},
                reason=data["reason"],
                expected_version=data["version"],
            ),
        )
        if outcome.saved:
            messages.success(request, f"{subject.code} corrected.")
            return redirect("subjects:detail", pk=subject.pk)
    context = {"subject": subject, "form": form, "conflict": outcome.conflict}
    return render(request, "subjects/correct.html", context, status=outcome.status)


@role_required(*IDENTITY_ROLES)
def identity(request, pk: int):
    """Identifying data, kept apart from the clinical tables and audited by its own history."""
    subject = _subject(request, pk, IDENTITY_ROLES)
    instance = SubjectIdentity.objects.filter(subject=subject).first()
    form = IdentityForm(request.POST or None, instance=instance or SubjectIdentity(subject=subject))
    status = 200
    if request.method == "POST" and form.is_valid():
        reason = (form.cleaned_data.get("reason") or "").strip()
        if instance is not None and not reason:
            add_domain_errors(
                form, ValidationError([FieldError("reason", "a reason is required to change it")])
            )
            status = 400
        else:
            record = form.save(commit=False)
            record._history_user = request.user
            record._change_reason = reason or "initial entry"
            with transaction.atomic():
                record.save()
            messages.success(request, "Identifying data saved.")
            return redirect("subjects:detail", pk=subject.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request, "subjects/identity.html", {"subject": subject, "form": form}, status=status
    )


@require_POST
@role_required(*DATA_ENTRY_ROLES)
def withdraw(request, pk: int):
    subject = _subject(request, pk, DATA_ENTRY_ROLES)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            withdraw_subject(subject, request.user, **form.cleaned_data)
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, f"{subject.code} withdrawn.")
            return redirect("subjects:detail", pk=subject.pk)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{field}: {error}")
    return redirect("subjects:detail", pk=subject.pk)
