"""Subject pages: list, screening, detail with the visit schedule, enrolment, visit status."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alstrial.domain.errors import ValidationError
from alstrial.web.core.access import (
    get_for_user_or_404,
    has_role,
    is_deidentified,
    require_role,
    role_required,
    sites_for,
)
from alstrial.web.core.forms import Submission, add_domain_errors, make_read_only, submit
from alstrial.web.core.models import AUDIT_ROLES, DATA_ENTRY_ROLES
from alstrial.web.core.visit_forms import done_forms, visit_form
from alstrial.web.subjects.forms import EnrolForm, ScreeningForm, VisitForm
from alstrial.web.subjects.models import Subject, SubjectStatus, Visit, VisitStatus, today
from alstrial.web.subjects.services import (
    enrol_subject,
    record_missed_visit,
    record_visit,
    screen_subject,
)
from alstrial.web.trials.models import Trial


@role_required()
def subject_list(request):
    """Every subject of the user's sites, with the next visit still to record."""
    subjects = list(
        Subject.objects.visible_to(request.user)
        .select_related("site", "trial")
        .order_by("trial__slug", "site__code", "number")
    )
    next_visit: dict[int, Visit] = {}
    pending = (
        Visit.objects.visible_to(request.user)
        .filter(status=VisitStatus.SCHEDULED, subject__status=SubjectStatus.ENROLLED)
        .select_related("subject__site")
        .order_by("subject_id", "sequence")
    )
    for visit in pending:
        next_visit.setdefault(visit.subject_id, visit)
    rows = [(subject, next_visit.get(subject.pk)) for subject in subjects]
    context = {"rows": rows, "can_screen": bool(_trial_choices(request.user))}
    return render(request, "subjects/list.html", context)


def _trial_choices(user) -> list[tuple[str, str]]:
    """``("trial-slug:site-code", label)`` for each trial at a site where ``user`` enters data."""
    choices = []
    for site in sites_for(user, *DATA_ENTRY_ROLES):
        for trial in Trial.objects.filter(sites=site):
            choices.append((f"{trial.slug}:{site.code}", f"{trial.slug} at {site.name}"))
    return choices


@role_required(*DATA_ENTRY_ROLES)
def screen(request):
    """Screen a candidate: consent first, then the protocol's entry criteria."""
    form = ScreeningForm(request.POST or None, trial_choices=_trial_choices(request.user))
    outcome, screened = Submission(False), []

    def save(data):
        trial_slug, site_code = data["trial"].split(":")
        site = sites_for(request.user, *DATA_ENTRY_ROLES).get(code=site_code)
        subject = screen_subject(
            site=site,
            trial=Trial.objects.get(slug=trial_slug, sites=site),
            user=request.user,
            consent_date=data["consent_date"],
            screening_date=data["screening_date"],
            values={key: data[key] for key in ScreeningForm.VALUE_FIELDS},
        )
        screened.append(subject)

    if request.method == "POST":
        outcome = submit(form, save)
        if outcome.saved:
            subject = screened[0]
            verdict = "eligible" if subject.eligible else "not eligible (screen failure)"
            messages.success(request, f"{subject.code} screened: {verdict}.")
            return redirect("subjects:detail", pk=subject.pk)
    context = {"form": form, "conflict": outcome.conflict}
    return render(request, "subjects/screen.html", context, status=outcome.status)


