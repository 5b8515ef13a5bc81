"""Safety pages: adverse event reports and follow-ups, the safety board, stopping-rule
triggers, notifications. Another site's object answers 404; a role that may not act, 403."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.safety_clock import CLOCK_RULE, ReportKind
from alstrial.web.core.access import (
    get_for_user_or_404,
    has_any_role,
    has_role,
    require_role,
    role_required,
)
from alstrial.web.core.records import ConflictError
from alstrial.web.safety import services
from alstrial.web.safety.board import board_rows
from alstrial.web.safety.forms import AdverseEventForm, LiftForm, SubmissionForm
from alstrial.web.safety.models import AdverseEvent, Notification, StoppingTrigger
from alstrial.web.safety.rules import expectedness_reason, site_time_zone, trial_causes
from alstrial.web.subjects.models import Subject


def render_page(request, template: str, context: dict, status: int = 200):
    """Render a safety page with the safety links and the unread-notifications badge."""
    unread = services.unread_count(request.user)
    # Only the pages the person's role opens (the same roles as the views' role_required).
    readers = has_any_role(request.user, *services.READER_ROLES)
    nav = [
        *([{"url": reverse("safety:list"), "label": "Adverse events"}] if readers else []),
        *([{"url": reverse("safety:board"), "label": "Safety board"}] if readers else []),
        {
            "url": reverse("safety:notifications"),
            "label": f"Notifications ({unread})" if unread else "Notifications",
        },
    ]
    context = {"nav_extra": nav, "unread": unread, **context}
    return render(request, f"safety/{template}", context, status=status)


def _local(moment, tz: str) -> str:
    """``moment`` as a ``datetime-local`` value in the site's zone (empty when None)."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M") if moment else ""


@role_required(*services.READER_ROLES)
def ae_list(request):
    events = (
        AdverseEvent.objects.visible_to(request.user, *services.READER_ROLES)
        .select_related("subject__site", "subject__trial")
        .order_by("-onset_date", "-id")
    )
    trial = request.GET.get("trial")
    if trial:
        events = events.filter(subject__trial__slug=trial)
    if request.GET.get("to_code"):
        events = events.filter(term_code="")
    can_report = bool(Subject.objects.visible_to(request.user, *services.REPORTER_ROLES).exists())
    return render_page(request, "list.html", {"events": events, "can_report": can_report})


def _zone_or_blank(site) -> str:
    try:
        return site_time_zone(site)
    except FieldError:
        return ""  # the service refuses the report with this message, next to the form


def _form_data(form: AdverseEventForm) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k not in ("subject", "version")}


