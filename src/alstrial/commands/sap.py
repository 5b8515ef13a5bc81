"""``alstrial sap``: lock a trial's statistical analysis plan and show the lock
(docs/analysis.md, "Analysis plan")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alstrial.commands.web import setup_django
from alstrial.domain.errors import FieldError, ValidationError

# Imports rule: Django and alstrial.web are imported inside each command, after setup_django()
# has configured the database from --db / DATABASE_URL (a model imported earlier would bind
# the wrong database). See docs/DEVELOPING.md, "Errors".

sap_app = typer.Typer(
    name="sap",
    help="The statistical analysis plan: lock it before unblinding, show the lock.",
    no_args_is_help=True,
)

TrialOption = Annotated[str, typer.Option("--trial", help="Trial slug.", show_default=False)]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="SQLite database file (default: the configured one).")
]


def _trial(slug: str, db: Path | None):
    setup_django(db)
    from alstrial.web.trials.models import Trial

    trial = Trial.objects.filter(slug=slug).first()
    if trial is None:
        known = ", ".join(Trial.objects.values_list("slug", flat=True)) or "none"
        typer.echo(f"error: no trial {slug!r} in the database (trials: {known})", err=True)
        raise typer.Exit(2)
    return trial


@sap_app.command("lock")
def lock(
    trial: TrialOption,
    trials: Annotated[
        int, typer.Option("--trials", min=1, help="Simulated trials for type I error and power.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the simulation.")] = 20240101,
    effect: Annotated[
        float,
        typer.Option("--effect", help="Effect for the power: slope change, points/month."),
    ] = 0.5,
    db: DbOption = None,
) -> None:
    """Freeze the protocol, analysis settings and simulated operating characteristics under a
    SHA-256 hash. A locked plan cannot change: a second lock is refused (exit 2)."""
    found = _trial(trial, db)
    from alstrial.web.sap.services import lock_plan

    try:
        done = lock_plan(found, trials=trials, seed=seed, effect=effect)
    except (FieldError, ValidationError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    _print(done)


@sap_app.command("show")
def show(trial: TrialOption, db: DbOption = None) -> None:
    """The lock (hash, time, type I error and power) and any deviation from it; exit 1 when the
    plan is not locked."""
    found = _trial(trial, db)
    from alstrial.web.sap.models import PlanLock
    from alstrial.web.sap.services import lock_deviations

    done = PlanLock.objects.filter(trial=found).first()
    if done is None:
        typer.echo(f"{found.slug}: the analysis plan is not locked")
        raise typer.Exit(1)
    _print(done)
    for deviation in lock_deviations(found):
        typer.echo(f"deviation: {deviation}")


def _print(done) -> None:
    oc = done.content["operating_characteristics"]
    typer.echo(f"{done.trial.slug}: analysis plan locked {done.locked_at:%Y-%m-%d %H:%M:%S} UTC")
    typer.echo(f"sha256 {done.sha256}")
    typer.echo(f"primary {done.content['plan']['primary']}")
    typer.echo(
        f"simulated type I error {oc['type_i_error']:.3f}, power {oc['power']:.3f} at "
        f"{oc['effect_points_per_month']:g} points/month ({oc['design']} design, "
        f"{oc['analysis']}, {oc['trials']} trials, seed {oc['seed']})"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(sap_app)
