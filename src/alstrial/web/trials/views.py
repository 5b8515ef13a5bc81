"""The trial dashboard."""

from __future__ import annotations

from django.shortcuts import render

from alstrial.web.core.access import get_for_user_or_404, role_required
from alstrial.web.trials.models import Trial


@role_required()
def dashboard(request, slug: str):
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    return render(request, "trials/dashboard.html", {"trial": trial})
