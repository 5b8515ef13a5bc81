"""The trial dashboard's cell product panel: lots by stage, doses about to expire, and refused
administrations of the last 30 days (registered in ``ProductConfig.ready``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from alstrial.web.core.access import has_any_role
from alstrial.web.product.models import Lot, RefusedAttempt
from alstrial.web.product.views import VIEWERS

#: A released dose expiring within this many hours is flagged on the dashboard.
EXPIRING_HOURS = 6
REFUSALS_DAYS = 30


def dashboard_panel_context(request, trial) -> dict:
    user = request.user
    if not has_any_role(user, *VIEWERS):
        return {"hidden": True}
    now = timezone.now()
    lots = Lot.objects.visible_to(user, *VIEWERS).filter(subject__trial=trial)
    stages: dict[str, int] = {}
    expiring = []
    for lot in lots.select_related("subject"):
        stage = "expired" if lot.status == "released" and lot.is_expired else lot.status
        stages[stage] = stages.get(stage, 0) + 1
        usable = lot.status in ("released", "received") and not lot.is_expired
        if usable and lot.expires_at and lot.expires_at - now < timedelta(hours=EXPIRING_HOURS):
            expiring.append(lot)
    refusals = RefusedAttempt.objects.visible_to(user, *VIEWERS).filter(
        subject__trial=trial, at__gte=now - timedelta(days=REFUSALS_DAYS)
    )
    return {
        "trial": trial,
        "stages": sorted(stages.items()),
        "expiring": expiring,
        "expiring_hours": EXPIRING_HOURS,
        "refusals": refusals.count(),
        "refusals_days": REFUSALS_DAYS,
    }