def _visit_rows(subject: Subject, user) -> list[dict]:
    """Each visit with the status of every form it requires (required / done / missing), and
    the form's link when ``user``'s role opens it (else ``url`` is None)."""
    rows = []
    now = today(subject.site)
    # The related manager hands every visit this same subject (with its site): no copies.
    visits = list(subject.visits.order_by("sequence"))
    done_keys = done_forms(visits)
    for visit in visits:
        forms = []
        for key in visit.forms:
            registered = visit_form(key)
            if registered is None:
                forms.append({"key": key, "label": key.replace("_", " "), "state": "elsewhere"})
                continue
            done = (visit.pk, key) in done_keys
            closed = visit.status == VisitStatus.DONE or (
                visit.latest_date is not None and visit.latest_date < now
            )
            state = "done" if done else ("missing" if closed else "required")
            if visit.status == VisitStatus.MISSED:
                state = "not collected"
            opens = not registered.roles or has_role(user, subject.site, *registered.roles)
            forms.append(
                {
                    "key": key,
                    "label": registered.label,
                    "state": state,
                    "url": registered.url(visit) if opens else None,
                }
            )
        rows.append({"visit": visit, "forms": forms})
    return rows


@role_required()
def subject_detail(request, pk: int):
    subject = get_for_user_or_404(
        Subject.objects.select_related("site", "trial"), request.user, pk=pk
    )
    context = {
        "subject": subject,
        "rows": _visit_rows(subject, request.user) if subject.day_zero_date else [],
        "can_edit": has_role(request.user, subject.site, *DATA_ENTRY_ROLES),
        "can_audit": has_role(request.user, subject.site, *AUDIT_ROLES),
        "deidentified": is_deidentified(request.user, subject.site),
        "endpoints": subject.endpoints.order_by("event_date"),
        "enrol_form": EnrolForm(initial={"enrolment_date": today(subject.site)}),
    }
    return render(request, "subjects/detail.html", context)


@require_POST
@role_required(*DATA_ENTRY_ROLES)
def enrol(request, pk: int):
    subject = get_for_user_or_404(Subject, request.user, pk=pk)
    require_role(request.user, subject.site, *DATA_ENTRY_ROLES)
    form = EnrolForm(request.POST)
    if form.is_valid():
        try:
            enrol_subject(
                subject,
                request.user,
                enrolment_date=form.cleaned_data["enrolment_date"],
                day_zero_date=form.cleaned_data["day_zero_date"],
            )
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, f"{subject.code} enrolled; visit schedule created.")
            return redirect("subjects:detail", pk=subject.pk)
    subject.refresh_from_db()
    context = {
        "subject": subject,
        "rows": [],
        "can_edit": True,
        "enrol_form": form,
        "endpoints": [],
    }
    return render(request, "subjects/detail.html", context, status=400)


@role_required()
def visit_detail(request, pk: int):
    """Record a visit as done (date) or missed (reason); change it later with a reason."""
    visit = get_for_user_or_404(Visit.objects.select_related("subject__site"), request.user, pk=pk)
    subject = visit.subject
    if is_deidentified(request.user, subject.site):
        raise PermissionDenied("Visit dates and reasons are not part of the de-identified view.")
    can_edit = has_role(request.user, subject.site, *DATA_ENTRY_ROLES)
    initial = {
        "outcome": "missed" if visit.status == VisitStatus.MISSED else "done",
        "visit_date": visit.visit_date,
        "missed_reason": visit.missed_reason,
        "version": visit.version,
    }
    form = VisitForm(request.POST or None, initial=initial)

    def save(data):
        common = {"reason": data["reason"], "expected_version": data["version"]}
        if data["outcome"] == "missed":
            record_missed_visit(visit, request.user, missed_reason=data["missed_reason"], **common)
        else:
            record_visit(visit, request.user, visit_date=data["visit_date"], **common)

    outcome = Submission(False)
    if request.method == "POST":
        if not can_edit:
            require_role(request.user, subject.site, *DATA_ENTRY_ROLES)
        outcome = submit(form, save)
        if outcome.saved:
            messages.success(request, f"Visit {visit.code} recorded.")
            return redirect("subjects:detail", pk=subject.pk)
    if not can_edit:
        make_read_only(form)
    context = {"visit": visit, "subject": subject, "form": form, "can_edit": can_edit}
    context["conflict"] = outcome.conflict
    return render(request, "subjects/visit.html", context, status=outcome.status)
