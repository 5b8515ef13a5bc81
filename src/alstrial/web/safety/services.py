"""The one door for every safety state change: forms, the JSON API and the demo call these.

- :func:`record_adverse_event`: initial report or follow-up (role-checked, domain-validated,
  audited); then the stopping rules are evaluated and the safety monitors notified.
- :func:`record_submission`: an expedited report was sent (safety monitor).
- :func:`lift_trigger`: a person decides to lift a stopping-rule trigger, with a reason.
- :func:`check_enrolment_open`: refuses enrolment while a halt is active.
Each checks everything first and writes nothing unless every check passes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.safety_clock import ReportKind, as_aware, as_timezone
from alstrial.domain.safety_stopping import EventFacts, describe, evaluate_stopping_rules
from alstrial.domain.safety_terms import shipped_terms
from alstrial.web.core.access import has_role, require_role
from alstrial.web.core.models import Role, SiteMembership
from alstrial.web.core.records import save_clinical
from alstrial.web.safety.board import board_rows
from alstrial.web.safety.models import (
    AdverseEvent,
    Notification,
    ReportSubmission,
    StoppingTrigger,
)
from alstrial.web.safety.rules import site_time_zone

log = logging.getLogger("alstrial.safety")

#: Stopping-rule actions that stop administrations of the product.
HALTS_DOSING = frozenset({"halt_dosing", "halt_trial"})
#: Who reports adverse events and their follow-ups.
REPORTER_ROLES = (Role.COORDINATOR, Role.INVESTIGATOR, Role.ADMIN)
#: Who records expedited report submissions and lifts stopping-rule triggers.
MONITOR_ROLES = (Role.SAFETY_MONITOR, Role.ADMIN)
#: Who codes a verbatim term that is not on the term list.
CODER_ROLES = (Role.SAFETY_MONITOR, Role.INVESTIGATOR, Role.ADMIN)
#: Who reads adverse events (detail pages, listings with free text).
READER_ROLES = (*REPORTER_ROLES, Role.SAFETY_MONITOR, Role.AUDITOR)
#: Who reads the aggregate safety tables (no free text): readers and the statistician.
TABLE_ROLES = (*READER_ROLES, Role.STATISTICIAN)

#: The form/API fields of an adverse event report.
REPORT_FIELDS = (
    "term",
    "onset_date",
    "resolution_date",
    "grade",
    "seriousness_criteria",
    "relatedness_cell_product",
    "relatedness_bone_marrow_aspiration",
    "relatedness_lumbar_puncture",
    "relatedness_spinal_surgery",
    "action_taken",
    "outcome",
    "awareness_at",
    "narrative",
)


def record_adverse_event(
    subject,
    data: Mapping[str, Any],
    user,
    *,
    instance: AdverseEvent | None = None,
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> AdverseEvent:
    """Save an initial adverse event report (``instance`` None) or a follow-up of ``instance``.

    ``data`` holds :data:`REPORT_FIELDS` (``term`` is the verbatim term) and optionally
    ``serious`` (checked against the criteria) and ``information_received_at`` (a follow-up's
    arrival; starts a SUSAR clock). A follow-up needs a ``reason`` and the ``expected_version``
    its form was loaded with. Raises ValidationError naming every bad field (nothing saved),
    PermissionDenied for a user without a reporter role at the subject's site, ConflictError
    for a stale version. Afterwards the trial's stopping rules are evaluated and the site's
    safety monitors notified of a serious event.
    """
    require_role(user, subject.site, *REPORTER_ROLES)
    if instance is not None and instance.subject_id != subject.pk:
        raise ValidationError([FieldError("subject_id", "the event belongs to another subject")])
    if instance is not None and not (reason or "").strip():
        raise ValidationError([FieldError("reason", "a follow-up needs a reason for the change")])
    obj = instance or AdverseEvent(subject=subject)
    if instance is not None and "term" in data and data["term"] != instance.verbatim_term:
        obj.coded_term = ""  # a new verbatim term is coded afresh
    for name in REPORT_FIELDS:
        if name in data:
            setattr(obj, "verbatim_term" if name == "term" else name, _form_value(name, data[name]))
    obj._serious_flag = data.get("serious")
    try:
        obj._information_received_at = _received_at(data, subject.site)
    except FieldError as error:
        # report it together with every other bad field of the report
        raise ValidationError([error, *_report_errors(obj)]) from None
    obj.follow_up_number = 0 if instance is None else instance.follow_up_number + 1
    was_serious = getattr(obj, "_was_serious", False) and instance is not None
    with transaction.atomic():
        save_clinical(obj, user, reason, expected_version=expected_version)
        obj._was_serious, obj._was_susar = obj.serious, obj.susar
        if obj.serious:
            _notify_sae(obj, first=not was_serious)
        apply_stopping_rules(subject.trial, now=now)
    return obj


def _form_value(name: str, value):
    """Form values arrive as strings; an empty optional field means "not given"."""
    if name == "narrative":
        return value or ""
    if name.startswith("relatedness_"):
        return (value or "").strip()
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _received_at(data: Mapping[str, Any], site) -> datetime | None:
    value = data.get("information_received_at")
    if value in (None, ""):
        return None
    return as_aware(value, site.zone, "information_received_at")


def _report_errors(obj: AdverseEvent) -> list[FieldError]:
    """The domain's errors for ``obj`` (none when it is valid); nothing is saved either way."""
    try:
        obj.clean_clinical()
    except ValidationError as error:
        return error.errors
    return []


