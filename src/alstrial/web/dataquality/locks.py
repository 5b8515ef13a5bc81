"""The trial database lock: the guard every write passes (registered in
``alstrial.web.core.write_guards`` at start-up) and the data manager's lock and unlock
(docs/datamanagement.md, "Locks")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.text_limits import check_reason
from alstrial.web.core.access import has_role
from alstrial.web.core.models import Role
from alstrial.web.core.write_guards import WritesLocked, trial_id_of
from alstrial.web.dataquality.models import TrialLock

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


def _require_data_manager(user, trial) -> None:
    """403 unless ``user`` is a data manager at one of the trial's sites."""
    if not any(has_role(user, site, *LOCK_ROLES) for site in trial.sites.all()):
        raise PermissionDenied("only the trial's data manager locks or unlocks its database")


def _set_lock(user, trial, locked: bool, reason: str) -> TrialLock:
    _require_data_manager(user, trial)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError([FieldError("reason", "required")])
    check_reason(reason)
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
