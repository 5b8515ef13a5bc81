"""``alstrial checks``: run the protocol's edit checks on every subject of a trial in batch and
raise or close their queries (docs/datamanagement.md, "Edit checks")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alstrial.commands.web import setup_django

# Imports rule: Django and alstrial.web are imported inside each command, after setup_django()
# has configured the database from --db / DATABASE_URL (a model imported earlier would bind
# the wrong database). See docs/DEVELOPING.md, "Errors".

checks_app = typer.Typer(
    name="checks",
    help="Edit checks: run them in batch over a trial's stored data.",
    no_args_is_help=True,
)


@checks_app.command("run")
def run(
    trial: Annotated[str, typer.Option("--trial", help="Trial slug.", show_default=False)],
    user: Annotated[
        str,
        typer.Option(
            "--user",
            help="Username of the monitor or data manager running them.",
            show_default=False,
        ),
    ],
    db: Annotated[
        Path | None,
        typer.Option("--db", help="SQLite database file (default: the configured one)."),
    ] = None,
) -> None:
    """Evaluate every check on every subject: a new finding opens a query, a check that now
    passes closes its query. Prints one line per subject with findings, then the totals."""
    setup_django(db)
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied

    from alstrial.web.dataquality.services import run_trial_checks
    from alstrial.web.trials.models import Trial

    found = Trial.objects.filter(slug=trial).first()
    if found is None:
        known = ", ".join(Trial.objects.values_list("slug", flat=True)) or "none"
        typer.echo(f"error: no trial {trial!r} in the database (trials: {known})", err=True)
        raise typer.Exit(2)
    person = get_user_model().objects.filter(username=user, is_active=True).first()
    if person is None:
        typer.echo(f"error: no active user {user!r}", err=True)
        raise typer.Exit(2)
    try:
        runs = run_trial_checks(found, person)
    except PermissionDenied as error:
        typer.echo(f"error: {user}: {error}", err=True)
        raise typer.Exit(2) from None
    for code, done in runs.items():
        if done.findings or done.closed:
            typer.echo(
                f"{code}: {len(done.findings)} finding(s), {len(done.opened)} query(ies) opened, "
                f"{len(done.closed)} closed"
            )
    totals = [
        sum(len(getattr(r, k)) for r in runs.values()) for k in ("findings", "opened", "closed")
    ]
    typer.echo(
        f"{found.slug}: {len(runs)} subject(s) checked; {totals[0]} finding(s), "
        f"{totals[1]} query(ies) opened, {totals[2]} closed"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(checks_app)