def code_term(
    ae: AdverseEvent, term: str, user, *, reason: str = "", expected_version: int | None = None
) -> AdverseEvent:
    """Code an event whose verbatim term is not on alstrial's list to a term of the list.

    The verbatim term is kept; expectedness and SUSAR status are derived again (an uncoded
    term was unexpected). Safety monitor, investigator or admin at the event's site.
    """
    require_role(user, ae.subject.site, *CODER_ROLES)
    found = shipped_terms().get(term or "")
    if found is None:
        raise ValidationError([FieldError("term", f"{term!r} is not on alstrial's term list")])
    ae.coded_term = found.term
    reason = (reason or "").strip() or f"coded as {found.term!r} ({found.code})"
    was_susar = ae.susar
    with transaction.atomic():
        save_clinical(ae, user, reason, expected_version=expected_version)
        ae._was_serious, ae._was_susar = ae.serious, ae.susar
        if ae.serious and ae.susar != was_susar:
            status = "now a SUSAR" if ae.susar else "no longer a SUSAR"
            notify_safety_monitors(
                ae.subject.site,
                f"{ae.subject.code} {ae.verbatim_term!r} coded as {ae.term}: {status}",
                ae=ae,
                trial=ae.subject.trial,
            )
        apply_stopping_rules(ae.subject.trial)
    return ae


# --- stopping rules ---------------------------------------------------------------------------


def trial_event_facts(trial) -> list[EventFacts]:
    """What the stopping rules need about every adverse event of ``trial`` (all sites)."""
    rows = AdverseEvent.objects.filter(subject__trial=trial).values_list(
        "pk", "subject__code", "grade", "related", "serious"
    )
    return [
        EventFacts(pk, code, grade, related, serious) for pk, code, grade, related, serious in rows
    ]


def evaluate_trial(trial):
    """The domain evaluation of ``trial``'s protocol stopping rules (writes nothing)."""
    return evaluate_stopping_rules(trial.protocol.safety.stopping_rules, trial_event_facts(trial))


def _rule_key(index: int, rule) -> str:
    return f"{index}:{rule.event}:{rule.min_grade}:{rule.subjects}:{rule.action}"


