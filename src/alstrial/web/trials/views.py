"""The trial dashboard: enrolment, visits due and overdue, missing forms, other apps' panels."""

from __future__ import annotations

from collections import Counter

from django.http import Http404, HttpResponse
from django.shortcuts import render

from alstrial.domain.disposition import disposition_counts
from alstrial.exchange.spreadsheet import write_csv
from alstrial.web.core.access import get_for_user_or_404, role_required, site_ids_for
from alstrial.web.core.models import ANALYSIS_ROLES
from alstrial.web.core.panels import dashboard_panels
from alstrial.web.core.visit_forms import done_forms, visit_form
from alstrial.web.subjects.models import Subject, SubjectStatus, Visit, VisitStatus
from alstrial.web.trials.analysis_data import analysis_frames
from alstrial.web.trials.models import Trial


def trial_summary(trial: Trial, user) -> dict:
    """Counts for the dashboard over the subjects ``user`` may see (their sites only)."""
    subjects = Subject.objects.visible_to(user).filter(trial=trial)
    statuses = list(subjects.values_list("status", flat=True))
    by_status = Counter(statuses)
    # the one count of the study flow, shared with the report and SDTM DS (docs/web.md)
    counts = disposition_counts(statuses)
    visits = (
        Visit.objects.visible_to(user)
        .filter(subject__trial=trial, subject__status=SubjectStatus.ENROLLED)
        # One shared Subject (and Site) per subject, not a copy decoded for each of its visits.
        .prefetch_related("subject__site")
        .order_by("subject__number", "sequence")
    )
    due, overdue, missing = [], [], []
    done = done_forms(list(visits), among=visits.prefetch_related(None))
    for visit in visits:
        if visit.overdue:
            overdue.append(visit)
        elif visit.due:
            due.append(visit)
        closed = visit.status == VisitStatus.DONE or visit.overdue
        if visit.status == VisitStatus.MISSED or not closed:
            continue
        for key in visit.forms:
            registered = visit_form(key)
            if registered is not None and (visit.pk, key) not in done:
                missing.append((visit, registered))
    return {
        "statuses": [(s.label, by_status.get(s.value, 0)) for s in SubjectStatus],
        "screened": counts.screened,
        "enrolled": counts.enrolled,  # ever enrolled: on study and finished
        "dispositions": counts,
        "due": due,
        "overdue": overdue,
        "missing": missing,
    }


@role_required()
def dashboard(request, slug: str):
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    panels = [(p.template, p.context(request, trial)) for p in dashboard_panels()]
    context = {"trial": trial, "summary": trial_summary(trial, request.user), "panels": panels}
    return render(request, "trials/dashboard.html", context)


@role_required(*ANALYSIS_ROLES)
def analysis_csv(request, slug: str, table: str):
    """``subjects.csv`` or ``visits.csv`` (docs/interfaces.md, 'Analysis data') of the user's
    sites."""
    if table not in ("subjects", "visits"):
        raise Http404("No such table")
    site_ids = site_ids_for(request.user, *ANALYSIS_ROLES)
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    subjects, visits = analysis_frames(trial, site_ids=site_ids)
    frame = subjects if table == "subjects" else visits
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{trial.slug}-{table}.csv"'
    write_csv(frame, response)  # cells safe for spreadsheets (docs/exchange.md)
    return response