@role_required(*services.REPORTER_ROLES)
def ae_new(request):
    subjects = Subject.objects.visible_to(request.user, *services.REPORTER_ROLES).order_by("code")
    chosen = subjects.filter(code=request.POST.get("subject") or request.GET.get("subject")).first()
    kwargs = {"subjects": subjects}
    if chosen is not None:
        kwargs["causes"] = trial_causes(chosen.trial.protocol)
        kwargs["time_zone"] = _zone_or_blank(chosen.site)
    initial = {"subject": chosen.code} if chosen else {}
    form = AdverseEventForm(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        subject = form.cleaned_data["subject"]
        try:
            ae = services.record_adverse_event(subject, _form_data(form), request.user)
        except ValidationError as error:
            form.add_domain_errors(error)
        else:
            messages.success(request, _saved_message(ae))
            return redirect("safety:detail", pk=ae.pk)
    return render_page(
        request, "form.html", {"form": form, "terms": form.term_choices(), "title": "Report"}
    )


def _saved_message(ae: AdverseEvent) -> str:
    if ae.susar:
        return "Saved. This event is a SUSAR: the safety monitor has been notified."
    if ae.serious:
        return "Saved. Serious adverse event: the safety monitor has been notified."
    return "Saved."


def _event_for(request, pk: int, *roles) -> AdverseEvent:
    events = AdverseEvent.objects.select_related("subject__site")
    ae = get_for_user_or_404(events, request.user, pk=pk)
    require_role(request.user, ae.subject.site, *roles)
    return ae


@role_required(*services.READER_ROLES)
def ae_detail(request, pk: int):
    ae = _event_for(request, pk, *services.READER_ROLES)
    tz = site_time_zone(ae.subject.site)
    rows = board_rows(AdverseEvent.objects.filter(pk=ae.pk))
    history = ae.history.order_by("-history_date", "-history_id")
    return render_page(
        request,
        "detail.html",
        {
            "ae": ae,
            "tz": tz,
            # formatted here: the template's date filter would convert back to UTC
            "awareness_local": _local(ae.awareness_at, tz).replace("T", " "),
            "rows": rows,
            "history": history,
            "clock_rule": CLOCK_RULE,
            "expectedness_reason": expectedness_reason(ae),
            "can_follow_up": has_role(request.user, ae.subject.site, *services.REPORTER_ROLES),
            "can_submit": has_role(request.user, ae.subject.site, *services.MONITOR_ROLES),
            "can_code": ae.needs_coding
            and has_role(request.user, ae.subject.site, *services.CODER_ROLES),
            "terms": AdverseEventForm.term_choices(),
            "submission_form": SubmissionForm(),
        },
    )


@role_required(*services.REPORTER_ROLES)
def ae_follow_up(request, pk: int):
    ae = _event_for(request, pk, *services.REPORTER_ROLES)
    tz = site_time_zone(ae.subject.site)
    initial = {
        "term": ae.verbatim_term,
        "onset_date": ae.onset_date,
        "resolution_date": ae.resolution_date,
        "grade": ae.grade,
        "serious": "yes" if ae.serious else "no",
        "seriousness_criteria": ae.seriousness_criteria,
        "awareness_at": _local(ae.awareness_at, tz),
        "action_taken": ae.action_taken,
        "outcome": ae.outcome,
        "narrative": ae.narrative,
        "version": ae.version,
        **{name: getattr(ae, name) for name in services.REPORT_FIELDS if name.startswith("rel")},
    }
    form = AdverseEventForm(
        request.POST or None,
        initial=initial,
        causes=trial_causes(ae.subject.trial.protocol),
        time_zone=tz,
        follow_up=True,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = _form_data(form)
        reason = data.pop("reason")
        try:
            services.record_adverse_event(
                ae.subject,
                data,
                request.user,
                instance=ae,
                reason=reason,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form.add_domain_errors(error)
        except ConflictError as error:
            conflict = str(error)
        else:
            messages.success(request, f"Follow-up {ae.follow_up_number} saved.")
            return redirect("safety:detail", pk=ae.pk)
    return render_page(
        request,
        "form.html",
        {
            "form": form,
            "ae": ae,
            "conflict": conflict,
            "terms": form.term_choices(),
            "title": f"Follow-up {ae.follow_up_number + 1} of",
        },
        status=409 if conflict else 200,
    )


@role_required(*services.READER_ROLES)
def board(request):
    events = AdverseEvent.objects.visible_to(request.user, *services.READER_ROLES)
    rows = board_rows(events)
    triggers = StoppingTrigger.objects.visible_to(request.user).distinct().select_related("trial")
    return render_page(
        request,
        "board.html",
        {
            "open_rows": [r for r in rows if r.is_open],
            "done_rows": [r for r in rows if not r.is_open],
            "triggers": triggers,
            "clock_rule": CLOCK_RULE,
            "now": timezone.now(),
        },
    )


@require_POST
@role_required(*services.MONITOR_ROLES)
def submit_report(request, pk: int, kind: str):
    ae = _event_for(request, pk, *services.MONITOR_ROLES)
    form = SubmissionForm(request.POST)
    form.is_valid()
    try:
        services.record_submission(
            ae,
            kind,
            request.user,
            submitted_at=form.cleaned_data.get("submitted_at"),
            reference=form.cleaned_data.get("reference", ""),
        )
    except ValidationError as error:
        for field, texts in error.by_field().items():
            messages.error(request, f"{field}: {'; '.join(texts)}")
    else:
        messages.success(request, f"{ReportKind(kind).label} recorded for {ae}.")
    return redirect(_safe_next(request) or "safety:board")


def _safe_next(request) -> str | None:
    """The ``next`` page to return to, only when it is on this site (no open redirect)."""
    target = request.POST.get("next")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else None


@require_POST
@role_required(*services.CODER_ROLES)
def code_term(request, pk: int):
    ae = _event_for(request, pk, *services.CODER_ROLES)
    try:
        services.code_term(
            ae,
            request.POST.get("term", ""),
            request.user,
            expected_version=request.POST.get("version") or None,
        )
    except ValidationError as error:
        for field, texts in error.by_field().items():
            messages.error(request, f"{field}: {'; '.join(texts)}")
    except ConflictError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Coded as {ae.term}.")
    return redirect("safety:detail", pk=ae.pk)


@require_POST
@role_required(*services.MONITOR_ROLES)
def lift(request, pk: int):
    trigger = get_for_user_or_404(StoppingTrigger.objects.distinct(), request.user, pk=pk)
    form = LiftForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.lift_trigger(trigger, request.user, reason)
    except ValidationError as error:
        for field, texts in error.by_field().items():
            messages.error(request, f"{field}: {'; '.join(texts)}")
    else:
        messages.success(request, f"Lifted: {trigger.rule}")
    return redirect("safety:board")


@role_required()
def notifications(request):
    notes = Notification.objects.filter(user=request.user).select_related("adverse_event")
    if request.method == "POST":
        notes.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("safety:notifications")
    return render_page(request, "notifications.html", {"notes": notes[:200]})


@role_required()
def open_notification(request, pk: int):
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if note.adverse_event_id:
        return redirect("safety:detail", pk=note.adverse_event_id)
    return redirect("safety:board")