def apply_stopping_rules(trial, *, now: datetime | None = None) -> list[StoppingTrigger]:
    """Evaluate the rules and record a trigger for each newly triggered rule.

    A rule already triggered and not lifted is not recorded twice. After a person lifted it, it
    triggers again only when a subject not counted at the lift joins the count.
    """
    now = now or timezone.now()
    evaluation = evaluate_trial(trial)
    created = []
    for index, result in enumerate(evaluation.results):
        if not result.triggered:
            continue
        key = _rule_key(index, result.rule)
        previous = StoppingTrigger.objects.filter(trial=trial, rule_key=key)
        if previous.filter(lifted_at__isnull=True).exists():
            continue
        last_lifted = previous.order_by("-lifted_at").first()
        if last_lifted and set(result.subject_ids) <= set(last_lifted.subject_codes):
            continue
        trigger = StoppingTrigger.objects.create(
            trial=trial,
            rule=describe(result.rule),
            rule_key=key,
            action=result.rule.action,
            subject_codes=list(result.subject_ids),
            triggered_at=now,
        )
        created.append(trigger)
        for site in trial.sites.all():
            notify_safety_monitors(
                site,
                f"Stopping rule triggered in {trial.slug}: {trigger.rule} "
                f"(subjects {', '.join(trigger.subject_codes)})",
                trial=trial,
            )
    return created


def active_halts(trial):
    """Active triggers of ``trial`` whose action stops enrolment."""
    return [t for t in trial.stopping_triggers.filter(lifted_at__isnull=True) if t.halts_enrolment]


def check_enrolment_open(trial) -> None:
    """Raise ValidationError (field ``status``) while a halt of ``trial`` is active."""
    halts = active_halts(trial)
    if halts:
        rules = "; ".join(h.rule for h in halts)
        raise ValidationError(
            [
                FieldError(
                    "status", f"enrolment in {trial.slug} is halted by a stopping rule: {rules}"
                )
            ]
        )


def check_dosing_open(trial) -> None:
    """Raise ValidationError (field ``trial``) while a ``halt_dosing`` or ``halt_trial`` trigger
    of ``trial`` is active: for the product app's administration service to call."""
    halts = [
        t
        for t in trial.stopping_triggers.filter(lifted_at__isnull=True)
        if t.action in HALTS_DOSING
    ]
    if halts:
        rules = "; ".join(h.rule for h in halts)
        raise ValidationError(
            [FieldError("trial", f"dosing in {trial.slug} is halted by a stopping rule: {rules}")]
        )


def lift_trigger(trigger: StoppingTrigger, user, reason: str) -> StoppingTrigger:
    """Lift an active trigger (safety monitor or admin at one of the trial's sites)."""
    if not any(_has_monitor_role(user, site) for site in trigger.trial.sites.all()):
        require_role(user, trigger.trial.sites.first(), *MONITOR_ROLES)
    errors = []
    if not trigger.active:
        errors.append(FieldError("trigger", "this trigger was already lifted"))
    if not (reason or "").strip():
        errors.append(
            FieldError("reason", "say why the trigger is lifted (e.g. the DSMB decision)")
        )
    if errors:
        raise ValidationError(errors)
    trigger.lifted_at = timezone.now()
    trigger.lifted_by = user
    trigger.lift_reason = reason.strip()
    trigger._change_reason = reason.strip()
    trigger.save()
    return trigger


def _has_monitor_role(user, site) -> bool:
    return has_role(user, site, *MONITOR_ROLES)


# --- expedited reports ------------------------------------------------------------------------


def record_submission(
    ae: AdverseEvent,
    kind: str,
    user,
    *,
    submitted_at: datetime | str | None = None,
    reference: str = "",
    now: datetime | None = None,
) -> ReportSubmission:
    """Record that the ``kind`` report of ``ae`` was sent (safety monitor or admin).

    Refused when the event does not require that report, it was already recorded, or the time
    is in the future or before awareness. A naive time is read in the site's time zone.
    """
    require_role(user, ae.subject.site, *MONITOR_ROLES)
    now = now or timezone.now()
    tz = site_time_zone(ae.subject.site)
    errors = []
    try:
        kind = ReportKind(kind)
    except ValueError:
        raise ValidationError([FieldError("kind", f"{kind!r} is not a report kind")]) from None
    required = {o.kind for o in ae.obligations(tz)}
    if kind not in required:
        errors.append(FieldError("kind", f"this event does not require a {kind.label}"))
    if ae.submissions.filter(kind=kind).exists():
        errors.append(FieldError("kind", f"the {kind.label} is already recorded"))
    when = now
    if submitted_at not in (None, ""):
        try:
            when = as_aware(submitted_at, as_timezone(tz), "submitted_at")
        except FieldError as error:
            errors.append(error)
            when = None
    if when is not None:
        if when > now:
            errors.append(FieldError("submitted_at", "is in the future"))
        elif ae.awareness_at and when < ae.awareness_at:
            errors.append(FieldError("submitted_at", "is before the awareness time"))
    if errors:
        raise ValidationError(errors)
    submission = ReportSubmission(
        adverse_event=ae, kind=kind.value, submitted_at=when, submitted_by=user, reference=reference
    )
    submission._history_user = user
    submission.save()
    return submission


