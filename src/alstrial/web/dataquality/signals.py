"""Run the edit checks after every save of a record they read (docs/datamanagement.md, "Edit
checks"): the subject, its visits, the ALSFRS-R and FVC forms, doses and adverse events; and
clear the source data verification of any form changed after it was verified.

A signal keeps the hook out of the other apps' services: each save already passes through
``save_clinical``, whose ``post_save`` runs inside the same transaction, so a query opened by a
save is rolled back with it.
"""

from __future__ import annotations

from django.db.models.signals import post_save

from alstrial.web.assessments.models import AlsfrsAssessment, FvcAssessment
from alstrial.web.dataquality.forms_registry import form_models
from alstrial.web.dataquality.services import run_subject_checks
from alstrial.web.dataquality.verification import clear_after_change
from alstrial.web.product.models import Administration
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.subjects.models import Subject, Visit

CHECKED_MODELS = (Subject, Visit, AlsfrsAssessment, FvcAssessment, Administration, AdverseEvent)


def _run_checks(sender, instance, raw=False, **kwargs) -> None:
    if raw:  # loading fixtures: the records are not being entered
        return
    subject = instance if isinstance(instance, Subject) else instance.subject
    user = getattr(instance, "updated_by", None) or getattr(instance, "created_by", None)
    if user is None:
        return
    run_subject_checks(subject, user)


for _model in CHECKED_MODELS:
    post_save.connect(_run_checks, sender=_model, dispatch_uid=f"dataquality-{_model.__name__}")


def _clear_verification(sender, instance, created=False, raw=False, **kwargs) -> None:
    """A change of a verified form clears its mark (source data verification)."""
    if raw or created:
        return
    form = _FORM_OF[sender]
    user = getattr(instance, "updated_by", None)
    clear_after_change(form, instance, user, getattr(instance, "_change_reason", ""))


_FORM_OF = {model: form for form, model in form_models().items()}
for _model in _FORM_OF:
    post_save.connect(
        _clear_verification, sender=_model, dispatch_uid=f"dataquality-sdv-{_model.__name__}"
    )
