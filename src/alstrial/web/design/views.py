"""The design simulator page: statisticians, investigators and admins.

GET shows a design's own parameters (``?design=NAME`` switches design, also through HTMX); POST
validates the form (the design's own validation, errors next to the fields), runs one power
curve within the request's cost bounds and shows its table and plot. An HTMX request gets the
form and results fragment only.
"""

from __future__ import annotations

from django.shortcuts import render

from alstrial.web.core.access import role_required
from alstrial.web.core.models import ANALYSIS_ROLES
from alstrial.web.design import forms as design_forms
from alstrial.web.design.simulator import simulate

#: Who may use the simulator: the roles that may read analysis data (no patient data here).
SIMULATOR_ROLES = ANALYSIS_ROLES


@role_required(*SIMULATOR_ROLES)
def simulator(request):
    page = None
    if request.method == "POST":
        form = design_forms.SimulatorForm(request.POST)
        if form.is_valid():
            page = simulate(form.curve_request)
    else:
        form = design_forms.SimulatorForm.for_design(request.GET.get("design", ""))
    context = {
        "form": form,
        "page": page,
        "limits": {
            "trials_per_point": design_forms.MAX_TRIALS_PER_POINT,
            "trials_per_request": design_forms.MAX_TRIALS_PER_REQUEST,
            "points": design_forms.MAX_POINTS,
        },
    }
    template = "design/_simulator.html" if request.htmx else "design/page.html"
    return render(request, template, context)


@role_required(*SIMULATOR_ROLES)
def curve_points(request):
    """The curve points field preset for the chosen curve (HTMX, when "over" changes)."""
    field = design_forms.curve_points_field(
        request.GET.get("over", "n"),
        request.GET.get("n", ""),
        request.GET.get("follow_up_months", ""),
    )
    return render(request, "includes/field.html", {"field": field})
