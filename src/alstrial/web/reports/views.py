"""The trial's analysis page, its report button and the report downloads.

Every view finds the trial with :func:`~alstrial.web.reports.services.report_trial_or_404`: 404
for a trial none of whose sites is the user's (whatever their roles elsewhere), 403 for a role of
the trial's own site that may not read the report. The build runs in the request (10-20 s); the
page shows a "building" indicator through HTMX meanwhile, and a second build of the same trial
is refused (409) while one runs.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alstrial.web.core.access import has_any_role
from alstrial.web.core.models import ANALYSIS_ROLES
from alstrial.web.reports import services
from alstrial.web.reports.models import BuildStatus
from alstrial.web.reports.services import BuildRunning

#: Sent with the HTML report: shown from our origin, it may run nothing and load nothing.
REPORT_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "font-src data:; frame-ancestors 'none'"
)


def panel_context(trial, **extra) -> dict:
    """What the report panel shows: the last report and its settings, a running build."""
    return {"trial": trial, "allowed": True, **services.last_builds(trial), **extra}


def dashboard_panel_context(request, trial) -> dict:
    """The trial dashboard's report panel (empty for users who may not read the report)."""
    if not services.may_read_report(request.user, trial):
        return {"allowed": False}
    return panel_context(trial, dashboard=True)


def _analysis_page(request, trial, panel: dict, status: int = 200):
    context = {
        "trial": trial,
        "panel": panel,
        "can_download_data": has_any_role(request.user, *ANALYSIS_ROLES),
    }
    return render(request, "reports/analysis.html", context, status=status)


@login_required
def analysis(request, slug: str):
    """The trial's analysis page: the report panel, the analysis data, the simulator link."""
    trial = services.report_trial_or_404(request.user, slug)
    return _analysis_page(request, trial, panel_context(trial))


@login_required
def panel(request, slug: str):
    """The report panel alone: polled every few seconds while someone else's build runs."""
    trial = services.report_trial_or_404(request.user, slug)
    context = panel_context(trial, dashboard=request.GET.get("panel_on") == "dashboard")
    return render(request, "reports/_report.html", {"panel": context})


@require_POST
@login_required
def build(request, slug: str):
    """Build the report now; answer with the refreshed panel (HTMX) or the analysis page."""
    trial = services.report_trial_or_404(request.user, slug)
    try:
        finished = services.build_trial_report(trial, request.user)
    except BuildRunning as running:
        status, extra = 409, {"refused": running.build}
    else:
        if finished.status == BuildStatus.DONE and not request.htmx:
            return redirect("reports:analysis", slug=trial.slug)
        status, extra = 200, {"just_built": finished}
    panel = panel_context(trial, dashboard=request.POST.get("panel_on") == "dashboard", **extra)
    if request.htmx:
        # HTMX swaps only successful answers: the refusal is shown in the panel itself.
        return render(request, "reports/_report.html", {"panel": panel})
    return _analysis_page(request, trial, panel, status=status)


@login_required
def download(request, slug: str, name: str):
    """The latest ``report.html`` (shown, sandboxed) or ``report.pdf`` (downloaded)."""
    trial = services.report_trial_or_404(request.user, slug)
    path, built = services.report_file(trial, name, request.user)
    # A de-identified reader's file name carries the build number, not a calendar date.
    if services.reads_deidentified_report(request.user, trial):
        stem = f"{trial.slug}-report-deidentified-{built.pk}"
    else:
        stem = f"{trial.slug}-report-{built.finished_at:%Y%m%d-%H%M}"
    response = FileResponse(
        path.open("rb"),
        as_attachment=name == services.PDF_NAME,
        filename=f"{stem}{path.suffix}",
    )
    if name == services.HTML_NAME:
        response["Content-Security-Policy"] = REPORT_CSP
    response["Cache-Control"] = "private, no-store"
    return response
