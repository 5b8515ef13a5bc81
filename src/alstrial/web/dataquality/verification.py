"""Source data verification (docs/datamanagement.md, "Source data verification"): the monitor
marks a stored form verified; a change after verification clears the mark and says why; the
progress per site is the share of stored forms whose current version is verified."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.web.core.access import require_role
from alstrial.web.core.models import Role
from alstrial.web.dataquality.forms_registry import form_models, record_of
from alstrial.web.dataquality.models import SourceVerification

#: Who verifies forms against the source.
VERIFIER_ROLES = (Role.MONITOR,)


def verify_form(user, subject, form: str, record_id: int) -> SourceVerification:
    """The monitor marks ``form`` record ``record_id`` of ``subject`` verified as it is now."""
    require_role(user, subject.site, *VERIFIER_ROLES)
    record = record_of(subject, form, record_id, None)
    if SourceVerification.objects.filter(
        form=form, record_id=record_id, cleared_at__isnull=True
    ).exists():
        raise ValidationError([FieldError("record_id", "this form is already verified")])
    mark = SourceVerification(
        site=subject.site,
        subject=subject,
        form=form,
        record_id=record_id,
        record_version=getattr(record, "version", 0),
        verified_at=timezone.now(),
        verified_by=user,
    )
    mark._history_user, mark._change_reason = user, "source data verified"
    with transaction.atomic():
        mark.save()
    return mark


def clear_after_change(form: str, record, user, change_reason: str) -> int:
    """Clear the current mark of a record just changed (called after its save); returns how
    many were cleared (0 or 1). The reason names the versions and the change's own reason."""
    cleared = 0
    for mark in SourceVerification.objects.filter(
        form=form, record_id=record.pk, cleared_at__isnull=True
    ):
        if getattr(record, "version", 0) == mark.record_version:
            continue
        mark.cleared_at = timezone.now()
        mark.cleared_reason = (
            f"changed after verification (version {mark.record_version} -> "
            f"{record.version}): {change_reason or 'no reason given'}"
        )
        mark._history_user, mark._change_reason = user, mark.cleared_reason
        mark.save()
        cleared += 1
    return cleared


def sdv_progress(site) -> dict[str, int]:
    """``{"verified": n, "total": m}``: stored forms of ``site``'s subjects (the subject's own
    record, visits done, visit forms, doses, adverse events) and how many are verified in their
    current version."""
    total = 0
    for form, model in form_models().items():
        owner = "site" if form == "subject" else "subject__site"
        rows = model._base_manager.filter(**{owner: site})
        if form == "visit":
            rows = rows.filter(visit_date__isnull=False)
        total += rows.count()
    verified = SourceVerification.objects.filter(site=site, cleared_at__isnull=True).count()
    return {"verified": verified, "total": total}
