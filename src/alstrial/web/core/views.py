"""Home page: the trials of the user's sites."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from alstrial.web.core.access import sites_for
from alstrial.web.trials.models import Trial


@login_required
def home(request):
    """One trial: go to its dashboard; several: list them."""
    trials = Trial.objects.visible_to(request.user).distinct().order_by("slug")
    if len(trials) == 1:
        return redirect("trials:dashboard", slug=trials[0].slug)
    return render(request, "core/home.html", {"trials": trials, "sites": sites_for(request.user)})
