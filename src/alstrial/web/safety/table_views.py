"""Safety tables of a trial (HTML and CSV) and the trial dashboard's safety panel.

The tables are the pure functions of :mod:`alstrial.analysis.safety_tables`, so this page, the
CSV export and the trial report show the same numbers.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from alstrial.analysis import safety_tables as st
from alstrial.exchange.spreadsheet import write_csv
from alstrial.web.core.access import get_for_user_or_404, has_any_role, role_required
from alstrial.web.safety import services
from alstrial.web.safety.board import board_rows, trial_frames
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.safety.views import render_page
from alstrial.web.trials.models import Trial


def _allowed(user, name: str) -> bool:
    """Listings (event detail, dates) are for readers; the statistician sees aggregates."""
    return not st.TABLES[name][1] or has_any_role(user, *services.READER_ROLES)


@role_required(*services.TABLE_ROLES)
def tables(request, slug: str):
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    frames = trial_frames(trial, request.user)
    shown = []
    for name, (title, _listing, build) in st.TABLES.items():
        if _allowed(request.user, name):
            frame = build(*frames)
            shown.append({"name": name, "title": title, "frame": frame})
    context = {"trial": trial, "tables": shown, "n": len(frames[1])}
    return render_page(request, "tables.html", context)


@role_required(*services.TABLE_ROLES)
def table_csv(request, slug: str, name: str):
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    if name not in st.TABLES or not _allowed(request.user, name):
        raise Http404("no such table")
    frame = st.TABLES[name][2](*trial_frames(trial, request.user))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    write_csv(frame, response)  # cells safe for spreadsheets (docs/exchange.md)
    response["Content-Disposition"] = f'attachment; filename="{trial.slug}_{name}.csv"'
    return response


#: Outcomes after which an adverse event is no longer open.
CLOSED_OUTCOMES = ("recovered", "recovered_with_sequelae", "fatal")


def panel_context(trial, user) -> dict:
    """What the trial dashboard shows about safety (also rendered by :func:`panel`)."""
    events = AdverseEvent.objects.visible_to(user).filter(subject__trial=trial)
    rows = board_rows(events)
    return {
        "trial": trial,
        "open_events": events.exclude(outcome__in=CLOSED_OUTCOMES),
        "serious_count": events.filter(serious=True).count(),
        "due": [r for r in rows if r.status == "due"],
        "overdue": [r for r in rows if r.status == "overdue"],
        "evaluation": services.evaluate_trial(trial),
        "halts": services.active_halts(trial),
        "unread": services.unread_count(user),
        # The links the panel offers follow the rule the listing and board views apply, so a
        # role that would meet a 403 (the statistician) is not shown them.
        "can_read_events": has_any_role(user, *services.READER_ROLES),
        "can_see_tables": has_any_role(user, *services.TABLE_ROLES),
    }


def dashboard_panel_context(request, trial) -> dict:
    """The trial dashboard's safety panel (registered in ``SafetyConfig.ready``)."""
    return panel_context(trial, request.user)


@role_required()
def panel(request, slug: str):
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    return render(request, "safety/panel.html", {"panel": panel_context(trial, request.user)})
