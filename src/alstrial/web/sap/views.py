"""The statistician's lock button on the trial dashboard (docs/analysis.md, "Analysis plan")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from alstrial.domain.errors import FieldError
from alstrial.web.core.access import get_for_user_or_404
from alstrial.web.sap import services
from alstrial.web.sap.models import PlanLock
from alstrial.web.trials.models import Trial


def dashboard_panel_context(request, trial) -> dict:
    """The plan panel: the lock (hash, time, type I error) or, for the statistician, the button."""
    plan = trial.protocol.analysis.plan
    lock = PlanLock.objects.filter(trial=trial).first()
    return {
        "trial": trial,
        "plan": plan,
        "lock": lock,
        "characteristics": None if lock is None else lock.content["operating_characteristics"],
        "deviations": services.lock_deviations(trial) if lock is not None else [],
        "can_lock": lock is None and plan is not None and services.may_lock(request.user, trial),
    }


@require_POST
@login_required
def lock(request, slug: str):
    """Lock the trial's plan (the statistician only: 403 for anyone else)."""
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    if not services.may_lock(request.user, trial):
        raise PermissionDenied("Only the trial statistician may lock the analysis plan.")
    # The lock cannot be undone: the statistician confirms it explicitly (an empty or replayed
    # POST locks nothing).
    if request.POST.get("confirm") != trial.slug:
        messages.error(request, "Tick the confirmation to lock the analysis plan; nothing locked.")
        return redirect("trials:dashboard", slug=trial.slug)
    try:
        done = services.lock_plan(trial, request.user, trials=services.DEFAULT_TRIALS)
    except FieldError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Analysis plan locked: sha256 {done.sha256}")
    return redirect("trials:dashboard", slug=trial.slug)
