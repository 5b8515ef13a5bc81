"""The one door for writing a trial's analysis-plan lock (docs/analysis.md, "Analysis plan").

:func:`lock_plan` freezes, in one row hashed with SHA-256 over canonical JSON
(:mod:`alstrial.domain.plan_lock`): the hash of the trial's protocol text, its analysis plan
(estimand, primary, secondaries), the analysis settings the report will use, and the design's
simulated type I error and power of the primary (:mod:`alstrial.simulation.plan_characteristics`,
with the seed and number of trials stated). A trial is locked once: a second lock is refused,
and a protocol changed since the lock is reported as a deviation by :func:`lock_deviations`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from alstrial.domain.errors import FieldError
from alstrial.domain.plan_lock import deviations, plan_sha256
from alstrial.simulation.plan_characteristics import operating_characteristics
from alstrial.web.core.access import has_role
from alstrial.web.core.models import Role
from alstrial.web.sap.models import PlanLock
from alstrial.web.trials.models import Trial
from alstrial.web.trials.outputs import analysis_settings, locked_plan

#: Who may lock a plan in the web app: the trial statistician, who is blinded to the arms
#: (docs/web.md "Roles"), so the plan is fixed by someone who has not seen the comparison.
LOCK_ROLES = (Role.STATISTICIAN,)
#: Default simulation of the operating characteristics: trials, seed, and the effect for power
#: (slope change from the first dose, points/month; about a 50 % slowing of the usual
#: decline of 1 point/month, docs/simulation.md).
DEFAULT_TRIALS = 1000
DEFAULT_SEED = 20240101
DEFAULT_EFFECT = 0.5


def may_lock(user, trial: Trial) -> bool:
    """True when ``user`` is the statistician at one of the trial's sites."""
    return any(has_role(user, site, *LOCK_ROLES) for site in trial.sites.all())


def current_content(trial: Trial) -> dict:
    """The lockable parts as they are now, without the simulation: the protocol's hash, the
    plan and the analysis settings (what :func:`lock_deviations` compares)."""
    plan = trial.protocol.analysis.plan
    if plan is None:
        raise FieldError(
            "analysis.primary", f"trial {trial.slug}: the protocol names no primary analysis"
        )
    return {
        "trial": trial.slug,
        "protocol_sha256": trial.protocol_sha256,
        "plan": plan.to_dict(),
        "settings": analysis_settings(trial).to_dict(),
    }


def lock_plan(
    trial: Trial,
    user=None,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    effect: float = DEFAULT_EFFECT,
) -> PlanLock:
    """Lock ``trial``'s analysis plan now and return the lock.

    ``user``: the statistician locking it in the web app (PermissionDenied for anyone else);
    None for ``alstrial sap lock`` run by the operator. Raises :class:`FieldError` when the
    protocol names no primary, its design cannot be simulated, or the plan is already locked;
    nothing is written then.
    """
    if user is not None and not may_lock(user, trial):
        raise PermissionDenied("Only the trial statistician may lock the analysis plan.")
    _refuse_second_lock(trial)
    content = current_content(trial)
    content["operating_characteristics"] = operating_characteristics(
        trial.slug, content["plan"]["primary"], effect=effect, trials=trials, seed=seed
    )
    try:
        with transaction.atomic():
            Trial.objects.select_for_update().get(pk=trial.pk)
            _refuse_second_lock(trial)  # another lock may have finished during the simulation
            return PlanLock.objects.create(
                trial=trial,
                locked_at=timezone.now(),
                locked_by=user,
                locked_from="command line" if user is None else "web",
                sha256=plan_sha256(content),
                content=content,
            )
    except IntegrityError:
        _refuse_second_lock(trial)
        raise


def _refuse_second_lock(trial: Trial) -> None:
    existing = PlanLock.objects.filter(trial=trial).first()
    if existing is not None:
        raise FieldError(
            "trial",
            f"the analysis plan of {trial.slug} is already locked (sha256 {existing.sha256}, "
            f"{existing.locked_at:%Y-%m-%d %H:%M} UTC); a locked plan cannot change",
        )


def lock_deviations(trial: Trial) -> list[str]:
    """What differs now from the locked plan (a changed protocol, plan or setting); empty when
    nothing does or the plan is not locked."""
    locked = locked_plan(trial)
    if locked is None:
        return []
    return deviations(locked.content, current_content(trial))
