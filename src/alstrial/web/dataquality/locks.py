"""The trial database lock and the subject freeze: the guards every write passes (registered
in ``alstrial.web.core.write_guards`` at start-up) and the data manager's lock, unlock, freeze
and unfreeze (docs/datamanagement.md, "Locks")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.text_limits import check_reason
from alstrial.web.core.access import has_role
from alstrial.web.core.models import Role
from alstrial.web.core.write_guards import WritesLocked, subject_id_of, trial_id_of
from alstrial.web.dataquality.models import SubjectFreeze, TrialLock

#: Who locks and unlocks a trial's database.
LOCK_ROLES = (Role.DATA_MANAGER,)


def refuse_locked_trial(obj: Model) -> None:
    """Raise :class:`WritesLocked` when ``obj`` belongs to a locked trial."""
    trial_id = trial_id_of(obj)
    if trial_id is None:
        return
    lock = TrialLock.objects.filter(trial_id=trial_id, locked=True).select_related("trial").first()
    if lock is not None:
        raise WritesLocked(
            "trial",
            f"the database of trial {lock.trial.slug} is locked ({lock.reason}); nothing can be "
            "changed until a data manager unlocks it",
        )


def refuse_frozen_subject(obj: Model) -> None:
    """Raise :class:`WritesLocked` when ``obj`` belongs to a frozen subject."""
    subject_id = subject_id_of(obj)
    if subject_id is None:
        return
    freeze = SubjectFreeze.objects.filter(subject_id=subject_id, frozen=True).first()
    if freeze is not None:
        raise WritesLocked(
            "subject",
            f"subject {freeze.subject.code} is frozen ({freeze.reason}); nothing can be changed "
            "until a data manager unfreezes it",
        )


def _set_freeze(user, subject, frozen: bool, reason: str) -> SubjectFreeze:
    if not has_role(user, subject.site, *LOCK_ROLES):
        raise PermissionDenied("only the trial's data manager freezes or unfreezes a subject")
    reason = _reason(reason)
    with transaction.atomic():
        freeze = SubjectFreeze.objects.select_for_update().filter(subject=subject).first()
        if freeze is None:
            freeze = SubjectFreeze(subject=subject)
        elif freeze.frozen == frozen:
            state = "frozen" if frozen else "not frozen"
            raise ValidationError([FieldError("subject", f"the subject is already {state}")])
        freeze.frozen, freeze.reason = frozen, reason
        freeze.changed_at, freeze.changed_by = timezone.now(), user
        freeze._history_user, freeze._change_reason = user, reason
        freeze.save()
    return freeze


def freeze_subject(user, subject, reason: str) -> SubjectFreeze:
    """A data manager freezes one subject's casebook (e.g. after its last query closed)."""
    return _set_freeze(user, subject, True, reason)


def unfreeze_subject(user, subject, reason: str) -> SubjectFreeze:
    """A data manager unfreezes it again (audited, with the reason)."""
    return _set_freeze(user, subject, False, reason)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError([FieldError("reason", "required")])
    check_reason(reason)
    return reason


def _require_data_manager(user, trial) -> None:
    """403 unless ``user`` is a data manager at one of the trial's sites."""
    if not any(has_role(user, site, *LOCK_ROLES) for site in trial.sites.all()):
        raise PermissionDenied("only the trial's data manager locks or unlocks its database")


def _set_lock(user, trial, locked: bool, reason: str) -> TrialLock:
    _require_data_manager(user, trial)
    reason = _reason(reason)
    with transaction.atomic():
        lock = TrialLock.objects.select_for_update().filter(trial=trial).first()
        if lock is None:
            lock = TrialLock(trial=trial)
        elif lock.locked == locked:
            state = "locked" if locked else "not locked"
            raise ValidationError([FieldError("trial", f"the database is already {state}")])
        lock.locked, lock.reason = locked, reason
        lock.changed_at, lock.changed_by = timezone.now(), user
        lock._history_user, lock._change_reason = user, reason
        lock.save()
    return lock


def lock_trial(user, trial, reason: str) -> TrialLock:
    """A data manager locks the trial's database (the reason is recorded)."""
    return _set_lock(user, trial, True, reason)


def unlock_trial(user, trial, reason: str) -> TrialLock:
    """A data manager unlocks it again (audited, with the reason)."""
    return _set_lock(user, trial, False, reason)


def is_locked(trial) -> bool:
    return TrialLock.objects.filter(trial=trial, locked=True).exists()
