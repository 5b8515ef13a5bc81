"""The per-subject audit page and the CSV exports (read-only; nothing here writes).

The CSV cells go through ``spreadsheet_row``: a change reason or value typed as ``=...`` is
shown as text by a spreadsheet, never run as a formula (docs/exchange.md).
"""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.shortcuts import render

from alstrial.exchange.spreadsheet import spreadsheet_row
from alstrial.web.audit.blinding import trail_for
from alstrial.web.audit.trail import CSV_COLUMNS, csv_rows, subject_trail
from alstrial.web.core.access import get_for_user_or_404, require_role, role_required
from alstrial.web.core.models import AUDIT_ROLES
from alstrial.web.subjects.models import Subject
from alstrial.web.trials.models import Trial


def _subject(request, pk: int) -> Subject:
    subject = get_for_user_or_404(
        Subject.objects.select_related("site", "trial"), request.user, pk=pk
    )
    require_role(request.user, subject.site, *AUDIT_ROLES)
    return subject


@role_required(*AUDIT_ROLES)
def subject_audit(request, pk: int):
    subject = _subject(request, pk)
    # A blinded role reads no entry that reveals the arm (docs/randomisation.md "Blinding").
    entries = list(reversed(trail_for(request.user, subject, subject_trail(subject))))
    return render(request, "audit/subject.html", {"subject": subject, "entries": entries})


def _csv_response(filename: str) -> tuple[HttpResponse, csv.writer]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    return response, writer


@role_required(*AUDIT_ROLES)
def subject_audit_csv(request, pk: int):
    subject = _subject(request, pk)
    response, writer = _csv_response(f"audit-{subject.code}.csv")
    entries = trail_for(request.user, subject, subject_trail(subject))
    writer.writerows(map(spreadsheet_row, csv_rows(entries, subject.code)))
    return response


@role_required(*AUDIT_ROLES)
def trial_audit_csv(request, slug: str):
    """The trail of every subject of the trial at the sites where the user may audit."""
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    subjects = (
        Subject.objects.visible_to(request.user, *AUDIT_ROLES)
        .filter(trial=trial)
        .order_by("site__code", "number")
    )
    response, writer = _csv_response(f"audit-{trial.slug}.csv")
    for subject in subjects.select_related("site", "trial"):
        entries = trail_for(request.user, subject, subject_trail(subject))
        writer.writerows(map(spreadsheet_row, csv_rows(entries, subject.code)))
    return response
