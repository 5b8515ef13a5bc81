"""The trial database lock (docs/api.md, "Database lock"; docs/datamanagement.md, "Locks").

``POST /trials/{slug}/lock`` and ``/unlock`` ``{"reason"}``: the trial's data manager; 200 with
the lock's state; 403 for any other role; 404 for a trial of no site of the user's; 422 without
a reason or when already in that state. While locked, every write of the trial answers 423.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema

from alstrial.web.api.access import get_for_user_or_404
from alstrial.web.api.schemas import ErrorOut, StrictIn
from alstrial.web.dataquality import locks
from alstrial.web.trials.models import Trial

router = Router(tags=["database lock"])
ERRORS = {code: ErrorOut for code in (403, 404, 422)}


class LockIn(StrictIn):
    reason: str = Field(description="Why the database is locked or unlocked (audit trail)")


class LockOut(Schema):
    trial: str
    locked: bool
    reason: str
    changed_at: datetime = Field(description="UTC")
    changed_by: str


def lock_out(lock) -> dict:
    return {
        "trial": lock.trial.slug,
        "locked": lock.locked,
        "reason": lock.reason,
        "changed_at": lock.changed_at,
        "changed_by": lock.changed_by.get_username(),
    }


def _trial(request, slug: str) -> Trial:
    return get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)


@router.post("/{slug}/lock", response={200: LockOut, **ERRORS}, summary="Lock a trial's database")
def lock(request, slug: str, payload: LockIn):
    """Every write to the trial's data is refused (423) until it is unlocked."""
    return lock_out(locks.lock_trial(request.user, _trial(request, slug), payload.reason))


@router.post(
    "/{slug}/unlock", response={200: LockOut, **ERRORS}, summary="Unlock a trial's database"
)
def unlock(request, slug: str, payload: LockIn):
    """Writes are accepted again; the unlock and its reason stay in the audit trail."""
    return lock_out(locks.unlock_trial(request.user, _trial(request, slug), payload.reason))