# --- notifications ----------------------------------------------------------------------------


def _notify_sae(ae: AdverseEvent, *, first: bool) -> None:
    tz = site_time_zone(ae.subject.site)
    what = "SUSAR" if ae.susar else "SAE"
    if first:
        due = ", ".join(
            f"{o.kind.label} due {o.due_local:%Y-%m-%d %H:%M} {tz}" for o in ae.obligations(tz)
        )
        message = f"New {what}: {ae.subject.code} {ae.term}, grade {ae.grade}. {due}"
    else:
        message = f"Follow-up {ae.follow_up_number} of {what} {ae.subject.code} {ae.term}"
    notify_safety_monitors(ae.subject.site, message, ae=ae, trial=ae.subject.trial)


def notify_safety_monitors(
    site, message: str, *, ae=None, trial=None, key: str = ""
) -> list[Notification]:
    """Notify every safety monitor of ``site`` in the app, and by e-mail when the site's safety
    settings ask for it and the monitor has an address. E-mail goes after the commit, so an
    event that was rolled back is never announced; a failed e-mail is logged, never fatal.
    With ``key``, a monitor who already had a notification with that key gets none."""
    monitors = (
        SiteMembership.objects.filter(site=site, role=Role.SAFETY_MONITOR, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    already = set()
    if key:
        already = set(Notification.objects.filter(key=key).values_list("user_id", flat=True))
    notes = [
        Notification.objects.create(
            user=m.user, adverse_event=ae, trial=trial, message=message, key=key
        )
        for m in monitors
        if m.user_id not in already
    ]
    settings = getattr(site, "safety_settings", None)
    if settings is not None and settings.email_safety_monitors:
        to_mail = [n for n in notes if n.user.email]
        if to_mail:
            transaction.on_commit(lambda: _send_emails(to_mail, message))
    return notes


def _send_emails(notes: list[Notification], message: str) -> None:
    for note in notes:
        try:
            send_mail(
                subject=f"[alstrial safety] {message[:80]}",
                message=message + "\n\nOpen the safety board in alstrial for details.",
                from_email=None,
                recipient_list=[note.user.email],
            )
        except Exception:  # a mail server outage must not lose the in-app notification
            log.exception("safety e-mail to %s failed", note.user.email)
            continue
        Notification.objects.filter(pk=note.pk).update(emailed=True)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notify_overdue(now: datetime | None = None, *, due_within: timedelta | None = None) -> list:
    """Notify the safety monitors of every expedited report that is overdue at ``now`` and,
    with ``due_within``, of every report due within that time (a reminder); each once per
    report. Returns those board rows, overdue first. Run it regularly (``alstrial safety overdue
    --notify``, e.g. hourly from cron), so that deadlines are announced even when nobody opens
    the board."""
    now = now or timezone.now()
    rows = []
    for row in board_rows(AdverseEvent.objects.all(), now):
        if row.status == "overdue":
            label = "OVERDUE"
        elif (
            due_within is not None
            and row.status == "due"
            and row.obligation.due_at - now <= due_within
        ):
            label = "DUE SOON"
        else:
            continue
        rows.append(row)
        ae = row.ae
        notify_safety_monitors(
            ae.subject.site,
            f"{label}: {row.obligation.kind.label} for {ae.subject.code} {ae.term} "
            f"(due {row.due_local_text}, {row.time_left})",
            ae=ae,
            trial=ae.subject.trial,
            key=f"{label.lower().replace(' ', '-')}:{ae.pk}:{row.obligation.kind.value}",
        )
    return rows
