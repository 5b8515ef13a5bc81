"""The one door for writes to data-management state: queries raised by the edit checks and by
hand, answered by the site, closed or re-opened by the monitor (docs/datamanagement.md).

Every change is checked first (role, status, text) and then written in one transaction;
simple-history records who, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from alstrial.domain.edit_checks import Finding, run_checks
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.text_limits import check_reason
from alstrial.web.core.access import require_role
from alstrial.web.core.models import DATA_ENTRY_ROLES, Role
from alstrial.web.dataquality.forms_registry import record_of
from alstrial.web.dataquality.models import Query, QueryOrigin, QueryStatus
from alstrial.web.dataquality.subject_data import subject_data

#: Who raises queries by hand, closes and re-opens them.
MONITOR_ROLES = (Role.MONITOR, Role.DATA_MANAGER, Role.ADMIN)
#: Who answers a query: the site's data-entry roles.
ANSWER_ROLES = DATA_ENTRY_ROLES
#: Who reads queries (listing, API).
READER_ROLES = (*MONITOR_ROLES, *ANSWER_ROLES, Role.AUDITOR)
#: The history reason of a check query that closes itself.
AUTO_CLOSE_REASON = "value corrected: the check passes"


@dataclass(frozen=True)
class CheckRun:
    """What one run of the checks on a subject did."""

    findings: tuple[Finding, ...]
    opened: tuple[Query, ...]
    closed: tuple[Query, ...]


def _save(query: Query, user, reason: str) -> Query:
    query._history_user = user
    query._change_reason = reason
    query.save()
    return query


def _key(form: str, record_id: int, field: str, check: str) -> tuple:
    return (check, form, int(record_id), field)


def run_subject_checks(subject, user) -> CheckRun:
    """Evaluate the protocol's checks on ``subject``: open a query (origin ``check``) for each
    new finding and close every open or answered check query whose check now passes.

    A finding already queried is not queried twice; one the monitor closed stays closed (the
    value was confirmed). Called after every save of a checked record and by
    ``alstrial checks run``. ``user`` is who saved (recorded as the opener).
    """
    checks = subject.trial.protocol.checks
    findings = tuple(run_checks(checks, subject_data(subject))) if checks else ()
    now = timezone.now()
    existing = {
        _key(q.form, q.record_id, q.field, q.check_code): q
        for q in Query.objects.filter(subject=subject, origin=QueryOrigin.CHECK).order_by("id")
    }
    firing = {_key(f.form, f.record, f.field, f.check): f for f in findings}
    opened, closed = [], []
    with transaction.atomic():
        for key, finding in firing.items():
            earlier = existing.get(key)
            # A value corrected (query closed by its check) that fails again is a new question;
            # one the monitor closed was confirmed as it is.
            if earlier is not None and not earlier.closed_by_check:
                continue
            query = Query(
                site=subject.site,
                subject=subject,
                form=finding.form,
                record_id=finding.record,
                field=finding.field,
                origin=QueryOrigin.CHECK,
                check_code=finding.check,
                text=finding.message,
                opened_at=now,
                opened_by=user,
            )
            opened.append(_save(query, user, f"edit check {finding.check}"))
        for key, query in existing.items():
            if key in firing or query.status == QueryStatus.CLOSED:
                continue
            query.status = QueryStatus.CLOSED
            query.closed_at, query.closed_by = now, user
            query.closed_by_check = True
            closed.append(_save(query, user, AUTO_CLOSE_REASON))
    return CheckRun(findings, tuple(opened), tuple(closed))


def run_trial_checks(trial, user) -> dict[str, CheckRun]:
    """Every subject of ``trial`` checked in batch (``alstrial checks run``), by subject code.

    ``user`` (a monitor, data manager or administrator at every site of the trial's subjects)
    is recorded as the opener; nothing is written unless the role check passes everywhere.
    """
    subjects = list(trial.subjects.select_related("site", "trial").order_by("code"))
    for site in {s.site for s in subjects}:
        require_role(user, site, *MONITOR_ROLES)
    with transaction.atomic():
        return {s.code: run_subject_checks(s, user) for s in subjects}


def _text(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError([FieldError(field, "required")])
    check_reason(text)
    return text


def open_manual_query(user, subject, form: str, record_id: int, field: str, text: str) -> Query:
    """A monitor or data manager asks about one value of one of ``subject``'s records."""
    require_role(user, subject.site, *MONITOR_ROLES)
    text = _text(text, "text")
    record_of(subject, form, record_id, field)
    query = Query(
        site=subject.site,
        subject=subject,
        form=form,
        record_id=record_id,
        field=field,
        origin=QueryOrigin.MANUAL,
        text=text,
        opened_at=timezone.now(),
        opened_by=user,
    )
    with transaction.atomic():
        return _save(query, user, "raised by hand")


def answer_query(user, query: Query, answer: str) -> Query:
    """The site answers an open query with a reason (a corrected value goes through the form's
    own audited change; a check query then closes itself)."""
    require_role(user, query.site_id, *ANSWER_ROLES)
    answer = _text(answer, "answer")
    if query.status != QueryStatus.OPEN:
        raise ValidationError(
            [
                FieldError(
                    "status", f"only an open query can be answered; this one is {query.status}"
                )
            ]
        )
    query.status = QueryStatus.ANSWERED
    query.answer = answer
    query.answered_at, query.answered_by = timezone.now(), user
    with transaction.atomic():
        return _save(query, user, answer)


def close_query(user, query: Query, reason: str = "") -> Query:
    """The monitor accepts the answer (or the value as it is) and closes the query."""
    require_role(user, query.site_id, *MONITOR_ROLES)
    if query.status == QueryStatus.CLOSED:
        raise ValidationError([FieldError("status", "the query is already closed")])
    reason = (reason or "").strip() or "closed by the monitor"
    check_reason(reason)
    query.status = QueryStatus.CLOSED
    query.closed_at, query.closed_by = timezone.now(), user
    query.closed_by_check = False
    with transaction.atomic():
        return _save(query, user, reason)


def reopen_query(user, query: Query, reason: str) -> Query:
    """The monitor is not satisfied: the query is open again, with the reason recorded."""
    require_role(user, query.site_id, *MONITOR_ROLES)
    reason = _text(reason, "reason")
    if query.status == QueryStatus.OPEN:
        raise ValidationError([FieldError("status", "the query is already open")])
    query.status = QueryStatus.OPEN
    query.closed_at = query.closed_by = None
    query.closed_by_check = False
    with transaction.atomic():
        return _save(query, user, reason)
