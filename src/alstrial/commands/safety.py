"""``alstrial safety overdue`` (expedited reports past their deadline; notify the monitors) and
``alstrial safety tables`` (every safety table of a trial as CSV).

Run it regularly (e.g. hourly from cron with ``--notify``): the safety board shows overdue
reports to whoever opens it, this makes sure the safety monitors are told even when nobody does.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from alstrial.commands.web import DbOption, setup_django

# Imports rule: Django and alstrial.web are imported inside each command, after setup_django()
# has configured the database from --db / DATABASE_URL (a model imported earlier would bind
# the wrong database); the safety tables (pandas) wait for the command that uses them, so
# `alstrial --help` stays fast (docs/DEVELOPING.md, "Errors").

safety_app = typer.Typer(help="Safety: expedited reporting deadlines.", no_args_is_help=True)


@safety_app.command("overdue")
def overdue(
    db: DbOption = None,
    notify: Annotated[
        bool, typer.Option("--notify", help="Notify the site's safety monitors (once per report).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    due_within: Annotated[
        float | None,
        typer.Option("--due-within", help="Also list (and remind of) reports due within HOURS."),
    ] = None,
) -> None:
    """List every expedited report that is overdue now (and, with --due-within, due soon);
    exit 1 when any is overdue."""
    setup_django(db)
    from django.db import transaction
    from django.utils import timezone

    from alstrial.web.safety.board import board_rows
    from alstrial.web.safety.models import AdverseEvent
    from alstrial.web.safety.services import notify_overdue

    now = timezone.now()
    window = timedelta(hours=due_within) if due_within is not None else None
    if notify:
        with transaction.atomic():
            rows = notify_overdue(now, due_within=window)
    else:
        rows = [
            r
            for r in board_rows(AdverseEvent.objects.all(), now)
            if r.status == "overdue"
            or (window is not None and r.status == "due" and r.obligation.due_at - now <= window)
        ]
    items = [
        {
            "adverse_event": r.ae.pk,
            "subject": r.ae.subject.code,
            "term": r.ae.term,
            "report": r.obligation.kind.value,
            "due_local": r.due_local_text,
            "due_utc": r.obligation.due_at.isoformat(),
            "status": r.status.value,
            "time": r.time_left,
        }
        for r in rows
    ]
    if as_json:
        typer.echo(json.dumps(items, indent=2))
    elif not items:
        typer.echo("No expedited report is overdue" + (" or due soon." if window else "."))
    else:
        for item in items:
            typer.echo(
                f"{item['subject']} {item['term']}: {item['report']} due {item['due_local']} "
                f"({item['time']})"
            )
    raise typer.Exit(1 if any(r.status == "overdue" for r in rows) else 0)


@safety_app.command("tables")
def tables(
    trial: Annotated[str, typer.Option("--trial", help="Trial slug, e.g. mazzini2003.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for one CSV per table.")],
    db: DbOption = None,
) -> None:
    """Write every safety table of TRIAL (all sites) as CSV: the same tables as the web page
    and the trial report."""
    setup_django(db)
    from alstrial.analysis.safety_tables import TABLES
    from alstrial.exchange.spreadsheet import write_csv
    from alstrial.web.safety.board import trial_frames
    from alstrial.web.trials.models import Trial

    found = Trial.objects.filter(slug=trial).first()
    if found is None:
        typer.echo(f"error: --trial: no trial {trial!r}", err=True)
        raise typer.Exit(2)
    frames = trial_frames(found)
    out.mkdir(parents=True, exist_ok=True)
    for name, (title, _listing, build) in TABLES.items():
        path = out / f"{found.slug}_{name}.csv"
        write_csv(build(*frames), path)  # cells safe for spreadsheets (docs/exchange.md)
        typer.echo(f"{title}: {path}")


def register(app: typer.Typer) -> None:
    """Add ``alstrial safety ...`` to ``app``."""
    app.add_typer(safety_app, name="safety")
