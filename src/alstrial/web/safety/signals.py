"""Enrolment is refused while a stopping rule halts it, whatever path enrols the subject.

The subjects app enrols through ``save_clinical``; this receiver runs inside that transaction
and raises the domain ValidationError (field ``status``), so the enrolment and its visit
schedule are rolled back and the form or API shows why.
"""

from __future__ import annotations

from django.db.models.signals import pre_save
from django.dispatch import receiver

from alstrial.web.safety.services import check_enrolment_open
from alstrial.web.subjects.models import Subject, SubjectStatus


@receiver(pre_save, sender=Subject, dispatch_uid="alstrial.safety.enrolment_halt")
def refuse_enrolment_while_halted(sender, instance: Subject, raw: bool = False, **kwargs) -> None:
    if raw or instance.status != SubjectStatus.ENROLLED:
        return
    stored = (
        Subject._base_manager.filter(pk=instance.pk).values_list("status", flat=True).first()
        if instance.pk
        else None
    )
    if stored == SubjectStatus.ENROLLED:
        return  # already enrolled: later edits of an enrolled subject are not enrolments
    check_enrolment_open(instance.trial)
